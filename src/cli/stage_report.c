/* The report of `latent run`: data files, figures, the table, metrics.json. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "latent/lt_io.h"
#include "latent/lt_log.h"
#include "latent/lt_plot.h"
#include "run.h"

/* A file of the results folder, made ready on every rank and agreed: a rank
 * that could not make the folder must not skip the collective write after. */
lt_status lt_run_path(lt_run *r, const char *rel, char *buf, size_t cap)
{
    return lt_comm_agree(r->c, lt_results_path(r->res, rel, buf, cap));
}

static lt_status write_npy(lt_run *r, const char *rel, const lt_dataset *ds)
{
    char path[LT_PATH_MAX + 256];
    LT_CALL(lt_run_path(r, rel, path, sizeof path));
    return lt_npy_write(r->c, path, ds);
}

/* Writes labels as int32 .npy through a view of ds whose y is `labels`. */
static lt_status write_labels(lt_run *r, const char *rel, const lt_dataset *ds, int32_t *labels)
{
    char path[LT_PATH_MAX + 256];
    lt_dataset view = *ds;
    view.y = labels;
    LT_CALL(lt_run_path(r, rel, path, sizeof path));
    return lt_npy_write_labels(r->c, path, &view);
}

lt_status lt_stage_outputs(lt_run *r)
{
    char path[LT_PATH_MAX + 256];
    const char *ev = r->eval_is_test ? "test" : "train";
    if (r->cfg.output.write_data) {
        LT_CALL(lt_run_path(r, "data/train", path, sizeof path));
        *strrchr(path, '/') = '\0'; /* the folder data/, now created */
        LT_CALL(lt_stage_write(r->c, &r->cfg, path, "train", r->train));
        if (r->test->n > 0) LT_CALL(lt_stage_write(r->c, &r->cfg, path, "test", r->test));
    }
    if (r->pca) {
        LT_CALL(write_npy(r, "pca_scores_train.npy", r->pca_train));
        if (r->test->n > 0) LT_CALL(write_npy(r, "pca_scores_test.npy", r->pca_test));
        LT_CALL(lt_run_path(r, "pca_model.h5", path, sizeof path));
        LT_CALL(lt_pca_save(r->c, r->pca, path));
    }
    if (r->ae) {
        LT_CALL(write_npy(r, "ae_codes_train.npy", r->ae_train));
        if (r->test->n > 0) LT_CALL(write_npy(r, "ae_codes_test.npy", r->ae_test));
        LT_CALL(lt_run_path(r, "ae_model.h5", path, sizeof path));
        LT_CALL(lt_ae_save(r->c, r->ae, path));
    }
    const lt_dataset *in = lt_run_eval(r, LT_SPACE_RAW);
    int64_t has = in->y != NULL;
    LT_CALL(lt_comm_min_i64(r->c, &has, 1));
    char rel[128];
    if (has) {
        snprintf(rel, sizeof rel, "labels_true_%s.npy", ev);
        LT_CALL(write_labels(r, rel, in, in->y));
    }
    for (int s = 0; s < LT_NSPACES; s++) {
        if (!r->space[s].done) continue;
        snprintf(rel, sizeof rel, "labels_kmeans_%s_%s.npy", lt_space_name(s), ev);
        LT_CALL(write_labels(r, rel, in, r->space[s].km->labels));
    }
    if (lt_run_wants_h5ad(r)) LT_CALL(lt_stage_write_h5ad(r));
    return LT_OK;
}

static lt_status figure_path(lt_run *r, const char *stem, char *buf, size_t cap)
{
    char rel[256];
    snprintf(rel, sizeof rel, "figures/%s.%s", stem, r->cfg.output.figure_format);
    return lt_results_path(r->res, rel, buf, cap);
}

/* The scatter of both latent spaces from one seeded sample of rows. Colored
 * by true label, else by the k-means label of that space. */
static lt_status sample_space(lt_run *r, int space, lt_dataset **out)
{
    const lt_dataset *X = lt_run_eval(r, space);
    lt_dataset view = *X;
    int64_t has = X->y != NULL;
    LT_CALL(lt_comm_min_i64(r->c, &has, 1));
    if (!has) view.y = r->space[space].done ? r->space[space].km->labels : NULL;
    return lt_sample_rows(r->c, &view, r->cfg.output.sample_size, r->cfg.metrics.seed, out, NULL);
}

static void fill_panel(lt_scatter_panel *p, const lt_dataset *s, const lt_space_result *sr, double *cen,
                       const char *title, const char *axis)
{
    memset(p, 0, sizeof *p);
    p->title = title;
    p->xlabel = axis[0] == 'P' ? "principal component 1" : "code 1";
    p->ylabel = axis[0] == 'P' ? "principal component 2" : "code 2";
    p->n = s->n;
    p->x = s->x;
    p->y = s->d > 1 ? s->x + 1 : s->x;
    p->stride = s->d;
    p->labels = s->y;
    if (sr->done) {
        for (int64_t j = 0; j < sr->km->k; j++) {
            cen[2 * j] = sr->km->centers[j * sr->km->d];
            cen[2 * j + 1] = sr->km->centers[j * sr->km->d + (sr->km->d > 1)];
        }
        p->centers = cen;
        p->k = (int)sr->km->k;
    }
}

static lt_status scatter_figure(lt_run *r, const lt_plot_opts *po)
{
    lt_dataset *sp = NULL, *sa = NULL;
    LT_CALL(sample_space(r, LT_SPACE_PCA, &sp));
    lt_status st = sample_space(r, LT_SPACE_AE, &sa);
    if (st == LT_OK && lt_comm_rank(r->c) == 0) {
        lt_scatter_panel p[2];
        double *cen = lt_calloc(4 * (size_t)r->cfg.kmeans.n_clusters + 4, sizeof(double));
        char path[LT_PATH_MAX + 256], title[256];
        if (!cen) {
            lt_dataset_destroy(&sp);
            lt_dataset_destroy(&sa);
            return lt_comm_agree(r->c, LT_ERR_MEM);
        }
        char tp[96], ta[96];
        /* Wider spaces show their first two coordinates: say so. */
        snprintf(tp, sizeof tp, sp->d > 2 ? "PCA scores (first 2 of %lld)" : "PCA scores", (long long)sp->d);
        snprintf(ta, sizeof ta, sa->d > 2 ? "autoencoder codes (first 2 of %lld)" : "autoencoder codes",
                 (long long)sa->d);
        fill_panel(&p[0], sp, &r->space[LT_SPACE_PCA], cen, tp, "PCA");
        fill_panel(&p[1], sa, &r->space[LT_SPACE_AE], cen + 2 * r->cfg.kmeans.n_clusters + 2, ta, "AE");
        snprintf(title, sizeof title, "%s: %lld %s rows (x = k-means centers)", r->cfg.deck_name,
                 (long long)sp->n, r->eval_is_test ? "test" : "training");
        st = figure_path(r, "latent_spaces", path, sizeof path);
        lt_label_names ln;
        if (st == LT_OK) st = lt_run_label_names(r, &ln);
        if (st == LT_OK) {
            st = lt_plot_scatter(path, po, title, p, 2, ln.n ? ln.name : NULL, sp->y ? ln.title : NULL);
            lt_label_names_free(&ln);
        }
        free(cen);
    }
    lt_dataset_destroy(&sp);
    lt_dataset_destroy(&sa);
    return lt_comm_agree(r->c, st);
}

static lt_status error_histogram(lt_run *r, const lt_plot_opts *po)
{
    int64_t n = lt_run_eval(r, LT_SPACE_RAW)->nloc;
    double lo = NAN, hi = NAN, lo2, hi2;
    LT_CALL(lt_range_f(r->c, r->pca_rowerr, n, 0, &lo, &hi));
    LT_CALL(lt_range_f(r->c, r->ae_rowerr, n, 0, &lo2, &hi2));
    lo = fmin(lo, lo2), hi = fmax(hi, hi2);
    lt_hist *h[2] = {NULL, NULL};
    LT_CALL(lt_histogram(r->c, r->pca_rowerr, n, 100, lo, hi, 0, &h[0]));
    lt_status st = lt_histogram(r->c, r->ae_rowerr, n, 100, lo, hi, 0, &h[1]);
    if (st == LT_OK && lt_comm_rank(r->c) == 0) {
        char path[LT_PATH_MAX + 256], title[256];
        const char *names[2] = {"PCA", "autoencoder"};
        snprintf(title, sizeof title, "%s: per-row reconstruction error, %lld features", r->cfg.deck_name,
                 (long long)r->train->d);
        st = figure_path(r, "reconstruction_errors", path, sizeof path);
        if (st == LT_OK)
            st = lt_plot_histograms(path, po, title, "mean squared error of a row",
                                    (const lt_hist *const *)h, names, 2, 0, 0);
    }
    lt_hist_destroy(&h[0]);
    lt_hist_destroy(&h[1]);
    return lt_comm_agree(r->c, st);
}

static lt_status loss_figure(lt_run *r, const lt_plot_opts *po)
{
    lt_status st = LT_OK;
    if (lt_comm_rank(r->c) == 0 && r->ae->hist.n > 0) {
        char path[LT_PATH_MAX + 256];
        int has_val = r->test->n > 0;
        double lo = INFINITY, hi = 0;
        for (int i = 0; i < r->ae->hist.n; i++)
            lo = fmin(lo, r->ae->hist.train_loss[i]), hi = fmax(hi, r->ae->hist.train_loss[i]);
        int logy = lo > 0 && hi / lo > 10; /* a log axis within one decade has too few labels */
        st = figure_path(r, "loss", path, sizeof path);
        if (st == LT_OK)
            st = lt_plot_loss(path, po, "Autoencoder training", r->ae->hist.train_loss,
                              has_val ? r->ae->hist.val_loss : NULL, r->ae->hist.n, logy);
    }
    return lt_comm_agree(r->c, st);
}

lt_status lt_stage_figures(lt_run *r)
{
    if (!r->cfg.output.figures) return LT_OK;
    lt_plot_opts po;
    lt_plot_opts_default(&po);
    po.format = r->cfg.output.figure_format;
    if (r->pca && r->ae) LT_CALL(scatter_figure(r, &po));
    if (r->pca && r->ae) LT_CALL(error_histogram(r, &po));
    if (r->ae) LT_CALL(loss_figure(r, &po));
    if (r->pca && r->ae) LT_CALL(lt_stage_image_figures(r, &po));
    return LT_OK;
}
