/* scanpy's recipe on the sparse matrix against scripts/make_scprep_fixtures.py:
 * filters exact, normalize_total and log1p to 1e-6, the HVG sets exactly, the
 * scaled matrix to 1e-5, on 1, 2 and 4 ranks. */
#include <math.h>

#include "sc_testutil.h"
#include "latent/lt_scprep.h"

static int close_to(double a, double b, double tol) { return fabs(a - b) <= tol * fmax(1.0, fabs(b)); }

/* This rank's rows of m against the dense reference, to tol. */
static int csr_close(const lt_csr *m, const lt_dataset *ref, double tol)
{
    if (m->n != ref->n || m->d != ref->d || m->nloc != ref->nloc) return 0;
    for (int64_t i = 0; i < m->nloc; i++) {
        int64_t k = m->indptr[i], e = m->indptr[i + 1];
        for (int64_t j = 0; j < m->d; j++) {
            double v = k < e && m->indices[k] == j ? m->data[k++] : 0.0;
            if (!close_to(v, ref->x[i * m->d + j], tol)) return 0;
        }
    }
    return 1;
}

static int dense_close(const lt_dataset *a, const lt_dataset *ref, double tol)
{
    if (a->n != ref->n || a->d != ref->d || a->nloc != ref->nloc) return 0;
    for (int64_t i = 0; i < a->nloc * a->d; i++)
        if (!close_to(a->x[i], ref->x[i], tol)) return 0;
    return 1;
}

/* A 0/1 column fixture (sharded) equal to mask over every rank's rows. */
static int mask_equal(const uint8_t *mask, int64_t d, const lt_dataset *ref)
{
    if (ref->n != d) return 0;
    for (int64_t i = 0; i < ref->nloc; i++)
        if ((float)mask[ref->row0 + i] != ref->x[i]) return 0;
    return 1;
}

static lt_scdata *filtered(void)
{
    lt_comm *c = lt_test_comm();
    lt_scdata *s = sc_read_h5ad("sc/prep_counts.h5ad", NULL, "cell_type");
    LT_ASSERT_OK(lt_sc_filter_cells(c, s, 12));
    int64_t *kept = NULL, nk = 0;
    LT_ASSERT_OK(lt_sc_filter_genes(c, s, 5, &kept, &nk));
    lt_dataset *g = sc_truth("sc/prep_genes.npy");
    ck_assert_int_eq(nk, g->n);
    int ok = 1;
    for (int64_t i = 0; i < g->nloc; i++) ok &= kept[g->row0 + i] == (int64_t)g->x[i];
    LT_ASSERT_ALL(ok);
    ck_assert_int_eq(s->var_names->n, nk);
    ck_assert_str_eq(lt_strlist_get(s->var_names, 0), "g0");
    free(kept);
    lt_dataset_destroy(&g);
    return s;
}

START_TEST(filters_keep_the_right_cells_with_their_labels)
{
    lt_scdata *s = filtered();
    lt_dataset *cells = sc_truth("sc/prep_cells.npy");
    ck_assert_int_eq(s->x->n, cells->n);
    int ok = s->x->nloc == cells->nloc;
    for (int64_t i = 0; ok && i < s->x->nloc; i++) {
        char want[32];
        snprintf(want, sizeof want, "c%lld", (long long)cells->x[i]);
        ok &= s->cell_ids[i] == (int64_t)cells->x[i];
        ok &= !strcmp(lt_strlist_get(s->obs_names, i), want);
        ok &= s->labels[i] >= 0 && s->labels[i] < 3;
    }
    LT_ASSERT_ALL(ok);
    LT_ASSERT_OK(lt_csr_check(lt_test_comm(), s->x, "filtered"));
    lt_dataset_destroy(&cells);
    lt_scdata_destroy(&s);
}
END_TEST

START_TEST(normalize_log1p_hvg_scale_step_by_step)
{
    lt_comm *c = lt_test_comm();
    lt_scdata *s = filtered();
    double target = 0;
    LT_ASSERT_OK(lt_sc_normalize_total(c, s->x, 0, &target));
    ck_assert_double_eq(target, 193.0);
    lt_dataset *ref = sc_truth("sc/prep_norm.npy");
    LT_ASSERT_ALL(csr_close(s->x, ref, 1e-6));
    lt_dataset_destroy(&ref);
    LT_ASSERT_OK(lt_sc_log1p(c, s->x, "test"));
    ref = sc_truth("sc/prep_log1p.npy");
    LT_ASSERT_ALL(csr_close(s->x, ref, 1e-6));
    lt_dataset_destroy(&ref);
    lt_hvg_opts ho = {LT_HVG_SEURAT, 12, 20, 0.3};
    lt_hvg *h = NULL;
    LT_ASSERT_OK(lt_sc_hvg(c, s->x, &ho, &h));
    ref = sc_truth("sc/prep_hvg_seurat.npy");
    LT_ASSERT_ALL(mask_equal(h->highly_variable, h->d, ref));
    ck_assert_int_eq(h->n_selected, 12);
    lt_dataset_destroy(&ref);
    int64_t cols[80], k = 0;
    for (int64_t j = 0; j < h->d; j++)
        if (h->highly_variable[j]) cols[k++] = j;
    lt_scale_opts so = {1, 1, 3.0};
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_sc_densify(c, s->x, cols, k, &so, NULL, NULL, &ds));
    ref = sc_truth("sc/prep_scaled.npy");
    LT_ASSERT_ALL(dense_close(ds, ref, 1e-5));
    lt_dataset_destroy(&ref);
    lt_dataset_destroy(&ds);
    lt_hvg_destroy(&h);
    lt_scdata_destroy(&s);
}
END_TEST

START_TEST(seurat_v3_on_counts)
{
    lt_scdata *s = filtered();
    lt_hvg_opts ho = {LT_HVG_SEURAT_V3, 12, 20, 0.3};
    lt_hvg *h = NULL;
    LT_ASSERT_OK(lt_sc_hvg(lt_test_comm(), s->x, &ho, &h));
    lt_dataset *ref = sc_truth("sc/prep_hvg_v3.npy");
    LT_ASSERT_ALL(mask_equal(h->highly_variable, h->d, ref));
    ck_assert_int_eq(h->n_selected, 12);
    lt_dataset_destroy(&ref);
    lt_hvg_destroy(&h);
    lt_scdata_destroy(&s);
}
END_TEST

START_TEST(whole_recipe)
{
    lt_comm *c = lt_test_comm();
    lt_scdata *s = sc_read_h5ad("sc/prep_counts.h5ad", NULL, "cell_type");
    lt_scprep_opts o;
    lt_scprep_opts_default(&o);
    o.min_genes = 12;
    o.min_cells = 5;
    o.hvg.n_top_genes = 12;
    o.scale.max_value = 3;
    lt_dataset *ds = NULL;
    lt_scprep_info *in = NULL;
    LT_ASSERT_OK(lt_scprep_run(c, s, &o, &ds, &in));
    lt_dataset *ref = sc_truth("sc/prep_scaled.npy");
    LT_ASSERT_ALL(dense_close(ds, ref, 1e-5));
    ck_assert_int_eq(in->k, 12);
    ck_assert_int_eq(in->d, 75);
    ck_assert_int_eq(in->cells_in, 150);
    ck_assert_double_eq(in->target_sum, 193.0);
    ck_assert_ptr_nonnull(ds->y);
    int ok = 1;
    for (int64_t i = 0; i < ds->nloc; i++) ok &= ds->y[i] == s->labels[i] && ds->y[i] < 3;
    LT_ASSERT_ALL(ok);
    /* The sparse matrix keeps only the selected genes, renumbered in order:
     * its values are the dense output's before scaling. */
    ok = s->x->d == 12 && s->x->indptr[s->x->nloc] == s->x->nnz;
    for (int64_t i = 0; ok && i < s->x->nloc; i++)
        for (int64_t e = s->x->indptr[i]; e < s->x->indptr[i + 1]; e++) {
            int32_t j = s->x->indices[e];
            double z = ((double)s->x->data[e] - in->mean[j]) / in->std[j];
            ok &= j < 12 && (e == s->x->indptr[i] || j > s->x->indices[e - 1]) &&
                  close_to(fmin(fmax(z, -3.0), 3.0), ds->x[i * 12 + j], 1e-5);
        }
    LT_ASSERT_ALL(ok);
    lt_dataset_destroy(&ref);
    lt_dataset_destroy(&ds);
    lt_scprep_info_destroy(&in);
    lt_scdata_destroy(&s);
}
END_TEST

START_TEST(loess_reproduces_a_parabola)
{
    double x[40], y[40], f[40];
    for (int i = 0; i < 40; i++) {
        x[i] = (double)((i * 17) % 40) / 7.0; /* unsorted */
        y[i] = 1 + 2 * x[i] - 0.5 * x[i] * x[i];
    }
    LT_ASSERT_OK(lt_loess_fit(x, y, 40, 0.3, f));
    for (int i = 0; i < 40; i++) ck_assert_msg(fabs(f[i] - y[i]) < 1e-9, "%d: %g vs %g", i, f[i], y[i]);
}
END_TEST

START_TEST(bad_inputs)
{
    lt_comm *c = lt_test_comm();
    lt_scdata *s = sc_read_h5ad("sc/bad_negative.h5ad", NULL, NULL);
    IO_EXPECT(lt_sc_log1p(c, s->x, "bad_negative.h5ad"), LT_ERR_DATA,
              "bad_negative.h5ad: negative value -1 at cell 0, gene 6: log1p needs counts >= 0");
    lt_scdata_destroy(&s);
    s = sc_read_h5ad("sc/fmt_csr.h5ad", NULL, NULL);
    IO_EXPECT(lt_sc_filter_cells(c, s, 100), LT_ERR_DATA, "no cell has min_genes = 100");
    IO_EXPECT(lt_sc_filter_genes(c, s, 100, NULL, NULL), LT_ERR_DATA,
              "no gene is detected in min_cells = 100");
    /* A cell filter that empties the last ranks still leaves a valid matrix. */
    LT_ASSERT_OK(lt_sc_filter_cells(c, s, 3));
    ck_assert_int_eq(s->x->n, 5);
    lt_scdata_destroy(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("scprep");
    TCase *t = tcase_create("recipe");
    tcase_add_test(t, filters_keep_the_right_cells_with_their_labels);
    tcase_add_test(t, normalize_log1p_hvg_scale_step_by_step);
    tcase_add_test(t, seurat_v3_on_counts);
    tcase_add_test(t, whole_recipe);
    tcase_add_test(t, loess_reproduces_a_parabola);
    tcase_add_test(t, bad_inputs);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(suite, argc, argv); }
