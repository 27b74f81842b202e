/* Applying a model: local work on each rank's rows, blocked through dgemm
 * in double; only errors are agreed. */
#include "pca_impl.h"
#include "scalapack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { LT_PCA_APPLY_ROWS = 1024 };

static lt_status check_input(lt_comm *c, const lt_pca *p, const lt_dataset *ds, int64_t want,
                             const char *what)
{
    LT_CHECK(p && ds, LT_ERR_ARG, "PCA %s: NULL model or data", what);
    LT_CHECK(ds->d == want, LT_ERR_DATA,
             "PCA %s: the model expects %lld columns, the data has %lld", what, (long long)want,
             (long long)ds->d);
    return lt_dataset_check_finite(c, ds, what);
}

/* St (k x m, column-major = m x k row-major) = V B^T for centered rows B. */
static void scores_d(const lt_pca *p, const double *B, int m, double *S)
{
    int d = (int)p->n_features, k = (int)p->n_components;
    const double one = 1.0, zero = 0.0;
    if (m > 0) dgemm_("T", "N", &k, &m, &d, &one, p->components, &d, B, &d, &zero, S, &k);
}

/* B -= S V (m x d row-major), i.e. the residual of the centered rows. */
static void residual_d(const lt_pca *p, const double *S, int m, double *B)
{
    int d = (int)p->n_features, k = (int)p->n_components;
    const double mone = -1.0, one = 1.0;
    if (m > 0) dgemm_("N", "N", &d, &m, &k, &mone, p->components, &d, S, &k, &one, B, &d);
}

static lt_status buffers(lt_comm *c, const lt_pca *p, double **B, double **S)
{
    *B = lt_malloc(sizeof(double) * LT_PCA_APPLY_ROWS * (size_t)p->n_features);
    *S = lt_malloc(sizeof(double) * LT_PCA_APPLY_ROWS * (size_t)p->n_components);
    lt_status st = lt_comm_agree(c, *B && *S ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) {
        free(*B);
        free(*S);
        *B = *S = NULL;
    }
    return st;
}

lt_status lt_pca_transform(lt_comm *c, const lt_pca *p, const lt_dataset *ds, lt_dataset **out)
{
    *out = NULL;
    LT_CALL(check_input(c, p, ds, p ? p->n_features : 0, "transform"));
    double *B, *S;
    LT_CALL(buffers(c, p, &B, &S));
    lt_status st = lt_dataset_create_like(c, ds, p->n_components, LT_LIKE_COPY_LABELS, out);
    int64_t k = p->n_components;
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_TRANSFORM);
    for (int64_t i0 = 0; st == LT_OK && i0 < ds->nloc; i0 += LT_PCA_APPLY_ROWS) {
        int m = (int)(ds->nloc - i0 < LT_PCA_APPLY_ROWS ? ds->nloc - i0 : LT_PCA_APPLY_ROWS);
        lt_pca_center_d(ds, p->mean, i0, m, B);
        scores_d(p, B, m, S);
        for (int64_t t = 0; t < m * k; t++) (*out)->x[i0 * k + t] = (float)S[t];
    }
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_TRANSFORM, 2.0 * (double)ds->nloc * ds->d * k);
    free(B);
    free(S);
    return st;
}

lt_status lt_pca_inverse_transform(lt_comm *c, const lt_pca *p, const lt_dataset *scores,
                                   lt_dataset **out)
{
    *out = NULL;
    LT_CALL(check_input(c, p, scores, p ? p->n_components : 0, "inverse_transform"));
    double *B, *S;
    LT_CALL(buffers(c, p, &B, &S));
    lt_status st = lt_dataset_create_like(c, scores, p->n_features, LT_LIKE_COPY_LABELS, out);
    int d = (int)p->n_features, k = (int)p->n_components;
    const double one = 1.0, zero = 0.0;
    for (int64_t i0 = 0; st == LT_OK && i0 < scores->nloc; i0 += LT_PCA_APPLY_ROWS) {
        int m = (int)(scores->nloc - i0 < LT_PCA_APPLY_ROWS ? scores->nloc - i0
                                                            : LT_PCA_APPLY_ROWS);
        for (int64_t t = 0; t < (int64_t)m * k; t++) S[t] = scores->x[i0 * k + t];
        dgemm_("N", "N", &d, &m, &k, &one, p->components, &d, S, &k, &zero, B, &d);
        for (int64_t i = 0; i < m; i++)
            for (int j = 0; j < d; j++)
                (*out)->x[(i0 + i) * d + j] = (float)(B[i * d + j] + p->mean[j]);
    }
    free(B);
    free(S);
    return st;
}

lt_status lt_pca_reconstruction_error(lt_comm *c, const lt_pca *p, const lt_dataset *ds,
                                      double *mse, double **row_err)
{
    if (row_err) *row_err = NULL;
    LT_CHECK(mse, LT_ERR_ARG, "PCA reconstruction_error: NULL mse");
    LT_CALL(check_input(c, p, ds, p ? p->n_features : 0, "reconstruction_error"));
    double *B, *S, *rows = row_err ? lt_calloc((size_t)ds->nloc, sizeof(double)) : NULL;
    lt_status st = lt_comm_agree(c, rows || !row_err ? LT_OK : LT_ERR_MEM);
    if (st == LT_OK) st = buffers(c, p, &B, &S);
    if (st != LT_OK) {
        free(rows);
        return st;
    }
    int64_t d = p->n_features;
    double total = 0;
    for (int64_t i0 = 0; i0 < ds->nloc; i0 += LT_PCA_APPLY_ROWS) {
        int m = (int)(ds->nloc - i0 < LT_PCA_APPLY_ROWS ? ds->nloc - i0 : LT_PCA_APPLY_ROWS);
        lt_pca_center_d(ds, p->mean, i0, m, B);
        scores_d(p, B, m, S);
        residual_d(p, S, m, B);
        for (int64_t i = 0; i < m; i++) {
            double e = 0;
            for (int64_t j = 0; j < d; j++) e += B[i * d + j] * B[i * d + j];
            total += e;
            if (rows) rows[i0 + i] = e / (double)d;
        }
    }
    free(B);
    free(S);
    st = lt_comm_sum_d(c, &total, 1);
    if (st != LT_OK) {
        free(rows);
        return st;
    }
    *mse = ds->n > 0 ? total / ((double)ds->n * (double)d) : 0.0; /* no rows: no error */
    if (row_err) *row_err = rows;
    return LT_OK;
}
