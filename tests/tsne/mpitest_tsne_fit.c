/* t-SNE end to end on 1, 2 and 4 ranks: with init = random or pca the embedding's
 * bits equal those of rank 0 recomputing alone; bad input is an agreed,
 * clear error on every rank. */
#include "tsne_testutil.h"

static double *fit_all(lt_comm *c, const lt_tsne_opts *o, int64_t n, lt_tsne_info *info)
{
    lt_dataset *X = tt_load_x(c, n);
    lt_tsne_result r;
    LT_ASSERT_OK(lt_tsne_fit(c, o, X, &r));
    double *all = calloc(2 * (size_t)n, sizeof *all);
    memcpy(all + 2 * X->row0, r.y, sizeof(double) * 2 * (size_t)X->nloc);
    LT_ASSERT_OK(lt_comm_sum_d(c, all, 2 * n)); /* x + 0 = x: exact */
    *info = r.info;
    lt_tsne_result_free(&r);
    lt_dataset_destroy(&X);
    return all;
}

static void check_bits(lt_tsne_method m, lt_tsne_init init)
{
    lt_comm *c = lt_test_comm();
    /* Under ASan half the rows (4 ranks still hold 37 or 38 each) at a
     * quarter of the cost; the release build checks the 300. */
    const int64_t n = LT_TEST_SANITIZED ? 150 : 300;
    lt_tsne_opts o;
    lt_tsne_opts_default(&o);
    o.init = init;
    o.seed = 11;
    o.method = m;
    o.n_iter = init == LT_TSNE_INIT_PCA ? 260 : 300; /* 250 exaggerated + the rest */
    lt_tsne_info info, i1;
    double *y = fit_all(c, &o, n, &info);
    int same = 1;
    if (lt_comm_rank(c) == 0) {
        lt_comm *solo = NULL;
        LT_ASSERT_OK(lt_comm_create_self(&solo));
        double *y1 = fit_all(solo, &o, n, &i1);
        same = memcmp(y, y1, sizeof(double) * 2 * (size_t)n) == 0 &&
               memcmp(&info.kl, &i1.kl, sizeof info.kl) == 0 && info.n_iter == i1.n_iter;
        if (!same) {
            double worst = 0;
            for (int64_t e = 0; e < 2 * n; e++) worst = fmax(worst, fabs(y[e] - y1[e]));
            printf("%s: embeddings differ by up to %g (KL %.17g vs %.17g)\n",
                   lt_tsne_method_name(m), worst, info.kl, i1.kl);
        }
        free(y1);
        lt_comm_destroy(&solo);
    }
    LT_ASSERT_ALL(same);
    ck_assert_int_eq(info.n_iter, o.n_iter);
    ck_assert(isfinite(info.kl) && info.kl > 0);
    free(y);
}

START_TEST(fft_bits_independent_of_ranks) { check_bits(LT_TSNE_FFT, LT_TSNE_INIT_RANDOM); }
END_TEST
START_TEST(exact_bits_independent_of_ranks) { check_bits(LT_TSNE_EXACT, LT_TSNE_INIT_RANDOM); }
END_TEST
/* The PCA start's covariance is an exact sum too (tsne.c, exact_gram). */
START_TEST(pca_start_bits_independent_of_ranks) { check_bits(LT_TSNE_FFT, LT_TSNE_INIT_PCA); }
END_TEST

static void expect_error(lt_dataset *X, const lt_tsne_opts *o, lt_status code, const char *text)
{
    lt_comm *c = lt_test_comm();
    lt_tsne_result r;
    lt_status st = lt_tsne_fit(c, o, X, &r);
    ck_assert_msg(st == code, "status %s, want %s (%s)", lt_status_name(st), lt_status_name(code),
                  lt_error_message());
    ck_assert_msg(strstr(lt_error_message(), text) != NULL, "message '%s' lacks '%s'",
                  lt_error_message(), text);
    ck_assert(r.y == NULL);
    lt_error_clear();
}

START_TEST(bad_input_is_a_clear_error)
{
    lt_comm *c = lt_test_comm();
    lt_tsne_opts o;
    lt_tsne_opts_default(&o);
    lt_dataset *X = tt_load_x(c, 31);
    expect_error(X, &o, LT_ERR_ARG, "perplexity = 30 must be positive and below n - 1 = 30");
    o.perplexity = 29.5;
    o.n_iter = 10;
    lt_tsne_result r;
    LT_ASSERT_OK(lt_tsne_fit(c, &o, X, &r)); /* just below: fine */
    lt_tsne_result_free(&r);
    o.perplexity = -1;
    expect_error(X, &o, LT_ERR_ARG, "perplexity = -1");
    o.perplexity = 5;
    o.learning_rate = -2;
    expect_error(X, &o, LT_ERR_ARG, "learning_rate = -2");
    o.learning_rate = 0;
    if (X->row0 <= 17 && 17 < X->row0 + X->nloc) X->x[(17 - X->row0) * 20 + 3] = NAN;
    expect_error(X, &o, LT_ERR_DATA, "row 17");
    lt_dataset_destroy(&X);
    X = tt_load_x(c, 1);
    expect_error(X, &o, LT_ERR_DATA, "at least 2 rows");
    lt_dataset_destroy(&X);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("tsne_fit_mpi");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 300); /* seconds on a quiet machine; the shared one is slower */
    tcase_add_test(t, fft_bits_independent_of_ranks);
    tcase_add_test(t, exact_bits_independent_of_ranks);
    tcase_add_test(t, pca_start_bits_independent_of_ranks);
    tcase_add_test(t, bad_input_is_a_clear_error);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
