/* 10x Genomics .h5 (v3 and v2) and Matrix Market readers, and one real
 * matrix in its three forms (h5ad CSR, 10x h5, Matrix Market) read equal. */
#include <sys/stat.h>
#include <zlib.h>

#include "sc_testutil.h"

static lt_scdata *read_fixture(const char *name, int tenx, const char *genome)
{
    char p[512];
    lt_test_fixture(p, sizeof p, name);
    lt_sc_read_opts o;
    lt_sc_read_opts_default(&o);
    o.genome = genome;
    lt_scdata *s = NULL;
    if (tenx) LT_ASSERT_OK(lt_tenx_read(lt_test_comm(), p, &o, &s));
    else LT_ASSERT_OK(lt_mtx_read(lt_test_comm(), p, &o, &s));
    return s;
}

static void check_small(lt_scdata *s, const lt_dataset *truth)
{
    LT_ASSERT_ALL(sc_same_rows(s->x, truth, 1.0f));
    ck_assert_int_eq(s->var_names->n, 7);
    ck_assert_str_eq(lt_strlist_get(s->var_names, 6), "Gene6");
    ck_assert_int_eq(s->obs_names->n, s->x->nloc);
    for (int64_t i = 0; i < s->x->nloc; i++) {
        char want[32];
        snprintf(want, sizeof want, "cell%lld", (long long)(s->x->row0 + i));
        ck_assert_str_eq(lt_strlist_get(s->obs_names, i), want);
    }
}

START_TEST(small_matrix_in_every_form)
{
    lt_dataset *truth = sc_truth("sc/counts.npy");
    const char *mtx[] = {"sc/fmt_mtx", "sc/fmt_mtx_gz", "sc/fmt_mtx_v2"};
    lt_scdata *s = read_fixture("sc/fmt_10x_v3.h5", 1, NULL);
    check_small(s, truth);
    lt_scdata_destroy(&s);
    for (int k = 0; k < 3; k++) {
        s = read_fixture(mtx[k], 0, NULL);
        check_small(s, truth);
        lt_scdata_destroy(&s);
    }
    lt_dataset_destroy(&truth);
}
END_TEST

/* Rank 0 gunzips src into dst. */
static void gunzip(const char *src, const char *dst)
{
    if (lt_comm_rank(lt_test_comm()) == 0) {
        gzFile g = gzopen(src, "rb");
        FILE *f = fopen(dst, "wb");
        ck_assert(g && f);
        char buf[65536];
        int n;
        while ((n = gzread(g, buf, sizeof buf)) > 0) ck_assert_int_eq(fwrite(buf, 1, (size_t)n, f), n);
        gzclose(g);
        fclose(f);
    }
    lt_comm_barrier(lt_test_comm());
}

START_TEST(real_matrix_three_forms_equal)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *sum = sc_truth("sc/tenx_v3_summary.npy");
    lt_scdata *h5 = read_fixture("sc/tenx_v3.h5", 1, NULL);
    lt_scdata *mx = read_fixture("sc/tenx_v3_mtx", 0, NULL);
    char p[512];
    lt_test_fixture(p, sizeof p, "sc/tenx_v3.h5ad");
    lt_scdata *ad = NULL;
    LT_ASSERT_OK(lt_h5ad_read(c, p, NULL, &ad));
    ck_assert_int_eq(h5->x->n, 1107);
    ck_assert_int_eq(h5->x->d, 507);
    int64_t nnz = 0;
    LT_ASSERT_OK(lt_csr_nnz_global(c, h5->x, &nnz));
    ck_assert_int_eq(nnz, 23866);
    LT_ASSERT_ALL(sc_same_summary(h5->x, sum));
    LT_ASSERT_ALL(sc_same_csr(h5->x, mx->x));
    LT_ASSERT_ALL(sc_same_csr(h5->x, ad->x));
    ck_assert_str_eq(lt_strlist_get(h5->var_names, 0), "CH507-9B2.2");
    ck_assert_str_eq(lt_strlist_get(mx->var_names, 0), "CH507-9B2.2");
    for (int64_t i = 0; i < h5->x->nloc; i++) {
        ck_assert_str_eq(lt_strlist_get(h5->obs_names, i), lt_strlist_get(mx->obs_names, i));
        ck_assert_str_eq(lt_strlist_get(h5->obs_names, i), lt_strlist_get(ad->obs_names, i));
    }
    if (h5->x->row0 == 0 && h5->x->nloc) ck_assert_str_eq(lt_strlist_get(h5->obs_names, 0), "AAACCCAAGGAGAGTA-1");
    /* The same Matrix Market file uncompressed: split by bytes over the ranks. */
    char dir[512], q[700], f[512];
    lt_test_path(dir, sizeof dir, "mtx_plain");
    if (lt_comm_rank(c) == 0) mkdir(dir, 0755);
    snprintf(q, sizeof q, "%s/matrix.mtx", dir);
    lt_test_fixture(f, sizeof f, "sc/tenx_v3_mtx/matrix.mtx.gz");
    gunzip(f, q);
    snprintf(q, sizeof q, "%s/barcodes.tsv", dir);
    lt_test_fixture(f, sizeof f, "sc/tenx_v3_mtx/barcodes.tsv.gz");
    gunzip(f, q);
    snprintf(q, sizeof q, "%s/features.tsv", dir);
    lt_test_fixture(f, sizeof f, "sc/tenx_v3_mtx/features.tsv.gz");
    gunzip(f, q);
    lt_scdata *pl = NULL;
    LT_ASSERT_OK(lt_mtx_read(c, dir, NULL, &pl));
    LT_ASSERT_ALL(sc_same_csr(h5->x, pl->x));
    lt_scdata_destroy(&pl);
    lt_scdata_destroy(&h5);
    lt_scdata_destroy(&mx);
    lt_scdata_destroy(&ad);
    lt_dataset_destroy(&sum);
}
END_TEST

START_TEST(cell_ranger_2_genome_groups)
{
    lt_dataset *sum = sc_truth("sc/tenx_v2_summary.npy");
    lt_scdata *s = read_fixture("sc/tenx_v2.h5", 1, NULL);
    ck_assert_int_eq(s->x->n, 12);
    ck_assert_int_eq(s->x->d, 343);
    LT_ASSERT_ALL(sc_same_summary(s->x, sum));
    ck_assert_str_eq(lt_strlist_get(s->var_names, 0), "DSCAM");
    lt_scdata_destroy(&s);
    s = read_fixture("sc/tenx_v2.h5", 1, "hg19_chr21");
    LT_ASSERT_ALL(sc_same_summary(s->x, sum));
    lt_scdata_destroy(&s);
    lt_dataset_destroy(&sum);
}
END_TEST

START_TEST(bad_inputs)
{
    lt_comm *c = lt_test_comm();
    char p[512];
    lt_scdata *s = NULL;
    lt_sc_read_opts o;
    lt_sc_read_opts_default(&o);
    lt_test_fixture(p, sizeof p, "sc/bad_indptr_10x.h5");
    IO_EXPECT(lt_tenx_read(c, p, &o, &s), LT_ERR_FORMAT, "'matrix/indptr' decreases at row 1");
    lt_test_fixture(p, sizeof p, "sc/fmt_csr.h5ad");
    IO_EXPECT(lt_tenx_read(c, p, &o, &s), LT_ERR_FORMAT, "not a 10x Genomics matrix");
    o.genome = "mm10";
    lt_test_fixture(p, sizeof p, "sc/tenx_v2.h5");
    IO_EXPECT(lt_tenx_read(c, p, &o, &s), LT_ERR_FORMAT, "no 10x matrix group 'mm10'");
    lt_test_fixture(p, sizeof p, "sc/bad_mtx");
    IO_EXPECT(lt_mtx_read(c, p, NULL, &s), LT_ERR_FORMAT,
              "(gene 4, cell 2) outside the 3 x 2 matrix");
    lt_test_fixture(p, sizeof p, "sc");
    IO_EXPECT(lt_mtx_read(c, p, NULL, &s), LT_ERR_IO, "no matrix.mtx or matrix.mtx.gz");
    /* A truncated gzip stream and a short entry count. */
    char dir[512], q[700];
    lt_test_path(dir, sizeof dir, "mtx_short");
    if (lt_comm_rank(c) == 0) mkdir(dir, 0755);
    snprintf(q, sizeof q, "%s/matrix.mtx", dir);
    io_put(q, "%%MatrixMarket matrix coordinate real general\n% c\n2 3 3\n1 1 0.5\n2 3 1.5\n", -1);
    snprintf(q, sizeof q, "%s/barcodes.tsv", dir);
    io_put(q, "a\nb\nc\n", -1);
    snprintf(q, sizeof q, "%s/genes.tsv", dir);
    io_put(q, "g1\tG1\ng2\tG2\n", -1);
    IO_EXPECT(lt_mtx_read(c, dir, NULL, &s), LT_ERR_FORMAT,
              "the size line says 3 entries but the file holds 2");
    snprintf(q, sizeof q, "%s/matrix.mtx", dir);
    io_put(q, "%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n", -1);
    IO_EXPECT(lt_mtx_read(c, dir, NULL, &s), LT_ERR_FORMAT, "symmetry 'symmetric' is not supported");
    io_put(q, "%%MatrixMarket matrix coordinate real general\n2 3 2\n1 1 0.5\n1 1 1.5\n", -1);
    IO_EXPECT(lt_mtx_read(c, dir, NULL, &s), LT_ERR_FORMAT, "row 0 holds column 0 twice");
    io_put(q, "%%MatrixMarket matrix coordinate real general\n2 3 2\n1 1 0.5\n1 x 1.5\n", -1);
    IO_EXPECT(lt_mtx_read(c, dir, NULL, &s), LT_ERR_FORMAT, "bad entry at byte");
    /* Valid again: real values and names from genes.tsv's second column. */
    io_put(q, "%%MatrixMarket matrix coordinate real general\n2 3 2\n1 1 0.5\n2 3 1.5\n", -1);
    LT_ASSERT_OK(lt_mtx_read(c, dir, NULL, &s));
    ck_assert_str_eq(lt_strlist_get(s->var_names, 1), "G2");
    ck_assert_double_eq(sc_sum(s->x), 2.0);
    lt_scdata_destroy(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sc_formats");
    TCase *t = tcase_create("read");
    tcase_add_test(t, small_matrix_in_every_form);
    tcase_add_test(t, real_matrix_three_forms_equal);
    tcase_add_test(t, cell_ranger_2_genome_groups);
    tcase_add_test(t, bad_inputs);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(suite, argc, argv); }
