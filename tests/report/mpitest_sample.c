/* Seeded samples and reduced histograms do not depend on the rank count. */
#include "lt_test.h"
#include "latent/lt_plot.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Row g holds (g, -g) and label g % 7, so any gathered row can be checked. */
static lt_dataset *indexed(lt_comm *c, int64_t n)
{
    lt_dataset *ds = NULL;
    if (lt_dataset_create(c, n, 2, 1, &ds) != LT_OK) return NULL;
    for (int64_t i = 0; i < ds->nloc; i++) {
        int64_t g = ds->row0 + i;
        ds->x[2 * i] = (float)g;
        ds->x[2 * i + 1] = (float)-g;
        ds->y[i] = (int32_t)(g % 7);
    }
    return ds;
}

static uint64_t fnv(const int64_t *v, int64_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (int64_t i = 0; i < n; i++) h = (h ^ (uint64_t)v[i]) * 1099511628211ull;
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Brute force on one rank: the m smallest keys (same key as the library). */
static int matches_brute_force(int64_t n, int64_t m, uint64_t seed, const int64_t *rows)
{
    uint64_t *k = malloc(sizeof *k * (size_t)n), *s = malloc(sizeof *s * (size_t)n);
    for (int64_t g = 0; g < n; g++) {
        lt_rng r;
        lt_rng_init(&r, seed, LT_STREAM_SAMPLE, (uint64_t)g);
        s[g] = k[g] = lt_rng_u64(&r) >> 8;
    }
    qsort(s, (size_t)n, sizeof *s, cmp_u64);
    int ok = 1;
    int64_t j = 0;
    for (int64_t g = 0; g < n; g++)
        if (k[g] < s[m - 1] || (k[g] == s[m - 1])) ok &= j < m && rows[j++] == g;
    ok &= j == m;
    free(k);
    free(s);
    return ok;
}

START_TEST(sample_same_for_any_rank_count)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = indexed(c, 10007), *s = NULL;
    int64_t *rows = NULL;
    LT_ASSERT_OK(lt_sample_rows(c, ds, 1000, 11, &s, &rows));
    int ok = 1;
    if (lt_comm_rank(c) == 0) {
        ok = s && s->n == 1000 && s->nloc == 1000 && s->row0 == 0 && s->d == 2 && s->y;
        double mean = 0;
        for (int64_t i = 0; ok && i < s->n; i++) {
            int64_t g = rows[i];
            ok &= (i == 0 || g > rows[i - 1]) && s->x[2 * i] == (float)g &&
                  s->x[2 * i + 1] == (float)-g && s->y[i] == g % 7;
            mean += (double)g / (double)s->n;
        }
        /* Uniform: the mean index is n/2 within 4 standard errors. */
        ok &= fabs(mean - 5003) < 4 * 10007 / sqrt(12.0 * 1000);
        ok &= matches_brute_force(10007, 1000, 11, rows);
        /* The checksum is fixed: recorded once, the same on 1, 2 and 4 ranks. */
        ok &= fnv(rows, s->n) == 0xba2c76c6a33387bdull;
        if (!ok) fprintf(stderr, "sample checksum 0x%016llxull\n", (unsigned long long)fnv(rows, s->n));
    } else {
        ok = s == NULL && rows == NULL;
    }
    LT_ASSERT_ALL(ok);
    free(rows);
    lt_dataset_destroy(&s);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(sample_edge_sizes)
{
    lt_comm *c = lt_test_comm();
    /* 3 rows on up to 4 ranks: some ranks hold nothing. */
    lt_dataset *ds = indexed(c, 3), *s = NULL;
    int64_t *rows = NULL;
    LT_ASSERT_OK(lt_sample_rows(c, ds, 50000, 1, &s, &rows));
    LT_ASSERT_ALL(lt_comm_rank(c) != 0 || (s->n == 3 && rows[0] == 0 && rows[2] == 2 && s->x[4] == 2.0f));
    free(rows);
    lt_dataset_destroy(&s);
    LT_ASSERT_OK(lt_sample_rows(c, ds, 0, 1, &s, NULL));
    LT_ASSERT_ALL(lt_comm_rank(c) != 0 || (s && s->n == 0));
    lt_dataset_destroy(&s);
    LT_ASSERT_OK(lt_sample_rows(c, ds, 1, 1, &s, NULL));
    LT_ASSERT_ALL(lt_comm_rank(c) != 0 || (s && s->n == 1));
    lt_dataset_destroy(&s);
    lt_status st = lt_sample_rows(c, ds, -1, 1, &s, NULL);
    LT_ASSERT_ALL(st == LT_ERR_ARG && s == NULL);
    lt_error_clear();
    lt_dataset_destroy(&ds);
}
END_TEST

/* Values known to every rank: v(g) spread over [-1, 3] plus special cases. */
static double value(int64_t g)
{
    if (g == 5) return NAN;
    if (g == 6) return INFINITY;
    if (g == 7) return 3.0; /* exactly hi: lands in the last bin */
    return -1.0 + 4.0 * (double)((g * 7919) % 1000) / 999.0;
}

START_TEST(histogram_counts_sum_to_n)
{
    lt_comm *c = lt_test_comm();
    int64_t n = 5003, row0, nloc;
    lt_shard_range(n, lt_comm_size(c), lt_comm_rank(c), &row0, &nloc);
    float *v = malloc(sizeof *v * (size_t)nloc + 1);
    for (int64_t i = 0; i < nloc; i++) v[i] = (float)value(row0 + i);
    lt_hist *h = NULL;
    LT_ASSERT_OK(lt_histogram(c, v, nloc, 16, 0.0, 2.0, 0, &h));
    /* Reference: the same rule over all rows on every rank. */
    int64_t ref[16] = {0}, below = 0, above = 0, bad = 0;
    for (int64_t g = 0; g < n; g++) {
        double x = (float)value(g);
        if (!isfinite(x)) bad++;
        else if (x < 0) below++;
        else if (x > 2) above++;
        else ref[x == 2.0 ? 15 : (int)(x / 2.0 * 16)]++;
    }
    int64_t sum = 0;
    int same = 1;
    for (int b = 0; b < 16; b++) sum += h->counts[b], same &= h->counts[b] == ref[b];
    LT_ASSERT_ALL(same && sum == h->n && h->n + h->below + h->above + h->nonfinite == n);
    LT_ASSERT_ALL(h->below == below && h->above == above && h->nonfinite == 2 && bad == 2);
    lt_hist_destroy(&h);
    /* Automatic range: finite min/max over all ranks; the max is in the last bin. */
    LT_ASSERT_OK(lt_histogram(c, v, nloc, 10, NAN, NAN, 0, &h));
    LT_ASSERT_ALL(h->lo == -1.0 && h->hi == 3.0 && h->n == n - 2 && h->counts[9] > 0);
    lt_hist_destroy(&h);
    /* Log bins: non-positive values count as below. */
    LT_ASSERT_OK(lt_histogram(c, v, nloc, 8, NAN, NAN, 1, &h));
    LT_ASSERT_ALL(h->lo > 0 && h->hi == 3.0 && h->below > 0 && h->n + h->below + 2 == n);
    lt_hist_destroy(&h);
    free(v);
}
END_TEST

START_TEST(histogram_degenerate_inputs)
{
    lt_comm *c = lt_test_comm();
    float v[3] = {2.5f, 2.5f, 2.5f};
    lt_hist *h = NULL;
    /* Constant data: numpy widens the range to [v - 0.5, v + 0.5]. */
    LT_ASSERT_OK(lt_histogram(c, v, lt_comm_rank(c) == 0 ? 3 : 0, 4, NAN, NAN, 0, &h));
    LT_ASSERT_ALL(h->lo == 2.0 && h->hi == 3.0 && h->counts[2] == 3 && h->n == 3);
    lt_hist_destroy(&h);
    /* No data at all. */
    LT_ASSERT_OK(lt_histogram(c, v, 0, 4, NAN, NAN, 0, &h));
    LT_ASSERT_ALL(h->n == 0 && h->lo == 0 && h->hi == 1);
    lt_hist_destroy(&h);
    lt_status st = lt_histogram(c, v, 3, 0, 0, 1, 0, &h);
    LT_ASSERT_ALL(st == LT_ERR_ARG && h == NULL);
    st = lt_histogram(c, v, 3, 10, -1, 1, 1, &h);
    LT_ASSERT_ALL(st == LT_ERR_ARG && strstr(lt_error_message(), "positive"));
    lt_error_clear();
    lt_hist_destroy(&h);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("report_sample");
    TCase *t = tcase_create("sample");
    tcase_add_test(t, sample_same_for_any_rank_count);
    tcase_add_test(t, sample_edge_sizes);
    tcase_add_test(t, histogram_counts_sum_to_n);
    tcase_add_test(t, histogram_degenerate_inputs);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
