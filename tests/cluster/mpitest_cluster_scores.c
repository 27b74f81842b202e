#include "cluster_testutil.h"
#include "latent/lt_scores.h"

static const char *SETS[] = {"kmeans", "random", "singleton", "true"};

static void check_silhouette(lt_sil_mode mode, const char *prefix, int per_cluster)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_load_blobs(c);
    for (int s = 0; s < 4; s++) {
        int64_t n;
        int32_t *lab = ct_load_labels(SETS[s], X->row0, X->nloc, &n);
        lt_silhouette_opts o;
        lt_silhouette_opts_default(&o);
        o.mode = mode;
        lt_silhouette_result r;
        LT_ASSERT_OK(lt_silhouette(c, X, lab, X->nloc, &o, &r));
        char name[64];
        snprintf(name, sizeof name, "%s_%s", prefix, SETS[s]);
        double want = ct_ref1(name);
        ck_assert_msg(ct_close(r.score, want, 1e-6), "%s: %.12g vs %.12g", name, r.score, want);
        if (lt_comm_rank(c) == 0 && getenv("CT_VERBOSE"))
            printf("%s rel err %.3g\n", name, fabs(r.score - want) / fabs(want));
        ck_assert_int_eq(r.mode, mode);
        ck_assert_int_eq(r.n_scored, 3000);
        if (per_cluster) {
            double cl[64];
            snprintf(name, sizeof name, "silcl_%s", SETS[s]);
            int k = ct_ref(name, cl, 64);
            ck_assert_int_eq(r.nslots, k);
            for (int q = 0; q < k; q++)
                ck_assert_msg(fabs(r.cluster_mean[q] - cl[q]) <= 1e-6 * fabs(cl[q]) + 1e-8,
                              "%s[%d]: %.12g vs %.12g", name, q, r.cluster_mean[q], cl[q]);
        }
        lt_silhouette_result_free(&r);
        free(lab);
    }
    lt_dataset_destroy(&X);
}

START_TEST(exact_silhouette_matches_sklearn) { check_silhouette(LT_SIL_EXACT, "sil", 1); }
END_TEST
START_TEST(sqeuclidean_silhouette_matches_sklearn)
{
    check_silhouette(LT_SIL_SQEUCLIDEAN, "silsq", 0);
}
END_TEST

START_TEST(db_ch_match_sklearn)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_load_blobs(c);
    for (int s = 0; s < 4; s++) {
        int64_t n;
        int32_t *lab = ct_load_labels(SETS[s], X->row0, X->nloc, &n);
        double db, ch;
        char name[64];
        LT_ASSERT_OK(lt_davies_bouldin(c, X, lab, X->nloc, &db));
        LT_ASSERT_OK(lt_calinski_harabasz(c, X, lab, X->nloc, &ch));
        snprintf(name, sizeof name, "db_%s", SETS[s]);
        ck_assert_msg(ct_close(db, ct_ref1(name), 1e-6), "%s %.12g", name, db);
        snprintf(name, sizeof name, "ch_%s", SETS[s]);
        ck_assert_msg(ct_close(ch, ct_ref1(name), 1e-6), "%s %.12g", name, ch);
        free(lab);
    }
    lt_dataset_destroy(&X);
}
END_TEST

START_TEST(ari_nmi_match_sklearn)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_load_blobs(c);
    int64_t n;
    int32_t *km = ct_load_labels("kmeans", X->row0, X->nloc, &n);
    int32_t *rnd = ct_load_labels("random", X->row0, X->nloc, &n);
    double v;
    LT_ASSERT_OK(lt_ari(c, X->y, X->nloc, km, X->nloc, &v));
    ck_assert(ct_close(v, ct_ref1("ari_true_kmeans"), 1e-6));
    LT_ASSERT_OK(lt_nmi(c, X->y, X->nloc, km, X->nloc, &v));
    ck_assert(ct_close(v, ct_ref1("nmi_true_kmeans"), 1e-6));
    LT_ASSERT_OK(lt_ari(c, X->y, X->nloc, rnd, X->nloc, &v));
    ck_assert_msg(ct_close(v, ct_ref1("ari_true_random"), 1e-6), "%.12g", v);
    LT_ASSERT_OK(lt_nmi(c, X->y, X->nloc, rnd, X->nloc, &v));
    ck_assert(ct_close(v, ct_ref1("nmi_true_random"), 1e-6));
    LT_ASSERT_OK(lt_ari(c, km, X->nloc, km, X->nloc, &v));
    ck_assert(v == 1.0);
    /* the 12-element vectors, sharded like any other */
    int64_t r0, nl;
    lt_shard_range(12, lt_comm_size(c), lt_comm_rank(c), &r0, &nl);
    int32_t *a = ct_load_labels("small_a", r0, nl, &n), *b = ct_load_labels("small_b", r0, nl, &n);
    LT_ASSERT_OK(lt_ari(c, a, nl, b, nl, &v));
    ck_assert_msg(ct_close(v, ct_ref1("ari_small"), 1e-6), "%.12g", v);
    LT_ASSERT_OK(lt_nmi(c, a, nl, b, nl, &v));
    ck_assert_msg(ct_close(v, ct_ref1("nmi_small"), 1e-6), "%.12g", v);
    free(a), free(b), free(km), free(rnd);
    lt_dataset_destroy(&X);
}
END_TEST

START_TEST(inertia_of_cluster_means)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_load_blobs(c);
    int64_t n, k, d;
    int32_t *km = ct_load_labels("kmeans", X->row0, X->nloc, &n);
    double v, w, cen[256];
    LT_ASSERT_OK(lt_inertia(c, X, km, X->nloc, NULL, 0, &v));
    ck_assert_msg(ct_close(v, ct_ref1("kmeans_inertia"), 1e-6), "%.12g", v);
    k = 8, d = X->d;
    ck_assert_int_eq(ct_ref("kmeans_centers", cen, 256), k * d);
    LT_ASSERT_OK(lt_inertia(c, X, km, X->nloc, cen, k, &w));
    ck_assert(ct_close(w, v, 1e-6));
    ck_assert_int_eq(lt_inertia(c, X, km, X->nloc, cen, 3, &w), LT_ERR_ARG);
    lt_error_clear();
    free(km);
    lt_dataset_destroy(&X);
}
END_TEST

/* Sampled mode is the exact silhouette of the sampled rows; the sample does
 * not depend on the rank count (checked against MPI_COMM_SELF). */
START_TEST(sampled_is_exact_on_sample)
{
    lt_comm *c = lt_test_comm(), *self = NULL;
    LT_ASSERT_OK(lt_comm_create_self(&self));
    lt_dataset *X = ct_blobs(c, 4000, 5, 4, 4.0, 11), *Xs = ct_blobs(self, 4000, 5, 4, 4.0, 11);
    lt_silhouette_opts o;
    lt_silhouette_opts_default(&o);
    o.mode = LT_SIL_SAMPLED, o.sample_size = 700, o.seed = 5;
    lt_silhouette_result r, rs, re;
    LT_ASSERT_OK(lt_silhouette(c, X, X->y, X->nloc, &o, &r));
    LT_ASSERT_OK(lt_silhouette(self, Xs, Xs->y, Xs->nloc, &o, &rs));
    ck_assert_int_eq(r.n_scored, 700);
    ck_assert_msg(ct_close(r.score, rs.score, 1e-12), "%.15g vs %.15g", r.score, rs.score);
    lt_silhouette_result_free(&rs);
    /* exact sample size >= n: the exact score */
    o.sample_size = 1 << 30;
    LT_ASSERT_OK(lt_silhouette(c, X, X->y, X->nloc, &o, &rs));
    o.mode = LT_SIL_EXACT;
    LT_ASSERT_OK(lt_silhouette(c, X, X->y, X->nloc, &o, &re));
    ck_assert_int_eq(rs.n_scored, 4000);
    ck_assert(ct_close(rs.score, re.score, 1e-9));
    /* exact distributed == exact on one rank */
    lt_silhouette_result_free(&rs);
    LT_ASSERT_OK(lt_silhouette(self, Xs, Xs->y, Xs->nloc, &o, &rs));
    ck_assert_msg(ct_close(rs.score, re.score, 1e-12), "%.15g vs %.15g", rs.score, re.score);
    ck_assert(fabs(r.score - re.score) < 0.05 && r.score != re.score);
    lt_silhouette_result_free(&r), lt_silhouette_result_free(&rs), lt_silhouette_result_free(&re);
    lt_dataset_destroy(&X), lt_dataset_destroy(&Xs);
    lt_comm_destroy(&self);
}
END_TEST

START_TEST(more_ranks_than_rows)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, 3, 1, 1, &X));
    /* rows 0, 1, 10 with labels 0, 0, 1: s = (b - a) / max(a, b) = (9.5 - 1) / 9.5, then 0 */
    float v[3] = {0, 1, 10};
    int32_t l[3] = {0, 0, 1};
    for (int64_t i = 0; i < X->nloc; i++) X->x[i] = v[X->row0 + i], X->y[i] = l[X->row0 + i];
    lt_silhouette_opts o;
    lt_silhouette_opts_default(&o);
    lt_silhouette_result r;
    LT_ASSERT_OK(lt_silhouette(c, X, X->y, X->nloc, &o, &r));
    double s0 = (10.0 - 1) / 10.0, s1 = (9.0 - 1) / 9.0;
    ck_assert_msg(fabs(r.score - (s0 + s1) / 3) < 1e-9, "%.12g", r.score);
    ck_assert_int_eq(r.cluster_count[1], 1);
    ck_assert(r.cluster_mean[1] == 0.0);
    lt_silhouette_result_free(&r);
    lt_dataset_destroy(&X);
}
END_TEST

static void expect(lt_status st, lt_status code, const char *words)
{
    ck_assert_int_eq(st, code);
    ck_assert_msg(strstr(lt_error_message(), words) != NULL, "message '%s' lacks '%s'",
                  lt_error_message(), words);
    lt_error_clear();
}

START_TEST(bad_input_fails_cleanly)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = ct_blobs(c, 40, 2, 3, 1.0, 2);
    int32_t *one = calloc((size_t)X->nloc + 1, sizeof *one);
    lt_silhouette_opts o;
    lt_silhouette_opts_default(&o);
    lt_silhouette_result r;
    double v;
    expect(lt_silhouette(c, X, one, X->nloc, &o, &r), LT_ERR_DATA,
           "number of distinct labels is 1");
    expect(lt_davies_bouldin(c, X, one, X->nloc, &v), LT_ERR_DATA, "valid values are 2 to");
    expect(lt_calinski_harabasz(c, X, one, X->nloc, &v), LT_ERR_DATA, "distinct labels");
    /* one row per label: n labels > n - 1 */
    int32_t *all = calloc((size_t)X->nloc + 1, sizeof *all);
    for (int64_t i = 0; i < X->nloc; i++) all[i] = (int32_t)(X->row0 + i);
    expect(lt_silhouette(c, X, all, X->nloc, &o, &r), LT_ERR_DATA, "distinct labels is 40");
    /* wrong length on rank 0 only: every rank gets the error */
    int64_t bad = lt_comm_rank(c) == 0 ? X->nloc - 1 : X->nloc;
    expect(lt_silhouette(c, X, X->y, bad, &o, &r), LT_ERR_DATA, "different length");
    expect(lt_ari(c, X->y, X->nloc, X->y, bad, &v), LT_ERR_DATA, "differ in length");
    expect(lt_calinski_harabasz(c, X, X->y, bad, &v), LT_ERR_DATA, "different length");
    if (X->nloc > 0) all[0] = -3;
    expect(lt_nmi(c, all, X->nloc, X->y, X->nloc, &v), LT_ERR_DATA, "outside");
    o.mode = LT_SIL_SAMPLED, o.sample_size = 1;
    expect(lt_silhouette(c, X, X->y, X->nloc, &o, &r), LT_ERR_ARG, "sample_size");
    o.mode = LT_SIL_EXACT;
    if (X->row0 <= 5 && 5 < X->row0 + X->nloc) X->x[(5 - X->row0) * 2] = INFINITY;
    expect(lt_silhouette(c, X, X->y, X->nloc, &o, &r), LT_ERR_DATA, "row 5, column 0");
    expect(lt_davies_bouldin(c, X, X->y, X->nloc, &v), LT_ERR_DATA, "row 5");
    lt_sil_mode m;
    expect(lt_sil_mode_parse("euclid", &m), LT_ERR_ARG, "unknown silhouette mode");
    LT_ASSERT_OK(lt_sil_mode_parse("sqeuclidean", &m));
    ck_assert_str_eq(lt_sil_mode_name(m), "sqeuclidean");
    free(one), free(all);
    lt_dataset_destroy(&X);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("scores");
    TCase *t = tcase_create("scores");
    tcase_add_test(t, exact_silhouette_matches_sklearn);
    tcase_add_test(t, sqeuclidean_silhouette_matches_sklearn);
    tcase_add_test(t, db_ch_match_sklearn);
    tcase_add_test(t, ari_nmi_match_sklearn);
    tcase_add_test(t, inertia_of_cluster_means);
    tcase_add_test(t, sampled_is_exact_on_sample);
    tcase_add_test(t, more_ranks_than_rows);
    tcase_add_test(t, bad_input_fails_cleanly);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
