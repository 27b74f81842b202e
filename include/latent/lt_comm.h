/* MPI behind a thin layer (CoMD's parallel.c). Every collective latent uses
 * goes through here, so communication time and bytes are counted per stage
 * (see lt_timer.h) and a failing MPI call becomes an lt_status.
 * All functions are collective over the communicator unless noted. */
#ifndef LT_COMM_H
#define LT_COMM_H

#include <mpi.h>
#include <stdint.h>
#include "lt_error.h"
#include "lt_timer.h"

typedef struct lt_comm {
    MPI_Comm comm;
    int rank, size;
    lt_timer *timer; /* may be NULL; communication is charged to its current stage */
} lt_comm;

/* Duplicates `parent` so that latent's traffic never mixes with the caller's. */
lt_status lt_comm_create(MPI_Comm parent, lt_comm **out);
void lt_comm_destroy(lt_comm **c);

/* This rank and the number of ranks. Not collective. New code uses these,
 * never the struct's fields (the struct is to become opaque, issue 15). */
int lt_comm_rank(const lt_comm *c);
int lt_comm_size(const lt_comm *c);
/* The raw communicator, for libraries that need one (parallel HDF5's
 * H5Pset_fapl_mpio). Not collective. */
MPI_Comm lt_comm_handle(const lt_comm *c);

/* Collective error agreement: every rank passes its local status; all ranks
 * return the same status (the first failing rank's), and every rank's error
 * record holds that rank's message, prefixed with "rank R: " when P > 1.
 * Call it before acting on any result that could have failed on one rank. */
lt_status lt_comm_agree(lt_comm *c, lt_status local);

/* In-place reductions; n may be 0. */
lt_status lt_comm_sum_d(lt_comm *c, double *buf, int64_t n);
lt_status lt_comm_sum_f(lt_comm *c, float *buf, int64_t n);
lt_status lt_comm_sum_i64(lt_comm *c, int64_t *buf, int64_t n);
lt_status lt_comm_max_d(lt_comm *c, double *buf, int64_t n);
lt_status lt_comm_min_d(lt_comm *c, double *buf, int64_t n);
lt_status lt_comm_max_i64(lt_comm *c, int64_t *buf, int64_t n);
lt_status lt_comm_min_i64(lt_comm *c, int64_t *buf, int64_t n);
/* Exclusive prefix sum over ranks of one value (rank 0 gets 0). */
lt_status lt_comm_exscan_i64(lt_comm *c, int64_t value, int64_t *out);
lt_status lt_comm_bcast(lt_comm *c, void *buf, int64_t bytes, int root);
lt_status lt_comm_barrier(lt_comm *c);
/* Gathers `bytes` from each rank into `out` (size*bytes) on every rank. */
lt_status lt_comm_allgather(lt_comm *c, const void *in, int64_t bytes, void *out);
/* All-to-all of variable byte counts (counts/displacements in bytes). */
lt_status lt_comm_alltoallv(lt_comm *c, const void *send, const int64_t *scount,
                            const int64_t *sdispl, void *recv, const int64_t *rcount,
                            const int64_t *rdispl);
/* Ring shift: send `sbytes` to rank+1, receive up to `rcap` from rank-1. */
lt_status lt_comm_ring_shift(lt_comm *c, const void *send, int64_t sbytes, void *recv,
                             int64_t rcap, int64_t *rbytes);

/* Charge time/bytes spent inside an MPI call made outside this module
 * (ScaLAPACK, MPI-IO). Not collective. */
void lt_comm_charge(lt_comm *c, double seconds, int64_t bytes);
/* The timer communication is charged to (NULL if none), for lt_event_begin
 * and lt_event_end in library code. Not collective. */
lt_timer *lt_comm_timer(const lt_comm *c);

/* Shard of n rows over P ranks: mb = ceil(n / P), rank r holds
 * [r*mb, min(n, (r+1)*mb)). Not collective. */
void lt_shard_range(int64_t n, int nranks, int rank, int64_t *row0, int64_t *nloc);
/* Owner rank of global row i in that layout. */
int lt_shard_owner(int64_t n, int nranks, int64_t i);

#endif
