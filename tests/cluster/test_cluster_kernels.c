/* The sequential kernels against plain double-precision references, for
 * the specialised (k <= 8, d <= 12, 16, 32) and generic paths. */
#include "lt_test.h"
#include "../../src/cluster/cluster_internal.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>

static void fill(float *x, int64_t m, uint64_t seed, double scale)
{
    lt_rng r;
    lt_rng_init(&r, seed, LT_STREAM_USER, 0);
    for (int64_t i = 0; i < m; i++) x[i] = (float)(scale * lt_rng_normal(&r));
}

/* One (k, d, offset) case and its double-precision reference, computed once
 * for all the paths checked against it: the argmin label of every row, and
 * the sums and counts that move the rows whose label changed from the
 * starting labels (i % 2 ? -1 : 0; from -1: added only). */
typedef struct {
    int64_t k, d, n, kp;
    double offset;
    float *x, *ct;
    double *cd, *ref;
    int32_t *best;
    int64_t want_changed;
} assign_case;

static void case_create(int64_t k, int64_t d, double offset, uint64_t seed, assign_case *c)
{
    int64_t n = 1001, kp = lt_km_lanes(k);
    *c = (assign_case){k, d, n, kp, offset, NULL, NULL, NULL, NULL, NULL, 0};
    c->x = malloc(sizeof(float) * (size_t)(n * d));
    float *cf = malloc(sizeof(float) * (size_t)(k * d));
    c->ct = malloc(sizeof(float) * (size_t)(kp * d));
    c->cd = malloc(sizeof(double) * (size_t)(k * d));
    c->ref = calloc((size_t)(k * d + k), sizeof(double));
    c->best = malloc(sizeof(int32_t) * (size_t)n);
    fill(c->x, n * d, seed, 3.0);
    fill(cf, k * d, seed + 1000, 3.0);
    /* far from the origin too: float distances must still not decide ties */
    for (int64_t i = 0; i < n * d; i++) c->x[i] += (float)offset;
    for (int64_t q = 0; q < k * d; q++) c->cd[q] = cf[q] + offset;
    lt_km_pack_centers(c->cd, k, d, kp, c->ct);
    for (int64_t i = 0; i < n; i++) {
        const float *xi = c->x + i * d;
        int best = lt_km_exact_argmin(xi, c->cd, k, d), old = i % 2 ? -1 : 0;
        c->best[i] = best;
        if (best == old) continue;
        c->want_changed++;
        for (int64_t j = 0; j < d; j++) c->ref[best * d + j] += xi[j];
        c->ref[k * d + best] += 1;
        if (old < 0) continue;
        for (int64_t j = 0; j < d; j++) c->ref[old * d + j] -= xi[j];
        c->ref[k * d + old] -= 1;
    }
    free(cf);
}

static void case_destroy(assign_case *c)
{
    free(c->x), free(c->ct), free(c->cd), free(c->ref), free(c->best);
}

/* Labels equal the double argmin, and the sums and counts move exactly the
 * rows whose label changed. path 0: the portable loop (no norms); 1: the
 * row-major x86 kernel; 2: the tiled AVX-512 kernel where the CPU has it
 * (else 1 again). */
static void check_assign(const assign_case *c, int path)
{
    int64_t k = c->k, d = c->d, n = c->n;
    double *sums = calloc((size_t)(k * d + k), sizeof(double));
    int32_t *lab = malloc(sizeof(int32_t) * (size_t)n);
    lt_km_rows r;
    ck_assert_int_eq(lt_km_rows_create(c->x, n, d, path == 2, &r), LT_OK);
    int tiled = path == 2 && lt_cpu_level() >= LT_ISA_AVX512 && d <= LT_KM_MAXD_LANES;
    ck_assert(tiled ? r.xt != NULL : r.xt == NULL);
    if (path == 0) lt_km_rows_destroy(&r);
    lt_km_scratch as;
    ck_assert_int_eq(lt_km_scratch_create(k, d, 1, &as), LT_OK);
    for (int64_t i = 0; i < n; i++) lab[i] = i % 2 ? -1 : 0;
    int64_t changed = lt_km_assign(&r, &as, c->ct, c->kp, k, c->cd, lab, sums, sums + k * d);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(lab[i] == c->best[i], "k=%lld d=%lld offset=%g path %d row %lld: %d vs %d",
                      (long long)k, (long long)d, c->offset, path, (long long)i, lab[i], c->best[i]);
    ck_assert_int_eq(changed, c->want_changed);
    for (int64_t q = 0; q < k * d + k; q++)
        ck_assert(fabs(sums[q] - c->ref[q]) <= 1e-12 * (1 + fabs(c->ref[q])));
    /* without sums: labels only, nothing changes the second time */
    ck_assert_int_eq(lt_km_assign(&r, &as, c->ct, c->kp, k, c->cd, lab, NULL, NULL), 0);
    lt_km_rows_destroy(&r);
    lt_km_scratch_destroy(&as);
    free(sums), free(lab);
}

START_TEST(assign_matches_double_argmin)
{
    /* k <= 256 and d <= 64 take the lane-wise x86 paths (one group of 8
     * centers or several; d specialised up to 12, 16, 32), the rest and
     * calls without norms the generic one; n = 1001 leaves a tail of 9 rows
     * after the tiles of 16. Below avx512 path 2 is path 1, below avx2 path
     * 1 is path 0 (the test runs at each level, tests/CMakeLists.txt).
     * Beyond the lanes (k > 256 or d > 64) paths 1 and 2 are path 0 again
     * (lt_km_assign), the same code on the same data: checked once. */
    const int64_t ks[] = {1, 2, 3, 8, 9, 13, 16, 17, 40, 257}, ds[] = {1, 3, 10, 12, 17, 32, 33, 64, 70};
    const double offsets[] = {0.0, 300.0, 1e5};
    int paths = lt_cpu_level() >= LT_ISA_AVX512 ? 3 : lt_cpu_level() >= LT_ISA_AVX2 ? 2 : 1;
    for (size_t a = 0; a < sizeof ks / sizeof *ks; a++)
        for (size_t b = 0; b < sizeof ds / sizeof *ds; b++) {
            int lanes = ks[a] <= LT_KM_MAXK_LANES && ds[b] <= LT_KM_MAXD_LANES;
            for (size_t o = 0; o < sizeof offsets / sizeof *offsets; o++) {
                assign_case c;
                case_create(ks[a], ds[b], offsets[o], 1 + a * 10 + b, &c);
                for (int path = 0; path < (lanes ? paths : 1); path++) check_assign(&c, path);
                case_destroy(&c);
            }
        }
}
END_TEST

START_TEST(distances_and_sums_accurate)
{
    int64_t d = 10, m = 777, ld = 800;
    float *xi = malloc(sizeof(float) * (size_t)d), *yt = malloc(sizeof(float) * (size_t)(d * ld));
    float *out = malloc(sizeof(float) * (size_t)m);
    fill(xi, d, 7, 1.0);
    fill(yt, d * ld, 8, 1.0);
    lt_cl_dist_row(xi, yt, ld, d, m, out);
    double tot = 0;
    for (int64_t j = 0; j < m; j++) {
        double s = 0;
        for (int64_t t = 0; t < d; t++)
            s += ((double)yt[t * ld + j] - xi[t]) * ((double)yt[t * ld + j] - xi[t]);
        ck_assert_msg(fabs(out[j] - sqrt(s)) <= 1e-6 * sqrt(s) + 1e-6, "col %lld", (long long)j);
        tot += out[j];
    }
    ck_assert(fabs(lt_cl_sum_f(out, m) - tot) <= 1e-12 * tot);
    ck_assert(lt_cl_sum_f(out, 0) == 0.0);
    double acc[3] = {1, 2, 3};
    lt_cl_axpy_fd(acc, out, 3);
    ck_assert(acc[2] == 3.0 + out[2]);
    free(xi), free(yt), free(out);
}
END_TEST

/* The k-means++ kernels against lt_cl_sqdist, bit for bit (the picks, and
 * so the labels, must not depend on the CPU level): row counts around the
 * 8-row and 2-row steps, candidates in 4 and 8 lanes. */
START_TEST(kmeanspp_kernels_match_scalar_bits)
{
    const int64_t ns[] = {0, 1, 7, 8, 9, 17, 1003}, ds[] = {1, 3, 10, 33};
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
        for (size_t b = 0; b < sizeof ds / sizeof *ds; b++) {
            int64_t n = ns[a], d = ds[b];
            float *x = malloc(sizeof(float) * (size_t)(n * d + 1));
            double *cl = malloc(sizeof(double) * (size_t)(n + 1));
            double *ref = malloc(sizeof(double) * (size_t)(n + 1));
            double *c = malloc(sizeof(double) * (size_t)(8 * d)), *ct = malloc(sizeof(double) * (size_t)(8 * d));
            fill(x, n * d, 11 + a, 2.0);
            float *cf = malloc(sizeof(float) * (size_t)(8 * d));
            fill(cf, 8 * d, 12 + b, 2.0);
            for (int64_t q = 0; q < 8 * d; q++) c[q] = cf[q] * 1.000001;
            double want = 0;
            for (int64_t i = 0; i < n; i++) {
                cl[i] = i % 3 ? INFINITY : 0.5 * (double)i; /* some rows already close */
                double v = lt_cl_sqdist(x + i * d, c, d);
                ref[i] = v < cl[i] ? v : cl[i];
                want += ref[i];
            }
            double got = lt_km_closest(x, n, d, c, cl);
            ck_assert_msg(got == want, "n=%lld d=%lld: sum %.17g vs %.17g", (long long)n, (long long)d, got, want);
            for (int64_t i = 0; i < n; i++) ck_assert(cl[i] == ref[i]);
            for (int lanes = 4; lanes <= 8; lanes += 4) {
                double pot[8] = {0}, wp[8] = {0};
                for (int64_t j = 0; j < d; j++)
                    for (int l = 0; l < lanes; l++) ct[j * lanes + l] = c[l * d + j];
                lt_km_score(x, n, d, ct, lanes, cl, pot);
                for (int l = 0; l < lanes; l++) {
                    for (int64_t i = 0; i < n; i++) {
                        double v = lt_cl_sqdist(x + i * d, c + l * d, d);
                        wp[l] += v < cl[i] ? v : cl[i];
                    }
                    ck_assert_msg(pot[l] == wp[l], "n=%lld d=%lld lanes %d lane %d", (long long)n,
                                  (long long)d, lanes, l);
                }
            }
            free(x), free(cl), free(ref), free(c), free(ct), free(cf);
        }
}
END_TEST

START_TEST(samples_are_distinct_and_seeded)
{
    int64_t a[500], b[500];
    LT_ASSERT_OK(lt_cl_sample_indices(3, LT_STREAM_SAMPLE, 0, 1000, 500, a));
    LT_ASSERT_OK(lt_cl_sample_indices(3, LT_STREAM_SAMPLE, 0, 1000, 500, b));
    qsort(a, 500, sizeof *a, lt_cl_cmp_i64);
    for (int i = 0; i < 500; i++) {
        ck_assert(a[i] >= 0 && a[i] < 1000);
        if (i) ck_assert(a[i] > a[i - 1]);
    }
    LT_ASSERT_OK(lt_cl_sample_indices(4, LT_STREAM_SAMPLE, 0, 1000, 500, b));
    qsort(b, 500, sizeof *b, lt_cl_cmp_i64);
    int differ = 0;
    for (int i = 0; i < 500; i++) differ |= a[i] != b[i];
    ck_assert(differ);
    LT_ASSERT_OK(lt_cl_sample_indices(4, LT_STREAM_SAMPLE, 0, 500, 500, b)); /* all rows */
    qsort(b, 500, sizeof *b, lt_cl_cmp_i64);
    for (int i = 0; i < 500; i++) ck_assert_int_eq(b[i], i);
    ck_assert_int_eq(lt_cl_sample_indices(4, LT_STREAM_SAMPLE, 0, 5, 6, b), LT_ERR_INTERNAL);
    lt_error_clear();
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cluster kernels");
    TCase *t = tcase_create("kernels");
    tcase_add_test(t, assign_matches_double_argmin);
    tcase_add_test(t, distances_and_sums_accurate);
    tcase_add_test(t, kmeanspp_kernels_match_scalar_bits);
    tcase_add_test(t, samples_are_distinct_and_seeded);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
