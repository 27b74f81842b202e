/* MNIST-style IDX files: big-endian header (magic 0x00000803 images n x rows
 * x cols, 0x00000801 labels n), then uint8 values.
 * Raw files: rank 0 parses the header, every rank reads its rows with MPI-IO.
 * Gzip files (detected by content): a gzip stream cannot be read from the
 * middle, so rank 0 decompresses it in bounded chunks of rows and broadcasts
 * each chunk; ranks keep only their own rows. Memory per rank stays
 * O(n d / P) plus one chunk, and no temporary file is needed. */
#include "io_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_IMAGES 0x00000803u
#define IDX_LABELS 0x00000801u
#define IDX_CHUNK ((int64_t)4 << 20) /* bytes per broadcast chunk */

typedef struct {
    int64_t n, rowbytes, dims[3], offset, fsize;
    int gz;
} idx_info;

typedef struct {
    const char *path;
    idx_info in;
    gzFile g; /* rank 0 only, open while reading */
} idx_src;

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Rank 0: opens with zlib (which reads plain files too) and parses the header. */
static lt_status parse_header(idx_src *s, uint32_t magic)
{
    const char *path = s->path, *what = magic == IDX_IMAGES ? "images" : "labels";
    idx_info *in = &s->in;
    LT_CALL(lt_io_file_size(path, &in->fsize));
    s->g = gzopen(path, "rb");
    LT_CHECK(s->g, LT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    int ndim = magic == IDX_IMAGES ? 3 : 1;
    unsigned char h[16];
    int want = 4 + 4 * ndim, got = gzread(s->g, h, (unsigned)want);
    LT_CHECK(got >= 4, LT_ERR_FORMAT, "%s: too short for an IDX %s file", path, what);
    LT_CHECK(be32(h) == magic, LT_ERR_FORMAT,
             "%s: wrong magic 0x%08x: not an IDX %s file (expected 0x%08x)", path, be32(h), what,
             magic);
    LT_CHECK(got == want, LT_ERR_FORMAT, "%s: truncated IDX header", path);
    in->rowbytes = 1;
    for (int k = 0; k < ndim; k++) {
        in->dims[k] = be32(h + 4 + 4 * k);
        LT_CHECK(in->dims[k] > 0, LT_ERR_DATA, "%s: IDX %s file has a zero dimension", path, what);
        if (k > 0) in->rowbytes *= in->dims[k];
        LT_CHECK(in->rowbytes <= (1 << 30), LT_ERR_FORMAT, "%s: IDX rows of %lld bytes are too long",
                 path, (long long)in->rowbytes);
    }
    in->n = in->dims[0];
    in->offset = want;
    in->gz = !gzdirect(s->g);
    int64_t need = in->offset + in->n * in->rowbytes;
    LT_CHECK(in->gz || in->fsize >= need, LT_ERR_FORMAT,
             "%s: truncated: header declares %lld %s needing %lld bytes, file has %lld", path,
             (long long)in->n, what, (long long)need, (long long)in->fsize);
    /* deflate expands at most 1032:1: a gzip file cannot hold more, and a
     * header claiming more would make every rank allocate its share of it
     * (13 GB for a 50-byte file; found by tests/fuzz/fuzz_idx.c) */
    LT_CHECK(!in->gz || need <= 1032 * in->fsize + 64, LT_ERR_FORMAT,
             "%s: truncated: header declares %lld %s needing %lld bytes, more than a %lld-byte "
             "gzip file can hold",
             path, (long long)in->n, what, (long long)need, (long long)in->fsize);
    LT_CHECK(in->gz || in->fsize == need, LT_ERR_FORMAT,
             "%s: header (%lld %s) disagrees with the file size (%lld bytes, expected %lld)", path,
             (long long)in->n, what, (long long)in->fsize, (long long)need);
    return LT_OK;
}

static void src_close(idx_src *s)
{
    if (s->g) gzclose(s->g);
    s->g = NULL;
}

/* Collective: header read by rank 0 and shared. */
static lt_status src_open(lt_comm *c, const char *path, uint32_t magic, idx_src *s)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    lt_status st = lt_comm_rank(c) == 0 ? parse_header(s, magic) : LT_OK;
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = lt_comm_bcast(c, &s->in, sizeof s->in, 0);
    if (st != LT_OK) src_close(s);
    return st;
}

/* Rank 0: next `bytes` of the stream, or an error naming the row reached. */
static lt_status gz_next(idx_src *s, unsigned char *buf, int64_t bytes, int64_t row)
{
    int got = gzread(s->g, buf, (unsigned)bytes), err = 0;
    const char *msg = got < 0 ? gzerror(s->g, &err) : "";
    LT_CHECK(got >= 0, LT_ERR_FORMAT, "%s: corrupt gzip stream near row %lld: %s", s->path,
             (long long)row, msg);
    LT_CHECK(got == bytes, LT_ERR_FORMAT,
             "%s: truncated: the stream ends before row %lld of the %lld the header declares",
             s->path, (long long)(row + got / s->in.rowbytes), (long long)s->in.n);
    return LT_OK;
}

static lt_status gz_check_end(idx_src *s)
{
    unsigned char extra;
    LT_CHECK(gzread(s->g, &extra, 1) == 0, LT_ERR_FORMAT,
             "%s: data continues after the %lld rows the header declares", s->path,
             (long long)s->in.n);
    return LT_OK;
}

/* Collective: chunked broadcast of the decompressed rows; ranks keep theirs. */
static lt_status gz_rows(lt_comm *c, idx_src *s, int64_t row0, int64_t nloc, unsigned char *dst)
{
    int64_t rb = s->in.rowbytes, per = IDX_CHUNK / rb > 0 ? IDX_CHUNK / rb : 1;
    unsigned char *buf = lt_malloc((size_t)(per * rb));
    LT_AGREE_ALLOC(c, buf);
    lt_status st = LT_OK;
    for (int64_t first = 0; st == LT_OK && first < s->in.n; first += per) {
        int64_t cnt = s->in.n - first < per ? s->in.n - first : per;
        st = lt_comm_agree(c, lt_comm_rank(c) == 0 ? gz_next(s, buf, cnt * rb, first) : LT_OK);
        if (st == LT_OK) st = lt_comm_bcast(c, buf, cnt * rb, 0);
        int64_t lo = first > row0 ? first : row0;
        int64_t hi = first + cnt < row0 + nloc ? first + cnt : row0 + nloc;
        if (st == LT_OK && hi > lo)
            memcpy(dst + (lo - row0) * rb, buf + (lo - first) * rb, (size_t)((hi - lo) * rb));
    }
    free(buf);
    if (st == LT_OK) st = lt_comm_agree(c, lt_comm_rank(c) == 0 ? gz_check_end(s) : LT_OK);
    return st;
}

/* Collective: rows [row0, row0 + nloc) of the source as bytes. */
static lt_status src_rows(lt_comm *c, idx_src *s, int64_t row0, int64_t nloc, unsigned char *dst)
{
    if (s->in.gz) return gz_rows(c, s, row0, nloc, dst);
    MPI_File fh = MPI_FILE_NULL;
    LT_CALL(lt_io_open(c, s->path, MPI_MODE_RDONLY, &fh));
    lt_status st = lt_io_read_rows(c, fh, s->path, s->in.offset, s->in.rowbytes, s->in.n, row0,
                                   nloc, dst);
    return lt_comm_agree(c, lt_io_close(c, &fh, st));
}

static lt_status read_images(lt_comm *c, idx_src *s, lt_dataset *ds)
{
    unsigned char *u = lt_malloc((size_t)(ds->nloc * ds->d));
    LT_AGREE_ALLOC(c, u);
    lt_status st = src_rows(c, s, ds->row0, ds->nloc, u);
    for (int64_t k = 0; st == LT_OK && k < ds->nloc * ds->d; k++) ds->x[k] = (float)u[k] / 255.0f;
    free(u);
    return st;
}

static lt_status read_labels(lt_comm *c, idx_src *s, lt_dataset *ds)
{
    unsigned char *u = lt_malloc((size_t)ds->nloc);
    int32_t *y = lt_malloc(sizeof(int32_t) * (size_t)ds->nloc);
    lt_status st = lt_comm_agree(c, u && y ? LT_OK : LT_ERR_MEM);
    if (st == LT_OK) st = src_rows(c, s, ds->row0, ds->nloc, u);
    for (int64_t i = 0; st == LT_OK && i < ds->nloc; i++) y[i] = u[i];
    free(u);
    if (st == LT_OK) return lt_io_set_labels(ds, y);
    free(y);
    return st;
}

static lt_status read_with_labels(lt_comm *c, idx_src *im, const char *labels, lt_dataset **out)
{
    idx_src lb;
    int has = labels && *labels;
    if (has) {
        LT_CALL(src_open(c, labels, IDX_LABELS, &lb));
        if (lb.in.n != im->in.n) {
            src_close(&lb);
            LT_FAIL(LT_ERR_DATA, "%s: labels file has %lld labels but %s has %lld images", labels,
                    (long long)lb.in.n, im->path, (long long)im->in.n);
        }
    }
    lt_dataset *ds = NULL;
    lt_status st = lt_dataset_create(c, im->in.n, im->in.rowbytes, 0, &ds);
    if (st == LT_OK) st = read_images(c, im, ds);
    if (st == LT_OK && has) st = read_labels(c, &lb, ds);
    if (has) src_close(&lb);
    if (st != LT_OK) lt_dataset_destroy(&ds);
    *out = ds;
    return st;
}

lt_status lt_idx_read(lt_comm *c, const char *images, const char *labels, const lt_read_opts *o,
                      lt_dataset **out)
{
    (void)o; /* bytes / 255 are always finite */
    *out = NULL;
    idx_src im;
    LT_CALL(src_open(c, images, IDX_IMAGES, &im));
    lt_status st = read_with_labels(c, &im, labels, out);
    src_close(&im);
    return st;
}
