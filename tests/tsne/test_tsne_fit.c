/* t-SNE end to end on one rank: the final KL against scikit-learn 1.2's
 * TSNE() on the same 1,000 x 20 input with PCA initialisation (reference
 * from scripts/make_tsne_fixtures.py), for both repulsion methods; the
 * fit's phases are events of the attached timer (its one record of time).
 * Under ASan the fit stops after 300 iterations (250 exaggerated + 50): the
 * memory checks still see every phase, at a third of the cost; the KL
 * against scikit-learn's needs all 1,000 and is checked by the release
 * build. */
#include "tsne_testutil.h"

static void check_kl(lt_tsne_method m)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = tt_load_x(c, 1000);
    lt_tsne_opts o;
    lt_tsne_opts_default(&o);
    o.method = m;
    if (LT_TEST_SANITIZED) o.n_iter = 300;
    lt_tsne_result r;
    const lt_timer *tm = lt_test_timer();
    LT_ASSERT_OK(lt_tsne_fit(c, &o, X, &r));
    double want = tt_ref("kl_bh_pca");
    if (getenv("TT_VERBOSE"))
        printf("%s: KL %.6f (scikit-learn %.6f), %lld iterations, %.2f s exaggerated + %.2f s\n",
               lt_tsne_method_name(m), r.info.kl, want, (long long)r.info.n_iter,
               tm->wall[LT_EV_TSNE_EXAGGERATED], tm->wall[LT_EV_TSNE_MAIN]);
    static const lt_event once[] = {LT_EV_TSNE_KNN, LT_EV_TSNE_AFFINITY, LT_EV_TSNE_INIT,
                                    LT_EV_TSNE_EXAGGERATED, LT_EV_TSNE_MAIN};
    for (int e = 0; e < 5; e++) ck_assert(tm->count[once[e]] == 1 && tm->wall[once[e]] > 0);
    ck_assert_int_eq(tm->count[LT_EV_TSNE_ITER], r.info.n_iter);
    ck_assert(tm->wall[LT_EV_TSNE_ITER] <= tm->wall[LT_EV_TSNE_EXAGGERATED] + tm->wall[LT_EV_TSNE_MAIN]);
    if (LT_TEST_SANITIZED) {
        ck_assert_int_eq(r.info.n_iter, o.n_iter);
        ck_assert(isfinite(r.info.kl) && r.info.kl > 0);
    } else {
        ck_assert_msg(fabs(r.info.kl - want) <= 0.02 * want, "KL %.6f vs scikit-learn's %.6f",
                      r.info.kl, want);
        ck_assert_int_eq(r.info.n_iter, (int64_t)tt_ref("n_iter_bh_pca") + 1);
    }
    ck_assert_int_eq(r.info.k, 91);
    ck_assert(fabs(r.info.learning_rate - 50.0) < 1e-12); /* max(1000 / 48, 50) */
    lt_tsne_result_free(&r);
    lt_dataset_destroy(&X);
}

START_TEST(fft_kl_matches_sklearn) { check_kl(LT_TSNE_FFT); }
END_TEST
START_TEST(exact_kl_matches_sklearn) { check_kl(LT_TSNE_EXACT); }
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("tsne_fit");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, fft_kl_matches_sklearn);
    tcase_add_test(t, exact_kl_matches_sklearn);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
