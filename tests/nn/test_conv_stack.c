/* Stacks of layer kinds in the autoencoder on one rank: the two notebook
 * models' shapes, parameter counts and summaries, Glorot limits, whole-stack
 * gradients against finite differences of a double reference (a stack that
 * ends in upsampling, with valid convolution and odd pooling), encode /
 * decode through the code layer, and the bad stacks. */
#include "lt_test.h"
#include "latent/lt_nn.h"
#include "latent/lt_rng.h"
#include "../../src/nn/nn_internal.h"
#include "conv_ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MODEL1                                                                                   \
    "conv 8 3 same relu, pool 2 same, conv 4 3 same relu, pool 2 same, conv 4 3 same relu, "     \
    "pool 2 same, conv 4 3 same relu, up 2, conv 4 3 same relu, up 2, conv 8 3 relu, up 2, "     \
    "conv 1 3 same relu"
#define MODEL2                                                                                   \
    "conv 32 3 same relu, pool 2 same, conv 32 3 same relu, pool 2 same, conv 32 3 same relu, "  \
    "up 2, conv 32 3 same relu, up 2, conv 1 3 same relu"

static lt_status build(const char *stack, int h, int w, int c, lt_ae **ae)
{
    lt_ae_opts o;
    lt_ae_opts_default(&o);
    LT_CALL(lt_stack_parse(stack, o.stack, LT_AE_MAX_LAYERS - 1, &o.nstack));
    o.input_shape[0] = h, o.input_shape[1] = w, o.input_shape[2] = c;
    o.seed = 3;
    return lt_ae_create(lt_test_comm(), &o, ae);
}

START_TEST(notebook_models_shapes_and_counts)
{
    lt_ae *ae = NULL;
    LT_ASSERT_OK(build(MODEL1, 28, 28, 1, &ae));
    ck_assert_int_eq(ae->nparams, 1185);
    /* the notebook's summary: 28x28x8, 14x14x8, 14x14x4, 7x7x4, 7x7x4, 4x4x4, 4x4x4, 8x8x4,
     * 8x8x4, 16x16x4, 14x14x8, 28x28x8, 28x28x1 */
    const int want[13][3] = {{28, 28, 8}, {14, 14, 8}, {14, 14, 4}, {7, 7, 4}, {7, 7, 4},
                             {4, 4, 4},   {4, 4, 4},   {8, 8, 4},   {8, 8, 4}, {16, 16, 4},
                             {14, 14, 8}, {28, 28, 8}, {28, 28, 1}};
    const int params[13] = {80, 0, 292, 0, 148, 0, 148, 0, 148, 0, 296, 0, 73};
    ck_assert_int_eq(ae->nw, 13);
    for (int l = 0; l < 13; l++) {
        const lt_layer *L = &ae->layers[l];
        ck_assert_msg(L->out.h == want[l][0] && L->out.w == want[l][1] && L->out.c == want[l][2],
                      "layer %d: %dx%dx%d", l + 1, L->out.h, L->out.w, L->out.c);
        ck_assert_int_eq(lt_layer_nweights(L) + lt_layer_nbias(L), params[l]);
    }
    ck_assert_int_eq(ae->code, 6); /* 4x4x4 = 64 after the third pooling */
    ck_assert_int_eq(ae->arch.widths[ae->code], 64);
    ck_assert_int_eq(ae->arch.widths[0], 784);
    char buf[4096];
    LT_ASSERT_OK(lt_ae_summary(ae, buf, sizeof buf));
    ck_assert_msg(strstr(buf, "Total params: 1,185"), "%s", buf);
    ck_assert(strstr(buf, "conv2d_6 (Conv2D)                 (None, 14, 14, 8)       296\n"));
    ck_assert(strstr(buf, "max_pooling2d_3 (MaxPooling2D)    (None, 4, 4, 4)         0         <- code"));
    ck_assert(strstr(buf, "input (InputLayer)                (None, 28, 28, 1)"));
    ck_assert_int_eq(lt_ae_summary(ae, buf, 100), LT_ERR_ARG);
    /* Glorot limits: first layer sqrt(6 / (9 + 72)), 8 -> 4: sqrt(6 / 108) */
    double mx0 = 0, mx1 = 0;
    for (int i = 0; i < 72; i++) mx0 = fmax(mx0, fabs(ae->params[ae->woff[0] + i]));
    for (int i = 0; i < 288; i++) mx1 = fmax(mx1, fabs(ae->params[ae->woff[2] + i]));
    ck_assert(mx0 <= sqrt(6.0 / 81) && mx0 > 0.8 * sqrt(6.0 / 81));
    ck_assert(mx1 <= sqrt(6.0 / 108) && mx1 > 0.9 * sqrt(6.0 / 108));
    for (int i = 0; i < 8; i++) ck_assert_float_eq(ae->params[ae->boff[0] + i], 0.0f);
    lt_ae_destroy(&ae);

    LT_ASSERT_OK(build(MODEL2, 28, 28, 1, &ae));
    ck_assert_int_eq(ae->nparams, 28353);
    ck_assert_int_eq(ae->code, 4); /* 7x7x32 */
    ck_assert_int_eq(ae->arch.widths[ae->code], 7 * 7 * 32);
    LT_ASSERT_OK(lt_ae_summary(ae, buf, sizeof buf));
    ck_assert_msg(strstr(buf, "Total params: 28,353"), "%s", buf);
    lt_ae_destroy(&ae);
}
END_TEST

/* Mean squared error of the stack on x (m rows), all in double. */
static double stack_loss(const lt_ae *ae, const double *p, const float *x, int64_t m)
{
    int64_t d = ae->arch.widths[0], maxw = 0;
    for (int i = 0; i < ae->arch.nlayers; i++) maxw = ae->arch.widths[i] > maxw ? ae->arch.widths[i] : maxw;
    double *a = malloc(sizeof(double) * (size_t)(m * maxw)), *b = malloc(sizeof(double) * (size_t)(m * maxw));
    for (int64_t i = 0; i < m * d; i++) a[i] = x[i];
    for (int l = 0; l < ae->nw; l++) {
        ref_forward(&ae->layers[l], p + ae->woff[l], p + ae->boff[l], a, m, b);
        double *t = a;
        a = b, b = t;
    }
    double s = 0;
    for (int64_t i = 0; i < m * d; i++) s += (a[i] - x[i]) * (a[i] - x[i]);
    free(a), free(b);
    return s / ((double)m * d);
}

static void stack_gradcheck(const char *stack, int h, int w, int c, int m)
{
    lt_ae *ae = NULL;
    LT_ASSERT_OK(build(stack, h, w, c, &ae));
    LT_ASSERT_OK(nn_workspace(ae, m));
    lt_rng r;
    lt_rng_init(&r, 17, LT_STREAM_USER, 0);
    int64_t d = ae->arch.widths[0];
    float *x = malloc(sizeof(float) * (size_t)(m * d));
    for (int64_t i = 0; i < m * d; i++) x[i] = (float)(0.05 + 0.9 * lt_rng_uniform(&r));
    for (int64_t i = 0; i < ae->nparams; i++) ae->params[i] += (float)(0.2 * (lt_rng_uniform(&r) - 0.5));
    double lsum = nn_forward_backward(ae, x, x, m, 1.0 / ((double)m * d));
    double *p = malloc(sizeof(double) * (size_t)ae->nparams), worst = 0, gmax = 0;
    for (int64_t i = 0; i < ae->nparams; i++) p[i] = ae->params[i];
    double lref = stack_loss(ae, p, x, m);
    ck_assert_msg(fabs(lsum / ((double)m * d) - lref) <= 1e-5 * lref, "loss %.9g, reference %.9g",
                  lsum / ((double)m * d), lref);
    for (int64_t i = 0; i < ae->nparams; i++) {
        const double hh = 1e-6, keep = p[i];
        p[i] = keep + hh;
        double lp = stack_loss(ae, p, x, m);
        p[i] = keep - hh;
        double lm = stack_loss(ae, p, x, m);
        p[i] = keep;
        double fd = (lp - lm) / (2 * hh);
        worst = fmax(worst, fabs(fd - ae->grads[i]));
        gmax = fmax(gmax, fabs(fd));
    }
    ck_assert_msg(gmax > 1e-4, "gradient vanished");
    ck_assert_msg(worst / gmax < 2e-3, "%s: gradient error %.3g (of %.3g)", stack, worst / gmax, gmax);
    free(p), free(x);
    lt_ae_destroy(&ae);
}

START_TEST(stack_gradients_match_finite_differences)
{
    /* ends in upsampling; valid conv whose kernel covers its input; odd pooling 5 -> 3 */
    stack_gradcheck("conv 2 3 same tanh, pool 2 same, pool 2 same, conv 3 3 valid tanh, up 5, "
                    "conv 1 3 same sigmoid, up 2",
                    10, 10, 1, 3);
    /* image -> dense -> image, the bottleneck a dense layer */
    stack_gradcheck("conv 3 3 same tanh, pool 2 same, flatten, dense 6 tanh, dense 18, "
                    "reshape 3 3 2, up 2",
                    6, 6, 2, 2);
    /* the first notebook model's kinds with relu on an odd 7x7 input: 7 -> 4 -> 8 -> 6 */
    stack_gradcheck("conv 3 3 same relu, pool 2 same, conv 2 3 same relu, up 2, conv 3 3 valid "
                    "relu, up 2, conv 1 3 valid sigmoid, up 1, reshape 10 10 1, flatten, dense 49 sigmoid, reshape 7 7 1",
                    7, 7, 1, 2);
}
END_TEST

START_TEST(encode_decode_through_the_code)
{
    lt_comm *c = lt_test_comm();
    lt_ae *ae = NULL;
    LT_ASSERT_OK(build(MODEL1, 28, 28, 1, &ae));
    lt_dataset *x = NULL, *z = NULL, *y = NULL, *rec = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, 5, 784, 0, &x));
    lt_rng r;
    lt_rng_init(&r, 4, LT_STREAM_USER, 0);
    for (int64_t i = 0; i < x->nloc * 784; i++) x->x[i] = (float)lt_rng_uniform(&r);
    LT_ASSERT_OK(lt_ae_encode(c, ae, x, &z));
    ck_assert_int_eq(z->d, 64);
    LT_ASSERT_OK(lt_ae_decode(c, ae, z, &y));
    LT_ASSERT_OK(lt_ae_reconstruct(c, ae, x, &rec));
    ck_assert_int_eq(y->d, 784);
    ck_assert(memcmp(y->x, rec->x, sizeof(float) * 784 * (size_t)x->nloc) == 0);
    double mse = 0;
    lt_dataset *err = NULL;
    LT_ASSERT_OK(lt_ae_row_errors(c, ae, x, &err, &mse));
    ck_assert(isfinite(mse) && mse > 0);
    /* a dataset of the wrong width: the message names the image shape */
    lt_dataset *bad = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, 3, 780, 0, &bad));
    ck_assert_int_eq(lt_ae_encode(c, ae, bad, &z), LT_ERR_DATA);
    ck_assert_msg(strstr(lt_error_message(), "input shape 28 x 28 x 1 needs 784"), "%s",
                  lt_error_message());
    lt_dataset_destroy(&bad);
    lt_dataset_destroy(&err);
    lt_dataset_destroy(&x), lt_dataset_destroy(&z), lt_dataset_destroy(&y), lt_dataset_destroy(&rec);
    lt_ae_destroy(&ae);
}
END_TEST

static void build_fails(const char *stack, int h, int w, int c, const char *needle)
{
    lt_ae *ae = NULL;
    lt_status st = build(stack, h, w, c, &ae);
    ck_assert_msg(st == LT_ERR_CONFIG, "'%s' built", stack);
    ck_assert_msg(strstr(lt_error_message(), needle), "'%s': message '%s' lacks '%s'", stack,
                  lt_error_message(), needle);
    ck_assert(ae == NULL);
}

START_TEST(bad_stacks_fail_clearly)
{
    build_fails("conv 8 3 same relu, pool 2 same", 28, 28, 1,
                "output shape 14x14x8 differs from its input shape 28x28x1");
    build_fails("conv 1 3 same relu", 28, 28, 1, "no bottleneck");
    build_fails("conv 8 3 same, conv 4 31 valid, up 2", 28, 28, 1,
                "layer 2 (conv): the 31x31 kernel is larger than its 28x28x8 input");
    build_fails("pool 2 same, pool 2 same, pool 2 valid, pool 2 valid, up 16", 12, 12, 1,
                "layer 4 (pool 2, valid) of a 1x1x1 input would reach size 0");
    build_fails("conv 8 3 same, flatten, dense 4, dense 784", 28, 28, 1,
                "output shape 784 differs from its input shape 28x28x1");
    build_fails("conv 8 3 same, pool 2, dense 4, up 2", 28, 28, 1, "put 'flatten' before it");
    build_fails("conv 1 3 same, conv 1 3 same", 0, 0, 9, "needs an image input");
    build_fails("conv 1 3 same, conv 1 3 same", 3, 0, 1, "three positive sizes");
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("nn_conv_stack");
    TCase *t = tcase_create("stack");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, notebook_models_shapes_and_counts);
    tcase_add_test(t, stack_gradients_match_finite_differences);
    tcase_add_test(t, encode_decode_through_the_code);
    tcase_add_test(t, bad_stacks_fail_clearly);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
