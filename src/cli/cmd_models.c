/* The frame of the single-stage commands: deck, data, results folder,
 * metrics.json. The commands themselves are in cmd_pca.c, cmd_train.c and
 * cmd_cluster.c. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "latent/lt_io.h"
#include "latent/lt_log.h"

static lt_status load_data(lt_cmd *x)
{
    lt_dataset *all = NULL;
    lt_timer *t = &x->cli->timer;
    lt_timer_start(t, LT_STAGE_DATA);
    lt_status st = lt_stage_load(x->c, &x->cfg, &all);
    lt_timer_stop(t, LT_STAGE_DATA);
    LT_CALL(st);
    lt_timer_start(t, LT_STAGE_PREPROCESS);
    st = lt_stage_preprocess(x->c, &x->cfg, &all, &x->train, &x->test);
    lt_timer_stop(t, LT_STAGE_PREPROCESS);
    lt_dataset_destroy(&all);
    LT_CALL(st);
    lt_log(x->c, "data: %lld training rows, %lld test rows, %lld columns (scaler %s)\n",
           (long long)x->train->n, (long long)x->test->n, (long long)x->train->d,
           x->cfg.preprocess.scaler);
    return LT_OK;
}

static void cmd_free(lt_cmd *x)
{
    lt_dataset_destroy(&x->train);
    lt_dataset_destroy(&x->test);
    lt_metrics_destroy(&x->m);
}

lt_status lt_cmd_begin(lt_cli *cli, const char *name, int needs, lt_cmd *x)
{
    memset(x, 0, sizeof *x);
    x->cli = cli, x->c = cli->comm, x->name = name;
    /* Usage errors before the banner and before any folder exists. */
    LT_CHECK(cli->deck, LT_ERR_ARG, "usage: latent %s DECK.ini ... (see `latent %s --help`)", name, name);
    LT_CHECK(!(needs & LT_CMD_NEEDS_MODEL) || (cli->model && cli->model[0]), LT_ERR_ARG,
             "`latent %s` needs --model FILE", name);
    LT_CHECK(!(needs & LT_CMD_NEEDS_LABELS) || (cli->labels && cli->labels[0]), LT_ERR_ARG,
             "`latent %s` needs --labels FILE.npy", name);
    LT_CALL(lt_cli_setup(cli, &x->cfg));
    if ((needs & LT_CMD_ALL_ROWS) && x->cfg.preprocess.test_fraction > 0) {
        lt_log(x->c, "note: `latent %s` uses every row in file order: test_fraction %g ignored\n", name,
               x->cfg.preprocess.test_fraction);
        x->cfg.preprocess.test_fraction = 0;
    }
    if ((needs & LT_CMD_ALL_ROWS) && x->cfg.data.test_path[0]) {
        lt_log(x->c, "note: `latent %s` uses the rows of [data] path only: test_path ignored\n", name);
        x->cfg.data.test_path[0] = '\0';
    }
    LT_CALL(lt_results_begin(x->c, x->cfg.output.dir, x->cfg.output.force, &x->res));
    lt_status st = lt_comm_agree(x->c, lt_metrics_create(&x->m));
    if (st == LT_OK) st = load_data(x);
    if (st != LT_OK) {
        lt_results_abort(x->c, &x->res);
        cmd_free(x);
    }
    return st;
}

/* Local setters first, agreed, then the collective parts: a failing setter
 * on one rank must not skip a collective the others enter. */
static lt_status set_common(lt_cmd *x)
{
    lt_metrics *m = x->m;
    LT_CALL(lt_cli_put_config(m, &x->cfg));
    LT_CALL(lt_metrics_set_string(m, "latent_version", LATENT_VERSION));
    LT_CALL(lt_metrics_set_string(m, "command", x->name));
    LT_CALL(lt_metrics_set_number(m, "ranks", lt_comm_size(x->c)));
    if (x->cli->model) LT_CALL(lt_metrics_set_string(m, "model", x->cli->model));
    if (x->cli->labels) LT_CALL(lt_metrics_set_string(m, "labels", x->cli->labels));
    LT_CALL(lt_metrics_set_number(m, "data.n_train", (double)x->train->n));
    LT_CALL(lt_metrics_set_number(m, "data.n_test", (double)x->test->n));
    return lt_metrics_set_number(m, "data.n_features", (double)x->train->d);
}

static lt_status write_metrics(lt_cmd *x)
{
    LT_CALL(lt_comm_agree(x->c, set_common(x)));
    LT_CALL(lt_metrics_set_timings(x->m, &x->cli->timer, x->c));
    char path[LT_PATH_MAX + 256];
    LT_CALL(lt_cmd_path(x, "metrics.json", path, sizeof path));
    return lt_metrics_write(x->c, x->m, path);
}

lt_status lt_cmd_end(lt_cmd *x, lt_status st)
{
    st = lt_comm_agree(x->c, st);
    if (st == LT_OK) st = write_metrics(x);
    st = lt_results_commit(x->c, st, &x->res);
    if (st != LT_OK) lt_results_abort(x->c, &x->res);
    else lt_log(x->c, "results: %s\n", x->cfg.output.dir);
    cmd_free(x);
    return st;
}

lt_status lt_cmd_path(lt_cmd *x, const char *rel, char *buf, size_t cap)
{
    /* Agreed, so a rank that cannot make the folder does not skip the collective write. */
    return lt_comm_agree(x->c, lt_results_path(x->res, rel, buf, cap));
}

lt_status lt_cmd_has_labels(lt_comm *c, const lt_dataset *ds, int *has)
{
    int64_t h = ds->y != NULL || ds->nloc == 0;
    int64_t any = ds->y != NULL;
    LT_CALL(lt_comm_min_i64(c, &h, 1));
    LT_CALL(lt_comm_max_i64(c, &any, 1));
    *has = h && any;
    return LT_OK;
}

lt_status lt_cmd_write(lt_cmd *x, const char *rel, const lt_dataset *ds, int with_labels)
{
    char path[LT_PATH_MAX + 256];
    LT_CALL(lt_cmd_path(x, rel, path, sizeof path));
    LT_CALL(lt_npy_write(x->c, path, ds));
    int has = 0;
    if (with_labels) LT_CALL(lt_cmd_has_labels(x->c, ds, &has));
    if (!has) return LT_OK;
    char *dot = strrchr(path, '.');
    if (dot && !strcmp(dot, ".npy")) *dot = '\0';
    strncat(path, "_labels.npy", sizeof path - strlen(path) - 1);
    return lt_npy_write_labels(x->c, path, ds);
}

lt_status lt_cmd_write_labels(lt_cmd *x, const char *rel, const lt_dataset *ds, int32_t *labels)
{
    char path[LT_PATH_MAX + 256];
    lt_dataset view = *ds;
    view.y = labels;
    LT_CALL(lt_cmd_path(x, rel, path, sizeof path));
    return lt_npy_write_labels(x->c, path, &view);
}

lt_status lt_cmd_column(lt_comm *c, const lt_dataset *ref, const double *v, lt_dataset **out)
{
    LT_CALL(lt_dataset_create_like(c, ref, 1, LT_LIKE_NO_LABELS, out));
    for (int64_t i = 0; i < ref->nloc; i++) (*out)->x[i] = (float)v[i];
    return LT_OK;
}
