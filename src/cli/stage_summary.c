/* The end-of-run table and metrics.json. */
#include <math.h>
#include <string.h>

#include "latent/lt_log.h"
#include "run.h"

#define SP(r, s, field) ((r)->space[s].done ? (r)->space[s].field : NAN)

static lt_status add_space_rows(lt_run *r, lt_table *t)
{
    char note[64];
    snprintf(note, sizeof note, "%s silhouette", r->cfg.metrics.silhouette);
    const int P = LT_SPACE_PCA, A = LT_SPACE_AE;
    LT_CALL(lt_table_add(t, "k-means inertia", SP(r, P, inertia), SP(r, A, inertia), NULL));
    LT_CALL(lt_table_add(t, "silhouette, k-means labels, latent space", SP(r, P, sil_latent), SP(r, A, sil_latent), note));
    LT_CALL(lt_table_add(t, "silhouette, k-means labels, input space", SP(r, P, sil_input), SP(r, A, sil_input), note));
    LT_CALL(lt_table_add(t, "silhouette, true labels, latent space", SP(r, P, sil_truth), SP(r, A, sil_truth), note));
    LT_CALL(lt_table_add(t, "adjusted Rand index vs true labels", SP(r, P, ari), SP(r, A, ari), NULL));
    LT_CALL(lt_table_add(t, "normalized mutual information", SP(r, P, nmi), SP(r, A, nmi), NULL));
    LT_CALL(lt_table_add(t, "Davies-Bouldin (lower is better)", SP(r, P, db), SP(r, A, db), NULL));
    LT_CALL(lt_table_add(t, "Calinski-Harabasz", SP(r, P, ch), SP(r, A, ch), NULL));
    return LT_OK;
}

static lt_status add_time_rows(lt_run *r, lt_table *t, const lt_timing_summary *ts)
{
    LT_CALL(lt_table_add_section(t, "time (s, slowest rank)"));
    LT_CALL(lt_table_add(t, "fit (PCA) / train (autoencoder)", ts->wall_max[LT_STAGE_PCA], ts->wall_max[LT_STAGE_TRAIN], NULL));
    LT_CALL(lt_table_add(t, "encode", NAN, ts->wall_max[LT_STAGE_ENCODE], NULL));
    LT_CALL(lt_table_add(t, "k-means and scores", SP(r, LT_SPACE_PCA, seconds), SP(r, LT_SPACE_AE, seconds), NULL));
    return LT_OK;
}

lt_status lt_stage_table(lt_run *r)
{
    lt_timing_summary ts;
    LT_CALL(lt_timing_reduce(r->c, &r->cli->timer, &ts));
    if (lt_comm_rank(r->c) != 0) return lt_comm_agree(r->c, LT_OK);
    lt_table *t = NULL;
    char title[256];
    snprintf(title, sizeof title, "%s: PCA vs autoencoder (%s rows, %d ranks)", r->cfg.deck_name,
             r->eval_is_test ? "test" : "training", lt_comm_size(r->c));
    lt_status st = lt_table_create(title, "PCA", "autoencoder", &t);
    if (st == LT_OK) st = lt_table_add(t, "reconstruction MSE, train", r->pca ? r->pca_mse_train : NAN, r->ae ? r->ae_mse_train : NAN, NULL);
    if (st == LT_OK) st = lt_table_add(t, "reconstruction MSE, test", r->pca ? r->pca_mse_test : NAN, r->ae ? r->ae_mse_test : NAN, NULL);
    if (st == LT_OK) st = add_space_rows(r, t);
    if (st == LT_OK) st = add_time_rows(r, t, &ts);
    if (st == LT_OK) {
        printf("\n");
        st = lt_table_print(t, stdout);
    }
    const lt_space_result *raw = &r->space[LT_SPACE_RAW];
    if (st == LT_OK && raw->done)
        printf("raw input space: k-means inertia %.6g, silhouette of k-means labels %.4f, of true labels %.4f, ARI %.4f\n",
               raw->inertia, raw->sil_latent, raw->sil_truth, raw->ari);
    printf("total %.2f s on %d ranks\n", ts.total_wall_max, lt_comm_size(r->c));
    fflush(stdout);
    lt_table_destroy(&t);
    return lt_comm_agree(r->c, st);
}

/* ctx: the metrics and the first failure (the callback returns nothing). */
typedef struct {
    lt_metrics *m;
    lt_status st;
} config_put;

static void put_config(const char *section, const char *key, const char *value, void *ctx)
{
    config_put *p = ctx;
    char path[256];
    snprintf(path, sizeof path, "config.%s.%s", section, key);
    if (p->st == LT_OK) p->st = lt_metrics_set_string(p->m, path, value);
}

lt_status lt_cli_put_config(lt_metrics *m, const lt_config *cfg)
{
    config_put cp = {m, LT_OK};
    lt_config_foreach(cfg, put_config, &cp);
    return cp.st;
}

static lt_status metrics_space(lt_run *r, int s)
{
    const lt_space_result *x = &r->space[s];
    if (!x->done) return LT_OK;
    char p[128];
    const char *n = lt_space_name(s);
    struct { const char *k; double v; } f[] = {
        {"inertia", x->inertia}, {"silhouette_kmeans_latent", x->sil_latent},
        {"silhouette_kmeans_input", x->sil_input}, {"silhouette_true_latent", x->sil_truth},
        {"ari", x->ari}, {"nmi", x->nmi}, {"davies_bouldin", x->db}, {"calinski_harabasz", x->ch},
        {"seconds", x->seconds}, {"kmeans_iterations", (double)x->km->n_iter}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        snprintf(p, sizeof p, "spaces.%s.%s", n, f[i].k);
        LT_CALL(lt_metrics_set_number(r->m, p, f[i].v));
    }
    snprintf(p, sizeof p, "spaces.%s.silhouette_mode", n);
    LT_CALL(lt_metrics_set_string(r->m, p, r->cfg.metrics.silhouette));
    snprintf(p, sizeof p, "spaces.%s.kmeans_counts", n);
    return lt_metrics_set_array_i64(r->m, p, x->km->counts, x->km->k);
}

static lt_status metrics_models(lt_run *r)
{
    lt_metrics *m = r->m;
    if (r->pca) {
        const lt_pca *p = r->pca;
        LT_CALL(lt_metrics_set_string(m, "pca.method", lt_pca_method_name(p->info.method)));
        LT_CALL(lt_metrics_set_string(m, "pca.method_reason", p->info.reason));
        LT_CALL(lt_metrics_set_string(m, "pca.gram_kernel", lt_pca_gram_kernel_name(p->info.gram_kernel)));
        LT_CALL(lt_metrics_set_array_d(m, "pca.explained_variance_ratio", p->explained_variance_ratio, p->n_components));
        LT_CALL(lt_metrics_set_array_d(m, "pca.explained_variance", p->explained_variance, p->n_components));
        LT_CALL(lt_metrics_set_number(m, "pca.reconstruction_mse.train", r->pca_mse_train));
        LT_CALL(lt_metrics_set_number(m, "pca.reconstruction_mse.test", r->pca_mse_test));
    }
    if (r->ae) {
        const lt_train_history *h = &r->ae->hist;
        LT_CALL(lt_metrics_set_number(m, "autoencoder.parameters", (double)r->ae->nparams));
        LT_CALL(lt_metrics_set_number(m, "autoencoder.epochs_run", h->n));
        LT_CALL(lt_metrics_set_array_d(m, "autoencoder.loss_history.train", h->train_loss, h->n));
        LT_CALL(lt_metrics_set_array_d(m, "autoencoder.loss_history.validation", h->val_loss, h->n));
        LT_CALL(lt_metrics_set_array_d(m, "autoencoder.loss_history.seconds", h->seconds, h->n));
        LT_CALL(lt_metrics_set_array_d(m, "autoencoder.loss_history.samples_per_sec", h->samples_per_sec, h->n));
        LT_CALL(lt_metrics_set_number(m, "autoencoder.reconstruction_mse.train", r->ae_mse_train));
        LT_CALL(lt_metrics_set_number(m, "autoencoder.reconstruction_mse.test", r->ae_mse_test));
    }
    return LT_OK;
}

/* This rank's part: the setters allocate, so the caller agrees. */
static lt_status metrics_local(lt_run *r)
{
    lt_metrics *m = r->m;
    LT_CALL(lt_cli_put_config(m, &r->cfg));
    LT_CALL(lt_metrics_set_string(m, "latent_version", LATENT_VERSION));
    LT_CALL(lt_metrics_set_number(m, "ranks", lt_comm_size(r->c)));
    lt_version v[16];
    int nv = lt_cli_versions(v, 16);
    for (int i = 0; i < nv; i++) {
        char key[64];
        snprintf(key, sizeof key, "versions.%s", v[i].name);
        LT_CALL(lt_metrics_set_string(m, key, v[i].version));
    }
    LT_CALL(lt_metrics_set_number(m, "data.n_train", (double)r->train->n));
    LT_CALL(lt_metrics_set_number(m, "data.n_test", (double)r->test->n));
    LT_CALL(lt_metrics_set_number(m, "data.n_features", (double)r->train->d));
    LT_CALL(lt_metrics_set_string(m, "data.evaluation_rows", r->eval_is_test ? "test" : "train"));
    LT_CALL(metrics_models(r));
    for (int s = 0; s < LT_NSPACES; s++) LT_CALL(metrics_space(r, s));
    return LT_OK;
}

lt_status lt_stage_metrics(lt_run *r)
{
    LT_CALL(lt_comm_agree(r->c, metrics_local(r)));
    LT_CALL(lt_metrics_set_timings(r->m, &r->cli->timer, r->c));
    char path[LT_PATH_MAX + 256];
    LT_CALL(lt_run_path(r, "metrics.json", path, sizeof path));
    return lt_metrics_write(r->c, r->m, path);
}
