/* Model files in HDF5 (the convention of lt_h5.h), written and read by rank 0
 * (a model is small) and broadcast. Layout (docs/autoencoder.md): root attributes for the format,
 * architecture and batch position; /layer_L/kernel (in x out) and
 * /layer_L/bias like Keras; /optimizer/state (nstate x nparams, the flat
 * parameter layout); /history/<series>. */
#include "nn_internal.h"
#include "latent/lt_h5.h"
#include "latent/lt_io.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define NN_FORMAT "latent-autoencoder"

static lt_status write_attrs(lt_h5 *f, const lt_ae *ae)
{
    const lt_ae_opts *a = &ae->arch;
    char acts[LT_AE_MAX_LAYERS * 8] = "";
    for (int l = 0; l < ae->nw; l++) {
        if (l) strcat(acts, ",");
        strcat(acts, lt_activation_name(a->act[l]));
    }
    /* Version 2 adds stacks; a width list is still written as version 1. */
    LT_CALL(lt_h5_write_format(f, NN_FORMAT, a->nstack > 0 ? 2 : 1));
    LT_CALL(lt_h5_write_attr_str(f, NULL, "activations", acts));
    LT_CALL(lt_h5_write_attr_str(f, NULL, "loss", lt_loss_name(a->loss)));
    LT_CALL(lt_h5_write_attr_double(f, NULL, "l2", a->l2));
    LT_CALL(lt_h5_write_attr_int(f, NULL, "bottleneck", ae->code));
    LT_CALL(lt_h5_write_attr_u64(f, NULL, "init_seed", a->seed));
    LT_CALL(lt_h5_write_attr_int(f, NULL, "epoch", ae->epoch));
    LT_CALL(lt_h5_write_attr_int(f, NULL, "step", ae->step));
    LT_CALL(lt_h5_write_attr_u64(f, NULL, "train_seed", ae->train_seed));
    LT_CALL(lt_h5_write_attr_int(f, NULL, "optimizer_steps", ae->opt_t));
    LT_CALL(lt_h5_write_attr_str(f, NULL, "optimizer",
                                 ae->state_kind < 0 ? "none" : lt_optimizer_name(ae->state_kind)));
    int32_t w[LT_AE_MAX_LAYERS];
    for (int l = 0; l < a->nlayers; l++) w[l] = a->widths[l];
    int64_t nl = a->nlayers, three = 3;
    LT_CALL(lt_h5_write_int(f, "widths", 1, &nl, w));
    if (a->nstack == 0) return LT_OK;
    char stack[LT_AE_MAX_LAYERS * 48];
    int32_t shape[3] = {a->input_shape[0], a->input_shape[1], a->input_shape[2]};
    LT_CALL(lt_stack_format(a->stack, a->nstack, stack, sizeof stack));
    LT_CALL(lt_h5_write_attr_str(f, NULL, "stack", stack));
    return lt_h5_write_int(f, "input_shape", 1, &three, shape);
}

/* Keras' kernel shapes: dense (in, out), conv2d (kh, kw, cin, cout). */
static int kernel_dims(const lt_layer *L, int64_t *k)
{
    if (L->spec.kind != LT_LAYER_CONV2D) {
        k[0] = L->in.c, k[1] = L->out.c;
        return 2;
    }
    k[0] = k[1] = L->spec.size;
    k[2] = L->in.c, k[3] = L->out.c;
    return 4;
}

/* /partial_epoch: the interrupted epoch's accumulators (lt_ae.part). */
static lt_status write_partial(lt_h5 *f, const lt_ae *ae)
{
    int64_t n = ae->part.nranks, four = 4;
    double s[4] = {ae->part.rows, ae->part.l2, ae->part.seconds, ae->part.comm};
    LT_CALL(lt_h5_write_double(f, "partial_epoch/loss_per_rank", 1, &n, ae->part.loss));
    return lt_h5_write_double(f, "partial_epoch/rows_l2_seconds_comm", 1, &four, s);
}

static const char *const hist_names[5] = {"train_loss", "val_loss", "seconds", "samples_per_sec",
                                          "comm_seconds"};

static double **hist_series(lt_train_history *h, int i)
{
    double **v[5] = {&h->train_loss, &h->val_loss, &h->seconds, &h->samples_per_sec,
                     &h->comm_seconds};
    return v[i];
}

static lt_status write_arrays(lt_h5 *f, const lt_ae *ae)
{
    char name[64];
    for (int l = 0; l < ae->nw; l++) {
        const lt_layer *L = &ae->layers[l];
        if (lt_layer_nweights(L) == 0) continue; /* pooling, upsampling, reshaping */
        int64_t k[4], nb = lt_layer_nbias(L);
        int rank = kernel_dims(L, k);
        snprintf(name, sizeof name, "layer_%d/kernel", l);
        LT_CALL(lt_h5_write_float(f, name, rank, k, ae->params + ae->woff[l]));
        snprintf(name, sizeof name, "layer_%d/bias", l);
        LT_CALL(lt_h5_write_float(f, name, 1, &nb, ae->params + ae->boff[l]));
    }
    if (ae->state_kind >= 0) {
        int64_t s[2] = {nn_optim_nstate(ae->state_kind), ae->nparams};
        LT_CALL(lt_h5_write_float(f, "optimizer/state", 2, s, ae->state));
    }
    if (ae->part.nranks > 0) LT_CALL(write_partial(f, ae));
    const lt_train_history *h = &ae->hist;
    const double *v[5] = {h->train_loss, h->val_loss, h->seconds, h->samples_per_sec,
                          h->comm_seconds};
    int64_t n = h->n;
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "history/%s", hist_names[i]);
        LT_CALL(lt_h5_write_double(f, name, 1, &n, v[i]));
    }
    return LT_OK;
}

/* Rank 0 only: creates the temporary file, writes and closes it. */
static lt_status write_model(lt_h5 *f, const void *ctx)
{
    LT_CALL(write_attrs(f, ctx));
    return write_arrays(f, ctx);
}

lt_status lt_ae_save(lt_comm *c, const lt_ae *ae, const char *path)
{
    return lt_h5_save(c, path, write_model, ae);
}

typedef struct {
    lt_ae_opts arch;
    int epoch, state_kind, nhist, npart;
    int64_t step, opt_t;
    uint64_t train_seed;
} header;

/* Length of 1-D dataset `name`, checked to lie in [lo, hi]. */
static lt_status get_length(lt_h5 *f, const char *path, const char *name, int64_t lo, int64_t hi,
                            int *n)
{
    int nd = 0;
    int64_t dims[LT_H5_MAX_DIMS];
    LT_CALL(lt_h5_shape(f, name, &nd, dims));
    LT_CHECK(nd == 1 && dims[0] >= lo && dims[0] <= hi, LT_ERR_FORMAT,
             "%s: dataset '%s' must be 1-D with %lld to %lld values", path, name, (long long)lo,
             (long long)hi);
    *n = (int)dims[0];
    return LT_OK;
}

/* An int attribute in [lo, hi]. */
static lt_status get_int(lt_h5 *f, const char *path, const char *name, int lo, int hi, int *v)
{
    int64_t x = 0;
    LT_CALL(lt_h5_read_attr_int(f, NULL, name, &x));
    LT_CHECK(x >= lo && x <= hi, LT_ERR_FORMAT, "%s: attribute '%s' = %lld is out of range", path,
             name, (long long)x);
    *v = (int)x;
    return LT_OK;
}

static lt_status parse_acts(char *s, header *h, const char *path)
{
    int l = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ","), l++) {
        LT_CHECK(l < h->arch.nlayers - 1, LT_ERR_FORMAT, "%s: more activations than layers", path);
        LT_CALL(lt_activation_parse(tok, &h->arch.act[l]));
    }
    LT_CHECK(l == h->arch.nlayers - 1, LT_ERR_FORMAT, "%s: %d activations for %d weight layers",
             path, l, h->arch.nlayers - 1);
    return LT_OK;
}

static lt_status read_widths(lt_h5 *f, const char *path, header *h)
{
    LT_CALL(get_length(f, path, "widths", 3, LT_AE_MAX_LAYERS, &h->arch.nlayers));
    int32_t w[LT_AE_MAX_LAYERS];
    int64_t n = h->arch.nlayers;
    LT_CALL(lt_h5_read_int(f, "widths", 1, &n, w));
    for (int l = 0; l < h->arch.nlayers; l++) h->arch.widths[l] = w[l];
    return LT_OK;
}

static lt_status read_stack(lt_h5 *f, header *h)
{
    char stack[LT_AE_MAX_LAYERS * 48];
    int32_t shape[3];
    int64_t three = 3;
    LT_CALL(lt_h5_read_attr_str(f, NULL, "stack", stack, sizeof stack));
    if (lt_stack_parse(stack, h->arch.stack, LT_AE_MAX_LAYERS - 1, &h->arch.nstack) != LT_OK) {
        char why[512]; /* a file's stack that does not parse is a bad file, not a bad argument */
        snprintf(why, sizeof why, "%s", lt_error_message());
        LT_FAIL(LT_ERR_FORMAT, "attribute 'stack': %s", why);
    }
    LT_CALL(lt_h5_read_int(f, "input_shape", 1, &three, shape));
    for (int i = 0; i < 3; i++) h->arch.input_shape[i] = shape[i];
    return LT_OK;
}

static lt_status read_header(lt_h5 *f, const char *path, header *h)
{
    char s[LT_AE_MAX_LAYERS * 8 + 64];
    int ver;
    LT_CALL(lt_h5_check_format(f, NN_FORMAT, LT_AE_FORMAT_VERSION, &ver));
    lt_ae_opts_default(&h->arch);
    LT_CALL(read_widths(f, path, h));
    LT_CALL(lt_h5_read_attr_str(f, NULL, "activations", s, sizeof s));
    LT_CALL(parse_acts(s, h, path));
    if (lt_h5_has_attr(f, NULL, "stack")) LT_CALL(read_stack(f, h));
    LT_CALL(lt_h5_read_attr_str(f, NULL, "loss", s, sizeof s));
    LT_CALL(lt_loss_parse(s, &h->arch.loss));
    LT_CALL(lt_h5_read_attr_double(f, NULL, "l2", &h->arch.l2));
    LT_CALL(get_int(f, path, "bottleneck", INT_MIN, INT_MAX, &h->arch.bottleneck));
    LT_CALL(lt_h5_read_attr_u64(f, NULL, "init_seed", &h->arch.seed));
    LT_CALL(get_int(f, path, "epoch", 0, INT_MAX, &h->epoch));
    LT_CALL(lt_h5_read_attr_int(f, NULL, "step", &h->step));
    LT_CALL(lt_h5_read_attr_u64(f, NULL, "train_seed", &h->train_seed));
    LT_CALL(lt_h5_read_attr_int(f, NULL, "optimizer_steps", &h->opt_t));
    LT_CALL(lt_h5_read_attr_str(f, NULL, "optimizer", s, sizeof s));
    h->state_kind = -1;
    if (strcmp(s, "none") != 0) {
        lt_optimizer o;
        LT_CALL(lt_optimizer_parse(s, &o));
        h->state_kind = (int)o;
    }
    LT_CALL(get_length(f, path, "history/train_loss", 0, INT_MAX, &h->nhist));
    h->npart = 0;
    if (lt_h5_exists(f, "partial_epoch"))
        LT_CALL(get_length(f, path, "partial_epoch/loss_per_rank", 1, INT_MAX, &h->npart));
    return LT_OK;
}

/* Rank 0: a NaN or an infinity in a model file (edited, corrupt, or saved by
 * a run that diverged) would reach every code, reconstruction and score
 * without an error, and a checkpoint would resume into it: refused. */
static lt_status check_finite(const char *path, const char *name, const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        LT_CHECK(isfinite(v[i]), LT_ERR_FORMAT,
                 "%s: '%s' holds a non-finite value (%s at index %lld): the model is unusable",
                 path, name, isnan(v[i]) ? "NaN" : "infinity", (long long)i);
    return LT_OK;
}

static lt_status read_body(lt_h5 *f, const char *path, lt_ae *ae)
{
    char name[64];
    for (int l = 0; l < ae->nw; l++) {
        const lt_layer *L = &ae->layers[l];
        if (lt_layer_nweights(L) == 0) continue;
        int64_t k[4], nb = lt_layer_nbias(L);
        int rank = kernel_dims(L, k);
        snprintf(name, sizeof name, "layer_%d/kernel", l);
        LT_CALL(lt_h5_read_float(f, name, rank, k, ae->params + ae->woff[l]));
        LT_CALL(check_finite(path, name, ae->params + ae->woff[l], lt_layer_nweights(L)));
        snprintf(name, sizeof name, "layer_%d/bias", l);
        LT_CALL(lt_h5_read_float(f, name, 1, &nb, ae->params + ae->boff[l]));
        LT_CALL(check_finite(path, name, ae->params + ae->boff[l], nb));
    }
    if (ae->state_kind >= 0) {
        int64_t s[2] = {nn_optim_nstate(ae->state_kind), ae->nparams};
        LT_CALL(lt_h5_read_float(f, "optimizer/state", 2, s, ae->state));
        LT_CALL(check_finite(path, "optimizer/state", ae->state, s[0] * s[1]));
    }
    if (ae->part.nranks > 0) {
        double s[4];
        int64_t n = ae->part.nranks, four = 4;
        LT_CALL(lt_h5_read_double(f, "partial_epoch/loss_per_rank", 1, &n, ae->part.loss));
        LT_CALL(lt_h5_read_double(f, "partial_epoch/rows_l2_seconds_comm", 1, &four, s));
        ae->part.rows = s[0], ae->part.l2 = s[1], ae->part.seconds = s[2], ae->part.comm = s[3];
    }
    int64_t n = ae->hist.n;
    for (int i = 0; i < 5 && n > 0; i++) {
        snprintf(name, sizeof name, "history/%s", hist_names[i]);
        LT_CALL(lt_h5_read_double(f, name, 1, &n, *hist_series(&ae->hist, i)));
    }
    return LT_OK;
}

/* Builds an empty model of the header's shape on every rank. Collective. */
static lt_status model_from_header(lt_comm *c, const header *h, lt_ae **out)
{
    LT_CALL(lt_ae_create(c, &h->arch, out));
    lt_ae *ae = *out;
    ae->epoch = h->epoch;
    ae->step = h->step;
    ae->opt_t = h->opt_t;
    ae->train_seed = h->train_seed;
    ae->state_kind = h->state_kind;
    lt_status st = LT_OK;
    if (h->state_kind >= 0) {
        ae->state = lt_calloc((size_t)(nn_optim_nstate(h->state_kind) * ae->nparams), sizeof(float));
        if (!ae->state) st = LT_ERR_MEM;
    }
    if (st == LT_OK && h->npart > 0) {
        ae->part.loss = lt_calloc((size_t)h->npart, sizeof(double));
        if (ae->part.loss) ae->part.nranks = h->npart;
        else st = LT_ERR_MEM;
    }
    for (int i = 0; st == LT_OK && i < h->nhist; i++) st = nn_hist_push(&ae->hist, 0, 0, 0, 0, 0);
    return lt_comm_agree(c, st);
}

static lt_status bcast_body(lt_comm *c, lt_ae *ae)
{
    LT_CALL(lt_comm_bcast(c, ae->params, (int64_t)sizeof(float) * ae->nparams, 0));
    if (ae->state_kind >= 0)
        LT_CALL(lt_comm_bcast(c, ae->state,
                              (int64_t)sizeof(float) * nn_optim_nstate(ae->state_kind) * ae->nparams, 0));
    for (int i = 0; i < 5 && ae->hist.n > 0; i++)
        LT_CALL(lt_comm_bcast(c, *hist_series(&ae->hist, i), (int64_t)sizeof(double) * ae->hist.n, 0));
    if (ae->part.nranks > 0) {
        LT_CALL(lt_comm_bcast(c, ae->part.loss, (int64_t)sizeof(double) * ae->part.nranks, 0));
        double s[4] = {ae->part.rows, ae->part.l2, ae->part.seconds, ae->part.comm};
        LT_CALL(lt_comm_bcast(c, s, sizeof s, 0));
        ae->part.rows = s[0], ae->part.l2 = s[1], ae->part.seconds = s[2], ae->part.comm = s[3];
    }
    return LT_OK;
}

/* Rank 0: the header's architecture is outside data; parameters (and
 * optimizer state) far beyond what the file can hold would be allocated
 * before the arrays are read (60 GB for a few kB, found by fuzz_ae). */
static lt_status check_size(const char *path, const header *h)
{
    int64_t np = 0;
    struct stat sb;
    if (nn_ae_count_params(&h->arch, &np) != LT_OK) {
        lt_error_clear(); /* lt_ae_create reports it, on every rank */
        return LT_OK;
    }
    double want = 4.0 * (double)np * (1 + (h->state_kind >= 0 ? nn_optim_nstate(h->state_kind) : 0));
    double have = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
    LT_CHECK(want <= (double)(1 << 20) || want <= 1e4 * have, LT_ERR_FORMAT,
             "%s: model header describes %lld parameters (%.3g bytes), more than the file (%.0f "
             "bytes) can hold",
             path, (long long)np, want, have);
    /* The history's 5 series and the per-rank partial losses, in double
       (fuzz_ae: a 9-byte input declared 2^31 epochs of history, 80 GB). */
    double hist = 8.0 * (5.0 * h->nhist + h->npart);
    LT_CHECK(hist <= (double)(1 << 20) || hist <= 1e4 * have, LT_ERR_FORMAT,
             "%s: the loss history declares %d epochs (%.3g bytes), more than the file (%.0f "
             "bytes) can hold",
             path, h->nhist, hist, have);
    return LT_OK;
}

lt_status lt_ae_load(lt_comm *c, const char *path, lt_ae **out)
{
    header h;
    memset(&h, 0, sizeof h);
    *out = NULL;
    lt_h5 *f = NULL;
    lt_status st = LT_OK;
    int root = lt_comm_rank(c) == 0;
    if (root) st = lt_h5_open(path, &f);
    if (root && st == LT_OK) st = read_header(f, path, &h);
    if (root && st == LT_OK) st = check_size(path, &h);
    st = lt_comm_agree(c, st);
    lt_ae *ae = NULL;
    if (st == LT_OK) st = lt_comm_bcast(c, &h, sizeof h, 0);
    if (st == LT_OK) st = model_from_header(c, &h, &ae);
    if (st == LT_OK) st = lt_comm_agree(c, root ? read_body(f, path, ae) : LT_OK);
    if (st == LT_OK) st = bcast_body(c, ae);
    lt_h5_close(&f); /* read-only: nothing to flush */
    if (st != LT_OK) {
        lt_ae_destroy(&ae);
        return st;
    }
    *out = ae;
    return LT_OK;
}
