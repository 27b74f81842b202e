/* Data-parallel training on 1, 2 and 4 ranks: agreement with a serial run,
 * bit-identical parameters on all ranks, resume, inference, bad input. */
#include "nn_testutil.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Three noisy clusters in [0, 1]^d, labels row % 3; a function of the global row. */
static lt_dataset *make_data(lt_comm *c, int64_t n, int64_t d, uint64_t seed)
{
    lt_dataset *ds = NULL;
    if (lt_dataset_create(c, n, d, 1, &ds) != LT_OK) return NULL;
    for (int64_t i = 0; i < ds->nloc; i++) {
        int64_t g = ds->row0 + i;
        int k = (int)(g % 3);
        lt_rng r;
        lt_rng_init(&r, seed, LT_STREAM_DATA, (uint64_t)g);
        for (int64_t j = 0; j < d; j++) {
            lt_rng cr;
            lt_rng_init(&cr, seed, LT_STREAM_CENTERS, (uint64_t)(k * d + j));
            double v = 0.2 + 0.6 * lt_rng_uniform(&cr) + 0.08 * lt_rng_normal(&r);
            ds->x[i * d + j] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
        }
        ds->y[i] = k;
    }
    return ds;
}

static void seed000_arch(lt_ae_opts *o)
{
    int w[7] = {10, 8, 6, 2, 6, 8, 10};
    lt_ae_opts_default(o);
    lt_ae_opts_set_widths(o, w, 7);
    for (int l = 0; l < 6; l++) o->act[l] = LT_ACT_TANH;
    o->act[2] = LT_ACT_LINEAR;
    o->act[5] = LT_ACT_SIGMOID;
    o->seed = 7;
}

/* Trains the seed-000 network for 3 epochs on communicator cc; fills the
 * per-epoch train and val losses. */
static void train3(lt_comm *cc, const lt_train_opts *to, double *tl, double *vl, lt_ae **keep)
{
    lt_ae_opts ao;
    seed000_arch(&ao);
    lt_ae *ae = NULL;
    lt_dataset *tr = make_data(cc, 3000, 10, 1), *va = make_data(cc, 500, 10, 2);
    ck_assert(tr && va);
    LT_ASSERT_OK(lt_ae_create(cc, &ao, &ae));
    LT_ASSERT_OK(lt_ae_fit(cc, ae, to, tr, va, NULL, NULL));
    ck_assert_int_eq(ae->hist.n, 3);
    for (int e = 0; e < 3; e++) {
        tl[e] = ae->hist.train_loss[e];
        vl[e] = ae->hist.val_loss[e];
    }
    lt_dataset_destroy(&tr);
    lt_dataset_destroy(&va);
    if (keep) *keep = ae;
    else lt_ae_destroy(&ae);
}

static void compare_with_serial(const lt_train_opts *to)
{
    lt_comm *c = lt_test_comm();
    double tl[3], vl[3], st[6] = {0};
    lt_ae *ae = NULL;
    train3(c, to, tl, vl, &ae);
    int same = nt_same_on_all_ranks(c, ae);
    if (lt_comm_rank(c) == 0) {
        lt_comm *self = NULL;
        LT_ASSERT_OK(lt_comm_create_self(&self));
        train3(self, to, st, st + 3, NULL);
        lt_comm_destroy(&self);
    }
    LT_ASSERT_OK(lt_comm_bcast(c, st, sizeof st, 0));
    LT_ASSERT_ALL(same);
    for (int e = 0; e < 3; e++) {
        ck_assert_msg(fabs(tl[e] - st[e]) <= 1e-4 * st[e], "epoch %d train loss %.9g, serial %.9g",
                      e + 1, tl[e], st[e]);
        ck_assert_msg(fabs(vl[e] - st[3 + e]) <= 1e-4 * st[3 + e],
                      "epoch %d val loss %.9g, serial %.9g", e + 1, vl[e], st[3 + e]);
    }
    ck_assert_msg(tl[2] < tl[0], "loss did not decrease: %g -> %g", tl[0], tl[2]);
    lt_ae_destroy(&ae);
}

START_TEST(sgd_matches_serial_run)
{
    lt_train_opts to;
    lt_train_opts_default(&to);
    to.optimizer = LT_OPT_SGD;
    to.lr = 0.5;
    to.momentum = 0.9;
    to.batch_size = 64;
    to.epochs = 3;
    to.seed = 3;
    compare_with_serial(&to);
}
END_TEST

START_TEST(denoising_adam_matches_serial_run)
{
    lt_train_opts to;
    lt_train_opts_default(&to);
    to.lr = 0.01;
    to.batch_size = 50;
    to.epochs = 3;
    to.seed = 4;
    to.noise_factor = 0.3;
    compare_with_serial(&to);
}
END_TEST

START_TEST(resume_equals_straight_run)
{
    lt_comm *c = lt_test_comm();
    lt_ae_opts ao;
    seed000_arch(&ao);
    ao.loss = LT_LOSS_BCE;
    lt_train_opts to;
    lt_train_opts_default(&to);
    to.optimizer = LT_OPT_RMSPROP;
    to.batch_size = 37;
    to.seed = 9;
    lt_dataset *tr = make_data(c, 1000, 10, 5);
    lt_ae *a = NULL, *b = NULL, *l = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &ao, &a));
    LT_ASSERT_OK(lt_ae_create(c, &ao, &b));
    to.epochs = 2;
    LT_ASSERT_OK(lt_ae_fit(c, a, &to, tr, NULL, NULL, NULL));
    to.epochs = 1;
    LT_ASSERT_OK(lt_ae_fit(c, b, &to, tr, NULL, NULL, NULL));
    nt_resave(c, b, "resume.h5", (size_t)b->nparams, &l); /* RMSprop: one average */
    ck_assert_int_eq(l->epoch, 1);
    ck_assert_int_eq(l->hist.n, 1);
    ck_assert(l->hist.train_loss[0] == b->hist.train_loss[0]);
    ck_assert_int_eq(l->opt_t, b->opt_t);
    ck_assert_int_eq(l->arch.loss, LT_LOSS_BCE);
    ck_assert_int_eq(l->arch.act[2], LT_ACT_LINEAR);
    to.epochs = 2;
    LT_ASSERT_OK(lt_ae_fit(c, l, &to, tr, NULL, NULL, NULL));
    ck_assert_msg(memcmp(l->params, a->params, sizeof(float) * (size_t)a->nparams) == 0,
                  "resumed training differs from the straight run");
    ck_assert(l->hist.train_loss[1] == a->hist.train_loss[1]);
    LT_ASSERT_ALL(nt_same_on_all_ranks(c, l));
    lt_ae_destroy(&a);
    lt_ae_destroy(&b);
    lt_ae_destroy(&l);
    lt_dataset_destroy(&tr);
}
END_TEST

START_TEST(inference_on_tiny_data_with_empty_ranks)
{
    /* 5 rows: on 4 ranks the last rank holds none. */
    lt_comm *c = lt_test_comm();
    lt_ae_opts ao;
    seed000_arch(&ao);
    lt_train_opts to;
    lt_train_opts_default(&to);
    to.batch_size = 2;
    to.epochs = 2;
    lt_dataset *x = make_data(c, 5, 10, 6), *z = NULL, *r1 = NULL, *r2 = NULL, *err = NULL;
    lt_ae *ae = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &ao, &ae));
    LT_ASSERT_OK(lt_ae_fit(c, ae, &to, x, x, NULL, NULL));
    LT_ASSERT_OK(lt_ae_encode(c, ae, x, &z));
    ck_assert_int_eq(z->d, 2);
    ck_assert_int_eq(z->n, 5);
    ck_assert_int_eq(z->nloc, x->nloc);
    int ok = 1;
    for (int64_t i = 0; i < x->nloc; i++) ok &= z->y[i] == x->y[i];
    LT_ASSERT_OK(lt_ae_decode(c, ae, z, &r1));
    LT_ASSERT_OK(lt_ae_reconstruct(c, ae, x, &r2));
    ok &= memcmp(r1->x, r2->x, sizeof(float) * (size_t)(x->nloc * 10)) == 0;
    double mse, loss, s = 0;
    LT_ASSERT_OK(lt_ae_row_errors(c, ae, x, &err, &mse));
    LT_ASSERT_OK(lt_ae_evaluate(c, ae, x, &loss));
    for (int64_t i = 0; i < x->nloc; i++) {
        s += err->x[2 * i + 1];
        ok &= err->x[2 * i] >= 0 && err->x[2 * i] <= 10;
    }
    LT_ASSERT_OK(lt_comm_sum_d(c, &s, 1));
    LT_ASSERT_ALL(ok);
    ck_assert_msg(fabs(s / 5 - mse) < 1e-6 && fabs(loss - mse) < 1e-6, "mse %g, rows %g, loss %g",
                  mse, s / 5, loss);
    ck_assert_double_eq(ae->hist.val_loss[1], ae->hist.val_loss[1]); /* not NaN */
    lt_dataset_destroy(&x);
    lt_dataset_destroy(&z);
    lt_dataset_destroy(&r1);
    lt_dataset_destroy(&r2);
    lt_dataset_destroy(&err);
    lt_ae_destroy(&ae);
}
END_TEST

static void expect(lt_status got, lt_status want, const char *text)
{
    ck_assert_msg(got == want && strstr(lt_error_message(), text), "got %s '%s', want %s '%s'",
                  lt_status_name(got), lt_error_message(), lt_status_name(want), text);
    lt_error_clear();
}

START_TEST(bad_input_gives_agreed_errors)
{
    lt_comm *c = lt_test_comm();
    lt_ae_opts ao;
    lt_ae *ae = NULL, *bad = NULL;
    int w[3] = {10, 4, 9};
    lt_ae_opts_default(&ao);
    lt_ae_opts_set_widths(&ao, w, 3);
    expect(lt_ae_create(c, &ao, &bad), LT_ERR_CONFIG, "start and end with the data width");
    ck_assert_ptr_null(bad);
    seed000_arch(&ao);
    ao.act[1] = (lt_activation)17;
    expect(lt_ae_create(c, &ao, &bad), LT_ERR_ARG, "unknown activation");
    seed000_arch(&ao);
    ao.bottleneck = 6;
    expect(lt_ae_create(c, &ao, &bad), LT_ERR_CONFIG, "bottleneck");
    seed000_arch(&ao);
    ao.loss = LT_LOSS_BCE;
    LT_ASSERT_OK(lt_ae_create(c, &ao, &ae));
    lt_train_opts to;
    lt_train_opts_default(&to);
    lt_dataset *x = make_data(c, 40, 10, 1), *x12 = make_data(c, 40, 12, 1), *z = NULL;
    expect(lt_ae_fit(c, ae, &to, x12, NULL, NULL, NULL), LT_ERR_DATA, "expects 10");
    expect(lt_ae_encode(c, ae, x12, &z), LT_ERR_DATA, "has 12 columns");
    to.batch_size = 0;
    expect(lt_ae_fit(c, ae, &to, x, NULL, NULL, NULL), LT_ERR_ARG, "batch size");
    to.batch_size = 41;
    expect(lt_ae_fit(c, ae, &to, x, NULL, NULL, NULL), LT_ERR_ARG, "batch size");
    to.batch_size = 8;
    to.beta1 = 1.5;
    expect(lt_ae_fit(c, ae, &to, x, NULL, NULL, NULL), LT_ERR_ARG, "beta1");
    to.beta1 = 0.9;
    /* One value out of [0, 1] on the last rank that holds rows. */
    int64_t last = lt_shard_owner(40, lt_comm_size(c), 39);
    if (lt_comm_rank(c) == last) x->x[x->nloc * 10 - 1] = 1.5f;
    expect(lt_ae_fit(c, ae, &to, x, NULL, NULL, NULL), LT_ERR_DATA, "binary cross-entropy");
    ck_assert_int_eq(ae->hist.n, 0);
    /* Model files: missing, not HDF5, and a model that does not match the data. */
    char path[512];
    lt_test_path(path, sizeof path, "garbage.h5");
    if (lt_comm_rank(c) == 0) {
        FILE *f = fopen(path, "w");
        fputs("not hdf5\n", f);
        fclose(f);
    }
    LT_ASSERT_OK(lt_comm_barrier(c));
    expect(lt_ae_load(c, path, &bad), LT_ERR_IO, "not HDF5");
    expect(lt_ae_load(c, "/nonexistent/m.h5", &bad), LT_ERR_IO, "cannot open");
    ck_assert_ptr_null(bad);
    LT_ASSERT_OK(lt_ae_save(c, ae, path));
    LT_ASSERT_OK(lt_ae_load(c, path, &bad));
    expect(lt_ae_reconstruct(c, bad, x12, &z), LT_ERR_DATA, "expects 10");
    ck_assert_ptr_null(z);
    if (lt_comm_rank(c) == 0) remove(path);
    lt_ae_destroy(&bad);
    lt_ae_destroy(&ae);
    lt_dataset_destroy(&x);
    lt_dataset_destroy(&x12);
}
END_TEST

START_TEST(divergence_keeps_last_good_model)
{
    lt_comm *c = lt_test_comm();
    lt_ae_opts ao;
    seed000_arch(&ao);
    for (int l = 0; l < 6; l++) ao.act[l] = LT_ACT_LINEAR;
    lt_train_opts to;
    lt_train_opts_default(&to);
    to.optimizer = LT_OPT_SGD;
    to.lr = 1e6;
    to.batch_size = 16;
    to.epochs = 5;
    lt_dataset *x = make_data(c, 200, 10, 1);
    lt_ae *ae = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &ao, &ae));
    expect(lt_ae_fit(c, ae, &to, x, NULL, NULL, NULL), LT_ERR_NUMERIC, "diverged");
    int finite = 1;
    for (int64_t i = 0; i < ae->nparams; i++) finite &= isfinite(ae->params[i]);
    ck_assert(finite);
    LT_ASSERT_ALL(nt_same_on_all_ranks(c, ae));
    lt_ae_destroy(&ae);
    lt_dataset_destroy(&x);
}
END_TEST

static void count_cb(const lt_epoch_report *r, void *ctx)
{
    int *n = ctx;
    n[r->kind]++;
}

START_TEST(early_stopping_and_callback)
{
    lt_comm *c = lt_test_comm();
    lt_ae_opts ao;
    seed000_arch(&ao);
    lt_train_opts to;
    lt_train_opts_default(&to);
    to.batch_size = 100;
    to.epochs = 10;
    to.patience = 1;
    to.min_delta = 1e9; /* nothing counts as an improvement after the first epoch */
    lt_dataset *x = make_data(c, 300, 10, 1);
    lt_ae *ae = NULL;
    int calls[2] = {0, 0};
    LT_ASSERT_OK(lt_ae_create(c, &ao, &ae));
    LT_ASSERT_OK(lt_ae_fit(c, ae, &to, x, NULL, count_cb, calls));
    ck_assert_int_eq(ae->hist.n, 2);
    ck_assert_int_eq(ae->epoch, 2);
    ck_assert_int_eq(calls[1], 2);
    ck_assert_int_eq(calls[0], 6);
    ck_assert(ae->hist.samples_per_sec[0] > 0 && isnan(ae->hist.val_loss[0]));
    lt_ae_destroy(&ae);
    lt_dataset_destroy(&x);
}
END_TEST

/* Flushing subnormals changes nothing visible in the losses, and the
 * caller's floating-point mode is back as it was after training. */
START_TEST(flush_denormals_is_scoped_and_harmless)
{
    lt_train_opts to;
    lt_train_opts_default(&to);
    ck_assert_int_eq(to.flush_denormals, 1);
    to.optimizer = LT_OPT_RMSPROP;
    to.batch_size = 32;
    to.epochs = 3;
    to.seed = 5;
    double on[6], off[6];
#if defined(__x86_64__) || defined(__i386__)
    unsigned before = __builtin_ia32_stmxcsr();
#endif
    train3(lt_test_comm(), &to, on, on + 3, NULL);
#if defined(__x86_64__) || defined(__i386__)
    ck_assert_uint_eq(__builtin_ia32_stmxcsr(), before);
#endif
    to.flush_denormals = 0;
    train3(lt_test_comm(), &to, off, off + 3, NULL);
    for (int e = 0; e < 6; e++)
        ck_assert_msg(fabs(on[e] - off[e]) <= 1e-6 * off[e], "loss %d: %.9g flushed, %.9g not", e, on[e], off[e]);
}
END_TEST

/* A stop request within an epoch: the checkpointed model carries every
 * rank's loss sum of that epoch, so the resumed run reports the same epoch
 * loss, to the bit, as a run that was never interrupted. */
typedef struct {
    volatile sig_atomic_t flag;
    int64_t at;
} stop_at;

static void stop_cb(const lt_epoch_report *r, void *ctx)
{
    stop_at *s = ctx;
    if (r->kind == 0 && r->epoch == 2 && r->step == s->at) s->flag = 1;
}

START_TEST(interrupted_epoch_loss_survives_resume)
{
    lt_comm *c = lt_test_comm();
    lt_ae_opts ao;
    seed000_arch(&ao);
    lt_train_opts to;
    lt_train_opts_default(&to);
    to.batch_size = 50;
    to.epochs = 3;
    to.seed = 11;
    lt_dataset *tr = make_data(c, 1000, 10, 6);
    lt_ae *a = NULL, *b = NULL, *l = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &ao, &a));
    LT_ASSERT_OK(lt_ae_create(c, &ao, &b));
    LT_ASSERT_OK(lt_ae_fit(c, a, &to, tr, NULL, NULL, NULL));
    stop_at s = {0, 7};
    to.stop_request = &s.flag;
    ck_assert_int_eq(lt_ae_fit(c, b, &to, tr, NULL, stop_cb, &s), LT_ERR_INTERRUPTED);
    ck_assert_int_eq(b->epoch, 1);
    ck_assert(b->step > 0 && b->step < 20);
    ck_assert_int_eq(b->part.nranks, lt_comm_size(c));
    nt_resave(c, b, "partial.h5", 2 * (size_t)b->nparams, &l); /* Adam: two moments */
    ck_assert_int_eq(l->part.nranks, lt_comm_size(c));
    ck_assert(memcmp(l->part.loss, b->part.loss, sizeof(double) * (size_t)lt_comm_size(c)) == 0);
    s.flag = 0;
    s.at = -1;
    LT_ASSERT_OK(lt_ae_fit(c, l, &to, tr, NULL, NULL, NULL));
    ck_assert_int_eq(l->part.nranks, 0);
    ck_assert_int_eq(l->hist.n, 3);
    for (int e = 0; e < 3; e++)
        ck_assert_msg(l->hist.train_loss[e] == a->hist.train_loss[e], "epoch %d loss %.17g, straight %.17g",
                      e + 1, l->hist.train_loss[e], a->hist.train_loss[e]);
    ck_assert(memcmp(l->params, a->params, sizeof(float) * (size_t)a->nparams) == 0);
    lt_ae_destroy(&a);
    lt_ae_destroy(&b);
    lt_ae_destroy(&l);
    lt_dataset_destroy(&tr);
}
END_TEST

/* A model written before the HDF5 convention (tests/fixtures/nn/ae_model_v1.h5,
 * `latent train` at ad473ed: blobs n_samples 24, n_features 3, seed 7, minmax;
 * layers 3,2,3, adam, 2 epochs, batch 8, seed 7) loads with its values, and
 * saving it again keeps every value. */
START_TEST(loads_model_saved_before_the_convention)
{
    lt_comm *c = lt_test_comm();
    lt_ae *m = nt_load_fixture(c, "nn/ae_model_v1.h5"), *r = NULL;
    ck_assert_int_eq(m->arch.nlayers, 3);
    ck_assert(m->arch.widths[0] == 3 && m->arch.widths[1] == 2 && m->arch.widths[2] == 3);
    ck_assert(m->arch.act[0] == LT_ACT_LINEAR && m->arch.act[1] == LT_ACT_SIGMOID);
    ck_assert(m->arch.loss == LT_LOSS_MSE && m->arch.seed == 7 && m->train_seed == 7);
    ck_assert(m->code == 1 && m->epoch == 2 && m->step == 0 && m->opt_t == 6);
    ck_assert_int_eq(m->state_kind, LT_OPT_ADAM);
    ck_assert_int_eq(m->hist.n, 2);
    ck_assert(m->hist.train_loss[0] == 0.09184265608564601 && isnan(m->hist.val_loss[1]));
    const float *k0 = m->params + m->woff[0], *b0 = m->params + m->boff[0];
    ck_assert(k0[0] == -0.03922431915998459f && k0[5] == 0.5032426714897156f);
    ck_assert(b0[1] == 0.005030766595155001f);
    ck_assert(m->state[0] == -0.0005603724275715649f);
    nt_resave(c, m, "resaved.h5", 2 * (size_t)m->nparams, &r); /* Adam: two moments */
    ck_assert(memcmp(r->hist.seconds, m->hist.seconds, sizeof(double) * 2) == 0);
    ck_assert(r->epoch == m->epoch && r->opt_t == m->opt_t && r->arch.seed == m->arch.seed);
    lt_ae_destroy(&m);
    lt_ae_destroy(&r);
}
END_TEST

/* A stack model (format 2) written before the HDF5 convention
 * (tests/fixtures/nn/ae_stack_v2.h5, `latent train` at e838609: blobs 40 x 16,
 * seed 5, minmax; stack = conv 2 3 same relu, pool 2 same, flatten, dense 3
 * linear, dense 16 sigmoid, reshape 4 4 1 on 4, 4, 1; rmsprop, 2 epochs, batch
 * 8, seed 5): the stack, the 4-D conv kernel and the skipped parameterless
 * layers load, and a second save keeps every value. */
START_TEST(loads_stack_model_saved_before_the_convention)
{
    lt_comm *c = lt_test_comm();
    lt_ae *m = nt_load_fixture(c, "nn/ae_stack_v2.h5"), *r = NULL;
    ck_assert_int_eq(m->arch.nstack, 6);
    ck_assert(m->arch.input_shape[0] == 4 && m->arch.input_shape[1] == 4 && m->arch.input_shape[2] == 1);
    ck_assert_int_eq(m->nparams, 111);
    ck_assert(m->code == 4 && m->epoch == 2 && m->opt_t == 10 && m->state_kind == LT_OPT_RMSPROP);
    const float *k0 = m->params + m->woff[0], *b3 = m->params + m->boff[3];
    ck_assert(k0[0] == 0.11563215404748917f && k0[3] == -0.2675012946128845f);
    ck_assert(b3[2] == -0.00587573554366827f);
    ck_assert(m->hist.train_loss[1] == 0.11374523344267047);
    nt_resave(c, m, "resaved_stack.h5", (size_t)m->nparams, &r); /* RMSprop: one average */
    ck_assert(r->arch.nstack == 6);
    lt_ae_destroy(&m);
    lt_ae_destroy(&r);
}
END_TEST

/* A model file with a NaN or an infinity (in a kernel, a bias or the
 * optimizer state: a corrupt file, or one saved by a diverged run) is
 * refused on every rank with a message naming the dataset, not loaded to
 * send NaN through every code. */
static void expect_refused(lt_comm *c, const lt_ae *m, const char *path, const char *what)
{
    lt_ae *r = NULL;
    LT_ASSERT_OK(lt_ae_save(c, m, path));
    ck_assert_int_eq(lt_ae_load(c, path, &r), LT_ERR_FORMAT);
    ck_assert_msg(strstr(lt_error_message(), what) && strstr(lt_error_message(), "non-finite"),
                  "message: %s", lt_error_message());
    ck_assert_ptr_null(r);
}

START_TEST(non_finite_model_is_refused)
{
    lt_comm *c = lt_test_comm();
    char fx[1024], path[1024];
    lt_ae *m = NULL, *r = NULL;
    LT_ASSERT_OK(lt_ae_load(c, lt_test_fixture(fx, sizeof fx, "nn/ae_stack_v2.h5"), &m));
    lt_test_path(path, sizeof path, "nonfinite.h5");
    float *k1 = m->params + m->woff[1], *b3 = m->params + m->boff[3], keep = k1[2];
    k1[2] = NAN;
    expect_refused(c, m, path, "/kernel' holds a non-finite value (NaN at index 2)");
    k1[2] = keep, keep = b3[0], b3[0] = -INFINITY;
    expect_refused(c, m, path, "/bias' holds a non-finite value (infinity at index 0)");
    b3[0] = keep, m->state[7] = INFINITY;
    expect_refused(c, m, path, "'optimizer/state'");
    m->state[7] = 0;
    LT_ASSERT_OK(lt_ae_save(c, m, path)); /* and a finite one still loads */
    LT_ASSERT_OK(lt_ae_load(c, path, &r));
    lt_ae_destroy(&m);
    lt_ae_destroy(&r);
    if (lt_comm_rank(c) == 0) remove(path);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("nn_train");
    TCase *t = tcase_create("train");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, sgd_matches_serial_run);
    tcase_add_test(t, denoising_adam_matches_serial_run);
    tcase_add_test(t, resume_equals_straight_run);
    tcase_add_test(t, inference_on_tiny_data_with_empty_ranks);
    tcase_add_test(t, bad_input_gives_agreed_errors);
    tcase_add_test(t, divergence_keeps_last_good_model);
    tcase_add_test(t, early_stopping_and_callback);
    tcase_add_test(t, flush_denormals_is_scoped_and_harmless);
    tcase_add_test(t, interrupted_epoch_loss_survives_resume);
    tcase_add_test(t, loads_model_saved_before_the_convention);
    tcase_add_test(t, loads_stack_model_saved_before_the_convention);
    tcase_add_test(t, non_finite_model_is_refused);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
