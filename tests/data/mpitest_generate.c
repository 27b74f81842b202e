#include "lt_test.h"
#include "latent/lt_generate.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Checksums of the datasets below, computed once on 1 rank (run with
 * LT_PRINT_CHECKSUMS=1 to print them): the 2- and 4-rank runs must reproduce
 * them bit for bit. Only a deliberate change of the generators may change
 * them (then update here and in docs/data-generation.md). */
#define CK_BLOBS 0xb21d1d3c4c2d70e2ull
#define CK_UNIFORM 0x33facf458fbf50e7ull
#define CK_TINY 0xb353728d24ee98e3ull

static const double std3[3] = {0.5, 1.0, 2.0};

static lt_blobs_opts small_blobs(void)
{
    lt_blobs_opts o = {.n_samples = 1003, .n_features = 5, .n_centers = 4, .centers = NULL,
                       .cluster_std = NULL, .box_lo = -10, .box_hi = 10, .noise_features = 2,
                       .seed = 42};
    return o;
}

START_TEST(checksums_match_every_rank_count)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *b = NULL, *u = NULL, *t = NULL;
    lt_blobs_opts o = small_blobs();
    uint64_t cb, cu, ct;
    LT_ASSERT_OK(lt_generate_blobs(c, &o, &b));
    LT_ASSERT_OK(lt_generate_uniform(c, 1001, 7, 7, &u));
    LT_ASSERT_OK(lt_generate_uniform(c, 3, 2, 1, &t)); /* fewer rows than ranks at P = 4 */
    LT_ASSERT_OK(lt_dataset_checksum(c, b, &cb));
    LT_ASSERT_OK(lt_dataset_checksum(c, u, &cu));
    LT_ASSERT_OK(lt_dataset_checksum(c, t, &ct));
    if (getenv("LT_PRINT_CHECKSUMS") && lt_comm_rank(c) == 0)
        printf("blobs 0x%016llxull uniform 0x%016llxull tiny 0x%016llxull\n",
               (unsigned long long)cb, (unsigned long long)cu, (unsigned long long)ct);
    ck_assert_uint_eq(cb, CK_BLOBS);
    ck_assert_uint_eq(cu, CK_UNIFORM);
    ck_assert_uint_eq(ct, CK_TINY);
    ck_assert_int_eq(b->d, 7);
    ck_assert_ptr_null(u->y);
    int ok = 1;
    for (int64_t k = 0; k < u->nloc * u->d; k++) ok &= u->x[k] >= 0.0f && u->x[k] < 1.0f;
    for (int64_t i = 0; i < b->nloc; i++)
        ok &= b->x[i * 7 + 5] >= 0.0f && b->x[i * 7 + 6] < 1.0f && b->y[i] >= 0 && b->y[i] < 4;
    LT_ASSERT_ALL(ok);
    lt_dataset_destroy(&b);
    lt_dataset_destroy(&u);
    lt_dataset_destroy(&t);
}
END_TEST

/* Per-cluster sums (count, sum, sum of squares per feature) over all ranks. */
static void cluster_moments(lt_comm *c, const lt_dataset *ds, int k, double *m)
{
    int64_t d = ds->d;
    memset(m, 0, sizeof(double) * (size_t)(k * (1 + 2 * d)));
    for (int64_t i = 0; i < ds->nloc; i++) {
        double *r = m + ds->y[i] * (1 + 2 * d);
        r[0] += 1;
        for (int64_t j = 0; j < d; j++) {
            double v = ds->x[i * d + j];
            r[1 + j] += v;
            r[1 + d + j] += v * v;
        }
    }
    LT_ASSERT_OK(lt_comm_sum_d(c, m, k * (1 + 2 * d)));
}

START_TEST(blobs_statistics_match_make_blobs)
{
    lt_comm *c = lt_test_comm();
    const double centers[12] = {0, 0, 0, 0, 10, -5, 3, 1, -20, 7, 7, 100};
    lt_blobs_opts o = {.n_samples = 100000, .n_features = 4, .n_centers = 3, .centers = centers,
                       .cluster_std = std3, .noise_features = 1, .seed = 2024};
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_generate_blobs(c, &o, &ds));
    int64_t *counts = NULL;
    int nl = 0;
    LT_ASSERT_OK(lt_label_counts(c, ds, &counts, &nl));
    ck_assert_int_eq(nl, 3);
    /* make_blobs: n // k each, the remainder (1) to the first center. */
    ck_assert_int_eq(counts[0], 33334);
    ck_assert_int_eq(counts[1], 33333);
    ck_assert_int_eq(counts[2], 33333);
    free(counts);
    double m[3 * 11];
    cluster_moments(c, ds, 3, m);
    for (int l = 0; l < 3; l++) {
        const double *r = m + l * 11;
        for (int j = 0; j < 4; j++) {
            double mean = r[1 + j] / r[0], sd = sqrt(r[6 + j] / r[0] - mean * mean);
            ck_assert_double_le(fabs(mean - centers[l * 4 + j]), 5 * std3[l] / sqrt(r[0]));
            ck_assert_double_le(fabs(sd / std3[l] - 1), 0.02);
        }
        /* The noise column is uniform [0, 1) whatever the cluster. */
        double nm = r[5] / r[0], nv = r[10] / r[0] - nm * nm;
        ck_assert_double_le(fabs(nm - 0.5), 5 * sqrt(1.0 / 12 / r[0]));
        ck_assert_double_le(fabs(nv - 1.0 / 12), 0.003);
    }
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(rows_are_shuffled_and_labels_computable)
{
    lt_comm *c = lt_test_comm();
    lt_blobs_opts o = small_blobs();
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_generate_blobs(c, &o, &ds));
    /* Each row's label is the make_blobs block its permuted index falls in
     * (sizes 251, 251, 251, 250), computable from the global row alone. */
    int64_t changes = 0, ok = 1;
    for (int64_t i = 0; i < ds->nloc; i++) {
        int64_t p = lt_permute_index(ds->row0 + i, 1003, 42, LT_STREAM_LABELS);
        ok &= ds->y[i] == (p < 753 ? p / 251 : 3);
        if (i > 0) changes += ds->y[i] != ds->y[i - 1];
    }
    LT_ASSERT_ALL(ok);
    LT_ASSERT_OK(lt_comm_sum_i64(c, &changes, 1));
    /* A random order of 4 equal groups changes label ~3/4 of the time. */
    ck_assert_int_gt(changes, 600);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(permutation_is_a_bijection)
{
    const int64_t sizes[] = {1, 2, 3, 5, 17, 64, 1000, 4097};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int64_t n = sizes[s], moved = 0;
        char *hit = calloc((size_t)n, 1);
        for (int64_t i = 0; i < n; i++) {
            int64_t p = lt_permute_index(i, n, 99, LT_STREAM_LABELS);
            ck_assert(p >= 0 && p < n);
            ck_assert_int_eq(hit[p], 0);
            hit[p] = 1;
            moved += p != i;
        }
        if (n >= 17) ck_assert_int_gt(moved, n / 2);
        free(hit);
    }
    int64_t same = 0;
    for (int64_t i = 0; i < 1000; i++)
        same += lt_permute_index(i, 1000, 1, 5) == lt_permute_index(i, 1000, 2, 5);
    ck_assert_int_lt(same, 20);
    /* Large n: stays in range without overflow. */
    int64_t big = ((int64_t)1 << 40) + 12345;
    ck_assert(lt_permute_index(big - 1, big, 3, 1) < big);
}
END_TEST

START_TEST(default_centers_in_box_and_zero_std)
{
    lt_comm *c = lt_test_comm();
    double cen[5 * 3], std0[5] = {0, 0, 0, 0, 0};
    lt_blobs_centers(11, 5, 3, -2, 6, cen);
    for (int k = 0; k < 15; k++) ck_assert(cen[k] >= -2 && cen[k] < 6);
    ck_assert_double_ne(cen[0], cen[3]);
    lt_blobs_opts o = {.n_samples = 57, .n_features = 3, .n_centers = 5, .cluster_std = std0,
                       .box_lo = -2, .box_hi = 6, .seed = 11};
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_generate_blobs(c, &o, &ds));
    /* With std 0 every row is its center: the drawn centers are the documented ones. */
    int ok = 1;
    for (int64_t i = 0; i < ds->nloc; i++)
        for (int j = 0; j < 3; j++) ok &= ds->x[i * 3 + j] == (float)cen[ds->y[i] * 3 + j];
    LT_ASSERT_ALL(ok);
    lt_dataset_destroy(&ds);
}
END_TEST

static void expect_arg_error(lt_status st, const char *needle)
{
    ck_assert_int_eq(st, LT_ERR_ARG);
    ck_assert_msg(strstr(lt_error_message(), needle), "message \"%s\" lacks \"%s\"",
                  lt_error_message(), needle);
    lt_error_clear();
}

START_TEST(bad_arguments_are_rejected)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = NULL;
    double neg[4] = {1, -1, 1, 1};
    lt_blobs_opts o = small_blobs();
    o.n_samples = 0;
    expect_arg_error(lt_generate_blobs(c, &o, &ds), "n_samples");
    o = small_blobs(), o.n_features = 0;
    expect_arg_error(lt_generate_blobs(c, &o, &ds), "n_features");
    o = small_blobs(), o.n_centers = 0;
    expect_arg_error(lt_generate_blobs(c, &o, &ds), "centers must be >= 1");
    o = small_blobs(), o.n_samples = 3;
    expect_arg_error(lt_generate_blobs(c, &o, &ds), "4 centers but only 3 samples");
    o = small_blobs(), o.cluster_std = neg;
    expect_arg_error(lt_generate_blobs(c, &o, &ds), "cluster_std[1]");
    o = small_blobs(), o.box_lo = 5, o.box_hi = 5;
    expect_arg_error(lt_generate_blobs(c, &o, &ds), "center_box");
    o = small_blobs(), o.noise_features = -1;
    expect_arg_error(lt_generate_blobs(c, &o, &ds), "noise_features");
    expect_arg_error(lt_generate_uniform(c, 0, 3, 1, &ds), "n_samples");
    expect_arg_error(lt_generate_uniform(c, 3, 0, 1, &ds), "n_features");
    ck_assert_ptr_null(ds);
}
END_TEST

START_TEST(deck_lists_are_parsed_and_checked)
{
    int k;
    double *cen = NULL, *sd = NULL;
    LT_ASSERT_OK(lt_blobs_parse_centers(" 8 ", 2, &k, &cen));
    ck_assert_int_eq(k, 8);
    ck_assert_ptr_null(cen);
    LT_ASSERT_OK(lt_blobs_parse_centers("1, 2; -3 4.5", 2, &k, &cen));
    ck_assert_int_eq(k, 2);
    ck_assert_double_eq(cen[2], -3);
    ck_assert_double_eq(cen[3], 4.5);
    free(cen);
    expect_arg_error(lt_blobs_parse_centers("1,2;3", 2, &k, &cen), "center 1 has 1 values");
    expect_arg_error(lt_blobs_parse_centers("1,2,3;4,5,6", 2, &k, &cen), "center 0 has 3");
    expect_arg_error(lt_blobs_parse_centers("1,x", 2, &k, &cen), "cannot read");
    expect_arg_error(lt_blobs_parse_centers("0", 2, &k, &cen), "count must be >= 1");
    ck_assert_ptr_null(cen);
    LT_ASSERT_OK(lt_blobs_parse_std("2", 3, &sd));
    ck_assert_double_eq(sd[2], 2);
    free(sd);
    LT_ASSERT_OK(lt_blobs_parse_std("0.5, 1,2", 3, &sd));
    ck_assert_double_eq(sd[0], 0.5);
    ck_assert_double_eq(sd[2], 2);
    free(sd);
    expect_arg_error(lt_blobs_parse_std("1, 2", 3, &sd), "2 values for 3 centers");
    expect_arg_error(lt_blobs_parse_std("1, -2, 1", 3, &sd), "negative");
    ck_assert_ptr_null(sd);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("generate");
    TCase *t = tcase_create("generate");
    tcase_add_test(t, checksums_match_every_rank_count);
    tcase_add_test(t, blobs_statistics_match_make_blobs);
    tcase_add_test(t, rows_are_shuffled_and_labels_computable);
    tcase_add_test(t, permutation_is_a_bijection);
    tcase_add_test(t, default_centers_in_box_and_zero_std);
    tcase_add_test(t, bad_arguments_are_rejected);
    tcase_add_test(t, deck_lists_are_parsed_and_checked);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
