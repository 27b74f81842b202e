#include "mpitest_io_util.h"

START_TEST(round_trip_with_labels)
{
    /* n = 1 and 3 leave ranks without rows at 4 ranks. */
    lt_comm *c = lt_test_comm();
    int64_t sizes[] = {1, 3, 37};
    for (int k = 0; k < 3; k++) {
        char p[512], py[512];
        lt_test_path(p, sizeof p, "rt.npy");
        lt_test_path(py, sizeof py, "rt_y.npy");
        lt_dataset *a = io_random(sizes[k], 5, 1), *b = NULL;
        LT_ASSERT_OK(lt_npy_write(c, p, a));
        LT_ASSERT_OK(lt_npy_write_labels(c, py, a));
        LT_ASSERT_OK(lt_read_any(c, p, py, NULL, &b));
        ck_assert(io_same(a, b, 1));
        /* numpy pads the header so data starts at a multiple of 64. */
        FILE *f = fopen(p, "rb");
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fclose(f);
        ck_assert_int_eq((size - sizes[k] * 5 * 4) % 64, 0);
        lt_dataset_destroy(&a);
        lt_dataset_destroy(&b);
    }
}
END_TEST

START_TEST(overwrite_shrinks_file)
{
    lt_comm *c = lt_test_comm();
    char p[512];
    lt_test_path(p, sizeof p, "over.npy");
    lt_dataset *big = io_random(40, 6, 0), *small = io_random(5, 2, 0), *b = NULL;
    LT_ASSERT_OK(lt_npy_write(c, p, big));
    LT_ASSERT_OK(lt_npy_write(c, p, small));
    LT_ASSERT_OK(lt_npy_read(c, p, NULL, &b));
    ck_assert(io_same(small, b, 0));
    lt_dataset_destroy(&big);
    lt_dataset_destroy(&small);
    lt_dataset_destroy(&b);
}
END_TEST

START_TEST(numpy_versions_and_dtypes)
{
    lt_comm *c = lt_test_comm();
    const char *data[] = {"data/f4_v1.npy", "data/f8_v2.npy", "data/f4_v3.npy"};
    const char *lab[] = {"data/labels_i8.npy", "data/labels_i4.npy", "data/labels_u1.npy"};
    for (int k = 0; k < 3; k++) {
        char p[512], py[512];
        lt_dataset *ds = NULL;
        lt_test_fixture(p, sizeof p, data[k]);
        LT_ASSERT_OK(lt_npy_read(c, p, NULL, &ds));
        ck_assert_int_eq(ds->n, 7);
        ck_assert_int_eq(ds->d, 3);
        LT_ASSERT_OK(lt_npy_read_labels(c, lt_test_fixture(py, sizeof py, lab[k]), ds));
        ck_assert(io_fixture_values(ds, 1));
        lt_dataset_destroy(&ds);
    }
}
END_TEST

static void bad(const char *fixture, lt_status code, const char *sub)
{
    char p[512];
    lt_dataset *ds = NULL;
    IO_EXPECT(lt_npy_read(lt_test_comm(), lt_test_fixture(p, sizeof p, fixture), NULL, &ds), code,
              sub);
    ck_assert_ptr_null(ds);
}

START_TEST(bad_files_are_named_errors)
{
    bad("data/missing.npy", LT_ERR_IO, "missing.npy: cannot open");
    bad("data/truncated.npy", LT_ERR_FORMAT, "truncated");
    bad("data/fortran.npy", LT_ERR_FORMAT, "Fortran-order");
    bad("data/bigendian.npy", LT_ERR_FORMAT, "big-endian dtype '>f4'");
    bad("data/int_data.npy", LT_ERR_FORMAT, "unsupported dtype '<i4'");
    bad("data/shape3d.npy", LT_ERR_FORMAT, "expected a 2-D array, found shape 3-D");
    bad("data/empty_rows.npy", LT_ERR_DATA, "empty array");
    bad("data/labels_i8.npy", LT_ERR_FORMAT, "expected a 2-D array, found shape (7,)");
    bad("data/nan.npy", LT_ERR_DATA, "nan.npy: non-finite value (NaN or infinity) at row 5, column 2");
}
END_TEST

START_TEST(bad_magic_and_size_mismatch)
{
    lt_comm *c = lt_test_comm();
    char p[512], q[512], fx[512];
    lt_dataset *ds = NULL;
    io_put(lt_test_path(p, sizeof p, "magic.npy"), "this is not numpy data at all", -1);
    /* Rank 0 reads the header alone: every rank reports its message as
     * rank 0 wrote it, starting with the path (no "rank 0: "). */
    ck_assert_int_eq(lt_npy_read(c, p, NULL, &ds), LT_ERR_FORMAT);
    ck_assert_msg(strncmp(lt_error_message(), p, strlen(p)) == 0, "message '%s'", lt_error_message());
    lt_error_clear();
    IO_EXPECT(lt_npy_read(c, p, NULL, &ds), LT_ERR_FORMAT, "not a .npy file (bad magic)");
    io_put(p, "\x93NUMPY", 6);
    IO_EXPECT(lt_npy_read(c, p, NULL, &ds), LT_ERR_FORMAT, "bad magic");
    /* Trailing bytes: the header shape no longer matches the size. */
    FILE *f = fopen(lt_test_fixture(fx, sizeof fx, "data/f4_v1.npy"), "rb");
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    memcpy(buf + n, "XXXX", 4);
    io_put(lt_test_path(q, sizeof q, "long.npy"), buf, (long)n + 4);
    IO_EXPECT(lt_npy_read(c, q, NULL, &ds), LT_ERR_FORMAT, "disagrees with the file size");
    ck_assert_ptr_null(ds);
}
END_TEST

START_TEST(nonfinite_allowed_on_request)
{
    lt_comm *c = lt_test_comm();
    char p[512];
    lt_read_opts o;
    lt_read_opts_default(&o);
    o.allow_nonfinite = 1;
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_npy_read(c, lt_test_fixture(p, sizeof p, "data/nan.npy"), &o, &ds));
    int ok = 1;
    for (int64_t i = 0; i < ds->nloc; i++) ok &= (ds->row0 + i == 5) == !!isnan(ds->x[i * 3 + 2]);
    ck_assert(lt_test_all(ok));
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(labels_errors)
{
    lt_comm *c = lt_test_comm();
    char p[512];
    lt_dataset *ds = io_random(6, 3, 0);
    IO_EXPECT(lt_npy_read_labels(c, lt_test_fixture(p, sizeof p, "data/labels_i8.npy"), ds),
              LT_ERR_DATA, "labels file has 7 labels but the data has 6 rows");
    IO_EXPECT(lt_npy_read_labels(c, lt_test_fixture(p, sizeof p, "data/labels_f4.npy"), ds),
              LT_ERR_FORMAT, "unsupported labels dtype '<f4'");
    IO_EXPECT(lt_npy_read_labels(c, lt_test_fixture(p, sizeof p, "data/f4_v1.npy"), ds),
              LT_ERR_FORMAT, "expected a 1-D array");
    IO_EXPECT(lt_npy_write_labels(c, lt_test_path(p, sizeof p, "nolab.npy"), ds), LT_ERR_ARG,
              "no labels");
    ck_assert(lt_test_all(!io_exists(p)));
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(failed_write_leaves_no_file)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = io_random(9, 2, 1);
    const char *p = "/nonexistent-latent-dir/out.npy";
    IO_EXPECT(lt_npy_write(c, p, ds), LT_ERR_IO, "/nonexistent-latent-dir/out.npy.tmp.");
    ck_assert(lt_test_all(!io_exists(p)));
    lt_dataset_destroy(&ds);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("io_npy");
    TCase *t = tcase_create("npy");
    tcase_add_test(t, round_trip_with_labels);
    tcase_add_test(t, overwrite_shrinks_file);
    tcase_add_test(t, numpy_versions_and_dtypes);
    tcase_add_test(t, bad_files_are_named_errors);
    tcase_add_test(t, bad_magic_and_size_mismatch);
    tcase_add_test(t, nonfinite_allowed_on_request);
    tcase_add_test(t, labels_errors);
    tcase_add_test(t, failed_write_leaves_no_file);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
