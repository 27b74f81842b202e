/* Feature scaling with statistics reduced over all ranks (scikit-learn's
 * MinMaxScaler and StandardScaler, see docs/data-generation.md). */
#include "latent/lt_preprocess.h"
#include "latent/lt_simd.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lt_scaler_destroy(lt_scaler **s)
{
    if (!s || !*s) return;
    free((*s)->scale);
    free(*s);
    *s = NULL;
}

static lt_status check_fit_args(lt_scaler_kind kind, double lo, double hi, const lt_dataset *train)
{
    LT_CHECK(kind == LT_SCALER_NONE || kind == LT_SCALER_MINMAX || kind == LT_SCALER_STANDARD,
             LT_ERR_ARG, "scaler: unknown kind %d", (int)kind);
    LT_CHECK(kind != LT_SCALER_MINMAX || (isfinite(lo) && isfinite(hi) && lo < hi), LT_ERR_ARG,
             "scaler: minmax feature range needs min < max (got %g, %g)", lo, hi);
    LT_CHECK(train && train->n >= 1, LT_ERR_ARG, "scaler: cannot fit on an empty dataset");
    return LT_OK;
}

/* scikit-learn treats near-constant columns as constant: a float32 range below
 * 10 eps (MinMaxScaler keeps the input dtype), and a variance within the
 * two-pass algorithm's error bound (_is_constant_feature). */
static void set_coefficients(lt_scaler *s, int64_t n)
{
    for (int64_t j = 0; j < s->d; j++) {
        double scale = 1, shift = 0;
        if (s->kind == LT_SCALER_MINMAX) {
            double range = s->max[j] - s->min[j];
            if (range < 10 * FLT_EPSILON) range = 1;
            scale = (s->hi - s->lo) / range;
            shift = s->lo - s->min[j] * scale;
        } else if (s->kind == LT_SCALER_STANDARD) {
            double var = s->std[j] * s->std[j], eps = DBL_EPSILON;
            double bound = n * eps * var + (n * s->mean[j] * eps) * (n * s->mean[j] * eps);
            double sd = var <= bound ? 1 : s->std[j];
            scale = 1 / sd;
            shift = -s->mean[j] / sd;
        }
        s->scale[j] = scale;
        s->shift[j] = shift;
    }
}

static lt_status copy_stats(lt_comm *c, lt_scaler *s, const lt_dataset *train)
{
    lt_colstats *cs = NULL;
    LT_CALL(lt_colstats_compute(c, train, &cs));
    int64_t d = s->d;
    memcpy(s->min, cs->min, sizeof(double) * (size_t)d);
    memcpy(s->max, cs->max, sizeof(double) * (size_t)d);
    memcpy(s->mean, cs->mean, sizeof(double) * (size_t)d);
    memcpy(s->std, cs->std, sizeof(double) * (size_t)d);
    lt_colstats_destroy(&cs);
    /* Statistics are identical on every rank, so this check needs no agreement. */
    for (int64_t j = 0; j < d; j++)
        LT_CHECK(isfinite(s->min[j]) && isfinite(s->max[j]) && isfinite(s->std[j]), LT_ERR_DATA,
                 "scaler: column %lld of the training rows has non-finite values", (long long)j);
    return LT_OK;
}

lt_status lt_scaler_fit(lt_comm *c, lt_scaler_kind kind, double lo, double hi,
                        const lt_dataset *train, lt_scaler **out)
{
    *out = NULL;
    LT_CALL(lt_comm_agree(c, check_fit_args(kind, lo, hi, train)));
    lt_scaler *s = lt_calloc(1, sizeof *s);
    int64_t d = train->d;
    lt_status st = s ? LT_OK : LT_ERR_MEM;
    if (s) {
        s->kind = kind, s->d = d, s->lo = lo, s->hi = hi;
        s->scale = lt_malloc(sizeof(double) * 6 * (size_t)d);
        st = s->scale ? LT_OK : LT_ERR_MEM;
    }
    LT_CALL_GOTO(st, lt_comm_agree(c, st), fail);
    s->shift = s->scale + d, s->min = s->scale + 2 * d, s->max = s->scale + 3 * d;
    s->mean = s->scale + 4 * d, s->std = s->scale + 5 * d;
    LT_CALL_GOTO(st, copy_stats(c, s, train), fail);
    set_coefficients(s, train->n);
    *out = s;
    return LT_OK;
fail:
    lt_scaler_destroy(&s);
    return st;
}

/* x = (float)(x * scale + shift) in double, eight columns per vector
 * operation (no contraction into FMA in ISO C: the same bits as a scalar
 * loop). */
LT_CLONE_BODY void affine_rows_body(float *x, int64_t n, int64_t d, const double *scale,
                                    const double *shift)
{
    for (int64_t i = 0; i < n; i++) {
        float *xi = x + i * d;
        int64_t j = 0;
        for (; j + 8 <= d; j += 8)
            lt_v8d_store_f(xi + j, lt_v8d_load_f(xi + j) * lt_v8d_load(scale + j) +
                                       lt_v8d_load(shift + j));
        for (; j < d; j++) xi[j] = (float)(xi[j] * scale[j] + shift[j]);
    }
}
LT_CLONES(static, void, affine_rows,
          (float *x, int64_t n, int64_t d, const double *scale, const double *shift),
          (x, n, d, scale, shift))

lt_status lt_scaler_apply(const lt_scaler *s, lt_dataset *ds)
{
    LT_CHECK(s && ds, LT_ERR_ARG, "scaler: NULL scaler or dataset");
    LT_CHECK(ds->d == s->d, LT_ERR_ARG, "scaler: fitted on %lld columns, applied to %lld",
             (long long)s->d, (long long)ds->d);
    if (s->kind == LT_SCALER_NONE) return LT_OK;
    affine_rows(ds->x, ds->nloc, ds->d, s->scale, s->shift);
    return LT_OK;
}
