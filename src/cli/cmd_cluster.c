/* `latent kmeans` and `latent score`: clustering and cluster scores of any data file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "run.h"
#include "latent/lt_io.h"
#include "latent/lt_kmeans.h"
#include "latent/lt_log.h"
#include "latent/lt_scores.h"

/* The [kmeans] keys as the pipeline maps them (its mapping is private to it). */

/* ARI and NMI of `pred` against the data's own labels; NaN without them. */
static lt_status vs_truth(lt_comm *c, const lt_dataset *ds, const int32_t *truth, const int32_t *pred,
                          double *ari, double *nmi)
{
    int64_t has = truth != NULL || ds->nloc == 0, any = truth != NULL;
    LT_CALL(lt_comm_min_i64(c, &has, 1));
    LT_CALL(lt_comm_max_i64(c, &any, 1));
    *ari = *nmi = NAN;
    if (!has || !any) return LT_OK;
    LT_CALL(lt_ari(c, truth, ds->nloc, pred, ds->nloc, ari));
    return lt_nmi(c, truth, ds->nloc, pred, ds->nloc, nmi);
}

/* The k x d centers as a dataset (row-sharded like any other) for .npy output. */
static lt_status write_centers(lt_cmd *x, const lt_kmeans *km)
{
    lt_dataset *ctr = NULL;
    LT_CALL(lt_dataset_create(x->c, km->k, km->d, 0, &ctr));
    for (int64_t i = 0; i < ctr->nloc * km->d; i++) ctr->x[i] = (float)km->centers[ctr->row0 * km->d + i];
    lt_status st = lt_cmd_write(x, "kmeans_centers.npy", ctr, 0);
    lt_dataset_destroy(&ctr);
    return st;
}

static lt_status predict_test(lt_cmd *x, const lt_kmeans *km, double *inertia)
{
    *inertia = NAN;
    if (x->test->n == 0) return LT_OK;
    int32_t *lab = lt_malloc(sizeof(int32_t) * (size_t)(x->test->nloc + 1));
    LT_AGREE_ALLOC(x->c, lab);
    lt_status st = lt_kmeans_predict(x->c, km, x->test, lab, inertia);
    if (st == LT_OK) st = lt_cmd_write_labels(x, "labels_kmeans_test.npy", x->test, lab);
    free(lab);
    return st;
}

static lt_status kmeans_metrics(lt_cmd *x, const lt_kmeans *km, double ari, double nmi, double test_inertia)
{
    lt_metrics *m = x->m;
    LT_CALL(lt_metrics_set_number(m, "kmeans.n_clusters", (double)km->k));
    LT_CALL(lt_metrics_set_number(m, "kmeans.inertia", km->inertia));
    LT_CALL(lt_metrics_set_number(m, "kmeans.inertia_test", test_inertia));
    LT_CALL(lt_metrics_set_number(m, "kmeans.iterations", (double)km->n_iter));
    LT_CALL(lt_metrics_set_bool(m, "kmeans.converged", km->converged));
    LT_CALL(lt_metrics_set_number(m, "kmeans.n_init", (double)km->n_init));
    LT_CALL(lt_metrics_set_number(m, "kmeans.best_init", (double)km->best_init));
    LT_CALL(lt_metrics_set_array_i64(m, "kmeans.counts", km->counts, km->k));
    LT_CALL(lt_metrics_set_number(m, "kmeans.ari", ari));
    return lt_metrics_set_number(m, "kmeans.nmi", nmi);
}

static lt_status run_kmeans(lt_cmd *x, lt_kmeans **km)
{
    lt_kmeans_opts o;
    LT_CALL(lt_kmeans_opts_from_config(&x->cfg, &o));
    lt_timer_start(&x->cli->timer, LT_STAGE_KMEANS);
    lt_status st = lt_kmeans_fit(x->c, &o, x->train, km);
    lt_timer_stop(&x->cli->timer, LT_STAGE_KMEANS);
    LT_CALL(st);
    const lt_kmeans *k = *km;
    double ari, nmi, test_inertia;
    LT_CALL(vs_truth(x->c, x->train, x->train->y, k->labels, &ari, &nmi));
    LT_CALL(lt_cmd_write_labels(x, "labels_kmeans.npy", x->train, k->labels));
    LT_CALL(write_centers(x, k));
    LT_CALL(predict_test(x, k, &test_inertia));
    lt_log(x->c, "k-means: k = %lld on %lld x %lld, inertia %.6g in %lld iterations%s (restart %lld of %lld)\n",
           (long long)k->k, (long long)x->train->n, (long long)k->d, k->inertia, (long long)k->n_iter,
           k->converged ? "" : " (not converged)", (long long)k->best_init + 1, (long long)k->n_init);
    lt_log(x->c, "k-means: cluster sizes");
    for (int64_t j = 0; j < k->k; j++) lt_log(x->c, " %lld", (long long)k->counts[j]);
    lt_log(x->c, "\n");
    if (!isnan(ari)) lt_log(x->c, "k-means vs true labels: ARI %.4f, NMI %.4f\n", ari, nmi);
    if (!isnan(test_inertia)) lt_log(x->c, "k-means: test rows inertia %.6g\n", test_inertia);
    return kmeans_metrics(x, k, ari, nmi, test_inertia);
}

lt_status lt_cmd_kmeans(lt_cli *cli)
{
    lt_cmd x;
    LT_CALL(lt_cmd_begin(cli, "kmeans", 0, &x));
    lt_kmeans *km = NULL;
    lt_status st = run_kmeans(&x, &km);
    lt_kmeans_destroy(&km);
    return lt_cmd_end(&x, st);
}

/* ---- score --------------------------------------------------------------- */

typedef struct {
    double sil, db, ch, ari, nmi;
    int64_t n_scored, n_labels;
} score_result;

static lt_status count_labels(lt_comm *c, const lt_dataset *ds, const char *path, int64_t *n)
{
    int64_t *counts = NULL;
    int nlab = 0;
    LT_CALL(lt_label_counts(c, ds, &counts, &nlab));
    *n = 0;
    for (int l = 0; l < nlab; l++) *n += counts[l] > 0;
    free(counts);
    LT_CHECK(*n >= 2, LT_ERR_DATA, "%s: %lld distinct label%s; cluster scores need at least 2", path,
             (long long)*n, *n == 1 ? "" : "s");
    return LT_OK;
}

static lt_status silhouette(lt_cmd *x, score_result *r)
{
    r->sil = NAN, r->n_scored = 0;
    lt_silhouette_opts o;
    int on;
    LT_CALL(lt_silhouette_opts_from_config(&x->cfg, &o, &on));
    if (!on) return LT_OK;
    lt_silhouette_result res = {0};
    LT_CALL(lt_silhouette(x->c, x->train, x->train->y, x->train->nloc, &o, &res));
    r->sil = res.score, r->n_scored = res.n_scored;
    lt_silhouette_result_free(&res);
    return LT_OK;
}

static lt_status scores(lt_cmd *x, const int32_t *truth, score_result *r)
{
    const lt_dataset *X = x->train;
    LT_CALL(count_labels(x->c, X, x->cli->labels, &r->n_labels));
    lt_timer_start(&x->cli->timer, LT_STAGE_SCORES);
    lt_status st = silhouette(x, r);
    if (st == LT_OK) st = lt_davies_bouldin(x->c, X, X->y, X->nloc, &r->db);
    if (st == LT_OK) st = lt_calinski_harabasz(x->c, X, X->y, X->nloc, &r->ch);
    if (st == LT_OK) st = vs_truth(x->c, X, truth, X->y, &r->ari, &r->nmi);
    lt_timer_stop(&x->cli->timer, LT_STAGE_SCORES);
    return st;
}

static lt_status score_report(lt_cmd *x, const score_result *r)
{
    lt_log(x->c, "scores of %s (%lld labels) on %lld x %lld:\n", x->cli->labels, (long long)r->n_labels,
           (long long)x->train->n, (long long)x->train->d);
    if (!isnan(r->sil))
        lt_log(x->c, "  silhouette (%s, %lld rows)  %.6f\n", x->cfg.metrics.silhouette,
               (long long)r->n_scored, r->sil);
    lt_log(x->c, "  Davies-Bouldin           %.6f\n  Calinski-Harabasz        %.6g\n", r->db, r->ch);
    if (!isnan(r->ari)) lt_log(x->c, "  ARI vs true labels       %.6f\n  NMI vs true labels       %.6f\n", r->ari, r->nmi);
    lt_metrics *m = x->m;
    LT_CALL(lt_metrics_set_number(m, "scores.n_labels", (double)r->n_labels));
    LT_CALL(lt_metrics_set_number(m, "scores.silhouette", r->sil));
    LT_CALL(lt_metrics_set_string(m, "scores.silhouette_mode", x->cfg.metrics.silhouette));
    LT_CALL(lt_metrics_set_number(m, "scores.silhouette_rows", (double)r->n_scored));
    LT_CALL(lt_metrics_set_number(m, "scores.davies_bouldin", r->db));
    LT_CALL(lt_metrics_set_number(m, "scores.calinski_harabasz", r->ch));
    LT_CALL(lt_metrics_set_number(m, "scores.ari", r->ari));
    return lt_metrics_set_number(m, "scores.nmi", r->nmi);
}

/* Scores every row of [data] in file order: the deck's split is switched off
 * (lt_cmd_begin, LT_CMD_ALL_ROWS) so the labels file lines up with the rows. */
lt_status lt_cmd_score(lt_cli *cli)
{
    lt_cmd x;
    LT_CALL(lt_cmd_begin(cli, "score", LT_CMD_NEEDS_LABELS | LT_CMD_ALL_ROWS, &x));
    int32_t *truth = x.train->y; /* [data] labels, replaced by the --labels file */
    x.train->y = NULL;
    score_result r;
    lt_status st = lt_npy_read_labels(x.c, cli->labels, x.train);
    if (st == LT_OK) st = scores(&x, truth, &r);
    if (st == LT_OK) st = score_report(&x, &r);
    free(truth);
    return lt_cmd_end(&x, st);
}
