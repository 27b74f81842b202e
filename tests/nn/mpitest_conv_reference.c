/* The stack of scripts/make_conv_fixtures.py (every layer kind): the same
 * weights and batch must give PyTorch's output shapes, loss, gradient and
 * updated weights, step after step, through the public training API (on 1,
 * 2 and 4 ranks the 6-row batch is split across ranks). */
#include "lt_test.h"
#include "latent/lt_nn.h"
#include "fixture_txt.h"

static void run_case(const char *name)
{
    lt_comm *c = lt_test_comm();
    fixture f = {0};
    ck_assert_msg(load_fixture(name, &f), "cannot read fixture %s", name);
    lt_ae_opts ao;
    lt_ae_opts_default(&ao);
    char text[1024];
    LT_ASSERT_OK(lt_stack_parse(line_text(&f, "stack", text, sizeof text), ao.stack,
                                LT_AE_MAX_LAYERS - 1, &ao.nstack));
    int n = 0, nx = 0, np = 0;
    double *is = values(&f, "input_shape", &n), *x = values(&f, "x", &nx),
           *p0 = values(&f, "params0", &np);
    ck_assert_int_eq(n, 3);
    for (int i = 0; i < 3; i++) ao.input_shape[i] = (int)is[i];
    lt_train_opts to;
    lt_train_opts_default(&to);
    char buf[64];
    LT_ASSERT_OK(lt_optimizer_parse(word(&f, "optimizer", 0, buf), &to.optimizer));
    to.lr = scalar(&f, "lr");
    to.momentum = scalar(&f, "momentum");
    if (to.optimizer == LT_OPT_RMSPROP) {
        to.epsilon = scalar(&f, "epsilon");
        to.rho = scalar(&f, "rho");
    }
    lt_ae *ae = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &ao, &ae));
    ck_assert_int_eq(ae->nparams, np);
    /* every layer's output shape */
    for (int l = 0; l < ae->nw; l++) {
        char key[32];
        snprintf(key, sizeof key, "shape%d", l + 1);
        int k = 0;
        double *s = values(&f, key, &k);
        ck_assert_ptr_nonnull(s);
        const lt_shape o = ae->layers[l].out;
        if (k == 1)
            ck_assert_msg(o.rank == 1 && o.c == (int)s[0], "layer %d: %d values, torch %g", l + 1, o.c, s[0]);
        else
            ck_assert_msg(o.rank == 3 && o.h == (int)s[0] && o.w == (int)s[1] && o.c == (int)s[2],
                          "layer %d: %dx%dx%d, torch %gx%gx%g", l + 1, o.h, o.w, o.c, s[0], s[1], s[2]);
        free(s);
    }
    check_three_steps(c, &f, name, ae, to, p0, np, x, nx);
    lt_ae_destroy(&ae);
    free(is);
    free(x);
    free(p0);
    free(f.text);
}

START_TEST(conv_stack_rmsprop) { run_case("nn/conv_rmsprop.txt"); }
END_TEST
START_TEST(conv_stack_sgd_momentum) { run_case("nn/conv_sgd_momentum.txt"); }
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("nn_conv_reference");
    TCase *t = tcase_create("torch");
    tcase_add_test(t, conv_stack_rmsprop);
    tcase_add_test(t, conv_stack_sgd_momentum);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
