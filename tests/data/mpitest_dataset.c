#include "lt_test.h"
#include "latent/lt_dataset.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(shard_layout_covers_rows_once)
{
    /* mb = ceil(n / P): ranks hold consecutive blocks; trailing ranks may be empty. */
    int64_t n = 10, seen = 0, row0, nloc;
    for (int r = 0; r < 4; r++) {
        lt_shard_range(n, 4, r, &row0, &nloc);
        ck_assert_int_eq(row0, r * 3 > n ? n : r * 3);
        seen += nloc;
        for (int64_t i = row0; i < row0 + nloc; i++) ck_assert_int_eq(lt_shard_owner(n, 4, i), r);
    }
    ck_assert_int_eq(seen, n);
    lt_shard_range(2, 4, 3, &row0, &nloc);
    ck_assert_int_eq(nloc, 0);
}
END_TEST

START_TEST(agree_spreads_first_failure)
{
    lt_comm *c = lt_test_comm();
    lt_status local = LT_OK;
    if (lt_comm_rank(c) == lt_comm_size(c) - 1)
        local = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__, "bad row on last rank");
    lt_status st = lt_comm_agree(c, local);
    ck_assert_int_eq(st, LT_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "bad row on last rank"));
    if (lt_comm_size(c) > 1) ck_assert_ptr_nonnull(strstr(lt_error_message(), "rank "));
    lt_error_clear();
    ck_assert_int_eq(lt_comm_agree(c, LT_OK), LT_OK);
}
END_TEST

START_TEST(philox_known_answer)
{
    /* Random123's known-answer test for philox4x32_10 with all-ones input. */
    uint32_t ctr[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, key[2] = {0xffffffffu, 0xffffffffu}, out[4];
    lt_philox4x32(ctr, key, out);
    ck_assert_uint_eq(out[0], 0x408f276du);
    ck_assert_uint_eq(out[1], 0x41c83b0eu);
    ck_assert_uint_eq(out[2], 0xa20bc7c6u);
    ck_assert_uint_eq(out[3], 0x6d5451fdu);
    uint32_t z[4] = {0, 0, 0, 0}, kz[2] = {0, 0};
    lt_philox4x32(z, kz, out);
    ck_assert_uint_eq(out[0], 0x6627e8d5u);
    ck_assert_uint_eq(out[1], 0xe169c58du);
    ck_assert_uint_eq(out[3], 0x9b00dbd8u);
}
END_TEST

START_TEST(redistribute_reverses_rows)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *a = NULL, *b = NULL;
    int64_t n = 37;
    LT_ASSERT_OK(lt_dataset_create(c, n, 3, 1, &a));
    int64_t *dest = calloc((size_t)a->nloc + 1, sizeof *dest);
    for (int64_t i = 0; i < a->nloc; i++) {
        int64_t g = a->row0 + i;
        for (int j = 0; j < 3; j++) a->x[i * 3 + j] = (float)(g * 10 + j);
        a->y[i] = (int32_t)g;
        dest[i] = n - 1 - g;
    }
    LT_ASSERT_OK(lt_dataset_redistribute(c, a, dest, n, &b));
    int ok = 1;
    for (int64_t i = 0; i < b->nloc; i++) {
        int64_t g = n - 1 - (b->row0 + i);
        ok &= b->y[i] == g && b->x[i * 3 + 2] == (float)(g * 10 + 2);
    }
    LT_ASSERT_ALL(ok);
    uint64_t s1, s2;
    LT_ASSERT_OK(lt_dataset_checksum(c, a, &s1));
    LT_ASSERT_OK(lt_dataset_checksum(c, b, &s2));
    ck_assert_uint_ne(s1, s2);
    free(dest);
    lt_dataset_destroy(&a);
    lt_dataset_destroy(&b);
    ck_assert_ptr_null(a);
}
END_TEST

/* Rows from every rank (and one row twice) reach every rank exactly, as
 * float and as double; no row is fetched: nothing written. */
START_TEST(fetch_rows_gathers_any_rows_everywhere)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *a = NULL;
    int64_t n = 11, d = 3;
    LT_ASSERT_OK(lt_dataset_create(c, n, d, 0, &a));
    for (int64_t i = 0; i < a->nloc; i++)
        for (int64_t j = 0; j < d; j++) a->x[i * d + j] = (float)(a->row0 + i) + 0.1f * (float)j;
    int64_t ids[5] = {10, 0, 5, 10, 3};
    float f[15];
    double g[15];
    LT_ASSERT_OK(lt_dataset_fetch_rows(c, a, ids, 5, f));
    LT_ASSERT_OK(lt_dataset_fetch_rows_d(c, a, ids, 5, g));
    for (int q = 0; q < 5; q++)
        for (int j = 0; j < d; j++) {
            float want = (float)ids[q] + 0.1f * (float)j;
            ck_assert_float_eq(f[q * d + j], want);
            ck_assert_double_eq(g[q * d + j], (double)want);
        }
    float untouched = -7.0f;
    LT_ASSERT_OK(lt_dataset_fetch_rows(c, a, ids, 0, &untouched));
    ck_assert_float_eq(untouched, -7.0f);
    lt_dataset_destroy(&a);
}
END_TEST

/* Column means and centered sums of squares over every rank's rows, equal
 * to the two-pass double loop over all rows (10 columns: a vector of 8 and
 * a tail), and the same numbers lt_colstats_compute reports. */
static float moment_value(int64_t g, int64_t j) { return (float)((g * 7 + j * 3) % 11) * 0.5f + (float)j; }

START_TEST(column_moments_match_a_two_pass_loop)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *a = NULL;
    int64_t n = 13, d = 10;
    LT_ASSERT_OK(lt_dataset_create(c, n, d, 0, &a));
    for (int64_t i = 0; i < a->nloc; i++)
        for (int64_t j = 0; j < d; j++) a->x[i * d + j] = moment_value(a->row0 + i, j);
    double mean[10], ss[10];
    LT_ASSERT_OK(lt_dataset_column_moments(c, a, mean, ss));
    lt_colstats *cs = NULL;
    LT_ASSERT_OK(lt_colstats_compute(c, a, &cs));
    for (int64_t j = 0; j < d; j++) {
        double m = 0, q = 0;
        for (int64_t g = 0; g < n; g++) m += moment_value(g, j);
        m /= (double)n;
        for (int64_t g = 0; g < n; g++) q += (moment_value(g, j) - m) * (moment_value(g, j) - m);
        ck_assert_double_eq_tol(mean[j], m, 1e-12);
        ck_assert_double_eq_tol(ss[j], q, 1e-9);
        ck_assert_double_eq(cs->mean[j], mean[j]);
        ck_assert_double_eq(cs->std[j], sqrt(ss[j] / (double)n));
    }
    ck_assert_double_gt(ss[3], 1.0); /* not vacuous */
    lt_colstats_destroy(&cs);
    lt_dataset_destroy(&a);
}
END_TEST

/* The same shard as src, zeroed, d columns; labels none or copied, and
 * agreed: a rank without labels (here the last) gets zeros when any has. */
START_TEST(create_like_keeps_rows_and_chooses_labels)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *a = NULL, *b = NULL, *e = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, 23, 3, 1, &a));
    for (int64_t i = 0; i < a->nloc; i++) a->y[i] = (int32_t)(a->row0 + i) % 5 + 1;
    int last = lt_comm_rank(c) == lt_comm_size(c) - 1 && lt_comm_size(c) > 1;
    if (last) free(a->y), a->y = NULL;
    LT_ASSERT_OK(lt_dataset_create_like(c, a, 4, LT_LIKE_COPY_LABELS, &b));
    LT_ASSERT_OK(lt_dataset_create_like(c, a, 1, LT_LIKE_NO_LABELS, &e));
    int ok = b->n == 23 && b->d == 4 && b->row0 == a->row0 && b->nloc == a->nloc && b->y;
    ok &= e->n == 23 && e->d == 1 && e->nloc == a->nloc && !e->y;
    for (int64_t i = 0; ok && i < b->nloc; i++) {
        ok &= b->y[i] == (last ? 0 : (int32_t)(a->row0 + i) % 5 + 1);
        for (int j = 0; j < 4; j++) ok &= b->x[i * 4 + j] == 0.0f;
    }
    LT_ASSERT_ALL(ok);
    lt_dataset_destroy(&b);
    lt_dataset_destroy(&e);
    /* No rank has labels: none are made. */
    if (a->y) free(a->y), a->y = NULL;
    LT_ASSERT_OK(lt_dataset_create_like(c, a, 2, LT_LIKE_COPY_LABELS, &b));
    LT_ASSERT_ALL(b->y == NULL);
    lt_dataset_destroy(&b);
    lt_dataset_destroy(&a);
}
END_TEST

START_TEST(nonfinite_is_reported_with_row)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *a = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, 9, 2, 0, &a));
    if (7 >= a->row0 && 7 < a->row0 + a->nloc) a->x[(7 - a->row0) * 2 + 1] = (float)NAN;
    lt_status st = lt_dataset_check_finite(c, a, "test.npy");
    ck_assert_int_eq(st, LT_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "row 7, column 1"));
    lt_dataset_destroy(&a);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("comm");
    TCase *t = tcase_create("core");
    tcase_add_test(t, shard_layout_covers_rows_once);
    tcase_add_test(t, agree_spreads_first_failure);
    tcase_add_test(t, philox_known_answer);
    tcase_add_test(t, redistribute_reverses_rows);
    tcase_add_test(t, fetch_rows_gathers_any_rows_everywhere);
    tcase_add_test(t, column_moments_match_a_two_pass_loop);
    tcase_add_test(t, create_like_keeps_rows_and_chooses_labels);
    tcase_add_test(t, nonfinite_is_reported_with_row);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
