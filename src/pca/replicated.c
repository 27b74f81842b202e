/* The replicated path: every rank forms the Gram matrix of its rows, one
 * allreduce sums them, and every rank runs LAPACK dsyevr (top k pairs) on
 * the same bytes, so every rank gets the same eigenvectors without a
 * broadcast. */
#include "pca_impl.h"
#include "scalapack.h"
#include "latent/lt_simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows i0 .. i0 + m of ds minus mean, in double: eight columns per vector
 * operation (the subtraction is in double either way). */
LT_CLONES
void lt_pca_center_d(const lt_dataset *ds, const double *mean, int64_t i0, int64_t m,
                     double *out)
{
    int64_t d = ds->d;
    const float *x = ds->x + i0 * d;
    for (int64_t i = 0; i < m; i++) {
        int64_t j = 0;
        for (; j + 8 <= d; j += 8)
            lt_v8d_store(out + i * d + j, lt_v8d_load_f(x + i * d + j) - lt_v8d_load(mean + j));
        for (; j < d; j++) out[i * d + j] = (double)x[i * d + j] - mean[j];
    }
}

/* The same, rounded to float. */
LT_CLONES
static void center_f(const lt_dataset *ds, const double *mean, int64_t i0, int64_t m, float *out)
{
    int64_t d = ds->d;
    const float *x = ds->x + i0 * d;
    for (int64_t i = 0; i < m; i++) {
        int64_t j = 0;
        for (; j + 8 <= d; j += 8)
            lt_v8d_store_f(out + i * d + j, lt_v8d_load_f(x + i * d + j) - lt_v8d_load(mean + j));
        for (; j < d; j++) out[i * d + j] = (float)((double)x[i * d + j] - mean[j]);
    }
}

/* Row-major m x d rows are a column-major d x m matrix B: B B^T is their Gram. */
static void gram_double(const lt_dataset *ds, const double *mean, int64_t chunk, double *buf,
                        double *G)
{
    int d = (int)ds->d;
    const double one = 1.0;
    for (int64_t i0 = 0; i0 < ds->nloc; i0 += chunk) {
        int m = (int)(ds->nloc - i0 < chunk ? ds->nloc - i0 : chunk);
        lt_pca_center_d(ds, mean, i0, m, buf);
        dsyrk_("U", "N", &d, &m, &one, buf, &d, &one, G, &d);
    }
}

/* Rows per ssyrk call: each call also writes and adds a d x d Gram, so
 * wide data wants long blocks (about 32 MB of floats, at most 16,384 rows);
 * narrow data streams its block once and wants it to stay in cache (4,096
 * rows). Measured on 200,000 x 784 and 1,000,000 x 50. */
static int64_t mixed_chunk_rows(int64_t d)
{
    if (d <= 128) return 4096;
    int64_t r = ((int64_t)1 << 23) / d;
    return r < 1024 ? 1024 : r > 16384 ? 16384 : r;
}

/* Float ssyrk per block (twice the double rate), each block's Gram added into
 * double so that the rounding error stays that of one block. */
static void gram_mixed(const lt_dataset *ds, const double *mean, int64_t chunk, float *buf,
                       float *Gf, double *G)
{
    int d = (int)ds->d;
    const float one = 1.0f, zero = 0.0f;
    for (int64_t i0 = 0; i0 < ds->nloc; i0 += chunk) {
        int m = (int)(ds->nloc - i0 < chunk ? ds->nloc - i0 : chunk);
        center_f(ds, mean, i0, m, buf);
        ssyrk_("U", "N", &d, &m, &one, buf, &d, &zero, Gf, &d);
        for (int j = 0; j < d; j++)
            for (int i = 0; i <= j; i++) G[(int64_t)j * d + i] += Gf[(int64_t)j * d + i];
    }
}

/* AUTO takes AMX for d >= LT_PCA_AMX_MIN_D where this rank has it (each
 * rank's Gram is its own, so a job mixing CPUs may mix kernels). Below that
 * the AMX kernel is bound by packing its tiles and is no faster than ssyrk
 * (1,000,000 x 50: 0.09-0.14 s vs 0.10-0.13 s; 125,000 x 400: 0.16 vs 0.24
 * s; measured). AMX requested without it is an error from lt_pca_gram_amx,
 * agreed by the caller. */
#define LT_PCA_AMX_MIN_D 128
static int use_amx_kernel(const lt_pca_opts *o, int64_t d)
{
    return o->gram_kernel == LT_PCA_GRAM_AMX ||
           (o->gram_kernel == LT_PCA_GRAM_AUTO && d >= LT_PCA_AMX_MIN_D && lt_pca_amx_available());
}

/* The top k eigenpairs of the (upper) G, destroyed, in descending order:
 * LAPACK's dsyevr for eigenvalues il..iu only (MRRR), which on d = 784, k = 2
 * takes a fraction of the full dsyevd. Z: d x k scratch. */
static lt_status eig_top(double *G, int d, int k, double *w, double *Z, double *lambda, double *V)
{
    int lwork = -1, liwork = -1, info = 0, iq = 0, m = 0, il = d - k + 1, iu = d;
    int *isuppz = lt_malloc(sizeof(int) * (size_t)(2 * k));
    double wq = 0, none = 0, abstol = 0;
    LT_CHECK(isuppz != NULL, LT_ERR_MEM, "out of memory for the eigensolver");
    dsyevr_("V", "I", "U", &d, G, &d, &none, &none, &il, &iu, &abstol, &m, w, Z, &d, isuppz, &wq,
            &lwork, &iq, &liwork, &info);
    if (info != 0) {
        free(isuppz);
        LT_FAIL(LT_ERR_LIB, "dsyevr workspace query failed: info = %d", info);
    }
    lwork = (int)wq + 1;
    liwork = iq + 1;
    double *work = lt_malloc(sizeof(double) * (size_t)lwork);
    int *iwork = lt_malloc(sizeof(int) * (size_t)liwork);
    lt_status st = work && iwork ? LT_OK : LT_ERR_MEM;
    if (st == LT_OK) {
        dsyevr_("V", "I", "U", &d, G, &d, &none, &none, &il, &iu, &abstol, &m, w, Z, &d, isuppz,
                work, &lwork, iwork, &liwork, &info);
        if (info != 0 || m != k)
            st = lt_error_raise(LT_ERR_NUMERIC, __FILE__, __LINE__,
                                "dsyevr failed on the %d x %d covariance (info = %d, %d of %d "
                                "eigenpairs)",
                                d, d, info, m, k);
    }
    for (int i = 0; st == LT_OK && i < k; i++) {
        lambda[i] = w[k - 1 - i];
        memcpy(V + (int64_t)i * d, Z + (int64_t)(k - 1 - i) * d, sizeof(double) * (size_t)d);
    }
    free(work);
    free(iwork);
    free(isuppz);
    return st;
}

/* The summed Gram (upper) is the same bytes on every rank, so this answer is
 * too. Float products overflow from |x - mean| ~ 1.8e19 (double from 1e154). */
static lt_status check_finite(const double *G, int d, int mixed)
{
    for (int j = 0; j < d; j++)
        for (int i = 0; i <= j; i++)
            LT_CHECK(isfinite(G[(int64_t)j * d + i]), LT_ERR_NUMERIC,
                     "the %d x %d Gram matrix overflowed (entry %d, %d): values too large "
                     "for %s precision%s",
                     d, d, i, j, mixed ? "mixed" : "double",
                     mixed ? "; use precision = double or scale the data" : "; scale the data");
    return LT_OK;
}

lt_status lt_pca_solve_replicated(lt_comm *c, const lt_pca_opts *o, const lt_dataset *ds,
                                  const double *mean, int k, double *lambda, double *V,
                                  double *ss, lt_pca_info *info)
{
    int d = (int)ds->d;
    int mixed = o->precision == LT_PCA_MIXED;
    int use_amx = mixed && use_amx_kernel(o, d);
    int64_t chunk = mixed && o->chunk_rows == 0 ? mixed_chunk_rows(d) : lt_pca_chunk_rows(o, d);
    chunk = chunk < ds->nloc ? chunk : (ds->nloc > 0 ? ds->nloc : 1);
    size_t esz = mixed ? sizeof(float) : sizeof(double);
    double *G = lt_calloc((size_t)d * (size_t)d, sizeof(double));
    double *w = lt_calloc((size_t)d, sizeof(double));
    double *Z = lt_calloc((size_t)d * (size_t)k, sizeof(double));
    void *buf = use_amx ? NULL : lt_malloc(esz * (size_t)(chunk * d));
    float *Gf = mixed && !use_amx ? lt_malloc(sizeof(float) * (size_t)d * (size_t)d) : NULL;
    lt_status st = G && w && Z && (buf || use_amx) && (Gf || !mixed || use_amx) ? LT_OK : LT_ERR_MEM;
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    double t0 = lt_wtime();
    if (use_amx)
        st = lt_pca_gram_amx(ds, mean, G);
    else if (mixed)
        gram_mixed(ds, mean, chunk, buf, Gf, G);
    else
        gram_double(ds, mean, chunk, buf, G);
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    info->gram_kernel = use_amx ? LT_PCA_GRAM_AMX : LT_PCA_GRAM_BLAS;
    LT_CALL_GOTO(st, lt_comm_sum_d(c, G, (int64_t)d * d), done);
    LT_CALL_GOTO(st, lt_comm_agree(c, check_finite(G, d, mixed)), done);
    for (int j = 0; j < d; j++) ss[j] = G[(int64_t)j * d + j];
    double t1 = lt_wtime();
    info->seconds_gram = t1 - t0;
    st = lt_comm_agree(c, eig_top(G, d, k, w, Z, lambda, V));
    info->seconds_solve = lt_wtime() - t1;
done:
    free(G);
    free(w);
    free(Z);
    free(buf);
    free(Gf);
    return st;
}
