/* Single-cell sources ([data] source = h5ad | 10x | mtx): read the sparse
 * counts, run scanpy's recipe ([singlecell] keys) and hand the dense
 * selected-gene matrix to the rest of the pipeline. What the recipe kept
 * (cells, genes, names, labels, HVG statistics) stays in an lt_sc_state
 * for the .h5ad write-back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "latent/lt_scprep.h"

struct lt_sc_state {
    lt_scdata *data;      /* after the recipe: kept cells and genes */
    lt_scprep_info *info;
};

void lt_sc_state_destroy(lt_sc_state **s)
{
    if (!s || !*s) return;
    lt_scdata_destroy(&(*s)->data);
    lt_scprep_info_destroy(&(*s)->info);
    free(*s);
    *s = NULL;
}

lt_scdata *lt_sc_state_data(lt_sc_state *s) { return s ? s->data : NULL; }
lt_scprep_info *lt_sc_state_info(lt_sc_state *s) { return s ? s->info : NULL; }

int lt_source_is_sc(const char *source)
{
    return !strcmp(source, "h5ad") || !strcmp(source, "10x") || !strcmp(source, "mtx") ||
           !strcmp(source, "counts");
}

/* "NAME" means layers/NAME; X and raw/X and explicit paths stay. */
static void layer_path(const char *layer, char *buf, size_t cap)
{
    if (!layer[0] || !strcmp(layer, "X") || strchr(layer, '/')) snprintf(buf, cap, "%s", layer[0] ? layer : "X");
    else snprintf(buf, cap, "layers/%s", layer);
}

/* [data] source = counts: n_samples cells, n_features genes, centers types. */
lt_status lt_stage_generate_counts(lt_comm *c, const lt_cfg_data *d, lt_scdata **out)
{
    lt_counts_opts o;
    lt_counts_opts_default(&o);
    char *end = NULL;
    long k = strtol(d->centers, &end, 10);
    LT_CHECK(end && !*end && k >= 1 && k <= 1000, LT_ERR_CONFIG,
             "[data] centers = '%s': the counts generator needs a number of cell types (1..1000)",
             d->centers);
    o.n_cells = d->n_samples;
    o.n_genes = d->n_features;
    o.n_types = (int)k;
    o.density = d->density;
    o.dispersion = d->dispersion;
    o.seed = d->seed;
    return lt_generate_counts(c, &o, out);
}

static lt_status read_counts(lt_comm *c, const lt_cfg_data *d, lt_scdata **out)
{
    if (!strcmp(d->source, "counts")) return lt_stage_generate_counts(c, d, out);
    char layer[300];
    layer_path(d->layer, layer, sizeof layer);
    lt_sc_read_opts o;
    lt_sc_read_opts_default(&o);
    o.matrix = layer;
    o.obs_key = d->obs_key;
    o.genome = d->genome;
    o.gene_symbols = strcmp(d->gene_names, "ids") != 0;
    if (!strcmp(d->source, "h5ad")) return lt_h5ad_read(c, d->path, &o, out);
    if (!strcmp(d->source, "10x")) {
        LT_CHECK(!d->obs_key[0], LT_ERR_CONFIG,
                 "[data] obs_key = %s: 10x .h5 files hold no cell labels (use an .h5ad)", d->obs_key);
        return lt_tenx_read(c, d->path, &o, out);
    }
    LT_CHECK(!d->obs_key[0], LT_ERR_CONFIG,
             "[data] obs_key = %s: Matrix Market directories hold no cell labels (use an .h5ad)",
             d->obs_key);
    return lt_mtx_read(c, d->path, &o, out);
}

static void recipe_opts(const lt_cfg_singlecell *k, lt_scprep_opts *o)
{
    lt_scprep_opts_default(o);
    o->min_genes = k->min_genes;
    o->min_cells = k->min_cells;
    o->normalize = k->normalize_total;
    o->target_sum = k->target_sum;
    o->log1p = k->log1p;
    o->hvg.flavor = !strcmp(k->hvg, "seurat")      ? LT_HVG_SEURAT
                    : !strcmp(k->hvg, "seurat_v3") ? LT_HVG_SEURAT_V3
                                                   : LT_HVG_NONE;
    o->hvg.n_top_genes = k->n_top_genes;
    o->hvg.n_bins = (int)k->hvg_bins;
    o->hvg.span = k->hvg_span;
    o->scale.scale = k->scale;
    o->scale.zero_center = k->zero_center;
    o->scale.max_value = k->max_value;
}

static void report(lt_comm *c, const lt_cfg_data *d, int64_t nnz, const lt_scprep_info *in,
                   const lt_scdata *s, const lt_dataset *ds)
{
    if (lt_comm_rank(c) != 0) return;
    printf("single-cell %s: %lld cells x %lld genes, %lld non-zeros (%.2f%%)\n", d->source,
           (long long)in->cells_in, (long long)in->genes_in, (long long)nnz,
           100.0 * (double)nnz / ((double)in->cells_in * (double)in->genes_in + 1e-300));
    char norm[64] = "normalize_total off";
    if (in->target_sum > 0) snprintf(norm, sizeof norm, "normalize_total target %g", in->target_sum);
    printf("  kept %lld cells x %lld genes; %s; %s%lld genes -> dense %lld x %lld\n",
           (long long)s->x->n, (long long)in->d, norm, in->hvg ? "highly variable " : "",
           (long long)in->k, (long long)ds->n, (long long)ds->d);
    if (s->categories && d->obs_key[0])
        printf("  labels: obs '%s', %lld categories", d->obs_key, (long long)s->categories->n);
    else if (s->categories)
        printf("  labels: %lld cell types", (long long)s->categories->n);
    /* The names once, so that the codes of the data summary can be read. */
    for (int64_t i = 0; s->categories && i < s->categories->n && i < 20; i++)
        printf("%s%lld = %s", i ? ", " : ": ", (long long)i, lt_strlist_get(s->categories, i));
    if (s->categories) printf("%s%s\n", s->categories->n > 20 ? ", ..." : "", in->label_na >= 0 ? " (and NA)" : "");
    fflush(stdout);
}

lt_status lt_stage_load_sc(lt_comm *c, const lt_config *cfg, lt_dataset **out, lt_sc_state **keep)
{
    *out = NULL;
    if (keep) *keep = NULL;
    lt_scdata *s = NULL;
    LT_CALL(read_counts(c, &cfg->data, &s));
    int64_t nnz = 0;
    lt_scprep_opts o;
    recipe_opts(&cfg->singlecell, &o);
    lt_scprep_info *in = NULL;
    lt_status st = lt_csr_nnz_global(c, s->x, &nnz);
    if (st == LT_OK) st = lt_scprep_run(c, s, &o, out, &in);
    if (st == LT_OK) report(c, &cfg->data, nnz, in, s, *out);
    lt_sc_state *k = NULL;
    if (st == LT_OK && keep) {
        k = calloc(1, sizeof *k);
        st = lt_comm_agree(c, k ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK && k) {
        /* The dense copy is what the stages use: the sparse matrix goes. */
        lt_csr_destroy(&s->x);
        k->data = s;
        k->info = in;
        *keep = k;
        return LT_OK;
    }
    lt_scdata_destroy(&s);
    lt_scprep_info_destroy(&in);
    if (st != LT_OK) lt_dataset_destroy(out);
    return st;
}

lt_status lt_stage_write_counts(lt_comm *c, const lt_config *cfg, const char *path)
{
    lt_scdata *s = NULL;
    double t0 = lt_wtime();
    LT_CALL(lt_stage_generate_counts(c, &cfg->data, &s));
    double t1 = lt_wtime();
    lt_h5ad_out o = {.n = s->x->n, .d = s->x->d, .X = s->x, .nobs = 1, .obs_name = {"cell_type"},
                     .obs_codes = {s->labels}, .obs_cats = {s->categories}};
    int64_t nnz = 0;
    lt_status st = lt_csr_nnz_global(c, s->x, &nnz);
    if (st == LT_OK) st = lt_h5ad_write(c, path, &o);
    if (st == LT_OK && lt_comm_rank(c) == 0) {
        printf("wrote %s: %lld cells x %lld genes, %lld non-zeros (%.2f%%), %lld cell types "
               "(draw %.2f s, write %.2f s)\n",
               path, (long long)o.n, (long long)o.d, (long long)nnz,
               100.0 * (double)nnz / ((double)o.n * (double)o.d), (long long)s->categories->n,
               t1 - t0, lt_wtime() - t1);
        fflush(stdout);
    }
    lt_scdata_destroy(&s);
    return st;
}
