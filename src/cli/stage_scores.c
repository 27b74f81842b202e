/* k-means and scores of one space (raw input, PCA scores, autoencoder codes)
 * on the evaluation rows. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "latent/lt_log.h"
#include "latent/lt_scores.h"
#include "run.h"

const char *lt_space_name(int space)
{
    static const char *names[] = {"raw", "pca", "autoencoder"};
    return names[space];
}

const lt_dataset *lt_run_eval(const lt_run *r, int space)
{
    switch (space) {
    case LT_SPACE_PCA: return r->eval_is_test ? r->pca_test : r->pca_train;
    case LT_SPACE_AE: return r->eval_is_test ? r->ae_test : r->ae_train;
    default: return r->eval_is_test ? r->test : r->train;
    }
}

int lt_run_wants_space(const lt_run *r, int space)
{
    if (!r->cfg.kmeans.enabled) return 0;
    char buf[sizeof r->cfg.kmeans.spaces];
    snprintf(buf, sizeof buf, "%s", r->cfg.kmeans.spaces);
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        if (!strcmp(t, lt_space_name(space))) return 1;
    return 0;
}

lt_status lt_kmeans_opts_from_config(const lt_config *cfg, lt_kmeans_opts *o)
{
    lt_kmeans_opts_default(o);
    o->n_clusters = cfg->kmeans.n_clusters;
    o->n_init = cfg->kmeans.n_init;
    o->max_iter = cfg->kmeans.max_iter;
    o->tol = cfg->kmeans.tol;
    o->seed = cfg->kmeans.seed;
    return lt_error_in_key(lt_kmeans_init_parse(cfg->kmeans.init, &o->init), "[kmeans] init");
}

lt_status lt_silhouette_opts_from_config(const lt_config *cfg, lt_silhouette_opts *o, int *on)
{
    lt_silhouette_opts_default(o);
    *on = strcmp(cfg->metrics.silhouette, "none") != 0;
    if (!*on) return LT_OK;
    o->sample_size = cfg->metrics.sample_size;
    o->seed = cfg->metrics.seed;
    return lt_error_in_key(lt_sil_mode_parse(cfg->metrics.silhouette, &o->mode), "[metrics] silhouette");
}

/* Distinct labels over all ranks (labels below 2^20; larger ones count as
 * "many", leaving the check to the score). Collective. */
static lt_status distinct_labels(const lt_run *r, const int32_t *lab, int64_t nloc, int64_t *out)
{
    int64_t top = -1;
    for (int64_t i = 0; i < nloc; i++) top = lab[i] > top ? lab[i] : top;
    LT_CALL(lt_comm_max_i64(r->c, &top, 1));
    *out = top >= (1 << 20) ? INT64_MAX : 0;
    if (top < 0 || top >= (1 << 20)) return LT_OK;
    int64_t *cnt = lt_calloc((size_t)top + 1, sizeof *cnt);
    LT_AGREE_ALLOC(r->c, cnt);
    for (int64_t i = 0; i < nloc; i++) cnt[lab[i] < 0 ? 0 : lab[i]] += lab[i] >= 0;
    lt_status st = lt_comm_sum_i64(r->c, cnt, top + 1);
    for (int64_t q = 0; st == LT_OK && q <= top; q++) *out += cnt[q] > 0;
    free(cnt);
    return st;
}

/* A score over a labelling that is undefined (a single cluster, e.g. a
 * collapsed code, or one cluster per row) is NaN, reported as "-"; the run
 * goes on. Collective. */
static lt_status defined_labelling(const lt_run *r, const lt_dataset *X, const int32_t *lab, int *ok)
{
    int64_t k;
    LT_CALL(distinct_labels(r, lab, X->nloc, &k));
    *ok = k >= 2 && k < X->n;
    return LT_OK;
}

static lt_status silhouette(const lt_run *r, const lt_dataset *X, const int32_t *labels, double *out)
{
    *out = NAN;
    lt_silhouette_opts o;
    int on, ok;
    LT_CALL(lt_silhouette_opts_from_config(&r->cfg, &o, &on));
    if (!on) return LT_OK;
    LT_CALL(defined_labelling(r, X, labels, &ok));
    if (!ok) return LT_OK;
    lt_silhouette_result res = {0};
    LT_CALL(lt_silhouette(r->c, X, labels, X->nloc, &o, &res));
    *out = res.score;
    lt_silhouette_result_free(&res);
    return LT_OK;
}

/* Scores against the true labels: silhouette of the truth, ARI, NMI. */
static lt_status truth_scores(const lt_run *r, const lt_dataset *X, lt_space_result *s)
{
    int64_t has = X->y != NULL;
    LT_CALL(lt_comm_min_i64(r->c, &has, 1));
    s->sil_truth = s->ari = s->nmi = NAN;
    if (!has) return LT_OK;
    LT_CALL(silhouette(r, X, X->y, &s->sil_truth));
    LT_CALL(lt_ari(r->c, X->y, X->nloc, s->km->labels, X->nloc, &s->ari));
    LT_CALL(lt_nmi(r->c, X->y, X->nloc, s->km->labels, X->nloc, &s->nmi));
    return LT_OK;
}

/* Every score of one space's k-means labels (the scores stage). */
static lt_status space_scores(lt_run *r, int space, const lt_dataset *X, const lt_dataset *input)
{
    lt_space_result *s = &r->space[space];
    LT_CALL(silhouette(r, X, s->km->labels, &s->sil_latent));
    s->sil_input = s->sil_latent;
    if (space != LT_SPACE_RAW) LT_CALL(silhouette(r, input, s->km->labels, &s->sil_input));
    LT_CALL(truth_scores(r, X, s));
    int ok;
    LT_CALL(defined_labelling(r, X, s->km->labels, &ok));
    s->db = s->ch = NAN;
    if (ok) LT_CALL(lt_davies_bouldin(r->c, X, s->km->labels, X->nloc, &s->db));
    if (ok) LT_CALL(lt_calinski_harabasz(r->c, X, s->km->labels, X->nloc, &s->ch));
    else lt_log(r->c, "note: k-means on %s found a single cluster (a collapsed space?): silhouette, "
                      "Davies-Bouldin and Calinski-Harabasz are undefined\n", lt_space_name(space));
    return LT_OK;
}

lt_status lt_stage_cluster(lt_run *r, int space)
{
    lt_space_result *s = &r->space[space];
    const lt_dataset *X = lt_run_eval(r, space), *input = lt_run_eval(r, LT_SPACE_RAW);
    lt_timer *t = &r->cli->timer;
    /* The space's time is its share of the k-means and scores stages (the
     * events' clock: one source for metrics.json's seconds and the table). */
    double before = t->wall[LT_STAGE_KMEANS] + t->wall[LT_STAGE_SCORES];
    lt_kmeans_opts o;
    LT_CALL(lt_kmeans_opts_from_config(&r->cfg, &o));
    lt_timer_start(t, LT_STAGE_KMEANS);
    lt_status st = lt_kmeans_fit(r->c, &o, X, &s->km);
    lt_timer_stop(t, LT_STAGE_KMEANS);
    LT_CALL(st);
    s->inertia = s->km->inertia;
    lt_timer_start(t, LT_STAGE_SCORES);
    st = space_scores(r, space, X, input);
    lt_timer_stop(t, LT_STAGE_SCORES);
    LT_CALL(st);
    s->seconds = t->wall[LT_STAGE_KMEANS] + t->wall[LT_STAGE_SCORES] - before;
    LT_CALL(lt_comm_max_d(r->c, &s->seconds, 1));
    s->done = 1;
    char ari[32] = "";
    if (!isnan(s->ari)) snprintf(ari, sizeof ari, ", ARI %.4f", s->ari);
    lt_log(r->c, "k-means on %s (%lld x %lld): inertia %.6g in %lld iterations%s, silhouette %.4f%s (%.2f s)\n",
           lt_space_name(space), (long long)X->n, (long long)X->d, s->inertia, (long long)s->km->n_iter,
           s->km->converged ? "" : " (not converged)", s->sil_latent, ari, s->seconds);
    return LT_OK;
}
