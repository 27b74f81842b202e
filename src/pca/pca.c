/* lt_pca_fit: statistics, method choice, solver, then scikit-learn's
 * bookkeeping (variances, ratios, singular values, sign convention). */
#include "pca_impl.h"
#include "latent/lt_name.h"
#include "scalapack.h"
#include "latent/lt_comm_mpi.h"
#include "latent/lt_petsc.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const lt_name method_names[] = {{"auto", LT_PCA_AUTO},
                                       {"covariance", LT_PCA_COVARIANCE},
                                       {"svd", LT_PCA_SVD},
                                       {"replicated", LT_PCA_REPLICATED},
                                       {"slepc", LT_PCA_SLEPC}};
static const lt_name slepc_solver_names[] = {
    {"lanczos", LT_SVD_TRLANCZOS}, {"krylovschur", LT_SVD_CROSS}, {"randomized", LT_SVD_RANDOMIZED}};
static const lt_name precision_names[] = {{"double", LT_PCA_DOUBLE}, {"mixed", LT_PCA_MIXED}};
static const lt_name gram_kernel_names[] = {
    {"auto", LT_PCA_GRAM_AUTO}, {"blas", LT_PCA_GRAM_BLAS}, {"amx", LT_PCA_GRAM_AMX}};

void lt_pca_opts_default(lt_pca_opts *o)
{
    o->n_components = 2;
    o->method = LT_PCA_AUTO;
    o->block_size = 64;
    o->chunk_rows = 0;
    o->replicated_max_d = 2048;
    o->precision = LT_PCA_DOUBLE;
    o->gram_kernel = LT_PCA_GRAM_AUTO;
    o->slepc_solver = LT_SVD_TRLANCZOS;
    o->slepc_tol = 1e-10;
}

const char *lt_pca_slepc_solver_name(int s)
{
    return lt_name_of(LT_NAMES(slepc_solver_names), s);
}

lt_status lt_pca_slepc_solver_parse(const char *name, int *out)
{
    return lt_name_parse(LT_NAMES(slepc_solver_names), "PCA slepc_solver", name, out);
}

LT_NAME_FUNCTIONS(lt_pca_method, lt_pca_method_name, lt_pca_method_parse, method_names, "PCA method")
LT_NAME_FUNCTIONS(lt_pca_precision, lt_pca_precision_name, lt_pca_precision_parse, precision_names,
                  "PCA precision")
LT_NAME_FUNCTIONS(lt_pca_gram_kernel, lt_pca_gram_kernel_name, lt_pca_gram_kernel_parse,
                  gram_kernel_names, "PCA gram_kernel")

void lt_pca_destroy(lt_pca **p)
{
    if (!p || !*p) return;
    if ((*p)->blacs_ctxt >= 0) Cblacs_gridexit((*p)->blacs_ctxt);
    free((*p)->mean);
    free((*p)->components);
    free((*p)->explained_variance);
    free((*p)->explained_variance_ratio);
    free((*p)->singular_values);
    free(*p);
    *p = NULL;
}

/* Allocates a model's arrays (local; the caller agrees). Used by load too. */
lt_status lt_pca_alloc(int64_t d, int64_t k, lt_pca **out)
{
    lt_pca *p;
    *out = NULL;
    LT_ALLOC(p, 1);
    p->blacs_ctxt = -1;
    p->n_features = d;
    p->n_components = k;
    p->mean = lt_calloc((size_t)d, sizeof(double));
    p->components = lt_calloc((size_t)(k * d), sizeof(double));
    p->explained_variance = lt_calloc((size_t)k, sizeof(double));
    p->explained_variance_ratio = lt_calloc((size_t)k, sizeof(double));
    p->singular_values = lt_calloc((size_t)k, sizeof(double));
    if (!p->mean || !p->components || !p->explained_variance || !p->explained_variance_ratio ||
        !p->singular_values) {
        lt_pca_destroy(&p);
        return LT_ERR_MEM;
    }
    *out = p;
    return LT_OK;
}

int64_t lt_pca_chunk_rows(const lt_pca_opts *o, int64_t d)
{
    if (o->chunk_rows > 0) return o->chunk_rows;
    int64_t r = ((int64_t)1 << 20) / d; /* ~8 MB of doubles: cache-sized, measured */
    return r < 256 ? 256 : r;
}

static lt_status check_opts(const lt_pca_opts *o, const lt_dataset *ds)
{
    LT_CHECK(ds->n >= 2, LT_ERR_DATA, "PCA needs at least 2 training rows, got %lld",
             (long long)ds->n);
    int64_t mn = ds->n < ds->d ? ds->n : ds->d;
    LT_CHECK(o->n_components >= 1 && o->n_components <= mn, LT_ERR_ARG,
             "pca n_components = %lld must be between 1 and min(n_samples, n_features) = "
             "min(%lld, %lld) = %lld",
             (long long)o->n_components, (long long)ds->n, (long long)ds->d, (long long)mn);
    LT_CHECK((unsigned)o->method < 5, LT_ERR_ARG, "invalid PCA method %d", (int)o->method);
    LT_CHECK((unsigned)o->precision < 2, LT_ERR_ARG, "invalid PCA precision %d",
             (int)o->precision);
    LT_CHECK((unsigned)o->gram_kernel < 3, LT_ERR_ARG, "invalid PCA gram_kernel %d",
             (int)o->gram_kernel);
    LT_CHECK(o->block_size >= 1 && o->block_size <= 4096, LT_ERR_ARG,
             "pca block_size = %lld must be in [1, 4096]", (long long)o->block_size);
    LT_CHECK(o->chunk_rows >= 0 && o->chunk_rows <= (1 << 20), LT_ERR_ARG,
             "pca chunk_rows = %lld must be in [0 (auto), 1048576]", (long long)o->chunk_rows);
    if (o->method == LT_PCA_SLEPC && !lt_petsc_available())
        return lt_petsc_require("[pca] method = slepc");
    LT_CHECK(o->method != LT_PCA_SLEPC || o->n_components < mn, LT_ERR_ARG,
             "pca method slepc: n_components = %lld must be below min(n_samples, n_features) = "
             "%lld (a Krylov solver; use svd for all components)",
             (long long)o->n_components, (long long)mn);
    LT_CHECK((unsigned)o->slepc_solver < 3 && o->slepc_tol > 0 && o->slepc_tol < 1, LT_ERR_ARG,
             "invalid PCA slepc options (solver %d, tol %g)", o->slepc_solver, o->slepc_tol);
    LT_CHECK(o->replicated_max_d >= 0, LT_ERR_ARG, "pca replicated_max_d must be >= 0");
    LT_CHECK(ds->n <= INT_MAX && ds->d <= INT_MAX &&
                 lt_pca_chunk_rows(o, ds->d) * ds->d <= INT_MAX,
             LT_ERR_ARG, "PCA shape %lld x %lld exceeds ScaLAPACK's 32-bit indices",
             (long long)ds->n, (long long)ds->d);
    return LT_OK;
}

lt_status lt_pca_mean_from_sums(lt_comm *c, const lt_dataset *ds, double *sums)
{
    LT_CALL(lt_comm_sum_d(c, sums, ds->d));
    int finite = 1;
    for (int64_t j = 0; j < ds->d; j++) finite &= isfinite(sums[j]) != 0;
    if (!finite) LT_CALL(lt_dataset_check_finite(c, ds, "PCA training data"));
    for (int64_t j = 0; j < ds->d; j++) sums[j] /= (double)ds->n;
    return LT_OK;
}

/* Column means in double, a pass of their own (the replicated solver sums
 * while it forms its Gram matrix instead). */
static lt_status mean_pass(lt_comm *c, const lt_dataset *ds, lt_pca *p)
{
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_MEAN);
    lt_column_sums(ds->x, ds->nloc, ds->d, p->mean);
    lt_status st = lt_pca_mean_from_sums(c, ds, p->mean);
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_MEAN, (double)ds->nloc * ds->d);
    return st;
}

/* Total variance and constant columns from the centered sums of squares.
 * A constant column has ss == 0 exactly: n equal floats sum exactly in
 * double (n < 2^29), so its mean (and every block mean of the replicated
 * path) is the value itself. */
lt_status lt_pca_variance_stats(lt_pca *p, const double *ss)
{
    p->total_variance = 0;
    p->info.n_constant_columns = 0;
    for (int64_t j = 0; j < p->n_features; j++) {
        p->total_variance += ss[j] / (double)(p->n_samples - 1);
        p->info.n_constant_columns += ss[j] == 0;
    }
    LT_CHECK(p->total_variance > 0, LT_ERR_DATA,
             "PCA training data has zero total variance (every column is constant): no "
             "principal components");
    return LT_OK;
}

static lt_pca_method choose(const lt_pca_opts *o, const lt_dataset *ds, lt_pca_info *info)
{
    if (o->method != LT_PCA_AUTO) {
        snprintf(info->reason, sizeof info->reason, "requested");
        return o->method;
    }
    if (ds->d > ds->n && lt_petsc_available() && 5 * o->n_components <= ds->n) {
        snprintf(info->reason, sizeof info->reason,
                 "auto: d = %lld > n = %lld and k = %lld <= n / 5: SLEPc's truncated SVD reads "
                 "the data a few hundred times instead of a full SVD (4-6x faster on 271 x "
                 "47,192, docs/pca.md)",
                 (long long)ds->d, (long long)ds->n, (long long)o->n_components);
        return LT_PCA_SLEPC;
    }
    if (ds->d > ds->n) {
        snprintf(info->reason, sizeof info->reason,
                 "auto: d = %lld > n = %lld, the SVD never forms a d x d matrix", (long long)ds->d,
                 (long long)ds->n);
        return LT_PCA_SVD;
    }
    if (ds->d <= o->replicated_max_d) {
        snprintf(info->reason, sizeof info->reason,
                 "auto: d = %lld <= replicated_max_d = %lld, a replicated d x d Gram matrix "
                 "(%.1f MB per rank) solved by LAPACK is fastest",
                 (long long)ds->d, (long long)o->replicated_max_d,
                 8.0 * (double)ds->d * (double)ds->d / 1e6);
        return LT_PCA_REPLICATED;
    }
    snprintf(info->reason, sizeof info->reason,
             "auto: n >= d = %lld > replicated_max_d = %lld, distributed covariance (ScaLAPACK)",
             (long long)ds->d, (long long)o->replicated_max_d);
    return LT_PCA_COVARIANCE;
}

static void grid_shape(int P, int *nprow, int *npcol)
{
    int r = (int)sqrt((double)P);
    while (r > 1 && P % r) r--;
    *nprow = r;
    *npcol = P / r;
}

/* BLACS grids on the run's communicator (never MPI_COMM_WORLD). Collective. */
static void grid_create(lt_comm *c, lt_pca_grid *g)
{
    grid_shape(lt_comm_size(c), &g->nprow, &g->npcol);
    /* gridinit makes its own communicators: the system handle can go at once. */
    int h = Csys2blacs_handle(lt_comm_handle(c));
    g->ctxt2d = h;
    Cblacs_gridinit(&g->ctxt2d, "Row", g->nprow, g->npcol);
    g->ctxt1d = h;
    Cblacs_gridinit(&g->ctxt1d, "Row", 1, lt_comm_size(c));
    Cfree_blacs_system_handle(h);
    int pr, pc;
    Cblacs_gridinfo(g->ctxt2d, &pr, &pc, &g->myrow, &g->mycol);
}

lt_status lt_pca_conclude(lt_status st, lt_pca *p, double *work, const double *lambda,
                          const double *V, const double *ss, lt_pca **out)
{
    if (st == LT_OK) st = lt_pca_variance_stats(p, ss);
    if (st == LT_OK) lt_pca_finish(p, lambda, V);
    free(work);
    if (st != LT_OK) lt_pca_destroy(&p);
    *out = p;
    return st;
}

/* scikit-learn's bookkeeping from the Gram eigenpairs, then the sign rule:
 * the entry of largest |value| in each component is made positive. */
void lt_pca_finish(lt_pca *p, const double *lambda, const double *V)
{
    int64_t d = p->n_features, k = p->n_components;
    double tiny = DBL_EPSILON * (double)d * (lambda[0] > 0 ? lambda[0] : 0);
    p->info.n_null_components = 0;
    for (int64_t i = 0; i < k; i++) {
        double l = lambda[i] > 0 ? lambda[i] : 0; /* roundoff below zero */
        p->info.n_null_components += l <= tiny;
        p->singular_values[i] = sqrt(l);
        p->explained_variance[i] = l / (double)(p->n_samples - 1);
        p->explained_variance_ratio[i] = p->explained_variance[i] / p->total_variance;
        const double *v = V + i * d;
        int64_t jmax = 0;
        double nrm = 0;
        for (int64_t j = 0; j < d; j++) {
            nrm += v[j] * v[j];
            if (fabs(v[j]) > fabs(v[jmax])) jmax = j;
        }
        double s = (v[jmax] < 0 ? -1.0 : 1.0) / sqrt(nrm);
        for (int64_t j = 0; j < d; j++) p->components[i * d + j] = s * v[j];
    }
}

static lt_status solve(lt_comm *c, const lt_pca_opts *o, const lt_pca_grid *g,
                       const lt_dataset *ds, lt_pca *p, double *lambda, double *V, double *ss)
{
    int k = (int)p->n_components;
    switch (p->info.method) {
    case LT_PCA_REPLICATED:
        return lt_pca_solve_replicated(c, o, ds, p->mean, k, lambda, V, ss, &p->info);
    case LT_PCA_COVARIANCE:
        return lt_pca_solve_covariance(c, o, g, ds, p->mean, k, lambda, V, ss, &p->info);
    case LT_PCA_SVD:
        return lt_pca_solve_svd(c, o, g, ds, p->mean, k, lambda, V, ss, &p->info);
    case LT_PCA_SLEPC:
        return lt_pca_solve_slepc(c, o, ds, p->mean, k, lambda, V, ss, &p->info);
    default:
        LT_FAIL(LT_ERR_INTERNAL, "no PCA solver for method %d", (int)p->info.method);
    }
}

lt_status lt_pca_fit(lt_comm *c, const lt_pca_opts *o, const lt_dataset *train, lt_pca **out)
{
    *out = NULL;
    LT_CALL(check_opts(o, train));
    lt_pca *p = NULL;
    double *work = NULL;
    lt_status st = lt_pca_alloc(train->d, o->n_components, &p);
    if (st == LT_OK) {
        work = lt_calloc((size_t)(o->n_components * (train->d + 1) + train->d), sizeof(double));
        if (!work) st = LT_ERR_MEM;
    }
    LT_CALL_GOTO(st, lt_comm_agree(c, st), fail);
    p->n_samples = train->n;
    p->info.method = choose(o, train, &p->info);
    if (p->info.method != LT_PCA_REPLICATED) LT_CALL_GOTO(st, mean_pass(c, train, p), fail);
    p->info.block_size = o->block_size;
    p->info.nprow = p->info.npcol = 1;
    p->info.gram_kernel = LT_PCA_GRAM_BLAS;
    lt_pca_grid g = {-1, -1, 1, 1, 0, 0};
    if (p->info.method != LT_PCA_REPLICATED && p->info.method != LT_PCA_SLEPC) {
        grid_create(c, &g);
        p->blacs_ctxt = g.ctxt2d;
        p->info.nprow = g.nprow;
        p->info.npcol = g.npcol;
    }
    double *lambda = work, *V = work + o->n_components, *ss = V + o->n_components * train->d;
    st = solve(c, o, &g, train, p, lambda, V, ss);
    if (g.ctxt1d >= 0) Cblacs_gridexit(g.ctxt1d);
    return lt_pca_conclude(st, p, work, lambda, V, ss, out);
fail:
    free(work);
    lt_pca_destroy(&p);
    return st;
}
