/* MPI behind a thin layer (CoMD's parallel.c). Every collective latent uses
 * goes through here, so communication time and bytes are counted per stage
 * and event (see lt_timer.h) and a failing MPI call becomes an lt_status.
 * The communicator is opaque and this header does not include <mpi.h>: code
 * that needs MPI itself (program entry, MPI-IO in src/data/io.c, parallel
 * HDF5 in src/data/h5.c and sc_h5.c, BLACS in src/pca) includes lt_comm_mpi.h, the one
 * documented way to the raw handle.
 * All functions are collective over the communicator unless noted. */
#ifndef LT_COMM_H
#define LT_COMM_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "lt_error.h"
#include "lt_timer.h"

typedef struct lt_comm lt_comm;

/* lt_comm_create (from an MPI_Comm) is in lt_comm_mpi.h. This one is a
 * communicator of this rank alone (MPI_COMM_SELF), for per-rank work and
 * single-process tools such as the fuzz harnesses. Not collective. */
lt_status lt_comm_create_self(lt_comm **out);
/* The MPI library's version string, first line (for --version). Not collective. */
void lt_comm_library_version(char *buf, size_t cap);
void lt_comm_destroy(lt_comm **c);
/* MPI_Finalize, every rank, after the last lt_comm_destroy (src/core/pin.c: why, under ASan). */
void lt_mpi_finalize(void);

/* This rank and the number of ranks. Not collective. */
int lt_comm_rank(const lt_comm *c);
int lt_comm_size(const lt_comm *c);
/* Attaches the timer communication is charged to (NULL: none). Not collective. */
void lt_comm_set_timer(lt_comm *c, lt_timer *t);

/* Collective error agreement: every rank passes its local status; all ranks
 * return the same status (the first failing rank's), and every rank's error
 * record holds that rank's message, prefixed with "rank R: " when P > 1,
 * R is not 0 and not every rank failed (rank 0 does the file and report work,
 * so its messages stand alone).
 * Call it before acting on any result that could have failed on one rank. */
lt_status lt_comm_agree(lt_comm *c, lt_status local);
/* Agrees that pointer p (just allocated with lt_malloc/lt_calloc) is non-NULL
 * on every rank; if not, every rank frees its p, sets it NULL and returns
 * the agreed LT_ERR_MEM from the enclosing function (the ranks where the
 * allocation succeeded would otherwise leak it). */
#define LT_AGREE_ALLOC(c, p)                                                   \
    do {                                                                       \
        lt_status lt_a_ = lt_comm_agree((c), (p) ? LT_OK : LT_ERR_MEM);        \
        if (lt_a_ != LT_OK) {                                                  \
            free(p);                                                           \
            (p) = NULL;                                                        \
            lt_error_trace(__FILE__, __LINE__, "allocation of " #p);           \
            return lt_a_;                                                      \
        }                                                                      \
    } while (0)

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
lt_status lt_comm_barrier(lt_comm *c);

/* Messages: a broadcast, gather or exchange can fail on one rank only (a
 * truncated or failed receive: MPI_ERRORS_RETURN reports it where it
 * happened), and a rank that returned early would leave the others in the
 * next collective. So each returns a status agreed by every rank (one more
 * one-int allreduce): the lt_comm_xfer_ transfer, then lt_comm_agree. The
 * transfers are separate functions so that the fault shim (tests/fault)
 * can fail one at its caller's site (always inlined, even at -O0, so the
 * return address is that site); call the agreed ones. */
#define LT_COMM_INLINE static inline __attribute__((always_inline))
lt_status lt_comm_xfer_bcast(lt_comm *c, void *buf, int64_t bytes, int root);
lt_status lt_comm_xfer_allgather(lt_comm *c, const void *in, int64_t bytes, void *out);
lt_status lt_comm_xfer_alltoallv(lt_comm *c, const void *send, const int64_t *scount,
                                 const int64_t *sdispl, void *recv, const int64_t *rcount,
                                 const int64_t *rdispl);
LT_COMM_INLINE lt_status lt_comm_bcast(lt_comm *c, void *buf, int64_t bytes, int root)
{
    return lt_comm_agree(c, lt_comm_xfer_bcast(c, buf, bytes, root));
}
/* Gathers `bytes` from each rank into `out` (size*bytes) on every rank. */
LT_COMM_INLINE lt_status lt_comm_allgather(lt_comm *c, const void *in, int64_t bytes, void *out)
{
    return lt_comm_agree(c, lt_comm_xfer_allgather(c, in, bytes, out));
}
/* All-to-all of variable byte counts (counts/displacements in bytes). */
LT_COMM_INLINE lt_status lt_comm_alltoallv(lt_comm *c, const void *send, const int64_t *scount,
                                          const int64_t *sdispl, void *recv,
                                          const int64_t *rcount, const int64_t *rdispl)
{
    return lt_comm_agree(c, lt_comm_xfer_alltoallv(c, send, scount, sdispl, recv, rcount, rdispl));
}
/* Ring shift: send `sbytes` to rank+1, receive up to `rcap` from rank-1.
 * Not agreed (a ring of P shifts would pay P agreements): a failed or short
 * shift is this rank's alone; the caller keeps shifting, so its neighbours
 * are not left waiting, and agrees after the last shift. */
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
