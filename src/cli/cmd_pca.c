/* `latent pca`: fit PCA on the deck's training rows, or apply a saved model. */
#include <math.h>
#include <stdlib.h>

#include "cmd.h"
#include "run.h"
#include "latent/lt_log.h"
#include "latent/lt_pca.h"

/* The [pca] keys as lt_stage_pca maps them (its mapping is private to the pipeline). */

/* Scores and per-row reconstruction errors of one split; *mse is NaN when empty. */
static lt_status apply_split(lt_cmd *x, const lt_pca *p, const lt_dataset *ds, const char *split,
                             double *mse)
{
    *mse = NAN;
    if (ds->n == 0) return LT_OK;
    char rel[128];
    lt_dataset *scores = NULL, *errs = NULL;
    double *rowerr = NULL;
    LT_CALL(lt_pca_transform(x->c, p, ds, &scores));
    snprintf(rel, sizeof rel, "pca_scores_%s.npy", split);
    lt_status st = lt_cmd_write(x, rel, scores, 1);
    if (st == LT_OK) st = lt_pca_reconstruction_error(x->c, p, ds, mse, &rowerr);
    if (st == LT_OK) st = lt_cmd_column(x->c, ds, rowerr, &errs);
    snprintf(rel, sizeof rel, "pca_row_errors_%s.npy", split);
    if (st == LT_OK) st = lt_cmd_write(x, rel, errs, 0);
    free(rowerr);
    lt_dataset_destroy(&scores);
    lt_dataset_destroy(&errs);
    return st;
}

static void print_model(const lt_comm *c, const lt_pca *p, int loaded)
{
    if (loaded)
        lt_log(c, "PCA model: %lld columns -> %lld components, fitted on %lld rows\n",
               (long long)p->n_features, (long long)p->n_components, (long long)p->n_samples);
    else
        lt_log(c, "PCA: %s (%s), %lld components\n", lt_pca_method_name(p->info.method),
               p->info.reason, (long long)p->n_components);
    lt_log(c, "PCA: explained variance ratio");
    double sum = 0;
    for (int64_t i = 0; i < p->n_components; i++) {
        sum += p->explained_variance_ratio[i];
        if (i < 8) lt_log(c, " %.4f", p->explained_variance_ratio[i]);
    }
    lt_log(c, "%s (total %.4f)\n", p->n_components > 8 ? " ..." : "", sum);
    if (p->info.n_constant_columns)
        lt_log(c, "PCA: warning: %lld constant columns\n", (long long)p->info.n_constant_columns);
}

static lt_status get_model(lt_cmd *x, lt_pca **p)
{
    if (x->cli->model) {
        LT_CALL(lt_pca_load(x->c, x->cli->model, p));
        LT_CHECK((*p)->n_features == x->train->d, LT_ERR_DATA,
                 "PCA model %s expects %lld columns but the deck's data have %lld",
                 x->cli->model, (long long)(*p)->n_features, (long long)x->train->d);
        return LT_OK;
    }
    lt_pca_opts o;
    LT_CALL(lt_pca_opts_from_config(&x->cfg, &o));
    LT_CALL(lt_pca_fit(x->c, &o, x->train, p));
    char path[LT_PATH_MAX + 256];
    LT_CALL(lt_cmd_path(x, "pca_model.h5", path, sizeof path));
    return lt_pca_save(x->c, *p, path);
}

static lt_status pca_metrics(lt_cmd *x, const lt_pca *p, double mse_train, double mse_test)
{
    lt_metrics *m = x->m;
    LT_CALL(lt_metrics_set_string(m, "pca.method", lt_pca_method_name(p->info.method)));
    LT_CALL(lt_metrics_set_string(m, "pca.method_reason", x->cli->model ? "loaded" : p->info.reason));
    LT_CALL(lt_metrics_set_string(m, "pca.gram_kernel",
                                  x->cli->model ? "loaded" : lt_pca_gram_kernel_name(p->info.gram_kernel)));
    LT_CALL(lt_metrics_set_number(m, "pca.n_components", (double)p->n_components));
    LT_CALL(lt_metrics_set_array_d(m, "pca.explained_variance_ratio", p->explained_variance_ratio, p->n_components));
    LT_CALL(lt_metrics_set_array_d(m, "pca.explained_variance", p->explained_variance, p->n_components));
    LT_CALL(lt_metrics_set_array_d(m, "pca.singular_values", p->singular_values, p->n_components));
    LT_CALL(lt_metrics_set_number(m, "pca.reconstruction_mse.train", mse_train));
    return lt_metrics_set_number(m, "pca.reconstruction_mse.test", mse_test);
}

/* With --model the split still decides the file names; all rows are transformed. */
lt_status lt_cmd_pca(lt_cli *cli)
{
    lt_cmd x;
    LT_CALL(lt_cmd_begin(cli, "pca", 0, &x));
    lt_pca *p = NULL;
    double mse_train = NAN, mse_test = NAN;
    lt_timer_start(&cli->timer, LT_STAGE_PCA);
    lt_status st = get_model(&x, &p);
    lt_timer_stop(&cli->timer, LT_STAGE_PCA);
    if (st == LT_OK) print_model(x.c, p, cli->model != NULL);
    lt_timer_start(&cli->timer, LT_STAGE_REPORT);
    if (st == LT_OK) st = apply_split(&x, p, x.train, "train", &mse_train);
    if (st == LT_OK) st = apply_split(&x, p, x.test, "test", &mse_test);
    lt_timer_stop(&cli->timer, LT_STAGE_REPORT);
    if (st == LT_OK) {
        lt_log_mse(x.c, "PCA", mse_train, mse_test);
        st = pca_metrics(&x, p, mse_train, mse_test);
    }
    lt_pca_destroy(&p);
    return lt_cmd_end(&x, st);
}
