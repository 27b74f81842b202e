/* lt_h5: the one HDF5 convention for files latent writes (round trips, the
 * types on disk, older conventions read, and errors naming file and object). */
#include "lt_test.h"
#include "latent/lt_h5.h"

#include <hdf5.h>
#include <string.h>
#include <unistd.h>

static void expect(lt_status got, lt_status want, const char *needle)
{
    ck_assert_msg(got == want, "status %s, expected %s (%s)", lt_status_name(got),
                  lt_status_name(want), lt_error_message());
    ck_assert_msg(strstr(lt_error_message(), needle), "message '%s' lacks '%s'",
                  lt_error_message(), needle);
}

static void write_sample(const char *path)
{
    lt_h5 *f = NULL;
    LT_ASSERT_OK(lt_h5_create(path, NULL, &f));
    LT_ASSERT_OK(lt_h5_write_format(f, "latent-test", 3));
    LT_ASSERT_OK(lt_h5_write_attr_str(f, NULL, "name", "h\xc3\xa9llo"));
    LT_ASSERT_OK(lt_h5_write_attr_int(f, NULL, "big", -((int64_t)1 << 40)));
    LT_ASSERT_OK(lt_h5_write_attr_u64(f, NULL, "seed", UINT64_MAX - 1));
    LT_ASSERT_OK(lt_h5_write_attr_double(f, NULL, "l2", 0.25));
    float x[6] = {1, 2, 3, 4, 5, 6.5f};
    double y[3] = {0.1, -1e300, 3};
    int32_t z[4] = {7, -8, 9, 2147483647};
    int64_t d23[2] = {2, 3}, d3 = 3, d221[3] = {2, 2, 1}, d0 = 0;
    LT_ASSERT_OK(lt_h5_write_float(f, "grp/sub/x", 2, d23, x));
    LT_ASSERT_OK(lt_h5_write_double(f, "y", 1, &d3, y));
    LT_ASSERT_OK(lt_h5_write_int(f, "z", 3, d221, z));
    LT_ASSERT_OK(lt_h5_write_double(f, "empty", 1, &d0, NULL));
    LT_ASSERT_OK(lt_h5_write_attr_str(f, "grp/sub/x", "unit", "m"));
    LT_ASSERT_OK(lt_h5_write_attr_int(f, "grp", "count", 2));
    LT_ASSERT_OK(lt_h5_close(&f));
    ck_assert_ptr_null(f);
    LT_ASSERT_OK(lt_h5_close(&f)); /* NULL is fine */
}

START_TEST(round_trip)
{
    char path[512];
    lt_test_path(path, sizeof path, "rt.h5");
    write_sample(path);
    lt_h5 *f = NULL;
    LT_ASSERT_OK(lt_h5_open(path, &f));
    int v = 0;
    LT_ASSERT_OK(lt_h5_check_format(f, "latent-test", 3, &v));
    ck_assert_int_eq(v, 3);
    char s[16];
    int64_t i = 0;
    uint64_t u = 0;
    double r = 0;
    LT_ASSERT_OK(lt_h5_read_attr_str(f, NULL, "name", s, sizeof s));
    ck_assert_str_eq(s, "h\xc3\xa9llo");
    LT_ASSERT_OK(lt_h5_read_attr_int(f, "", "big", &i));
    ck_assert(i == -((int64_t)1 << 40));
    LT_ASSERT_OK(lt_h5_read_attr_u64(f, NULL, "seed", &u));
    ck_assert(u == UINT64_MAX - 1);
    LT_ASSERT_OK(lt_h5_read_attr_double(f, NULL, "l2", &r));
    ck_assert(r == 0.25);
    LT_ASSERT_OK(lt_h5_read_attr_double(f, "grp", "count", &r)); /* an integer is a number */
    ck_assert(r == 2);
    LT_ASSERT_OK(lt_h5_read_attr_str(f, "grp/sub/x", "unit", s, sizeof s));
    ck_assert_str_eq(s, "m");
    float x[6];
    double y[3];
    int32_t z[4];
    int64_t d23[2] = {2, 3}, d3 = 3, d221[3] = {2, 2, 1}, d0 = 0, dims[LT_H5_MAX_DIMS];
    LT_ASSERT_OK(lt_h5_read_float(f, "grp/sub/x", 2, d23, x));
    ck_assert(x[0] == 1 && x[5] == 6.5f);
    LT_ASSERT_OK(lt_h5_read_double(f, "y", 1, &d3, y));
    ck_assert(y[0] == 0.1 && y[1] == -1e300);
    LT_ASSERT_OK(lt_h5_read_int(f, "z", 3, d221, z));
    ck_assert(z[1] == -8 && z[3] == 2147483647);
    LT_ASSERT_OK(lt_h5_read_double(f, "empty", 1, &d0, NULL));
    double zd[4]; /* HDF5 converts int32 to double */
    LT_ASSERT_OK(lt_h5_read_double(f, "z", 3, d221, zd));
    ck_assert(zd[1] == -8 && zd[3] == 2147483647.0);
    int nd = 0;
    LT_ASSERT_OK(lt_h5_shape(f, "z", &nd, dims));
    ck_assert(nd == 3 && dims[0] == 2 && dims[1] == 2 && dims[2] == 1);
    ck_assert_int_eq(lt_h5_exists(f, "grp/sub/x"), 1);
    ck_assert_int_eq(lt_h5_exists(f, "grp/sub"), 1);
    ck_assert_int_eq(lt_h5_exists(f, "nope/x"), 0);
    ck_assert_int_eq(lt_h5_exists(f, "grp/nope/x"), 0);
    LT_ASSERT_OK(lt_h5_close(&f));
    unlink(path);
}
END_TEST

/* What h5py sees: variable-length UTF-8 strings, int64 integers, little-endian data. */
START_TEST(types_on_disk)
{
    char path[512];
    lt_test_path(path, sizeof path, "types.h5");
    write_sample(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    hid_t a = H5Aopen(f, "format", H5P_DEFAULT), t = H5Aget_type(a);
    ck_assert(H5Tis_variable_str(t) > 0);
    ck_assert_int_eq(H5Tget_cset(t), H5T_CSET_UTF8);
    H5Tclose(t), H5Aclose(a);
    a = H5Aopen(f, "format_version", H5P_DEFAULT), t = H5Aget_type(a);
    ck_assert(H5Tequal(t, H5T_STD_I64LE) > 0);
    H5Tclose(t), H5Aclose(a);
    a = H5Aopen(f, "seed", H5P_DEFAULT), t = H5Aget_type(a);
    ck_assert(H5Tequal(t, H5T_STD_U64LE) > 0);
    H5Tclose(t), H5Aclose(a);
    const char *names[3] = {"grp/sub/x", "y", "z"};
    hid_t types[3] = {H5T_IEEE_F32LE, H5T_IEEE_F64LE, H5T_STD_I32LE};
    for (int k = 0; k < 3; k++) {
        hid_t d = H5Dopen2(f, names[k], H5P_DEFAULT);
        t = H5Dget_type(d);
        ck_assert_msg(H5Tequal(t, types[k]) > 0, "type of %s", names[k]);
        H5Tclose(t), H5Dclose(d);
    }
    H5Fclose(f);
    unlink(path);
}
END_TEST

/* The older conventions: fixed-length byte strings (NUL-padded, NUL-terminated
 * or space-padded), int32 integers and a `version` attribute. */
static void write_legacy(const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t s = H5Screate(H5S_SCALAR);
    const char *names[3] = {"format", "padded", "fortran"};
    const char *vals[3] = {"latent-old", "ab", "xyz  "};
    H5T_str_t pads[3] = {H5T_STR_NULLTERM, H5T_STR_NULLPAD, H5T_STR_SPACEPAD};
    size_t sizes[3] = {11, 2, 5};
    for (int k = 0; k < 3; k++) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, sizes[k]);
        H5Tset_strpad(t, pads[k]);
        hid_t a = H5Acreate2(f, names[k], t, s, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, t, vals[k]);
        H5Aclose(a), H5Tclose(t);
    }
    int version = 1;
    hid_t a = H5Acreate2(f, "version", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &version), H5Aclose(a);
    hsize_t two = 2;
    hid_t s2 = H5Screate_simple(1, &two, NULL);
    int pair[2] = {1, 2};
    a = H5Acreate2(f, "pair", H5T_STD_I32LE, s2, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, pair), H5Aclose(a);
    H5Sclose(s2), H5Sclose(s);
    H5Fclose(f);
}

START_TEST(older_conventions_read)
{
    char path[512];
    lt_test_path(path, sizeof path, "legacy.h5");
    write_legacy(path);
    lt_h5 *f = NULL;
    LT_ASSERT_OK(lt_h5_open(path, &f));
    int v = 0;
    LT_ASSERT_OK(lt_h5_check_format(f, "latent-old", 2, &v));
    ck_assert_int_eq(v, 1);
    char s[16];
    LT_ASSERT_OK(lt_h5_read_attr_str(f, NULL, "padded", s, sizeof s));
    ck_assert_str_eq(s, "ab");
    LT_ASSERT_OK(lt_h5_read_attr_str(f, NULL, "fortran", s, sizeof s));
    ck_assert_str_eq(s, "xyz");
    int64_t i = 0;
    expect(lt_h5_read_attr_int(f, NULL, "pair", &i), LT_ERR_FORMAT,
           "attribute 'pair' holds 2 values, expected one");
    LT_ASSERT_OK(lt_h5_close(&f));
    unlink(path);
}
END_TEST

START_TEST(errors_name_file_and_object)
{
    char path[512], bad[600];
    lt_test_path(path, sizeof path, "err.h5");
    lt_h5 *f = NULL;
    expect(lt_h5_open("/nonexistent/m.h5", &f), LT_ERR_IO, "/nonexistent/m.h5: cannot open");
    ck_assert_ptr_null(f);
    expect(lt_h5_create("/nonexistent/m.h5.tmp.1", "/nonexistent/m.h5", &f), LT_ERR_IO,
           "/nonexistent/m.h5: cannot create the HDF5 file (/nonexistent/m.h5.tmp.1)");
    snprintf(bad, sizeof bad, "%s.txt", path);
    FILE *t = fopen(bad, "w");
    fputs("not hdf5\n", t);
    fclose(t);
    expect(lt_h5_open(bad, &f), LT_ERR_IO, "not HDF5");
    unlink(bad);
    write_sample(path);
    LT_ASSERT_OK(lt_h5_open(path, &f));
    int v = 0;
    expect(lt_h5_check_format(f, "latent-pca", 1, &v), LT_ERR_FORMAT,
           "not a latent-pca file (format 'latent-test')");
    expect(lt_h5_check_format(f, "latent-test", 2, &v), LT_ERR_FORMAT,
           "latent-test format version 3, this latent reads versions 1 to 2");
    char s[4];
    int64_t i = 0;
    expect(lt_h5_read_attr_str(f, NULL, "missing", s, sizeof s), LT_ERR_FORMAT,
           "err.h5: attribute 'missing' missing");
    expect(lt_h5_read_attr_str(f, "grp/sub/x", "other", s, sizeof s), LT_ERR_FORMAT,
           "attribute 'other' of 'grp/sub/x' missing");
    expect(lt_h5_read_attr_str(f, "nope", "unit", s, sizeof s), LT_ERR_FORMAT,
           "no object 'nope' for attribute 'unit' of 'nope'");
    expect(lt_h5_read_attr_str(f, NULL, "name", s, sizeof s), LT_ERR_FORMAT,
           "attribute 'name' is longer than 3 characters");
    expect(lt_h5_read_attr_str(f, NULL, "l2", s, sizeof s), LT_ERR_FORMAT,
           "attribute 'l2' is not a string");
    expect(lt_h5_read_attr_int(f, NULL, "l2", &i), LT_ERR_FORMAT, "attribute 'l2' is not an integer");
    expect(lt_h5_read_attr_int(f, NULL, "name", &i), LT_ERR_FORMAT,
           "attribute 'name' is not an integer");
    float x[6];
    int64_t d32[2] = {3, 2}, d6 = 6, dims[LT_H5_MAX_DIMS];
    expect(lt_h5_read_float(f, "grp/sub/x", 2, d32, x), LT_ERR_FORMAT,
           "dataset 'grp/sub/x' has the wrong shape (2 x 3; expected 3 x 2)");
    expect(lt_h5_read_float(f, "grp/sub/x", 1, &d6, x), LT_ERR_FORMAT, "(2 x 3; expected 6)");
    expect(lt_h5_read_float(f, "grp/nope", 1, &d6, x), LT_ERR_FORMAT, "err.h5: no dataset 'grp/nope'");
    expect(lt_h5_read_float(f, "grp", 1, &d6, x), LT_ERR_FORMAT, "'grp' is not a dataset");
    int nd = 0;
    expect(lt_h5_shape(f, "w", &nd, dims), LT_ERR_FORMAT, "no dataset 'w'");
    expect(lt_h5_read_float(f, "y", 0, &d6, x), LT_ERR_ARG, "dataset 'y' of 0 dimensions");
    LT_ASSERT_OK(lt_h5_close(&f));
    /* a file opened read-only refuses writes, naming the object */
    LT_ASSERT_OK(lt_h5_open(path, &f));
    expect(lt_h5_write_attr_int(f, "grp", "n", 1), LT_ERR_IO, "cannot write attribute 'n' of 'grp'");
    expect(lt_h5_write_double(f, "w", 1, &d6, (double[6]){0}), LT_ERR_IO,
           "cannot write dataset 'w'");
    LT_ASSERT_OK(lt_h5_close(&f));
    unlink(path);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("h5file");
    TCase *t = tcase_create("h5file");
    tcase_add_test(t, round_trip);
    tcase_add_test(t, types_on_disk);
    tcase_add_test(t, older_conventions_read);
    tcase_add_test(t, errors_name_file_and_object);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
