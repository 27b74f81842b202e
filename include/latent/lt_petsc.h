/* The optional PETSc/SLEPc backend (src/petsc, built with LATENT_WITH_PETSC;
 * see docs/pca.md and docs/autoencoder.md).
 *
 * PETSc runs on latent's communicator (PETSC_COMM_WORLD = the duplicate that
 * lt_comm_create made), is initialised after MPI_Init and finalised before
 * MPI_Finalize (src/cli/main.c and the test harness). Its errors never abort:
 * an error handler records PETSc's message as latent's error (LT_ERR_LIB) and
 * returns the code, which the caller agrees across ranks. PETSc's signal
 * handler is removed so that sanitizer and core-dump reports stay visible.
 *
 * In a build without PETSc the same names exist: init and finalize do
 * nothing, and lt_petsc_require fails with a message that says how to build
 * with PETSc. */
#ifndef LT_PETSC_H
#define LT_PETSC_H

#include <stdint.h>
#include "lt_comm.h"
#include "lt_error.h"

#define LT_PETSC_BUILD_HINT                                                             \
    "this latent was built without PETSc/SLEPc; install them (Debian: "                  \
    "scripts/install-deps.sh --petsc, i.e. petsc-dev slepc-dev) and rebuild with "       \
    "`cmake --preset petsc` (or -DLATENT_WITH_PETSC=on)"


/* Top-k singular triplets of the implicitly centred matrix X - 1 mean^T by
 * SLEPc's SVD on a shell matrix (the data are neither copied nor centred).
 * X is row-sharded like lt_dataset: either dense (x, nloc x d floats,
 * row-major) or CSR (indptr/indices/data of the local rows). */
typedef enum {
    LT_SVD_TRLANCZOS = 0, /* thick-restart Lanczos bidiagonalisation */
    LT_SVD_CROSS,         /* Krylov-Schur (EPS) on the covariance operator A^T A, one pass a product */
    LT_SVD_RANDOMIZED     /* randomized subspace iteration (Halko et al.) */
} lt_svd_solver;

typedef struct lt_svd_problem {
    int64_t n, d, row0, nloc;
    const float *x;          /* dense shard, or NULL for CSR */
    const int64_t *indptr;   /* CSR shard (nloc + 1 local offsets), when x is NULL */
    const int32_t *indices;
    const float *data;
    const double *mean;      /* d column means (every rank) */
} lt_svd_problem;

typedef struct lt_svd_opts {
    lt_svd_solver solver;
    double tol;              /* SLEPc relative residual tolerance */
    int64_t ncv;             /* subspace size, 0 = automatic */
    int64_t max_it;          /* 0 = SLEPc's default */
} lt_svd_opts;

typedef struct lt_svd_result {
    int64_t iterations, matvecs; /* SLEPc iterations; products with X and X^T */
    double flops;                /* this rank's floating-point operations as PETSc counts
                                    them: latent's operator products (logged by the shell)
                                    and PETSc's/SLEPc's vector and basis operations; not
                                    the LAPACK calls on the small projected problem */
    double max_residual;         /* largest relative error estimate of the k triplets */
} lt_svd_result;


#ifdef LATENT_HAVE_PETSC
/* Collective over c. Initialises PETSc on c's communicator (once per process;
 * a second call with the same communicator does nothing, with another one is
 * LT_ERR_ARG). PETSc sees no command-line arguments; options come from
 * PETSC_OPTIONS as usual. */
lt_status lt_petsc_init(lt_comm *c);
/* Finalises PETSc if lt_petsc_init initialised it. Collective. */
void lt_petsc_finalize(void);
/* 1 in a build with PETSc. */
static inline int lt_petsc_available(void) { return 1; }
/* LT_OK when PETSc is built in and initialised, else LT_ERR_ARG naming
 * `what` (e.g. "[pca] method = slepc"). Local. */
lt_status lt_petsc_require(const char *what);
/* "PETSc 3.18.5, SLEPc 3.18.2". */
void lt_petsc_version(char *buf, size_t cap);
/* LT_OK for a PETSc error code 0; else LT_ERR_LIB, keeping the message the
 * error handler recorded (or making one), with a trace line for expr. */
lt_status lt_petsc_status(int e, const char *file, int line, const char *expr);
/* Collective. sigma (k, descending) and V (k x d right singular vectors as
 * rows, replicated on every rank). Fewer than k converged triplets is
 * LT_ERR_NUMERIC. Without PETSc: LT_ERR_ARG with the build hint. */
lt_status lt_petsc_top_svd(lt_comm *c, const lt_svd_problem *pb, int64_t k,
                           const lt_svd_opts *o, double *sigma, double *V,
                           lt_svd_result *res);
#else
static inline lt_status lt_petsc_init(lt_comm *c) { (void)c; return LT_OK; }
static inline void lt_petsc_finalize(void) {}
static inline int lt_petsc_available(void) { return 0; }
#define lt_petsc_require(what) \
    lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__, "%s needs PETSc/SLEPc: %s", (what), LT_PETSC_BUILD_HINT)
static inline void lt_petsc_version(char *buf, size_t cap)
{
    if (cap) buf[0] = '\0';
}
static inline lt_status lt_petsc_top_svd(lt_comm *c, const lt_svd_problem *pb, int64_t k,
                                         const lt_svd_opts *o, double *sigma, double *V,
                                         lt_svd_result *res)
{
    (void)c, (void)pb, (void)k, (void)o, (void)sigma, (void)V, (void)res;
    return lt_petsc_require("the SLEPc SVD");
}
#endif

#endif
