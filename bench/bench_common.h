/* The frame every benchmark's main shares, so each program is only its
 * measurement: OpenBLAS's kernel choice, MPI, latent's communicator over
 * MPI_COMM_WORLD, one error report, finalisation. */
#ifndef LT_BENCH_COMMON_H
#define LT_BENCH_COMMON_H

#include "latent/lt_comm.h"
#include "latent/lt_error.h"

/* A benchmark: collective over c; argv as main received it. */
typedef lt_status (*lt_bench_run)(lt_comm *c, int argc, char **argv);

/* Runs run between MPI_Init and MPI_Finalize; if it fails, rank 0 prints
 * "name: message" and the trace (every rank does when the communicator
 * could not be made). Returns main's exit code: 0, or 1 on failure. */
int lt_bench_main(int argc, char **argv, const char *name, lt_bench_run run);

#endif
