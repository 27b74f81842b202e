/* The autoencoder object: options, creation, initialisation, inference. */
#include "nn_internal.h"
#include "latent/lt_name.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const lt_name act_names[] = {
    {"linear", LT_ACT_LINEAR}, {"sigmoid", LT_ACT_SIGMOID}, {"relu", LT_ACT_RELU}, {"tanh", LT_ACT_TANH}};
/* Keras' long names are accepted too. */
static const lt_name loss_names[] = {{"mse", LT_LOSS_MSE},
                                     {"bce", LT_LOSS_BCE},
                                     {"binary_crossentropy", LT_LOSS_BCE},
                                     {"mean_squared_error", LT_LOSS_MSE}};
static const lt_name opt_names[] = {{"sgd", LT_OPT_SGD}, {"adam", LT_OPT_ADAM}, {"rmsprop", LT_OPT_RMSPROP}, {"lbfgs", LT_OPT_LBFGS}};

LT_NAME_FUNCTIONS(lt_activation, lt_activation_name, lt_activation_parse, act_names, "activation")
LT_NAME_FUNCTIONS(lt_loss, lt_loss_name, lt_loss_parse, loss_names, "loss")
LT_NAME_FUNCTIONS(lt_optimizer, lt_optimizer_name, lt_optimizer_parse, opt_names, "optimizer")

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
    o->lbfgs_max_fun = 15000;
    o->lbfgs_history = 10;
    o->lbfgs_tol = 1e-4;
}

static lt_status check_common(const lt_ae_opts *o)
{
    LT_CHECK((unsigned)o->loss <= LT_LOSS_BCE, LT_ERR_ARG, "unknown loss %d", (int)o->loss);
    LT_CHECK(o->l2 >= 0.0 && isfinite(o->l2), LT_ERR_CONFIG, "l2 must be >= 0, got %g", o->l2);
    return LT_OK;
}

/* The code layer: o->bottleneck, or the first narrowest inner output. */
static lt_status pick_code(const int *w, int n, int given, int *code)
{
    int b = given;
    if (b < 0) {
        b = 1;
        for (int i = 2; i < n - 1; i++)
            if (w[i] < w[b]) b = i;
    }
    LT_CHECK(b >= 1 && b <= n - 2, LT_ERR_CONFIG,
             "bottleneck must be an inner layer index in [1, %d], got %d", n - 2, b);
    *code = b;
    return LT_OK;
}

/* A width list becomes a stack of dense layers on a flat input. */
static lt_status resolve_widths(lt_ae *ae)
{
    const lt_ae_opts *o = &ae->arch;
    int n = o->nlayers;
    LT_CHECK(n >= 3 && n <= LT_AE_MAX_LAYERS, LT_ERR_CONFIG,
             "layer list needs 3 to %d widths, got %d", LT_AE_MAX_LAYERS, n);
    for (int i = 0; i < n; i++)
        LT_CHECK(o->widths[i] >= 1, LT_ERR_CONFIG, "layer %d has width %d (must be >= 1)", i,
                 o->widths[i]);
    LT_CHECK(o->widths[0] == o->widths[n - 1], LT_ERR_CONFIG,
             "layer list must start and end with the data width: first %d, last %d",
             o->widths[0], o->widths[n - 1]);
    for (int l = 0; l < n - 1; l++) {
        LT_CHECK((unsigned)o->act[l] <= LT_ACT_TANH, LT_ERR_ARG,
                 "unknown activation %d for layer %d", (int)o->act[l], l);
        lt_layer *L = &ae->layers[l];
        memset(L, 0, sizeof *L);
        L->spec.kind = LT_LAYER_DENSE;
        L->spec.units = o->widths[l + 1];
        L->spec.act = o->act[l];
        L->in = (lt_shape){1, 1, 1, o->widths[l]};
        L->out = (lt_shape){1, 1, 1, o->widths[l + 1]};
    }
    return LT_OK;
}

static const char *shape_str(lt_shape s, char *buf, size_t cap)
{
    if (s.rank == 1) snprintf(buf, cap, "%d", s.c);
    else snprintf(buf, cap, "%dx%dx%d", s.h, s.w, s.c);
    return buf;
}

/* A stack: each layer resolved on the previous output; widths and act
 * derived for the code that sees the model as a list of flat layers. */
static lt_status resolve_stack(lt_ae *ae)
{
    lt_ae_opts *o = &ae->arch;
    int n = o->nstack;
    LT_CHECK(n <= LT_AE_MAX_LAYERS - 1, LT_ERR_CONFIG, "a stack has at most %d layers, got %d",
             LT_AE_MAX_LAYERS - 1, n);
    LT_CHECK(n >= 2, LT_ERR_CONFIG,
             "the stack has no bottleneck: it needs at least two layers, the code being the "
             "output of an inner one (got %d layer%s)", n, n == 1 ? "" : "s");
    const int *is = o->input_shape;
    lt_shape in;
    if (is[0] == 0 && is[1] == 0) {
        LT_CHECK(is[2] >= 1, LT_ERR_CONFIG, "the stack has no input size");
        in = (lt_shape){1, 1, 1, is[2]};
    } else {
        LT_CHECK(is[0] >= 1 && is[1] >= 1 && is[2] >= 1, LT_ERR_CONFIG,
                 "input_shape must be three positive sizes (height, width, channels), got %d, %d, %d",
                 is[0], is[1], is[2]);
        in = (lt_shape){3, is[0], is[1], is[2]};
    }
    LT_CHECK(nn_shape_size(in) <= INT32_MAX / 4, LT_ERR_CONFIG, "input_shape is too large");
    lt_shape first = in;
    o->nlayers = n + 1;
    o->widths[0] = (int)nn_shape_size(in);
    for (int l = 0; l < n; l++) {
        LT_CALL(lt_layer_resolve(&o->stack[l], in, l + 1, &ae->layers[l]));
        in = ae->layers[l].out;
        o->widths[l + 1] = (int)nn_shape_size(in);
        o->act[l] = o->stack[l].act;
    }
    char a[48], b[48];
    LT_CHECK(in.rank == first.rank && in.h == first.h && in.w == first.w && in.c == first.c,
             LT_ERR_CONFIG,
             "the stack's output shape %s differs from its input shape %s (an autoencoder "
             "reconstructs its input: change the last layers)",
             shape_str(in, a, sizeof a), shape_str(first, b, sizeof b));
    return LT_OK;
}

static lt_status check_arch(lt_ae *ae)
{
    LT_CALL(check_common(&ae->arch));
    if (ae->arch.nstack > 0) LT_CALL(resolve_stack(ae));
    else LT_CALL(resolve_widths(ae));
    return pick_code(ae->arch.widths, ae->arch.nlayers, ae->arch.bottleneck, &ae->code);
}

/* Keras' glorot_uniform: U(-sqrt(6 / (fan_in + fan_out)), +...) with the
 * fans of a dense kernel (in, out) or a conv2d kernel (k k cin, k k cout),
 * drawn in storage order per layer from (seed, layer) so the model does not
 * depend on the rank count. */
static void glorot_init(lt_ae *ae)
{
    for (int l = 0; l < ae->nw; l++) {
        const lt_layer *L = &ae->layers[l];
        int64_t nw = lt_layer_nweights(L), nb = lt_layer_nbias(L);
        if (nw == 0) continue;
        int64_t k2 = L->spec.kind == LT_LAYER_CONV2D ? (int64_t)L->spec.size * L->spec.size : 1;
        double lim = sqrt(6.0 / (double)(k2 * L->in.c + k2 * L->out.c));
        lt_rng r;
        lt_rng_init(&r, ae->arch.seed, LT_STREAM_INIT, (uint64_t)l);
        float *W = ae->params + ae->woff[l];
        for (int64_t i = 0; i < nw; i++) W[i] = (float)((2.0 * lt_rng_uniform(&r) - 1.0) * lim);
        memset(ae->params + ae->boff[l], 0, sizeof(float) * (size_t)nb);
    }
}

/* The architecture checked and laid out (layers, offsets, nparams); the
 * parameters are not allocated yet. */
static lt_status ae_plan(const lt_ae_opts *o, lt_ae **out)
{
    *out = NULL;
    lt_ae *ae;
    LT_ALLOC(ae, 1);
    ae->arch = *o;
    ae->state_kind = -1;
    lt_status st = check_arch(ae);
    if (st != LT_OK) {
        free(ae);
        return st;
    }
    ae->nw = ae->arch.nlayers - 1;
    int64_t off = 0;
    int huge = 0;
    for (int l = 0; l < ae->nw; l++) {
        ae->woff[l] = off;
        huge |= __builtin_add_overflow(off, lt_layer_nweights(&ae->layers[l]), &off);
        ae->boff[l] = off;
        huge |= __builtin_add_overflow(off, lt_layer_nbias(&ae->layers[l]), &off);
    }
    /* Widths may come from a model file: a count that overflows (found by
     * fuzz_ckpt) is refused like any other impossible architecture. */
    if (huge || off > ((int64_t)1 << 40)) {
        free(ae);
        LT_FAIL(LT_ERR_ARG, "autoencoder of more than 2^40 parameters (widths too large)");
    }
    ae->nparams = off;
    for (int l = 0; l < ae->nw; l++) {
        lt_layer_kind k = ae->layers[l].spec.kind;
        ae->grouped |= k == LT_LAYER_CONV2D || k == LT_LAYER_MAXPOOL2D || k == LT_LAYER_UPSAMPLE2D;
    }
    *out = ae;
    return LT_OK;
}

lt_status nn_ae_count_params(const lt_ae_opts *o, int64_t *n)
{
    lt_ae *ae = NULL;
    LT_CALL(ae_plan(o, &ae));
    *n = ae->nparams;
    free(ae);
    return LT_OK;
}

static lt_status ae_alloc(const lt_ae_opts *o, lt_ae **out)
{
    lt_ae *ae = NULL;
    LT_CALL(ae_plan(o, &ae));
    int64_t off = ae->nparams;
    ae->params = lt_calloc((size_t)off + 1, sizeof(float));
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
    free(ae->pad);
    free(ae->wflip);
    free(ae->gin);
    free(ae->trows);
    free(ae->yrows);
    ae->delta[0] = ae->delta[1] = ae->pad = ae->wflip = ae->gin = ae->trows = ae->yrows = NULL;
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

/* Flat stacks keep rows x width activations per layer; stacks with image
 * layers one group of NN_V rows per layer, padding and kernel scratch,
 * and rows x (output or code width) for inference results. */
lt_status nn_workspace(lt_ae *ae, int64_t rows)
{
    if (rows <= ae->ws_rows) return LT_OK;
    free_workspace(ae);
    int64_t maxw = 1, padf = 1, wmax = 1;
    for (int i = 0; i < ae->arch.nlayers; i++)
        if (ae->arch.widths[i] > maxw) maxw = ae->arch.widths[i];
    for (int l = 0; l < ae->nw; l++) {
        const lt_layer *L = &ae->layers[l];
        if (L->spec.kind != LT_LAYER_CONV2D) continue;
        if (nn_conv_pad_floats(L) > padf) padf = nn_conv_pad_floats(L);
        if (lt_layer_nweights(L) > wmax) wmax = lt_layer_nweights(L);
    }
    const int64_t r = ae->grouped ? NN_V : rows;
    int ok = 1;
    for (int i = 1; i < ae->arch.nlayers; i++)
        ok &= (ae->acts[i] = lt_malloc(sizeof(float) * (size_t)(r * ae->arch.widths[i]))) != NULL;
    for (int i = 0; i < 2; i++)
        ok &= (ae->delta[i] = lt_malloc(sizeof(float) * (size_t)(r * maxw))) != NULL;
    if (ae->grouped) {
        int64_t out = ae->arch.widths[0] > ae->arch.widths[ae->code] ? ae->arch.widths[0]
                                                                      : ae->arch.widths[ae->code];
        ok &= (ae->pad = lt_malloc(sizeof(float) * (size_t)padf)) != NULL;
        ok &= (ae->wflip = lt_malloc(sizeof(float) * (size_t)wmax)) != NULL;
        ok &= (ae->gin = lt_malloc(sizeof(float) * (size_t)(NN_V * maxw))) != NULL;
        ok &= (ae->trows = lt_malloc(sizeof(float) * (size_t)(2 * NN_V * maxw))) != NULL;
        ok &= (ae->yrows = lt_malloc(sizeof(float) * (size_t)(rows * out))) != NULL;
    }
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
            LT_CHECK(p, LT_ERR_MEM, "out of memory growing the loss history to %d epochs", cap);
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

lt_status lt_ae_check_width(const lt_ae *ae, const lt_dataset *ds, int expected, const char *what)
{
    const lt_shape in = ae->layers[0].in;
    if (in.rank == 3 && expected == ae->arch.widths[0])
        LT_CHECK(ds->d == expected, LT_ERR_DATA,
                 "%s has %lld columns but the model's input shape %d x %d x %d needs %d", what,
                 (long long)ds->d, in.h, in.w, in.c, expected);
    LT_CHECK(ds->d == expected, LT_ERR_DATA,
             "%s has %lld columns but the model (layers %d..%d) expects %d", what,
             (long long)ds->d, ae->arch.widths[0], ae->arch.widths[ae->arch.nlayers - 1], expected);
    return LT_OK;
}

/* Rows per inference block: up to 512, fewer for wide stacks (about 32 MB
 * of activations), at least what the workspace already holds. */
static int64_t infer_rows(const lt_ae *ae)
{
    int64_t sum = 1;
    for (int i = 1; i < ae->arch.nlayers; i++) sum += ae->arch.widths[i];
    int64_t r = ae->grouped ? 512 : ((int64_t)1 << 23) / sum; /* groups keep one group's activations */
    if (r > 512) r = 512;
    if (r < ae->ws_rows) r = ae->ws_rows < 512 ? ae->ws_rows : 512;
    return r < 1 ? 1 : r;
}

/* Runs weight layers [l0, l1) over every local row of x into out. */
static lt_status run_layers(lt_comm *c, lt_ae *ae, const lt_dataset *x, int l0, int l1,
                            lt_dataset **out)
{
    const int64_t chunk = infer_rows(ae);
    LT_CALL(lt_comm_agree(c, nn_workspace(ae, chunk)));
    int64_t dout = ae->arch.widths[l1];
    LT_CALL(lt_dataset_create_like(c, x, dout, LT_LIKE_COPY_LABELS, out));
    for (int64_t i = 0; i < x->nloc; i += chunk) {
        int64_t m = x->nloc - i < chunk ? x->nloc - i : chunk;
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
    lt_status st = lt_dataset_create_like(c, x, 2, LT_LIKE_COPY_LABELS, out);
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
    const int64_t chunk = infer_rows(ae);
    LT_CALL(lt_comm_agree(c, nn_workspace(ae, chunk)));
    double sum = 0.0;
    int nw = ae->nw;
    for (int64_t i = 0; i < x->nloc; i += chunk) {
        int64_t m = x->nloc - i < chunk ? x->nloc - i : chunk;
        const float *in = x->x + i * x->d;
        const float *y = nn_forward(ae, in, m, 0, nw);
        sum += nn_loss(NULL, y, in, m, x->d, ae->arch.loss, ae->arch.act[nw - 1], 1.0);
    }
    LT_CALL(lt_comm_sum_d(c, &sum, 1));
    *loss = x->n ? sum / ((double)x->n * (double)x->d) : NAN;
    return LT_OK;
}
