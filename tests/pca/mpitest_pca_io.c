/* Bad input (clear errors on every rank, no hang) and model files. */
#include "pca_fixture.h"

#include <hdf5.h>
#include <unistd.h>

static lt_pca_opts opts(int64_t k, lt_pca_method m)
{
    lt_pca_opts o;
    lt_pca_opts_default(&o);
    o.n_components = k;
    o.method = m;
    o.block_size = 8;
    return o;
}

static const lt_pca_method methods[] = {LT_PCA_REPLICATED, LT_PCA_COVARIANCE, LT_PCA_SVD};

START_TEST(bad_n_components)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, "rankdef"); /* 500 x 20 */
    lt_pca *p = NULL;
    lt_pca_opts o = opts(0, LT_PCA_AUTO);
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "n_components = 0"));
    ck_assert_ptr_null(p);
    o.n_components = 21;
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "min(500, 20) = 20"));
    o.n_components = 2;
    o.block_size = 0;
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
    lt_pca_method m;
    ck_assert_int_eq(lt_pca_method_parse("eigen", &m), LT_ERR_ARG);
    LT_ASSERT_OK(lt_pca_method_parse("svd", &m));
    ck_assert_int_eq(m, LT_PCA_SVD);
    lt_pca_precision pr;
    ck_assert_int_eq(lt_pca_precision_parse("half", &pr), LT_ERR_ARG);
    LT_ASSERT_OK(lt_pca_precision_parse("mixed", &pr));
    ck_assert_int_eq(pr, LT_PCA_MIXED);
    lt_pca_gram_kernel gk;
    ck_assert_int_eq(lt_pca_gram_kernel_parse("gpu", &gk), LT_ERR_ARG);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "(expected auto, blas or amx)"));
    LT_ASSERT_OK(lt_pca_gram_kernel_parse("amx", &gk));
    ck_assert_int_eq(gk, LT_PCA_GRAM_AMX);
    ck_assert_str_eq(lt_pca_gram_kernel_name(LT_PCA_GRAM_BLAS), "blas");
    o.gram_kernel = (lt_pca_gram_kernel)7;
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
    o.gram_kernel = LT_PCA_GRAM_AUTO;
    lt_dataset_destroy(&ds);
    /* d > n: k is bounded by n = 40 */
    ds = pf_make(c, "wide");
    o = opts(41, LT_PCA_SVD);
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_ARG);
    o.n_components = 40; /* the largest legal k works: every component */
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
    double sum = 0;
    for (int i = 0; i < 40; i++) sum += p->explained_variance_ratio[i];
    ck_assert(fabs(sum - 1) < 1e-10);
    lt_pca_destroy(&p);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(nan_on_one_rank_is_agreed)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, "rankdef");
    int64_t bad = ds->n - 1; /* on the last non-empty rank */
    if (bad >= ds->row0 && bad < ds->row0 + ds->nloc) ds->x[(bad - ds->row0) * ds->d + 3] = NAN;
    for (int mi = 0; mi < 3; mi++) {
        lt_pca_opts o = opts(2, methods[mi]);
        lt_pca *p = NULL;
        ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_DATA);
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "row 499, column 3"));
    }
    lt_dataset_destroy(&ds);
}
END_TEST

/* Values near 1e20 are finite floats whose squares are not: the mixed Gram
 * (either kernel) overflows and says so; the double path fits. */
START_TEST(mixed_overflow_is_an_error)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, "random");
    for (int64_t i = 0; i < ds->nloc; i++) ds->x[i * ds->d + 5] *= 1e20f;
    lt_pca_opts o = opts(2, LT_PCA_REPLICATED);
    lt_pca *p = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
    lt_pca_destroy(&p);
    o.precision = LT_PCA_MIXED;
    for (int kern = 0; kern < 2; kern++) {
        o.gram_kernel = kern ? LT_PCA_GRAM_AMX : LT_PCA_GRAM_BLAS;
        if (kern && !lt_pca_amx_available()) continue;
        ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_NUMERIC);
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "overflowed"));
        ck_assert_ptr_null(p);
    }
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(constant_columns)
{
    /* One constant column is accepted (as scikit-learn): it gets zero weight.
     * All columns constant: no variance to explain, a clear error. */
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, "rankdef");
    for (int64_t i = 0; i < ds->nloc; i++) ds->x[i * ds->d + 7] = 4.5f;
    for (int mi = 0; mi < 3; mi++) {
        lt_pca_opts o = opts(3, methods[mi]);
        lt_pca *p = NULL;
        LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
        ck_assert_int_eq(p->info.n_constant_columns, 1);
        for (int i = 0; i < 3; i++) ck_assert(fabs(p->components[i * ds->d + 7]) < 1e-12);
        ck_assert(fabs(p->mean[7] - 4.5) < 1e-12);
        lt_pca_destroy(&p);
    }
    for (int64_t t = 0; t < ds->nloc * ds->d; t++) ds->x[t] = (float)(t % ds->d);
    lt_pca_opts o = opts(2, LT_PCA_AUTO);
    lt_pca *p = NULL;
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "zero total variance"));
    lt_dataset_destroy(&ds);
    LT_ASSERT_OK(lt_dataset_create(c, 1, 3, 0, &ds)); /* one row: no variance */
    ck_assert_int_eq(lt_pca_fit(c, &o, ds, &p), LT_ERR_DATA);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(save_load_round_trip)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, "random"), *s1 = NULL, *s2 = NULL;
    lt_pca_opts o = opts(4, LT_PCA_COVARIANCE);
    lt_pca *p = NULL, *q = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
    char path[1024];
    lt_test_path(path, sizeof path, "model.h5");
    LT_ASSERT_OK(lt_pca_save(c, p, path));
    LT_ASSERT_OK(lt_pca_load(c, path, &q));
    ck_assert_int_eq(q->n_features, 300);
    ck_assert_int_eq(q->n_components, 4);
    ck_assert_int_eq(q->n_samples, 2000);
    ck_assert_int_eq(q->blacs_ctxt, -1);
    ck_assert(pf_maxdiff(p->components, q->components, 4 * 300) == 0);
    ck_assert(pf_maxdiff(p->mean, q->mean, 300) == 0);
    ck_assert(pf_maxdiff(p->explained_variance, q->explained_variance, 4) == 0);
    ck_assert(pf_maxdiff(p->explained_variance_ratio, q->explained_variance_ratio, 4) == 0);
    ck_assert(pf_maxdiff(p->singular_values, q->singular_values, 4) == 0);
    ck_assert(p->total_variance == q->total_variance);
    LT_ASSERT_OK(lt_pca_transform(c, p, ds, &s1));
    LT_ASSERT_OK(lt_pca_transform(c, q, ds, &s2));
    LT_ASSERT_ALL(memcmp(s1->x, s2->x, sizeof(float) * (size_t)(s1->nloc * 4)) == 0);
    lt_dataset_destroy(&s1), lt_dataset_destroy(&s2);
    lt_pca_destroy(&p), lt_pca_destroy(&q);
    lt_dataset_destroy(&ds);
    if (lt_comm_rank(c) == 0) unlink(path);
}
END_TEST

/* A file whose components are 2 x 5 while the attributes say 2 x 6. */
static void write_bad_model(const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t s = H5Screate(H5S_SCALAR), t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 11);
    hid_t a = H5Acreate2(f, "format", t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, "latent-pca");
    H5Aclose(a);
    int version = 1;
    int64_t vals[3] = {100, 6, 2};
    const char *names[3] = {"n_samples", "n_features", "n_components"};
    a = H5Acreate2(f, "version", H5T_NATIVE_INT, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &version), H5Aclose(a);
    for (int i = 0; i < 3; i++) {
        a = H5Acreate2(f, names[i], H5T_NATIVE_INT64, s, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, H5T_NATIVE_INT64, &vals[i]), H5Aclose(a);
    }
    double tv = 1.0, buf[12] = {0};
    a = H5Acreate2(f, "total_variance", H5T_NATIVE_DOUBLE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_DOUBLE, &tv), H5Aclose(a);
    hsize_t dm[1] = {6}, dc[2] = {2, 5};
    hid_t sm = H5Screate_simple(1, dm, NULL), sc = H5Screate_simple(2, dc, NULL);
    hid_t d1 = H5Dcreate2(f, "mean", H5T_NATIVE_DOUBLE, sm, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t d2 = H5Dcreate2(f, "components", H5T_NATIVE_DOUBLE, sc, H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
    H5Dwrite(d1, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dwrite(d2, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Dclose(d1), H5Dclose(d2), H5Sclose(sm), H5Sclose(sc), H5Sclose(s), H5Tclose(t);
    H5Fclose(f);
}

START_TEST(bad_model_files)
{
    lt_comm *c = lt_test_comm();
    char path[1024];
    lt_pca *p = NULL;
    lt_test_path(path, sizeof path, "missing.h5");
    ck_assert_int_eq(lt_pca_load(c, path, &p), LT_ERR_IO);
    ck_assert_ptr_null(p);
    lt_test_path(path, sizeof path, "badshape.h5");
    if (lt_comm_rank(c) == 0) write_bad_model(path);
    LT_ASSERT_OK(lt_comm_barrier(c));
    ck_assert_int_eq(lt_pca_load(c, path, &p), LT_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "'components' has the wrong shape"));
    ck_assert_ptr_null(p);
    if (lt_comm_rank(c) == 0) { /* not HDF5 at all */
        FILE *f = fopen(path, "w");
        fputs("hello\n", f);
        fclose(f);
    }
    LT_ASSERT_OK(lt_comm_barrier(c));
    ck_assert_int_eq(lt_pca_load(c, path, &p), LT_ERR_IO);
    if (lt_comm_rank(c) == 0) unlink(path);
}
END_TEST

/* The file written under the convention: format_version 2 (no `version`),
 * variable-length UTF-8 strings. Rank 0 looks with HDF5 itself. */
static int follows_convention(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int ok = f >= 0 && H5Aexists(f, "version") == 0 && H5Aexists(f, "format_version") > 0;
    hid_t a = ok ? H5Aopen(f, "format_version", H5P_DEFAULT) : -1;
    long long v = 0;
    ok = ok && a >= 0 && H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0 && v == 2;
    if (a >= 0) H5Aclose(a);
    const char *strs[2] = {"format", "method"};
    for (int i = 0; ok && i < 2; i++) {
        a = H5Aopen(f, strs[i], H5P_DEFAULT);
        hid_t t = a >= 0 ? H5Aget_type(a) : -1;
        ok = t >= 0 && H5Tis_variable_str(t) > 0 && H5Tget_cset(t) == H5T_CSET_UTF8;
        if (t >= 0) H5Tclose(t);
        if (a >= 0) H5Aclose(a);
    }
    if (f >= 0) H5Fclose(f);
    return ok;
}

/* A model of format 1 (`version`, fixed-length strings; tests/fixtures/pca/
 * model_v1.h5, `latent pca` at ad473ed on blobs n_samples 24, n_features 3,
 * seed 7, minmax, 2 components) loads with the values h5py reads, and saved
 * again it follows the convention and keeps every value. */
START_TEST(loads_format_1_model)
{
    lt_comm *c = lt_test_comm();
    char fx[1024], path[1024];
    lt_pca *p = NULL, *q = NULL;
    LT_ASSERT_OK(lt_pca_load(c, lt_test_fixture(fx, sizeof fx, "pca/model_v1.h5"), &p));
    ck_assert(p->n_samples == 24 && p->n_features == 3 && p->n_components == 2);
    ck_assert(p->total_variance == 0.3885947522233076);
    ck_assert(p->mean[0] == 0.4129796860118707 && p->mean[2] == 0.5104128183641782);
    ck_assert(p->components[1] == -0.7046191831729949 && p->components[5] == -0.053388273002821174);
    ck_assert(p->explained_variance[1] == 0.06270580439655864);
    ck_assert(p->explained_variance_ratio[0] == 0.82562457450325);
    ck_assert(p->singular_values[0] == 2.7164623446767995);
    lt_test_path(path, sizeof path, "resaved.h5");
    LT_ASSERT_OK(lt_pca_save(c, p, path));
    LT_ASSERT_ALL(lt_comm_rank(c) != 0 || follows_convention(path));
    LT_ASSERT_OK(lt_pca_load(c, path, &q));
    ck_assert(pf_maxdiff(p->components, q->components, 6) == 0 && pf_maxdiff(p->mean, q->mean, 3) == 0);
    ck_assert(pf_maxdiff(p->singular_values, q->singular_values, 2) == 0);
    ck_assert(p->total_variance == q->total_variance && q->n_samples == 24);
    lt_pca_destroy(&p), lt_pca_destroy(&q);
    if (lt_comm_rank(c) == 0) unlink(path);
}
END_TEST

START_TEST(model_applied_to_wrong_width)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, "rankdef"), *other = pf_make(c, "wide"), *s = NULL;
    lt_pca_opts o = opts(2, LT_PCA_AUTO);
    lt_pca *p = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
    ck_assert_int_eq(lt_pca_transform(c, p, other, &s), LT_ERR_DATA);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "expects 20 columns, the data has 700"));
    ck_assert_ptr_null(s);
    double mse;
    ck_assert_int_eq(lt_pca_reconstruction_error(c, p, other, &mse, NULL), LT_ERR_DATA);
    ck_assert_int_eq(lt_pca_inverse_transform(c, p, ds, &s), LT_ERR_DATA); /* 20 != k = 2 */
    if (ds->nloc > 0) ds->x[0] = INFINITY;
    ck_assert_int_eq(lt_pca_transform(c, p, ds, &s), LT_ERR_DATA);
    lt_pca_destroy(&p);
    lt_pca_destroy(&p); /* NULL is fine */
    lt_dataset_destroy(&ds), lt_dataset_destroy(&other);
}
END_TEST

/* Non-finite values in a model file (corrupt or edited) are refused on
 * every rank, with the dataset named: a NaN in the components would turn
 * every projected row into NaN. */
START_TEST(non_finite_model_is_refused)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = pf_make(c, "random");
    lt_pca_opts o = opts(2, LT_PCA_COVARIANCE);
    lt_pca *p = NULL, *q = NULL;
    LT_ASSERT_OK(lt_pca_fit(c, &o, ds, &p));
    char path[1024];
    lt_test_path(path, sizeof path, "nonfinite.h5");
    double keep = p->components[5];
    p->components[5] = NAN;
    LT_ASSERT_OK(lt_pca_save(c, p, path));
    ck_assert_int_eq(lt_pca_load(c, path, &q), LT_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "'components' holds a non-finite value"));
    ck_assert_ptr_null(q);
    p->components[5] = keep, p->mean[0] = INFINITY;
    LT_ASSERT_OK(lt_pca_save(c, p, path));
    ck_assert_int_eq(lt_pca_load(c, path, &q), LT_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "'mean' holds a non-finite value"));
    p->mean[0] = 0, p->total_variance = INFINITY;
    LT_ASSERT_OK(lt_pca_save(c, p, path));
    ck_assert_int_eq(lt_pca_load(c, path, &q), LT_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(lt_error_message(), "total_variance inf"));
    ck_assert_ptr_null(q);
    lt_pca_destroy(&p);
    lt_dataset_destroy(&ds);
    if (lt_comm_rank(c) == 0) unlink(path);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("pca_io");
    TCase *t = tcase_create("errors");
    tcase_add_test(t, bad_n_components);
    tcase_add_test(t, nan_on_one_rank_is_agreed);
    tcase_add_test(t, constant_columns);
    tcase_add_test(t, mixed_overflow_is_an_error);
    tcase_add_test(t, save_load_round_trip);
    tcase_add_test(t, bad_model_files);
    tcase_add_test(t, non_finite_model_is_refused);
    tcase_add_test(t, loads_format_1_model);
    tcase_add_test(t, model_applied_to_wrong_width);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
