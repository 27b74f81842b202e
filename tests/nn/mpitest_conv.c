/* The first notebook convolutional autoencoder trained data-parallel on 1,
 * 2 and 4 ranks: loss curves against a serial run, bit-identical parameters
 * on every rank, model files of stacks, wrong image widths. */
#include "nn_testutil.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MODEL1                                                                                   \
    "conv 8 3 same relu, pool 2 same, conv 4 3 same relu, pool 2 same, conv 4 3 same relu, "     \
    "pool 2 same, conv 4 3 same relu, up 2, conv 4 3 same relu, up 2, conv 8 3 relu, up 2, "     \
    "conv 1 3 same relu"

/* 28 x 28 images of one or two soft blobs, a function of the global row. */
static lt_dataset *make_images(lt_comm *c, int64_t n, uint64_t seed)
{
    lt_dataset *ds = NULL;
    if (lt_dataset_create(c, n, 784, 1, &ds) != LT_OK) return NULL;
    for (int64_t i = 0; i < ds->nloc; i++) {
        int64_t g = ds->row0 + i;
        lt_rng r;
        lt_rng_init(&r, seed, LT_STREAM_DATA, (uint64_t)g);
        double cy[2], cx[2], s[2];
        int nb = 1 + (int)(g % 2);
        for (int b = 0; b < 2; b++) {
            cy[b] = 6 + 16 * lt_rng_uniform(&r);
            cx[b] = 6 + 16 * lt_rng_uniform(&r);
            s[b] = 2 + 3 * lt_rng_uniform(&r);
        }
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) {
                double v = 0;
                for (int b = 0; b < nb; b++)
                    v += exp(-((y - cy[b]) * (y - cy[b]) + (x - cx[b]) * (x - cx[b])) / (2 * s[b] * s[b]));
                ds->x[i * 784 + y * 28 + x] = (float)(v > 1 ? 1 : v);
            }
        ds->y[i] = nb - 1;
    }
    return ds;
}

static void model1_opts(lt_ae_opts *o)
{
    lt_ae_opts_default(o);
    ck_assert_int_eq(lt_stack_parse(MODEL1, o->stack, LT_AE_MAX_LAYERS - 1, &o->nstack), LT_OK);
    o->input_shape[0] = 28, o->input_shape[1] = 28, o->input_shape[2] = 1;
    o->seed = 5;
}

static void notebook_train_opts(lt_train_opts *to, int epochs)
{
    lt_train_opts_default(to);
    to->optimizer = LT_OPT_RMSPROP;
    to->batch_size = 128;
    to->epochs = epochs;
    to->seed = 2;
}

#define EPOCHS 3

static void train(lt_comm *cc, double *tl, double *vl, lt_ae **keep)
{
    lt_ae_opts ao;
    lt_train_opts to;
    model1_opts(&ao);
    notebook_train_opts(&to, EPOCHS);
    lt_dataset *tr = make_images(cc, 700, 1), *va = make_images(cc, 100, 2);
    ck_assert(tr && va);
    lt_ae *ae = NULL;
    LT_ASSERT_OK(lt_ae_create(cc, &ao, &ae));
    LT_ASSERT_OK(lt_ae_fit(cc, ae, &to, tr, va, NULL, NULL));
    for (int e = 0; e < EPOCHS; e++) tl[e] = ae->hist.train_loss[e], vl[e] = ae->hist.val_loss[e];
    lt_dataset_destroy(&tr);
    lt_dataset_destroy(&va);
    if (keep) *keep = ae;
    else lt_ae_destroy(&ae);
}

START_TEST(model1_loss_curve_matches_serial)
{
    lt_comm *c = lt_test_comm();
    double tl[EPOCHS], vl[EPOCHS], st[2 * EPOCHS] = {0};
    lt_ae *ae = NULL;
    train(c, tl, vl, &ae);
    int same = nt_same_on_all_ranks(c, ae);
    if (lt_comm_rank(c) == 0) {
        lt_comm *self = NULL;
        LT_ASSERT_OK(lt_comm_create_self(&self));
        train(self, st, st + EPOCHS, NULL);
        lt_comm_destroy(&self);
    }
    LT_ASSERT_OK(lt_comm_bcast(c, st, sizeof st, 0));
    LT_ASSERT_ALL(same);
    for (int e = 0; e < EPOCHS; e++) {
        ck_assert_msg(fabs(tl[e] - st[e]) <= 1e-4 * st[e], "epoch %d train loss %.9g, serial %.9g",
                      e + 1, tl[e], st[e]);
        ck_assert_msg(fabs(vl[e] - st[EPOCHS + e]) <= 1e-4 * st[EPOCHS + e],
                      "epoch %d val loss %.9g, serial %.9g", e + 1, vl[e], st[EPOCHS + e]);
    }
    ck_assert_msg(tl[EPOCHS - 1] < 0.9 * tl[0], "loss did not decrease: %g -> %g", tl[0],
                  tl[EPOCHS - 1]);
    lt_ae_destroy(&ae);
}
END_TEST

START_TEST(stack_model_file_round_trips)
{
    lt_comm *c = lt_test_comm();
    lt_ae_opts ao;
    lt_train_opts to;
    model1_opts(&ao);
    notebook_train_opts(&to, 1);
    lt_dataset *tr = make_images(c, 300, 3);
    lt_ae *ae = NULL, *back = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &ao, &ae));
    LT_ASSERT_OK(lt_ae_fit(c, ae, &to, tr, NULL, NULL, NULL));
    char path[512];
    lt_test_path(path, sizeof path, "model1.h5");
    LT_ASSERT_OK(lt_ae_save(c, ae, path));
    LT_ASSERT_OK(lt_ae_load(c, path, &back));
    ck_assert_int_eq(back->arch.nstack, 13);
    ck_assert(memcmp(back->arch.stack, ae->arch.stack, sizeof(lt_layer_spec) * 13) == 0);
    ck_assert(memcmp(back->arch.input_shape, ae->arch.input_shape, sizeof ae->arch.input_shape) == 0);
    ck_assert_int_eq(back->nparams, 1185);
    ck_assert_int_eq(back->code, ae->code);
    ck_assert(memcmp(back->params, ae->params, sizeof(float) * 1185) == 0);
    ck_assert(memcmp(back->state, ae->state, sizeof(float) * 1185) == 0);
    char s1[4096], s2[4096];
    LT_ASSERT_OK(lt_ae_summary(ae, s1, sizeof s1));
    LT_ASSERT_OK(lt_ae_summary(back, s2, sizeof s2));
    ck_assert_str_eq(s1, s2);
    /* one more epoch from each: the same parameters */
    notebook_train_opts(&to, 2);
    LT_ASSERT_OK(lt_ae_fit(c, ae, &to, tr, NULL, NULL, NULL));
    LT_ASSERT_OK(lt_ae_fit(c, back, &to, tr, NULL, NULL, NULL));
    ck_assert(memcmp(back->params, ae->params, sizeof(float) * 1185) == 0);
    lt_ae_destroy(&back);
    lt_ae_destroy(&ae);
    lt_dataset_destroy(&tr);
}
END_TEST

START_TEST(image_width_mismatch_fails_on_every_rank)
{
    lt_comm *c = lt_test_comm();
    lt_ae_opts ao;
    lt_train_opts to;
    model1_opts(&ao);
    notebook_train_opts(&to, 1);
    lt_ae *ae = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &ao, &ae));
    lt_dataset *x = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, 200, 28 * 27, 0, &x));
    lt_status st = lt_ae_fit(c, ae, &to, x, NULL, NULL, NULL);
    LT_ASSERT_ALL(st == LT_ERR_DATA);
    ck_assert_msg(strstr(lt_error_message(), "756 columns but the model's input shape 28 x 28 x 1 needs 784"),
                  "%s", lt_error_message());
    lt_dataset_destroy(&x);
    lt_ae_destroy(&ae);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("nn_conv_mpi");
    TCase *t = tcase_create("train");
    tcase_set_timeout(t, 240);
    tcase_add_test(t, model1_loss_curve_matches_serial);
    tcase_add_test(t, stack_model_file_round_trips);
    tcase_add_test(t, image_width_mismatch_fails_on_every_rank);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
