/* results.h5ad: the run's results where scanpy and CELLxGENE users look for
 * them (obsm/X_pca, obsm/X_latent, obs k-means labels as categoricals,
 * uns/pca variance and variance_ratio, varm/PCs, var/highly_variable).
 * Written when [output] format = h5ad or the input was an .h5ad.
 *
 * The cells come back in their input order: the train/test split is
 * recomputed on a two-column dataset of row numbers (lt_split depends only on
 * n, the fraction and the seed), and each per-cell array is sent to its
 * original row (lt_dataset_redistribute). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"
#include "latent/lt_preprocess.h"
#include "latent/lt_scprep.h"
#include "latent/lt_sparse.h"

/* Original row of every local train and test row. */
typedef struct {
    int64_t *tr, *te;
} row_ids;

static void ids_free(row_ids *ids)
{
    free(ids->tr);
    free(ids->te);
}

static int64_t id_of(const float *x) { return ((int64_t)x[0] << 24) + (int64_t)x[1]; }

static lt_status split_ids(lt_run *r, int64_t n, row_ids *ids)
{
    lt_dataset *all = NULL, *tr = NULL, *te = NULL;
    LT_CALL(lt_dataset_create(r->c, n, 2, 0, &all));
    for (int64_t i = 0; i < all->nloc; i++) { /* exact in float: 24-bit halves */
        int64_t g = all->row0 + i;
        all->x[2 * i] = (float)(g >> 24);
        all->x[2 * i + 1] = (float)(g & 0xffffff);
    }
    const lt_cfg_preprocess *p = &r->cfg.preprocess;
    lt_status st = lt_split(r->c, all, p->test_fraction, p->split_seed, &tr, &te);
    lt_dataset_destroy(&all);
    if (st == LT_OK) {
        ids->tr = lt_malloc(sizeof *ids->tr * (size_t)(tr->nloc + 1));
        ids->te = lt_malloc(sizeof *ids->te * (size_t)(te->nloc + 1));
        st = lt_comm_agree(r->c, ids->tr && ids->te ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK) {
        st = tr->nloc == r->train->nloc && te->nloc == r->test->nloc
                 ? LT_OK
                 : lt_error_raise(LT_ERR_INTERNAL, __FILE__, __LINE__,
                                  "results.h5ad: the recomputed split differs from the run's");
        for (int64_t i = 0; i < tr->nloc; i++) ids->tr[i] = id_of(tr->x + 2 * i);
        for (int64_t i = 0; i < te->nloc; i++) ids->te[i] = id_of(te->x + 2 * i);
        st = lt_comm_agree(r->c, st);
    }
    lt_dataset_destroy(&tr);
    lt_dataset_destroy(&te);
    return st;
}

/* Train rows then test rows (either may be NULL: -1 labels / zero rows) back
 * in input order as an n x d dataset; labels travel in y. */
static lt_status merge(lt_run *r, const row_ids *ids, int64_t n, int64_t d, const float *xtr,
                       const float *xte, const int32_t *ytr, const int32_t *yte, lt_dataset **out)
{
    int64_t a = r->train->nloc, b = r->test->nloc;
    lt_dataset tmp = {.n = n, .d = d, .nloc = a + b};
    tmp.x = lt_calloc((size_t)((a + b) * d + 1), sizeof *tmp.x);
    tmp.y = lt_malloc(sizeof *tmp.y * (size_t)(a + b + 1));
    int64_t *dest = lt_malloc(sizeof *dest * (size_t)(a + b + 1));
    lt_status st = lt_comm_agree(r->c, tmp.x && tmp.y && dest ? LT_OK : LT_ERR_MEM);
    if (st == LT_OK) {
        if (xtr) memcpy(tmp.x, xtr, sizeof *tmp.x * (size_t)(a * d));
        if (xte) memcpy(tmp.x + a * d, xte, sizeof *tmp.x * (size_t)(b * d));
        for (int64_t i = 0; i < a; i++) tmp.y[i] = ytr ? ytr[i] : -1, dest[i] = ids->tr[i];
        for (int64_t i = 0; i < b; i++) tmp.y[a + i] = yte ? yte[i] : -1, dest[a + i] = ids->te[i];
        st = lt_dataset_redistribute(r->c, &tmp, dest, n, out);
    }
    free(tmp.x);
    free(tmp.y);
    free(dest);
    return st;
}

/* Everything the writer is given, and what must be freed afterwards. */
typedef struct {
    lt_h5ad_out o;
    lt_dataset *keep[LT_H5AD_MAX * 2];
    int nkeep;
    lt_strlist *cats[LT_H5AD_MAX];
    int ncats;
    float *pcs;
    uint8_t *hv;
} out_parts;

static void parts_free(out_parts *p)
{
    for (int i = 0; i < p->nkeep; i++) lt_dataset_destroy(&p->keep[i]);
    for (int i = 0; i < p->ncats; i++) lt_strlist_destroy(&p->cats[i]);
    free(p->pcs);
    free(p->hv);
}

static lt_status numbered(int64_t k, const char *prefix, lt_strlist **out)
{
    LT_CALL(lt_strlist_create(out));
    for (int64_t i = 0; i < k; i++) {
        char b[64];
        int w = snprintf(b, sizeof b, "%s%lld", prefix, (long long)i);
        LT_CALL(lt_strlist_push(*out, b, (size_t)w));
    }
    return LT_OK;
}

static lt_status add_obsm(lt_run *r, const row_ids *ids, out_parts *p, const char *name,
                          const lt_dataset *tr, const lt_dataset *te)
{
    lt_dataset *m = NULL;
    LT_CALL(merge(r, ids, p->o.n, tr->d, tr->x, te ? te->x : NULL, NULL, NULL, &m));
    p->keep[p->nkeep++] = m;
    p->o.obsm_name[p->o.nobsm] = name;
    p->o.obsm[p->o.nobsm++] = m;
    return LT_OK;
}

/* t-SNE of a space exists on the evaluation rows only: the other cells get
 * NaN coordinates (anndata and scanpy plot them as missing). */
static lt_status add_tsne(lt_run *r, const row_ids *ids, out_parts *p, const char *name,
                          const lt_dataset *e)
{
    const lt_dataset *other = r->eval_is_test ? r->train : r->test;
    float *nan = lt_malloc(sizeof *nan * (size_t)(other->nloc * e->d + 1));
    LT_AGREE_ALLOC(r->c, nan);
    for (int64_t i = 0; i < other->nloc * e->d; i++) nan[i] = NAN;
    lt_dataset *m = NULL;
    lt_status st = merge(r, ids, p->o.n, e->d, r->eval_is_test ? nan : e->x,
                         r->eval_is_test ? e->x : nan, NULL, NULL, &m);
    free(nan);
    LT_CALL(st);
    p->keep[p->nkeep++] = m;
    p->o.obsm_name[p->o.nobsm] = name;
    p->o.obsm[p->o.nobsm++] = m;
    return LT_OK;
}

/* obsm/X_tsne_SPACE for each embedded space, and scanpy's X_tsne: the
 * embedding of the autoencoder codes if made, else of the PCA scores, else
 * of the input. */
static lt_status add_tsnes(lt_run *r, const row_ids *ids, out_parts *p)
{
    static const char *names[LT_NSPACES] = {"X_tsne_raw", "X_tsne_pca", "X_tsne_autoencoder"};
    int last = -1;
    for (int s = 0; s < LT_NSPACES; s++)
        if (r->tsne[s]) {
            LT_CALL(add_tsne(r, ids, p, names[s], r->tsne[s]));
            last = s;
        }
    return last >= 0 ? add_tsne(r, ids, p, "X_tsne", r->tsne[last]) : LT_OK;
}

/* k-means labels of a space: known on the evaluation rows only. */
static lt_status add_kmeans(lt_run *r, const row_ids *ids, out_parts *p, int s)
{
    static const char *names[LT_NSPACES] = {"kmeans_raw", "kmeans_pca", "kmeans_autoencoder"};
    const int32_t *lab = r->space[s].km->labels;
    lt_dataset *m = NULL;
    LT_CALL(merge(r, ids, p->o.n, 1, NULL, NULL, r->eval_is_test ? NULL : lab,
                  r->eval_is_test ? lab : NULL, &m));
    p->keep[p->nkeep++] = m;
    LT_CALL(lt_comm_agree(r->c, numbered(r->space[s].km->k, "", &p->cats[p->ncats])));
    int a = p->o.nobs++;
    p->o.obs_name[a] = names[s];
    p->o.obs_codes[a] = m->y;
    p->o.obs_cats[a] = p->cats[p->ncats++];
    return LT_OK;
}

/* Labels of a non-single-cell input: categories "0".."max". */
static lt_status add_plain_labels(lt_run *r, const row_ids *ids, out_parts *p)
{
    int64_t has = r->train->y != NULL || r->train->nloc == 0, mx = -1;
    LT_CALL(lt_comm_min_i64(r->c, &has, 1));
    if (!has || r->train->n == 0) return LT_OK;
    for (int64_t i = 0; i < r->train->nloc; i++) mx = r->train->y[i] > mx ? r->train->y[i] : mx;
    for (int64_t i = 0; r->test->y && i < r->test->nloc; i++) mx = r->test->y[i] > mx ? r->test->y[i] : mx;
    LT_CALL(lt_comm_max_i64(r->c, &mx, 1));
    lt_dataset *m = NULL;
    LT_CALL(merge(r, ids, p->o.n, 1, NULL, NULL, r->train->y, r->test->y, &m));
    p->keep[p->nkeep++] = m;
    LT_CALL(lt_comm_agree(r->c, numbered(mx + 1, "", &p->cats[p->ncats])));
    int a = p->o.nobs++;
    p->o.obs_name[a] = "label";
    p->o.obs_codes[a] = m->y;
    p->o.obs_cats[a] = p->cats[p->ncats++];
    return LT_OK;
}

/* varm/PCs over all var genes (zero rows for genes not in the PCA input, as
 * scanpy's mask_var) and uns/pca. */
static lt_status add_pca(lt_run *r, out_parts *p, const lt_scprep_info *in)
{
    const lt_pca *pc = r->pca;
    int64_t k = pc->n_components, kd = pc->n_features;
    p->pcs = lt_calloc((size_t)(p->o.d * k + 1), sizeof *p->pcs);
    LT_AGREE_ALLOC(r->c, p->pcs);
    for (int64_t a = 0; a < kd; a++) {
        int64_t g = in ? in->cols[a] : a;
        for (int64_t q = 0; q < k; q++) p->pcs[g * k + q] = (float)pc->components[q * kd + a];
    }
    p->o.pcs = p->pcs;
    p->o.npcs = k;
    p->o.pca_variance = pc->explained_variance;
    p->o.pca_variance_ratio = pc->explained_variance_ratio;
    return LT_OK;
}

static lt_status add_genes(lt_run *r, out_parts *p, lt_scdata *sd, const lt_scprep_info *in)
{
    p->o.var_names = sd->var_names;
    if (!in->hvg) return LT_OK;
    p->hv = lt_malloc((size_t)in->d + 1);
    LT_AGREE_ALLOC(r->c, p->hv);
    memcpy(p->hv, in->hvg->highly_variable, (size_t)in->d);
    p->o.highly_variable = p->hv;
    int v3 = !strcmp(r->cfg.singlecell.hvg, "seurat_v3");
    p->o.var_name[0] = "means";
    p->o.var_name[1] = v3 ? "variances" : "dispersions";
    p->o.var_name[2] = v3 ? "variances_norm" : "dispersions_norm";
    p->o.var_col[0] = in->hvg->means;
    p->o.var_col[1] = in->hvg->dispersions;
    p->o.var_col[2] = in->hvg->dispersions_norm;
    p->o.nvar = 3;
    return LT_OK;
}

static lt_status build(lt_run *r, const row_ids *ids, out_parts *p)
{
    lt_scdata *sd = lt_sc_state_data(r->sc);
    lt_scprep_info *in = lt_sc_state_info(r->sc);
    p->o.n = r->train->n + r->test->n;
    p->o.d = in ? in->d : r->train->d;
    if (sd) {
        p->o.obs_names = sd->obs_names;
        LT_CALL(add_genes(r, p, sd, in));
        if (sd->labels) {
            int a = p->o.nobs++;
            p->o.obs_name[a] = r->cfg.data.obs_key[0] ? r->cfg.data.obs_key : "cell_type";
            p->o.obs_codes[a] = sd->labels;
            p->o.obs_cats[a] = sd->categories;
        }
    } else {
        LT_CALL(add_plain_labels(r, ids, p));
    }
    if (r->pca) {
        LT_CALL(add_obsm(r, ids, p, "X_pca", r->pca_train, r->pca_test));
        LT_CALL(add_pca(r, p, in));
    }
    if (r->ae) LT_CALL(add_obsm(r, ids, p, "X_latent", r->ae_train, r->ae_test));
    LT_CALL(add_tsnes(r, ids, p));
    for (int s = 0; s < LT_NSPACES; s++)
        if (r->space[s].done) LT_CALL(add_kmeans(r, ids, p, s));
    return LT_OK;
}

int lt_run_wants_h5ad(const lt_run *r)
{
    return !strcmp(r->cfg.output.format, "h5ad") || !strcmp(r->cfg.data.source, "h5ad");
}

lt_status lt_stage_write_h5ad(lt_run *r)
{
    char path[LT_PATH_MAX + 256];
    LT_CALL(lt_run_path(r, "results.h5ad", path, sizeof path));
    row_ids ids = {NULL, NULL};
    out_parts p;
    memset(&p, 0, sizeof p);
    lt_status st = split_ids(r, r->train->n + r->test->n, &ids);
    if (st == LT_OK) st = build(r, &ids, &p);
    if (st == LT_OK) st = lt_h5ad_write(r->c, path, &p.o);
    parts_free(&p);
    ids_free(&ids);
    return st;
}
