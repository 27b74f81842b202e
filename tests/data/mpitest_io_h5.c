#include "mpitest_io_util.h"

#include <hdf5.h>

static lt_read_opts opts(const char *dataset, const char *labels)
{
    lt_read_opts o;
    lt_read_opts_default(&o);
    o.h5_dataset = dataset;
    o.h5_labels = labels;
    return o;
}

START_TEST(round_trip_with_labels)
{
    lt_comm *c = lt_test_comm();
    int64_t sizes[] = {1, 3, 37};
    for (int k = 0; k < 3; k++) {
        char p[512];
        lt_test_path(p, sizeof p, "rt.h5");
        lt_dataset *a = io_random(sizes[k], 6, 1), *b = NULL, *u = NULL;
        LT_ASSERT_OK(lt_h5_write(c, p, "grp/data", "grp/labels", a));
        lt_read_opts o = opts("grp/data", "grp/labels");
        LT_ASSERT_OK(lt_h5_read(c, p, &o, &b));
        ck_assert(io_same(a, b, 1));
        /* Defaults: "X" and, when the data has labels, "y". */
        lt_test_path(p, sizeof p, "rt.hdf5");
        LT_ASSERT_OK(lt_h5_write(c, p, NULL, NULL, a));
        o = opts(NULL, "y");
        LT_ASSERT_OK(lt_read_any(c, p, NULL, &o, &u));
        ck_assert(io_same(a, u, 1));
        lt_dataset_destroy(&a);
        lt_dataset_destroy(&b);
        lt_dataset_destroy(&u);
    }
}
END_TEST

START_TEST(h5py_file_double_and_int64)
{
    lt_comm *c = lt_test_comm();
    char p[512];
    lt_test_fixture(p, sizeof p, "data/data.h5");
    lt_dataset *ds = NULL;
    lt_read_opts o = opts("X", "y");
    LT_ASSERT_OK(lt_h5_read(c, p, &o, &ds));
    ck_assert(io_fixture_values(ds, 1));
    lt_dataset_destroy(&ds);
    o = opts("group/Xf", NULL);
    LT_ASSERT_OK(lt_h5_read(c, p, &o, &ds));
    ck_assert(io_fixture_values(ds, 0));
    ck_assert_ptr_null(ds->y);
    lt_dataset_destroy(&ds);
}
END_TEST

static void expect(const char *path, const char *dataset, const char *labels, lt_status code,
                   const char *sub)
{
    lt_read_opts o = opts(dataset, labels);
    lt_dataset *ds = NULL;
    IO_EXPECT(lt_h5_read(lt_test_comm(), path, &o, &ds), code, sub);
    ck_assert_ptr_null(ds);
}

START_TEST(bad_files)
{
    lt_comm *c = lt_test_comm();
    char p[512], q[512];
    lt_test_fixture(p, sizeof p, "data/data.h5");
    expect("/nonexistent-latent-dir/a.h5", "X", NULL, LT_ERR_IO, "a.h5: cannot open");
    io_put(lt_test_path(q, sizeof q, "text.h5"), "not hdf5\n", -1);
    expect(q, "X", NULL, LT_ERR_FORMAT, "text.h5: not an HDF5 file");
    expect(p, "nope", NULL, LT_ERR_FORMAT, "data.h5: no data set 'nope'");
    expect(p, "missing/deeper", NULL, LT_ERR_FORMAT, "no data set 'missing/deeper'");
    expect(p, "group", NULL, LT_ERR_FORMAT, "'group' is not a data set");
    expect(p, "X3", NULL, LT_ERR_FORMAT, "'X3' has 3 dimensions, expected 2");
    expect(p, "y", NULL, LT_ERR_FORMAT, "'y' has 1 dimensions, expected 2");
    expect(p, "X", "names", LT_ERR_FORMAT, "'names' has an unsupported type");
    expect(p, "X", "short_y", LT_ERR_DATA, "labels 'short_y' has 6 entries but the data has 7 rows");
    /* NaN and empty data sets written by latent itself. */
    lt_dataset *a = io_random(11, 3, 0);
    if (8 >= a->row0 && 8 < a->row0 + a->nloc) a->x[(8 - a->row0) * 3 + 1] = (float)INFINITY;
    LT_ASSERT_OK(lt_h5_write(c, lt_test_path(q, sizeof q, "inf.h5"), NULL, NULL, a));
    expect(q, "X", NULL, LT_ERR_DATA, "inf.h5: non-finite value (NaN or infinity) at row 8, column 1");
    lt_dataset_destroy(&a);
    LT_ASSERT_OK(lt_dataset_create(c, 0, 3, 0, &a));
    LT_ASSERT_OK(lt_h5_write(c, lt_test_path(q, sizeof q, "empty.h5"), NULL, NULL, a));
    expect(q, "X", NULL, LT_ERR_DATA, "data set 'X' is empty");
    lt_dataset_destroy(&a);
}
END_TEST

/* Rank 0 writes path with data set "X" of rows x cols floats, chunked and
 * deflated; zeros written when `write`, else nothing stored (found by
 * fuzz_h5: the reader allocated every declared value). */
static void declared_only(const char *path, hsize_t rows, hsize_t cols, int write)
{
    if (lt_comm_rank(lt_test_comm()) == 0) {
        hsize_t dims[2] = {rows, cols}, chunk[2] = {1024, cols};
        hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        hid_t sp = H5Screate_simple(2, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(pl, 2, chunk);
        H5Pset_deflate(pl, 9);
        hid_t d = H5Dcreate2(f, "X", H5T_NATIVE_FLOAT, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
        float *z = write ? calloc(rows * cols, sizeof *z) : NULL;
        if (z) H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, z);
        free(z);
        ck_assert(d >= 0);
        H5Dclose(d), H5Pclose(pl), H5Sclose(sp), H5Fclose(f);
    }
    lt_comm_barrier(lt_test_comm());
}

START_TEST(declared_but_not_stored)
{
    char p[512];
    lt_test_path(p, sizeof p, "declared.h5");
    declared_only(p, 1u << 20, 1000, 0); /* 4 GB declared, nothing stored */
    expect(p, "X", NULL, LT_ERR_FORMAT, "'X' declares 4.19e+09 bytes of values but the file stores only 0 bytes");
    /* 4 MB of zeros deflate about 1000:1 and are real data */
    declared_only(p, 1u << 14, 64, 1);
    lt_read_opts o = opts("X", NULL);
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_h5_read(lt_test_comm(), p, &o, &ds));
    ck_assert_int_eq(ds->n, 1 << 14);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(failed_write_leaves_no_file)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = io_random(9, 2, 1);
    const char *p = "/nonexistent-latent-dir/out.h5";
    IO_EXPECT(lt_h5_write(c, p, NULL, NULL, ds), LT_ERR_IO, "out.h5.tmp.");
    ck_assert(lt_test_all(!io_exists(p)));
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(read_any_dispatch)
{
    lt_comm *c = lt_test_comm();
    char p[512], py[512];
    lt_dataset *ds = NULL;
    IO_EXPECT(lt_read_any(c, "data.parquet", NULL, NULL, &ds), LT_ERR_ARG,
              "cannot tell the format");
    lt_test_fixture(p, sizeof p, "data/f4_v1.npy");
    IO_EXPECT(lt_read_any(c, p, lt_test_fixture(py, sizeof py, "data/numpy.csv"), NULL, &ds),
              LT_ERR_ARG, "labels files must be .npy");
    ck_assert_ptr_null(ds);
    IO_EXPECT(lt_read_any(c, p, lt_test_fixture(py, sizeof py, "data/short-labels.npy"), NULL, &ds),
              LT_ERR_IO, "short-labels.npy: cannot open");
    ck_assert_ptr_null(ds);
    LT_ASSERT_OK(lt_read_any(c, lt_test_fixture(p, sizeof p, "data/numpy.csv"),
                             lt_test_fixture(py, sizeof py, "data/labels_u1.npy"), NULL, &ds));
    ck_assert_int_eq(ds->d, 4); /* no label column chosen: 4 features */
    ck_assert(lt_test_all(ds->nloc == 0 || ds->y[0] == ds->row0 % 3));
    lt_dataset_destroy(&ds);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("io_h5");
    TCase *t = tcase_create("h5");
    tcase_add_test(t, round_trip_with_labels);
    tcase_add_test(t, h5py_file_double_and_int64);
    tcase_add_test(t, bad_files);
    tcase_add_test(t, declared_but_not_stored);
    tcase_add_test(t, failed_write_leaves_no_file);
    tcase_add_test(t, read_any_dispatch);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
