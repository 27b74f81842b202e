#include "lt_test.h"
#include "latent/lt_generate.h"
#include "latent/lt_preprocess.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reads block `name` ("NAME rows cols" then rows) of the scikit-learn fixture
 * written by scripts/fixtures_data_scaler.py. Every rank reads the small file. */
static double *read_block(const char *name, int *rows, int *cols)
{
    char path[1024], line[4096], tag[64];
    FILE *f = fopen(lt_test_fixture(path, sizeof path, "data/scaler.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    double *a = NULL;
    while (!a && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%63s %d %d", tag, rows, cols) != 3 || strcmp(tag, name)) continue;
        a = malloc(sizeof(double) * (size_t)(*rows * *cols));
        for (int k = 0; k < *rows * *cols; k++) ck_assert_int_eq(fscanf(f, "%lf", &a[k]), 1);
    }
    fclose(f);
    ck_assert_msg(a != NULL, "block %s missing", name);
    return a;
}

/* A dataset sharded over the ranks holding the fixture block. */
static lt_dataset *block_dataset(const char *name)
{
    int r, cdim;
    double *a = read_block(name, &r, &cdim);
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_create(lt_test_comm(), r, cdim, 0, &ds));
    for (int64_t k = 0; k < ds->nloc * cdim; k++) ds->x[k] = (float)a[ds->row0 * cdim + k];
    free(a);
    return ds;
}

/* Both sides round to float32 (scikit-learn in two steps), so the tolerance
 * scales with the size of the terms: a few float ulps of |x * scale| + |shift|. */
static int matches_reference(const lt_scaler *s, const lt_dataset *in, const lt_dataset *out,
                             const char *ref_name)
{
    int r, cdim, ok = 1;
    double *ref = read_block(ref_name, &r, &cdim);
    for (int64_t i = 0; i < out->nloc; i++)
        for (int64_t j = 0; j < out->d; j++) {
            double x = in->x[i * in->d + j], want = ref[(out->row0 + i) * cdim + j];
            double tol = 4 * FLT_EPSILON * (fabs(x * s->scale[j]) + fabs(s->shift[j])) + 1e-7;
            ok &= fabs(out->x[i * out->d + j] - want) <= tol;
        }
    free(ref);
    return ok;
}

static void check_against_sklearn(lt_scaler_kind kind, const char *xname, const char *zname)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *x = block_dataset("X"), *z = block_dataset("Z"), *x0 = NULL, *z0 = NULL;
    LT_ASSERT_OK(lt_dataset_copy(x, &x0));
    LT_ASSERT_OK(lt_dataset_copy(z, &z0));
    lt_scaler *s = NULL;
    LT_ASSERT_OK(lt_scaler_fit(c, kind, -1, 2, x, &s));
    LT_ASSERT_OK(lt_scaler_apply(s, x));
    LT_ASSERT_OK(lt_scaler_apply(s, z));
    int okx = matches_reference(s, x0, x, xname), okz = matches_reference(s, z0, z, zname);
    LT_ASSERT_ALL(okx);
    LT_ASSERT_ALL(okz);
    if (kind == LT_SCALER_STANDARD) {
        int r, cdim;
        double *mean = read_block("standard_mean", &r, &cdim);
        double *sc = read_block("standard_scale", &r, &cdim);
        for (int j = 0; j < 4; j++) {
            ck_assert_double_eq_tol(s->mean[j], mean[j], 1e-12 * (1 + fabs(mean[j])));
            ck_assert_double_eq_tol(1 / s->scale[j], sc[j], 1e-9 * sc[j]);
        }
        ck_assert_double_eq(s->scale[1], 1); /* the constant column */
        free(mean);
        free(sc);
    }
    lt_scaler_destroy(&s);
    ck_assert_ptr_null(s);
    lt_dataset_destroy(&x), lt_dataset_destroy(&z);
    lt_dataset_destroy(&x0), lt_dataset_destroy(&z0);
}

START_TEST(minmax_matches_sklearn)
{
    check_against_sklearn(LT_SCALER_MINMAX, "minmax_X", "minmax_Z");
}
END_TEST

START_TEST(standard_matches_sklearn)
{
    check_against_sklearn(LT_SCALER_STANDARD, "standard_X", "standard_Z");
}
END_TEST

/* 2001 blob rows in 3 features plus a constant fourth column. */
static lt_dataset *blobs_with_constant_column(void)
{
    lt_blobs_opts o = {.n_samples = 2001, .n_features = 4, .n_centers = 3, .box_lo = -50,
                       .box_hi = 80, .seed = 5};
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_generate_blobs(lt_test_comm(), &o, &ds));
    for (int64_t i = 0; i < ds->nloc; i++) ds->x[i * 4 + 3] = 42.5f;
    return ds;
}

START_TEST(minmax_range_is_attained)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = blobs_with_constant_column();
    lt_scaler *s = NULL;
    lt_colstats *st = NULL;
    LT_ASSERT_OK(lt_scaler_fit(c, LT_SCALER_MINMAX, -0.5, 3, ds, &s));
    LT_ASSERT_OK(lt_scaler_apply(s, ds));
    LT_ASSERT_OK(lt_colstats_compute(c, ds, &st));
    for (int j = 0; j < 3; j++) {
        ck_assert_double_eq(st->min[j], -0.5);
        ck_assert_double_eq(st->max[j], 3.0);
    }
    /* scikit-learn maps a constant column to the low end of the range. */
    ck_assert_double_eq(st->min[3], -0.5);
    ck_assert_double_eq(st->max[3], -0.5);
    ck_assert_double_eq(s->min[3], 42.5);
    lt_colstats_destroy(&st);
    lt_scaler_destroy(&s);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(standard_gives_zero_mean_unit_std)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = blobs_with_constant_column();
    lt_scaler *s = NULL;
    lt_colstats *st = NULL;
    LT_ASSERT_OK(lt_scaler_fit(c, LT_SCALER_STANDARD, 0, 1, ds, &s));
    ck_assert_double_gt(s->std[0], 1); /* the statistics are of the raw data */
    LT_ASSERT_OK(lt_scaler_apply(s, ds));
    LT_ASSERT_OK(lt_colstats_compute(c, ds, &st));
    for (int j = 0; j < 3; j++) {
        ck_assert_double_le(fabs(st->mean[j]), 1e-6);
        ck_assert_double_le(fabs(st->std[j] - 1), 1e-6);
    }
    ck_assert_double_eq(st->min[3], 0); /* constant: centred, std treated as 1 */
    ck_assert_double_eq(st->max[3], 0);
    lt_colstats_destroy(&st);
    lt_scaler_destroy(&s);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(none_is_identity)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = blobs_with_constant_column();
    uint64_t before, after;
    lt_scaler *s = NULL;
    LT_ASSERT_OK(lt_dataset_checksum(c, ds, &before));
    LT_ASSERT_OK(lt_scaler_fit(c, LT_SCALER_NONE, 0, 0, ds, &s));
    LT_ASSERT_OK(lt_scaler_apply(s, ds));
    LT_ASSERT_OK(lt_dataset_checksum(c, ds, &after));
    ck_assert_uint_eq(before, after);
    lt_scaler_destroy(&s);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(bad_arguments_are_rejected)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = blobs_with_constant_column(), *empty = NULL, *wide = NULL;
    lt_scaler *s = NULL;
    ck_assert_int_eq(lt_scaler_fit(c, LT_SCALER_MINMAX, 1, 1, ds, &s), LT_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "min < max"));
    ck_assert_int_eq(lt_scaler_fit(c, (lt_scaler_kind)7, 0, 1, ds, &s), LT_ERR_ARG);
    LT_ASSERT_OK(lt_dataset_create(c, 0, 4, 0, &empty));
    ck_assert_int_eq(lt_scaler_fit(c, LT_SCALER_STANDARD, 0, 1, empty, &s), LT_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "empty"));
    ck_assert_ptr_null(s);
    LT_ASSERT_OK(lt_scaler_fit(c, LT_SCALER_STANDARD, 0, 1, ds, &s));
    LT_ASSERT_OK(lt_dataset_create(c, 10, 5, 0, &wide));
    ck_assert_int_eq(lt_scaler_apply(s, wide), LT_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "fitted on 4 columns, applied to 5"));
    lt_scaler_destroy(&s);
    /* A NaN on one rank only: every rank must fail, none may hang. */
    if (lt_comm_rank(c) == lt_comm_size(c) - 1) ds->x[1] = NAN; /* 2001 rows: the last rank has some */
    ck_assert_int_eq(lt_scaler_fit(c, LT_SCALER_MINMAX, 0, 1, ds, &s), LT_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "column 1"));
    lt_error_clear();
    lt_dataset_destroy(&ds), lt_dataset_destroy(&empty), lt_dataset_destroy(&wide);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("preprocess");
    TCase *t = tcase_create("scaler");
    tcase_add_test(t, minmax_matches_sklearn);
    tcase_add_test(t, standard_matches_sklearn);
    tcase_add_test(t, minmax_range_is_attained);
    tcase_add_test(t, standard_gives_zero_mean_unit_std);
    tcase_add_test(t, none_is_identity);
    tcase_add_test(t, bad_arguments_are_rejected);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
