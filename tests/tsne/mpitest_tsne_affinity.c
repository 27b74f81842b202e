/* t-SNE neighbours and affinities against scikit-learn 1.2 (fixtures from
 * scripts/make_tsne_fixtures.py), plus ties, bad input and exact sums. */
#include "tsne_testutil.h"

#include "latent/lt_rng.h"

#define N 300

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Row i's (index, value) pairs reordered by index. */
static void by_index(const int64_t *idx, const double *val, int64_t k, int64_t *oi, double *ov)
{
    int64_t *ord = malloc(sizeof(int64_t) * (size_t)k * 2);
    for (int64_t j = 0; j < k; j++) ord[2 * j] = idx[j], ord[2 * j + 1] = j;
    qsort(ord, (size_t)k, 2 * sizeof(int64_t), cmp_i64);
    for (int64_t j = 0; j < k; j++) oi[j] = ord[2 * j], ov[j] = val[ord[2 * j + 1]];
    free(ord);
}

static void check_perplexity(int pp)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = tt_load_x(c, N);
    int64_t k = 3 * pp + 1;
    char name[64];
    snprintf(name, sizeof name, "tsne/p%d_idx.i32", pp);
    int32_t *ridx = tt_read(name, NULL);
    snprintf(name, sizeof name, "tsne/p%d_cond.f64", pp);
    double *rcond = tt_read(name, NULL);
    snprintf(name, sizeof name, "tsne/p%d_beta.f64", pp);
    double *rbeta = tt_read(name, NULL);

    lt_tsne_knn *nn = NULL;
    LT_ASSERT_OK(lt_tsne_knn_compute(c, X, k, &nn));
    ck_assert_int_eq(nn->k, k);
    ck_assert_int_eq(nn->nloc, X->nloc);
    double *P = calloc((size_t)(X->nloc * k) + 1, sizeof *P);
    double *beta = calloc((size_t)X->nloc + 1, sizeof *beta);
    int64_t bad = -1;
    LT_ASSERT_OK(lt_tsne_conditional_p(nn, pp, P, beta, &bad));
    ck_assert_int_eq(bad, 0);
    int64_t *oi = malloc(sizeof(int64_t) * (size_t)k);
    double *ov = malloc(sizeof(double) * (size_t)k);
    double worst_p = 0, worst_b = 0;
    for (int64_t i = 0; i < X->nloc; i++) {
        int64_t g = X->row0 + i;
        for (int64_t j = 1; j < k; j++) ck_assert(nn->d2[i * k + j - 1] <= nn->d2[i * k + j]);
        by_index(nn->idx + i * k, P + i * k, k, oi, ov);
        for (int64_t j = 0; j < k; j++) {
            ck_assert_msg(oi[j] == ridx[g * k + j], "row %lld neighbour %lld: %lld vs %d",
                          (long long)g, (long long)j, (long long)oi[j], ridx[g * k + j]);
            double want = rcond[g * k + j];
            ck_assert_msg(tt_close(ov[j], want, 1e-5, 1e-12), "P[%lld,%lld] %.12g vs %.12g",
                          (long long)g, (long long)oi[j], ov[j], want);
            if (want > 1e-12) worst_p = fmax(worst_p, fabs(ov[j] - want) / want);
        }
        ck_assert_msg(tt_close(beta[i], rbeta[g], 1e-5, 0), "beta[%lld] %.12g vs %.12g",
                      (long long)g, beta[i], rbeta[g]);
        worst_b = fmax(worst_b, fabs(beta[i] - rbeta[g]) / rbeta[g]);
    }
    if (lt_comm_rank(c) == 0 && getenv("TT_VERBOSE"))
        printf("perplexity %d: worst relative P error %.3g, beta %.3g\n", pp, worst_p, worst_b);

    /* The symmetrised P, row by row against scikit-learn's CSR. */
    snprintf(name, sizeof name, "tsne/p%d_rowptr.i32", pp);
    int32_t *rptr = tt_read(name, NULL);
    snprintf(name, sizeof name, "tsne/p%d_col.i32", pp);
    int32_t *rcol = tt_read(name, NULL);
    snprintf(name, sizeof name, "tsne/p%d_val.f64", pp);
    double *rval = tt_read(name, NULL);
    lt_tsne_p *S = NULL;
    LT_ASSERT_OK(lt_tsne_symmetrize(c, nn, P, &S));
    ck_assert_int_eq(S->nloc, X->nloc);
    double sum = 0;
    for (int64_t i = 0; i < S->nloc; i++) {
        int64_t g = X->row0 + i;
        int64_t len = S->rowptr[i + 1] - S->rowptr[i];
        ck_assert_int_eq(len, rptr[g + 1] - rptr[g]);
        for (int64_t e = 0; e < len; e++) {
            int64_t a = S->rowptr[i] + e, b = rptr[g] + e;
            ck_assert_int_eq(S->col[a], rcol[b]);
            ck_assert_msg(tt_close(S->val[a], rval[b], 1e-5, 1e-14), "Psym[%lld,%d] %.12g vs %.12g",
                          (long long)g, rcol[b], S->val[a], rval[b]);
            sum += S->val[a];
        }
    }
    LT_ASSERT_OK(lt_comm_sum_d(c, &sum, 1));
    ck_assert(fabs(sum - 1.0) < 1e-12);
    lt_tsne_p_destroy(&S);
    free(rptr), free(rcol), free(rval);
    free(oi), free(ov), free(P), free(beta), free(ridx), free(rcond), free(rbeta);
    lt_tsne_knn_destroy(&nn);
    lt_dataset_destroy(&X);
}

START_TEST(affinities_perplexity_30) { check_perplexity(30); }
END_TEST
START_TEST(affinities_perplexity_5) { check_perplexity(5); }
END_TEST

/* Many exact ties (a coarse integer grid with duplicated rows, far from the
 * origin so that the screening slack matters): neighbours must be those of
 * a brute-force sort by (distance, index). */
START_TEST(knn_ties_by_index)
{
    lt_comm *c = lt_test_comm();
    const int64_t n = 157, d = 3, k = 12;
    lt_dataset *X = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, n, d, 0, &X));
    float *all = malloc(sizeof(float) * (size_t)(n * d));
    for (int64_t i = 0; i < n; i++) {
        lt_rng r;
        lt_rng_init(&r, 5, LT_STREAM_USER, (uint64_t)i);
        for (int64_t t = 0; t < d; t++) all[i * d + t] = 1000.0f + (float)lt_rng_below(&r, 4);
    }
    memcpy(X->x, all + X->row0 * d, sizeof(float) * (size_t)(X->nloc * d));
    lt_tsne_knn *nn = NULL;
    LT_ASSERT_OK(lt_tsne_knn_compute(c, X, k, &nn));
    int64_t *key = malloc(sizeof(int64_t) * (size_t)n * 2);
    for (int64_t i = 0; i < X->nloc; i++) {
        int64_t g = X->row0 + i, m = 0;
        for (int64_t j = 0; j < n; j++) {
            if (j == g) continue;
            double s = 0;
            for (int64_t t = 0; t < d; t++) {
                double e = (double)all[g * d + t] - all[j * d + t];
                s += e * e;
            }
            key[2 * m] = (int64_t)s * n + j; /* integer distances: (d, j) as one key */
            key[2 * m + 1] = (int64_t)s;
            m++;
        }
        qsort(key, (size_t)m, 2 * sizeof(int64_t), cmp_i64);
        for (int64_t j = 0; j < k; j++) {
            ck_assert_int_eq(nn->idx[i * k + j], key[2 * j] % n);
            ck_assert(nn->d2[i * k + j] == (double)key[2 * j + 1]);
        }
    }
    free(key), free(all);
    lt_tsne_knn_destroy(&nn);
    lt_dataset_destroy(&X);
}
END_TEST

START_TEST(knn_bad_input)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *X = tt_load_x(c, 40);
    lt_tsne_knn *nn = NULL;
    ck_assert_int_eq(lt_tsne_knn_compute(c, X, 40, &nn), LT_ERR_ARG);
    ck_assert(nn == NULL);
    ck_assert(strstr(lt_error_message(), "k = 40") != NULL);
    if (X->row0 <= 33 && 33 < X->row0 + X->nloc) X->x[(33 - X->row0) * 20 + 4] = NAN;
    ck_assert_int_eq(lt_tsne_knn_compute(c, X, 5, &nn), LT_ERR_DATA);
    ck_assert(strstr(lt_error_message(), "33") != NULL);
    lt_dataset_destroy(&X);
    lt_error_clear();
}
END_TEST

/* The exact sum: the same bits whatever the order and split over ranks,
 * and correct where a naive double sum is not. */
START_TEST(xsum_exact_and_order_free)
{
    lt_comm *c = lt_test_comm();
    int P = lt_comm_size(c), me = lt_comm_rank(c);
    const int64_t m = 10000;
    double *v = malloc(sizeof(double) * (size_t)m);
    for (int64_t i = 0; i < m; i++) {
        lt_rng r;
        lt_rng_init(&r, 9, LT_STREAM_USER, (uint64_t)i);
        v[i] = ldexp(lt_rng_normal(&r), (int)lt_rng_below(&r, 120) - 60);
    }
    v[17] = 1e30, v[18] = -1e30, v[19] = 1e-300; /* cancellation and a tiny term */
    lt_xsum fwd, bwd, part;
    lt_xsum_init(&fwd), lt_xsum_init(&bwd), lt_xsum_init(&part);
    for (int64_t i = 0; i < m; i++) lt_xsum_add(&fwd, v[i]);
    for (int64_t i = m - 1; i >= 0; i--) lt_xsum_add(&bwd, v[i]);
    for (int64_t i = me; i < m; i += P) lt_xsum_add(&part, v[i]);
    LT_ASSERT_OK(lt_xsum_allreduce(c, &part, 1));
    double a = lt_xsum_value(&fwd), b = lt_xsum_value(&bwd), p = lt_xsum_value(&part);
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
    ck_assert(memcmp(&a, &p, sizeof a) == 0);
    long double ref = 0;
    for (int64_t i = 0; i < m; i++)
        if (i != 17 && i != 18) ref += v[i];
    ck_assert_msg(fabs(a - (double)ref) <= 1e-15 * fabs((double)ref), "%.17g vs %.17Lg", a, ref);
    lt_xsum z;
    lt_xsum_init(&z);
    lt_xsum_add(&z, -2.5), lt_xsum_add(&z, 1.0);
    ck_assert(lt_xsum_value(&z) == -1.5);
    lt_xsum_add(&z, INFINITY);
    ck_assert(isnan(lt_xsum_value(&z)));
    free(v);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("tsne_affinity");
    TCase *t = tcase_create("core");
    tcase_add_test(t, affinities_perplexity_30);
    tcase_add_test(t, affinities_perplexity_5);
    tcase_add_test(t, knn_ties_by_index);
    tcase_add_test(t, knn_bad_input);
    tcase_add_test(t, xsum_exact_and_order_free);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
