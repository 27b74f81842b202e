/* Model files in HDF5, written and read by rank 0 (a model is small) and
 * broadcast. Layout (docs/autoencoder.md): root attributes for the format,
 * architecture and batch position; /layer_L/kernel (in x out) and
 * /layer_L/bias like Keras; /optimizer/state (nstate x nparams, the flat
 * parameter layout); /history/<series>. */
#include "nn_internal.h"
#include "latent/lt_io.h"

#include <hdf5.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NN_FORMAT "latent-autoencoder"

static herr_t put_attr(hid_t loc, const char *name, hid_t type, const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, type, v);
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

static herr_t put_str(hid_t loc, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    herr_t rc = put_attr(loc, name, t, &v);
    H5Tclose(t);
    return rc;
}

static herr_t put_data(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                       const hsize_t *dims, const void *v)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    return rc;
}

static herr_t write_attrs(hid_t f, const lt_ae *ae)
{
    const lt_ae_opts *a = &ae->arch;
    char acts[LT_AE_MAX_LAYERS * 8] = "";
    for (int l = 0; l < ae->nw; l++) {
        if (l) strcat(acts, ",");
        strcat(acts, lt_activation_name(a->act[l]));
    }
    /* Version 2 adds stacks; a width list is still written as version 1. */
    int ver = a->nstack > 0 ? 2 : 1, ep = ae->epoch;
    int64_t step = ae->step, t = ae->opt_t;
    herr_t rc = 0;
    rc |= put_str(f, "format", NN_FORMAT);
    rc |= put_attr(f, "format_version", H5T_NATIVE_INT, &ver);
    rc |= put_str(f, "activations", acts);
    rc |= put_str(f, "loss", lt_loss_name(a->loss));
    rc |= put_attr(f, "l2", H5T_NATIVE_DOUBLE, &a->l2);
    rc |= put_attr(f, "bottleneck", H5T_NATIVE_INT, &ae->code);
    rc |= put_attr(f, "init_seed", H5T_NATIVE_UINT64, &a->seed);
    rc |= put_attr(f, "epoch", H5T_NATIVE_INT, &ep);
    rc |= put_attr(f, "step", H5T_NATIVE_INT64, &step);
    rc |= put_attr(f, "train_seed", H5T_NATIVE_UINT64, &ae->train_seed);
    rc |= put_attr(f, "optimizer_steps", H5T_NATIVE_INT64, &t);
    rc |= put_str(f, "optimizer", ae->state_kind < 0 ? "none" : lt_optimizer_name(ae->state_kind));
    hsize_t nl = (hsize_t)a->nlayers;
    rc |= put_data(f, "widths", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &nl, a->widths);
    if (a->nstack > 0) {
        char stack[LT_AE_MAX_LAYERS * 48];
        if (lt_stack_format(a->stack, a->nstack, stack, sizeof stack) != LT_OK) return -1;
        hsize_t three = 3;
        rc |= put_str(f, "stack", stack);
        rc |= put_data(f, "input_shape", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &three, a->input_shape);
    }
    return rc;
}

/* /partial_epoch: the interrupted epoch's accumulators (lt_ae.part). */
static herr_t write_partial(hid_t f, const lt_ae *ae)
{
    hid_t g = H5Gcreate2(f, "partial_epoch", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    hsize_t n = (hsize_t)ae->part.nranks, four = 4;
    double s[4] = {ae->part.rows, ae->part.l2, ae->part.seconds, ae->part.comm};
    herr_t rc = put_data(g, "loss_per_rank", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, ae->part.loss);
    rc |= put_data(g, "rows_l2_seconds_comm", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &four, s);
    H5Gclose(g);
    return rc;
}

static herr_t write_arrays(hid_t f, const lt_ae *ae)
{
    herr_t rc = 0;
    char name[64];
    for (int l = 0; l < ae->nw; l++) {
        const lt_layer *L = &ae->layers[l];
        if (lt_layer_nweights(L) == 0) continue; /* pooling, upsampling, reshaping */
        snprintf(name, sizeof name, "layer_%d", l);
        hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) return -1;
        /* Keras' shapes: dense (in, out), conv2d (kh, kw, cin, cout) */
        hsize_t k[4] = {(hsize_t)L->in.c, (hsize_t)L->out.c}, nb = (hsize_t)lt_layer_nbias(L);
        int rank = 2;
        if (L->spec.kind == LT_LAYER_CONV2D) {
            k[0] = k[1] = (hsize_t)L->spec.size;
            k[2] = (hsize_t)L->in.c;
            k[3] = (hsize_t)L->out.c;
            rank = 4;
        }
        rc |= put_data(g, "kernel", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, rank, k, ae->params + ae->woff[l]);
        rc |= put_data(g, "bias", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &nb, ae->params + ae->boff[l]);
        H5Gclose(g);
    }
    if (ae->state_kind >= 0) {
        hid_t g = H5Gcreate2(f, "optimizer", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hsize_t s[2] = {(hsize_t)nn_optim_nstate(ae->state_kind), (hsize_t)ae->nparams};
        rc |= g < 0 ? -1 : put_data(g, "state", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, s, ae->state);
        if (g >= 0) H5Gclose(g);
    }
    if (ae->part.nranks > 0) rc |= write_partial(f, ae);
    hid_t g = H5Gcreate2(f, "history", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    const lt_train_history *h = &ae->hist;
    hsize_t n = (hsize_t)h->n;
    const char *names[5] = {"train_loss", "val_loss", "seconds", "samples_per_sec", "comm_seconds"};
    double *v[5] = {h->train_loss, h->val_loss, h->seconds, h->samples_per_sec, h->comm_seconds};
    static double none;
    for (int i = 0; i < 5; i++)
        rc |= put_data(g, names[i], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, n ? v[i] : &none);
    H5Gclose(g);
    return rc;
}

static lt_status write_file(const lt_ae *ae, const char *tmp, const char *path)
{
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    LT_CHECK(f >= 0, LT_ERR_IO, "%s: cannot create the model file (%s)", path, tmp);
    herr_t rc = write_attrs(f, ae);
    if (rc >= 0) rc = write_arrays(f, ae);
    if (H5Fclose(f) < 0) rc = -1;
    LT_CHECK(rc >= 0, LT_ERR_IO, "%s: writing the model failed", path);
    return LT_OK;
}

lt_status lt_ae_save(lt_comm *c, const lt_ae *ae, const char *path)
{
    char tmp[4096];
    LT_CALL(lt_io_tmpname(c, path, tmp, sizeof tmp));
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0) {
        H5E_auto2_t fn;
        void *data;
        H5Eget_auto2(H5E_DEFAULT, &fn, &data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the library does not print */
        st = write_file(ae, tmp, path);
        H5Eset_auto2(H5E_DEFAULT, fn, data);
    }
    return lt_io_commit(c, st, tmp, path);
}

typedef struct {
    lt_ae_opts arch;
    int epoch, state_kind, nhist, npart;
    int64_t step, opt_t;
    uint64_t train_seed;
} header;

static lt_status get_attr(hid_t f, const char *name, hid_t mtype, void *v, const char *path)
{
    LT_CHECK(H5Aexists(f, name) > 0, LT_ERR_FORMAT,
             "%s: not a latent model file (attribute '%s' missing)", path, name);
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Aread(a, mtype, v);
    if (a >= 0) H5Aclose(a);
    LT_CHECK(rc >= 0, LT_ERR_FORMAT, "%s: cannot read attribute '%s'", path, name);
    return LT_OK;
}

static lt_status get_str(hid_t f, const char *name, char *buf, size_t cap, const char *path)
{
    LT_CHECK(H5Aexists(f, name) > 0, LT_ERR_FORMAT,
             "%s: not a latent model file (attribute '%s' missing)", path, name);
    hid_t a = H5Aopen(f, name, H5P_DEFAULT), ft = a < 0 ? -1 : H5Aget_type(a);
    herr_t rc = -1;
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        char *s = NULL;
        rc = H5Aread(a, mt, &s);
        if (rc >= 0 && s) snprintf(buf, cap, "%s", s);
        if (s) H5free_memory(s);
        H5Tclose(mt);
    }
    if (ft >= 0) H5Tclose(ft);
    if (a >= 0) H5Aclose(a);
    LT_CHECK(rc >= 0, LT_ERR_FORMAT, "%s: attribute '%s' is not a string", path, name);
    return LT_OK;
}

/* Values in dataset `name`, or -1 when it is missing or unreadable. */
static hssize_t dataset_points(hid_t f, const char *name)
{
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return -1;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), sp = d < 0 ? -1 : H5Dget_space(d);
    hssize_t n = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    return n;
}

/* Reads a whole dataset after checking it holds exactly `count` values. */
static lt_status get_data(hid_t f, const char *name, hid_t mtype, int64_t count, void *v,
                          const char *path)
{
    LT_CHECK(H5Lexists(f, name, H5P_DEFAULT) > 0, LT_ERR_FORMAT,
             "%s: model file has no dataset '%s'", path, name);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), sp = d < 0 ? -1 : H5Dget_space(d);
    hssize_t n = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    herr_t rc = n == (hssize_t)count ? H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) : -1;
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    LT_CHECK(n == (hssize_t)count, LT_ERR_FORMAT, "%s: dataset '%s' has %lld values, expected %lld",
             path, name, (long long)n, (long long)count);
    LT_CHECK(rc >= 0, LT_ERR_FORMAT, "%s: cannot read dataset '%s'", path, name);
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

static lt_status read_header(hid_t f, const char *path, header *h)
{
    char s[LT_AE_MAX_LAYERS * 8 + 64];
    int ver;
    LT_CALL(get_str(f, "format", s, sizeof s, path));
    LT_CHECK(strcmp(s, NN_FORMAT) == 0, LT_ERR_FORMAT, "%s: not a latent model file (format '%s')",
             path, s);
    LT_CALL(get_attr(f, "format_version", H5T_NATIVE_INT, &ver, path));
    LT_CHECK(ver >= 1 && ver <= LT_AE_FORMAT_VERSION, LT_ERR_FORMAT,
             "%s: model format version %d, this latent reads up to %d", path, ver,
             LT_AE_FORMAT_VERSION);
    lt_ae_opts_default(&h->arch);
    hssize_t n = dataset_points(f, "widths");
    LT_CHECK(n >= 3 && n <= LT_AE_MAX_LAYERS, LT_ERR_FORMAT, "%s: bad 'widths' dataset", path);
    h->arch.nlayers = (int)n;
    LT_CALL(get_data(f, "widths", H5T_NATIVE_INT, n, h->arch.widths, path));
    LT_CALL(get_str(f, "activations", s, sizeof s, path));
    LT_CALL(parse_acts(s, h, path));
    if (H5Aexists(f, "stack") > 0) {
        char stack[LT_AE_MAX_LAYERS * 48];
        LT_CALL(get_str(f, "stack", stack, sizeof stack, path));
        LT_CALL(lt_stack_parse(stack, h->arch.stack, LT_AE_MAX_LAYERS - 1, &h->arch.nstack));
        LT_CALL(get_data(f, "input_shape", H5T_NATIVE_INT, 3, h->arch.input_shape, path));
    }
    LT_CALL(get_str(f, "loss", s, sizeof s, path));
    LT_CALL(lt_loss_parse(s, &h->arch.loss));
    LT_CALL(get_attr(f, "l2", H5T_NATIVE_DOUBLE, &h->arch.l2, path));
    LT_CALL(get_attr(f, "bottleneck", H5T_NATIVE_INT, &h->arch.bottleneck, path));
    LT_CALL(get_attr(f, "init_seed", H5T_NATIVE_UINT64, &h->arch.seed, path));
    LT_CALL(get_attr(f, "epoch", H5T_NATIVE_INT, &h->epoch, path));
    LT_CALL(get_attr(f, "step", H5T_NATIVE_INT64, &h->step, path));
    LT_CALL(get_attr(f, "train_seed", H5T_NATIVE_UINT64, &h->train_seed, path));
    LT_CALL(get_attr(f, "optimizer_steps", H5T_NATIVE_INT64, &h->opt_t, path));
    LT_CALL(get_str(f, "optimizer", s, sizeof s, path));
    h->state_kind = -1;
    if (strcmp(s, "none") != 0) {
        lt_optimizer o;
        LT_CALL(lt_optimizer_parse(s, &o));
        h->state_kind = (int)o;
    }
    n = dataset_points(f, "history/train_loss");
    LT_CHECK(n >= 0, LT_ERR_FORMAT, "%s: model file has no history/train_loss", path);
    h->nhist = (int)n;
    h->npart = 0;
    if (H5Lexists(f, "partial_epoch", H5P_DEFAULT) > 0) {
        n = dataset_points(f, "partial_epoch/loss_per_rank");
        LT_CHECK(n >= 1 && n <= INT_MAX, LT_ERR_FORMAT, "%s: bad partial_epoch/loss_per_rank", path);
        h->npart = (int)n;
    }
    return LT_OK;
}

static double **hist_series(lt_train_history *h, int i)
{
    double **v[5] = {&h->train_loss, &h->val_loss, &h->seconds, &h->samples_per_sec,
                     &h->comm_seconds};
    return v[i];
}

static lt_status read_body(hid_t f, const char *path, lt_ae *ae)
{
    char name[64];
    for (int l = 0; l < ae->nw; l++) {
        const lt_layer *L = &ae->layers[l];
        if (lt_layer_nweights(L) == 0) continue;
        snprintf(name, sizeof name, "layer_%d/kernel", l);
        LT_CALL(get_data(f, name, H5T_NATIVE_FLOAT, lt_layer_nweights(L), ae->params + ae->woff[l], path));
        snprintf(name, sizeof name, "layer_%d/bias", l);
        LT_CALL(get_data(f, name, H5T_NATIVE_FLOAT, lt_layer_nbias(L), ae->params + ae->boff[l], path));
    }
    if (ae->state_kind >= 0)
        LT_CALL(get_data(f, "optimizer/state", H5T_NATIVE_FLOAT,
                         nn_optim_nstate(ae->state_kind) * ae->nparams, ae->state, path));
    if (ae->part.nranks > 0) {
        double s[4];
        LT_CALL(get_data(f, "partial_epoch/loss_per_rank", H5T_NATIVE_DOUBLE, ae->part.nranks,
                         ae->part.loss, path));
        LT_CALL(get_data(f, "partial_epoch/rows_l2_seconds_comm", H5T_NATIVE_DOUBLE, 4, s, path));
        ae->part.rows = s[0], ae->part.l2 = s[1], ae->part.seconds = s[2], ae->part.comm = s[3];
    }
    const char *names[5] = {"train_loss", "val_loss", "seconds", "samples_per_sec", "comm_seconds"};
    for (int i = 0; i < 5 && ae->hist.n > 0; i++) {
        snprintf(name, sizeof name, "history/%s", names[i]);
        LT_CALL(get_data(f, name, H5T_NATIVE_DOUBLE, ae->hist.n, *hist_series(&ae->hist, i), path));
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

lt_status lt_ae_load(lt_comm *c, const char *path, lt_ae **out)
{
    header h;
    memset(&h, 0, sizeof h);
    *out = NULL;
    hid_t f = -1;
    lt_status st = LT_OK;
    H5E_auto2_t fn;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &fn, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (lt_comm_rank(c) == 0) {
        f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f < 0) st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__,
                                       "%s: cannot open the model file (missing or not HDF5)", path);
        else st = read_header(f, path, &h);
    }
    st = lt_comm_agree(c, st);
    lt_ae *ae = NULL;
    if (st == LT_OK) st = lt_comm_bcast(c, &h, sizeof h, 0);
    if (st == LT_OK) st = model_from_header(c, &h, &ae);
    if (st == LT_OK) st = lt_comm_agree(c, lt_comm_rank(c) == 0 ? read_body(f, path, ae) : LT_OK);
    if (st == LT_OK) st = bcast_body(c, ae);
    if (f >= 0) H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, fn, data);
    if (st != LT_OK) {
        lt_ae_destroy(&ae);
        return st;
    }
    *out = ae;
    return LT_OK;
}
