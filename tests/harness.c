#include "lt_test.h"
#include "latent/lt_blas.h"
#include "latent/lt_comm_mpi.h"
#include "latent/lt_cpu.h"
#include "latent/lt_petsc.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

static lt_comm *test_comm;
static lt_timer test_timer;
static char prog[256];
static int nskipped;
static char skip_why[256];

void lt_test_skip(int ntests, const char *why)
{
    nskipped += ntests;
    snprintf(skip_why, sizeof skip_why, "%s", why);
}

/* LATENT_ISA names a level this CPU lacks (the kernels would run at a lower
 * one, which its own variant tests): the whole program is skipped. A name
 * that is not a level is a failure. Returns 1 (skip), 0 (run), -1 (fail). */
static int isa_unavailable(void)
{
    const char *env = getenv("LATENT_ISA");
    lt_isa want;
    if (!env || !*env) return 0;
    if (lt_isa_parse(env, &want) != LT_OK) {
        fprintf(stderr, "%s\n", lt_error_message());
        return -1;
    }
    if (want <= lt_cpu_hardware_level()) return 0;
    if (lt_comm_rank(test_comm) == 0)
        printf("skipped: LATENT_ISA=%s, but this CPU offers %s\n", env,
           lt_isa_name(lt_cpu_hardware_level()));
    return 1;
}

lt_comm *lt_test_comm(void) { return test_comm; }

const lt_timer *lt_test_timer(void)
{
    lt_timer_init(&test_timer);
    lt_comm_set_timer(test_comm, &test_timer);
    return &test_timer;
}

int lt_test_all(int cond)
{
    int64_t bad = cond ? 0 : 1;
    if (lt_comm_sum_i64(test_comm, &bad, 1) != LT_OK) return 0;
    return bad == 0;
}

const char *lt_test_path(char *buf, size_t cap, const char *name)
{
    const char *dir = getenv("LT_TMP");
    snprintf(buf, cap, "%s/%s_np%d_%s", dir && *dir ? dir : "/tmp", prog, lt_comm_size(test_comm), name);
    return buf;
}

const char *lt_test_fixture(char *buf, size_t cap, const char *name)
{
    const char *dir = getenv("LT_FIXTURES");
    snprintf(buf, cap, "%s/%s", dir && *dir ? dir : "tests/fixtures", name);
    return buf;
}

int lt_test_main(Suite *(*make)(void), int argc, char **argv)
{
    lt_blas_select_kernels(argv);
    MPI_Init(&argc, &argv);
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", argv[0]);
    snprintf(prog, sizeof prog, "%s", basename(tmp));
    if (lt_comm_create(MPI_COMM_WORLD, &test_comm) != LT_OK) {
        fprintf(stderr, "cannot create communicator\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    int isa = isa_unavailable();
    if (isa) {
        lt_comm_destroy(&test_comm);
        lt_mpi_finalize();
        return isa > 0 ? LT_TEST_SKIPPED : 1;
    }
    if (lt_petsc_init(test_comm) != LT_OK) { /* no-op without PETSc */
        fprintf(stderr, "%s\n", lt_error_message());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    SRunner *sr = srunner_create(make());
    srunner_set_fork_status(sr, CK_NOFORK);
    /* Rank 0 prints the normal report; other ranks print only their failures. */
    srunner_run_all(sr, lt_comm_rank(test_comm) == 0 ? CK_NORMAL : CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    if (failed && lt_comm_rank(test_comm) != 0) {
        TestResult **r = srunner_failures(sr);
        for (int i = 0; i < failed; i++)
            fprintf(stderr, "[rank %d] %s:%d: %s\n", lt_comm_rank(test_comm), tr_lfile(r[i]), tr_lno(r[i]),
                    tr_msg(r[i]));
        free(r);
    }
    srunner_free(sr);
    int64_t total = failed;
    lt_comm_sum_i64(test_comm, &total, 1);
    int rank = lt_comm_rank(test_comm);
    lt_petsc_finalize();
    lt_comm_destroy(&test_comm);
    lt_mpi_finalize();
    if (!total && nskipped && rank == 0)
        printf("%s: %d test%s skipped: %s\n", prog, nskipped, nskipped > 1 ? "s" : "", skip_why);
    return total ? 1 : nskipped ? LT_TEST_SKIPPED : 0;
}
