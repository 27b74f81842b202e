/* `latent train`, `latent encode`, `latent decode`: the autoencoder alone. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd.h"
#include "latent/lt_log.h"
#include "run.h"

/* One line per epoch (the pipeline adds progress lines and checkpoints). */
static void on_epoch(const lt_epoch_report *e, void *ctx) { lt_print_epoch(ctx, e, 0); }

/* Codes (encode) and per-row errors of one split; *mse is NaN when empty. */
static lt_status encode_split(lt_cmd *x, lt_ae *ae, const lt_dataset *ds, const char *split,
                              double *mse)
{
    *mse = NAN;
    if (ds->n == 0) return LT_OK;
    char rel[128];
    lt_dataset *codes = NULL, *errs = NULL;
    LT_CALL(lt_ae_encode(x->c, ae, ds, &codes));
    snprintf(rel, sizeof rel, "ae_codes_%s.npy", split);
    lt_status st = lt_cmd_write(x, rel, codes, 1);
    if (st == LT_OK) st = lt_ae_row_errors(x->c, ae, ds, &errs, mse);
    snprintf(rel, sizeof rel, "ae_row_errors_%s.npy", split);
    if (st == LT_OK) st = lt_cmd_write(x, rel, errs, 0);
    lt_dataset_destroy(&codes);
    lt_dataset_destroy(&errs);
    return st;
}

static lt_status encode_all(lt_cmd *x, lt_ae *ae)
{
    double mse_train, mse_test;
    lt_timer_start(&x->cli->timer, LT_STAGE_ENCODE);
    lt_status st = encode_split(x, ae, x->train, "train", &mse_train);
    if (st == LT_OK) st = encode_split(x, ae, x->test, "test", &mse_test);
    lt_timer_stop(&x->cli->timer, LT_STAGE_ENCODE);
    LT_CALL(st);
    lt_log(x->c, "autoencoder: %lld-wide codes, reconstruction MSE train %.6g, test %.6g\n",
           (long long)ae->arch.widths[ae->code], mse_train, mse_test);
    LT_CALL(lt_metrics_set_number(x->m, "autoencoder.code_width", ae->arch.widths[ae->code]));
    LT_CALL(lt_metrics_set_number(x->m, "autoencoder.reconstruction_mse.train", mse_train));
    return lt_metrics_set_number(x->m, "autoencoder.reconstruction_mse.test", mse_test);
}

static lt_status history_metrics(lt_cmd *x, const lt_ae *ae)
{
    const lt_train_history *h = &ae->hist;
    lt_metrics *m = x->m;
    LT_CALL(lt_metrics_set_number(m, "autoencoder.parameters", (double)ae->nparams));
    LT_CALL(lt_metrics_set_number(m, "autoencoder.epochs_run", h->n));
    LT_CALL(lt_metrics_set_array_d(m, "autoencoder.loss_history.train", h->train_loss, h->n));
    LT_CALL(lt_metrics_set_array_d(m, "autoencoder.loss_history.validation", h->val_loss, h->n));
    LT_CALL(lt_metrics_set_array_d(m, "autoencoder.loss_history.seconds", h->seconds, h->n));
    return lt_metrics_set_array_d(m, "autoencoder.loss_history.samples_per_sec", h->samples_per_sec, h->n);
}

static lt_status train(lt_cmd *x, lt_ae **ae)
{
    lt_ae_opts ao;
    lt_train_opts to;
    LT_CALL(lt_ae_opts_from_config(&x->cfg, x->train->d, &ao));
    LT_CALL(lt_train_opts_from_config(&x->cfg, &to));
    LT_CALL(lt_ae_create(x->c, &ao, ae));
    LT_CALL(lt_ae_log_start(x->c, &x->cfg, *ae, &to, x->train->n));
    lt_timer_start(&x->cli->timer, LT_STAGE_TRAIN);
    lt_status st = lt_ae_fit(x->c, *ae, &to, x->train, x->test->n > 0 ? x->test : NULL, on_epoch, x->c);
    lt_timer_stop(&x->cli->timer, LT_STAGE_TRAIN);
    LT_CALL(st);
    char path[LT_PATH_MAX + 256];
    LT_CALL(lt_cmd_path(x, "ae_model.h5", path, sizeof path));
    return lt_ae_save(x->c, *ae, path);
}

lt_status lt_cmd_train(lt_cli *cli)
{
    lt_cmd x;
    LT_CALL(lt_cmd_begin(cli, "train", 0, &x));
    lt_ae *ae = NULL;
    lt_status st = train(&x, &ae);
    if (st == LT_OK) st = encode_all(&x, ae);
    if (st == LT_OK) st = history_metrics(&x, ae); /* local: after the collectives */
    lt_ae_destroy(&ae);
    return lt_cmd_end(&x, st);
}

/* Loads --model and checks the data width against the layer `layer` of it. */
static lt_status load_model(lt_cmd *x, int code_layer, lt_ae **ae)
{
    LT_CALL(lt_ae_load(x->c, x->cli->model, ae));
    const lt_ae *a = *ae;
    int want = code_layer ? a->arch.widths[a->code] : a->arch.widths[0];
    LT_CHECK(x->train->d == want, LT_ERR_DATA,
             "autoencoder %s expects %s of %d columns but the deck's data have %lld", x->cli->model,
             code_layer ? "codes" : "rows", want, (long long)x->train->d);
    lt_log(x->c, "autoencoder %s: widths", x->cli->model);
    for (int i = 0; i < a->arch.nlayers; i++) lt_log(x->c, "%s%d", i ? "," : " ", a->arch.widths[i]);
    lt_log(x->c, " (code layer %d), trained %d epochs\n", a->code, a->epoch);
    return LT_OK;
}

lt_status lt_cmd_encode(lt_cli *cli)
{
    lt_cmd x;
    LT_CALL(lt_cmd_begin(cli, "encode", LT_CMD_NEEDS_MODEL, &x));
    lt_ae *ae = NULL;
    lt_status st = load_model(&x, 0, &ae);
    if (st == LT_OK) st = encode_all(&x, ae);
    lt_ae_destroy(&ae);
    return lt_cmd_end(&x, st);
}

static lt_status decode_split(lt_cmd *x, lt_ae *ae, const lt_dataset *z, const char *split)
{
    if (z->n == 0) return LT_OK;
    lt_dataset *rec = NULL;
    char rel[128];
    LT_CALL(lt_ae_decode(x->c, ae, z, &rec));
    snprintf(rel, sizeof rel, "ae_decoded_%s.npy", split);
    lt_status st = lt_cmd_write(x, rel, rec, 1);
    lt_dataset_destroy(&rec);
    return st;
}

lt_status lt_cmd_decode(lt_cli *cli)
{
    lt_cmd x;
    LT_CALL(lt_cmd_begin(cli, "decode", LT_CMD_NEEDS_MODEL, &x));
    lt_ae *ae = NULL;
    lt_status st = load_model(&x, 1, &ae);
    lt_timer_start(&cli->timer, LT_STAGE_ENCODE);
    if (st == LT_OK) st = decode_split(&x, ae, x.train, "train");
    if (st == LT_OK) st = decode_split(&x, ae, x.test, "test");
    lt_timer_stop(&cli->timer, LT_STAGE_ENCODE);
    if (st == LT_OK) {
        lt_log(x.c, "decoded %lld + %lld rows into %d columns\n", (long long)x.train->n,
               (long long)x.test->n, ae->arch.widths[0]);
        st = lt_metrics_set_number(x.m, "autoencoder.output_width", ae->arch.widths[0]);
    }
    lt_ae_destroy(&ae);
    return lt_cmd_end(&x, st);
}
