/* PCA against scikit-learn references and against a 1-rank fit of the same
 * data on MPI_COMM_SELF (the rank-count invariance), for every method. */
#include "pca_fixture.h"
#include "latent/lt_petsc.h"

static const lt_pca_method methods[] = {LT_PCA_REPLICATED, LT_PCA_COVARIANCE, LT_PCA_SVD};

static lt_pca_opts opts(int64_t k, lt_pca_method m)
{
    lt_pca_opts o;
    lt_pca_opts_default(&o);
    o.n_components = k;
    o.method = m;
    o.block_size = 16;  /* small blocks: the 2-D grid really is distributed */
    o.chunk_rows = 97;  /* several chunks per rank, odd boundaries */
    return o;
}

/* Components of non-null directions to 1e-8, variances to 1e-9 relative. */
static void check_against_ref(const char *name, lt_pca_method m)
{
    lt_comm *c = lt_test_comm();
    pf_ref r;
    pf_ref_read(name, &r);
    lt_dataset *ds = pf_make(c, name);
    ck_assert_msg(pf_bitsum(c, ds) == pf_sum_fixture(name), "%s: data differs from the script's",
                  name);
    lt_pca_opts o = opts(r.k, m);
    lt_pca *p = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
    int64_t d = r.d, kk = r.k;
    ck_assert_int_eq(p->info.method, m);
    double top = r.ev[0];
    for (int64_t i = 0; i < kk; i++) {
        double tol = 1e-9 * top;
        ck_assert_msg(fabs(p->explained_variance[i] - r.ev[i]) <= tol, "%s %s ev[%lld] %.17g vs %.17g",
                      name, lt_pca_method_name(m), (long long)i, p->explained_variance[i], r.ev[i]);
        ck_assert(fabs(p->explained_variance_ratio[i] - r.evr[i]) <= 1e-9);
        ck_assert(fabs(p->singular_values[i] - r.sv[i]) <= 1e-6 * r.sv[0]);
        if (r.ev[i] > 1e-8 * top) /* null directions are arbitrary, as in scikit-learn */
            ck_assert_msg(pf_maxdiff(p->components + i * d, r.comp + i * d, d) < 1e-8,
                          "%s %s component %lld: %g", name, lt_pca_method_name(m), (long long)i,
                          pf_maxdiff(p->components + i * d, r.comp + i * d, d));
    }
    ck_assert(pf_maxdiff(p->mean, r.mean, d) < 1e-12 * (1 + fabs(r.mean[0])) + 1e-12);
    ck_assert(fabs(p->total_variance - r.total) <= 1e-12 * r.total);
    double mse = -1, *rows = NULL;
    LT_ASSERT_OK(lt_pca_reconstruction_error(c, p, ds, &mse, &rows));
    ck_assert_msg(fabs(mse - r.mse) <= 1e-9 * r.mse + 1e-12 * r.total, "%s mse %.17g vs %.17g",
                  name, mse, r.mse);
    double sum = 0;
    for (int64_t i = 0; i < ds->nloc; i++) sum += rows[i];
    LT_ASSERT_OK(lt_comm_sum_d(c, &sum, 1));
    ck_assert(fabs(sum / (double)ds->n - mse) <= 1e-9 * mse + 1e-14);
    free(rows);
    lt_pca_destroy(&p);
    ck_assert_ptr_null(p);
    lt_dataset_destroy(&ds);
    pf_ref_free(&r);
}

START_TEST(matches_sklearn)
{
    const char *cases[] = {"blobs", "random", "wide", "rankdef"};
    check_against_ref(cases[_i / 3], methods[_i % 3]);
}
END_TEST

/* The whole data set on MPI_COMM_SELF of every rank, for a 1-rank fit. */
static lt_dataset *local_copy(lt_comm *self, const char *name)
{
    lt_dataset *ds = pf_make(self, name);
    return ds;
}

START_TEST(same_on_any_rank_count)
{
    const char *cases[] = {"rankdef", "wide"};
    lt_comm *c = lt_test_comm(), *self = NULL;
    LT_ASSERT_OK(lt_comm_create_self(&self));
    for (int ci = 0; ci < 2; ci++)
        for (int mi = 0; mi < 3; mi++) {
            lt_dataset *ds = pf_make(c, cases[ci]), *all = local_copy(self, cases[ci]);
            lt_pca_opts o = opts(3, methods[mi]);
            lt_pca *p = NULL, *q = NULL;
            LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
            LT_ASSERT_OK(lt_pca_fit(self, &o, all, &q)); /* BLACS on a sub-communicator */
            int64_t d = ds->d;
            ck_assert(pf_maxrel(p->explained_variance, q->explained_variance, 3) < 1e-10);
            ck_assert(pf_maxdiff(p->components, q->components, 3 * d) < 1e-10);
            lt_dataset *s = NULL, *t = NULL;
            LT_ASSERT_OK(lt_pca_transform(c, p, ds, &s));
            LT_ASSERT_OK(lt_pca_transform(self, q, all, &t));
            double scale = sqrt(p->explained_variance[0]), worst = 0;
            for (int64_t i = 0; i < s->nloc * 3; i++)
                worst = fmax(worst, fabs(s->x[i] - t->x[s->row0 * 3 + i]));
            LT_ASSERT_ALL(worst <= 1e-6 * scale);
            lt_dataset_destroy(&s), lt_dataset_destroy(&t);
            lt_pca_destroy(&p), lt_pca_destroy(&q);
            lt_dataset_destroy(&ds), lt_dataset_destroy(&all);
        }
    lt_comm_destroy(&self);
}
END_TEST

START_TEST(auto_choice_is_recorded)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *wide = pf_make(c, "wide"), *rd = pf_make(c, "rankdef");
    lt_pca_opts o = opts(2, LT_PCA_AUTO);
    lt_pca *p = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, wide, &p));
    /* with PETSc, wide data and k <= n / 5 go to SLEPc's truncated SVD */
    ck_assert_int_eq(p->info.method, lt_petsc_available() ? LT_PCA_SLEPC : LT_PCA_SVD);
    ck_assert_ptr_nonnull(strstr(p->info.reason, "d = 700 > n = 40"));
    lt_pca_destroy(&p);
    o.n_components = 9; /* k > n / 5: the full SVD */
    LT_ASSERT_OK(lt_pca_fit(c, &o, wide, &p));
    ck_assert_int_eq(p->info.method, LT_PCA_SVD);
    lt_pca_destroy(&p);
    o.n_components = 2;
    LT_ASSERT_OK(lt_pca_fit(c, &o, rd, &p));
    ck_assert_int_eq(p->info.method, LT_PCA_REPLICATED);
    lt_pca_destroy(&p);
    o.replicated_max_d = 10; /* d = 20 no longer fits the replicated rule */
    LT_ASSERT_OK(lt_pca_fit(c, &o, rd, &p));
    ck_assert_int_eq(p->info.method, LT_PCA_COVARIANCE);
    ck_assert_int_eq(p->info.nprow * p->info.npcol, lt_comm_size(c));
    ck_assert_int_eq(p->info.n_null_components, 0);
    lt_pca_destroy(&p);
    o.n_components = 5; /* rank 3: two null components, variance ~0 */
    LT_ASSERT_OK(lt_pca_fit(c, &o, rd, &p));
    ck_assert_int_eq(p->info.n_null_components, 2);
    ck_assert(p->explained_variance[4] >= 0 && p->explained_variance[4] < 1e-10);
    lt_pca_destroy(&p);
    lt_dataset_destroy(&wide), lt_dataset_destroy(&rd);
}
END_TEST

/* More ranks than rows: some ranks hold nothing (n = 3 on 4 ranks). */
START_TEST(tiny_with_empty_ranks)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, 3, 2, 1, &ds));
    const float v[3][2] = {{1, 2}, {3, 1}, {0, 6}};
    for (int64_t i = 0; i < ds->nloc; i++) {
        ds->x[2 * i] = v[ds->row0 + i][0], ds->x[2 * i + 1] = v[ds->row0 + i][1];
        ds->y[i] = (int32_t)(ds->row0 + i);
    }
    for (int mi = 0; mi < 3; mi++) {
        lt_pca_opts o = opts(2, methods[mi]);
        lt_pca *p = NULL;
        LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
        /* covariance [[7/3*... computed by hand: trace = var(x0) + var(x1) = 7/3 + 7 */
        ck_assert(fabs(p->total_variance - (7.0 / 3.0 + 7.0)) < 1e-12);
        ck_assert(fabs(p->explained_variance[0] + p->explained_variance[1] - p->total_variance) <
                  1e-12);
        ck_assert(fabs(p->explained_variance_ratio[0] + p->explained_variance_ratio[1] - 1) < 1e-12);
        lt_dataset *s = NULL, *back = NULL;
        LT_ASSERT_OK(lt_pca_transform(c, p, ds, &s));
        LT_ASSERT_OK(lt_pca_inverse_transform(c, p, s, &back));
        int ok = 1; /* k = d: the round trip is exact up to float rounding */
        for (int64_t i = 0; i < ds->nloc; i++) {
            ok &= s->y[i] == ds->y[i] && back->y[i] == ds->y[i];
            for (int j = 0; j < 2; j++) ok &= fabsf(back->x[2 * i + j] - ds->x[2 * i + j]) < 1e-5f;
        }
        LT_ASSERT_ALL(ok);
        lt_dataset_destroy(&s), lt_dataset_destroy(&back);
        lt_pca_destroy(&p);
    }
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(inverse_of_full_rank_subspace)
{
    /* rankdef has rank 3: k = 3 reconstructs it to float precision. */
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, "rankdef"), *s = NULL, *back = NULL;
    lt_pca_opts o = opts(3, LT_PCA_COVARIANCE);
    lt_pca *p = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
    LT_ASSERT_OK(lt_pca_transform(c, p, ds, &s));
    ck_assert_int_eq(s->d, 3);
    ck_assert_int_eq(s->n, ds->n);
    LT_ASSERT_OK(lt_pca_inverse_transform(c, p, s, &back));
    double worst = 0;
    for (int64_t t = 0; t < ds->nloc * ds->d; t++) worst = fmax(worst, fabs(back->x[t] - ds->x[t]));
    LT_ASSERT_ALL(worst < 1e-4);
    double mse = 1;
    LT_ASSERT_OK(lt_pca_reconstruction_error(c, p, ds, &mse, NULL));
    ck_assert(mse < 1e-20);
    lt_dataset_destroy(&s), lt_dataset_destroy(&back), lt_dataset_destroy(&ds);
    lt_pca_destroy(&p);
}
END_TEST

START_TEST(one_block_covers_d)
{
    /* ScaLAPACK 2.2.1 under-reports pdsyevd's workspace when nb >= d. */
    lt_comm *c = lt_test_comm();
    pf_ref r;
    pf_ref_read("random", &r);
    lt_dataset *ds = pf_make(c, "random");
    for (int mi = 1; mi < 3; mi++) {
        lt_pca_opts o = opts(r.k, methods[mi]);
        o.block_size = 4096;
        lt_pca *p = NULL;
        LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
        ck_assert_int_eq(p->info.block_size, 300);
        ck_assert(pf_maxrel(p->explained_variance, r.ev, r.k) < 1e-10);
        ck_assert(pf_maxdiff(p->components, r.comp, r.k * r.d) < 1e-8);
        lt_pca_destroy(&p);
    }
    lt_dataset_destroy(&ds);
    pf_ref_free(&r);
}
END_TEST

/* Both Gram kernels of the mixed path; AMX where the CPU has it, else its
 * request must fail on every rank with a clear error. */
START_TEST(mixed_precision_close_to_sklearn)
{
    lt_comm *c = lt_test_comm();
    pf_ref r;
    pf_ref_read("blobs", &r);
    lt_dataset *ds = pf_make(c, "blobs");
    lt_pca_opts o = opts(2, LT_PCA_REPLICATED);
    o.precision = LT_PCA_MIXED;
    o.chunk_rows = 2048;
    o.gram_kernel = _i ? LT_PCA_GRAM_AMX : LT_PCA_GRAM_BLAS;
    lt_pca *p = NULL;
    if (_i && !lt_pca_amx_available()) {
        ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "AMX"));
    } else {
        LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
        ck_assert_int_eq(p->info.gram_kernel, o.gram_kernel);
        ck_assert_msg(pf_maxrel(p->explained_variance, r.ev, 2) < 1e-6, "mixed: %g",
                      pf_maxrel(p->explained_variance, r.ev, 2));
        ck_assert(pf_maxdiff(p->components, r.comp, 2 * r.d) < 1e-5);
        lt_pca_destroy(&p);
    }
    lt_dataset_destroy(&ds);
    pf_ref_free(&r);
}
END_TEST

/* AUTO: AMX on the 300-column set where the CPU has it, ssyrk on the
 * 11-column blobs; either way within 1e-6 of scikit-learn. */
START_TEST(auto_gram_kernel_by_width)
{
    lt_comm *c = lt_test_comm();
    const char *cases[] = {"random", "blobs"};
    for (int ci = 0; ci < 2; ci++) {
        pf_ref r;
        pf_ref_read(cases[ci], &r);
        lt_dataset *ds = pf_make(c, cases[ci]);
        lt_pca_opts o = opts(3, LT_PCA_REPLICATED);
        o.n_components = r.k < 3 ? r.k : 3;
        o.precision = LT_PCA_MIXED;
        lt_pca *p = NULL;
        LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
        int amx = ci == 0 && lt_pca_amx_available();
        ck_assert_int_eq(p->info.gram_kernel, amx ? LT_PCA_GRAM_AMX : LT_PCA_GRAM_BLAS);
        ck_assert_msg(pf_maxrel(p->explained_variance, r.ev, o.n_components) < 1e-6, "%s: %g",
                      cases[ci], pf_maxrel(p->explained_variance, r.ev, o.n_components));
        lt_pca_destroy(&p);
        lt_dataset_destroy(&ds);
        pf_ref_free(&r);
    }
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("pca");
    TCase *t = tcase_create("fit");
    tcase_add_loop_test(t, matches_sklearn, 0, 12);
    tcase_add_test(t, same_on_any_rank_count);
    tcase_add_test(t, auto_choice_is_recorded);
    tcase_add_test(t, tiny_with_empty_ranks);
    tcase_add_test(t, inverse_of_full_rank_subspace);
    tcase_add_test(t, one_block_covers_d);
    tcase_add_loop_test(t, mixed_precision_close_to_sklearn, 0, 2);
    tcase_add_test(t, auto_gram_kernel_by_width);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
