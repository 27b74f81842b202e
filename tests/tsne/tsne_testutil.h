/* Helpers for the t-SNE tests: readers of the binary fixtures written by
 * scripts/make_tsne_fixtures.py (raw little-endian arrays). Every rank
 * reads whole files (they are small) and keeps what it needs. */
#ifndef TSNE_TESTUTIL_H
#define TSNE_TESTUTIL_H

#include "lt_test.h"
#include "latent/lt_dataset.h"
#include "latent/lt_tsne.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Whole fixture file `name` (malloc'd); *bytes its size. */
static inline void *tt_read(const char *name, size_t *bytes)
{
    char path[512];
    FILE *f = fopen(lt_test_fixture(path, sizeof path, name), "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc((size_t)len + 8);
    ck_assert(buf != NULL);
    ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    if (bytes) *bytes = (size_t)len;
    return buf;
}

/* The first n rows of tsne/x.f32 (1000 x 20) as a sharded dataset with labels. */
static inline lt_dataset *tt_load_x(lt_comm *c, int64_t n)
{
    float *x = tt_read("tsne/x.f32", NULL);
    int32_t *y = tt_read("tsne/labels.i32", NULL);
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, n, 20, 1, &ds));
    memcpy(ds->x, x + ds->row0 * 20, sizeof(float) * (size_t)(ds->nloc * 20));
    memcpy(ds->y, y + ds->row0, sizeof(int32_t) * (size_t)ds->nloc);
    free(x), free(y);
    return ds;
}

/* A scalar from tsne/reference.txt. */
static inline double tt_ref(const char *name)
{
    char path[512], key[128];
    FILE *f = fopen(lt_test_fixture(path, sizeof path, "tsne/reference.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        double v;
        if (sscanf(line, "%127s %lf", key, &v) == 2 && !strcmp(key, name)) {
            fclose(f);
            return v;
        }
    }
    fclose(f);
    ck_abort_msg("no reference %s", name);
    return 0;
}

static inline int tt_close(double a, double b, double rel, double abs_tol)
{
    return fabs(a - b) <= rel * fabs(b) + abs_tol;
}

#endif
