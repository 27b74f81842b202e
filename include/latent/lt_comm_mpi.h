/* The one way from latent's communicator to MPI. Included only where a
 * library needs the raw handle or MPI itself is the subject: program entry
 * (src/cli/main.c, the test harness), MPI-IO (src/data/io.c), parallel HDF5
 * (src/data/h5.c), BLACS (src/pca/pca.c) and src/core/comm.c. Everything
 * else talks to other ranks through lt_comm.h. */
#ifndef LT_COMM_MPI_H
#define LT_COMM_MPI_H

#include <mpi.h>

#include "lt_comm.h"

/* Duplicates `parent` so that latent's traffic never mixes with the caller's;
 * errors on it come back as codes (MPI_ERRORS_RETURN). Collective over parent;
 * a failed allocation is agreed (every rank returns it). */
lt_status lt_comm_create(MPI_Comm parent, lt_comm **out);
/* The duplicated communicator, for libraries that take one. Not collective. */
MPI_Comm lt_comm_handle(const lt_comm *c);

#endif
