/* lt_h5ad_write: a results file that python3-anndata opens, with every part
 * (obs names and categoricals, obsm, var names, highly_variable, var columns,
 * varm/PCs, uns/pca) checked by anndata on rank 0; 4 ranks leave one empty. */
#include <stdlib.h>

#include "sc_testutil.h"

#define ANNDATA_CHECK                                                                         \
    "import sys, numpy as np, anndata as ad\n"                                                \
    "a = ad.read_h5ad(sys.argv[1])\n"                                                         \
    "assert a.shape == (9, 7), a.shape\n"                                                     \
    "assert list(a.obs_names) == [f'cell{i}' for i in range(9)], list(a.obs_names)\n"         \
    "assert list(a.var_names) == [f'Gene{j}' for j in range(7)]\n"                            \
    "i = np.arange(9)[:, None]; j = np.arange(3)[None, :]\n"                                  \
    "assert a.obsm['X_pca'].dtype == np.float32 and np.array_equal(a.obsm['X_pca'], 10 * i + j)\n" \
    "assert a.obsm['X_latent'].shape == (9, 2)\n"                                             \
    "ct = a.obs['cell_type']\n"                                                               \
    "assert list(ct.cat.categories) == ['B', 'NK', 'T', 'unused'], list(ct.cat.categories)\n" \
    "assert [str(v) for v in ct] == ['T','B','T','NK','B','nan','T','NK','B'], list(ct)\n"    \
    "km = a.obs['kmeans_pca']\n"                                                              \
    "assert list(km.cat.categories) == ['0', '1', '2'] and [int(v) for v in km] == [k % 3 for k in range(9)]\n" \
    "assert a.var['highly_variable'].dtype == bool and list(a.var['highly_variable']) == [j % 2 == 0 for j in range(7)]\n" \
    "assert np.allclose(a.var['means'], np.arange(7) / 4)\n"                                  \
    "assert a.varm['PCs'].shape == (7, 3) and a.varm['PCs'][6, 2] == 20\n"                    \
    "assert np.allclose(a.uns['pca']['variance'], [3, 2, 1])\n"                               \
    "assert np.allclose(a.uns['pca']['variance_ratio'], [0.5, 1/3, 1/6])\n"                   \
    "print('anndata ok')\n"

START_TEST(anndata_reads_the_results)
{
    lt_comm *c = lt_test_comm();
    lt_scdata *s = sc_read_h5ad("sc/fmt_csr.h5ad", NULL, "cell_type");
    lt_dataset *pca = NULL, *lat = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, 9, 3, 0, &pca));
    LT_ASSERT_OK(lt_dataset_create(c, 9, 2, 0, &lat));
    int32_t km[9];
    for (int64_t i = 0; i < pca->nloc; i++) {
        for (int j = 0; j < 3; j++) pca->x[i * 3 + j] = (float)(10 * (pca->row0 + i) + j);
        km[i] = (int32_t)((pca->row0 + i) % 3);
    }
    lt_strlist *kc = NULL;
    LT_ASSERT_OK(lt_strlist_create(&kc));
    for (int k = 0; k < 3; k++) lt_strlist_push(kc, (char[]){(char)('0' + k), 0}, 1);
    uint8_t hv[7];
    double means[7], var[3] = {3, 2, 1}, ratio[3] = {0.5, 1.0 / 3, 1.0 / 6};
    float pcs[21];
    for (int j = 0; j < 7; j++) hv[j] = j % 2 == 0, means[j] = j / 4.0;
    for (int q = 0; q < 21; q++) pcs[q] = (float)q;
    lt_h5ad_out o = {.n = 9, .d = 7, .obs_names = s->obs_names, .var_names = s->var_names,
                     .nobsm = 2, .obsm_name = {"X_pca", "X_latent"}, .obsm = {pca, lat},
                     .nobs = 2, .obs_name = {"cell_type", "kmeans_pca"},
                     .obs_codes = {s->labels, km}, .obs_cats = {s->categories, kc},
                     .highly_variable = hv, .nvar = 1, .var_name = {"means"}, .var_col = {means},
                     .pcs = pcs, .npcs = 3, .pca_variance = var, .pca_variance_ratio = ratio};
    char p[512], cmd[2048];
    lt_test_path(p, sizeof p, "results.h5ad");
    LT_ASSERT_OK(lt_h5ad_write(c, p, &o));
    int rc = 0;
    if (lt_comm_rank(c) == 0 && io_exists("/usr/bin/python3")) {
        char py[512];
        lt_test_path(py, sizeof py, "check.py");
        FILE *f = fopen(py, "w");
        ck_assert_ptr_nonnull(f);
        fputs(ANNDATA_CHECK, f);
        fclose(f);
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 -W ignore %s %s", py, p);
        rc = system(cmd);
    }
    LT_ASSERT_ALL(rc == 0);
    /* latent reads its own file back: same names and labels. */
    lt_sc_read_opts ro;
    lt_sc_read_opts_default(&ro);
    ro.obs_key = "kmeans_pca";
    lt_scdata *b = NULL;
    IO_EXPECT(lt_h5ad_read(c, p, &ro, &b), LT_ERR_FORMAT, "no element 'X'");
    lt_strlist_destroy(&kc);
    lt_dataset_destroy(&pca);
    lt_dataset_destroy(&lat);
    lt_scdata_destroy(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sc_h5ad_write");
    TCase *t = tcase_create("write");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, anndata_reads_the_results);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(suite, argc, argv); }
