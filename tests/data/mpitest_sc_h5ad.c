/* .h5ad reader against files written by python3-anndata (scripts/make_sc_fixtures.py)
 * and anndata's own 0.7 archives; 4 ranks leave the last rank without cells. */
#include "sc_testutil.h"

START_TEST(csr_x_and_every_layer)
{
    lt_dataset *truth = sc_truth("sc/counts.npy");
    const char *mats[] = {"X", "layers/f64_i64", "layers/i32", "layers/u32", "layers/i64",
                          "layers/dense", "layers/csc"};
    for (size_t k = 0; k < sizeof mats / sizeof mats[0]; k++) {
        lt_scdata *s = sc_read_h5ad("sc/fmt_csr.h5ad", mats[k], NULL);
        ck_assert_msg(sc_same_rows(s->x, truth, 1.0f), "matrix %s", mats[k]);
        ck_assert_int_eq(s->var_names->n, 7);
        ck_assert_str_eq(lt_strlist_get(s->var_names, 3), "Gene3");
        ck_assert_int_eq(s->obs_names->n, s->x->nloc);
        for (int64_t i = 0; i < s->x->nloc; i++) {
            char want[32];
            snprintf(want, sizeof want, "cell%lld", (long long)(s->x->row0 + i));
            ck_assert_str_eq(lt_strlist_get(s->obs_names, i), want);
        }
        ck_assert_ptr_null(s->labels);
        lt_scdata_destroy(&s);
    }
    lt_dataset_destroy(&truth);
}
END_TEST

START_TEST(raw_x_has_its_own_genes)
{
    lt_dataset *truth = sc_truth("sc/counts.npy");
    lt_scdata *s = sc_read_h5ad("sc/fmt_csr.h5ad", "raw/X", NULL);
    ck_assert_int_eq(s->x->d, 8);
    ck_assert_int_eq(s->var_names->n, 8);
    ck_assert_str_eq(lt_strlist_get(s->var_names, 7), "RawOnly");
    int ok = 1;
    for (int64_t i = 0; i < s->x->nloc; i++) {
        float row[8] = {0};
        for (int64_t k = s->x->indptr[i]; k < s->x->indptr[i + 1]; k++)
            row[s->x->indices[k]] = s->x->data[k];
        for (int j = 0; j < 7; j++) ok &= row[j] == 2 * truth->x[i * 7 + j];
        ok &= row[7] == (float)(s->x->row0 + i);
    }
    LT_ASSERT_ALL(ok);
    lt_scdata_destroy(&s);
    lt_dataset_destroy(&truth);
}
END_TEST

START_TEST(csc_dense_unsorted_lzf_files)
{
    lt_dataset *truth = sc_truth("sc/counts.npy");
    const char *files[] = {"sc/fmt_csc.h5ad", "sc/fmt_dense.h5ad", "sc/fmt_unsorted.h5ad",
                           "sc/fmt_lzf.h5ad", "sc/fmt_nullable.h5ad"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        lt_scdata *s = sc_read_h5ad(files[k], NULL, NULL);
        LT_ASSERT_ALL(sc_same_rows(s->x, truth, 1.0f));
        lt_scdata_destroy(&s);
    }
    lt_dataset_destroy(&truth);
}
END_TEST

/* Expected codes of cell 0..8 and the category names. */
static void expect_labels(const char *file, const char *key, const int *codes,
                          const char *const *names, int ncat)
{
    lt_scdata *s = sc_read_h5ad(file, NULL, key);
    ck_assert_ptr_nonnull(s->labels);
    ck_assert_int_eq(s->categories->n, ncat);
    for (int c = 0; c < ncat; c++) ck_assert_str_eq(lt_strlist_get(s->categories, c), names[c]);
    for (int64_t i = 0; i < s->x->nloc; i++)
        ck_assert_msg(s->labels[i] == codes[s->x->row0 + i], "%s cell %lld: %d", key,
                      (long long)(s->x->row0 + i), s->labels[i]);
    lt_scdata_destroy(&s);
}

START_TEST(obs_labels_of_every_kind)
{
    /* categorical with a missing value and an unused category */
    const char *types[] = {"B", "NK", "T", "unused"};
    expect_labels("sc/fmt_csr.h5ad", "cell_type", (int[]){2, 0, 2, 1, 0, -1, 2, 1, 0}, types, 4);
    /* strings that anndata turned into a categorical, and the same as string-array */
    const char *donors[] = {"d1", "d2", "d3"};
    int dcodes[] = {0, 1, 0, 0, 2, 1, 1, 2, 0};
    expect_labels("sc/fmt_csr.h5ad", "donor", dcodes, donors, 3);
    expect_labels("sc/fmt_nullable.h5ad", "donor_str", dcodes, donors, 3);
    /* nullable strings (pandas 3 writes these) and integers, masks -> -1 */
    const char *batches[] = {"b1", "b2"};
    expect_labels("sc/fmt_nullable.h5ad", "batch", (int[]){1, 0, 0, -1, 1, 0, 1, 0, 1}, batches, 2);
    const char *plates[] = {"1", "3"};
    expect_labels("sc/fmt_nullable.h5ad", "plate", (int[]){1, 0, 1, 0, -1, 1, 0, 0, 1}, plates, 2);
    /* a numeric column: its distinct values become the categories */
    const char *totals[] = {"0", "6", "7", "10", "11"};
    expect_labels("sc/fmt_csr.h5ad", "n_counts", (int[]){4, 2, 1, 3, 0, 4, 3, 1, 4}, totals, 5);
}
END_TEST

/* anndata's own 0.7 archives (python3-anndata's test data, lzf-compressed). */
START_TEST(anndata_07_archives)
{
    static const struct {
        const char *ver;
        int64_t nnz;
        double sum, raw_sum;
        int ncat;
        const char *cat0;
        int code0;
    } a[] = {{"v0.7.0", 228, 285.0, 627.0, 22, "B", 8}, {"v0.7.8", 239, 302.0, 568.0, 21, "A", 13}};
    for (int k = 0; k < 2; k++) {
        char p[512];
        snprintf(p, sizeof p, "/usr/lib/python3/dist-packages/anndata/tests/data/archives/%s/adata.h5ad",
                 a[k].ver);
        if (!io_exists(p)) {
            if (lt_comm_rank(lt_test_comm()) == 0) printf("skip: %s not installed\n", p);
            continue;
        }
        lt_sc_read_opts o;
        lt_sc_read_opts_default(&o);
        o.obs_key = "obs_cat";
        lt_scdata *s = NULL;
        LT_ASSERT_OK(lt_h5ad_read(lt_test_comm(), p, &o, &s));
        int64_t nnz = 0;
        LT_ASSERT_OK(lt_csr_nnz_global(lt_test_comm(), s->x, &nnz));
        ck_assert_int_eq(s->x->n, 30);
        ck_assert_int_eq(s->x->d, 20);
        ck_assert_int_eq(nnz, a[k].nnz);
        ck_assert_double_eq(sc_sum(s->x), a[k].sum);
        ck_assert_int_eq(s->categories->n, a[k].ncat);
        ck_assert_str_eq(lt_strlist_get(s->categories, 0), a[k].cat0);
        if (s->x->row0 == 0 && s->x->nloc > 0) ck_assert_int_eq(s->labels[0], a[k].code0);
        ck_assert_str_eq(lt_strlist_get(s->var_names, 1), "gene1");
        lt_scdata_destroy(&s);
        o.matrix = "raw/X";
        o.obs_key = NULL;
        LT_ASSERT_OK(lt_h5ad_read(lt_test_comm(), p, &o, &s));
        ck_assert_int_eq(s->x->d, 40);
        ck_assert_double_eq(sc_sum(s->x), a[k].raw_sum);
        lt_scdata_destroy(&s);
    }
}
END_TEST

static void expect_fail(const char *file, const char *matrix, const char *key, lt_status code,
                        const char *sub)
{
    char p[512];
    lt_test_fixture(p, sizeof p, file);
    lt_sc_read_opts o;
    lt_sc_read_opts_default(&o);
    o.matrix = matrix;
    o.obs_key = key;
    lt_scdata *s = NULL;
    IO_EXPECT(lt_h5ad_read(lt_test_comm(), p, &o, &s), code, sub);
    ck_assert_ptr_null(s);
}

START_TEST(bad_inputs)
{
    expect_fail("sc/bad_encoding.h5ad", NULL, NULL, LT_ERR_FORMAT,
                "element 'X' has encoding-type 'csr_matrix_v9'");
    expect_fail("sc/bad_indptr.h5ad", NULL, NULL, LT_ERR_FORMAT, "'X/indptr' decreases at row 3");
    expect_fail("sc/bad_indices.h5ad", NULL, NULL, LT_ERR_FORMAT, "row 2 has column index 10 outside [0, 7)");
    expect_fail("sc/bad_duplicate.h5ad", NULL, NULL, LT_ERR_FORMAT, "row 0 holds column 0 twice");
    expect_fail("sc/bad_shape.h5ad", NULL, NULL, LT_ERR_FORMAT,
                "'X' has 10 indptr entries but its shape needs 12");
    expect_fail("sc/fmt_csr.h5ad", NULL, "celltype", LT_ERR_DATA,
                "obs has no column 'celltype' (columns: _index, cell_type, donor, n_counts)");
    expect_fail("sc/fmt_csr.h5ad", "layers/nope", NULL, LT_ERR_FORMAT, "no element 'layers/nope'");
    expect_fail("sc/counts.npy", NULL, NULL, LT_ERR_FORMAT, "not an HDF5 file");
    expect_fail("sc/missing.h5ad", NULL, NULL, LT_ERR_IO, "missing.h5ad: cannot open");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sc_h5ad");
    TCase *t = tcase_create("read");
    tcase_add_test(t, csr_x_and_every_layer);
    tcase_add_test(t, raw_x_has_its_own_genes);
    tcase_add_test(t, csc_dense_unsorted_lzf_files);
    tcase_add_test(t, obs_labels_of_every_kind);
    tcase_add_test(t, anndata_07_archives);
    tcase_add_test(t, bad_inputs);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(suite, argc, argv); }
