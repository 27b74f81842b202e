/* Test-only fault injection for the latent_fault binary (issue 14).
 *
 * latent_fault is the latent CLI linked with -Wl,--wrap for the allocation
 * and I/O functions latent's own code calls (tests/fault/CMakeLists.txt):
 * every such call from latent's objects lands in a __wrap_ function here,
 * which counts it and can make the N-th one fail on one chosen rank. Calls
 * made inside libraries (MPI, HDF5, PLplot) are not wrapped: the sweep tests
 * latent's handling of the failures it can see. --wrap rewrites references
 * at link time, so it works the same under ASan (whose malloc the real
 * functions reach) and needs no LD_PRELOAD.
 *
 * Environment:
 *   LT_FAULT_KIND  alloc | io | msg  which calls count (default alloc)
 *   LT_FAULT_N     N >= 1: fail the N-th call of that kind; 0: count only
 *   LT_FAULT_RANK  R, or -1 for the last rank (default 0)
 *   LT_FAULT_LOG   folder: rank<R>.log gets "call KIND ORD SITE FUNC" per call
 *                  (count mode), "FAIL ..." for the injected one, and
 *                  "exit C alloc A io I msg M" when main returns
 *   LT_FAULT_DEPTH return addresses that name a call site (default 1)
 *
 * How a failure looks: local calls fail without doing anything (NULL and
 * ENOMEM; -1, NULL or a short count with EIO and the stream's error flag).
 * Collective calls must be entered by every rank, so MPI_File_read_at_all,
 * write_at_all and set_size, and H5Dread/H5Dwrite on files open through
 * MPI-IO, do the real call and then report failure on the chosen rank;
 * MPI_File_open and the MPI-IO H5Fopen/H5Fcreate fail on every rank when
 * the chosen rank's call is the N-th (the ranks agree inside the wrapper),
 * which is how MPI reports a failed collective open; other HDF5 calls on an
 * MPI-IO file are passed through uncounted.
 *
 * Messages (msg): the transfers of the lt_comm layer that carry data from
 * other ranks (lt_comm_xfer_bcast, _allgather, _alltoallv: what
 * lt_comm_bcast, lt_comm_allgather and lt_comm_alltoallv do before they
 * agree; and lt_comm_ring_shift). The real transfer happens on every rank
 * (the others must not be left waiting in it); then the chosen rank reports
 * a failed MPI call (LT_ERR_MPI), or, for a ring shift, a message one byte
 * short, as a truncated receive would. Reductions and lt_comm_agree itself
 * are not counted. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>
#include <ini.h>
#include <cjson/cJSON.h>

#include "latent/lt_comm.h"
#include "latent/lt_error.h"

enum { K_ALLOC, K_IO, K_MSG, K_KINDS };
static const char *const kind_name[K_KINDS] = {"alloc", "io", "msg"};

static struct {
    int ready, kind, rank, target_rank, depth, logfd;
    long n;
    long count[K_KINDS];
    int fired;
    void *base;
} fs = {.logfd = -1};

static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : def;
}

static void setup(void)
{
    if (fs.ready) return;
    fs.ready = 1;
    const char *k = getenv("LT_FAULT_KIND");
    fs.kind = K_ALLOC;
    for (int i = 0; k && i < K_KINDS; i++)
        if (!strcmp(k, kind_name[i])) fs.kind = i;
    const char *n = getenv("LT_FAULT_N");
    fs.n = n ? atol(n) : 0;
    fs.rank = env_int("OMPI_COMM_WORLD_RANK", env_int("PMIX_RANK", 0));
    int size = env_int("OMPI_COMM_WORLD_SIZE", 1);
    fs.target_rank = env_int("LT_FAULT_RANK", 0);
    if (fs.target_rank < 0) fs.target_rank = size - 1;
    fs.depth = env_int("LT_FAULT_DEPTH", 1);
    if (fs.depth < 1) fs.depth = 1;
    if (fs.depth > 8) fs.depth = 8;
    Dl_info di;
    if (dladdr((void *)setup, &di)) fs.base = di.dli_fbase;
    const char *dir = getenv("LT_FAULT_LOG");
    if (dir && *dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/rank%d.log", dir, fs.rank);
        fs.logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    }
}

static void log_line(const char *s)
{
    if (fs.logfd >= 0 && write(fs.logfd, s, strlen(s)) < 0) {
        /* nothing to do: the log is best effort */
    }
}

/* The wrapper's return address: the call site in latent's code. */
#define RA __builtin_return_address(0)

static unsigned long offset_of(void *a) { return (unsigned long)((char *)a - (char *)fs.base); }

/* The call site as offsets into the binary (stable across runs despite
 * ASLR): ra, then depth - 1 callers above it. */
static void site_key(void *ra, char *out, size_t cap)
{
    size_t k = (size_t)snprintf(out, cap, "%lx", offset_of(ra));
    if (fs.depth < 2) return;
    void *bt[24];
    int n = backtrace(bt, 24), i = 0;
    while (i < n && bt[i] != ra) i++;
    for (int j = i + 1; j < n && j <= i + fs.depth - 1 && k + 20 < cap; j++)
        k += (size_t)snprintf(out + k, cap - k, ":%lx", offset_of(bt[j]));
}

/* Counts a call of `kind` by `what` from ra; 1 if this one must fail. */
static int hit(int kind, const char *what, void *ra)
{
    setup();
    long ord = ++fs.count[kind];
    int fire = kind == fs.kind && fs.n > 0 && ord == fs.n && fs.rank == fs.target_rank && !fs.fired;
    if (fs.n == 0 || fire) { /* count mode logs every call, of both kinds */
        char key[256], line[400];
        site_key(ra, key, sizeof key);
        snprintf(line, sizeof line, "%s %s %ld %s %s\n", fire ? "FAIL" : "call",
                 kind_name[kind], ord, key, what);
        log_line(line);
    }
    if (fire) fs.fired = 1;
    return fire;
}

static int std_stream(FILE *f) { return f == stdout || f == stderr; }

static void stream_error(FILE *f)
{
    errno = EIO;
    if (f) f->_flags |= _IO_ERR_SEEN; /* ferror() true, as after a real failed write */
}

/* ---- allocation ---------------------------------------------------------- */

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_aligned_alloc(size_t, size_t);
void *__real_lt_malloc(size_t);
void *__real_lt_calloc(size_t, size_t);

/* lt_malloc/lt_calloc call malloc/calloc: counted once, at latent's call site. */
static __thread int in_lt_alloc;

void *__wrap_malloc(size_t b)
{
    if (!in_lt_alloc && hit(K_ALLOC, "malloc", RA)) return errno = ENOMEM, NULL;
    return __real_malloc(b);
}

void *__wrap_calloc(size_t n, size_t s)
{
    if (!in_lt_alloc && hit(K_ALLOC, "calloc", RA)) return errno = ENOMEM, NULL;
    return __real_calloc(n, s);
}

void *__wrap_realloc(void *p, size_t b)
{
    if (hit(K_ALLOC, "realloc", RA)) return errno = ENOMEM, NULL;
    return __real_realloc(p, b);
}

void *__wrap_aligned_alloc(size_t a, size_t b)
{
    if (hit(K_ALLOC, "aligned_alloc", RA)) return errno = ENOMEM, NULL;
    return __real_aligned_alloc(a, b);
}

void *__wrap_lt_malloc(size_t b)
{
    if (hit(K_ALLOC, "lt_malloc", RA)) {
        lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__,
                       "out of memory allocating %zu bytes (injected)", b);
        return NULL;
    }
    in_lt_alloc = 1;
    void *p = __real_lt_malloc(b);
    in_lt_alloc = 0;
    return p;
}

void *__wrap_lt_calloc(size_t n, size_t s)
{
    if (hit(K_ALLOC, "lt_calloc", RA)) {
        lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__,
                       "out of memory allocating %zu x %zu bytes (injected)", n, s);
        return NULL;
    }
    in_lt_alloc = 1;
    void *p = __real_lt_calloc(n, s);
    in_lt_alloc = 0;
    return p;
}

/* cJSON allocates every node: NULL (false) is its out-of-memory answer. */
#define JSON_CREATE(name, params, args)                      \
    cJSON *__real_##name params;                             \
    cJSON *__wrap_##name params                              \
    {                                                        \
        if (hit(K_ALLOC, #name, RA)) return NULL;                \
        return __real_##name args;                           \
    }
JSON_CREATE(cJSON_CreateObject, (void), ())
JSON_CREATE(cJSON_CreateArray, (void), ())
JSON_CREATE(cJSON_CreateNull, (void), ())
JSON_CREATE(cJSON_CreateBool, (cJSON_bool b), (b))
JSON_CREATE(cJSON_CreateNumber, (double v), (v))
JSON_CREATE(cJSON_CreateString, (const char *s), (s))
JSON_CREATE(cJSON_AddObjectToObject, (cJSON * o, const char *k), (o, k))

cJSON_bool __real_cJSON_AddItemToObject(cJSON *o, const char *k, cJSON *item);
cJSON_bool __wrap_cJSON_AddItemToObject(cJSON *o, const char *k, cJSON *item)
{
    if (hit(K_ALLOC, "cJSON_AddItemToObject", RA)) return 0; /* the key's copy failed */
    return __real_cJSON_AddItemToObject(o, k, item);
}

char *__real_cJSON_Print(const cJSON *o);
char *__wrap_cJSON_Print(const cJSON *o)
{
    if (hit(K_ALLOC, "cJSON_Print", RA)) return NULL;
    return __real_cJSON_Print(o);
}

/* ---- stdio, files, folders -------------------------------------------- */

FILE *__real_fopen(const char *, const char *);
size_t __real_fread(void *, size_t, size_t, FILE *);
size_t __real_fwrite(const void *, size_t, size_t, FILE *);
int __real_fputs(const char *, FILE *);
int __real_fputc(int, FILE *);
int __real_vfprintf(FILE *, const char *, va_list);
int __real_fflush(FILE *);
int __real_fclose(FILE *);
int __real_fseek(FILE *, long, int);
ssize_t __real_getline(char **, size_t *, FILE *);
int __real_mkdir(const char *, mode_t);
int __real_rename(const char *, const char *);

FILE *__wrap_fopen(const char *p, const char *m)
{
    if (hit(K_IO, "fopen", RA)) return errno = EIO, NULL;
    return __real_fopen(p, m);
}

size_t __wrap_fread(void *b, size_t s, size_t n, FILE *f)
{
    if (!std_stream(f) && hit(K_IO, "fread", RA)) return stream_error(f), 0;
    return __real_fread(b, s, n, f);
}

size_t __wrap_fwrite(const void *b, size_t s, size_t n, FILE *f)
{
    if (!std_stream(f) && hit(K_IO, "fwrite", RA)) return stream_error(f), 0;
    return __real_fwrite(b, s, n, f);
}

int __wrap_fputs(const char *s, FILE *f)
{
    if (!std_stream(f) && hit(K_IO, "fputs", RA)) return stream_error(f), EOF;
    return __real_fputs(s, f);
}

int __wrap_fputc(int c, FILE *f)
{
    if (!std_stream(f) && hit(K_IO, "fputc", RA)) return stream_error(f), EOF;
    return __real_fputc(c, f);
}

int __wrap_vfprintf(FILE *f, const char *fmt, va_list ap)
{
    if (!std_stream(f) && hit(K_IO, "vfprintf", RA)) return stream_error(f), -1;
    return __real_vfprintf(f, fmt, ap);
}

int __wrap_fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = -1;
    if (!std_stream(f) && hit(K_IO, "fprintf", RA)) stream_error(f);
    else r = __real_vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

int __wrap_fflush(FILE *f)
{
    if (f && !std_stream(f) && hit(K_IO, "fflush", RA)) return stream_error(f), EOF;
    return __real_fflush(f);
}

/* The stream is closed either way (as after a failed final flush). */
int __wrap_fclose(FILE *f)
{
    int fire = !std_stream(f) && hit(K_IO, "fclose", RA);
    int r = __real_fclose(f);
    return fire ? (errno = EIO, EOF) : r;
}

int __wrap_fseek(FILE *f, long off, int wh)
{
    if (hit(K_IO, "fseek", RA)) return stream_error(f), -1;
    return __real_fseek(f, off, wh);
}

ssize_t __wrap_getline(char **l, size_t *cap, FILE *f)
{
    if (hit(K_IO, "getline", RA)) return stream_error(f), -1;
    return __real_getline(l, cap, f);
}

int __wrap_mkdir(const char *p, mode_t m)
{
    if (hit(K_IO, "mkdir", RA)) return errno = EIO, -1;
    return __real_mkdir(p, m);
}

int __wrap_rename(const char *a, const char *b)
{
    if (hit(K_IO, "rename", RA)) return errno = EIO, -1;
    return __real_rename(a, b);
}

gzFile __real_gzopen(const char *, const char *);
int __real_gzread(gzFile, voidp, unsigned);
gzFile __wrap_gzopen(const char *p, const char *m)
{
    if (hit(K_IO, "gzopen", RA)) return errno = EIO, NULL;
    return __real_gzopen(p, m);
}
int __wrap_gzread(gzFile g, voidp b, unsigned n)
{
    if (hit(K_IO, "gzread", RA)) return errno = EIO, -1;
    return __real_gzread(g, b, n);
}

int __real_ini_parse_file(FILE *, ini_handler, void *);
int __wrap_ini_parse_file(FILE *f, ini_handler h, void *u)
{
    if (hit(K_IO, "ini_parse_file", RA)) return stream_error(f), -1; /* inih: -1 = cannot read */
    return __real_ini_parse_file(f, h, u);
}

/* ---- MPI-IO ------------------------------------------------------------ */

int __real_MPI_File_open(MPI_Comm, const char *, int, MPI_Info, MPI_File *);
int __real_MPI_File_read_at(MPI_File, MPI_Offset, void *, int, MPI_Datatype, MPI_Status *);
int __real_MPI_File_read_at_all(MPI_File, MPI_Offset, void *, int, MPI_Datatype, MPI_Status *);
int __real_MPI_File_write_at_all(MPI_File, MPI_Offset, const void *, int, MPI_Datatype,
                                 MPI_Status *);
int __real_MPI_File_set_size(MPI_File, MPI_Offset);

/* The chosen rank's verdict for a collective open, on every rank of comm. */
static int agreed_hit(MPI_Comm comm, const char *what, void *ra)
{
    int mine = hit(K_IO, what, ra), any = 0;
    MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm);
    return any;
}

int __wrap_MPI_File_open(MPI_Comm comm, const char *p, int mode, MPI_Info info, MPI_File *fh)
{
    if (agreed_hit(comm, "MPI_File_open", RA)) return MPI_ERR_IO;
    return __real_MPI_File_open(comm, p, mode, info, fh);
}

int __wrap_MPI_File_read_at(MPI_File fh, MPI_Offset o, void *b, int n, MPI_Datatype t,
                            MPI_Status *s)
{
    if (hit(K_IO, "MPI_File_read_at", RA)) return MPI_ERR_IO;
    return __real_MPI_File_read_at(fh, o, b, n, t, s);
}

int __wrap_MPI_File_read_at_all(MPI_File fh, MPI_Offset o, void *b, int n, MPI_Datatype t,
                                MPI_Status *s)
{
    int fire = hit(K_IO, "MPI_File_read_at_all", RA);
    int r = __real_MPI_File_read_at_all(fh, o, b, n, t, s);
    return fire ? MPI_ERR_IO : r;
}

int __wrap_MPI_File_write_at_all(MPI_File fh, MPI_Offset o, const void *b, int n,
                                 MPI_Datatype t, MPI_Status *s)
{
    int fire = hit(K_IO, "MPI_File_write_at_all", RA);
    int r = __real_MPI_File_write_at_all(fh, o, b, n, t, s);
    return fire ? MPI_ERR_IO : r;
}

int __wrap_MPI_File_set_size(MPI_File fh, MPI_Offset sz)
{
    int fire = hit(K_IO, "MPI_File_set_size", RA);
    int r = __real_MPI_File_set_size(fh, sz);
    return fire ? MPI_ERR_IO : r;
}

/* ---- HDF5 -------------------------------------------------------------- */

herr_t __real_H5Fclose(hid_t);

static int fapl_parallel(hid_t fapl)
{
    return fapl != H5P_DEFAULT && fapl >= 0 && H5Pget_driver(fapl) == H5FD_MPIO;
}

/* 1 if loc lives in a file open through MPI-IO (collective metadata). Local:
 * not H5Fget_access_plist, which duplicates the file's communicator
 * (MPI_Comm_dup, collective), so the check itself hung the ranks that went
 * on reading a file independently after another rank's failure (found by
 * the single-cell sweep: every h5ad case after the matrix). The MPI
 * atomicity query exists for MPI-IO files only and asks MPI_File locally. */
static int loc_parallel(hid_t loc)
{
    hid_t f = H5Iget_file_id(loc);
    if (f < 0) return 0;
    hbool_t atomic = 0;
    herr_t r = -1;
    H5E_BEGIN_TRY { r = H5Fget_mpi_atomicity(f, &atomic); } H5E_END_TRY;
    __real_H5Fclose(f);
    return r >= 0;
}

static int file_hit(hid_t fapl, const char *what, void *ra)
{
    if (!fapl_parallel(fapl)) return hit(K_IO, what, ra);
    MPI_Comm comm = MPI_COMM_NULL;
    MPI_Info info = MPI_INFO_NULL;
    if (H5Pget_fapl_mpio(fapl, &comm, &info) < 0) return 0;
    int any = agreed_hit(comm, what, ra);
    MPI_Comm_free(&comm);
    if (info != MPI_INFO_NULL) MPI_Info_free(&info);
    return any;
}

hid_t __real_H5Fcreate(const char *, unsigned, hid_t, hid_t);
hid_t __real_H5Fopen(const char *, unsigned, hid_t);
hid_t __wrap_H5Fcreate(const char *p, unsigned fl, hid_t fcpl, hid_t fapl)
{
    if (file_hit(fapl, "H5Fcreate", RA)) return -1;
    return __real_H5Fcreate(p, fl, fcpl, fapl);
}
hid_t __wrap_H5Fopen(const char *p, unsigned fl, hid_t fapl)
{
    if (file_hit(fapl, "H5Fopen", RA)) return -1;
    return __real_H5Fopen(p, fl, fapl);
}

herr_t __wrap_H5Fclose(hid_t f)
{
    int fire = !loc_parallel(f) && hit(K_IO, "H5Fclose", RA);
    herr_t r = __real_H5Fclose(f);
    return fire ? -1 : r;
}

/* Serial files: fail without doing it; MPI-IO files: not counted. */
#define H5_LOCAL(ret, name, params, args, loc)                        \
    ret __real_##name params;                                         \
    ret __wrap_##name params                                          \
    {                                                                 \
        if (!loc_parallel(loc) && hit(K_IO, #name, RA)) return -1;        \
        return __real_##name args;                                    \
    }
H5_LOCAL(hid_t, H5Dcreate2, (hid_t l, const char *n, hid_t t, hid_t s, hid_t a, hid_t b, hid_t c),
         (l, n, t, s, a, b, c), l)
H5_LOCAL(hid_t, H5Gcreate2, (hid_t l, const char *n, hid_t a, hid_t b, hid_t c), (l, n, a, b, c),
         l)
H5_LOCAL(hid_t, H5Acreate2, (hid_t l, const char *n, hid_t t, hid_t s, hid_t a, hid_t b),
         (l, n, t, s, a, b), l)
H5_LOCAL(hid_t, H5Dopen2, (hid_t l, const char *n, hid_t a), (l, n, a), l)
H5_LOCAL(hid_t, H5Aopen, (hid_t l, const char *n, hid_t a), (l, n, a), l)
H5_LOCAL(herr_t, H5Aread, (hid_t a, hid_t t, void *b), (a, t, b), a)
H5_LOCAL(herr_t, H5Awrite, (hid_t a, hid_t t, const void *b), (a, t, b), a)

/* Data transfers: on MPI-IO files the real (maybe collective) call first. */
#define H5_TRANSFER(name, bufq)                                                                \
    herr_t __real_##name(hid_t d, hid_t m, hid_t ms, hid_t fsp, hid_t x, bufq void *b);        \
    herr_t __wrap_##name(hid_t d, hid_t m, hid_t ms, hid_t fsp, hid_t x, bufq void *b)         \
    {                                                                                          \
        if (!loc_parallel(d)) {                                                                \
            if (hit(K_IO, #name, RA)) return -1;                                                   \
            return __real_##name(d, m, ms, fsp, x, b);                                         \
        }                                                                                      \
        int fire = hit(K_IO, #name, RA);                                                           \
        herr_t r = __real_##name(d, m, ms, fsp, x, b);                                         \
        return fire ? -1 : r;                                                                  \
    }
H5_TRANSFER(H5Dread, )
H5_TRANSFER(H5Dwrite, const)

/* ---- messages of the lt_comm layer -------------------------------------- */

static lt_status msg_fail(const char *what)
{
    return lt_error_raise(LT_ERR_MPI, __FILE__, __LINE__, "%s failed: message truncated (injected)",
                          what);
}

lt_status __real_lt_comm_xfer_bcast(lt_comm *, void *, int64_t, int);
lt_status __wrap_lt_comm_xfer_bcast(lt_comm *c, void *b, int64_t n, int root)
{
    int fire = hit(K_MSG, "lt_comm_bcast", RA);
    lt_status st = __real_lt_comm_xfer_bcast(c, b, n, root);
    return fire ? msg_fail("MPI_Bcast") : st;
}

lt_status __real_lt_comm_xfer_allgather(lt_comm *, const void *, int64_t, void *);
lt_status __wrap_lt_comm_xfer_allgather(lt_comm *c, const void *in, int64_t n, void *out)
{
    int fire = hit(K_MSG, "lt_comm_allgather", RA);
    lt_status st = __real_lt_comm_xfer_allgather(c, in, n, out);
    return fire ? msg_fail("MPI_Allgather") : st;
}

lt_status __real_lt_comm_xfer_alltoallv(lt_comm *, const void *, const int64_t *, const int64_t *,
                                        void *, const int64_t *, const int64_t *);
lt_status __wrap_lt_comm_xfer_alltoallv(lt_comm *c, const void *s, const int64_t *sc,
                                        const int64_t *sd, void *r, const int64_t *rc,
                                        const int64_t *rd)
{
    int fire = hit(K_MSG, "lt_comm_alltoallv", RA);
    lt_status st = __real_lt_comm_xfer_alltoallv(c, s, sc, sd, r, rc, rd);
    return fire ? msg_fail("MPI_Alltoallv") : st;
}

/* A ring shift reports one byte fewer than arrived: the caller's check for a
 * short message is what this reaches. */
lt_status __real_lt_comm_ring_shift(lt_comm *, const void *, int64_t, void *, int64_t, int64_t *);
lt_status __wrap_lt_comm_ring_shift(lt_comm *c, const void *s, int64_t sb, void *r, int64_t cap,
                                    int64_t *got)
{
    int fire = hit(K_MSG, "lt_comm_ring_shift", RA);
    lt_status st = __real_lt_comm_ring_shift(c, s, sb, r, cap, got);
    if (fire && st == LT_OK && *got > 0) --*got;
    return st;
}

/* ---- main: every rank's exit code and the counts, for the sweep -------- */

int __real_main(int argc, char **argv);
int __wrap_main(int argc, char **argv)
{
    setup();
    int rc = __real_main(argc, argv);
    char line[160];
    snprintf(line, sizeof line, "exit %d alloc %ld io %ld msg %ld\n", rc, fs.count[K_ALLOC],
             fs.count[K_IO], fs.count[K_MSG]);
    log_line(line);
    return rc;
}
