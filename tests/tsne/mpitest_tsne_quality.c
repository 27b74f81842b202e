/* Quality figures of an embedding against scikit-learn 1.2 on 1, 2 and 4
 * ranks: trustworthiness, 10-NN recall and leave-one-out 10-NN accuracy of
 * the first two PCA columns of the 1000-row fixture taken as an embedding. */
#include "tsne_testutil.h"

START_TEST(quality_matches_sklearn)
{
    lt_comm *c = lt_test_comm();
    const int64_t m = 1000, d = 20;
    float *x = tt_read("tsne/x.f32", NULL);
    int32_t *y = tt_read("tsne/labels.i32", NULL);
    float *e = malloc(sizeof(float) * 2 * (size_t)m);
    for (int64_t i = 0; i < m; i++) e[2 * i] = x[i * d], e[2 * i + 1] = x[i * d + 1];
    lt_tsne_quality q;
    LT_ASSERT_OK(lt_tsne_quality_compute(c, m, d, x, e, y, &q));
    ck_assert_int_eq(q.n_sample, m);
    ck_assert_double_eq_tol(q.trust5, tt_ref("trust5_pc2"), 1e-12);
    ck_assert_double_eq_tol(q.trust10, tt_ref("trust10_pc2"), 1e-12);
    ck_assert_double_eq_tol(q.recall10, tt_ref("recall10_pc2"), 1e-12);
    ck_assert_double_eq_tol(q.knn_accuracy10, tt_ref("knn10_loo_pc2"), 1e-12);
    /* without labels: no accuracy; too few rows: NaN, not an error */
    LT_ASSERT_OK(lt_tsne_quality_compute(c, m, d, x, e, NULL, &q));
    ck_assert(isnan(q.knn_accuracy10) && isfinite(q.trust10));
    LT_ASSERT_OK(lt_tsne_quality_compute(c, 15, d, x, e, y, &q));
    ck_assert(isfinite(q.trust5) && isnan(q.trust10));
    LT_ASSERT_OK(lt_tsne_quality_compute(c, 5, d, x, e, y, &q));
    ck_assert(isnan(q.trust5) && isnan(q.recall10));
    free(x), free(y), free(e);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("tsne_quality_mpi");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, quality_matches_sklearn);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
