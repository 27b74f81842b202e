/* The autoencoder object: options, creation, initialisation, inference. */
#include "nn_internal.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *act_names[] = {"linear", "sigmoid", "relu", "tanh"};
static const char *loss_names[] = {"mse", "bce"};
static const char *opt_names[] = {"sgd", "adam", "rmsprop"};

static int lookup(const char *name, const char **names, int n)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

lt_status lt_activation_parse(const char *name, lt_activation *out)
{
    int i = lookup(name, act_names, 4);
    LT_CHECK(i >= 0, LT_ERR_CONFIG,
             "unknown activation '%s' (expected linear, sigmoid, relu or tanh)", name ? name : "");
    *out = (lt_activation)i;
    return LT_OK;
}

lt_status lt_loss_parse(const char *name, lt_loss *out)
{
    int i = lookup(name, loss_names, 2);
    if (i < 0 && name && strcmp(name, "binary_crossentropy") == 0) i = LT_LOSS_BCE;
    if (i < 0 && name && strcmp(name, "mean_squared_error") == 0) i = LT_LOSS_MSE;
    LT_CHECK(i >= 0, LT_ERR_CONFIG, "unknown loss '%s' (expected mse or bce)", name ? name : "");
    *out = (lt_loss)i;
    return LT_OK;
}

lt_status lt_optimizer_parse(const char *name, lt_optimizer *out)
{
    int i = lookup(name, opt_names, 3);
    LT_CHECK(i >= 0, LT_ERR_CONFIG, "unknown optimizer '%s' (expected sgd, adam or rmsprop)",
             name ? name : "");
    *out = (lt_optimizer)i;
    return LT_OK;
}

const char *lt_activation_name(lt_activation a) { return (unsigned)a < 4 ? act_names[a] : "?"; }
const char *lt_loss_name(lt_loss l) { return (unsigned)l < 2 ? loss_names[l] : "?"; }
const char *lt_optimizer_name(lt_optimizer o) { return (unsigned)o < 3 ? opt_names[o] : "?"; }

void lt_ae_opts_default(lt_ae_opts *o)
{
    memset(o, 0, sizeof *o);
    o->bottleneck = -1;
    o->loss = LT_LOSS_MSE;
}

lt_status lt_ae_opts_set_widths(lt_ae_opts *o, const int *widths, int nlayers)
{
    LT_CHECK(nlayers >= 3 && nlayers <= LT_AE_MAX_LAYERS, LT_ERR_CONFIG,
             "layer list needs 3 to %d widths, got %d", LT_AE_MAX_LAYERS, nlayers);
    o->nlayers = nlayers;
    for (int i = 0; i < nlayers; i++) o->widths[i] = widths[i];
    for (int l = 0; l < nlayers - 1; l++) o->act[l] = l == nlayers - 2 ? LT_ACT_SIGMOID : LT_ACT_RELU;
    return LT_OK;
}

void lt_train_opts_default(lt_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->optimizer = LT_OPT_ADAM;
    o->lr = -1.0;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->epsilon = 1e-7;
    o->rho = 0.9;
    o->batch_size = 32;
    o->epochs = 1;
    o->shuffle = 1;
    o->flush_denormals = 1;
}

static lt_status check_arch(const lt_ae_opts *o, int *code)
{
    int n = o->nlayers;
    LT_CHECK(n >= 3 && n <= LT_AE_MAX_LAYERS, LT_ERR_CONFIG,
             "layer list needs 3 to %d widths, got %d", LT_AE_MAX_LAYERS, n);
    for (int i = 0; i < n; i++)
        LT_CHECK(o->widths[i] >= 1, LT_ERR_CONFIG, "layer %d has width %d (must be >= 1)", i,
                 o->widths[i]);
    LT_CHECK(o->widths[0] == o->widths[n - 1], LT_ERR_CONFIG,
             "layer list must start and end with the data width: first %d, last %d",
             o->widths[0], o->widths[n - 1]);
    for (int l = 0; l < n - 1; l++)
        LT_CHECK((unsigned)o->act[l] <= LT_ACT_TANH, LT_ERR_CONFIG,
                 "unknown activation %d for layer %d", (int)o->act[l], l);
    LT_CHECK((unsigned)o->loss <= LT_LOSS_BCE, LT_ERR_CONFIG, "unknown loss %d", (int)o->loss);
    LT_CHECK(o->l2 >= 0.0 && isfinite(o->l2), LT_ERR_CONFIG, "l2 must be >= 0, got %g", o->l2);
    int b = o->bottleneck;
    if (b < 0) {
        b = 1;
        for (int i = 2; i < n - 1; i++)
            if (o->widths[i] < o->widths[b]) b = i;
    }
    LT_CHECK(b >= 1 && b <= n - 2, LT_ERR_CONFIG,
             "bottleneck must be an inner layer index in [1, %d], got %d", n - 2, b);
    *code = b;
    return LT_OK;
}

/* Keras' glorot_uniform: U(-sqrt(6 / (fan_in + fan_out)), +...), drawn per
 * layer from (seed, layer) so the model does not depend on the rank count. */
static void glorot_init(lt_ae *ae)
{
    for (int l = 0; l < ae->nw; l++) {
        int64_t k = ae->arch.widths[l], n = ae->arch.widths[l + 1];
        double lim = sqrt(6.0 / (double)(k + n));
        lt_rng r;
        lt_rng_init(&r, ae->arch.seed, LT_STREAM_INIT, (uint64_t)l);
        float *W = ae->params + ae->woff[l];
        for (int64_t i = 0; i < k * n; i++) W[i] = (float)((2.0 * lt_rng_uniform(&r) - 1.0) * lim);
        memset(ae->params + ae->boff[l], 0, sizeof(float) * (size_t)n);
    }
}

static lt_status ae_alloc(const lt_ae_opts *o, lt_ae **out)
{
    int code = 1;
    *out = NULL;
    LT_CALL(check_arch(o, &code));
    lt_ae *ae;
    LT_ALLOC(ae, 1);
    ae->arch = *o;
    ae->nw = o->nlayers - 1;
    ae->code = code;
    ae->state_kind = -1;
    int64_t off = 0;
    for (int l = 0; l < ae->nw; l++) {
        ae->woff[l] = off;
        off += (int64_t)o->widths[l] * o->widths[l + 1];
        ae->boff[l] = off;
        off += o->widths[l + 1];
    }
    ae->nparams = off;
    ae->params = lt_calloc((size_t)off, sizeof(float));
    /* One extra slot carries the batch loss through the gradient allreduce. */
    /* Two extra slots ride along in the gradient allreduce: the batch loss and
     * the stop request (see lt_train_opts.stop_request). */
    ae->grads = lt_calloc((size_t)off + 2, sizeof(float));
    if (!ae->params || !ae->grads) {
        lt_ae_destroy(&ae);
        return LT_ERR_MEM;
    }
    *out = ae;
    return LT_OK;
}

lt_status lt_ae_create(lt_comm *c, const lt_ae_opts *o, lt_ae **out)
{
    lt_ae *ae = NULL;
    lt_status st = lt_comm_agree(c, ae_alloc(o, &ae));
    if (st != LT_OK) {
        lt_ae_destroy(&ae);
        return st;
    }
    glorot_init(ae);
    *out = ae;
    return LT_OK;
}

void nn_hist_free(lt_train_history *h)
{
    free(h->train_loss);
    free(h->val_loss);
    free(h->seconds);
    free(h->samples_per_sec);
    free(h->comm_seconds);
    memset(h, 0, sizeof *h);
}

static void free_workspace(lt_ae *ae)
{
    for (int i = 0; i < LT_AE_MAX_LAYERS; i++) {
        free(ae->acts[i]);
        ae->acts[i] = NULL;
    }
    free(ae->delta[0]);
    free(ae->delta[1]);
    ae->delta[0] = ae->delta[1] = NULL;
    ae->ws_rows = 0;
}

void lt_ae_destroy(lt_ae **ae)
{
    if (!ae || !*ae) return;
    free_workspace(*ae);
    nn_hist_free(&(*ae)->hist);
    free((*ae)->params);
    free((*ae)->grads);
    free((*ae)->state);
    free((*ae)->part.loss);
    free(*ae);
    *ae = NULL;
}

lt_status nn_workspace(lt_ae *ae, int64_t rows)
{
    if (rows <= ae->ws_rows) return LT_OK;
    free_workspace(ae);
    int maxw = 1;
    for (int i = 0; i < ae->arch.nlayers; i++)
        if (ae->arch.widths[i] > maxw) maxw = ae->arch.widths[i];
    int ok = 1;
    for (int i = 1; i < ae->arch.nlayers; i++)
        ok &= (ae->acts[i] = lt_malloc(sizeof(float) * (size_t)(rows * ae->arch.widths[i]))) != NULL;
    for (int i = 0; i < 2; i++)
        ok &= (ae->delta[i] = lt_malloc(sizeof(float) * (size_t)(rows * maxw))) != NULL;
    if (!ok) {
        free_workspace(ae);
        return LT_ERR_MEM;
    }
    ae->ws_rows = rows;
    return LT_OK;
}

lt_status nn_hist_push(lt_train_history *h, double train, double val, double secs, double sps,
                       double comm)
{
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 16;
        double **a[5] = {&h->train_loss, &h->val_loss, &h->seconds, &h->samples_per_sec,
                         &h->comm_seconds};
        for (int i = 0; i < 5; i++) {
            double *p = realloc(*a[i], sizeof(double) * (size_t)cap);
            LT_CHECK(p, LT_ERR_MEM, "cannot grow the loss history to %d epochs", cap);
            *a[i] = p;
        }
        h->cap = cap;
    }
    h->train_loss[h->n] = train;
    h->val_loss[h->n] = val;
    h->seconds[h->n] = secs;
    h->samples_per_sec[h->n] = sps;
    h->comm_seconds[h->n] = comm;
    h->n++;
    return LT_OK;
}

lt_status nn_dataset_like(lt_comm *c, const lt_dataset *src, int64_t d, lt_dataset **out)
{
    lt_status st = LT_OK;
    lt_dataset *ds = lt_calloc(1, sizeof *ds);
    if (ds) {
        ds->n = src->n;
        ds->d = d;
        ds->row0 = src->row0;
        ds->nloc = src->nloc;
        ds->x = lt_calloc((size_t)(src->nloc * d) + 1, sizeof(float));
        if (!ds->x) st = LT_ERR_MEM;
        if (st == LT_OK && src->y) {
            ds->y = lt_malloc(sizeof(int32_t) * (size_t)src->nloc + 1);
            if (!ds->y) st = LT_ERR_MEM;
            else memcpy(ds->y, src->y, sizeof(int32_t) * (size_t)src->nloc);
        }
    } else {
        st = LT_ERR_MEM;
    }
    st = lt_comm_agree(c, st);
    if (st != LT_OK) {
        lt_dataset_destroy(&ds);
        return st;
    }
    *out = ds;
    return LT_OK;
}

lt_status lt_ae_check_width(const lt_ae *ae, const lt_dataset *ds, int expected, const char *what)
{
    LT_CHECK(ds->d == expected, LT_ERR_DATA,
             "%s has %lld columns but the model (layers %d..%d) expects %d", what,
             (long long)ds->d, ae->arch.widths[0], ae->arch.widths[ae->arch.nlayers - 1], expected);
    return LT_OK;
}

#define NN_CHUNK 512 /* rows per inference block */

/* Runs weight layers [l0, l1) over every local row of x into out. */
static lt_status run_layers(lt_comm *c, lt_ae *ae, const lt_dataset *x, int l0, int l1,
                            lt_dataset **out)
{
    LT_CALL(lt_comm_agree(c, nn_workspace(ae, NN_CHUNK)));
    int64_t dout = ae->arch.widths[l1];
    LT_CALL(nn_dataset_like(c, x, dout, out));
    for (int64_t i = 0; i < x->nloc; i += NN_CHUNK) {
        int64_t m = x->nloc - i < NN_CHUNK ? x->nloc - i : NN_CHUNK;
        const float *y = nn_forward(ae, x->x + i * x->d, m, l0, l1);
        memcpy((*out)->x + i * dout, y, sizeof(float) * (size_t)(m * dout));
    }
    return LT_OK;
}

lt_status lt_ae_encode(lt_comm *c, lt_ae *ae, const lt_dataset *x, lt_dataset **out)
{
    LT_CALL(lt_ae_check_width(ae, x, ae->arch.widths[0], "the data to encode"));
    return run_layers(c, ae, x, 0, ae->code, out);
}

lt_status lt_ae_decode(lt_comm *c, lt_ae *ae, const lt_dataset *z, lt_dataset **out)
{
    LT_CALL(lt_ae_check_width(ae, z, ae->arch.widths[ae->code], "the codes to decode"));
    return run_layers(c, ae, z, ae->code, ae->nw, out);
}

lt_status lt_ae_reconstruct(lt_comm *c, lt_ae *ae, const lt_dataset *x, lt_dataset **out)
{
    LT_CALL(lt_ae_check_width(ae, x, ae->arch.widths[0], "the data to reconstruct"));
    return run_layers(c, ae, x, 0, ae->nw, out);
}

lt_status lt_ae_row_errors(lt_comm *c, lt_ae *ae, const lt_dataset *x, lt_dataset **out,
                           double *mse)
{
    lt_dataset *r = NULL;
    LT_CALL(lt_ae_reconstruct(c, ae, x, &r));
    lt_status st = nn_dataset_like(c, x, 2, out);
    double sq = 0.0;
    for (int64_t i = 0; st == LT_OK && i < x->nloc; i++) {
        double a = 0.0, s = 0.0;
        for (int64_t j = 0; j < x->d; j++) {
            double e = (double)r->x[i * x->d + j] - (double)x->x[i * x->d + j];
            a += fabs(e);
            s += e * e;
        }
        (*out)->x[2 * i] = (float)a;
        (*out)->x[2 * i + 1] = (float)(s / (double)x->d);
        sq += s;
    }
    lt_dataset_destroy(&r);
    LT_CALL(st);
    LT_CALL(lt_comm_sum_d(c, &sq, 1));
    *mse = x->n ? sq / ((double)x->n * (double)x->d) : NAN;
    return LT_OK;
}

lt_status lt_ae_evaluate(lt_comm *c, lt_ae *ae, const lt_dataset *x, double *loss)
{
    LT_CALL(lt_ae_check_width(ae, x, ae->arch.widths[0], "the evaluation data"));
    LT_CALL(lt_comm_agree(c, nn_workspace(ae, NN_CHUNK)));
    double sum = 0.0;
    int nw = ae->nw;
    for (int64_t i = 0; i < x->nloc; i += NN_CHUNK) {
        int64_t m = x->nloc - i < NN_CHUNK ? x->nloc - i : NN_CHUNK;
        const float *in = x->x + i * x->d;
        const float *y = nn_forward(ae, in, m, 0, nw);
        sum += nn_loss(NULL, y, in, m, x->d, ae->arch.loss, ae->arch.act[nw - 1], 1.0);
    }
    LT_CALL(lt_comm_sum_d(c, &sum, 1));
    *loss = x->n ? sum / ((double)x->n * (double)x->d) : NAN;
    return LT_OK;
}
