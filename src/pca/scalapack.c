/* The ScaLAPACK paths. The row shards (rank r holds rows [r mb, (r+1) mb),
 * row-major) are, read column-major, the matrix X^T (d x n) in column blocks
 * of mb on a 1 x P grid: ScaLAPACK's own 1-D block layout, so no copy is
 * needed to describe them. No rank holds a full d x d or n x d matrix. */
#include "pca_impl.h"
#include "scalapack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static lt_status desc(int *dsc, int m, int n, int mb, int nb, int ctxt, int lld)
{
    int zero = 0, info = 0;
    lld = lld > 1 ? lld : 1;
    descinit_(dsc, &m, &n, &mb, &nb, &zero, &zero, &ctxt, &lld, &info);
    LT_CHECK(info == 0, LT_ERR_LIB, "descinit for a %d x %d matrix failed: info = %d", m, n, info);
    return LT_OK;
}

static int nroc(int n, int nb, int p, int np)
{
    int zero = 0;
    return numroc_(&n, &nb, &p, &zero, &np);
}

/* Columns [j0, j0 + k) of the 2-D distributed Z (d rows, local leading
 * dimension lld) into rows of V (k x d), on every rank: each entry is owned
 * by one rank, so a sum over ranks is an exact gather. Reversed order if rev. */
static lt_status gather_columns(lt_comm *c, const lt_pca_grid *g, const double *Z, int lld,
                                int d, int ncols, int nb, int j0, int k, int rev, double *V)
{
    memset(V, 0, sizeof(double) * (size_t)k * (size_t)d);
    int mloc = nroc(d, nb, g->myrow, g->nprow), nloc = nroc(ncols, nb, g->mycol, g->npcol);
    for (int lj = 0; lj < nloc; lj++) {
        int64_t gj = lt_pca_l2g(lj, nb, g->mycol, g->npcol);
        if (gj < j0 || gj >= j0 + k) continue;
        int64_t row = rev ? j0 + k - 1 - gj : gj - j0;
        for (int li = 0; li < mloc; li++)
            V[row * d + lt_pca_l2g(li, nb, g->myrow, g->nprow)] = Z[li + (int64_t)lj * lld];
    }
    return lt_comm_sum_d(c, V, (int64_t)k * d);
}

static lt_status redistribute(lt_comm *c, const lt_pca_grid *g, int m, int n, const double *a,
                              const int *da, double *b, const int *db)
{
    int one = 1;
    double t0 = lt_wtime();
    pdgemr2d_(&m, &n, a, &one, &one, da, b, &one, &one, db, &g->ctxt1d);
    lt_comm_charge(c, lt_wtime() - t0, 8 * (int64_t)m * n / lt_comm_size(c));
    return LT_OK;
}

/* G (d x d, upper, 2-D) = sum over row chunks of pdsyrk on 1 x P. Chunk j is
 * the d x (P r) matrix whose rank-p column block is rank p's local rows
 * [j r, j r + r) centered (zero-padded): the order of the columns does not
 * matter to a Gram matrix, so every chunk uses all ranks. */
static lt_status gram(lt_comm *c, const lt_pca_opts *o, const lt_pca_grid *g,
                      const lt_dataset *ds, const double *mean, int nb, double *G, const int *dG)
{
    int d = (int)ds->d, P = lt_comm_size(c), one = 1;
    int64_t maxloc = ds->nloc;
    LT_CALL(lt_comm_max_i64(c, &maxloc, 1));
    int64_t want = lt_pca_chunk_rows(o, d);
    int r = (int)(want < maxloc ? want : maxloc);
    int wide = P * r, ccols = nroc(d, nb, lt_comm_rank(c), P);
    double *A = lt_calloc((size_t)d * (size_t)r, sizeof(double));
    double *C = lt_calloc((size_t)d * (size_t)(ccols > 0 ? ccols : 1), sizeof(double));
    int dA[9], dC[9];
    lt_status st = A && C ? LT_OK : LT_ERR_MEM;
    if (st == LT_OK) st = desc(dA, d, wide, d, r, g->ctxt1d, d);
    if (st == LT_OK) st = desc(dC, d, d, nb, nb, g->ctxt1d, d);
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    for (int64_t i0 = 0; i0 < maxloc; i0 += r) {
        int64_t m = ds->nloc - i0 < r ? ds->nloc - i0 : r;
        m = m > 0 ? m : 0;
        lt_pca_center_d(ds, mean, i0, m, A);
        memset(A + m * d, 0, sizeof(double) * (size_t)((r - m) * d));
        double alpha = 1.0, beta = i0 == 0 ? 0.0 : 1.0;
        pdsyrk_("U", "N", &d, &wide, &alpha, A, &one, &one, dA, &beta, C, &one, &one, dC);
    }
    LT_CALL_GOTO(st, redistribute(c, g, d, d, C, dC, G, dG), done);
done:
    free(A);
    free(C);
    return st;
}

/* The diagonal of the 2-D distributed G on every rank (an exact sum). */
static lt_status diagonal(lt_comm *c, const lt_pca_grid *g, const double *G, int lld, int d,
                          int nb, double *ss)
{
    memset(ss, 0, sizeof(double) * (size_t)d);
    int mloc = nroc(d, nb, g->myrow, g->nprow), nloc = nroc(d, nb, g->mycol, g->npcol);
    for (int lj = 0; lj < nloc; lj++) {
        int64_t gj = lt_pca_l2g(lj, nb, g->mycol, g->npcol);
        for (int li = 0; li < mloc; li++)
            if (lt_pca_l2g(li, nb, g->myrow, g->nprow) == gj) ss[gj] = G[li + (int64_t)lj * lld];
    }
    return lt_comm_sum_d(c, ss, d);
}

static lt_status syevd(lt_comm *c, int d, double *G, const int *dG, double *w, double *Z,
                       const int *dZ, int extra)
{
    int one = 1, lwork = -1, liwork = -1, info = 0, iq = 0;
    double wq = 0;
    pdsyevd_("V", "U", &d, G, &one, &one, dG, w, Z, &one, &one, dZ, &wq, &lwork, &iq, &liwork,
             &info);
    lt_status st = info == 0 ? LT_OK
                             : lt_error_raise(LT_ERR_LIB, __FILE__, __LINE__,
                                              "pdsyevd workspace query: info = %d", info);
    /* Measured on 2.2.1: the query omits the back-transformation's workspace
     * when one block covers d ("PDORMTR parameter 16", wrong vectors, info 0):
     * add PDORMTR's own minimum. */
    lwork = (int)wq + extra + 1024;
    liwork = iq + 1024;
    double *work = st == LT_OK ? lt_malloc(sizeof(double) * (size_t)lwork) : NULL;
    int *iwork = st == LT_OK ? lt_malloc(sizeof(int) * (size_t)liwork) : NULL;
    if (st == LT_OK && (!work || !iwork)) st = LT_ERR_MEM;
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    pdsyevd_("V", "U", &d, G, &one, &one, dG, w, Z, &one, &one, dZ, work, &lwork, iwork, &liwork,
             &info);
    if (info != 0)
        st = lt_error_raise(LT_ERR_NUMERIC, __FILE__, __LINE__,
                            "pdsyevd failed on the %d x %d covariance: info = %d", d, d, info);
    st = lt_comm_agree(c, st);
done:
    free(work);
    free(iwork);
    return st;
}

lt_status lt_pca_solve_covariance(lt_comm *c, const lt_pca_opts *o, const lt_pca_grid *g,
                                  const lt_dataset *ds, const double *mean, int k,
                                  double *lambda, double *V, double *ss, lt_pca_info *info)
{
    int d = (int)ds->d, nb = (int)(o->block_size < d ? o->block_size : d);
    int mloc = nroc(d, nb, g->myrow, g->nprow), nloc = nroc(d, nb, g->mycol, g->npcol);
    size_t sz = (size_t)(mloc > 0 ? mloc : 1) * (size_t)(nloc > 0 ? nloc : 1);
    double *G = lt_calloc(sz, sizeof(double)), *Z = lt_calloc(sz, sizeof(double));
    double *w = lt_calloc((size_t)d, sizeof(double));
    int dG[9];
    lt_status st = G && Z && w ? LT_OK : LT_ERR_MEM;
    double flops = 0; /* this rank's share of pdsyevd's known terms */
    if (st == LT_OK) st = desc(dG, d, d, nb, nb, g->ctxt2d, mloc);
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    info->block_size = nb;
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_GRAM);
    st = gram(c, o, g, ds, mean, nb, G, dG);
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_GRAM, (double)ds->nloc * d * (d + 1));
    if (st != LT_OK) goto done;
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_EIGEN);
    LT_CALL_GOTO(st, diagonal(c, g, G, dG[8], d, nb, ss), done);
    /* Sized on the largest local block (process 0's), as PDORMTR checks it. */
    int extra = nb * nb + 2 * nb * (nroc(d, nb, 0, g->nprow) + nroc(d, nb, 0, g->npcol));
    LT_CALL_GOTO(st, syevd(c, d, G, dG, w, Z, dG, extra), done);
    flops = lt_pca_eigen_flops(d, d) / lt_comm_size(c);
    /* Measured: with a grid column that owns no block of G (d <= nb), W on
     * that column came back wrong. Rank 0 owns block (0, 0): take its copy. */
    LT_CALL_GOTO(st, lt_comm_bcast(c, w, 8 * (int64_t)d, 0), done);
    LT_CALL_GOTO(st, gather_columns(c, g, Z, dG[8], d, d, nb, d - k, k, 1, V), done);
    for (int i = 0; i < k; i++) lambda[i] = w[d - 1 - i];
done:
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_EIGEN, flops);
    free(G);
    free(Z);
    free(w);
    return st;
}

static lt_status gesvd(lt_comm *c, int d, int n, double *A, const int *dA, double *s, double *U,
                       const int *dU, int extra)
{
    int one = 1, lwork = -1, info = 0;
    double wq = 0, vt = 0;
    pdgesvd_("V", "N", &d, &n, A, &one, &one, dA, s, U, &one, &one, dU, &vt, &one, &one, dU, &wq,
             &lwork, &info);
    lt_status st = info == 0 ? LT_OK
                             : lt_error_raise(LT_ERR_LIB, __FILE__, __LINE__,
                                              "pdgesvd workspace query: info = %d", info);
    lwork = (int)wq + extra + 1024; /* the same slack as for pdsyevd */
    double *work = st == LT_OK ? lt_malloc(sizeof(double) * (size_t)lwork) : NULL;
    if (st == LT_OK && !work) st = LT_ERR_MEM;
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    pdgesvd_("V", "N", &d, &n, A, &one, &one, dA, s, U, &one, &one, dU, &vt, &one, &one, dU, work,
             &lwork, &info);
    if (info != 0)
        st = lt_error_raise(LT_ERR_NUMERIC, __FILE__, __LINE__,
                            "pdgesvd failed on the centered %d x %d matrix: info = %d", n, d, info);
    st = lt_comm_agree(c, st);
done:
    free(work);
    return st;
}

static lt_status sum_squares(lt_comm *c, const lt_dataset *ds, const double *mean, double *ss)
{
    memset(ss, 0, sizeof(double) * (size_t)ds->d);
    lt_column_sq_dev(ds->x, ds->nloc, ds->d, mean, ss);
    return lt_comm_sum_d(c, ss, ds->d);
}

/* Centered X^T in the shard layout, moved to square blocks on the 2-D grid
 * (pdgesvd needs MB == NB). Its left singular vectors are the components. */
static lt_status load_centered(lt_comm *c, const lt_pca_grid *g, const lt_dataset *ds,
                               const double *mean, double *A2, const int *dA2)
{
    int d = (int)ds->d, n = (int)ds->n, mb = (int)((ds->n + lt_comm_size(c) - 1) / lt_comm_size(c));
    double *A1 = lt_calloc((size_t)(ds->nloc > 0 ? ds->nloc : 1) * (size_t)d, sizeof(double));
    int dA1[9];
    lt_status st = A1 ? LT_OK : LT_ERR_MEM;
    if (st == LT_OK) st = desc(dA1, d, n, d, mb, g->ctxt1d, d);
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    lt_pca_center_d(ds, mean, 0, ds->nloc, A1);
    LT_CALL_GOTO(st, redistribute(c, g, d, n, A1, dA1, A2, dA2), done);
done:
    free(A1);
    return st;
}

lt_status lt_pca_solve_svd(lt_comm *c, const lt_pca_opts *o, const lt_pca_grid *g,
                           const lt_dataset *ds, const double *mean, int k, double *lambda,
                           double *V, double *ss, lt_pca_info *info)
{
    int d = (int)ds->d, n = (int)ds->n, mn = d < n ? d : n;
    int nb = (int)(o->block_size < mn ? o->block_size : mn);
    int mloc = nroc(d, nb, g->myrow, g->nprow), aloc = nroc(n, nb, g->mycol, g->npcol);
    int uloc = nroc(mn, nb, g->mycol, g->npcol);
    size_t rows = (size_t)(mloc > 0 ? mloc : 1);
    double *A = lt_calloc(rows * (size_t)(aloc > 0 ? aloc : 1), sizeof(double));
    double *U = lt_calloc(rows * (size_t)(uloc > 0 ? uloc : 1), sizeof(double));
    double *s = lt_calloc((size_t)mn, sizeof(double));
    int dA[9], dU[9];
    lt_status st = A && U && s ? LT_OK : LT_ERR_MEM;
    double flops = 0; /* this rank's share of pdgesvd's bidiagonal reduction */
    if (st == LT_OK) st = desc(dA, d, n, nb, nb, g->ctxt2d, mloc);
    if (st == LT_OK) st = desc(dU, d, mn, nb, nb, g->ctxt2d, mloc);
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    info->block_size = nb;
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_GRAM);
    st = sum_squares(c, ds, mean, ss);
    if (st == LT_OK) st = load_centered(c, g, ds, mean, A, dA);
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_GRAM, 0);
    if (st != LT_OK) goto done;
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_EIGEN);
    LT_CALL_GOTO(st, gesvd(c, d, n, A, dA, s, U, dU, nb * nb + 2 * nb * (nroc(d, nb, 0, g->nprow) + nroc(mn, nb, 0, g->npcol))),
                  done);
    flops = lt_pca_svd_flops(d, n) / lt_comm_size(c);
    LT_CALL_GOTO(st, lt_comm_bcast(c, s, 8 * (int64_t)mn, 0), done); /* as for pdsyevd's W */
    LT_CALL_GOTO(st, gather_columns(c, g, U, dU[8], d, mn, nb, 0, k, 0, V), done);
    for (int i = 0; i < k; i++) lambda[i] = s[i] * s[i];
done:
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_EIGEN, flops);
    free(A);
    free(U);
    free(s);
    return st;
}
