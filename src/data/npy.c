/* NumPy .npy files (format versions 1.0, 2.0, 3.0) over MPI-IO.
 * Rank 0 parses the header and broadcasts shape and data offset; every rank
 * then reads only its rows with one collective read. */
#include "io_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAX_HEADER (1 << 20)

/* What the header says; plain integers so it can be broadcast as bytes. */
typedef struct {
    int64_t shape[3];
    int ndim;        /* 3 means "3 or more" */
    int fortran;
    int big_endian;
    char kind;       /* 'f', 'i', 'u', ... */
    int esize;
    int64_t offset;  /* first data byte */
    int64_t fsize;
    char descr[16];
} npy_info;

static const char *find_key(const char *h, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) {
        snprintf(pat, sizeof pat, "\"%s\"", key);
        p = strstr(h, pat);
    }
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ') p++;
    return p;
}

static lt_status parse_descr(const char *path, const char *p, npy_info *in)
{
    LT_CHECK(p && (*p == '\'' || *p == '"'), LT_ERR_FORMAT,
             "%s: .npy header has no 'descr' string (structured dtypes are not supported)", path);
    const char *e = strchr(p + 1, *p);
    LT_CHECK(e && e - p - 1 < (long)sizeof in->descr && e - p - 1 >= 2, LT_ERR_FORMAT,
             "%s: unsupported dtype in .npy header", path);
    memcpy(in->descr, p + 1, (size_t)(e - p - 1));
    in->descr[e - p - 1] = '\0';
    const char *t = in->descr;
    if (*t == '<' || *t == '>' || *t == '|' || *t == '=') in->big_endian = *t++ == '>';
    in->kind = *t++;
    char *end;
    long sz = strtol(t, &end, 10);
    LT_CHECK(*end == '\0' && sz > 0 && sz <= 16, LT_ERR_FORMAT, "%s: unsupported dtype '%s'",
             path, in->descr);
    in->esize = (int)sz;
    if (in->esize == 1) in->big_endian = 0;
    return LT_OK;
}

static lt_status parse_shape(const char *path, const char *p, npy_info *in)
{
    LT_CHECK(p && *p == '(', LT_ERR_FORMAT, "%s: .npy header has no 'shape' tuple", path);
    p++;
    in->ndim = 0;
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        char *end;
        long long v = strtoll(p, &end, 10);
        LT_CHECK(end != p && v >= 0, LT_ERR_FORMAT, "%s: bad 'shape' in .npy header", path);
        if (in->ndim < 3) in->shape[in->ndim] = v;
        if (in->ndim < 3) in->ndim++;
        p = end;
    }
    return LT_OK;
}

static lt_status parse_header(const char *path, const char *h, npy_info *in)
{
    LT_CALL(parse_descr(path, find_key(h, "descr"), in));
    const char *f = find_key(h, "fortran_order");
    LT_CHECK(f && (!strncmp(f, "True", 4) || !strncmp(f, "False", 5)), LT_ERR_FORMAT,
             "%s: .npy header has no 'fortran_order'", path);
    in->fortran = f[0] == 'T';
    LT_CALL(parse_shape(path, find_key(h, "shape"), in));
    return LT_OK;
}

/* Rank 0 only: reads magic, version, header and the file size. */
static lt_status read_header(const char *path, npy_info *in)
{
    memset(in, 0, sizeof *in);
    LT_CALL(lt_io_file_size(path, &in->fsize));
    FILE *f = fopen(path, "rb");
    LT_CHECK(f, LT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char pre[12];
    size_t got = fread(pre, 1, sizeof pre, f);
    lt_status st = LT_OK;
    char *h = NULL;
    if (ferror(f)) LT_RAISE_GOTO(st, done, LT_ERR_IO, "%s: read error: %s", path, strerror(errno));
    if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        LT_RAISE_GOTO(st, done, LT_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    int major = pre[6];
    int64_t hlen = major == 1 ? (int64_t)pre[8] | (int64_t)pre[9] << 8
                              : (int64_t)pre[8] | (int64_t)pre[9] << 8 | (int64_t)pre[10] << 16 |
                                    (int64_t)pre[11] << 24;
    in->offset = (major == 1 ? 10 : 12) + hlen;
    if (major < 1 || major > 3)
        LT_RAISE_GOTO(st, done, LT_ERR_FORMAT, "%s: unsupported .npy format version %d.%d", path,
                      major, pre[7]);
    if (hlen <= 0 || hlen > NPY_MAX_HEADER || in->offset > in->fsize)
        LT_RAISE_GOTO(st, done, LT_ERR_FORMAT, "%s: truncated or corrupt .npy header", path);
    if (!(h = lt_malloc((size_t)hlen + 1))) LT_RAISE_GOTO(st, done, LT_ERR_MEM, "out of memory");
    if (fseek(f, (long)(major == 1 ? 10 : 12), SEEK_SET) != 0 ||
        fread(h, 1, (size_t)hlen, f) != (size_t)hlen)
        LT_RAISE_GOTO(st, done, ferror(f) ? LT_ERR_IO : LT_ERR_FORMAT, "%s: %s", path,
                      ferror(f) ? "read error in the .npy header" : "truncated .npy header");
    h[hlen] = '\0';
    LT_CALL_GOTO(st, parse_header(path, h, in), done);
done:
    free(h);
    fclose(f);
    return st;
}

static void shape_text(const npy_info *in, char *buf, size_t cap)
{
    if (in->ndim == 1)
        snprintf(buf, cap, "(%lld,)", (long long)in->shape[0]);
    else if (in->ndim == 2)
        snprintf(buf, cap, "(%lld, %lld)", (long long)in->shape[0], (long long)in->shape[1]);
    else
        snprintf(buf, cap, "%d-D", in->ndim);
}

/* Rank 0: checks that apply to data and labels files alike. */
static lt_status check_common(const char *path, const npy_info *in, int want_ndim)
{
    char sh[64];
    shape_text(in, sh, sizeof sh);
    LT_CHECK(!in->fortran, LT_ERR_FORMAT,
             "%s: Fortran-order arrays are not supported (save numpy.ascontiguousarray(a))", path);
    LT_CHECK(!in->big_endian, LT_ERR_FORMAT,
             "%s: big-endian dtype '%s' is not supported (convert with a.astype('<%c%d'))", path,
             in->descr, in->kind, in->esize);
    LT_CHECK(in->ndim == want_ndim, LT_ERR_FORMAT, "%s: expected a %d-D array, found shape %s",
             path, want_ndim, sh);
    /* The shape is outside data: a product that overflows is a bad header
     * (found by fuzz_npy, tests/fuzz/corpus/npy/crash-370c9f76...). */
    int64_t count, bytes, need;
    int huge = __builtin_mul_overflow(in->shape[0], want_ndim == 2 ? in->shape[1] : 1, &count) ||
               __builtin_mul_overflow(count, (int64_t)in->esize, &bytes) ||
               __builtin_add_overflow(in->offset, bytes, &need);
    LT_CHECK(!huge, LT_ERR_FORMAT, "%s: header shape %s of '%s' is too large", path, sh,
             in->descr);
    LT_CHECK(count > 0, LT_ERR_DATA, "%s: empty array (shape %s)", path, sh);
    LT_CHECK(in->fsize >= need, LT_ERR_FORMAT,
             "%s: truncated: header shape %s of '%s' needs %lld bytes, file has %lld", path, sh,
             in->descr, (long long)need, (long long)in->fsize);
    LT_CHECK(in->fsize == need, LT_ERR_FORMAT,
             "%s: header shape %s of '%s' disagrees with the file size (%lld bytes, expected %lld)",
             path, sh, in->descr, (long long)in->fsize, (long long)need);
    return LT_OK;
}

static lt_status check_data(const char *path, const npy_info *in)
{
    LT_CALL(check_common(path, in, 2));
    LT_CHECK(in->kind == 'f' && (in->esize == 4 || in->esize == 8), LT_ERR_FORMAT,
             "%s: unsupported dtype '%s' (data must be float32 '<f4' or float64 '<f8')", path,
             in->descr);
    return LT_OK;
}

static lt_status check_labels(const char *path, const npy_info *in)
{
    LT_CALL(check_common(path, in, 1));
    int ok = (in->kind == 'i' && (in->esize == 4 || in->esize == 8)) ||
             (in->kind == 'u' && in->esize == 1);
    LT_CHECK(ok, LT_ERR_FORMAT,
             "%s: unsupported labels dtype '%s' (labels must be '<i4', '<i8' or '|u1')", path,
             in->descr);
    return LT_OK;
}

/* Collective: rank 0 reads and checks the header; all ranks get it. */
static lt_status get_header(lt_comm *c, const char *path, int labels, npy_info *in)
{
    lt_status st = LT_OK;
    memset(in, 0, sizeof *in);
    if (lt_comm_rank(c) == 0) {
        st = read_header(path, in);
        if (st == LT_OK) st = labels ? check_labels(path, in) : check_data(path, in);
    }
    LT_CALL(lt_comm_agree(c, st));
    LT_CALL(lt_comm_bcast(c, in, sizeof *in, 0));
    return LT_OK;
}

/* Collective: this rank's rows [row0, row0 + nloc) as raw bytes (malloc'd). */
static lt_status read_block(lt_comm *c, const char *path, const npy_info *in, int64_t rowlen,
                            int64_t row0, int64_t nloc, void **raw)
{
    int64_t rowbytes = rowlen * in->esize;
    *raw = lt_malloc((size_t)(nloc * rowbytes));
    lt_status st = lt_comm_agree(c, *raw ? LT_OK : LT_ERR_MEM);
    MPI_File fh = MPI_FILE_NULL;
    if (st == LT_OK) st = lt_io_open(c, path, MPI_MODE_RDONLY, &fh);
    if (st == LT_OK)
        st = lt_io_read_rows(c, fh, path, in->offset, rowbytes, in->shape[0], row0, nloc, *raw);
    st = lt_io_close(c, &fh, st);
    st = lt_comm_agree(c, st);
    if (st != LT_OK) {
        free(*raw);
        *raw = NULL;
    }
    return st;
}

lt_status lt_npy_read(lt_comm *c, const char *path, const lt_read_opts *o, lt_dataset **out)
{
    *out = NULL;
    npy_info in;
    LT_CALL(get_header(c, path, 0, &in));
    lt_dataset *ds = NULL;
    LT_CALL(lt_dataset_create(c, in.shape[0], in.shape[1], 0, &ds));
    void *raw = NULL;
    lt_status st = read_block(c, path, &in, ds->d, ds->row0, ds->nloc, &raw);
    if (st == LT_OK) {
        int64_t m = ds->nloc * ds->d;
        if (in.esize == 4)
            memcpy(ds->x, raw, (size_t)m * 4);
        else
            for (int64_t k = 0; k < m; k++) ds->x[k] = (float)((double *)raw)[k];
        free(raw);
        if (!(o && o->allow_nonfinite)) st = lt_dataset_check_finite(c, ds, path);
    }
    if (st != LT_OK) lt_dataset_destroy(&ds);
    *out = ds;
    return st;
}

lt_status lt_npy_read_labels(lt_comm *c, const char *path, lt_dataset *ds)
{
    npy_info in;
    LT_CALL(get_header(c, path, 1, &in));
    LT_CHECK(in.shape[0] == ds->n, LT_ERR_DATA,
             "%s: labels file has %lld labels but the data has %lld rows", path,
             (long long)in.shape[0], (long long)ds->n);
    void *raw = NULL;
    LT_CALL(read_block(c, path, &in, 1, ds->row0, ds->nloc, &raw));
    int32_t *y = lt_malloc(sizeof(int32_t) * (size_t)ds->nloc);
    lt_status st = y ? LT_OK : LT_ERR_MEM;
    for (int64_t i = 0; y && i < ds->nloc; i++) {
        int64_t v = in.esize == 1 ? ((uint8_t *)raw)[i]
                  : in.esize == 4 ? ((int32_t *)raw)[i] : ((int64_t *)raw)[i];
        if (v < INT32_MIN || v > INT32_MAX) {
            st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                                "%s: label %lld at row %lld does not fit in int32", path,
                                (long long)v, (long long)(ds->row0 + i));
            break;
        }
        y[i] = (int32_t)v;
    }
    free(raw);
    st = lt_comm_agree(c, st);
    if (st != LT_OK) {
        free(y);
        return st;
    }
    return lt_io_set_labels(ds, y);
}

/* Header padded with spaces so the data starts at a multiple of 64 bytes. */
static int64_t make_header(char *buf, size_t cap, const char *descr, const char *shape)
{
    char dict[256];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                       descr, shape);
    int64_t total = 10 + len + 1;
    total = (total + 63) / 64 * 64;
    int64_t hlen = total - 10;
    memset(buf, ' ', cap);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    memcpy(buf + 10, dict, (size_t)len);
    buf[total - 1] = '\n';
    return total;
}

/* Collective: header by rank 0, then every rank's rows at their offset. */
static lt_status write_npy(lt_comm *c, const char *path, const char *descr, const char *shape,
                           int64_t rowbytes, int64_t n, int64_t row0, int64_t nloc,
                           const void *data)
{
    char tmp[4096], hdr[512];
    LT_CALL(lt_io_tmpname(c, path, tmp, sizeof tmp));
    int64_t hlen = make_header(hdr, sizeof hdr, descr, shape);
    MPI_File fh = MPI_FILE_NULL;
    lt_status st = lt_io_open(c, tmp, MPI_MODE_CREATE | MPI_MODE_WRONLY, &fh);
    if (st == LT_OK) st = lt_io_set_size(c, fh, tmp, hlen + n * rowbytes);
    if (st == LT_OK) st = lt_io_write_bytes(c, fh, tmp, 0, lt_comm_rank(c) == 0 ? hlen : 0, hdr);
    if (st == LT_OK) st = lt_io_write_rows(c, fh, tmp, hlen, rowbytes, n, row0, nloc, data);
    st = lt_io_close(c, &fh, st);
    return lt_io_commit(c, st, tmp, path);
}

lt_status lt_npy_write(lt_comm *c, const char *path, const lt_dataset *ds)
{
    char shape[64];
    snprintf(shape, sizeof shape, "(%lld, %lld)", (long long)ds->n, (long long)ds->d);
    return write_npy(c, path, "<f4", shape, 4 * ds->d, ds->n, ds->row0, ds->nloc, ds->x);
}

lt_status lt_npy_write_labels(lt_comm *c, const char *path, const lt_dataset *ds)
{
    int64_t ok = ds->y != NULL || ds->nloc == 0, any = ds->y != NULL || ds->n == 0;
    LT_CALL(lt_comm_min_i64(c, &ok, 1));
    LT_CALL(lt_comm_max_i64(c, &any, 1));
    LT_CHECK(ok && any, LT_ERR_ARG, "%s: the dataset has no labels to write", path);
    char shape[64];
    snprintf(shape, sizeof shape, "(%lld,)", (long long)ds->n);
    return write_npy(c, path, "<i4", shape, 4, ds->n, ds->row0, ds->nloc, ds->y);
}
