/* [train] optimizer = lbfgs: full-batch L-BFGS by PETSc/TAO (issue 19).
 *
 * TAOLMVM (limited-memory BFGS with TAO's More-Thuente line search) runs on
 * PETSC_COMM_SELF on every rank over a replicated parameter vector (double):
 * each objective-and-gradient evaluation converts it to the model's float
 * parameters, runs forward and backward over the local rows in workspace
 * chunks, and sums [gradient, loss, stop flag] over ranks in one allreduce.
 * Every rank then holds the same f and g, so every rank's TAO takes the same
 * steps and holds the same parameters (tested).
 *
 * The objective is scikit-learn's up to its factor 1/2: the model's mean
 * loss over all n x d entries plus 0.5 l2 |W|^2 / n (kernels only), i.e.
 * MLPRegressor's alpha = l2 on the full batch. Stopping follows scipy's
 * L-BFGS-B as MLPRegressor(solver='lbfgs') calls it: max |g_i| <= lbfgs_tol
 * (TAO's own tests use the 2-norm), a relative decrease of f below
 * 2.22e-9 (scipy's default ftol), epochs iterations (max_iter) or
 * lbfgs_max_fun evaluations (max_fun).
 *
 * History, checkpoints, resume: every iteration is an epoch in the loss
 * history (ae->epoch counts them). A resumed run restarts L-BFGS from the
 * saved parameters (the curvature pairs are not saved: the first step after
 * a resume is a scaled gradient step). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"
#include "latent/lt_petsc.h"
#include "latent/lt_timer.h"

#ifndef LATENT_HAVE_PETSC
lt_status nn_fit_lbfgs(lt_comm *c, lt_ae *ae, const lt_train_opts *o, const lt_dataset *train,
                       const lt_dataset *val, lt_epoch_cb cb, void *cb_ctx)
{
    (void)ae, (void)o, (void)train, (void)val, (void)cb, (void)cb_ctx;
    return lt_comm_agree(c, lt_petsc_require("[train] optimizer = lbfgs"));
}
#else
#include <petsctao.h>

#define LBFGS_FTOL 2.220446049250313e-09 /* scipy's L-BFGS-B default (factr 1e7) */

typedef struct lbfgs_run {
    lt_comm *c;
    lt_ae *ae;
    const lt_train_opts *o;
    const lt_dataset *tr, *val;
    lt_epoch_cb cb;
    void *cb_ctx;
    double *sum;        /* nparams + 2: gradient, loss, stop flag (the allreduce buffer) */
    int64_t nfev;
    int stop;           /* a stop request reached every rank */
    int iters;          /* iterations done in this solve */
    int ftol_met;
    double fprev, t_iter, comm;
    lt_status st;       /* the first latent error inside a callback */
} lbfgs_run;

/* 0.5 l2 |W|^2 / n added to the objective and l2 W / n to the gradient. */
static double add_l2(lt_ae *ae, const float *p, double *g, double coef)
{
    double s = 0;
    for (int l = 0; l < ae->nw; l++)
        for (int64_t i = ae->woff[l]; i < ae->boff[l]; i++) {
            s += (double)p[i] * p[i];
            g[i] += coef * p[i];
        }
    return s;
}

/* Mean loss and its gradient at x over all ranks' rows; the loss alone (the
 * model's, without the penalty) in *data_loss. */
static lt_status evaluate(lbfgs_run *r, const PetscScalar *x, double *f, double *data_loss)
{
    lt_ae *ae = r->ae;
    const lt_dataset *tr = r->tr;
    int64_t np = ae->nparams, d = tr->d;
    for (int64_t i = 0; i < np; i++) ae->params[i] = (float)x[i];
    memset(r->sum, 0, sizeof(double) * (size_t)(np + 2));
    double scale = 1.0 / ((double)tr->n * (double)d);
    for (int64_t i0 = 0; i0 < tr->nloc; i0 += ae->ws_rows) {
        int64_t m = tr->nloc - i0 < ae->ws_rows ? tr->nloc - i0 : ae->ws_rows;
        const float *rows = tr->x + i0 * d;
        r->sum[np] += nn_forward_backward(ae, rows, rows, m, scale);
        for (int64_t j = 0; j < np; j++) r->sum[j] += ae->grads[j];
    }
    r->sum[np + 1] = r->o->stop_request && *r->o->stop_request ? 1.0 : 0.0;
    double t0 = lt_wtime();
    lt_event_begin(lt_comm_timer(r->c), LT_EV_GRAD_ALLREDUCE);
    lt_status st = lt_comm_sum_d(r->c, r->sum, np + 2);
    lt_event_end(lt_comm_timer(r->c), LT_EV_GRAD_ALLREDUCE, 0);
    r->comm += lt_wtime() - t0;
    LT_CALL(st);
    *data_loss = r->sum[np] * scale;
    double pen = ae->arch.l2 > 0 ? add_l2(ae, ae->params, r->sum, ae->arch.l2 / (double)tr->n) : 0;
    *f = *data_loss + 0.5 * ae->arch.l2 * pen / (double)tr->n;
    r->stop |= r->sum[np + 1] > 0;
    r->nfev++;
    return LT_OK;
}

static PetscErrorCode objective(Tao tao, Vec X, PetscReal *f, Vec G, void *ctx)
{
    lbfgs_run *r = ctx;
    const PetscScalar *x;
    PetscScalar *g;
    double data_loss;
    PetscFunctionBeginUser;
    (void)tao;
    PetscCall(VecGetArrayRead(X, &x));
    lt_status st = evaluate(r, x, f, &data_loss);
    PetscCall(VecRestoreArrayRead(X, &x));
    if (st != LT_OK) {
        r->st = st;
        SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "latent: the gradient allreduce failed");
    }
    PetscCall(VecGetArray(G, &g));
    memcpy(g, r->sum, sizeof(double) * (size_t)r->ae->nparams);
    PetscCall(VecRestoreArray(G, &g));
    PetscFunctionReturn(0);
}

/* The history entry of one iteration (the model's loss at the accepted
 * point, as an epoch's train loss, plus the validation loss). */
static lt_status record_iteration(lbfgs_run *r, double f)
{
    lt_ae *ae = r->ae;
    double vl = NAN, secs = lt_wtime() - r->t_iter;
    if (r->val) {
        /* lt_ae_evaluate runs on ae->params: those of the last evaluation,
           which More-Thuente ends at the accepted point. */
        LT_CALL(lt_ae_evaluate(r->c, ae, r->val, &vl));
    }
    double times[2] = {secs, r->comm};
    LT_CALL(lt_comm_max_d(r->c, times, 2));
    ae->epoch++;
    r->iters++;
    LT_CALL(nn_hist_push(&ae->hist, f, vl, times[0], (double)r->tr->n / times[0], times[1]));
    if (r->cb) {
        lt_epoch_report rep = {.kind = 1, .epoch = ae->epoch, .epochs = r->o->epochs, .step = 1,
                               .nsteps = 1, .train_loss = f, .val_loss = vl, .seconds = times[0],
                               .samples_per_sec = (double)r->tr->n / times[0],
                               .comm_seconds = times[1]};
        r->cb(&rep, r->cb_ctx);
    }
    r->t_iter = lt_wtime();
    r->comm = 0;
    return LT_OK;
}

/* scipy's L-BFGS-B tests in its order, on values identical on every rank. */
static PetscErrorCode converged(Tao tao, void *ctx)
{
    lbfgs_run *r = ctx;
    PetscInt its;
    PetscReal f, gnorm, gmax;
    TaoConvergedReason reason;
    Vec G;
    PetscFunctionBeginUser;
    PetscCall(TaoGetSolutionStatus(tao, &its, &f, &gnorm, NULL, NULL, &reason));
    PetscCall(TaoGetGradient(tao, &G, NULL, NULL));
    PetscCall(VecNorm(G, NORM_INFINITY, &gmax));
    if (its > 0 && r->st == LT_OK) {
        lt_status st = record_iteration(r, f);
        if (st != LT_OK) r->st = st;
    }
    reason = TAO_CONTINUE_ITERATING;
    if (r->st != LT_OK || !isfinite(f) || !isfinite(gmax)) reason = TAO_DIVERGED_NAN;
    else if (r->stop) reason = TAO_CONVERGED_USER;
    else if (gmax <= r->o->lbfgs_tol) reason = TAO_CONVERGED_GATOL;
    else if (its > 0 && r->fprev - f <= LBFGS_FTOL * fmax(fmax(fabs(r->fprev), fabs(f)), 1.0)) {
        reason = TAO_CONVERGED_USER;
        r->ftol_met = 1;
    } else if (r->ae->epoch >= r->o->epochs) reason = TAO_DIVERGED_MAXITS;
    else if (r->nfev >= r->o->lbfgs_max_fun) reason = TAO_DIVERGED_MAXFCN;
    r->fprev = f;
    PetscCall(TaoSetConvergedReason(tao, reason));
    PetscFunctionReturn(0);
}

/* Options prefix of latent's TAO (PETSC_OPTIONS="-lt_lbfgs_tao_view" etc.). */
#define LBFGS_PREFIX "lt_lbfgs_"

static PetscErrorCode setup(Tao tao, Vec x, lbfgs_run *r)
{
    char hist[32];
    PetscFunctionBeginUser;
    PetscCall(TaoSetOptionsPrefix(tao, LBFGS_PREFIX));
    PetscCall(TaoSetType(tao, TAOLMVM));
    PetscCall(TaoSetSolution(tao, x));
    PetscCall(TaoSetObjectiveAndGradient(tao, NULL, objective, r));
    PetscCall(TaoSetConvergenceTest(tao, converged, r));
    /* max_it and max_funcs well above ours: the test above decides. */
    PetscCall(TaoSetMaximumIterations(tao, PETSC_MAX_INT));
    PetscCall(TaoSetMaximumFunctionEvaluations(tao, PETSC_MAX_INT));
    /* LMVM's matrix takes its history size from the options database only
       (TaoGetLMVMMatrix is for the bound-constrained solvers). */
    snprintf(hist, sizeof hist, "%d", r->o->lbfgs_history);
    PetscCall(PetscOptionsSetValue(NULL, "-" LBFGS_PREFIX "tao_lmvm_mat_lmvm_hist_size", hist));
    PetscCall(TaoSetFromOptions(tao));
    PetscFunctionReturn(0);
}

static lt_status check(const lt_train_opts *o)
{
    LT_CHECK(o->lbfgs_history >= 1 && o->lbfgs_history <= 1000, LT_ERR_ARG,
             "lbfgs_history must be in [1, 1000], got %d", o->lbfgs_history);
    LT_CHECK(o->lbfgs_max_fun >= 1, LT_ERR_ARG, "lbfgs_max_fun must be >= 1, got %lld",
             (long long)o->lbfgs_max_fun);
    LT_CHECK(o->lbfgs_tol >= 0 && isfinite(o->lbfgs_tol), LT_ERR_ARG,
             "lbfgs_tol must be >= 0, got %g", o->lbfgs_tol);
    LT_CHECK(o->noise_factor == 0.0, LT_ERR_ARG,
             "optimizer = lbfgs trains on the clean full batch: noise_factor must be 0");
    return lt_petsc_require("[train] optimizer = lbfgs");
}

lt_status nn_fit_lbfgs(lt_comm *c, lt_ae *ae, const lt_train_opts *o, const lt_dataset *train,
                       const lt_dataset *val, lt_epoch_cb cb, void *cb_ctx)
{
    LT_CALL(lt_comm_agree(c, check(o)));
    if (ae->epoch >= o->epochs) return LT_OK;
    int64_t np = ae->nparams, chunk = train->nloc < 1024 ? (train->nloc > 0 ? train->nloc : 1) : 1024;
    lbfgs_run r = {.c = c, .ae = ae, .o = o, .tr = train, .val = val, .cb = cb, .cb_ctx = cb_ctx,
                   .t_iter = lt_wtime()};
    r.sum = lt_calloc((size_t)(np + 2), sizeof(double));
    lt_status st = r.sum ? nn_workspace(ae, chunk) : LT_ERR_MEM;
    LT_CALL_GOTO(st, lt_comm_agree(c, st), out);
    Vec x = NULL;
    Tao tao = NULL;
    PetscScalar *xa;
    PetscErrorCode pe = VecCreateSeq(PETSC_COMM_SELF, (PetscInt)np, &x);
    if (!pe) pe = VecGetArray(x, &xa);
    if (!pe) {
        for (int64_t i = 0; i < np; i++) xa[i] = ae->params[i];
        pe = VecRestoreArray(x, &xa);
    }
    if (!pe) pe = TaoCreate(PETSC_COMM_SELF, &tao);
    if (!pe) pe = setup(tao, x, &r);
    if (!pe) pe = TaoSolve(tao);
    /* The accepted iterate (TAO's solution) becomes the model's parameters. */
    if (!pe) pe = VecGetArray(x, &xa);
    if (!pe) {
        for (int64_t i = 0; i < np; i++) ae->params[i] = (float)xa[i];
        pe = VecRestoreArray(x, &xa);
    }
    TaoConvergedReason reason = TAO_CONTINUE_ITERATING;
    if (!pe) pe = TaoGetConvergedReason(tao, &reason);
    st = r.st != LT_OK ? r.st : lt_petsc_status(pe, __FILE__, __LINE__, "TAO L-BFGS");
    TaoDestroy(&tao);
    VecDestroy(&x);
    if (st == LT_OK && reason == TAO_DIVERGED_NAN)
        st = lt_error_raise(LT_ERR_NUMERIC, __FILE__, __LINE__,
                            "L-BFGS diverged: non-finite loss or gradient at iteration %d",
                            ae->epoch + 1);
    if (st == LT_OK && r.stop && ae->epoch < o->epochs)
        st = lt_error_raise(LT_ERR_INTERRUPTED, __FILE__, __LINE__,
                            "training stopped on request after L-BFGS iteration %d", ae->epoch);
out:
    free(r.sum);
    return lt_comm_agree(c, st);
}
#endif
