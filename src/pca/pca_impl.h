/* Private to src/pca: the solvers behind lt_pca_fit. Each solver returns,
 * replicated on every rank, the top k eigenvalues of the centered Gram matrix
 * X_c^T X_c in descending order (lambda, k) and their eigenvectors as rows of
 * V (k x d, row-major, unnormalised sign), and the centered column sums of
 * squares ss (d, the Gram diagonal). All are collective and agree their
 * errors before returning. */
#ifndef LT_PCA_IMPL_H
#define LT_PCA_IMPL_H

#include "latent/lt_pca.h"

typedef struct lt_pca_grid {
    int ctxt2d;           /* nprow x npcol, the d x d work */
    int ctxt1d;           /* 1 x P: the row shards, seen as X^T (d x n) in column blocks */
    int nprow, npcol, myrow, mycol;
} lt_pca_grid;

/* A model with zeroed arrays and no grid (local; the caller agrees). */
lt_status lt_pca_alloc(int64_t d, int64_t k, lt_pca **out);

/* Rows per centered block: opts.chunk_rows, or automatic when 0. */
int64_t lt_pca_chunk_rows(const lt_pca_opts *o, int64_t d);

/* out (m x d, row-major) = rows [i0, i0 + m) of the shard minus mean, in double. */
void lt_pca_center_d(const lt_dataset *ds, const double *mean, int64_t i0, int64_t m,
                     double *out);

/* Collective: sums (d, this rank's column sums) becomes the column means of
 * all ranks' rows; a non-finite value anywhere is an agreed LT_ERR_DATA
 * naming its row and column. */
lt_status lt_pca_mean_from_sums(lt_comm *c, const lt_dataset *ds, double *sums);

/* The AMX Gram kernel (gram_amx.c), local. create: LT_ERR_ARG without AMX,
 * LT_ERR_MEM. add: accumulates sum over rows x[0 .. m) (finite, row-major,
 * d columns) of (x - center)(x - center)^T in float precision. finish: G (d
 * x d, column-major, upper) += the accumulated sum, which restarts at 0. */
typedef struct lt_pca_amx lt_pca_amx;
lt_status lt_pca_amx_create(int64_t d, lt_pca_amx **out);
void lt_pca_amx_add(lt_pca_amx *g, const float *x, int64_t m, const float *center);
void lt_pca_amx_finish(lt_pca_amx *g, double *G);
void lt_pca_amx_destroy(lt_pca_amx **g);

/* FLOPs of an eigensolver's known terms, for the pca_eigen event (LAPACK
 * Working Note 41): the reduction of the d x d matrix to tridiagonal form,
 * 4/3 d^3, and the back-transformation of k eigenvectors, 2 d^2 k. The
 * tridiagonal solve between them (MRRR, divide and conquer) depends on the
 * spectrum and is left out. For the SVD (d x n, n >= d): the reduction to
 * bidiagonal form, 4 n d^2 - 4/3 d^3. */
double lt_pca_eigen_flops(int64_t d, int64_t k);
double lt_pca_svd_flops(int64_t d, int64_t n);

/* Also computes the column means (mean, out), in the same pass as the Gram. */
lt_status lt_pca_solve_replicated(lt_comm *c, const lt_pca_opts *o, const lt_dataset *ds,
                                  double *mean, int k, double *lambda, double *V,
                                  double *ss, lt_pca_info *info);
lt_status lt_pca_solve_covariance(lt_comm *c, const lt_pca_opts *o, const lt_pca_grid *g,
                                  const lt_dataset *ds, const double *mean, int k,
                                  double *lambda, double *V, double *ss,
                                  lt_pca_info *info);
lt_status lt_pca_solve_svd(lt_comm *c, const lt_pca_opts *o, const lt_pca_grid *g,
                           const lt_dataset *ds, const double *mean, int k, double *lambda,
                           double *V, double *ss, lt_pca_info *info);

/* After a solver: total variance and constant columns from ss (an agreed
 * LT_ERR_DATA when zero; local), then variances, ratios, singular values and
 * the sign rule from the eigenpairs (local). */
lt_status lt_pca_variance_stats(lt_pca *p, const double *ss);
void lt_pca_finish(lt_pca *p, const double *lambda, const double *V);
/* The end of every fit, given the solver's status st: the two above, then
 * *out = p, or p destroyed on failure; work (holding lambda, V, ss) is
 * freed either way. Returns the status. */
lt_status lt_pca_conclude(lt_status st, lt_pca *p, double *work, const double *lambda,
                          const double *V, const double *ss, lt_pca **out);

/* slepc.c: the top k of SLEPc's truncated SVD (lt_petsc.h), squared. Without
 * PETSc an agreed LT_ERR_ARG that says how to build with it. */
lt_status lt_pca_solve_slepc(lt_comm *c, const lt_pca_opts *o, const lt_dataset *ds,
                             const double *mean, int k, double *lambda, double *V, double *ss,
                             lt_pca_info *info);

/* Global index of local index l in a block-cyclic dimension (source 0). */
static inline int64_t lt_pca_l2g(int64_t l, int nb, int p, int np)
{
    return (l / nb) * (int64_t)nb * np + (int64_t)p * nb + l % nb;
}

#endif
