/* Synthetic data for the report tests, identical for any rank count. */
#ifndef REPORT_TESTDATA_H
#define REPORT_TESTDATA_H

#include <math.h>
#include "latent/lt_dataset.h"
#include "latent/lt_rng.h"

/* n rows of k Gaussian blobs in 2-D, centers on a circle; labels kept.
 * `warp` bends the plane so a second "space" looks different. */
static inline lt_status rt_blobs2d(lt_comm *c, int64_t n, int k, uint64_t seed, int warp,
                                   lt_dataset **out)
{
    LT_CALL(lt_dataset_create(c, n, 2, 1, out));
    lt_dataset *ds = *out;
    for (int64_t i = 0; i < ds->nloc; i++) {
        lt_rng r;
        lt_rng_init(&r, seed, LT_STREAM_USER, (uint64_t)(ds->row0 + i));
        int lab = (int)lt_rng_below(&r, (uint64_t)k);
        double a = 6.283185307179586 * lab / k, rad = 6 + (lab % 3);
        double x = rad * cos(a) + lt_rng_normal(&r), y = rad * sin(a) + lt_rng_normal(&r);
        if (warp) {
            double t = 0.35 * x;
            x = 0.3 * x + 0.1 * y * y;
            y = 0.5 * y + sin(t);
        }
        ds->x[2 * i] = (float)x;
        ds->x[2 * i + 1] = (float)y;
        ds->y[i] = lab;
    }
    return LT_OK;
}

#endif
