#include "lt_test.h"
#include "latent/lt_generate.h"
#include "latent/lt_preprocess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Checksums of the split below, computed once on 1 rank (run with
 * LT_PRINT_CHECKSUMS=1 to print them); 2 and 4 ranks must reproduce them. */
#define CK_TRAIN 0x5636df92f74f9b90ull
#define CK_TEST 0x722ad8f138628d6cull

/* Row g holds (g, 2g) and label g % 7, so every output row says where it came from. */
static lt_dataset *indexed(int64_t n)
{
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_create(lt_test_comm(), n, 2, 1, &ds));
    for (int64_t i = 0; i < ds->nloc; i++) {
        int64_t g = ds->row0 + i;
        ds->x[2 * i] = (float)g, ds->x[2 * i + 1] = (float)(2 * g);
        ds->y[i] = (int32_t)(g % 7);
    }
    return ds;
}

/* Adds each row's origin to `hit` and checks order, layout and labels. */
static int check_part(const lt_dataset *p, int64_t *hit)
{
    int64_t row0, nloc;
    lt_shard_range(p->n, lt_comm_size(lt_test_comm()), lt_comm_rank(lt_test_comm()), &row0, &nloc);
    int ok = p->row0 == row0 && p->nloc == nloc;
    for (int64_t i = 0; i < p->nloc; i++) {
        int64_t g = (int64_t)p->x[2 * i];
        hit[g]++;
        ok &= p->x[2 * i + 1] == (float)(2 * g) && p->y[i] == g % 7;
        if (i > 0) ok &= p->x[2 * i] > p->x[2 * (i - 1)];
    }
    return ok;
}

/* Original order across ranks: each rank's first origin exceeds the previous rank's last. */
static int ordered_across_ranks(const lt_dataset *p)
{
    lt_comm *c = lt_test_comm();
    double *fl = malloc(sizeof(double) * 2 * (size_t)lt_comm_size(c)), mine[2] = {-1, -1};
    if (p->nloc) mine[0] = p->x[0], mine[1] = p->x[2 * (p->nloc - 1)];
    LT_ASSERT_OK(lt_comm_allgather(c, mine, sizeof mine, fl));
    double last = -1;
    int ok = 1;
    for (int r = 0; r < lt_comm_size(c); r++) {
        if (fl[2 * r] < 0) continue;
        ok &= fl[2 * r] > last;
        last = fl[2 * r + 1];
    }
    free(fl);
    return ok;
}

START_TEST(parts_partition_rows_in_order)
{
    lt_comm *c = lt_test_comm();
    int64_t n = 1000;
    lt_dataset *all = indexed(n), *tr = NULL, *te = NULL;
    LT_ASSERT_OK(lt_split(c, all, 0.25, 77, &tr, &te));
    ck_assert_int_eq(te->n, 250);
    ck_assert_int_eq(tr->n, 750);
    int64_t *hit = calloc((size_t)n, sizeof *hit);
    int ok = check_part(tr, hit) && check_part(te, hit);
    LT_ASSERT_ALL(ok);
    LT_ASSERT_ALL(ordered_across_ranks(tr) && ordered_across_ranks(te));
    LT_ASSERT_OK(lt_comm_sum_i64(c, hit, n));
    for (int64_t g = 0; g < n; g++) ck_assert_int_eq(hit[g], 1);
    /* The test rows are spread over the whole range, not a block. */
    double mean = 0;
    for (int64_t i = 0; i < te->nloc; i++) mean += te->x[2 * i];
    LT_ASSERT_OK(lt_comm_sum_d(c, &mean, 1));
    ck_assert_double_le(fabs(mean / 250 - 499.5), 5 * 288.7 / sqrt(250));
    free(hit);
    lt_dataset_destroy(&all), lt_dataset_destroy(&tr), lt_dataset_destroy(&te);
}
END_TEST

START_TEST(same_split_at_every_rank_count)
{
    lt_comm *c = lt_test_comm();
    lt_blobs_opts o = {.n_samples = 5003, .n_features = 3, .n_centers = 4, .box_lo = -10,
                       .box_hi = 10, .seed = 8};
    lt_dataset *all = NULL, *tr = NULL, *te = NULL;
    LT_ASSERT_OK(lt_generate_blobs(c, &o, &all));
    LT_ASSERT_OK(lt_split(c, all, 0.3, 123, &tr, &te));
    uint64_t ctr, cte;
    LT_ASSERT_OK(lt_dataset_checksum(c, tr, &ctr));
    LT_ASSERT_OK(lt_dataset_checksum(c, te, &cte));
    if (getenv("LT_PRINT_CHECKSUMS") && lt_comm_rank(c) == 0)
        printf("train 0x%016llxull test 0x%016llxull\n", (unsigned long long)ctr,
               (unsigned long long)cte);
    ck_assert_int_eq(te->n, 1501); /* ceil(0.3 * 5003) = ceil(1500.9) */
    ck_assert_uint_eq(ctr, CK_TRAIN);
    ck_assert_uint_eq(cte, CK_TEST);
    /* Label counts of the parts add up to those of the whole. */
    int64_t *ca, *cr, *ce;
    int na, nr, ne;
    LT_ASSERT_OK(lt_label_counts(c, all, &ca, &na));
    LT_ASSERT_OK(lt_label_counts(c, tr, &cr, &nr));
    LT_ASSERT_OK(lt_label_counts(c, te, &ce, &ne));
    ck_assert_int_eq(na, 4);
    for (int l = 0; l < 4; l++)
        ck_assert_int_eq(ca[l], (l < nr ? cr[l] : 0) + (l < ne ? ce[l] : 0));
    free(ca), free(cr), free(ce);
    /* Another seed gives another split. */
    lt_dataset *tr2 = NULL, *te2 = NULL;
    LT_ASSERT_OK(lt_split(c, all, 0.3, 124, &tr2, &te2));
    uint64_t cte2;
    LT_ASSERT_OK(lt_dataset_checksum(c, te2, &cte2));
    ck_assert_uint_ne(cte, cte2);
    lt_dataset_destroy(&all), lt_dataset_destroy(&tr), lt_dataset_destroy(&te);
    lt_dataset_destroy(&tr2), lt_dataset_destroy(&te2);
}
END_TEST

START_TEST(sizes_follow_sklearn_ceil)
{
    lt_comm *c = lt_test_comm();
    /* n_test = ceil(f * n) in double arithmetic, as Python computes it:
     * 0.07 * 100 = 7.000000000000001 gives 8 (train_test_split agrees),
     * 0.7 * 10 = 7.0 gives 7. */
    const double f[] = {0.07, 0.7, 0.2, 0.33, 0.5, 0.001, 0.0};
    const int64_t n[] = {100, 10, 10, 10, 3, 5, 9};
    const int64_t want[] = {8, 7, 2, 4, 2, 1, 0};
    for (int k = 0; k < 7; k++) {
        lt_dataset *all = indexed(n[k]), *tr = NULL, *te = NULL;
        LT_ASSERT_OK(lt_split(c, all, f[k], 3, &tr, &te));
        ck_assert_int_eq(te->n, want[k]);
        ck_assert_int_eq(tr->n, n[k] - want[k]);
        ck_assert_ptr_nonnull(tr->y);
        lt_dataset_destroy(&all), lt_dataset_destroy(&tr), lt_dataset_destroy(&te);
    }
}
END_TEST

START_TEST(zero_fraction_keeps_everything)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *all = indexed(101), *tr = NULL, *te = NULL;
    LT_ASSERT_OK(lt_split(c, all, 0.0, 9, &tr, &te));
    ck_assert_int_eq(te->n, 0);
    ck_assert_int_eq(te->nloc, 0);
    uint64_t a, b;
    LT_ASSERT_OK(lt_dataset_checksum(c, all, &a));
    LT_ASSERT_OK(lt_dataset_checksum(c, tr, &b));
    ck_assert_uint_eq(a, b);
    lt_dataset_destroy(&all), lt_dataset_destroy(&tr), lt_dataset_destroy(&te);
    /* Unlabelled data stays unlabelled. */
    LT_ASSERT_OK(lt_generate_uniform(c, 11, 3, 4, &all));
    LT_ASSERT_OK(lt_split(c, all, 0.5, 9, &tr, &te));
    ck_assert_int_eq(te->n, 6);
    ck_assert_ptr_null(tr->y);
    ck_assert_ptr_null(te->y);
    lt_dataset_destroy(&all), lt_dataset_destroy(&tr), lt_dataset_destroy(&te);
}
END_TEST

/* Test rows expected for keys g % 5 and n_test = 30 of 103 rows: the 21 rows
 * with key 0, then the first 9 rows (by index) with key 1. */
static int expected_test_row(int64_t g) { return g % 5 == 0 || (g % 5 == 1 && g <= 41); }

START_TEST(ties_are_broken_by_row_index)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *all = indexed(103), *tr = NULL, *te = NULL;
    uint64_t *key = malloc(sizeof(uint64_t) * (size_t)all->nloc + 1);
    for (int64_t i = 0; i < all->nloc; i++) key[i] = (uint64_t)((all->row0 + i) % 5);
    LT_ASSERT_OK(lt_split_keys(c, all, key, 30, &tr, &te));
    ck_assert_int_eq(te->n, 30);
    int ok = 1;
    for (int64_t i = 0; i < te->nloc; i++) ok &= expected_test_row((int64_t)te->x[2 * i]);
    for (int64_t i = 0; i < tr->nloc; i++) ok &= !expected_test_row((int64_t)tr->x[2 * i]);
    LT_ASSERT_ALL(ok);
    lt_dataset_destroy(&tr), lt_dataset_destroy(&te);
    /* All keys equal: the test set is the first n_test rows. */
    for (int64_t i = 0; i < all->nloc; i++) key[i] = 0xFFFFFFFFFFFFFFFFull;
    LT_ASSERT_OK(lt_split_keys(c, all, key, 17, &tr, &te));
    ok = 1;
    for (int64_t i = 0; i < te->nloc; i++) ok &= te->x[2 * i] == (float)(te->row0 + i);
    LT_ASSERT_ALL(ok);
    free(key);
    lt_dataset_destroy(&all), lt_dataset_destroy(&tr), lt_dataset_destroy(&te);
}
END_TEST

START_TEST(bad_arguments_are_rejected)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *all = indexed(10), *one = indexed(1), *tr = NULL, *te = NULL;
    const double bad[] = {1.0, -0.1, NAN, 0.95};
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(lt_split(c, all, bad[k], 1, &tr, &te), LT_ERR_ARG);
        ck_assert_ptr_null(tr);
        ck_assert_ptr_null(te);
    }
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "leaves no training rows"));
    ck_assert_int_eq(lt_split(c, one, 0.5, 1, &tr, &te), LT_ERR_ARG);
    LT_ASSERT_OK(lt_split(c, one, 0.0, 1, &tr, &te)); /* a single row trains alone */
    ck_assert_int_eq(tr->n, 1);
    lt_dataset_destroy(&tr), lt_dataset_destroy(&te);
    uint64_t key[4] = {0, 0, 0, 0};
    ck_assert_int_eq(lt_split_keys(c, all, key, 10, &tr, &te), LT_ERR_ARG);
    lt_error_clear();
    lt_dataset_destroy(&all), lt_dataset_destroy(&one);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("split");
    TCase *t = tcase_create("split");
    tcase_add_test(t, parts_partition_rows_in_order);
    tcase_add_test(t, same_split_at_every_rank_count);
    tcase_add_test(t, sizes_follow_sklearn_ceil);
    tcase_add_test(t, zero_fraction_keeps_everything);
    tcase_add_test(t, ties_are_broken_by_row_index);
    tcase_add_test(t, bad_arguments_are_rejected);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
