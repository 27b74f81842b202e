#include "mpitest_io_util.h"

#include <zlib.h>

/* Pixels of the fixture, from its text copy: n rows of 20 bytes. */
static int pixels_ok(const lt_dataset *ds)
{
    char p[512];
    FILE *f = fopen(lt_test_fixture(p, sizeof p, "data/images-idx3-ubyte.txt"), "r");
    int ok = f != NULL && ds->n == 7 && ds->d == 20;
    for (int64_t g = 0; ok && g < ds->n; g++)
        for (int64_t j = 0; j < 20; j++) {
            int v = 0;
            ok &= fscanf(f, "%d", &v) == 1;
            if (g >= ds->row0 && g < ds->row0 + ds->nloc)
                ok &= ds->x[(g - ds->row0) * 20 + j] == (float)v / 255.0f;
        }
    for (int64_t i = 0; ok && i < ds->nloc; i++) ok &= ds->y && ds->y[i] == (ds->row0 + i) % 3;
    if (f) fclose(f);
    return lt_test_all(ok);
}

START_TEST(raw_and_gzip_agree)
{
    lt_comm *c = lt_test_comm();
    const char *img[] = {"data/images-idx3-ubyte", "data/images-idx3-ubyte.gz"};
    const char *lab[] = {"data/labels-idx1-ubyte.gz", "data/labels-idx1-ubyte"};
    for (int k = 0; k < 2; k++) {
        char pi[512], pl[512];
        lt_dataset *ds = NULL;
        lt_test_fixture(pi, sizeof pi, img[k]);
        lt_test_fixture(pl, sizeof pl, lab[k]);
        LT_ASSERT_OK(lt_read_any(c, pi, pl, NULL, &ds));
        ck_assert(pixels_ok(ds));
        int ends = ds->nloc == 0 || ds->row0 != 0 || (ds->x[0] == 0.0f && ds->x[1] == 1.0f);
        ck_assert(lt_test_all(ends));
        lt_dataset_destroy(&ds);
    }
}
END_TEST

static void be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

START_TEST(gzip_stream_spans_chunks)
{
    /* 50 rows of 120,000 bytes: 6 MB, more than one 4 MiB broadcast chunk. */
    lt_comm *c = lt_test_comm();
    enum { N = 50, R = 300, C = 400 };
    char p[512];
    lt_test_path(p, sizeof p, "big-idx3-ubyte.gz");
    if (lt_comm_rank(c) == 0) {
        gzFile g = gzopen(p, "wb1");
        unsigned char h[16], *row = malloc(R * C);
        be32(h, 0x803), be32(h + 4, N), be32(h + 8, R), be32(h + 12, C);
        gzwrite(g, h, 16);
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < R * C; j++) row[j] = (unsigned char)((i * 7 + j) % 251);
            gzwrite(g, row, R * C);
        }
        free(row);
        gzclose(g);
    }
    lt_comm_barrier(c);
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_idx_read(c, p, NULL, NULL, &ds));
    int ok = ds->n == N && ds->d == R * C && ds->y == NULL;
    for (int64_t i = 0; ok && i < ds->nloc; i++)
        for (int64_t j = 0; j < ds->d; j += 997)
            ok &= ds->x[i * ds->d + j] == (float)(((ds->row0 + i) * 7 + j) % 251) / 255.0f;
    ck_assert(lt_test_all(ok));
    lt_dataset_destroy(&ds);
}
END_TEST

static void expect(const char *img, const char *lab, lt_status code, const char *sub)
{
    lt_dataset *ds = NULL;
    IO_EXPECT(lt_idx_read(lt_test_comm(), img, lab, NULL, &ds), code, sub);
    ck_assert_ptr_null(ds);
}

START_TEST(bad_files)
{
    char im[512], lb[512], p[512];
    lt_test_fixture(im, sizeof im, "data/images-idx3-ubyte");
    lt_test_fixture(lb, sizeof lb, "data/labels-idx1-ubyte");
    expect("/nonexistent-latent-dir/x-idx3-ubyte", NULL, LT_ERR_IO, "x-idx3-ubyte: cannot open");
    expect(lb, NULL, LT_ERR_FORMAT, "wrong magic 0x00000801: not an IDX images file");
    expect(im, im, LT_ERR_FORMAT, "wrong magic 0x00000803: not an IDX labels file");
    expect(lt_test_fixture(p, sizeof p, "data/truncated-idx3-ubyte.gz"), NULL, LT_ERR_FORMAT,
           "truncated: the stream ends before row 6 of the 7");
    expect(im, lt_test_fixture(p, sizeof p, "data/short-labels-idx1-ubyte"), LT_ERR_DATA,
           "labels file has 6 labels but");
    unsigned char h[16 + 2 * 3 + 1];
    memset(h, 9, sizeof h);
    be32(h, 0x803), be32(h + 4, 3), be32(h + 8, 2), be32(h + 12, 1);
    io_put(lt_test_path(p, sizeof p, "short-idx3-ubyte"), h, 16 + 5);
    expect(p, NULL, LT_ERR_FORMAT, "truncated: header declares 3 images needing 22 bytes, file has 21");
    io_put(p, h, 16 + 7);
    expect(p, NULL, LT_ERR_FORMAT, "disagrees with the file size (23 bytes, expected 22)");
    be32(h + 4, 0);
    io_put(p, h, 16);
    expect(p, NULL, LT_ERR_DATA, "zero dimension");
    io_put(p, h, 7);
    expect(p, NULL, LT_ERR_FORMAT, "truncated IDX header");
    io_put(p, h, 3);
    expect(p, NULL, LT_ERR_FORMAT, "too short for an IDX images file");
}
END_TEST

START_TEST(gzip_with_trailing_data)
{
    lt_comm *c = lt_test_comm();
    char p[512];
    lt_test_path(p, sizeof p, "long-idx3-ubyte.gz");
    if (lt_comm_rank(c) == 0) {
        gzFile g = gzopen(p, "wb");
        unsigned char h[16 + 3] = {0};
        be32(h, 0x803), be32(h + 4, 2), be32(h + 8, 1), be32(h + 12, 1);
        gzwrite(g, h, sizeof h);
        gzclose(g);
    }
    lt_comm_barrier(c);
    expect(p, NULL, LT_ERR_FORMAT, "data continues after the 2 rows the header declares");
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("io_idx");
    TCase *t = tcase_create("idx");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, raw_and_gzip_agree);
    tcase_add_test(t, gzip_stream_spans_chunks);
    tcase_add_test(t, bad_files);
    tcase_add_test(t, gzip_with_trailing_data);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
