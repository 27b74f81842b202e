/* [pca] method = slepc (issue 19): the truncated SVD of the implicitly
 * centred data against ScaLAPACK's full SVD of the same rows and against
 * scikit-learn, for each SLEPc solver; in a build without PETSc, the clear
 * error that says how to build with it. */
#include "pca_fixture.h"

#include "latent/lt_hash.h"
#include "latent/lt_petsc.h"
#include "latent/lt_sparse.h"

static lt_pca_opts opts(int64_t k, lt_pca_method m, int solver)
{
    lt_pca_opts o;
    lt_pca_opts_default(&o);
    o.n_components = k;
    o.method = m;
    o.block_size = 16;
    o.slepc_solver = solver;
    return o;
}

static void compare(const char *what, const lt_pca *p, const lt_pca *ref, double vtol, double ctol)
{
    int64_t d = ref->n_features;
    ck_assert_int_eq(p->n_components, ref->n_components);
    for (int64_t i = 0; i < p->n_components; i++) {
        double rel = fabs(p->explained_variance[i] - ref->explained_variance[i]) /
                     ref->explained_variance[i];
        ck_assert_msg(rel <= vtol, "%s: variance %lld %.17g vs %.17g (rel %g)", what,
                      (long long)i, p->explained_variance[i], ref->explained_variance[i], rel);
        double cd = pf_maxdiff(p->components + i * d, ref->components + i * d, d);
        ck_assert_msg(cd <= ctol, "%s: component %lld differs by %g", what, (long long)i, cd);
    }
    ck_assert(fabs(p->total_variance - ref->total_variance) <= 1e-12 * ref->total_variance);
}

/* Each solver against the full ScaLAPACK SVD:
 * variances to 1e-9 relative (the issue asks 1e-6), components to 1e-6. */
START_TEST(matches_full_svd)
{
    if (!lt_petsc_available()) {
        lt_test_skip(1, "built without PETSc");
        return;
    }
    /* Randomized subspace iteration is for decaying spectra (it stalls on the
       flat ones of random and wide): blobs, 10 columns, k = 5. */
    const char *cases[] = {"random", "wide", "blobs"};
    const char *name = cases[_i / 2];
    int solver = _i < 4 ? _i % 2 : LT_SVD_RANDOMIZED;
    int64_t k = _i < 4 ? 10 : 5;
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, name);
    lt_pca_opts o = opts(k, LT_PCA_SVD, 0), os = opts(k, LT_PCA_SLEPC, solver);
    lt_pca *full = NULL, *p = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &full));
    const lt_timer *tm = lt_test_timer();
    LT_ASSERT_OK(lt_pca_fit(c, &os, ds, &p));
    ck_assert_int_eq(p->info.method, LT_PCA_SLEPC);
    ck_assert(p->info.slepc_matvecs > 0);
    /* the eigensolver's event has at least the operator products' FLOPs */
    ck_assert(tm->flops[LT_EV_PCA_EIGEN] >= 2.0 * (double)(p->info.slepc_matvecs * ds->nloc * ds->d));
    char what[64];
    snprintf(what, sizeof what, "%s/%s", name, lt_pca_slepc_solver_name(solver));
    compare(what, p, full, 1e-9, 1e-6);
    /* the scores of the two models agree too (transform uses the components) */
    lt_pca_destroy(&p), lt_pca_destroy(&full);
    lt_dataset_destroy(&ds);
}
END_TEST

/* Against scikit-learn's fixtures, as the ScaLAPACK methods are tested. */
START_TEST(matches_sklearn)
{
    if (!lt_petsc_available()) {
        lt_test_skip(1, "built without PETSc");
        return;
    }
    const char *cases[] = {"blobs", "random", "wide"};
    lt_comm *c = lt_test_comm();
    pf_ref r;
    pf_ref_read(cases[_i], &r);
    lt_dataset *ds = pf_make(c, cases[_i]);
    lt_pca_opts o = opts(r.k, LT_PCA_SLEPC, LT_SVD_TRLANCZOS);
    lt_pca *p = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
    for (int64_t i = 0; i < r.k; i++) {
        ck_assert_msg(fabs(p->explained_variance[i] - r.ev[i]) <= 1e-9 * r.ev[0], "%s ev %lld",
                      cases[_i], (long long)i);
        ck_assert(pf_maxdiff(p->components + i * r.d, r.comp + i * r.d, r.d) < 1e-7);
    }
    ck_assert(fabs(p->total_variance - r.total) <= 1e-12 * r.total);
    lt_pca_destroy(&p);
    lt_dataset_destroy(&ds);
    pf_ref_free(&r);
}
END_TEST

/* A rank with no rows (n = 3 on up to 4 ranks) takes part in every product. */
START_TEST(empty_ranks)
{
    if (!lt_petsc_available()) {
        lt_test_skip(1, "built without PETSc");
        return;
    }
    lt_comm *c = lt_test_comm();
    const float rows[] = {1, 2, 0, 5, 3, 1, 4, 0, 2, 7, 1, 1, 0, 2, 9, 3, 3, 6};
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_from_rows(c, rows, 3, 6, &ds));
    lt_pca_opts o = opts(2, LT_PCA_REPLICATED, 0), os = opts(2, LT_PCA_SLEPC, LT_SVD_TRLANCZOS);
    lt_pca *full = NULL, *p = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &full));
    LT_ASSERT_OK(lt_pca_fit(c, &os, ds, &p));
    compare("3 x 6", p, full, 1e-9, 1e-6);
    lt_pca_destroy(&p), lt_pca_destroy(&full);
    lt_dataset_destroy(&ds);
}
END_TEST

/* Entry (i, j) of the sparse fixture: a pure function of the global indices,
 * so every rank count builds the same matrix. About 20% non-zeros, counts
 * 1..9; row 7 is empty and column 3 all zeros (scanpy meets both). */
static float sparse_entry(int64_t i, int64_t j)
{
    uint64_t h = lt_mix64(((uint64_t)i << 32) ^ (uint64_t)j ^ 0x9e3779b97f4a7c15ull);
    if (i == 7 || j == 3 || h % 5) return 0.0f;
    return (float)(1 + (h >> 8) % 9) + (float)(j % 4);
}

static lt_csr *sparse_fixture(lt_comm *c, int64_t n, int64_t d)
{
    int64_t row0, nloc, nnz = 0;
    lt_shard_range(n, lt_comm_size(c), lt_comm_rank(c), &row0, &nloc);
    for (int64_t i = row0; i < row0 + nloc; i++)
        for (int64_t j = 0; j < d; j++) nnz += sparse_entry(i, j) != 0.0f;
    lt_csr *m = NULL;
    LT_ASSERT_OK(lt_csr_create(c, n, d, nnz, &m));
    int64_t e = 0;
    for (int64_t r = 0; r < nloc; r++) {
        for (int64_t j = 0; j < d; j++) {
            float v = sparse_entry(row0 + r, j);
            if (v != 0.0f) m->indices[e] = (int32_t)j, m->data[e++] = v;
        }
        m->indptr[r + 1] = e;
    }
    LT_ASSERT_OK(lt_csr_check(c, m, "fixture"));
    return m;
}

/* The sparse path (issue 19: "equal to the dense result to 1e-6"): the
 * model from the CSR matrix, for both Krylov solvers, against ScaLAPACK's
 * full SVD of the same matrix densified. 90 x 40, so a rank of 4 holds 22. */
START_TEST(csr_matches_dense)
{
    if (!lt_petsc_available()) {
        lt_test_skip(1, "built without PETSc");
        return;
    }
    lt_comm *c = lt_test_comm();
    const int64_t n = 90, d = 40, k = 8;
    lt_csr *m = sparse_fixture(c, n, d);
    int64_t nnz = 0;
    LT_ASSERT_OK(lt_csr_nnz_global(c, m, &nnz));
    ck_assert(nnz > n * d / 8 && nnz < n * d / 3);
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_csr_densify(c, m, NULL, d, &ds));
    lt_pca_opts o = opts(k, LT_PCA_SVD, 0);
    lt_pca *full = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &full));
    const int solvers[] = {LT_SVD_TRLANCZOS, LT_SVD_CROSS};
    for (int s = 0; s < 2; s++) {
        lt_pca_opts os = opts(k, LT_PCA_SLEPC, solvers[s]);
        lt_pca *p = NULL;
        LT_ASSERT_OK(lt_pca_fit_csr(c, &os, m, &p));
        ck_assert_int_eq(p->info.method, LT_PCA_SLEPC);
        ck_assert(p->info.slepc_matvecs > 0);
        ck_assert(pf_maxdiff(p->mean, full->mean, d) <= 1e-12);
        compare(s ? "csr krylovschur" : "csr lanczos", p, full, 1e-9, 1e-6);
        lt_pca_destroy(&p);
    }
    lt_pca_destroy(&full);
    lt_dataset_destroy(&ds);
    lt_csr_destroy(&m);
}
END_TEST

/* Bad options are agreed errors; without PETSc the method names the way. */
START_TEST(bad_input)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, "wide");
    lt_pca *p = NULL;
    lt_pca_opts o = opts(3, LT_PCA_SLEPC, LT_SVD_TRLANCZOS);
    if (!lt_petsc_available()) {
        ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "[pca] method = slepc"));
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "LATENT_WITH_PETSC"));
        ck_assert_ptr_null(p);
    }
    o.slepc_tol = 0;
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
    o.slepc_tol = 1e-10, o.slepc_solver = 7;
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
    o.slepc_solver = 0, o.n_components = 41; /* > min(n, d) = 40 */
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
    ck_assert_ptr_null(p);
    int s = -1;
    ck_assert_int_eq(lt_pca_slepc_solver_parse("arnoldi", &s), LT_ERR_ARG);
    LT_ASSERT_OK(lt_pca_slepc_solver_parse("krylovschur", &s));
    ck_assert_int_eq(s, LT_SVD_CROSS);
    lt_dataset_destroy(&ds);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("pca_slepc");
    TCase *t = tcase_create("slepc");
    tcase_add_loop_test(t, matches_full_svd, 0, 5);
    tcase_add_loop_test(t, matches_sklearn, 0, 3);
    tcase_add_test(t, empty_ranks);
    tcase_add_test(t, csr_matches_dense);
    tcase_add_test(t, bad_input);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
