#include "cluster_testutil.h"
#include "latent/lt_kmeans.h"

/* Labels and inertia from given centers match scikit-learn (fixture). */
static void check_given(const char *centers_file, const char *refname, const char *labname)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_load_blobs(c);
    int64_t k, d, n;
    double *init = ct_load_centers(centers_file, &k, &d);
    int32_t *want = ct_load_labels(labname, X->row0, X->nloc, &n);
    lt_kmeans_opts o;
    lt_kmeans_opts_default(&o);
    o.n_clusters = k, o.init = LT_KMEANS_GIVEN, o.centers = init;
    lt_kmeans *km = NULL;
    LT_ASSERT_OK(lt_kmeans_fit(c, &o, X, &km));
    int same = 1;
    for (int64_t i = 0; i < X->nloc; i++) same &= km->labels[i] == want[i];
    LT_ASSERT_ALL(same);
    char name[64];
    snprintf(name, sizeof name, "%s_inertia", refname);
    ck_assert_msg(ct_close(km->inertia, ct_ref1(name), 1e-6), "inertia %.12g vs %.12g", km->inertia,
                  ct_ref1(name));
    snprintf(name, sizeof name, "%s_n_iter", refname);
    ck_assert_int_eq(km->n_iter, (int64_t)ct_ref1(name));
    ck_assert_int_eq(km->converged, 1);
    int64_t total = 0;
    for (int64_t q = 0; q < k; q++) total += km->counts[q];
    ck_assert_int_eq(total, X->n);
    lt_kmeans_destroy(&km);
    ck_assert_ptr_null(km);
    free(init), free(want);
    lt_dataset_destroy(&X);
}

START_TEST(given_centers_match_sklearn)
{
    check_given("cluster/init_centers.txt", "kmeans", "kmeans");
    /* centers too: scikit-learn's final centers, to 1e-6 relative */
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_load_blobs(c);
    int64_t k, d;
    double *init = ct_load_centers("cluster/init_centers.txt", &k, &d), ref[256];
    ck_assert_int_eq(ct_ref("kmeans_centers", ref, 256), k * d);
    lt_kmeans_opts o;
    lt_kmeans_opts_default(&o);
    o.n_clusters = k, o.init = LT_KMEANS_GIVEN, o.centers = init;
    lt_kmeans *km = NULL;
    LT_ASSERT_OK(lt_kmeans_fit(c, &o, X, &km));
    for (int64_t q = 0; q < k * d; q++)
        ck_assert(fabs(km->centers[q] - ref[q]) <= 1e-6 * fabs(ref[q]) + 1e-9);
    /* predict on the same rows gives the fit's labels and inertia */
    int32_t *lab = calloc((size_t)X->nloc + 1, sizeof *lab);
    double inertia;
    LT_ASSERT_OK(lt_kmeans_predict(c, km, X, lab, &inertia));
    int same = 1;
    for (int64_t i = 0; i < X->nloc; i++) same &= lab[i] == km->labels[i];
    LT_ASSERT_ALL(same);
    ck_assert(ct_close(inertia, km->inertia, 1e-12));
    free(lab), free(init);
    lt_kmeans_destroy(&km);
    lt_dataset_destroy(&X);
}
END_TEST

START_TEST(empty_cluster_relocated_like_sklearn)
{
    check_given("cluster/init_far.txt", "kmfar", "kmeans_far");
}
END_TEST

/* The distributed fit equals the fit of the whole data set on one rank
 * (each rank repeats it on MPI_COMM_SELF). */
static void check_rank_invariance(lt_kmeans_init init, int64_t n_init, int k)
{
    lt_comm *c = lt_test_comm(), *self = NULL;
    LT_ASSERT_OK(lt_comm_create_self(&self));
    lt_dataset *X = ct_blobs(c, 20000, 6, 6, 3.0, 42), *Xs = ct_blobs(self, 20000, 6, 6, 3.0, 42);
    lt_kmeans_opts o;
    lt_kmeans_opts_default(&o);
    o.n_clusters = k, o.init = init, o.n_init = n_init, o.seed = 9;
    lt_kmeans *km = NULL, *ks = NULL;
    LT_ASSERT_OK(lt_kmeans_fit(c, &o, X, &km));
    LT_ASSERT_OK(lt_kmeans_fit(self, &o, Xs, &ks));
    int same = 1;
    for (int64_t i = 0; i < X->nloc; i++) same &= km->labels[i] == ks->labels[X->row0 + i];
    LT_ASSERT_ALL(same);
    ck_assert_msg(ct_close(km->inertia, ks->inertia, 1e-9), "%.15g vs %.15g", km->inertia,
                  ks->inertia);
    ck_assert_int_eq(km->n_iter, ks->n_iter);
    ck_assert_int_eq(km->best_init, ks->best_init);
    /* a different seed gives a different start */
    lt_kmeans_destroy(&ks);
    o.seed = 10;
    LT_ASSERT_OK(lt_kmeans_fit(self, &o, Xs, &ks));
    ck_assert(ks->inertia > 0);
    lt_kmeans_destroy(&km), lt_kmeans_destroy(&ks);
    lt_dataset_destroy(&X), lt_dataset_destroy(&Xs);
    lt_comm_destroy(&self);
}

START_TEST(plusplus_same_on_any_rank_count) { check_rank_invariance(LT_KMEANS_PLUSPLUS, 2, 6); }
END_TEST
START_TEST(random_same_on_any_rank_count) { check_rank_invariance(LT_KMEANS_RANDOM, 3, 9); }
END_TEST

START_TEST(plusplus_finds_separated_blobs)
{
    /* Well separated blobs: k-means++ recovers the truth (ARI-free check:
     * every cluster is pure and the inertia is about n * d * std^2). */
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_blobs(c, 5000, 4, 5, 0.2, 3);
    lt_kmeans_opts o;
    lt_kmeans_opts_default(&o);
    o.n_clusters = 5, o.n_init = 3;
    lt_kmeans *km = NULL;
    LT_ASSERT_OK(lt_kmeans_fit(c, &o, X, &km));
    int64_t map[5][5];
    memset(map, 0, sizeof map);
    for (int64_t i = 0; i < X->nloc; i++) map[X->y[i]][km->labels[i]]++;
    LT_ASSERT_OK(lt_comm_sum_i64(c, &map[0][0], 25));
    int pure = 1;
    for (int a = 0; a < 5; a++) {
        int nz = 0;
        for (int b = 0; b < 5; b++) nz += map[a][b] > 0;
        pure &= nz == 1;
    }
    ck_assert(pure);
    ck_assert_msg(km->inertia < 5000 * 4 * 0.04 * 1.2, "inertia %g", km->inertia);
    lt_kmeans_destroy(&km);
    lt_dataset_destroy(&X);
}
END_TEST

START_TEST(more_ranks_than_rows)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_blobs(c, 3, 2, 2, 0.1, 5);
    lt_kmeans_opts o;
    lt_kmeans_opts_default(&o);
    o.n_clusters = 3;
    lt_kmeans *km = NULL;
    LT_ASSERT_OK(lt_kmeans_fit(c, &o, X, &km));
    ck_assert(km->inertia < 1e-9); /* k = n: every row its own center */
    lt_kmeans_destroy(&km);
    o.n_clusters = 1;
    LT_ASSERT_OK(lt_kmeans_fit(c, &o, X, &km));
    ck_assert_int_eq(km->counts[0], 3);
    lt_kmeans_destroy(&km);
    lt_dataset_destroy(&X);
}
END_TEST

START_TEST(duplicate_rows_stay_finite)
{
    /* 10 identical rows, k = 3: empty clusters cannot all be filled. */
    lt_comm *c = lt_test_comm();
    lt_dataset *X = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, 10, 2, 0, &X));
    for (int64_t i = 0; i < X->nloc * 2; i++) X->x[i] = 1.5f;
    for (int init = 0; init < 2; init++) {
        lt_kmeans_opts o;
        lt_kmeans_opts_default(&o);
        o.n_clusters = 3, o.init = init ? LT_KMEANS_RANDOM : LT_KMEANS_PLUSPLUS;
        lt_kmeans *km = NULL;
        LT_ASSERT_OK(lt_kmeans_fit(c, &o, X, &km));
        ck_assert(km->inertia == 0.0);
        for (int q = 0; q < 6; q++) ck_assert(km->centers[q] == 1.5);
        lt_kmeans_destroy(&km);
    }
    lt_dataset_destroy(&X);
}
END_TEST

static void expect_fail(lt_comm *c, const lt_kmeans_opts *o, const lt_dataset *X, lt_status code,
                        const char *words)
{
    lt_kmeans *km = NULL;
    lt_status st = lt_kmeans_fit(c, o, X, &km);
    ck_assert_int_eq(st, code);
    ck_assert_ptr_null(km);
    ck_assert_msg(strstr(lt_error_message(), words) != NULL, "message '%s' lacks '%s'",
                  lt_error_message(), words);
    lt_error_clear();
}

START_TEST(bad_input_fails_cleanly)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_blobs(c, 50, 3, 2, 1.0, 1);
    lt_kmeans_opts o;
    lt_kmeans_opts_default(&o);
    o.n_clusters = 0;
    expect_fail(c, &o, X, LT_ERR_ARG, "must be >= 1");
    o.n_clusters = 51;
    expect_fail(c, &o, X, LT_ERR_ARG, "larger than the number of rows");
    o.n_clusters = 2, o.max_iter = 0;
    expect_fail(c, &o, X, LT_ERR_ARG, "max_iter");
    o.max_iter = 300, o.tol = -1;
    expect_fail(c, &o, X, LT_ERR_ARG, "tol");
    o.tol = 1e-4, o.init = LT_KMEANS_GIVEN;
    expect_fail(c, &o, X, LT_ERR_ARG, "needs initial centers");
    o.init = LT_KMEANS_PLUSPLUS;
    /* NaN on the last rank that holds rows: every rank fails the same way */
    if (X->row0 <= 37 && 37 < X->row0 + X->nloc) X->x[(37 - X->row0) * 3 + 1] = NAN;
    expect_fail(c, &o, X, LT_ERR_DATA, "row 37, column 1");
    lt_kmeans_init ini;
    ck_assert_int_eq(lt_kmeans_init_parse("kmeans", &ini), LT_ERR_ARG);
    LT_ASSERT_OK(lt_kmeans_init_parse("random", &ini));
    ck_assert_int_eq(ini, LT_KMEANS_RANDOM);
    lt_error_clear();
    lt_kmeans_destroy(NULL);
    lt_dataset_destroy(&X);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("kmeans");
    TCase *t = tcase_create("kmeans");
    tcase_add_test(t, given_centers_match_sklearn);
    tcase_add_test(t, empty_cluster_relocated_like_sklearn);
    tcase_add_test(t, plusplus_same_on_any_rank_count);
    tcase_add_test(t, random_same_on_any_rank_count);
    tcase_add_test(t, plusplus_finds_separated_blobs);
    tcase_add_test(t, more_ranks_than_rows);
    tcase_add_test(t, duplicate_rows_stay_finite);
    tcase_add_test(t, bad_input_fails_cleanly);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
