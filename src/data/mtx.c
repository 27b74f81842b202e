/* Matrix Market directories as Cell Ranger writes them: matrix.mtx[.gz]
 * (coordinate, genes x cells, 1-based), barcodes.tsv[.gz] (one cell per
 * line) and features.tsv[.gz] (id, name, type; Cell Ranger >= 3) or
 * genes.tsv[.gz] (id, name; Cell Ranger < 3).
 *
 * Plain matrix.mtx: rank 0 parses the header; every rank then reads a byte
 * range of the entries (a line belongs to the rank holding its first byte)
 * in windows, parses it, and the entries go to the ranks owning their cells
 * in one all-to-all (lt_csr_from_triplets). A gzip stream cannot be split,
 * so for matrix.mtx.gz rank 0 decompresses and scatters the entries in
 * rounds of SC_ROUND entries; the other ranks only receive. Cell Ranger
 * groups entries by cell but does not sort genes inside a cell, and the
 * readers sort rows anyway, so no order is assumed. Peak memory per rank is
 * about 56 bytes per entry it owns (triplets, exchange buffers, CSR). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io_internal.h"
#include "latent/lt_sparse.h"

#define SC_WINDOW ((int64_t)64 << 20) /* bytes parsed per window */
#define SC_ROUND ((int64_t)1 << 22)   /* entries scattered per round (gzip) */

typedef struct {
    int64_t genes, cells, nnz;
    int64_t data_off; /* byte offset of the first entry (plain files) */
    int field;        /* 0 integer, 1 real, 2 pattern */
} mtx_header;

static int file_exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* dir/name or dir/name.gz; *gz set. 0 if neither exists. */
static int find_file(const char *dir, const char *name, char *out, size_t cap, int *gz)
{
    snprintf(out, cap, "%s/%s", dir, name);
    if (file_exists(out)) return *gz = 0, 1;
    snprintf(out, cap, "%s/%s.gz", dir, name);
    if (file_exists(out)) return *gz = 1, 1;
    return 0;
}

static lt_status parse_banner(const char *line, const char *path, int *field)
{
    char obj[32] = "", fmt[32] = "", fld[32] = "", sym[32] = "";
    LT_CHECK(sscanf(line, "%%%%MatrixMarket %31s %31s %31s %31s", obj, fmt, fld, sym) == 4,
             LT_ERR_FORMAT, "%s: not a Matrix Market file (first line: %.60s)", path, line);
    for (char *s = obj; *s; s++) *s = (char)(*s | 0x20);
    for (char *s = fmt; *s; s++) *s = (char)(*s | 0x20);
    for (char *s = fld; *s; s++) *s = (char)(*s | 0x20);
    for (char *s = sym; *s; s++) *s = (char)(*s | 0x20);
    LT_CHECK(!strcmp(obj, "matrix") && !strcmp(fmt, "coordinate"), LT_ERR_FORMAT,
             "%s: only 'matrix coordinate' Matrix Market files hold sparse counts (found '%s %s')",
             path, obj, fmt);
    LT_CHECK(!strcmp(sym, "general"), LT_ERR_FORMAT,
             "%s: symmetry '%s' is not supported (count matrices are 'general')", path, sym);
    if (!strcmp(fld, "integer")) *field = 0;
    else if (!strcmp(fld, "real") || !strcmp(fld, "double")) *field = 1;
    else if (!strcmp(fld, "pattern")) *field = 2;
    else LT_FAIL(LT_ERR_FORMAT, "%s: field '%s' is not supported (integer, real, pattern)", path, fld);
    return LT_OK;
}

/* Rank 0: banner, comments, size line; g is left at the first entry. */
static lt_status read_header(gzFile g, const char *path, mtx_header *h)
{
    char line[4096];
    LT_CHECK(g, LT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    LT_CHECK(gzgets(g, line, sizeof line), LT_ERR_FORMAT, "%s: empty file", path);
    LT_CALL(parse_banner(line, path, &h->field));
    for (;;) {
        LT_CHECK(gzgets(g, line, sizeof line), LT_ERR_FORMAT, "%s: no size line", path);
        if (line[0] != '%' && strspn(line, " \t\r\n") != strlen(line)) break;
    }
    long long r = -1, c = -1, z = -1;
    char extra[8];
    LT_CHECK(sscanf(line, "%lld %lld %lld %7s", &r, &c, &z, extra) == 3 && r >= 0 && c >= 0 && z >= 0,
             LT_ERR_FORMAT, "%s: bad size line '%.60s' (expected: genes cells entries)", path, line);
    h->genes = r;
    h->cells = c;
    h->nnz = z;
    h->data_off = (int64_t)gztell(g);
    return LT_OK;
}

/* One entry "gene cell [value]" at p (NUL-terminated text); *p advanced past
 * the line. 0 on a blank line, -1 on a malformed one. */
static int parse_line(const char **p, int field, lt_triplet *t)
{
    const char *s = *p;
    char *e = NULL;
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    if (*s == '\n' || *s == '\0') {
        *p = *s ? s + 1 : s;
        return 0;
    }
    long long gi = strtoll(s, &e, 10);
    int ok = e != s;
    s = e;
    long long ci = strtoll(s, &e, 10);
    ok &= e != s;
    s = e;
    double v = 1.0;
    if (field != 2) {
        v = strtod(s, &e);
        ok &= e != s;
        s = e;
    }
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    ok &= *s == '\n' || *s == '\0';
    while (*s && *s != '\n') s++;
    *p = *s ? s + 1 : s;
    t->row = ci >= 1 ? ci - 1 : -1; /* (ci - 1 overflowed for LLONG_MIN: fuzz_mtx) */
    t->col = gi >= 1 && gi <= 0x7fffffff ? (int32_t)(gi - 1) : -1;
    t->val = (float)v;
    return ok ? 1 : -1;
}

typedef struct {
    lt_triplet *t;
    int64_t n, cap;
} trip_buf;

static lt_status trip_push(trip_buf *b, const lt_triplet *t)
{
    if (b->n == b->cap) {
        int64_t cap = b->cap ? 2 * b->cap : 4096;
        lt_triplet *x = realloc(b->t, sizeof *x * (size_t)cap);
        LT_CHECK(x, LT_ERR_MEM, "out of memory reading Matrix Market entries");
        b->t = x;
        b->cap = cap;
    }
    b->t[b->n++] = *t;
    return LT_OK;
}

/* Entries of text[0..len) (lines starting there), range-checked. */
static lt_status parse_text(const char *text, const char *path, const mtx_header *h,
                            int64_t at, trip_buf *b)
{
    const char *p = text;
    while (*p) {
        const char *line = p;
        lt_triplet t;
        int r = parse_line(&p, h->field, &t);
        if (r == 0) continue;
        LT_CHECK(r > 0, LT_ERR_FORMAT, "%s: bad entry at byte %lld: '%.40s'", path,
                 (long long)(at + (line - text)), line);
        LT_CHECK(t.row >= 0 && t.row < h->cells && t.col >= 0 && t.col < h->genes, LT_ERR_FORMAT,
                 "%s: entry at byte %lld (gene %lld, cell %lld) outside the %lld x %lld matrix",
                 path, (long long)(at + (line - text)), (long long)t.col + 1,
                 (long long)t.row + 1, (long long)h->genes, (long long)h->cells);
        LT_CALL(trip_push(b, &t));
    }
    return LT_OK;
}

/* This rank's lines of [lo, hi): windows of SC_WINDOW bytes, a line owned by
 * the window holding its first byte, read on to its newline. */
static lt_status read_range(MPI_File fh, const char *path, const mtx_header *h, int64_t lo,
                            int64_t hi, int64_t fsize, trip_buf *b)
{
    int64_t cap = SC_WINDOW + 4096;
    char *buf = lt_malloc((size_t)cap + 1);
    LT_CHECK(buf, LT_ERR_MEM, "out of memory reading %s", path);
    lt_status st = LT_OK;
    int64_t pos = lo;
    /* Skip the partial line that belongs to the previous rank. */
    if (pos > h->data_off && pos < hi) {
        int64_t got = 0;
        char prev = 0;
        st = lt_io_read_at(fh, path, pos - 1, &prev, 1, &got);
        while (st == LT_OK && prev != '\n' && pos < hi) {
            st = lt_io_read_at(fh, path, pos, &prev, 1, &got);
            pos++;
            if (got == 0) break;
        }
    }
    while (st == LT_OK && pos < hi) {
        int64_t want = hi - pos < SC_WINDOW ? hi - pos : SC_WINDOW, got = 0;
        st = lt_io_read_at(fh, path, pos, buf, want, &got);
        if (st != LT_OK) break;
        int64_t len = got;
        /* Finish the window's last line past its end. */
        while (st == LT_OK && len > 0 && buf[len - 1] != '\n' && pos + len < fsize) {
            if (len + 4096 > cap) {
                char *nb = realloc(buf, (size_t)(cap * 2) + 1);
                if (!nb) {
                    st = lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__, "out of memory");
                    break;
                }
                buf = nb;
                cap *= 2;
            }
            int64_t more = 0;
            st = lt_io_read_at(fh, path, pos + len, buf + len, 4096, &more);
            int64_t k = 0;
            while (k < more && buf[len + k] != '\n') k++;
            len += k < more ? k + 1 : more;
            if (more == 0) break;
        }
        buf[len] = '\0';
        if (st == LT_OK) st = parse_text(buf, path, h, pos, b);
        pos += len > want ? len : want;
        if (got == 0) break;
    }
    free(buf);
    return st;
}

static lt_status read_plain(lt_comm *c, const char *path, const mtx_header *h, trip_buf *b)
{
    int64_t fsize = 0;
    LT_CALL(lt_comm_agree(c, lt_comm_rank(c) == 0 ? lt_io_file_size(path, &fsize) : LT_OK));
    LT_CALL(lt_comm_bcast(c, &fsize, sizeof fsize, 0));
    MPI_File fh;
    LT_CALL(lt_io_open(c, path, MPI_MODE_RDONLY, &fh));
    int p = lt_comm_size(c), r = lt_comm_rank(c);
    int64_t body = fsize - h->data_off;
    int64_t lo = h->data_off + (int64_t)((double)body * r / p);
    int64_t hi = r == p - 1 ? fsize : h->data_off + (int64_t)((double)body * (r + 1) / p);
    lt_event_begin(lt_comm_timer(c), LT_EV_IO_READ);
    lt_status st = lt_comm_agree(c, read_range(fh, path, h, lo, hi, fsize, b));
    lt_event_end(lt_comm_timer(c), LT_EV_IO_READ, 0);
    return lt_io_close(c, &fh, st);
}

/* Rank 0: the next round of entries from the gzip stream (*eof at the end). */
static lt_status gz_round(gzFile g, const char *path, const mtx_header *h, trip_buf *b,
                          int64_t *at, int *eof)
{
    char line[1024];
    b->n = 0;
    while (b->n < SC_ROUND) {
        if (!gzgets(g, line, sizeof line)) {
            int err = 0;
            const char *msg = gzerror(g, &err);
            LT_CHECK(err == Z_OK || err == Z_STREAM_END, LT_ERR_FORMAT, "%s: %s", path, msg);
            *eof = 1;
            return LT_OK;
        }
        LT_CALL(parse_text(line, path, h, *at, b));
        *at += (int64_t)strlen(line);
    }
    return LT_OK;
}

/* Rank 0 sends each entry of b to the rank owning its cell; others append
 * what they receive to mine. */
static lt_status scatter_round(lt_comm *c, const mtx_header *h, const trip_buf *b, trip_buf *mine)
{
    int p = lt_comm_size(c), r = lt_comm_rank(c);
    int64_t *cnt = lt_calloc((size_t)p * 5, sizeof *cnt);
    lt_triplet *send = r == 0 ? lt_malloc(sizeof *send * ((size_t)b->n + 1)) : NULL;
    lt_status st = lt_comm_agree(c, cnt && (r != 0 || send) ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) {
        free(cnt);
        free(send);
        return st;
    }
    int64_t *sc = cnt + p, *sd = cnt + 2 * p, *rc = cnt + 3 * p, *rd = cnt + 4 * p;
    if (r == 0) {
        for (int64_t a = 0; a < b->n; a++) cnt[lt_shard_owner(h->cells, p, b->t[a].row)]++;
        int64_t *at = rc; /* scratch */
        for (int k = 0; k < p; k++) at[k] = k ? at[k - 1] + cnt[k - 1] : 0;
        for (int64_t a = 0; a < b->n; a++) send[at[lt_shard_owner(h->cells, p, b->t[a].row)]++] = b->t[a];
        for (int k = 0; k < p; k++) {
            sc[k] = cnt[k] * (int64_t)sizeof *send;
            sd[k] = (k ? sd[k - 1] + sc[k - 1] : 0);
        }
    }
    st = lt_comm_bcast(c, cnt, (int64_t)sizeof *cnt * p, 0);
    int64_t want = cnt[r];
    if (st == LT_OK && mine->n + want > mine->cap) {
        lt_triplet *x = realloc(mine->t, sizeof *x * (size_t)(mine->n + want + 1));
        if (x) mine->t = x, mine->cap = mine->n + want + 1;
        else st = lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__, "out of memory receiving entries");
    }
    st = lt_comm_agree(c, st);
    for (int k = 0; k < p; k++) rc[k] = rd[k] = 0;
    rc[0] = want * (int64_t)sizeof *send;
    if (st == LT_OK)
        /* nothing received yet and nothing to receive: no buffer at all (no
         * offset on a NULL pointer; UBSan, found by fuzz_mtx) */
        st = lt_comm_alltoallv(c, send, sc, sd, mine->t ? mine->t + mine->n : NULL, rc, rd);
    if (st == LT_OK) mine->n += want;
    free(send);
    free(cnt);
    return st;
}

static lt_status read_gz(lt_comm *c, gzFile g, const char *path, const mtx_header *h,
                         trip_buf *mine)
{
    trip_buf round = {NULL, 0, 0};
    int64_t at = h->data_off;
    lt_status st = LT_OK;
    for (;;) {
        int eof = 0;
        lt_status s0 = LT_OK;
        if (lt_comm_rank(c) == 0) s0 = gz_round(g, path, h, &round, &at, &eof);
        st = lt_comm_agree(c, s0);
        int64_t flag = eof;
        if (st == LT_OK) st = lt_comm_bcast(c, &flag, sizeof flag, 0);
        if (st == LT_OK) st = scatter_round(c, h, &round, mine);
        if (st != LT_OK || flag) break;
    }
    free(round.t);
    return st;
}

/* Lines of a small text file (plain or gzip); keeps field `col` (0-based,
 * tab-separated; falls back to the first) of lines [keep0, keep0 + nkeep),
 * counts all lines into *lines. */
static lt_status read_lines(const char *path, int col, int64_t keep0, int64_t nkeep,
                            lt_strlist *out, int64_t *lines)
{
    gzFile g = gzopen(path, "rb");
    LT_CHECK(g, LT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char line[8192];
    int64_t n = 0;
    lt_status st = LT_OK;
    while (st == LT_OK && gzgets(g, line, sizeof line)) {
        size_t len = strcspn(line, "\r\n");
        line[len] = '\0';
        if (len == 0) continue;
        if (n >= keep0 && n < keep0 + nkeep) {
            const char *f = line;
            for (int k = 0; k < col; k++) {
                const char *tab = strchr(f, '\t');
                if (!tab) {
                    f = line;
                    break;
                }
                f = tab + 1;
            }
            st = lt_strlist_push(out, f, strcspn(f, "\t"));
        }
        n++;
    }
    gzclose(g);
    *lines = n;
    return st;
}

static lt_status read_names(const char *dir, const lt_sc_read_opts *o, lt_scdata *s)
{
    char path[2048];
    int gz = 0, v2 = 0;
    int64_t lines = 0;
    if (!find_file(dir, "features.tsv", path, sizeof path, &gz)) {
        v2 = find_file(dir, "genes.tsv", path, sizeof path, &gz);
        LT_CHECK(v2, LT_ERR_IO, "%s: no features.tsv[.gz] or genes.tsv[.gz]", dir);
    }
    LT_CALL(lt_strlist_create(&s->var_names));
    LT_CALL(read_lines(path, o->gene_symbols ? 1 : 0, 0, s->x->d, s->var_names, &lines));
    LT_CHECK(lines == s->x->d, LT_ERR_FORMAT, "%s: %lld genes listed, the matrix has %lld", path,
             (long long)lines, (long long)s->x->d);
    LT_CHECK(find_file(dir, "barcodes.tsv", path, sizeof path, &gz), LT_ERR_IO,
             "%s: no barcodes.tsv[.gz]", dir);
    LT_CALL(lt_strlist_create(&s->obs_names));
    LT_CALL(read_lines(path, 0, s->x->row0, s->x->nloc, s->obs_names, &lines));
    LT_CHECK(lines == s->x->n, LT_ERR_FORMAT, "%s: %lld barcodes listed, the matrix has %lld cells",
             path, (long long)lines, (long long)s->x->n);
    (void)v2;
    return LT_OK;
}

lt_status lt_mtx_read(lt_comm *c, const char *dir, const lt_sc_read_opts *o, lt_scdata **out)
{
    lt_sc_read_opts def;
    if (!o) lt_sc_read_opts_default(&def), o = &def;
    *out = NULL;
    char path[2048];
    int gz = 0;
    lt_status st = find_file(dir, "matrix.mtx", path, sizeof path, &gz)
                       ? LT_OK
                       : lt_error_raise(LT_ERR_IO, __FILE__, __LINE__,
                                        "%s: no matrix.mtx or matrix.mtx.gz in the directory", dir);
    LT_CALL(lt_comm_agree(c, st));
    mtx_header h;
    memset(&h, 0, sizeof h);
    gzFile g = NULL;
    if (lt_comm_rank(c) == 0) {
        g = gzopen(path, "rb");
        st = read_header(g, path, &h);
    }
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = lt_comm_bcast(c, &h, sizeof h, 0);
    trip_buf b = {NULL, 0, 0};
    if (st == LT_OK) st = gz ? read_gz(c, g, path, &h, &b) : read_plain(c, path, &h, &b);
    if (g) gzclose(g);
    int64_t total = b.n;
    if (st == LT_OK) st = lt_comm_sum_i64(c, &total, 1);
    if (st == LT_OK && total != h.nnz)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: the size line says %lld entries but the file holds %lld", path,
                            (long long)h.nnz, (long long)total);
    lt_scdata *s = NULL;
    if (st == LT_OK) {
        s = lt_calloc(1, sizeof *s);
        st = lt_comm_agree(c, s ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK) st = lt_csr_from_triplets(c, h.cells, h.genes, b.t, b.n, path, &s->x);
    free(b.t);
    if (st == LT_OK) st = lt_comm_agree(c, read_names(dir, o, s));
    if (st != LT_OK) lt_scdata_destroy(&s);
    *out = s;
    return st;
}
