/* The replicated path: every rank forms the Gram matrix of its rows, one
 * allreduce sums them, and every rank runs LAPACK dsyevr (top k pairs) on
 * the same bytes, so every rank gets the same eigenvectors without a
 * broadcast.
 *
 * One pass over the rows: each block of rows is centered on its own mean
 * (summed while the block is in cache) and its Gram matrix formed; the
 * global mean follows from the block sums, and the exact correction
 *   sum (x - mean)(x - mean)^T = sum over blocks b of
 *     [sum (x - c_b)(x - c_b)^T - n_b (m_b - c_b)(m_b - c_b)^T
 *      + n_b (m_b - mean)(m_b - mean)^T]
 * (block mean m_b, center c_b: m_b itself, or m_b rounded to float for the
 * AMX kernel) is two rank-nb updates in double. This saves the separate
 * mean pass over the data (a third of a 1,000,000 x 50 fit) and is as
 * accurate: each block is centered on a mean closer to its rows. */
#include "pca_impl.h"
#include "scalapack.h"
#include "latent/lt_simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows i0 .. i0 + m of ds minus mean, in double: eight columns per vector
 * operation (the subtraction is in double either way), stored as double
 * (od) or rounded to float (of, when od is NULL). Inlined into each clone,
 * where the branch on od is loop-invariant. */
LT_CLONE_BODY void center_body(const lt_dataset *ds, const double *mean, int64_t i0, int64_t m,
                               double *od, float *of)
{
    int64_t d = ds->d;
    const float *x = ds->x + i0 * d;
    for (int64_t i = 0; i < m; i++) {
        int64_t j = 0;
        for (; j + 8 <= d; j += 8) {
            lt_v8d v = lt_v8d_load_f(x + i * d + j) - lt_v8d_load(mean + j);
            if (od) lt_v8d_store(od + i * d + j, v);
            else lt_v8d_store_f(of + i * d + j, v);
        }
        for (; j < d; j++) {
            double v = (double)x[i * d + j] - mean[j];
            if (od) od[i * d + j] = v;
            else of[i * d + j] = (float)v;
        }
    }
}

LT_CLONE_BODY void lt_pca_center_d_body(const lt_dataset *ds, const double *mean, int64_t i0,
                                        int64_t m, double *out)
{
    center_body(ds, mean, i0, m, out, NULL);
}
LT_CLONES(, void, lt_pca_center_d,
          (const lt_dataset *ds, const double *mean, int64_t i0, int64_t m, double *out),
          (ds, mean, i0, m, out))

/* The same, rounded to float. */
LT_CLONE_BODY void center_f_body(const lt_dataset *ds, const double *mean, int64_t i0, int64_t m,
                                 float *out)
{
    center_body(ds, mean, i0, m, NULL, out);
}
LT_CLONES(static, void, center_f,
          (const lt_dataset *ds, const double *mean, int64_t i0, int64_t m, float *out),
          (ds, mean, i0, m, out))

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

#define LT_PCA_AMX_CHUNK 4096 /* rows per AMX block mean (as its flushes) */

/* What one rank's pass needs: the kernel, its scratch, and per block of
 * rows its mean and, for AMX, the float center its rows were taken from
 * (both nb x d; the other kernels center on the mean itself). */
typedef struct gram_pass {
    int d, mixed;
    int64_t chunk, nb;
    lt_pca_amx *amx;   /* the AMX kernel, or NULL */
    void *buf;         /* a centered chunk, float (mixed) or double */
    float *Gf, *cf;    /* ssyrk's float Gram; the AMX center in float */
    double *bmean, *bcenter, *W;
} gram_pass;

/* Safe on a zeroed or already destroyed pass. */
static void gram_pass_destroy(gram_pass *g)
{
    lt_pca_amx_destroy(&g->amx);
    free(g->buf);
    free(g->Gf);
    free(g->cf);
    free(g->bmean);
    free(g->bcenter);
    free(g->W);
    memset(g, 0, sizeof *g);
}

/* Local; the caller agrees the status. */
static lt_status gram_pass_create(const lt_pca_opts *o, const lt_dataset *ds, int use_amx,
                                  gram_pass *g)
{
    memset(g, 0, sizeof *g);
    int64_t d = ds->d;
    g->d = (int)d;
    g->mixed = o->precision == LT_PCA_MIXED;
    g->chunk = use_amx ? LT_PCA_AMX_CHUNK
               : g->mixed && o->chunk_rows == 0 ? mixed_chunk_rows(d)
                                                 : lt_pca_chunk_rows(o, d);
    g->chunk = g->chunk < ds->nloc ? g->chunk : (ds->nloc > 0 ? ds->nloc : 1);
    g->nb = (ds->nloc + g->chunk - 1) / g->chunk;
    size_t nbd = (size_t)((g->nb > 0 ? g->nb : 1) * d);
    g->bmean = lt_calloc(nbd, sizeof(double));
    g->W = lt_calloc(nbd, sizeof(double));
    lt_status st = g->bmean && g->W ? LT_OK : LT_ERR_MEM;
    if (st == LT_OK && use_amx) {
        st = lt_pca_amx_create(d, &g->amx);
        g->cf = lt_malloc(sizeof(float) * (size_t)d);
        g->bcenter = lt_calloc(nbd, sizeof(double));
        st = st == LT_OK && !(g->cf && g->bcenter) ? LT_ERR_MEM : st;
    } else if (st == LT_OK) {
        g->buf = lt_malloc((g->mixed ? sizeof(float) : sizeof(double)) * (size_t)(g->chunk * d));
        g->Gf = g->mixed ? lt_malloc(sizeof(float) * (size_t)(d * d)) : NULL;
        st = g->buf && (g->Gf || !g->mixed) ? LT_OK : LT_ERR_MEM;
    }
    if (st != LT_OK) gram_pass_destroy(g);
    return st;
}

/* G += sum over rows [i0, i0 + m) of (x - c)(x - c)^T: c = their mean m_b
 * (double and mixed), or m_b in float (AMX, recorded in cb). */
static void gram_block(gram_pass *g, const lt_dataset *ds, int64_t i0, int64_t m,
                       const double *mb, double *cb, double *G)
{
    int d = g->d, mi = (int)m;
    if (g->amx) {
        for (int j = 0; j < d; j++) cb[j] = g->cf[j] = (float)mb[j];
        lt_pca_amx_add(g->amx, ds->x + i0 * d, m, g->cf);
    } else if (g->mixed) {
        const float one = 1.0f, zero = 0.0f;
        center_f(ds, mb, i0, m, g->buf);
        ssyrk_("U", "N", &d, &mi, &one, g->buf, &d, &zero, g->Gf, &d);
        for (int j = 0; j < d; j++)
            for (int i = 0; i <= j; i++) G[(int64_t)j * d + i] += g->Gf[(int64_t)j * d + i];
    } else {
        const double one = 1.0;
        lt_pca_center_d(ds, mb, i0, m, g->buf);
        dsyrk_("U", "N", &d, &mi, &one, g->buf, &d, &one, G, &d);
    }
}

/* G += sum over blocks of alpha n_b (u_b - v_b)(u_b - v_b)^T, one dsyrk. */
static void block_update(gram_pass *g, const lt_dataset *ds, const double *u, const double *v,
                         int vstride, double alpha, double *G)
{
    int d = g->d, nb = (int)g->nb;
    for (int64_t b = 0; b < g->nb; b++) {
        int64_t m = ds->nloc - b * g->chunk < g->chunk ? ds->nloc - b * g->chunk : g->chunk;
        double s = sqrt((double)m);
        for (int j = 0; j < d; j++)
            g->W[b * d + j] = s * (u[b * d + j] - v[b * vstride + j]);
    }
    const double one = 1.0;
    if (nb > 0) dsyrk_("U", "N", &d, &nb, &alpha, g->W, &d, &one, G, &d);
}

/* Collective. G (local, upper) = this rank's part of the centered Gram;
 * mean = the column means of all ranks' rows (agreed errors). */
static lt_status gram_and_mean(lt_comm *c, gram_pass *g, const lt_dataset *ds, double *mean,
                               double *G)
{
    int d = g->d;
    memset(mean, 0, sizeof(double) * (size_t)d);
    for (int64_t b = 0; b < g->nb; b++) {
        int64_t i0 = b * g->chunk, m = ds->nloc - i0 < g->chunk ? ds->nloc - i0 : g->chunk;
        double *mb = g->bmean + b * d;
        lt_column_sums(ds->x + i0 * d, m, d, mb);
        for (int j = 0; j < d; j++) mean[j] += mb[j], mb[j] /= (double)m;
        gram_block(g, ds, i0, m, mb, g->amx ? g->bcenter + b * d : NULL, G);
    }
    if (g->amx) lt_pca_amx_finish(g->amx, G);
    LT_CALL(lt_pca_mean_from_sums(c, ds, mean));
    if (g->amx) block_update(g, ds, g->bmean, g->bcenter, d, -1.0, G);
    block_update(g, ds, g->bmean, mean, 0, 1.0, G);
    return LT_OK;
}

/* AUTO takes AMX for d >= LT_PCA_AMX_MIN_D where this rank has it (each
 * rank's Gram is its own, so a job mixing CPUs may mix kernels). Below that
 * the AMX kernel is bound by packing its tiles and is no faster than ssyrk
 * (1,000,000 x 50: 0.09-0.14 s vs 0.10-0.13 s), above it is (125,000 x 400:
 * 0.16 vs 0.24 s; 200,000 x 784: 0.84-0.94 vs 1.32-1.67 s). AMX requested
 * without it is an error from lt_pca_amx_create, agreed by the caller. */
#define LT_PCA_AMX_MIN_D 128
static int use_amx_kernel(const lt_pca_opts *o, int64_t d)
{
    return o->gram_kernel == LT_PCA_GRAM_AMX ||
           (o->gram_kernel == LT_PCA_GRAM_AUTO && d >= LT_PCA_AMX_MIN_D && lt_pca_amx_available());
}

double lt_pca_eigen_flops(int64_t d, int64_t k)
{
    double x = (double)d;
    return 4.0 / 3.0 * x * x * x + 2.0 * x * x * (double)k;
}

double lt_pca_svd_flops(int64_t d, int64_t n)
{
    double x = (double)(d < n ? d : n), y = (double)(d < n ? n : d);
    return 4.0 * y * x * x - 4.0 / 3.0 * x * x * x;
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
                                  double *mean, int k, double *lambda, double *V, double *ss,
                                  lt_pca_info *info)
{
    int d = (int)ds->d;
    int use_amx = o->precision == LT_PCA_MIXED && use_amx_kernel(o, d);
    gram_pass g;
    lt_status st = gram_pass_create(o, ds, use_amx, &g);
    double *G = lt_calloc((size_t)d * (size_t)d, sizeof(double));
    double *w = lt_calloc((size_t)d, sizeof(double));
    double *Z = lt_calloc((size_t)d * (size_t)k, sizeof(double));
    if (st == LT_OK && !(G && w && Z)) st = LT_ERR_MEM;
    st = lt_comm_agree(c, st); /* on failure here or elsewhere, done: frees g */
    if (st != LT_OK) goto done;
    /* The event covers the reduction of G too (as on the ScaLAPACK path). */
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_GRAM);
    st = gram_and_mean(c, &g, ds, mean, G);
    gram_pass_destroy(&g);
    info->gram_kernel = use_amx ? LT_PCA_GRAM_AMX : LT_PCA_GRAM_BLAS;
    if (st == LT_OK) st = lt_comm_sum_d(c, G, (int64_t)d * d);
    if (st == LT_OK) st = lt_comm_agree(c, check_finite(G, d, o->precision == LT_PCA_MIXED));
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_GRAM, (double)ds->nloc * d * (d + 1));
    if (st != LT_OK) goto done;
    for (int j = 0; j < d; j++) ss[j] = G[(int64_t)j * d + j];
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_EIGEN);
    st = lt_comm_agree(c, eig_top(G, d, k, w, Z, lambda, V));
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_EIGEN, lt_pca_eigen_flops(d, k));
done:
    gram_pass_destroy(&g);
    free(G);
    free(w);
    free(Z);
    return st;
}
