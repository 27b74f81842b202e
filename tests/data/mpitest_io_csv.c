#include "mpitest_io_util.h"

static lt_read_opts opts(int label_column)
{
    lt_read_opts o;
    lt_read_opts_default(&o);
    o.csv_label_column = label_column;
    return o;
}

START_TEST(round_trip_is_bit_exact)
{
    /* %.9g round-trips float32; n = 1, 3 leave ranks without rows. */
    lt_comm *c = lt_test_comm();
    int64_t sizes[] = {1, 3, 50};
    for (int k = 0; k < 3; k++) {
        char p[512];
        lt_test_path(p, sizeof p, "rt.csv");
        lt_dataset *a = io_random(sizes[k], 9, 1), *b = NULL, *u = NULL;
        LT_ASSERT_OK(lt_csv_write(c, p, a));
        lt_read_opts o = opts(9);
        LT_ASSERT_OK(lt_csv_read(c, p, &o, &b));
        ck_assert(io_same(a, b, 1));
        /* Without a label column the labels become a tenth feature. */
        LT_ASSERT_OK(lt_read_any(c, p, NULL, NULL, &u));
        ck_assert_int_eq(u->d, 10);
        ck_assert_ptr_null(u->y);
        lt_dataset_destroy(&a);
        lt_dataset_destroy(&b);
        lt_dataset_destroy(&u);
    }
}
END_TEST

/* n rows of "i<sep>i+0.25<sep>...<sep>label" with CRLF/blank-line noise. */
static void write_rows(const char *path, int n, const char *sep, int header, int noise)
{
    size_t cap = (size_t)n * 200 + 256, k = 0;
    char *b = malloc(cap);
    if (header) k += (size_t)sprintf(b + k, "alpha%sbeta%sgamma%sclass\n", sep, sep, sep);
    for (int i = 0; i < n; i++) {
        if (noise && i % 17 == 3) k += (size_t)sprintf(b + k, "\n");
        k += (size_t)sprintf(b + k, "%d%s%.2f%s%.2f%s%d%s", i, sep, i + 0.25, sep, i + 0.5, sep,
                             i % 3, noise && i % 2 ? "\r\n" : "\n");
    }
    if (noise) k--; /* no newline at the end of the file */
    io_put(path, b, (long)k);
    free(b);
}

static int rows_ok(const lt_dataset *ds, int n)
{
    int ok = ds->n == n && ds->d == 3 && ds->y;
    for (int64_t i = 0; ok && i < ds->nloc; i++) {
        int64_t g = ds->row0 + i;
        ok &= ds->x[i * 3] == (float)g && ds->x[i * 3 + 1] == (float)(g + 0.25) &&
              ds->x[i * 3 + 2] == (float)(g + 0.5) && ds->y[i] == g % 3;
    }
    return lt_test_all(ok);
}

START_TEST(separators_headers_and_line_ends)
{
    lt_comm *c = lt_test_comm();
    const char *seps[] = {",", "\t", ";", "   "};
    for (int s = 0; s < 4; s++)
        for (int h = 0; h < 2; h++) {
            char p[512];
            lt_test_path(p, sizeof p, "sep.txt");
            write_rows(p, 301, seps[s], h, s == 1 || h);
            lt_read_opts o = opts(3);
            lt_dataset *ds = NULL;
            LT_ASSERT_OK(lt_csv_read(c, p, &o, &ds));
            ck_assert_msg(rows_ok(ds, 301), "separator %d header %d", s, h);
            lt_dataset_destroy(&ds);
        }
}
END_TEST

START_TEST(explicit_options_and_numpy_file)
{
    lt_comm *c = lt_test_comm();
    char p[512];
    lt_dataset *ds = NULL;
    lt_read_opts o = opts(3);
    LT_ASSERT_OK(lt_csv_read(c, lt_test_fixture(p, sizeof p, "data/numpy.csv"), &o, &ds));
    ck_assert(io_fixture_values(ds, 1));
    lt_dataset_destroy(&ds);
    /* Forced: separator ';' and no header, so a text first line is an error at line 1. */
    lt_test_path(p, sizeof p, "forced.csv");
    write_rows(p, 5, ";", 1, 0);
    o.csv_separator = ';';
    o.csv_header = 0;
    IO_EXPECT(lt_csv_read(c, p, &o, &ds), LT_ERR_FORMAT, "forced.csv:1: field 'alpha'");
    o.csv_header = 1;
    LT_ASSERT_OK(lt_csv_read(c, p, &o, &ds));
    ck_assert(rows_ok(ds, 5));
    lt_dataset_destroy(&ds);
    o.csv_separator = '|';
    IO_EXPECT(lt_csv_read(c, p, &o, &ds), LT_ERR_ARG, "separator '|' not supported");
}
END_TEST

/* 120 good rows with one bad line; errors must name that line at any rank count. */
static void bad_line(const char *name, int line, const char *text, lt_status code,
                     const char *sub)
{
    char p[512], want[600];
    lt_test_path(p, sizeof p, name);
    size_t cap = 130 * 64, k = 0;
    char *b = malloc(cap);
    k += (size_t)sprintf(b + k, "x0,x1,label\n");
    for (int l = 2; l <= 121; l++)
        k += (size_t)(l == line ? sprintf(b + k, "%s\n", text)
                                : sprintf(b + k, "%d.5,%d,%d\n", l, -l, l % 4));
    io_put(p, b, (long)k);
    free(b);
    lt_read_opts o = opts(2);
    lt_dataset *ds = NULL;
    snprintf(want, sizeof want, "%s:%d: %s", name, line, sub);
    IO_EXPECT(lt_csv_read(lt_test_comm(), p, &o, &ds), code, want);
    ck_assert_ptr_null(ds);
}

START_TEST(bad_rows_name_the_line)
{
    bad_line("ragged.csv", 97, "1,2", LT_ERR_FORMAT, "expected 3 fields, found 2 (ragged row)");
    bad_line("ragged2.csv", 2, "1,2,3,4", LT_ERR_FORMAT, "expected 3 fields, found 4");
    bad_line("text.csv", 120, "1,abc,2", LT_ERR_FORMAT, "field 'abc' in column 1 is not a number");
    bad_line("empty_field.csv", 64, "1,,2", LT_ERR_FORMAT, "empty field in column 1");
    bad_line("nan.csv", 33, "nan,1,2", LT_ERR_DATA, "non-finite value 'nan' in column 0");
    bad_line("inf.csv", 110, "1,-inf,2", LT_ERR_DATA, "non-finite value '-inf' in column 1");
    bad_line("label.csv", 77, "1,2,1.5", LT_ERR_FORMAT, "label '1.5' in column 2 is not");
}
END_TEST

START_TEST(nonfinite_allowed_on_request)
{
    lt_comm *c = lt_test_comm();
    char p[512];
    io_put(lt_test_path(p, sizeof p, "nan_ok.csv"), "1,2\nnan,inf\n3,4\n", -1);
    lt_read_opts o = opts(-1);
    o.allow_nonfinite = 1;
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_csv_read(c, p, &o, &ds));
    int ok = 1;
    for (int64_t i = 0; i < ds->nloc; i++)
        if (ds->row0 + i == 1) ok &= isnan(ds->x[2 * i]) && isinf(ds->x[2 * i + 1]);
    ck_assert(lt_test_all(ok && ds->n == 3));
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(bad_files)
{
    lt_comm *c = lt_test_comm();
    char p[512];
    lt_dataset *ds = NULL;
    lt_read_opts o = opts(-1);
    IO_EXPECT(lt_csv_read(c, "/nonexistent-latent-dir/a.csv", &o, &ds), LT_ERR_IO,
              "a.csv: cannot open");
    io_put(lt_test_path(p, sizeof p, "empty.csv"), "", 0);
    IO_EXPECT(lt_csv_read(c, p, &o, &ds), LT_ERR_DATA, "empty file");
    io_put(p, "\n  \n\n", -1);
    IO_EXPECT(lt_csv_read(c, p, &o, &ds), LT_ERR_DATA, "empty file");
    io_put(lt_test_path(p, sizeof p, "header_only.csv"), "a,b,c\n", -1);
    IO_EXPECT(lt_csv_read(c, p, &o, &ds), LT_ERR_DATA, "header_only.csv: no data rows");
    o.csv_label_column = 3;
    IO_EXPECT(lt_csv_read(c, p, &o, &ds), LT_ERR_ARG, "label column 3 but the file has 3 columns");
    io_put(lt_test_path(p, sizeof p, "onecol.csv"), "label\n1\n2\n", -1);
    o.csv_label_column = 0;
    IO_EXPECT(lt_csv_read(c, p, &o, &ds), LT_ERR_DATA, "no feature columns");
    ck_assert_ptr_null(ds);
}
END_TEST

START_TEST(failed_write_leaves_no_file)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = io_random(9, 2, 1);
    const char *p = "/nonexistent-latent-dir/out.csv";
    IO_EXPECT(lt_csv_write(c, p, ds), LT_ERR_IO, "out.csv.tmp.");
    ck_assert(lt_test_all(!io_exists(p)));
    lt_dataset_destroy(&ds);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("io_csv");
    TCase *t = tcase_create("csv");
    tcase_add_test(t, round_trip_is_bit_exact);
    tcase_add_test(t, separators_headers_and_line_ends);
    tcase_add_test(t, explicit_options_and_numpy_file);
    tcase_add_test(t, bad_rows_name_the_line);
    tcase_add_test(t, nonfinite_allowed_on_request);
    tcase_add_test(t, bad_files);
    tcase_add_test(t, failed_write_leaves_no_file);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
