/* [pca] method = slepc: the top k singular triplets of the implicitly
 * centred training rows by SLEPc (src/petsc/svd.c), as the eigenpairs of the
 * centred Gram matrix that the other solvers return. */
#include "pca_impl.h"

#include <stdio.h>
#include <stdlib.h>

#include "latent/lt_petsc.h"
#include "latent/lt_sparse.h"
#include "latent/lt_timer.h"

lt_status lt_pca_solve_slepc(lt_comm *c, const lt_pca_opts *o, const lt_dataset *ds,
                             const double *mean, int k, double *lambda, double *V, double *ss,
                             lt_pca_info *info)
{
    lt_svd_problem pb = {.n = ds->n, .d = ds->d, .row0 = ds->row0, .nloc = ds->nloc,
                         .x = ds->x, .mean = mean};
    lt_svd_opts so = {.solver = (lt_svd_solver)o->slepc_solver, .tol = o->slepc_tol};
    lt_svd_result res = {0};
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_EIGEN);
    lt_status st = lt_petsc_top_svd(c, &pb, k, &so, lambda, V, &res);
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_EIGEN, res.flops);
    LT_CALL(st);
    for (int i = 0; i < k; i++) lambda[i] *= lambda[i];
    info->slepc_iterations = res.iterations;
    info->slepc_matvecs = res.matvecs;
    /* The Gram diagonal (total variance, constant columns): one more pass. */
    for (int64_t j = 0; j < ds->d; j++) ss[j] = 0;
    lt_column_sq_dev(ds->x, ds->nloc, ds->d, mean, ss);
    return lt_comm_sum_d(c, ss, ds->d);
}

/* Column means and centred sums of squares of a CSR shard: the n - nnz_j
 * zeros of column j add (n - nnz_j) mean_j^2 to its sum of squares. */
static lt_status csr_moments(lt_comm *c, const lt_csr *m, double *mean, double *ss)
{
    int64_t d = m->d;
    double *cnt = lt_calloc((size_t)d, sizeof(double));
    lt_status st = cnt ? LT_OK : LT_ERR_MEM;
    LT_CALL(lt_comm_agree(c, st));
    for (int64_t p = 0; p < m->nnz; p++) mean[m->indices[p]] += m->data[p], cnt[m->indices[p]] += 1;
    st = lt_comm_sum_d(c, mean, d);
    if (st == LT_OK) st = lt_comm_sum_d(c, cnt, d);
    if (st == LT_OK) {
        for (int64_t j = 0; j < d; j++) mean[j] /= (double)m->n;
        for (int64_t p = 0; p < m->nnz; p++) {
            double e = m->data[p] - mean[m->indices[p]];
            ss[m->indices[p]] += e * e;
        }
        st = lt_comm_sum_d(c, ss, d);
    }
    if (st == LT_OK)
        for (int64_t j = 0; j < d; j++) ss[j] += ((double)m->n - cnt[j]) * mean[j] * mean[j];
    free(cnt);
    return st;
}

lt_status lt_pca_fit_csr(lt_comm *c, const lt_pca_opts *o, const struct lt_csr *m, lt_pca **out)
{
    *out = NULL;
    if (!lt_petsc_available())
        return lt_petsc_require("PCA of a sparse matrix without densifying it ([pca] method = slepc)");
    LT_CHECK(o->method == LT_PCA_SLEPC || o->method == LT_PCA_AUTO, LT_ERR_ARG,
             "PCA of a sparse matrix: method %s would densify it; use slepc (or auto)",
             lt_pca_method_name(o->method));
    LT_CHECK(m->n >= 2, LT_ERR_DATA, "PCA needs at least 2 training rows, got %lld", (long long)m->n);
    int64_t mn = m->n < m->d ? m->n : m->d;
    LT_CHECK(o->n_components >= 1 && o->n_components < mn, LT_ERR_ARG,
             "pca n_components = %lld must be between 1 and min(n_samples, n_features) - 1 = %lld "
             "for the sparse (Krylov) path", (long long)o->n_components, (long long)(mn - 1));
    LT_CHECK((unsigned)o->slepc_solver < 3 && o->slepc_tol > 0 && o->slepc_tol < 1, LT_ERR_ARG,
             "invalid PCA slepc options (solver %d, tol %g)", o->slepc_solver, o->slepc_tol);
    int64_t k = o->n_components, d = m->d;
    lt_pca *p = NULL;
    double *work = NULL;
    lt_status st = lt_pca_alloc(d, k, &p);
    if (st == LT_OK) {
        work = lt_calloc((size_t)(k * (d + 1) + d), sizeof(double));
        if (!work) st = LT_ERR_MEM;
    }
    LT_CALL_GOTO(st, lt_comm_agree(c, st), fail);
    double *lambda = work, *V = work + k, *ss = V + k * d;
    p->n_samples = m->n;
    p->info.method = LT_PCA_SLEPC;
    p->info.nprow = p->info.npcol = 1;
    p->info.gram_kernel = LT_PCA_GRAM_BLAS;
    snprintf(p->info.reason, sizeof p->info.reason,
             o->method == LT_PCA_AUTO ? "auto: sparse data, the implicitly centred operator keeps them sparse"
                                      : "requested");
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_MEAN);
    st = csr_moments(c, m, p->mean, ss);
    /* per stored value: two sums, a difference, its square and sum; per column 5 */
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_MEAN, 5.0 * (double)m->nnz + 5.0 * (double)d);
    if (st != LT_OK) goto fail;
    lt_svd_problem pb = {.n = m->n, .d = d, .row0 = m->row0, .nloc = m->nloc, .indptr = m->indptr,
                         .indices = m->indices, .data = m->data, .mean = p->mean};
    lt_svd_opts so = {.solver = (lt_svd_solver)o->slepc_solver, .tol = o->slepc_tol};
    lt_svd_result res = {0};
    lt_event_begin(lt_comm_timer(c), LT_EV_PCA_EIGEN);
    st = lt_petsc_top_svd(c, &pb, k, &so, lambda, V, &res);
    lt_event_end(lt_comm_timer(c), LT_EV_PCA_EIGEN, res.flops);
    for (int64_t i = 0; st == LT_OK && i < k; i++) lambda[i] *= lambda[i];
    p->info.slepc_iterations = res.iterations;
    p->info.slepc_matvecs = res.matvecs;
    return lt_pca_conclude(st, p, work, lambda, V, ss, out);
fail:
    free(work);
    lt_pca_destroy(&p);
    return st;
}
