/* The tiny network of scripts/make_nn_fixtures.py: the same weights and
 * batch must give PyTorch's loss, gradient and updated weights, step after
 * step, through the public training API (on 1, 2 and 4 ranks the 6-row
 * batch is split across ranks). */
#include "lt_test.h"
#include "latent/lt_nn.h"
#include "fixture_txt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void run_case(const char *name)
{
    lt_comm *c = lt_test_comm();
    fixture f = {0};
    ck_assert_msg(load_fixture(name, &f), "cannot read fixture %s", name);
    int nw = 0, nx = 0, np = 0;
    double *w = values(&f, "widths", &nw), *x = values(&f, "x", &nx), *p0 = values(&f, "params0", &np);
    ck_assert_ptr_nonnull(w);
    lt_ae_opts ao;
    lt_ae_opts_default(&ao);
    int widths[8];
    for (int i = 0; i < nw; i++) widths[i] = (int)w[i];
    LT_ASSERT_OK(lt_ae_opts_set_widths(&ao, widths, nw));
    char buf[64];
    for (int l = 0; l < nw - 1; l++) LT_ASSERT_OK(lt_activation_parse(word(&f, "acts", l, buf), &ao.act[l]));
    LT_ASSERT_OK(lt_loss_parse(word(&f, "loss", 0, buf), &ao.loss));
    ao.l2 = scalar(&f, "l2");
    lt_train_opts to;
    lt_train_opts_default(&to);
    LT_ASSERT_OK(lt_optimizer_parse(word(&f, "optimizer", 0, buf), &to.optimizer));
    to.lr = scalar(&f, "lr");
    to.momentum = scalar(&f, "momentum");
    to.nesterov = (int)scalar(&f, "nesterov");
    if (to.optimizer == LT_OPT_ADAM) {
        to.beta1 = scalar(&f, "beta1");
        to.beta2 = scalar(&f, "beta2");
    }
    if (to.optimizer != LT_OPT_SGD) to.epsilon = scalar(&f, "epsilon");
    if (to.optimizer == LT_OPT_RMSPROP) to.rho = scalar(&f, "rho");
    lt_ae *ae = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &ao, &ae));
    ck_assert_int_eq(ae->nparams, np);
    check_three_steps(c, &f, name, ae, to, p0, np, x, nx);
    lt_ae_destroy(&ae);
    free(w);
    free(x);
    free(p0);
    free(f.text);
}

START_TEST(mse_sgd_nesterov_l2) { run_case("nn/mse_sgd_nesterov.txt"); }
END_TEST
START_TEST(mse_sgd_plain) { run_case("nn/mse_sgd_plain.txt"); }
END_TEST
START_TEST(bce_adam) { run_case("nn/bce_adam.txt"); }
END_TEST
START_TEST(mse_rmsprop_l2) { run_case("nn/mse_rmsprop.txt"); }
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("nn_reference");
    TCase *t = tcase_create("torch");
    tcase_add_test(t, mse_sgd_nesterov_l2);
    tcase_add_test(t, mse_sgd_plain);
    tcase_add_test(t, bce_adam);
    tcase_add_test(t, mse_rmsprop_l2);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
