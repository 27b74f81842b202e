/* Kernels on one rank: finite-difference gradients (in double) for every
 * activation and both losses, optimizer updates against hand-computed
 * values, the batch permutation, option parsing. */
#include "lt_test.h"
#include "latent/lt_nn.h"
#include "latent/lt_rng.h"
#include "../../src/nn/nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Independent double-precision forward and loss (the reference kernel). */
static double act_d(lt_activation a, double z)
{
    switch (a) {
    case LT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case LT_ACT_RELU: return z > 0 ? z : 0;
    case LT_ACT_TANH: return tanh(z);
    default: return z;
    }
}

static double loss_d(const lt_ae *ae, const double *p, const float *x, int m)
{
    const int *w = ae->arch.widths;
    double a[64], b[64], total = 0;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < w[0]; j++) a[j] = x[i * w[0] + j];
        for (int l = 0; l < ae->nw; l++) {
            const double *W = p + ae->woff[l], *bias = p + ae->boff[l];
            for (int o = 0; o < w[l + 1]; o++) {
                double z = bias[o];
                for (int k = 0; k < w[l]; k++) z += a[k] * W[k * w[l + 1] + o];
                b[o] = act_d(ae->arch.act[l], z);
            }
            memcpy(a, b, sizeof(double) * (size_t)w[l + 1]);
        }
        for (int j = 0; j < w[0]; j++) {
            double y = a[j], t = x[i * w[0] + j];
            if (ae->arch.loss == LT_LOSS_MSE) {
                total += (y - t) * (y - t);
            } else {
                double q = fmin(fmax(y, NN_BCE_EPS), 1 - NN_BCE_EPS);
                total -= t * log(q) + (1 - t) * log(1 - q);
            }
        }
    }
    return total / ((double)m * w[0]);
}

static double gradcheck(lt_activation hidden, lt_activation out, lt_loss loss)
{
    lt_comm *c = lt_test_comm();
    int widths[5] = {4, 5, 3, 5, 4}, m = 7;
    lt_ae_opts o;
    lt_ae_opts_default(&o);
    lt_ae_opts_set_widths(&o, widths, 5);
    for (int l = 0; l < 4; l++) o.act[l] = l == 3 ? out : hidden;
    o.loss = loss;
    o.seed = 11;
    lt_ae *ae = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &o, &ae));
    LT_ASSERT_OK(nn_workspace(ae, m));
    lt_rng r;
    lt_rng_init(&r, 5, LT_STREAM_USER, 0);
    float x[28];
    for (int i = 0; i < 28; i++) x[i] = (float)(0.05 + 0.9 * lt_rng_uniform(&r));
    for (int64_t i = 0; i < ae->nparams; i++) ae->params[i] += (float)(0.3 * (lt_rng_uniform(&r) - 0.5));
    nn_forward(ae, x, m, 0, ae->nw);
    double lsum = nn_backward(ae, x, x, m, 1.0 / (m * 4.0));
    double *p = malloc(sizeof(double) * (size_t)ae->nparams), worst = 0, gmax = 0;
    for (int64_t i = 0; i < ae->nparams; i++) p[i] = ae->params[i];
    double lref = loss_d(ae, p, x, m) * m * 4.0;
    ck_assert_msg(fabs(lsum - lref) <= 2e-6 * fabs(lref), "loss %.9g, double reference %.9g",
                  lsum, lref);
    for (int64_t i = 0; i < ae->nparams; i++) {
        const double h = 1e-6, keep = p[i];
        p[i] = keep + h;
        double lp = loss_d(ae, p, x, m);
        p[i] = keep - h;
        double lm = loss_d(ae, p, x, m);
        p[i] = keep;
        double fd = (lp - lm) / (2 * h);
        worst = fmax(worst, fabs(fd - ae->grads[i]));
        gmax = fmax(gmax, fabs(fd));
    }
    free(p);
    lt_ae_destroy(&ae);
    ck_assert_msg(gmax > 1e-4, "gradient vanished: the check would be vacuous");
    return worst / gmax;
}

START_TEST(gradients_match_finite_differences)
{
    lt_activation acts[4] = {LT_ACT_LINEAR, LT_ACT_SIGMOID, LT_ACT_RELU, LT_ACT_TANH};
    for (int h = 0; h < 4; h++) {
        for (int o = 0; o < 4; o++) {
            double e = gradcheck(acts[h], acts[o], LT_LOSS_MSE);
            ck_assert_msg(e < 1e-3, "MSE, hidden %s, output %s: gradient error %.3g",
                          lt_activation_name(acts[h]), lt_activation_name(acts[o]), e);
        }
        /* BCE needs predictions in (0, 1): sigmoid output. */
        double e = gradcheck(acts[h], LT_ACT_SIGMOID, LT_LOSS_BCE);
        ck_assert_msg(e < 1e-3, "BCE, hidden %s: gradient error %.3g", lt_activation_name(acts[h]), e);
    }
}
END_TEST

START_TEST(bce_tanh_output_unclipped_region)
{
    /* Not fused with a sigmoid: the general chain rule through the clip. */
    double e = gradcheck(LT_ACT_TANH, LT_ACT_TANH, LT_LOSS_BCE);
    ck_assert_msg(e < 1e-3, "BCE with tanh output: gradient error %.3g", e);
}
END_TEST

static void one_update(lt_train_opts *o, float *w, float g, float *state, int t)
{
    float gg[2] = {g, -g};
    nn_optim_update(o, w, gg, state, 2, t);
}

START_TEST(optimizers_match_hand_computed_steps)
{
    lt_train_opts o;
    float w[2], st[4];
    /* SGD, lr 0.1: w = 1 - 0.1 * 0.5 */
    lt_train_opts_default(&o);
    o.optimizer = LT_OPT_SGD;
    o.lr = 0.1;
    w[0] = w[1] = 1.0f;
    memset(st, 0, sizeof st);
    one_update(&o, w, 0.5f, st, 1);
    ck_assert_float_eq_tol(w[0], 0.95f, 1e-7f);
    ck_assert_float_eq_tol(w[1], 1.05f, 1e-7f);
    /* Momentum 0.9, two steps of g = 0.5: v = -0.05, -0.095; w = 0.95, 0.855 */
    o.momentum = 0.9;
    w[0] = 1.0f;
    memset(st, 0, sizeof st);
    one_update(&o, w, 0.5f, st, 1);
    one_update(&o, w, 0.5f, st, 2);
    ck_assert_float_eq_tol(w[0], 0.855f, 1e-6f);
    /* Nesterov: w += mu v - lr g: 1 - 0.045 - 0.05 = 0.905; 0.905 - 0.0855 - 0.05 = 0.7695 */
    o.nesterov = 1;
    w[0] = 1.0f;
    memset(st, 0, sizeof st);
    one_update(&o, w, 0.5f, st, 1);
    ck_assert_float_eq_tol(w[0], 0.905f, 1e-6f);
    one_update(&o, w, 0.5f, st, 2);
    ck_assert_float_eq_tol(w[0], 0.7695f, 1e-6f);
    /* Adam defaults, g = 0.5, t = 1: m = 0.05, v = 0.00025,
     * step = 0.001 * sqrt(0.001) / 0.1 * 0.05 / (0.0158114 + 1e-7) = 0.00099999368 */
    lt_train_opts_default(&o);
    w[0] = 1.0f;
    memset(st, 0, sizeof st);
    one_update(&o, w, 0.5f, st, 1);
    ck_assert_float_eq_tol(w[0], 1.0f - 0.00099999368f, 2e-7f);
    ck_assert_float_eq_tol(st[0], 0.05f, 1e-7f);
    ck_assert_float_eq_tol(st[2], 0.00025f, 1e-8f);
    /* RMSprop defaults, g = 0.5: v = 0.025, w = 1 - 0.001 * 0.5 / (0.15811388 + 1e-7) */
    o.optimizer = LT_OPT_RMSPROP;
    w[0] = 1.0f;
    memset(st, 0, sizeof st);
    one_update(&o, w, 0.5f, st, 1);
    ck_assert_float_eq_tol(w[0], 0.99683772f, 2e-7f);
    ck_assert_float_eq_tol(st[0], 0.025f, 1e-8f);
}
END_TEST

START_TEST(batch_parts_are_balanced_and_contiguous)
{
    int64_t sizes[6] = {1, 3, 10, 64, 100, 127};
    for (int s = 0; s < 6; s++)
        for (int p = 1; p <= 5; p++) {
            int64_t bb = sizes[s], next = 0, lo = bb, hi = 0;
            for (int r = 0; r < p; r++) {
                int64_t start, size;
                nn_batch_part(bb, p, r, &start, &size);
                ck_assert_int_eq(start, next);
                for (int64_t j = start; j < start + size; j++) ck_assert_int_eq(nn_batch_owner(bb, p, j), r);
                next += size;
                lo = size < lo ? size : lo;
                hi = size > hi ? size : hi;
            }
            ck_assert_int_eq(next, bb);
            ck_assert_msg(hi - lo <= 1, "batch %lld on %d ranks: parts %lld..%lld", (long long)bb, p,
                          (long long)lo, (long long)hi);
        }
}
END_TEST

START_TEST(parsers_reject_unknown_names)
{
    lt_activation a;
    lt_loss l;
    lt_optimizer o;
    LT_ASSERT_OK(lt_activation_parse("tanh", &a));
    ck_assert_int_eq(a, LT_ACT_TANH);
    ck_assert_int_eq(lt_activation_parse("softmax", &a), LT_ERR_ARG);
    ck_assert_str_eq(lt_error_message(),
                     "unknown activation 'softmax' (expected linear, sigmoid, relu or tanh)");
    ck_assert_int_eq(lt_loss_parse("hinge", &l), LT_ERR_ARG);
    LT_ASSERT_OK(lt_loss_parse("binary_crossentropy", &l));
    ck_assert_int_eq(l, LT_LOSS_BCE);
    ck_assert_str_eq(lt_loss_name(l), "bce");
    ck_assert_int_eq(lt_optimizer_parse("adagrad", &o), LT_ERR_ARG);
    LT_ASSERT_OK(lt_optimizer_parse("rmsprop", &o));
    ck_assert_int_eq(o, LT_OPT_RMSPROP);
    lt_error_clear();
}
END_TEST

START_TEST(glorot_init_is_bounded_and_biases_zero)
{
    int widths[3] = {30, 10, 30};
    lt_ae_opts o;
    lt_ae_opts_default(&o);
    LT_ASSERT_OK(lt_ae_opts_set_widths(&o, widths, 3));
    lt_ae *ae = NULL;
    LT_ASSERT_OK(lt_ae_create(lt_test_comm(), &o, &ae));
    double lim = sqrt(6.0 / 40.0), mx = 0, sum = 0;
    for (int64_t i = 0; i < 300; i++) {
        mx = fmax(mx, fabs(ae->params[ae->woff[0] + i]));
        sum += ae->params[ae->woff[0] + i];
    }
    ck_assert(mx <= lim && mx > 0.9 * lim);
    ck_assert(fabs(sum / 300) < 0.1 * lim);
    for (int i = 0; i < 10; i++) ck_assert_float_eq(ae->params[ae->boff[0] + i], 0.0f);
    ck_assert_int_eq(ae->code, 1);
    lt_ae_destroy(&ae);
    ck_assert_ptr_null(ae);
    lt_ae_destroy(&ae); /* NULL is fine */
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("nn_kernels");
    TCase *t = tcase_create("kernels");
    tcase_add_test(t, gradients_match_finite_differences);
    tcase_add_test(t, bce_tanh_output_unclipped_region);
    tcase_add_test(t, optimizers_match_hand_computed_steps);
    tcase_add_test(t, batch_parts_are_balanced_and_contiguous);
    tcase_add_test(t, parsers_reject_unknown_names);
    tcase_add_test(t, glorot_init_is_bounded_and_biases_zero);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
