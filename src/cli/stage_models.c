/* The PCA and autoencoder stages of `latent run`: deck keys -> module options. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "latent/lt_log.h"
#include "checkpoint.h"
#include "run.h"

static float *to_float(const double *v, int64_t n)
{
    float *f = lt_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; f && i < n; i++) f[i] = (float)v[i];
    return f;
}

lt_status lt_pca_opts_from_config(const lt_config *cfg, lt_pca_opts *o)
{
    lt_pca_opts_default(o);
    o->n_components = cfg->pca.n_components;
    o->block_size = cfg->pca.block_size;
    o->replicated_max_d = cfg->pca.replicated_max_d;
    LT_CALL(lt_error_in_key(lt_pca_method_parse(cfg->pca.method, &o->method), "[pca] method"));
    LT_CALL(lt_error_in_key(lt_pca_precision_parse(cfg->pca.precision, &o->precision),
                            "[pca] precision"));
    LT_CALL(lt_error_in_key(lt_pca_gram_kernel_parse(cfg->pca.gram_kernel, &o->gram_kernel),
                            "[pca] gram_kernel"));
    LT_CALL(lt_error_in_key(lt_pca_slepc_solver_parse(cfg->pca.slepc_solver, &o->slepc_solver),
                            "[pca] slepc_solver"));
    o->slepc_tol = cfg->pca.slepc_tol;
    return LT_OK;
}

lt_status lt_stage_pca(lt_run *r)
{
    lt_comm *c = r->c;
    lt_pca_opts o;
    LT_CALL(lt_pca_opts_from_config(&r->cfg, &o));
    LT_CALL(lt_pca_fit(c, &o, r->train, &r->pca));
    const lt_pca *p = r->pca;
    lt_log(c, "PCA: %s (%s), %lld components, explained variance ratio", lt_pca_method_name(p->info.method),
           p->info.reason, (long long)p->n_components);
    for (int64_t i = 0; i < p->n_components && i < 8; i++) lt_log(c, " %.4f", p->explained_variance_ratio[i]);
    lt_log(c, "\n");
    if (p->info.n_constant_columns)
        lt_log(c, "PCA: warning: %lld constant columns\n", (long long)p->info.n_constant_columns);
    LT_CALL(lt_pca_transform(c, p, r->train, &r->pca_train));
    LT_CALL(lt_pca_transform(c, p, r->test, &r->pca_test));
    double *rowerr = NULL;
    LT_CALL(lt_pca_reconstruction_error(c, p, r->train, &r->pca_mse_train, r->eval_is_test ? NULL : &rowerr));
    r->pca_mse_test = NAN;
    if (r->test->n > 0)
        LT_CALL(lt_pca_reconstruction_error(c, p, r->test, &r->pca_mse_test, r->eval_is_test ? &rowerr : NULL));
    const lt_dataset *ev = lt_run_eval(r, LT_SPACE_RAW);
    r->pca_rowerr = to_float(rowerr, ev->nloc);
    free(rowerr);
    LT_AGREE_ALLOC(c, r->pca_rowerr);
    lt_log_mse(c, "PCA", r->pca_mse_train, r->pca_mse_test);
    return LT_OK;
}

static lt_status parse_widths(const char *text, int64_t d, int *w, int *n)
{
    double v[LT_AE_MAX_LAYERS];
    if (!text[0]) {
        w[0] = (int)d, w[1] = 2, w[2] = (int)d, *n = 3;
        return LT_OK;
    }
    LT_CALL(lt_parse_list_d(text, ',', v, LT_AE_MAX_LAYERS, n));
    for (int i = 0; i < *n; i++) {
        LT_CHECK(v[i] >= 1 && v[i] == (int)v[i], LT_ERR_CONFIG,
                 "[autoencoder] layers = '%s': widths must be positive integers", text);
        w[i] = (int)v[i];
    }
    return LT_OK;
}

static int narrowest(const int *w, int n)
{
    int b = 1;
    for (int i = 2; i < n - 1; i++)
        if (w[i] < w[b]) b = i;
    return b;
}

/* activations = "a,b,c" (one per weight layer) or the hidden/bottleneck/output trio. */
static lt_status set_activations(const lt_cfg_autoencoder *a, lt_ae_opts *o)
{
    int nw = o->nlayers - 1;
    if (a->activations[0]) {
        char buf[LT_LIST_MAX];
        snprintf(buf, sizeof buf, "%s", a->activations);
        int i = 0;
        for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save), i++) {
            LT_CHECK(i < nw, LT_ERR_CONFIG, "[autoencoder] activations: more than %d entries (one per weight layer)", nw);
            LT_CALL(lt_error_in_key(lt_activation_parse(t, &o->act[i]), "[autoencoder] activations"));
        }
        LT_CHECK(i == nw, LT_ERR_CONFIG, "[autoencoder] activations has %d entries; the %d layers need %d",
                 i, o->nlayers, nw);
        return LT_OK;
    }
    int code = o->bottleneck >= 0 ? o->bottleneck : narrowest(o->widths, o->nlayers);
    for (int l = 0; l < nw; l++) {
        int out = l == nw - 1, bn = !out && l == code - 1;
        const char *name = out ? a->output_activation : bn ? a->bottleneck_activation : a->activation;
        const char *key = out ? "[autoencoder] output_activation"
                          : bn ? "[autoencoder] bottleneck_activation" : "[autoencoder] activation";
        LT_CALL(lt_error_in_key(lt_activation_parse(name, &o->act[l]), key));
    }
    return LT_OK;
}

/* input_shape = "h, w, c" (its product must be the data width d) or "" (a
 * flat row: {0, 0, d}). */
static lt_status parse_input_shape(const char *text, int64_t d, int *shape)
{
    shape[0] = shape[1] = 0, shape[2] = (int)d;
    if (!text[0]) return LT_OK;
    double v[4];
    int n = 0;
    LT_CALL(lt_parse_list_d(text, ',', v, 4, &n));
    LT_CHECK(n == 3, LT_ERR_CONFIG,
             "[autoencoder] input_shape = '%s': expected height, width, channels", text);
    for (int i = 0; i < 3; i++) {
        LT_CHECK(v[i] >= 1 && v[i] <= 1e7 && v[i] == (int)v[i], LT_ERR_CONFIG,
                 "[autoencoder] input_shape = '%s': sizes must be positive integers", text);
        shape[i] = (int)v[i];
    }
    int64_t prod = (int64_t)shape[0] * shape[1] * shape[2];
    LT_CHECK(prod == d, LT_ERR_DATA,
             "[autoencoder] input_shape = %d, %d, %d holds %lld values per row, but the data has "
             "%lld columns",
             shape[0], shape[1], shape[2], (long long)prod, (long long)d);
    return LT_OK;
}

static lt_status stack_from_config(const lt_cfg_autoencoder *a, int64_t d, lt_ae_opts *o)
{
    LT_CHECK(!a->layers[0], LT_ERR_CONFIG,
             "[autoencoder] set either 'layers' (dense widths) or 'stack', not both");
    LT_CHECK(!a->activations[0], LT_ERR_CONFIG,
             "[autoencoder] 'activations' applies to 'layers'; in a stack each layer names its own");
    LT_CALL(lt_error_in_key(lt_stack_parse(a->stack, o->stack, LT_AE_MAX_LAYERS - 1, &o->nstack),
                            "[autoencoder] stack"));
    return parse_input_shape(a->input_shape, d, o->input_shape);
}

lt_status lt_ae_opts_from_config(const lt_config *cfg, int64_t d, lt_ae_opts *o)
{
    int w[LT_AE_MAX_LAYERS], n = 0;
    lt_ae_opts_default(o);
    if (cfg->autoencoder.stack[0]) {
        LT_CALL(stack_from_config(&cfg->autoencoder, d, o));
        o->bottleneck = (int)cfg->autoencoder.bottleneck;
        o->l2 = cfg->train.l2;
        o->seed = cfg->train.seed;
        LT_CALL(lt_loss_parse(cfg->train.loss, &o->loss));
        return LT_OK;
    }
    int shape[3];
    LT_CALL(parse_input_shape(cfg->autoencoder.input_shape, d, shape));
    LT_CALL(parse_widths(cfg->autoencoder.layers, d, w, &n));
    LT_CALL(lt_ae_opts_set_widths(o, w, n));
    o->bottleneck = (int)cfg->autoencoder.bottleneck;
    o->l2 = cfg->train.l2;
    o->seed = cfg->train.seed;
    LT_CALL(lt_error_in_key(lt_loss_parse(cfg->train.loss, &o->loss), "[train] loss"));
    LT_CALL(set_activations(&cfg->autoencoder, o));
    return LT_OK;
}

lt_status lt_ae_log_start(lt_comm *c, const lt_config *cfg, const lt_ae *ae, const lt_train_opts *to,
                          int64_t rows)
{
    const lt_cfg_autoencoder *ac = &cfg->autoencoder;
    char what[64], sum[8192];
    if (ae->arch.nstack > 0) snprintf(what, sizeof what, "stack of %d layers", ae->arch.nstack);
    lt_log(c, "autoencoder: %s, %lld parameters, %s, %s, batch %lld, %d epochs on %lld rows\n",
           ae->arch.nstack > 0 ? what : ac->layers[0] ? ac->layers : "d,2,d", (long long)ae->nparams,
           lt_loss_name(ae->arch.loss), lt_optimizer_name(to->optimizer), (long long)to->batch_size,
           to->epochs, (long long)rows);
    LT_CALL(lt_ae_summary(ae, sum, sizeof sum));
    lt_log(c, "%s", sum);
    return LT_OK;
}

lt_status lt_train_opts_from_config(const lt_config *cfg, lt_train_opts *o)
{
    const lt_cfg_train *t = &cfg->train;
    lt_train_opts_default(o);
    LT_CALL(lt_error_in_key(lt_optimizer_parse(t->optimizer, &o->optimizer), "[train] optimizer"));
    o->lr = t->learning_rate;
    o->momentum = t->momentum;
    o->nesterov = t->nesterov;
    o->beta1 = t->beta1, o->beta2 = t->beta2, o->epsilon = t->epsilon, o->rho = t->rho;
    o->batch_size = t->batch_size;
    o->epochs = (int)t->epochs;
    o->seed = t->seed;
    o->shuffle = t->shuffle;
    o->noise_factor = t->noise_factor;
    o->patience = (int)t->patience;
    o->min_delta = t->min_delta;
    o->flush_denormals = t->flush_denormals;
    o->lbfgs_max_fun = t->lbfgs_max_fun;
    o->lbfgs_history = (int)t->lbfgs_history;
    o->lbfgs_tol = t->lbfgs_tol;
    return LT_OK;
}

/* Rank 0 prints one line per epoch; within long epochs, a progress line at
 * most every 2 s (rewritten in place on a terminal). */
typedef struct {
    lt_comm *c;
    double last;
    const lt_config *cfg;
    lt_ae *ae;
    lt_status ckpt; /* first failure of a periodic checkpoint */
    volatile sig_atomic_t *stop;
    long stop_at;   /* LATENT_STOP_AT_EPOCH: act as if signalled after that epoch (tests) */
    long kill_at;   /* LATENT_KILL_AT_EPOCH: the last rank dies by SIGKILL after that epoch (tests) */
} progress;

void lt_print_epoch(const lt_comm *c, const lt_epoch_report *e, int cr)
{
    if (lt_comm_rank(c) != 0 || e->kind != 1) return;
    char val[32] = "-";
    if (!isnan(e->val_loss)) snprintf(val, sizeof val, "%.6f", e->val_loss);
    printf("%s  epoch %3d/%d  loss %.6f  val %s  %9.0f samples/s  %.2f s (allreduce %.2f s)\n",
           cr ? "\r" : "", e->epoch, e->epochs, e->train_loss, val, e->samples_per_sec, e->seconds,
           e->comm_seconds);
    fflush(stdout);
}

static void on_epoch(const lt_epoch_report *e, void *ctx)
{
    progress *p = ctx;
    int64_t every = p->cfg->train.checkpoint_every;
    /* Called on every rank at the same point, so the collective save is safe. */
    if (e->kind == 1 && every > 0 && e->epoch % every == 0 && p->ckpt == LT_OK)
        p->ckpt = lt_ckpt_save(p->c, p->cfg, p->ae);
    if (e->kind == 1 && p->stop_at > 0 && e->epoch == p->stop_at && lt_comm_rank(p->c) == lt_comm_size(p->c) - 1)
        *p->stop = 1; /* on the last rank only: the agreement must come from the allreduce */
    /* Test hook (tests/cli/killrank.sh): a rank lost for good, after that
     * epoch's periodic checkpoint; the others are left in the next allreduce. */
    if (e->kind == 1 && p->kill_at > 0 && e->epoch == p->kill_at && lt_comm_rank(p->c) == lt_comm_size(p->c) - 1) {
        fflush(NULL);
        raise(SIGKILL);
    }
    if (lt_comm_rank(p->c) != 0) return;
    int tty = isatty(STDOUT_FILENO);
    if (e->kind == 0) {
        double now = lt_wtime();
        if (now - p->last < 2.0) return;
        p->last = now;
        printf("%s  epoch %d/%d: %3.0f%% of %lld steps%s", tty ? "\r" : "", e->epoch, e->epochs,
               100.0 * (double)e->step / (double)e->nsteps, (long long)e->nsteps, tty ? "" : "\n");
        fflush(stdout);
        return;
    }
    lt_print_epoch(p->c, e, tty);
    p->last = lt_wtime();
}

static lt_status ae_errors(lt_run *r)
{
    lt_comm *c = r->c;
    lt_dataset *e_train = NULL, *e_test = NULL;
    LT_CALL(lt_ae_row_errors(c, r->ae, r->train, &e_train, &r->ae_mse_train));
    r->ae_mse_test = NAN;
    lt_status st = LT_OK;
    if (r->test->n > 0) st = lt_ae_row_errors(c, r->ae, r->test, &e_test, &r->ae_mse_test);
    const lt_dataset *errs = r->eval_is_test ? e_test : e_train;
    if (st == LT_OK) {
        r->ae_rowerr = lt_malloc(sizeof(float) * (size_t)(errs->nloc + 1));
        for (int64_t i = 0; r->ae_rowerr && i < errs->nloc; i++) r->ae_rowerr[i] = errs->x[i * 2 + 1];
        st = lt_comm_agree(c, r->ae_rowerr ? LT_OK : LT_ERR_MEM);
    }
    lt_dataset_destroy(&e_train);
    lt_dataset_destroy(&e_test);
    return st;
}

/* A stop request (signal) ended training: checkpoint, then fail with exit 5. */
static lt_status interrupted(lt_run *r)
{
    char dir[LT_PATH_MAX + 32];
    lt_ckpt_dir(&r->cfg, dir, sizeof dir);
    LT_CALL(lt_ckpt_save(r->c, &r->cfg, r->ae));
    LT_FAIL(LT_ERR_INTERRUPTED,
            "stopped by a signal at epoch %d, batch %lld; checkpoint written to %s; continue with: "
            "latent run --resume %s", r->ae->epoch + (r->ae->step > 0), (long long)r->ae->step, dir,
            r->cfg.output.dir);
}

lt_status lt_stage_check_stop(lt_run *r)
{
    int64_t f = r->cli->stop ? *r->cli->stop : 0;
    LT_CALL(lt_comm_max_i64(r->c, &f, 1));
    if (!f) return LT_OK;
    char dir[LT_PATH_MAX + 32];
    lt_ckpt_dir(&r->cfg, dir, sizeof dir);
    if (!r->ae)
        LT_FAIL(LT_ERR_INTERRUPTED, "stopped by a signal; no autoencoder to checkpoint: run the deck again");
    LT_CALL(lt_ckpt_save_trained(r->c, &r->cfg, r->ae));
    LT_FAIL(LT_ERR_INTERRUPTED,
            "stopped by a signal after training; the trained model is checkpointed in %s; continue "
            "(clustering and report) with: latent run --resume %s", dir, r->cfg.output.dir);
}

lt_status lt_stage_autoencoder(lt_run *r)
{
    lt_comm *c = r->c;
    lt_ae_opts ao;
    lt_train_opts to;
    LT_CALL(lt_ae_opts_from_config(&r->cfg, r->train->d, &ao));
    LT_CALL(lt_train_opts_from_config(&r->cfg, &to));
    int trained = 0;
    if (r->cli->resume) LT_CALL(lt_ckpt_load(c, &r->cfg, &r->ae, &trained));
    else LT_CALL(lt_ae_create(c, &ao, &r->ae));
    if (trained) to.epochs = r->ae->epoch; /* no more epochs, nor early-stopping ones */
    to.stop_request = r->cli->stop;
    LT_CALL(lt_ae_log_start(c, &r->cfg, r->ae, &to, r->train->n));
    lt_timer_start(&r->cli->timer, LT_STAGE_TRAIN);
    const char *stop_at = getenv("LATENT_STOP_AT_EPOCH");
    const char *kill_at = getenv("LATENT_KILL_AT_EPOCH");
    progress prog = {c, lt_wtime(), &r->cfg, r->ae, LT_OK, r->cli->stop, stop_at ? atol(stop_at) : 0,
                     kill_at ? atol(kill_at) : 0};
    lt_status st = lt_ae_fit(c, r->ae, &to, r->train, r->test->n > 0 ? r->test : NULL, on_epoch, &prog);
    lt_timer_stop(&r->cli->timer, LT_STAGE_TRAIN);
    if (st == LT_ERR_INTERRUPTED) return interrupted(r);
    LT_CALL(st);
    LT_CALL(prog.ckpt);
    lt_timer_start(&r->cli->timer, LT_STAGE_ENCODE);
    LT_CALL(lt_ae_encode(c, r->ae, r->train, &r->ae_train));
    LT_CALL(lt_ae_encode(c, r->ae, r->test, &r->ae_test));
    LT_CALL(ae_errors(r));
    lt_timer_stop(&r->cli->timer, LT_STAGE_ENCODE);
    lt_log_mse(c, "autoencoder", r->ae_mse_train, r->ae_mse_test);
    /* Test hook: act as if a signal came right after training (last rank only). */
    if (getenv("LATENT_STOP_AFTER_TRAINING") && lt_comm_rank(c) == lt_comm_size(c) - 1 && r->cli->stop) *r->cli->stop = 1;
    return LT_OK;
}
