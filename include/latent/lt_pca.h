/* Principal component analysis of a row-sharded dataset (scikit-learn's PCA
 * semantics: centered data, components as rows, variances with ddof = 1).
 *
 * Methods (see docs/pca.md):
 *   covariance  centered Gram matrix X^T X formed with pdsyrk into a 2-D
 *               block-cyclic d x d matrix, solved with pdsyevd (ScaLAPACK);
 *               per-rank memory O(n d / P + d^2 / P + k d).
 *   svd         pdgesvd of the centered matrix (ScaLAPACK); never forms d x d,
 *               the method for d > n.
 *   replicated  local Gram blocks allreduced into a d x d matrix on every rank,
 *               solved by LAPACK dsyevr: fastest for small d, O(d^2) per rank.
 *   slepc       top-k SVD by SLEPc (Lanczos, Krylov-Schur or randomized) on a
 *               shell matrix that centres implicitly: O(n d / P + k d) per
 *               rank, never forms d x d nor a centred copy; builds with PETSc.
 *   auto        svd when d > n, replicated when d <= opts.replicated_max_d,
 *               else covariance; with PETSc, slepc where it wins (docs/pca.md).
 *
 * Sign convention: each component is flipped so that its entry of largest
 * absolute value (the first such entry on ties) is positive (scikit-learn >=
 * 1.5, svd_flip with u_based_decision=False). It depends only on the
 * component, so results do not change with the rank count. */
#ifndef LT_PCA_H
#define LT_PCA_H

#include <stdint.h>
#include "lt_comm.h"
#include "lt_dataset.h"
#include "lt_error.h"

typedef enum {
    LT_PCA_AUTO = 0,
    LT_PCA_COVARIANCE,
    LT_PCA_SVD,
    LT_PCA_REPLICATED,
    LT_PCA_SLEPC      /* SLEPc truncated SVD of the implicitly centred data (PETSc builds) */
} lt_pca_method;

/* Precision of the Gram matrix on the replicated path (the ScaLAPACK paths
 * are always double). DOUBLE: centered rows in double, dsyrk; the same to
 * 1e-10 for any rank count. MIXED: centered rows rounded to float, ssyrk on
 * row chunks, each chunk added into a double accumulator: 1.6-2x faster,
 * variances within ~1e-8 relative of DOUBLE (measured), but the float
 * rounding depends on where rank boundaries cut the chunks, so results
 * differ across rank counts at about that level. */
typedef enum { LT_PCA_DOUBLE = 0, LT_PCA_MIXED } lt_pca_precision;

/* How MIXED forms the Gram matrix. BLAS: float ssyrk per chunk. AMX: Intel
 * AMX tiles (Sapphire Rapids and later), each float split exactly into three
 * bf16 pieces and the six products of pieces that reach float precision
 * summed; as accurate as BLAS (tested) and 1.4-2x faster on 784 columns
 * (docs/pca.md). AUTO: AMX for d >= 128 where the CPU and kernel offer it,
 * else BLAS. Requesting AMX without it is an error. */
typedef enum { LT_PCA_GRAM_AUTO = 0, LT_PCA_GRAM_BLAS, LT_PCA_GRAM_AMX } lt_pca_gram_kernel;

typedef struct lt_pca_opts {
    int64_t n_components;      /* 2; 1 <= k <= min(n, d) */
    lt_pca_method method;      /* LT_PCA_AUTO */
    int64_t block_size;        /* 64; ScaLAPACK square block (MB = NB), >= 1 */
    int64_t chunk_rows;        /* 0 = auto (2^20 / d, >= 256; mixed: see docs); rows centered at a time */
    int64_t replicated_max_d;  /* 2048; largest d for which auto picks replicated, >= 0 */
    lt_pca_precision precision;/* LT_PCA_DOUBLE */
    lt_pca_gram_kernel gram_kernel; /* LT_PCA_GRAM_AUTO; used by MIXED only */
    int slepc_solver;          /* slepc: lt_svd_solver (lt_petsc.h), default Lanczos */
    double slepc_tol;          /* slepc: relative residual tolerance, 1e-10 */
} lt_pca_opts;

/* What fit did, for the CLI to print and the report to record. */
typedef struct lt_pca_info {
    lt_pca_method method;      /* the method used; AUTO only for a loaded model */
    char reason[256];          /* why: "requested" or auto's rule */
    int nprow, npcol;          /* BLACS grid (1 x 1 on the replicated path) */
    int64_t block_size;
    int64_t n_constant_columns;/* columns with zero variance (accepted, as scikit-learn) */
    int64_t n_null_components; /* components with (numerically) zero variance */
    lt_pca_gram_kernel gram_kernel; /* BLAS or AMX: what formed the Gram matrix */
    int64_t slepc_iterations, slepc_matvecs; /* slepc: solver iterations, products */
    /* Times are the events pca_mean, pca_gram, pca_eigen of the timer attached
     * to the communicator (lt_timer.h): one clock for the table and callers. */
} lt_pca_info;

typedef struct lt_pca {
    int64_t n_samples, n_features, n_components;
    double *mean;                     /* d */
    double *components;               /* k x d, row-major, orthonormal rows */
    double *explained_variance;       /* k, descending, ddof = 1 */
    double *explained_variance_ratio; /* k */
    double *singular_values;          /* k, of the centered training matrix */
    double total_variance;            /* sum of all column variances (ddof = 1) */
    lt_pca_info info;
    int blacs_ctxt;                   /* private: BLACS grid, -1 if none */
} lt_pca;

/* Defaults listed above. Not collective. */
void lt_pca_opts_default(lt_pca_opts *o);
/* "auto" "covariance" "svd" "replicated" <-> enum. Not collective. */
lt_status lt_pca_method_parse(const char *name, lt_pca_method *out);
const char *lt_pca_method_name(lt_pca_method m);
lt_status lt_pca_precision_parse(const char *name, lt_pca_precision *out);
const char *lt_pca_precision_name(lt_pca_precision p);
lt_status lt_pca_gram_kernel_parse(const char *name, lt_pca_gram_kernel *out);
const char *lt_pca_gram_kernel_name(lt_pca_gram_kernel k);
/* slepc solvers: "lanczos" "krylovschur" "randomized" <-> lt_svd_solver. */
lt_status lt_pca_slepc_solver_parse(const char *name, int *out);
const char *lt_pca_slepc_solver_name(int s);
/* 1 when the CPU level is amx (lt_cpu.h: AMX-BF16 tiles, AVX512-BF16 and
 * the kernel's grant, asked once per process; LATENT_ISA can lower it) and
 * this build has the kernel (GCC >= 12). Local. */
int lt_pca_amx_available(void);

/* Collective. Fits on `train` (NaN/Inf rejected, n >= 2, 1 <= k <= min(n, d),
 * total variance > 0). The model's arrays are replicated on every rank. */
lt_status lt_pca_fit(lt_comm *c, const lt_pca_opts *o, const lt_dataset *train, lt_pca **out);
/* Collective. The same model from a row-sharded CSR matrix (lt_sparse.h)
 * without densifying it: method slepc (auto means slepc), the implicitly
 * centred operator of scanpy's ARPACK path. Without PETSc: LT_ERR_ARG that
 * says how to build with it (or densify and use lt_pca_fit). */
struct lt_csr;
lt_status lt_pca_fit_csr(lt_comm *c, const lt_pca_opts *o, const struct lt_csr *train,
                         lt_pca **out);
/* Collective when the model holds a BLACS grid (a fitted model): frees it.
 * Accepts NULL; sets *p to NULL. */
void lt_pca_destroy(lt_pca **p);

/* Collective (agrees errors). New dataset of n x k float scores, sharded like
 * ds, labels copied. ds->d must equal n_features. */
lt_status lt_pca_transform(lt_comm *c, const lt_pca *p, const lt_dataset *ds, lt_dataset **out);
/* Collective. n x d reconstruction mean + scores * components; scores->d must
 * equal n_components. Labels copied. */
lt_status lt_pca_inverse_transform(lt_comm *c, const lt_pca *p, const lt_dataset *scores,
                                   lt_dataset **out);
/* Collective. Mean squared error over all n * d entries of
 * ds - inverse_transform(transform(ds)), in double from the float data (the
 * scores are not rounded to float). If row_err is not NULL it receives a
 * new array (free()) of ds->nloc per-row errors (mean over the d columns) for
 * this rank's rows; never NULL on success, even when nloc == 0. */
lt_status lt_pca_reconstruction_error(lt_comm *c, const lt_pca *p, const lt_dataset *ds,
                                      double *mse, double **row_err);

/* Collective. HDF5 written by rank 0 to "<path>.tmp.<pid>" then renamed.
 * Datasets mean, components, explained_variance, explained_variance_ratio,
 * singular_values; root attributes format = "latent-pca", version = 1,
 * n_samples, n_features, n_components, total_variance, method. */
lt_status lt_pca_save(lt_comm *c, const lt_pca *p, const char *path);
/* Collective. Rank 0 reads and validates (format, version, every shape
 * against the attributes, finite values), then broadcasts. The loaded model
 * has no BLACS grid. */
lt_status lt_pca_load(lt_comm *c, const char *path, lt_pca **out);

#endif
