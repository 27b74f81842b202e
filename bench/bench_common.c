#include "bench_common.h"

#include <stdio.h>

#include "latent/lt_blas.h"
#include "latent/lt_comm_mpi.h"

int lt_bench_main(int argc, char **argv, const char *name, lt_bench_run run)
{
    lt_blas_select_kernels(argv); /* before MPI_Init: it may re-execute the program */
    MPI_Init(&argc, &argv);
    lt_comm *c = NULL;
    lt_status st = lt_comm_create(MPI_COMM_WORLD, &c);
    if (st == LT_OK) st = run(c, argc, argv);
    if (st != LT_OK && (!c || lt_comm_rank(c) == 0))
        fprintf(stderr, "%s: %s\n%s", name, lt_error_message(), lt_error_traceback());
    lt_comm_destroy(&c);
    MPI_Finalize();
    return st == LT_OK ? 0 : 1;
}
