/* Every collective latent makes. Other MPI calls: program entry
 * (cli/main.c), MPI-IO (data/io.c), and the handle given to parallel HDF5
 * and BLACS (lt_comm_handle). */
#include "latent/lt_comm_mpi.h"
#include "pin.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LT_CHUNK ((int64_t)1 << 28) /* elements per MPI call: counts stay < INT_MAX */

struct lt_comm {
    MPI_Comm comm;
    int rank, size;
    lt_timer *timer; /* may be NULL; communication is charged to its current stage */
};

static lt_status mpi_fail(int rc, const char *what, const char *file, int line)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return lt_error_raise(LT_ERR_MPI, file, line, "%s failed: %s", what, msg);
}
#define MPI_CHECK(call)                                                  \
    do {                                                                 \
        int rc_ = (call);                                                \
        if (rc_ != MPI_SUCCESS) return mpi_fail(rc_, #call, __FILE__, __LINE__); \
    } while (0)

void lt_comm_charge(lt_comm *c, double seconds, int64_t bytes)
{
    if (c) lt_timer_charge(c->timer, seconds, bytes);
}

lt_timer *lt_comm_timer(const lt_comm *c) { return c ? c->timer : NULL; }

lt_status lt_comm_create(MPI_Comm parent, lt_comm **out)
{
    *out = NULL;
    lt_comm tmp = {.comm = MPI_COMM_NULL};
    if (MPI_Comm_dup(parent, &tmp.comm) != MPI_SUCCESS) LT_FAIL(LT_ERR_MPI, "MPI_Comm_dup failed");
    /* Errors come back as codes so that they become lt_status, not aborts. */
    MPI_Comm_set_errhandler(tmp.comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(tmp.comm, &tmp.rank);
    MPI_Comm_size(tmp.comm, &tmp.size);
    /* The allocation can fail on one rank: agreed on the new communicator,
     * which the ranks then free together (MPI_Comm_free is collective). */
    lt_comm *c = lt_malloc(sizeof *c);
    lt_status st = lt_comm_agree(&tmp, c ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) {
        free(c);
        MPI_Comm_free(&tmp.comm);
        return st;
    }
    *c = tmp;
    *out = c;
    return LT_OK;
}

lt_status lt_comm_create_self(lt_comm **out) { return lt_comm_create(MPI_COMM_SELF, out); }

void lt_comm_library_version(char *buf, size_t cap)
{
    char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(v, &len);
    v[strcspn(v, "\n,")] = '\0';
    snprintf(buf, cap, "%s", v);
}

void lt_comm_destroy(lt_comm **c)
{
    if (!c || !*c) return;
    MPI_Comm_free(&(*c)->comm);
    free(*c);
    *c = NULL;
}

int lt_comm_rank(const lt_comm *c) { return c->rank; }
int lt_comm_size(const lt_comm *c) { return c->size; }
MPI_Comm lt_comm_handle(const lt_comm *c) { return c->comm; }
void lt_comm_set_timer(lt_comm *c, lt_timer *t) { c->timer = t; }

void lt_mpi_finalize(void)
{
    lt_pin_loaded_libraries();
    MPI_Finalize();
}

lt_status lt_comm_agree(lt_comm *c, lt_status local)
{
    int mine = local != LT_OK ? c->rank : c->size, first = c->size;
    MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, c->comm));
    if (first == c->size) return LT_OK;
    int failed = local != LT_OK, nfailed = 0;
    MPI_CHECK(MPI_Allreduce(&failed, &nfailed, 1, MPI_INT, MPI_SUM, c->comm));
    /* Ship the first failing rank's record: code, message, trace. Rank 0 does
     * the file and report work, so only other ranks' failures name the rank. */
    enum { MSG = 2048, TRACE = 4096 };
    struct { int code; char msg[MSG]; char trace[TRACE]; } r;
    memset(&r, 0, sizeof r);
    if (c->rank == first) {
        r.code = (int)local;
        if (c->size > 1 && nfailed < c->size && first != 0)
            snprintf(r.msg, MSG, "rank %d: %s", first, lt_error_message());
        else
            snprintf(r.msg, MSG, "%s", lt_error_message());
        snprintf(r.trace, TRACE, "%s", lt_error_traceback());
    }
    MPI_CHECK(MPI_Bcast(&r, (int)sizeof r, MPI_BYTE, first, c->comm));
    lt_error_set_record((lt_status)r.code, r.msg, r.trace);
    return (lt_status)r.code;
}

static lt_status allreduce(lt_comm *c, void *buf, int64_t n, MPI_Datatype t, size_t esize,
                           MPI_Op op)
{
    double t0 = lt_wtime();
    for (int64_t off = 0; off < n; off += LT_CHUNK) {
        int64_t m = n - off < LT_CHUNK ? n - off : LT_CHUNK;
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, (char *)buf + off * (int64_t)esize, (int)m, t, op,
                                c->comm));
    }
    lt_comm_charge(c, lt_wtime() - t0, n * (int64_t)esize);
    return LT_OK;
}

lt_status lt_comm_sum_d(lt_comm *c, double *b, int64_t n) { return allreduce(c, b, n, MPI_DOUBLE, sizeof *b, MPI_SUM); }
lt_status lt_comm_sum_f(lt_comm *c, float *b, int64_t n) { return allreduce(c, b, n, MPI_FLOAT, sizeof *b, MPI_SUM); }
lt_status lt_comm_sum_i64(lt_comm *c, int64_t *b, int64_t n) { return allreduce(c, b, n, MPI_INT64_T, sizeof *b, MPI_SUM); }
lt_status lt_comm_max_d(lt_comm *c, double *b, int64_t n) { return allreduce(c, b, n, MPI_DOUBLE, sizeof *b, MPI_MAX); }
lt_status lt_comm_min_d(lt_comm *c, double *b, int64_t n) { return allreduce(c, b, n, MPI_DOUBLE, sizeof *b, MPI_MIN); }
lt_status lt_comm_max_i64(lt_comm *c, int64_t *b, int64_t n) { return allreduce(c, b, n, MPI_INT64_T, sizeof *b, MPI_MAX); }
lt_status lt_comm_min_i64(lt_comm *c, int64_t *b, int64_t n) { return allreduce(c, b, n, MPI_INT64_T, sizeof *b, MPI_MIN); }

lt_status lt_comm_exscan_i64(lt_comm *c, int64_t value, int64_t *out)
{
    double t0 = lt_wtime();
    int64_t r = 0;
    MPI_CHECK(MPI_Exscan(&value, &r, 1, MPI_INT64_T, MPI_SUM, c->comm));
    *out = c->rank == 0 ? 0 : r; /* MPI leaves rank 0's result undefined */
    lt_comm_charge(c, lt_wtime() - t0, 8);
    return LT_OK;
}

lt_status lt_comm_xfer_bcast(lt_comm *c, void *buf, int64_t bytes, int root)
{
    double t0 = lt_wtime();
    for (int64_t off = 0; off < bytes; off += LT_CHUNK)
        MPI_CHECK(MPI_Bcast((char *)buf + off, (int)(bytes - off < LT_CHUNK ? bytes - off : LT_CHUNK),
                            MPI_BYTE, root, c->comm));
    lt_comm_charge(c, lt_wtime() - t0, bytes);
    return LT_OK;
}

lt_status lt_comm_barrier(lt_comm *c)
{
    double t0 = lt_wtime();
    MPI_CHECK(MPI_Barrier(c->comm));
    lt_comm_charge(c, lt_wtime() - t0, 0);
    return LT_OK;
}

lt_status lt_comm_xfer_allgather(lt_comm *c, const void *in, int64_t bytes, void *out)
{
    LT_CHECK(bytes < INT_MAX, LT_ERR_INTERNAL, "allgather of %lld bytes per rank is too large",
             (long long)bytes);
    double t0 = lt_wtime();
    MPI_CHECK(MPI_Allgather(in, (int)bytes, MPI_BYTE, out, (int)bytes, MPI_BYTE, c->comm));
    lt_comm_charge(c, lt_wtime() - t0, bytes * c->size);
    return LT_OK;
}

/* Byte counts can pass INT_MAX: exchange in units of the largest power-of-two
 * block that divides every count and displacement. */
static int64_t common_unit(int n, const int64_t *a, const int64_t *b, const int64_t *e,
                           const int64_t *f)
{
    int64_t g = 0;
    for (int i = 0; i < n; i++) g |= a[i] | b[i] | e[i] | f[i];
    int64_t unit = 1;
    while (unit < ((int64_t)1 << 20) && !(g & unit)) unit <<= 1;
    return g == 0 ? 1 : unit;
}

/* Packs the four count/displacement arrays, in units, into ib (4 p ints). */
static lt_status pack_counts(int p, int64_t unit, const int64_t *const v[4], int *ib)
{
    for (int j = 0; j < 4; j++)
        for (int i = 0; i < p; i++) {
            int64_t u = v[j][i] / unit;
            LT_CHECK(u < INT_MAX, LT_ERR_INTERNAL, "alltoallv exchange too large (%lld units)",
                     (long long)u);
            ib[j * p + i] = (int)u;
        }
    return LT_OK;
}

lt_status lt_comm_xfer_alltoallv(lt_comm *c, const void *send, const int64_t *scount,
                                 const int64_t *sdispl, void *recv, const int64_t *rcount,
                                 const int64_t *rdispl)
{
    int p = c->size;
    int64_t unit = common_unit(p, scount, sdispl, rcount, rdispl), total = 0;
    const int64_t *const v[4] = {scount, sdispl, rcount, rdispl};
    for (int i = 0; i < p; i++) total += scount[i];
    /* The allocation and the size check can fail on one rank only: agreed
     * before the exchange, which the other ranks would otherwise wait in. */
    int *ib = lt_malloc(sizeof(int) * 4 * (size_t)p);
    lt_status st = ib ? pack_counts(p, unit, v, ib) : LT_ERR_MEM;
    st = lt_comm_agree(c, st);
    if (st == LT_OK) {
        MPI_Datatype t;
        MPI_Type_contiguous((int)unit, MPI_BYTE, &t);
        MPI_Type_commit(&t);
        double t0 = lt_wtime();
        int rc = MPI_Alltoallv(send, ib, ib + p, t, recv, ib + 2 * p, ib + 3 * p, t, c->comm);
        lt_comm_charge(c, lt_wtime() - t0, total);
        MPI_Type_free(&t);
        if (rc != MPI_SUCCESS) st = mpi_fail(rc, "MPI_Alltoallv", __FILE__, __LINE__);
    }
    free(ib);
    return st;
}

lt_status lt_comm_ring_shift(lt_comm *c, const void *send, int64_t sbytes, void *recv,
                             int64_t rcap, int64_t *rbytes)
{
    LT_CHECK(sbytes < INT_MAX && rcap < INT_MAX, LT_ERR_INTERNAL, "ring message too large");
    int to = (c->rank + 1) % c->size, from = (c->rank + c->size - 1) % c->size;
    MPI_Status s;
    double t0 = lt_wtime();
    MPI_CHECK(MPI_Sendrecv(send, (int)sbytes, MPI_BYTE, to, 77, recv, (int)rcap, MPI_BYTE, from, 77,
                           c->comm, &s));
    int got = 0;
    MPI_Get_count(&s, MPI_BYTE, &got);
    *rbytes = got;
    lt_comm_charge(c, lt_wtime() - t0, sbytes);
    return LT_OK;
}

void lt_shard_range(int64_t n, int nranks, int rank, int64_t *row0, int64_t *nloc)
{
    int64_t mb = nranks > 0 ? n / nranks + (n % nranks != 0) : n; /* no n + P - 1 overflow */
    int64_t lo = (int64_t)rank * mb, hi = lo + mb;
    if (lo > n) lo = n;
    if (hi > n) hi = n;
    *row0 = lo;
    *nloc = hi - lo;
}

int lt_shard_owner(int64_t n, int nranks, int64_t i)
{
    int64_t mb = (n + nranks - 1) / nranks;
    return mb > 0 ? (int)(i / mb) : 0;
}
