/* Truncated SVD of implicitly centred, row-sharded data with SLEPc.
 *
 * The operator is a MATSHELL A = X - 1 mean^T over latent's own shard (dense
 * float rows or CSR): A v = X v - 1 (mean . v) and A^T u = X^T u - mean
 * (1 . u), so the data are never copied, centred or densified. PETSc
 * distributes the d-vectors in its own layout; each product gathers the
 * whole d-vector on every rank (one all-gather) or sums the per-rank X^T u
 * into it (one reduce-scatter), as scanpy's ARPACK operator does in one
 * process. Kernels read the float data once per product with double
 * accumulation, 4 rows at a time so the d-vector is read once per 4 rows. */
#include "petsc_impl.h"

#include <slepceps.h>
#include <slepcsvd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "latent/lt_simd.h"

typedef struct shell {
    const lt_svd_problem *pb;
    Vec full;           /* the whole d-vector on every rank (sequential) */
    VecScatter to_all;  /* distributed d-vector <-> full */
    double *work;       /* d, the covariance operator's partial sums */
    int64_t matvecs;    /* passes over the data */
} shell;

/* y[i] = x_i . v - shift for rows i < m (dense, row-major, d columns). */
LT_CLONE_BODY void dense_mult_body(const float *x, int64_t m, int64_t d, const double *v,
                                   double shift, double *y)
{
    int64_t i = 0, d8 = d & ~(int64_t)7;
    for (; i + 4 <= m; i += 4) {
        const float *r0 = x + i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
        lt_v8d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        for (int64_t j = 0; j < d8; j += 8) {
            lt_v8d vj;
            lt_v8f f0, f1, f2, f3;
            memcpy(&vj, v + j, sizeof vj);
            memcpy(&f0, r0 + j, sizeof f0);
            memcpy(&f1, r1 + j, sizeof f1);
            memcpy(&f2, r2 + j, sizeof f2);
            memcpy(&f3, r3 + j, sizeof f3);
            a0 += __builtin_convertvector(f0, lt_v8d) * vj;
            a1 += __builtin_convertvector(f1, lt_v8d) * vj;
            a2 += __builtin_convertvector(f2, lt_v8d) * vj;
            a3 += __builtin_convertvector(f3, lt_v8d) * vj;
        }
        double s[4] = {0, 0, 0, 0};
        for (int l = 0; l < 8; l++) s[0] += a0[l], s[1] += a1[l], s[2] += a2[l], s[3] += a3[l];
        for (int64_t j = d8; j < d; j++) {
            s[0] += (double)r0[j] * v[j];
            s[1] += (double)r1[j] * v[j];
            s[2] += (double)r2[j] * v[j];
            s[3] += (double)r3[j] * v[j];
        }
        for (int r = 0; r < 4; r++) y[i + r] = s[r] - shift;
    }
    for (; i < m; i++) {
        const float *r0 = x + i * d;
        double s = 0;
        for (int64_t j = 0; j < d; j++) s += (double)r0[j] * v[j];
        y[i] = s - shift;
    }
}
LT_CLONES(static, void, dense_mult, (const float *x, int64_t m, int64_t d, const double *v,
                                     double shift, double *y), (x, m, d, v, shift, y))

/* w += X^T u over rows i < m (dense). */
LT_CLONE_BODY void dense_mult_t_body(const float *x, int64_t m, int64_t d, const double *u,
                                     double *w)
{
    int64_t i = 0, d8 = d & ~(int64_t)7;
    for (; i + 4 <= m; i += 4) {
        const float *r0 = x + i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
        double u0 = u[i], u1 = u[i + 1], u2 = u[i + 2], u3 = u[i + 3];
        for (int64_t j = 0; j < d8; j += 8) {
            lt_v8d wj;
            lt_v8f f0, f1, f2, f3;
            memcpy(&wj, w + j, sizeof wj);
            memcpy(&f0, r0 + j, sizeof f0);
            memcpy(&f1, r1 + j, sizeof f1);
            memcpy(&f2, r2 + j, sizeof f2);
            memcpy(&f3, r3 + j, sizeof f3);
            wj += __builtin_convertvector(f0, lt_v8d) * u0 + __builtin_convertvector(f1, lt_v8d) * u1 +
                  __builtin_convertvector(f2, lt_v8d) * u2 + __builtin_convertvector(f3, lt_v8d) * u3;
            memcpy(w + j, &wj, sizeof wj);
        }
        for (int64_t j = d8; j < d; j++)
            w[j] += (double)r0[j] * u0 + (double)r1[j] * u1 + (double)r2[j] * u2 + (double)r3[j] * u3;
    }
    for (; i < m; i++)
        for (int64_t j = 0; j < d; j++) w[j] += (double)x[i * d + j] * u[i];
}
LT_CLONES(static, void, dense_mult_t, (const float *x, int64_t m, int64_t d, const double *u,
                                       double *w), (x, m, d, u, w))

/* Floating-point operations of one product with the local rows of X or X^T:
 * a multiply and an add per stored value (n_loc d dense, the local nnz for
 * CSR). Each shell operation logs this plus its O(n_loc + d) centring terms
 * with PetscLogFlops, so PETSc's count includes the products (a MATSHELL's
 * MatMult logs nothing by itself) and lt_petsc_top_svd reports them. */
static double product_flops(const lt_svd_problem *pb)
{
    if (pb->x) return 2.0 * (double)pb->nloc * (double)pb->d;
    return 2.0 * (double)(pb->indptr[pb->nloc] - pb->indptr[0]);
}

static void csr_mult(const lt_svd_problem *pb, const double *v, double shift, double *y)
{
    for (int64_t i = 0; i < pb->nloc; i++) {
        double s = 0;
        for (int64_t p = pb->indptr[i]; p < pb->indptr[i + 1]; p++)
            s += (double)pb->data[p] * v[pb->indices[p]];
        y[i] = s - shift;
    }
}

static void csr_mult_t(const lt_svd_problem *pb, const double *u, double *w)
{
    for (int64_t i = 0; i < pb->nloc; i++)
        for (int64_t p = pb->indptr[i]; p < pb->indptr[i + 1]; p++)
            w[pb->indices[p]] += (double)pb->data[p] * u[i];
}

/* y = A v: gather v, then local rows. */
static PetscErrorCode shell_mult(Mat A, Vec v, Vec y)
{
    shell *s;
    const PetscScalar *vf;
    PetscScalar *ya;
    PetscFunctionBeginUser;
    PetscCall(MatShellGetContext(A, &s));
    PetscCall(VecScatterBegin(s->to_all, v, s->full, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(s->to_all, v, s->full, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(s->full, &vf));
    PetscCall(VecGetArray(y, &ya));
    const lt_svd_problem *pb = s->pb;
    double shift = 0;
    for (int64_t j = 0; j < pb->d; j++) shift += pb->mean[j] * vf[j];
    if (pb->x) dense_mult(pb->x, pb->nloc, pb->d, vf, shift, ya);
    else csr_mult(pb, vf, shift, ya);
    PetscCall(VecRestoreArray(y, &ya));
    PetscCall(VecRestoreArrayRead(s->full, &vf));
    /* mean . v (2d), X v, minus the shift per row (n_loc) */
    PetscCall(PetscLogFlops(product_flops(pb) + 2.0 * (double)pb->d + (double)pb->nloc));
    s->matvecs++;
    PetscFunctionReturn(0);
}

/* w = A^T u: local X^T u - mean (1 . u) into the full vector, then summed
 * over ranks into w's distributed layout. */
static PetscErrorCode shell_mult_t(Mat A, Vec u, Vec w)
{
    shell *s;
    const PetscScalar *ua;
    PetscScalar *wf;
    PetscFunctionBeginUser;
    PetscCall(MatShellGetContext(A, &s));
    const lt_svd_problem *pb = s->pb;
    PetscCall(VecGetArrayRead(u, &ua));
    PetscCall(VecGetArray(s->full, &wf));
    double usum = 0;
    for (int64_t i = 0; i < pb->nloc; i++) usum += ua[i];
    for (int64_t j = 0; j < pb->d; j++) wf[j] = -pb->mean[j] * usum;
    if (pb->x) dense_mult_t(pb->x, pb->nloc, pb->d, ua, wf);
    else csr_mult_t(pb, ua, wf);
    PetscCall(VecRestoreArray(s->full, &wf));
    PetscCall(VecRestoreArrayRead(u, &ua));
    /* 1 . u (n_loc), -mean (1 . u) (d), X^T u */
    PetscCall(PetscLogFlops(product_flops(pb) + (double)pb->d + (double)pb->nloc));
    PetscCall(VecSet(w, 0.0));
    PetscCall(VecScatterBegin(s->to_all, s->full, w, ADD_VALUES, SCATTER_REVERSE));
    PetscCall(VecScatterEnd(s->to_all, s->full, w, ADD_VALUES, SCATTER_REVERSE));
    s->matvecs++;
    PetscFunctionReturn(0);
}

/* w = A^T A v in one pass over the rows: per block of 4 rows (in cache
 * after the first product) s = A_rows v, then w += A_rows^T s. The centring
 * is exact per row, (x_i - mean) . v and sum s_i (x_i - mean), so no
 * n mean mean^T term cancels. */
static void gram_rows(const lt_svd_problem *pb, const double *v, double shift, double *s, double *w)
{
    if (pb->x) {
        for (int64_t i = 0; i < pb->nloc; i += 4) {
            int64_t r = pb->nloc - i < 4 ? pb->nloc - i : 4;
            dense_mult(pb->x + i * pb->d, r, pb->d, v, shift, s);
            dense_mult_t(pb->x + i * pb->d, r, pb->d, s, w);
            for (int64_t t = 0; t < r; t++) s[4] += s[t];
        }
        return;
    }
    for (int64_t i = 0; i < pb->nloc; i++) {
        double si = -shift;
        for (int64_t p = pb->indptr[i]; p < pb->indptr[i + 1]; p++)
            si += (double)pb->data[p] * v[pb->indices[p]];
        for (int64_t p = pb->indptr[i]; p < pb->indptr[i + 1]; p++)
            w[pb->indices[p]] += (double)pb->data[p] * si;
        s[4] += si;
    }
}

/* y = A^T A v: gather v, one pass, subtract mean (1 . s), sum over ranks. */
static PetscErrorCode shell_gram(Mat C, Vec v, Vec y)
{
    shell *s;
    const PetscScalar *vf;
    PetscFunctionBeginUser;
    PetscCall(MatShellGetContext(C, &s));
    const lt_svd_problem *pb = s->pb;
    PetscCall(VecScatterBegin(s->to_all, v, s->full, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(s->to_all, v, s->full, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(s->full, &vf));
    double shift = 0, sv[5] = {0, 0, 0, 0, 0};
    for (int64_t j = 0; j < pb->d; j++) shift += pb->mean[j] * vf[j];
    memset(s->work, 0, sizeof(double) * (size_t)pb->d);
    gram_rows(pb, vf, shift, sv, s->work);
    PetscCall(VecRestoreArrayRead(s->full, &vf));
    PetscScalar *wf;
    PetscCall(VecGetArray(s->full, &wf));
    for (int64_t j = 0; j < pb->d; j++) wf[j] = s->work[j] - pb->mean[j] * sv[4];
    PetscCall(VecRestoreArray(s->full, &wf));
    /* mean . v and the final -mean sum(s) (2d each), A v and A^T s, the
     * shift and the sum of s per row (n_loc each) */
    PetscCall(PetscLogFlops(2.0 * product_flops(pb) + 4.0 * (double)pb->d + 2.0 * (double)pb->nloc));
    PetscCall(VecSet(y, 0.0));
    PetscCall(VecScatterBegin(s->to_all, s->full, y, ADD_VALUES, SCATTER_REVERSE));
    PetscCall(VecScatterEnd(s->to_all, s->full, y, ADD_VALUES, SCATTER_REVERSE));
    s->matvecs++;
    PetscFunctionReturn(0);
}

static const char *solver_type(lt_svd_solver s)
{
    switch (s) {
    case LT_SVD_CROSS: return SVDCROSS;
    case LT_SVD_RANDOMIZED: return SVDRANDOMIZED;
    default: return SVDTRLANCZOS;
    }
}

/* The distributed vector v gathered into row (d doubles) on every rank. */
static PetscErrorCode gather_row(shell *s, Vec v, int64_t d, double *row)
{
    const PetscScalar *vf;
    PetscFunctionBeginUser;
    PetscCall(VecScatterBegin(s->to_all, v, s->full, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(s->to_all, v, s->full, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(s->full, &vf));
    memcpy(row, vf, sizeof(double) * (size_t)d);
    PetscCall(VecRestoreArrayRead(s->full, &vf));
    PetscFunctionReturn(0);
}

/* Copies the k converged right vectors (gathered) and values out. */
static PetscErrorCode take_triplets(SVD svd, shell *s, Vec v, int64_t k, int64_t d, double *sigma,
                                    double *V, double *maxerr)
{
    PetscFunctionBeginUser;
    *maxerr = 0;
    for (int64_t i = 0; i < k; i++) {
        PetscReal sg, err;
        PetscCall(SVDGetSingularTriplet(svd, (PetscInt)i, &sg, NULL, v));
        PetscCall(SVDComputeError(svd, (PetscInt)i, SVD_ERROR_RELATIVE, &err));
        if (err > *maxerr) *maxerr = err;
        sigma[i] = sg;
        PetscCall(gather_row(s, v, d, V + i * d));
    }
    PetscFunctionReturn(0);
}

static PetscErrorCode configure(SVD svd, Mat A, int64_t k, const lt_svd_opts *o)
{
    PetscFunctionBeginUser;
    PetscCall(SVDSetOperators(svd, A, NULL));
    PetscCall(SVDSetType(svd, solver_type(o->solver)));
    PetscCall(SVDSetDimensions(svd, (PetscInt)k, o->ncv > 0 ? (PetscInt)o->ncv : PETSC_DEFAULT,
                               PETSC_DEFAULT));
    PetscCall(SVDSetWhichSingularTriplets(svd, SVD_LARGEST));
    PetscCall(SVDSetTolerances(svd, o->tol > 0 ? o->tol : PETSC_DEFAULT,
                               o->max_it > 0 ? (PetscInt)o->max_it : PETSC_DEFAULT));
    /* The shell has no explicit transpose: SLEPc applies A^T through it. */
    PetscCall(SVDSetImplicitTranspose(svd, PETSC_TRUE));
    /* -svd_* options (PETSC_OPTIONS) can still override, for experiments. */
    PetscCall(SVDSetFromOptions(svd));
    PetscFunctionReturn(0);
}

static PetscErrorCode take_eigenpairs(EPS eps, shell *s, Vec v, int64_t k, int64_t d,
                                      double *sigma, double *V, double *maxerr)
{
    PetscFunctionBeginUser;
    *maxerr = 0;
    for (int64_t i = 0; i < k; i++) {
        PetscScalar lam;
        PetscReal err;
        PetscCall(EPSGetEigenpair(eps, (PetscInt)i, &lam, NULL, v, NULL));
        PetscCall(EPSComputeError(eps, (PetscInt)i, EPS_ERROR_RELATIVE, &err));
        if (err > *maxerr) *maxerr = err;
        sigma[i] = lam > 0 ? sqrt(lam) : 0;
        PetscCall(gather_row(s, v, d, V + i * d));
    }
    PetscFunctionReturn(0);
}

static PetscErrorCode configure_eps(EPS eps, Mat C, int64_t k, const lt_svd_opts *o)
{
    PetscFunctionBeginUser;
    PetscCall(EPSSetOperators(eps, C, NULL));
    PetscCall(EPSSetProblemType(eps, EPS_HEP));
    PetscCall(EPSSetType(eps, EPSKRYLOVSCHUR));
    PetscCall(EPSSetWhichEigenpairs(eps, EPS_LARGEST_REAL));
    PetscCall(EPSSetDimensions(eps, (PetscInt)k, o->ncv > 0 ? (PetscInt)o->ncv : PETSC_DEFAULT,
                               PETSC_DEFAULT));
    PetscCall(EPSSetTolerances(eps, o->tol > 0 ? o->tol : PETSC_DEFAULT,
                               o->max_it > 0 ? (PetscInt)o->max_it : PETSC_DEFAULT));
    PetscCall(EPSSetFromOptions(eps));
    PetscFunctionReturn(0);
}

/* krylovschur: Krylov-Schur (EPS) on the d x d covariance operator A^T A,
 * applied in one pass over the data (gram_rows), where SLEPc's SVDCROSS
 * would make two (A, then A^T). Its eigenvalues are sigma^2. */
static lt_status cross_solve(MPI_Comm comm, shell *s, Vec v, int64_t k, const lt_svd_opts *o,
                             double *sigma, double *V, lt_svd_result *res)
{
    const lt_svd_problem *pb = s->pb;
    Mat C = NULL;
    EPS eps = NULL;
    PetscInt nconv = 0, its = 0;
    lt_status st = LT_OK;
    LT_PETSC_GOTO(st, MatCreateShell(comm, PETSC_DECIDE, PETSC_DECIDE, (PetscInt)pb->d,
                                     (PetscInt)pb->d, s, &C), done);
    LT_PETSC_GOTO(st, MatShellSetOperation(C, MATOP_MULT, (void (*)(void))shell_gram), done);
    LT_PETSC_GOTO(st, MatShellSetOperation(C, MATOP_MULT_TRANSPOSE, (void (*)(void))shell_gram),
                  done);
    LT_PETSC_GOTO(st, EPSCreate(comm, &eps), done);
    LT_PETSC_GOTO(st, configure_eps(eps, C, k, o), done);
    LT_PETSC_GOTO(st, EPSSolve(eps), done);
    LT_PETSC_GOTO(st, EPSGetConverged(eps, &nconv), done);
    LT_PETSC_GOTO(st, EPSGetIterationNumber(eps, &its), done);
    if (nconv < k)
        LT_RAISE_GOTO(st, done, LT_ERR_NUMERIC,
                      "SLEPc Krylov-Schur converged %d of %lld eigenpairs (tol %g): use another "
                      "[pca] slepc_solver or method", (int)nconv, (long long)k, o->tol);
    LT_PETSC_GOTO(st, take_eigenpairs(eps, s, v, k, pb->d, sigma, V, &res->max_residual), done);
done:
    res->iterations = its;
    EPSDestroy(&eps);
    MatDestroy(&C);
    return st;
}

lt_status lt_petsc_top_svd(lt_comm *c, const lt_svd_problem *pb, int64_t k,
                           const lt_svd_opts *o, double *sigma, double *V, lt_svd_result *res)
{
    memset(res, 0, sizeof *res);
    LT_CALL(lt_comm_agree(c, lt_petsc_require("the SLEPc SVD")));
    MPI_Comm comm = PETSC_COMM_WORLD;
    shell s = {.pb = pb};
    Mat A = NULL;
    Vec v = NULL;
    SVD svd = NULL;
    PetscInt nconv = 0, its = 0;
    PetscLogDouble flops0 = 0, flops1 = 0;
    lt_status st = LT_OK;
    LT_PETSC_GOTO(st, PetscGetFlops(&flops0), done);
    LT_PETSC_GOTO(st, MatCreateShell(comm, (PetscInt)pb->nloc, PETSC_DECIDE, (PetscInt)pb->n,
                                     (PetscInt)pb->d, &s, &A), done);
    LT_PETSC_GOTO(st, MatShellSetOperation(A, MATOP_MULT, (void (*)(void))shell_mult), done);
    LT_PETSC_GOTO(st, MatShellSetOperation(A, MATOP_MULT_TRANSPOSE, (void (*)(void))shell_mult_t),
                  done);
    LT_PETSC_GOTO(st, MatCreateVecs(A, &v, NULL), done);
    LT_PETSC_GOTO(st, VecScatterCreateToAll(v, &s.to_all, &s.full), done);
    if (o->solver == LT_SVD_CROSS) {
        s.work = lt_calloc((size_t)pb->d, sizeof(double));
        st = s.work ? cross_solve(comm, &s, v, k, o, sigma, V, res) : LT_ERR_MEM;
        its = (PetscInt)res->iterations;
        goto done;
    }
    LT_PETSC_GOTO(st, SVDCreate(comm, &svd), done);
    LT_PETSC_GOTO(st, configure(svd, A, k, o), done);
    LT_PETSC_GOTO(st, SVDSolve(svd), done);
    LT_PETSC_GOTO(st, SVDGetConverged(svd, &nconv), done);
    LT_PETSC_GOTO(st, SVDGetIterationNumber(svd, &its), done);
    if (nconv < k) {
        st = lt_error_raise(LT_ERR_NUMERIC, __FILE__, __LINE__,
                            "SLEPc %s converged %d of %lld singular triplets (tol %g): raise "
                            "[pca] slepc_max_it or use another method",
                            solver_type(o->solver), (int)nconv, (long long)k, o->tol);
        goto done;
    }
    LT_PETSC_GOTO(st, take_triplets(svd, &s, v, k, pb->d, sigma, V, &res->max_residual), done);
done:
    res->iterations = its;
    res->matvecs = s.matvecs;
    if (PetscGetFlops(&flops1) == 0) res->flops = flops1 - flops0;
    SVDDestroy(&svd);
    free(s.work);
    VecScatterDestroy(&s.to_all);
    VecDestroy(&s.full);
    VecDestroy(&v);
    MatDestroy(&A);
    return lt_comm_agree(c, st);
}
