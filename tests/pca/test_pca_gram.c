/* The AMX Gram kernel against a double-precision Gram of the same float
 * rows about the same center: shapes that cut tiles, row pairs and blocks
 * everywhere (d = 1 .. 130 around the 16- and 32-feature groups; n around
 * the 2-row pairs, the 256-row blocks and the 4,096-row flushes), rows given
 * in one or several calls, data far from the origin, and G += semantics on
 * the upper triangle only. Without AMX creating the kernel must fail. */
#include "lt_test.h"
#include "../../src/pca/pca_impl.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>

static lt_dataset *make_rows(int64_t n, int64_t d, double offset, uint64_t seed)
{
    lt_dataset *ds = NULL;
    ck_assert_int_eq(lt_dataset_create(lt_test_comm(), n, d, 0, &ds), LT_OK);
    lt_rng r;
    lt_rng_init(&r, seed, LT_STREAM_USER, 0);
    for (int64_t i = 0; i < n * d; i++)
        ds->x[i] = (float)(offset + (1 + i % d % 5) * lt_rng_normal(&r));
    return ds;
}

/* The column means rounded to float: the centers the solver passes. */
static void column_means(const lt_dataset *ds, double *mean)
{
    for (int64_t j = 0; j < ds->d; j++) mean[j] = 0;
    for (int64_t i = 0; i < ds->n; i++)
        for (int64_t j = 0; j < ds->d; j++) mean[j] += ds->x[i * ds->d + j];
    for (int64_t j = 0; j < ds->d; j++)
        mean[j] = (float)(mean[j] / (ds->n > 0 ? (double)ds->n : 1.0));
}

/* G += the kernel's Gram of the rows about center, added in `parts` calls. */
static void amx_gram(const lt_dataset *ds, const double *center, int parts, double *G)
{
    lt_pca_amx *g = NULL;
    float *c = malloc(sizeof(float) * (size_t)ds->d);
    for (int64_t j = 0; j < ds->d; j++) c[j] = (float)center[j];
    ck_assert_int_eq(lt_pca_amx_create(ds->d, &g), LT_OK);
    for (int part = 0; part < parts; part++) {
        int64_t i0 = ds->n * part / parts, i1 = ds->n * (part + 1) / parts;
        lt_pca_amx_add(g, ds->x + i0 * ds->d, i1 - i0, c);
    }
    lt_pca_amx_finish(g, G);
    lt_pca_amx_destroy(&g);
    ck_assert_ptr_null(g);
    free(c);
}

/* Upper triangle of sum (x - mean)(x - mean)^T in double, column-major. */
static void gram_ref(const lt_dataset *ds, const double *mean, double *R)
{
    int64_t d = ds->d;
    for (int64_t i = 0; i < ds->n; i++)
        for (int64_t b = 0; b < d; b++)
            for (int64_t a = 0; a <= b; a++)
                R[b * d + a] += ((double)ds->x[i * d + a] - mean[a]) *
                                ((double)ds->x[i * d + b] - mean[b]);
}

static void check_shape(int64_t n, int64_t d, double offset, int parts)
{
    lt_dataset *ds = make_rows(n, d, offset, (uint64_t)(n * 131 + d));
    double *mean = malloc(sizeof(double) * (size_t)d);
    double *G = malloc(sizeof(double) * (size_t)(d * d));
    double *R = calloc((size_t)(d * d), sizeof(double));
    column_means(ds, mean);
    gram_ref(ds, mean, R);
    for (int64_t q = 0; q < d * d; q++) G[q] = 0.5; /* += onto what is there */
    amx_gram(ds, mean, parts, G);
    double worst = 0;
    for (int64_t b = 0; b < d; b++)
        for (int64_t a = 0; a < d; a++) {
            double got = G[b * d + a] - 0.5;
            if (a > b) {
                ck_assert_msg(got == 0, "n %lld d %lld: lower (%lld, %lld) written", (long long)n,
                              (long long)d, (long long)a, (long long)b);
                continue;
            }
            double scale = sqrt(R[a * d + a] * R[b * d + b]);
            double err = scale > 0 ? fabs(got - R[b * d + a]) / scale : fabs(got);
            worst = err > worst ? err : worst;
        }
    /* Float level: measured at most 5.1e-7 over these shapes, where a plain
     * float sum of the same rows reaches 1.2e-6 (600 rows) to 3.3e-6 (9,000). */
    ck_assert_msg(worst < 1e-6, "n %lld d %lld offset %g: error %.3g", (long long)n, (long long)d,
                  offset, worst);
    free(mean), free(G), free(R);
    lt_dataset_destroy(&ds);
}

START_TEST(amx_gram_matches_double)
{
    const int64_t ds_[] = {1, 2, 15, 16, 17, 31, 32, 33, 50, 64, 70, 130};
    const int64_t ns[] = {1, 2, 3, 255, 256, 257, 600};
    for (size_t a = 0; a < sizeof ds_ / sizeof ds_[0]; a++)
        for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++) check_shape(ns[b], ds_[a], 0, 1);
    check_shape(9000, 20, 0, 1);   /* two flushes into double and a partial block */
    check_shape(9000, 20, 0, 3);   /* the same rows in three calls */
    check_shape(3000, 40, 300, 2); /* centering far from the origin */
    check_shape(1000, 33, 1e4, 1);
}
END_TEST

/* A column of subnormal floats: tiles read subnormal bf16 as zero (and its
 * products underflow in float, as with ssyrk), so its entries may vanish but
 * must not turn into garbage (they did, -4.8e36, before the pieces were
 * masked); every other entry, a column near 1e-15 included, keeps the usual
 * accuracy. */
START_TEST(amx_gram_subnormal_column)
{
    int64_t n = 301, d = 20, sub = 3, small = 5;
    lt_dataset *ds = make_rows(n, d, 0, 99);
    for (int64_t i = 0; i < n; i++) {
        ds->x[i * d + sub] = (float)(ds->x[i * d + sub] * 1e-40);
        ds->x[i * d + small] = (float)(ds->x[i * d + small] * 1e-15);
    }
    double *mean = malloc(sizeof(double) * (size_t)d);
    double *G = calloc((size_t)(d * d), sizeof(double));
    double *R = calloc((size_t)(d * d), sizeof(double));
    column_means(ds, mean);
    gram_ref(ds, mean, R);
    amx_gram(ds, mean, 1, G);
    for (int64_t b = 0; b < d; b++)
        for (int64_t a = 0; a <= b; a++) {
            double got = G[b * d + a], want = R[b * d + a];
            if (a == sub || b == sub)
                ck_assert_msg(fabs(got) <= 1e-30, "(%lld, %lld) = %g", (long long)a,
                              (long long)b, got);
            else
                ck_assert_msg(fabs(got - want) <= 1e-6 * sqrt(R[a * d + a] * R[b * d + b]),
                              "(%lld, %lld): %g vs %g", (long long)a, (long long)b, got, want);
        }
    free(mean), free(G), free(R);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(amx_gram_no_rows)
{
    double G[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float c[3] = {0, 0, 0};
    lt_pca_amx *g = NULL;
    lt_status st = lt_pca_amx_create(3, &g);
    ck_assert_int_eq(st, lt_pca_amx_available() ? LT_OK : LT_ERR_ARG);
    if (st == LT_OK) {
        lt_pca_amx_add(g, c, 0, c);
        lt_pca_amx_finish(g, G);
        for (int q = 0; q < 9; q++) ck_assert(G[q] == q + 1);
    } else {
        ck_assert_ptr_null(g);
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "AMX"));
    }
    lt_pca_amx_destroy(&g);
}
END_TEST

/* finish clears the accumulators: a second finish adds nothing. */
START_TEST(amx_gram_finish_restarts)
{
    lt_dataset *ds = make_rows(40, 5, 0, 3);
    double center[5] = {0, 0, 0, 0, 0}, G[25] = {0}, H[25] = {0};
    amx_gram(ds, center, 1, G);
    lt_pca_amx *g = NULL;
    ck_assert_int_eq(lt_pca_amx_create(5, &g), LT_OK);
    float c[5] = {0, 0, 0, 0, 0};
    lt_pca_amx_add(g, ds->x, 40, c);
    lt_pca_amx_finish(g, H);
    lt_pca_amx_finish(g, H);
    for (int q = 0; q < 25; q++) ck_assert(H[q] == G[q]);
    ck_assert(G[0] > 0);
    lt_pca_amx_destroy(&g);
    lt_dataset_destroy(&ds);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("pca_gram");
    TCase *t = tcase_create("amx");
    tcase_set_timeout(t, 120);
    /* amx_gram_no_rows tests the refusal where the level is below amx; the
     * others need the tiles and are reported skipped without them */
    tcase_add_test(t, amx_gram_no_rows);
    if (lt_pca_amx_available()) {
        tcase_add_test(t, amx_gram_matches_double);
        tcase_add_test(t, amx_gram_subnormal_column);
        tcase_add_test(t, amx_gram_finish_restarts);
    } else {
        lt_test_skip(3, "the CPU level is below amx (no AMX tiles, or LATENT_ISA lowers it)");
    }
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
