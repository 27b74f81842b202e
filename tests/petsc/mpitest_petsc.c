/* The PETSc/SLEPc backend's life cycle (built only with PETSc): PETSc errors
 * come back as agreed latent errors with PETSc's message, PETSc installed no
 * signal handler, and the SVD of a small centred matrix is right. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lt_test.h"
#include "latent/lt_petsc.h"

/* 4 x 3 rows, the same on every rank count (rank r holds its shard). */
static const float rows[] = {1, 0, 2, 3, 1, 0, 0, 4, 1, 2, 2, 2};

static lt_svd_problem problem(lt_comm *c, double *mean)
{
    int64_t row0, nloc;
    lt_shard_range(4, lt_comm_size(c), lt_comm_rank(c), &row0, &nloc);
    for (int j = 0; j < 3; j++) {
        mean[j] = 0;
        for (int i = 0; i < 4; i++) mean[j] += rows[i * 3 + j] / 4.0;
    }
    lt_svd_problem pb = {.n = 4, .d = 3, .row0 = row0, .nloc = nloc, .x = rows + row0 * 3,
                         .mean = mean};
    return pb;
}

START_TEST(petsc_error_is_agreed)
{
    lt_comm *c = lt_test_comm();
    double mean[3], sigma[2], V[6];
    lt_svd_problem pb = problem(c, mean);
    lt_svd_opts o = {.solver = LT_SVD_TRLANCZOS, .tol = 1e-10, .ncv = 1}; /* ncv < nsv: PETSc error */
    lt_svd_result res;
    lt_status st = lt_petsc_top_svd(c, &pb, 2, &o, sigma, V, &res);
    ck_assert_int_eq(st, LT_ERR_LIB);
    ck_assert_msg(strstr(lt_error_message(), "PETSc error") != NULL, "%s", lt_error_message());
    /* and PETSc still works afterwards */
    o.ncv = 0;
    LT_ASSERT_OK(lt_petsc_top_svd(c, &pb, 2, &o, sigma, V, &res));
}
END_TEST

/* Orthonormal right vectors with ||A v_i|| = sigma_i, from the rows directly. */
START_TEST(svd_of_small_matrix)
{
    lt_comm *c = lt_test_comm();
    double mean[3], sigma[2], V[6];
    lt_svd_problem pb = problem(c, mean);
    lt_svd_opts o = {.solver = LT_SVD_TRLANCZOS, .tol = 1e-12};
    lt_svd_result res;
    LT_ASSERT_OK(lt_petsc_top_svd(c, &pb, 2, &o, sigma, V, &res));
    ck_assert(sigma[0] >= sigma[1] && sigma[1] > 0);
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            double dot = 0;
            for (int j = 0; j < 3; j++) dot += V[a * 3 + j] * V[b * 3 + j];
            ck_assert(fabs(dot - (a == b)) < 1e-10);
        }
    for (int a = 0; a < 2; a++) {
        double nrm = 0;
        for (int i = 0; i < 4; i++) {
            double s = 0;
            for (int j = 0; j < 3; j++) s += (rows[i * 3 + j] - mean[j]) * V[a * 3 + j];
            nrm += s * s;
        }
        ck_assert_msg(fabs(sqrt(nrm) - sigma[a]) < 1e-10 * sigma[0], "%g vs %g", sqrt(nrm), sigma[a]);
    }
    ck_assert(res.matvecs > 0);
    /* every product's multiply-adds are in PETSc's count, besides its own */
    ck_assert(res.flops >= (double)res.matvecs * 2.0 * (double)(pb.nloc * pb.d + pb.d));
}
END_TEST

/* PETSc's default handler would catch SIGSEGV before ASan and SIGTERM and
 * SIGUSR1 before latent's checkpoint handler: no signal may have a handler
 * inside libpetsc or libslepc (Open MPI's and Check's are theirs to keep). */
START_TEST(no_petsc_signal_handler)
{
    for (int sig = 1; sig < 32; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) != 0) continue;
        if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN) continue;
        Dl_info info = {0};
        dladdr((void *)sa.sa_handler, &info);
        const char *lib = info.dli_fname ? info.dli_fname : "?";
        ck_assert_msg(!strstr(lib, "libpetsc") && !strstr(lib, "libslepc"), "signal %d is handled in %s",
                      sig, lib);
    }
    char v[128];
    lt_petsc_version(v, sizeof v);
    ck_assert_ptr_nonnull(strstr(v, "SLEPc 3."));
    ck_assert_int_eq(lt_petsc_init(lt_test_comm()), LT_OK); /* second call: nothing */
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("petsc");
    TCase *t = tcase_create("backend");
    tcase_add_test(t, petsc_error_is_agreed);
    tcase_add_test(t, svd_of_small_matrix);
    tcase_add_test(t, no_petsc_signal_handler);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
