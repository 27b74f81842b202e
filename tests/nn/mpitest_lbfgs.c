/* [train] optimizer = lbfgs (issue 19): full-batch L-BFGS by PETSc/TAO on 1,
 * 2 and 4 ranks: identical parameters on every rank after every solve, a
 * loss below Adam's over as many epochs, monotone history, the gradient
 * tolerance with scikit-learn's meaning, resume, bad input; without PETSc
 * the error that names the build. */
#include "nn_testutil.h"
#include "latent/lt_petsc.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static lt_dataset *make_data(lt_comm *c, int64_t n, int64_t d)
{
    lt_dataset *ds = NULL;
    if (lt_dataset_create(c, n, d, 0, &ds) != LT_OK) return NULL;
    for (int64_t i = 0; i < ds->nloc; i++) {
        int64_t g = ds->row0 + i;
        lt_rng r;
        lt_rng_init(&r, 5, LT_STREAM_DATA, (uint64_t)g);
        double t = lt_rng_uniform(&r), u = lt_rng_uniform(&r);
        for (int64_t j = 0; j < d; j++) /* a 2-D manifold in d dimensions, plus noise */
            ds->x[i * d + j] = (float)(0.5 + 0.3 * sin(3.0 * t + (double)j) * cos(2.0 * u - 0.5 * (double)j) +
                                       0.02 * lt_rng_normal(&r));
    }
    return ds;
}

static lt_ae *make_ae(lt_comm *c)
{
    lt_ae_opts o;
    int w[5] = {8, 16, 2, 16, 8};
    lt_ae_opts_default(&o);
    lt_ae_opts_set_widths(&o, w, 5);
    o.act[0] = o.act[2] = LT_ACT_RELU;
    o.act[1] = o.act[3] = LT_ACT_LINEAR;
    o.seed = 3;
    lt_ae *ae = NULL;
    LT_ASSERT_OK(lt_ae_create(c, &o, &ae));
    return ae;
}

static lt_train_opts lbfgs_opts(int iters)
{
    lt_train_opts o;
    lt_train_opts_default(&o);
    o.optimizer = LT_OPT_LBFGS;
    o.epochs = iters;
    o.lbfgs_tol = 0; /* run all iterations unless ftol stops it */
    return o;
}

START_TEST(same_params_and_better_than_adam)
{
    if (!lt_petsc_available()) {
        lt_test_skip(1, "built without PETSc");
        return;
    }
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = make_data(c, 500, 8);
    lt_ae *ae = make_ae(c), *adam = make_ae(c);
    lt_train_opts o = lbfgs_opts(60);
    LT_ASSERT_OK(lt_ae_fit(c, ae, &o, ds, NULL, NULL, NULL));
    LT_ASSERT_ALL(nt_same_on_all_ranks(c, ae));
    ck_assert_int_ge(ae->hist.n, 10);
    ck_assert_int_eq(ae->epoch, ae->hist.n);
    for (int i = 1; i < ae->hist.n; i++) /* More-Thuente: sufficient decrease every iteration */
        ck_assert_msg(ae->hist.train_loss[i] <= ae->hist.train_loss[i - 1], "iteration %d: %g > %g",
                      i + 1, ae->hist.train_loss[i], ae->hist.train_loss[i - 1]);
    double lb = NAN, la = NAN;
    LT_ASSERT_OK(lt_ae_evaluate(c, ae, ds, &lb));
    ck_assert(fabs(lb - ae->hist.train_loss[ae->hist.n - 1]) <= 1e-6 * lb);
    lt_train_opts a;
    lt_train_opts_default(&a);
    a.batch_size = 500; /* the same full batch, the same number of epochs */
    a.epochs = ae->hist.n;
    a.lr = 0.01;
    LT_ASSERT_OK(lt_ae_fit(c, adam, &a, ds, NULL, NULL, NULL));
    LT_ASSERT_OK(lt_ae_evaluate(c, adam, ds, &la));
    ck_assert_msg(lb < 0.5 * la, "lbfgs %g vs adam %g", lb, la);
    lt_ae_destroy(&ae), lt_ae_destroy(&adam);
    lt_dataset_destroy(&ds);
}
END_TEST

/* tol = scikit-learn's: stop once the largest |gradient entry| <= tol; a
 * large tol stops within a few iterations, and a resumed run continues the
 * epoch count from the saved parameters. */
START_TEST(tolerance_and_resume)
{
    if (!lt_petsc_available()) {
        lt_test_skip(1, "built without PETSc");
        return;
    }
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = make_data(c, 300, 8);
    lt_ae *ae = make_ae(c);
    lt_train_opts o = lbfgs_opts(100);
    o.lbfgs_tol = 1e-2;
    LT_ASSERT_OK(lt_ae_fit(c, ae, &o, ds, NULL, NULL, NULL));
    ck_assert_int_lt(ae->hist.n, 100);
    int n1 = ae->hist.n;
    o.lbfgs_tol = 0;
    o.epochs = n1 + 5;
    LT_ASSERT_OK(lt_ae_fit(c, ae, &o, ds, NULL, NULL, NULL));
    ck_assert_int_eq(ae->epoch, n1 + 5);
    ck_assert(ae->hist.train_loss[n1 + 4] < ae->hist.train_loss[n1 - 1]);
    LT_ASSERT_ALL(nt_same_on_all_ranks(c, ae));
    o.lbfgs_max_fun = 3; /* evaluations: stops after at most 3 */
    o.epochs = ae->epoch + 50;
    int before = ae->epoch;
    LT_ASSERT_OK(lt_ae_fit(c, ae, &o, ds, NULL, NULL, NULL));
    ck_assert_int_le(ae->epoch - before, 3);
    lt_ae_destroy(&ae);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(bad_input)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = make_data(c, 50, 8);
    lt_ae *ae = make_ae(c);
    lt_train_opts o = lbfgs_opts(5);
    if (!lt_petsc_available()) {
        ck_assert_int_eq(lt_ae_fit(c, ae, &o, ds, NULL, NULL, NULL), LT_ERR_ARG);
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "[train] optimizer = lbfgs"));
        ck_assert_ptr_nonnull(strstr(lt_error_message(), "LATENT_WITH_PETSC"));
    }
    o.lbfgs_history = 0;
    ck_assert_int_eq(lt_ae_fit(c, ae, &o, ds, NULL, NULL, NULL), LT_ERR_ARG);
    o.lbfgs_history = 10, o.lbfgs_tol = -1;
    ck_assert_int_eq(lt_ae_fit(c, ae, &o, ds, NULL, NULL, NULL), LT_ERR_ARG);
    o.lbfgs_tol = 1e-4, o.noise_factor = 0.5;
    ck_assert_int_eq(lt_ae_fit(c, ae, &o, ds, NULL, NULL, NULL), LT_ERR_ARG);
    ck_assert_int_eq(ae->epoch, 0);
    lt_optimizer opt;
    LT_ASSERT_OK(lt_optimizer_parse("lbfgs", &opt));
    ck_assert_int_eq(opt, LT_OPT_LBFGS);
    lt_ae_destroy(&ae);
    lt_dataset_destroy(&ds);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("lbfgs");
    TCase *t = tcase_create("lbfgs");
    tcase_add_test(t, same_params_and_better_than_adam);
    tcase_add_test(t, tolerance_and_resume);
    tcase_add_test(t, bad_input);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
