/* t-SNE (issue 17): the [tsne] stage of `latent run` (each space of
 * [tsne] spaces, on the evaluation rows) and `latent tsne DECK` (every row
 * of the deck's data, in file order). Each embedding is written as an
 * n x 2 .npy in the rows' order, drawn as a scatter coloured by the true
 * labels (else by the space's k-means labels), and described in
 * metrics.json under tsne.<space> (tsne. for the command): KL, iterations,
 * time per phase, and quality figures on a seeded sample. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "run.h"
#include "latent/lt_io.h"
#include "latent/lt_log.h"
#include "latent/lt_tsne.h"

lt_status lt_tsne_opts_from_config(const lt_config *cfg, lt_tsne_opts *o)
{
    const lt_cfg_tsne *t = &cfg->tsne;
    lt_tsne_opts_default(o);
    o->perplexity = t->perplexity;
    o->early_exaggeration = t->early_exaggeration;
    o->exaggeration_iter = t->exaggeration_iter;
    o->n_iter = t->n_iter;
    o->learning_rate = t->learning_rate;
    o->momentum_early = t->momentum_early;
    o->momentum = t->momentum;
    o->min_gain = t->min_gain;
    o->min_grad_norm = t->min_grad_norm;
    o->n_iter_without_progress = t->n_iter_without_progress;
    o->n_iter_check = t->n_iter_check;
    o->fft.nodes = (int)t->fft_nodes;
    o->fft.spacing = t->fft_spacing;
    o->fft.min_nodes = t->fft_min_nodes;
    o->fft.near_radius = t->near_radius;
    o->seed = t->seed;
    o->verbose = t->verbose;
    LT_CALL(lt_error_in_key(lt_tsne_init_parse(t->init, &o->init), "[tsne] init"));
    return lt_error_in_key(lt_tsne_method_parse(t->method, &o->method), "[tsne] method");
}

/* The events metrics.json's seconds.* are read from: the five phases of the
 * fit (their sum is seconds.total), then the quality figures. */
enum { KNN, AFFINITY, INIT, EXAGGERATION, MAIN, QUALITY, NPHASE, TOTAL = NPHASE };
static const lt_event phase_event[NPHASE] = {LT_EV_TSNE_KNN, LT_EV_TSNE_AFFINITY, LT_EV_TSNE_INIT,
                                             LT_EV_TSNE_EXAGGERATED, LT_EV_TSNE_MAIN,
                                             LT_EV_TSNE_QUALITY};

/* One embedding and what is reported about it. */
typedef struct tsne_job {
    lt_comm *c;
    const lt_config *cfg;
    lt_results *res;
    lt_metrics *m;
    const char *what;       /* "autoencoder codes", "the data" */
    const char *key;        /* metrics.json prefix: "tsne.autoencoder", "tsne" */
    const char *npy;        /* results file of the embedding */
    const char *figure;     /* figure stem */
    const int32_t *colour;  /* labels of X's rows when X has none (k-means), or NULL */
    lt_dataset *emb;
    lt_tsne_info info;
    lt_tsne_quality q;
    double seconds[NPHASE + 1]; /* this job's share of each phase event (slowest rank), total */
} tsne_job;

/* The same seeded rows of X and of the embedding on every rank. */
static lt_status quality(tsne_job *j, const lt_dataset *X)
{
    j->q = (lt_tsne_quality){.trust5 = NAN, .trust10 = NAN, .recall10 = NAN, .knn_accuracy10 = NAN};
    int64_t ms = j->cfg->tsne.quality_sample;
    if (ms == 0) return LT_OK;
    lt_event_begin(lt_comm_timer(j->c), LT_EV_TSNE_QUALITY);
    lt_dataset *xs = NULL, *es = NULL;
    uint64_t seed = j->cfg->metrics.seed;
    lt_status st = lt_sample_rows(j->c, X, ms, seed, &xs, NULL);
    if (st == LT_OK) st = lt_sample_rows(j->c, j->emb, ms, seed, &es, NULL);
    int64_t hdr[3] = {0, 0, 0}; /* m, d, labels */
    if (st == LT_OK && xs) hdr[0] = xs->n, hdr[1] = xs->d, hdr[2] = xs->y != NULL;
    if (st == LT_OK) st = lt_comm_bcast(j->c, hdr, sizeof hdr, 0);
    float *x = xs ? xs->x : NULL, *e = es ? es->x : NULL;
    int32_t *y = xs ? xs->y : NULL;
    int mine = lt_comm_rank(j->c) != 0;
    if (st == LT_OK && mine) {
        x = lt_malloc(sizeof(float) * (size_t)(hdr[0] * hdr[1] + 1));
        e = lt_malloc(sizeof(float) * (size_t)(2 * hdr[0] + 1));
        y = hdr[2] ? lt_malloc(sizeof(int32_t) * (size_t)(hdr[0] + 1)) : NULL;
        st = x && e && (y || !hdr[2]) ? LT_OK : LT_ERR_MEM;
    }
    st = lt_comm_agree(j->c, st);
    if (st == LT_OK) st = lt_comm_bcast(j->c, x, (int64_t)sizeof(float) * hdr[0] * hdr[1], 0);
    if (st == LT_OK) st = lt_comm_bcast(j->c, e, (int64_t)sizeof(float) * 2 * hdr[0], 0);
    if (st == LT_OK && hdr[2]) st = lt_comm_bcast(j->c, y, (int64_t)sizeof(int32_t) * hdr[0], 0);
    if (st == LT_OK) st = lt_tsne_quality_compute(j->c, hdr[0], hdr[1], x, e, hdr[2] ? y : NULL, &j->q);
    if (mine) free(x), free(e), free(y);
    lt_dataset_destroy(&xs);
    lt_dataset_destroy(&es);
    lt_event_end(lt_comm_timer(j->c), LT_EV_TSNE_QUALITY, 0);
    return st;
}

static lt_status write_embedding(tsne_job *j)
{
    char path[LT_PATH_MAX + 256];
    LT_CALL(lt_comm_agree(j->c, lt_results_path(j->res, j->npy, path, sizeof path)));
    return lt_npy_write(j->c, path, j->emb);
}

static lt_status figure(tsne_job *j)
{
    if (!j->cfg->output.figures) return LT_OK;
    lt_dataset view = *j->emb, *s = NULL;
    int64_t has = view.y != NULL || view.nloc == 0;
    LT_CALL(lt_comm_min_i64(j->c, &has, 1));
    if (!has) view.y = (int32_t *)j->colour;
    LT_CALL(lt_sample_rows(j->c, &view, j->cfg->output.sample_size, j->cfg->metrics.seed, &s, NULL));
    lt_status st = LT_OK;
    if (lt_comm_rank(j->c) == 0) {
        char rel[256], path[LT_PATH_MAX + 256], title[256], ptitle[256], q[64] = "";
        if (!isnan(j->q.trust10)) snprintf(q, sizeof q, ", trustworthiness %.4f", j->q.trust10);
        snprintf(title, sizeof title, "%s: t-SNE of %s", j->cfg->deck_name, j->what);
        snprintf(ptitle, sizeof ptitle, "%lld of %lld rows, perplexity %g, KL %.3f%s", (long long)s->n,
                 (long long)j->emb->n, j->cfg->tsne.perplexity, j->info.kl, q);
        lt_scatter_panel p = {.title = ptitle, .xlabel = "t-SNE 1", .ylabel = "t-SNE 2", .n = s->n,
                              .x = s->x, .y = s->x + 1, .stride = 2, .labels = s->y};
        lt_plot_opts po;
        lt_plot_opts_default(&po);
        po.format = j->cfg->output.figure_format;
        snprintf(rel, sizeof rel, "figures/%s.%s", j->figure, po.format);
        st = lt_results_path(j->res, rel, path, sizeof path);
        if (st == LT_OK)
            st = lt_plot_scatter(path, &po, title, &p, 1, NULL,
                                 !s->y ? NULL : has ? "label" : "k-means label");
    }
    lt_dataset_destroy(&s);
    return lt_comm_agree(j->c, st);
}

static lt_status set(tsne_job *j, const char *name, double v)
{
    char path[256];
    snprintf(path, sizeof path, "%s.%s", j->key, name);
    return lt_metrics_set_number(j->m, path, v);
}

/* Local setters, agreed by the caller. */
static lt_status metrics(tsne_job *j, const lt_tsne_opts *o)
{
    const lt_tsne_info *i = &j->info;
    char path[256];
    snprintf(path, sizeof path, "%s.method", j->key);
    LT_CALL(lt_metrics_set_string(j->m, path, lt_tsne_method_name(o->method)));
    snprintf(path, sizeof path, "%s.init", j->key);
    LT_CALL(lt_metrics_set_string(j->m, path, lt_tsne_init_name(o->init)));
    struct { const char *k; double v; } f[] = {
        {"n", (double)i->n}, {"perplexity", j->cfg->tsne.perplexity},
        {"neighbors", (double)i->k}, {"p_nonzeros", (double)i->nnz},
        {"bandwidth_unconverged", (double)i->n_unconverged}, {"mean_sigma", i->mean_sigma},
        {"learning_rate", i->learning_rate}, {"kl", i->kl}, {"kl_exaggerated", i->kl_exaggerated},
        {"iterations", (double)i->n_iter}, {"grad_norm", i->grad_norm},
        {"grid_side_max", (double)i->grid_side_max}, {"seconds.neighbors", j->seconds[KNN]},
        {"seconds.affinities", j->seconds[AFFINITY]}, {"seconds.init", j->seconds[INIT]},
        {"seconds.exaggeration", j->seconds[EXAGGERATION]}, {"seconds.main", j->seconds[MAIN]},
        {"seconds.total", j->seconds[TOTAL]}, {"seconds.quality", j->seconds[QUALITY]},
        {"quality.sample", (double)j->q.n_sample}, {"quality.trustworthiness_5", j->q.trust5},
        {"quality.trustworthiness_10", j->q.trust10}, {"quality.recall_10", j->q.recall10},
        {"quality.knn_accuracy_10", j->q.knn_accuracy10}};
    for (size_t e = 0; e < sizeof f / sizeof f[0]; e++) LT_CALL(set(j, f[e].k, f[e].v));
    return LT_OK;
}

static void log_job(const tsne_job *j, const lt_dataset *X)
{
    const lt_tsne_info *i = &j->info;
    lt_log(j->c, "t-SNE of %s (%lld x %lld): KL %.4f after %lld iterations (neighbours %.2f s, "
                 "affinities %.2f s, iterations %.2f s)\n",
           j->what, (long long)X->n, (long long)X->d, i->kl, (long long)i->n_iter,
           j->seconds[KNN], j->seconds[AFFINITY], j->seconds[EXAGGERATION] + j->seconds[MAIN]);
    if (!isnan(j->q.trust5))
        lt_log(j->c, "t-SNE of %s: trustworthiness %.4f (5) %.4f (10), 10-NN recall %.4f, "
                     "2-D 10-NN accuracy %.4f, on %lld rows\n",
               j->what, j->q.trust5, j->q.trust10, j->q.recall10, j->q.knn_accuracy10,
               (long long)j->q.n_sample);
}

/* A run embeds several spaces, so a job's seconds are its share of each
 * phase event: the times before it (phase_begin), subtracted from those
 * after it (phase_end, collective: then the slowest rank's). */
static void phase_begin(tsne_job *j)
{
    const lt_timer *t = lt_comm_timer(j->c);
    for (int p = 0; p < NPHASE; p++) j->seconds[p] = t ? -t->wall[phase_event[p]] : 0.0;
}

static lt_status phase_end(tsne_job *j)
{
    const lt_timer *t = lt_comm_timer(j->c);
    j->seconds[TOTAL] = 0;
    for (int p = 0; p < NPHASE; p++) {
        j->seconds[p] += t ? t->wall[phase_event[p]] : 0.0;
        if (p != QUALITY) j->seconds[TOTAL] += j->seconds[p];
    }
    return lt_comm_max_d(j->c, j->seconds, NPHASE + 1);
}

/* Fits, measures, writes and draws one embedding of X. Collective. */
static lt_status tsne_run_job(tsne_job *j, const lt_dataset *X, lt_timer *t)
{
    lt_tsne_opts o;
    LT_CALL(lt_comm_agree(j->c, lt_tsne_opts_from_config(j->cfg, &o)));
    lt_tsne_result r;
    phase_begin(j);
    lt_timer_start(t, LT_STAGE_TSNE);
    lt_status st = lt_tsne_fit(j->c, &o, X, &r);
    if (st == LT_OK) {
        j->info = r.info;
        st = lt_tsne_embedding(j->c, &r, X, &j->emb);
        lt_tsne_result_free(&r);
    }
    if (st == LT_OK) st = quality(j, X);
    if (st == LT_OK) st = phase_end(j);
    lt_timer_stop(t, LT_STAGE_TSNE);
    LT_CALL(st);
    log_job(j, X);
    lt_timer_start(t, LT_STAGE_REPORT);
    st = write_embedding(j);
    if (st == LT_OK) st = figure(j);
    lt_timer_stop(t, LT_STAGE_REPORT);
    if (st == LT_OK) st = lt_comm_agree(j->c, metrics(j, &o));
    return st;
}

lt_status lt_stage_tsne(lt_run *r)
{
    static const char *what[] = {"the input rows", "PCA scores", "autoencoder codes"};
    const char *ev = r->eval_is_test ? "test" : "train";
    char buf[sizeof r->cfg.tsne.spaces];
    for (int s = 0; s < LT_NSPACES; s++) {
        int wanted = 0;
        snprintf(buf, sizeof buf, "%s", r->cfg.tsne.spaces);
        for (char *save = NULL, *tk = strtok_r(buf, ", ", &save); tk; tk = strtok_r(NULL, ", ", &save))
            wanted |= !strcmp(tk, lt_space_name(s));
        if (!wanted) continue;
        LT_CALL(lt_stage_check_stop(r));
        const lt_dataset *X = lt_run_eval(r, s);
        LT_CHECK(X != NULL, LT_ERR_CONFIG, "[tsne] spaces lists '%s', which this run did not make",
                 lt_space_name(s));
        char key[64], npy[128], fig[64];
        snprintf(key, sizeof key, "tsne.%s", lt_space_name(s));
        snprintf(npy, sizeof npy, "tsne_%s_%s.npy", lt_space_name(s), ev);
        snprintf(fig, sizeof fig, "tsne_%s", lt_space_name(s));
        tsne_job j = {.c = r->c, .cfg = &r->cfg, .res = r->res, .m = r->m, .what = what[s],
                      .key = key, .npy = npy, .figure = fig,
                      .colour = r->space[s].done ? r->space[s].km->labels : NULL};
        lt_status st = tsne_run_job(&j, X, &r->cli->timer);
        if (st == LT_OK) { /* kept for results.h5ad (obsm/X_tsne) */
            lt_dataset_destroy(&r->tsne[s]);
            r->tsne[s] = j.emb;
            j.emb = NULL;
        }
        lt_dataset_destroy(&j.emb);
        LT_CALL(st);
    }
    return LT_OK;
}

/* `latent tsne DECK`: every row of the deck's data, in file order. */
lt_status lt_cmd_tsne(lt_cli *cli)
{
    lt_cmd x;
    LT_CALL(lt_cmd_begin(cli, "tsne", LT_CMD_ALL_ROWS, &x));
    tsne_job j = {.c = x.c, .cfg = &x.cfg, .res = x.res, .m = x.m, .what = "the data", .key = "tsne",
                  .npy = "tsne_embedding.npy", .figure = "tsne"};
    lt_status st = tsne_run_job(&j, x.train, &cli->timer);
    lt_dataset_destroy(&j.emb);
    return lt_cmd_end(&x, st);
}
