/* CSV/TSV text over MPI-IO.
 * Read: rank 0 probes the first line (separator, header, column count); each
 * rank then takes an equal byte range and owns the lines that START in it,
 * parses them, and the rows are moved into block layout. Line numbers for
 * messages come from an exclusive scan of line counts.
 * Write: each rank formats its rows; offsets come from an exclusive scan. */
#include "io_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t fsize, data_start, lines_before; /* lines_before: lines above data_start */
    int sep, ncols, header, label, d;
} csv_probe;

static int is_blank(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r') s++;
    return *s == '\0';
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = '\0';
    if (e - s >= 2 && *s == '"' && e[-1] == '"') e[-1] = '\0', s++;
    return s;
}

/* Splits `line` in place into at most cap fields; returns the field count. */
static int split(char *line, int sep, char **f, int cap)
{
    int k = 0;
    char *p = line;
    if (sep == ' ') {
        for (;;) {
            while (*p == ' ' || *p == '\t' || *p == '\r') p++;
            if (!*p) return k;
            if (k < cap) f[k] = p;
            k++;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
            if (*p) *p++ = '\0';
        }
    }
    for (;;) {
        char *e = strchr(p, sep);
        if (e) *e = '\0';
        if (k < cap) f[k] = trim(p);
        k++;
        if (!e) return k;
        p = e + 1;
    }
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *t = lt_malloc(n);
    if (t) memcpy(t, s, n);
    return t;
}

/* The number of fields of line in *k (LT_ERR_MEM if the copy fails). */
static lt_status count_fields(const char *line, int sep, int *k)
{
    char *tmp = dupstr(line);
    if (!tmp) return LT_ERR_MEM;
    *k = split(tmp, sep, NULL, 0);
    free(tmp);
    return LT_OK;
}

static int detect_sep(const char *line)
{
    static const char cand[] = {',', '\t', ';'};
    int best = 0, nbest = 0;
    for (int i = 0; i < 3; i++) {
        int n = 0;
        for (const char *p = line; *p; p++) n += *p == cand[i];
        if (n > nbest) best = cand[i], nbest = n;
    }
    return nbest ? best : ' ';
}

/* Whether every field of line is a number, in *ok (LT_ERR_MEM if the copy
 * fails: a guess would take a data row for a header). */
static lt_status all_numeric(const char *line, int sep, int *ok)
{
    char *tmp = dupstr(line), *f[4096];
    if (!tmp) return LT_ERR_MEM;
    int k = split(tmp, sep, f, 4096);
    *ok = 1;
    for (int i = 0; i < k && i < 4096 && *ok; i++) {
        char *end;
        strtod(f[i], &end);
        *ok = end != f[i] && *end == '\0';
    }
    free(tmp);
    return LT_OK;
}

/* Rank 0: the first non-blank line decides separator, header and width. */
static lt_status probe_first_line(const char *path, const lt_read_opts *o, FILE *f, csv_probe *p)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t pos = 0, lineno = 0;
    lt_status st = LT_OK;
    while ((len = getline(&line, &cap, f)) > 0) {
        pos += len, lineno++;
        if (line[len - 1] == '\n') line[len - 1] = '\0';
        if (!is_blank(line)) break;
    }
    if (len < 0 && ferror(f)) LT_RAISE_GOTO(st, done, LT_ERR_IO, "%s: read error: %s", path, strerror(errno));
    if (len <= 0) LT_RAISE_GOTO(st, done, LT_ERR_DATA, "%s: empty file (no data rows)", path);
    p->sep = o->csv_separator ? o->csv_separator : detect_sep(line);
    int numeric = 0;
    if (o->csv_header < 0 && (st = all_numeric(line, p->sep, &numeric)) != LT_OK) goto done;
    p->header = o->csv_header >= 0 ? o->csv_header : !numeric;
    if ((st = count_fields(line, p->sep, &p->ncols)) != LT_OK) goto done;
    p->data_start = p->header ? pos : 0;
    p->lines_before = p->header ? lineno : 0;
done:
    free(line);
    return st;
}

static lt_status probe(const char *path, const lt_read_opts *o, csv_probe *p)
{
    int s = o->csv_separator;
    LT_CHECK(s == 0 || s == ',' || s == '\t' || s == ';' || s == ' ', LT_ERR_ARG,
             "CSV separator '%c' not supported (use , tab ; or space)", s);
    LT_CHECK(o->csv_label_column >= -1, LT_ERR_ARG, "CSV label column %d is negative",
             o->csv_label_column);
    LT_CALL(lt_io_file_size(path, &p->fsize));
    FILE *f = fopen(path, "rb");
    LT_CHECK(f, LT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    lt_status st = probe_first_line(path, o, f, p);
    fclose(f);
    LT_CALL(st);
    p->label = o->csv_label_column;
    LT_CHECK(p->label < p->ncols, LT_ERR_ARG, "%s: label column %d but the file has %d columns",
             path, p->label, p->ncols);
    p->d = p->ncols - (p->label >= 0);
    LT_CHECK(p->d >= 1, LT_ERR_DATA, "%s: no feature columns", path);
    return LT_OK;
}

/* Independent reads of [lo, hi) appended to *buf (grown as needed). */
static lt_status read_span(MPI_File fh, const char *path, int64_t lo, int64_t hi, char **buf,
                           int64_t *len, int64_t *cap)
{
    if (hi <= lo) return LT_OK;
    if (*len + (hi - lo) + 1 > *cap) {
        int64_t nc = (*len + (hi - lo) + 1) * 2;
        char *nb = realloc(*buf, (size_t)nc);
        LT_CHECK(nb, LT_ERR_MEM, "out of memory reading %s", path);
        *buf = nb, *cap = nc;
    }
    int64_t got = 0;
    LT_CALL(lt_io_read_at(fh, path, lo, *buf + *len, hi - lo, &got));
    LT_CHECK(got == hi - lo, LT_ERR_IO, "%s: file shrank while reading", path);
    *len += got;
    (*buf)[*len] = '\0';
    return LT_OK;
}

/* This rank's owned text: the whole lines that start in its byte range. */
static lt_status read_owned(lt_comm *c, MPI_File fh, const char *path, const csv_probe *p,
                            char **text, int64_t *tlen)
{
    int64_t span = p->fsize - p->data_start;
    int64_t a = p->data_start + span * lt_comm_rank(c) / lt_comm_size(c);
    int64_t b = p->data_start + span * (lt_comm_rank(c) + 1) / lt_comm_size(c);
    int64_t lo = lt_comm_rank(c) == 0 ? a : a - 1, len = 0, cap = 0;
    char *buf = NULL;
    *text = NULL, *tlen = 0;
    if (b <= a) return LT_OK;
    lt_status st = read_span(fh, path, lo, b, &buf, &len, &cap);
    int64_t start = 0;
    if (st == LT_OK && lt_comm_rank(c) > 0) {
        char *nl = memchr(buf, '\n', (size_t)len);
        start = nl ? nl - buf + 1 : len; /* byte a-1 is '\n' iff a line starts at a */
    }
    /* Finish the last owned line past b. */
    for (int64_t step = 65536; st == LT_OK && start < len && b < p->fsize && buf[len - 1] != '\n';
         step *= 2) {
        int64_t from = lo + len, to = from + step < p->fsize ? from + step : p->fsize;
        if (from >= p->fsize) break;
        int64_t before = len;
        st = read_span(fh, path, from, to, &buf, &len, &cap);
        if (st == LT_OK) {
            char *nl = memchr(buf + before, '\n', (size_t)(len - before));
            if (nl) len = nl - buf + 1;
        }
    }
    if (st != LT_OK || start >= len) {
        free(buf);
        return st;
    }
    memmove(buf, buf + start, (size_t)(len - start));
    len -= start;
    buf[len] = '\0';
    *text = buf, *tlen = len;
    return LT_OK;
}

typedef struct {
    const char *path;
    const csv_probe *p;
    int allow_nonfinite;
    char **f; /* ncols + 1 field pointers */
} csv_ctx;

static lt_status parse_line(const csv_ctx *cx, char *line, int64_t lineno, float *x, int32_t *y)
{
    const csv_probe *p = cx->p;
    int k = split(line, p->sep, cx->f, p->ncols + 1), j = 0;
    LT_CHECK(k == p->ncols, LT_ERR_FORMAT, "%s:%lld: expected %d fields, found %d (ragged row)",
             cx->path, (long long)lineno, p->ncols, k);
    for (int col = 0; col < k; col++) {
        const char *s = cx->f[col];
        char *end;
        errno = 0;
        if (col == p->label) {
            long long v = strtoll(s, &end, 10);
            LT_CHECK(end != s && *end == '\0' && v >= INT32_MIN && v <= INT32_MAX, LT_ERR_FORMAT,
                     "%s:%lld: label '%s' in column %d is not a 32-bit integer", cx->path,
                     (long long)lineno, s, col);
            *y = (int32_t)v;
            continue;
        }
        float v = strtof(s, &end);
        LT_CHECK(*s != '\0', LT_ERR_FORMAT, "%s:%lld: empty field in column %d", cx->path,
                 (long long)lineno, col);
        LT_CHECK(end != s && *end == '\0', LT_ERR_FORMAT,
                 "%s:%lld: field '%s' in column %d is not a number", cx->path, (long long)lineno,
                 s, col);
        LT_CHECK(isfinite(v) || cx->allow_nonfinite, LT_ERR_DATA,
                 "%s:%lld: non-finite value '%s' in column %d "
                 "(set [data] allow_nonfinite = true to accept)",
                 cx->path, (long long)lineno, s, col);
        x[j++] = v;
    }
    return LT_OK;
}

/* Lines (blank ones included) in owned text: a final line may lack '\n'. */
static int64_t count_lines(const char *t, int64_t len)
{
    int64_t n = 0;
    if (len == 0) return 0; /* t may be NULL */
    for (const char *q = t; (q = memchr(q, '\n', (size_t)(t + len - q))); q++) n++;
    return n + (len > 0 && t[len - 1] != '\n');
}

/* Parses owned text into rows; `first` is the 1-based number of its first line. */
static lt_status parse_text(const csv_ctx *cx, char *t, int64_t len, int64_t first, float *x,
                            int32_t *y, int64_t *nrows)
{
    int64_t r = 0, lineno = first, d = cx->p->d;
    for (char *line = t; len > 0 && line < t + len; lineno++) {
        char *nl = memchr(line, '\n', (size_t)(t + len - line));
        if (nl) *nl = '\0';
        if (!is_blank(line)) {
            LT_CALL(parse_line(cx, line, lineno, x + r * d, y ? y + r : NULL));
            r++;
        }
        line = nl ? nl + 1 : t + len;
    }
    *nrows = r;
    return LT_OK;
}

/* Collective: moves parsed rows (global rows g0..g0+m-1) into block layout. */
static lt_status to_blocks(lt_comm *c, const char *path, int64_t d, float *x, int32_t *y,
                           int64_t m, lt_dataset **out)
{
    int64_t g0 = 0, n = m;
    LT_CALL(lt_comm_exscan_i64(c, m, &g0));
    LT_CALL(lt_comm_sum_i64(c, &n, 1));
    LT_CHECK(n > 0, LT_ERR_DATA, "%s: no data rows", path);
    lt_dataset src = {.n = n, .d = d, .row0 = g0, .nloc = m, .x = x, .y = y};
    int64_t *dest = lt_malloc(sizeof(int64_t) * (size_t)m);
    LT_AGREE_ALLOC(c, dest);
    for (int64_t i = 0; i < m; i++) dest[i] = g0 + i;
    lt_status st = lt_dataset_redistribute(c, &src, dest, n, out);
    free(dest);
    return st;
}

static lt_status parse_owned(lt_comm *c, const csv_ctx *cx, char *text, int64_t tlen,
                             lt_dataset **out)
{
    const csv_probe *p = cx->p;
    int64_t nl = count_lines(text, tlen), before = 0, m = 0;
    LT_CALL(lt_comm_exscan_i64(c, nl, &before));
    /* Every line is an upper bound on rows. */
    float *x = lt_malloc(sizeof(float) * (size_t)(nl * p->d));
    int32_t *y = p->label >= 0 ? lt_malloc(sizeof(int32_t) * (size_t)nl) : NULL;
    lt_status st = x && (y || p->label < 0) ? LT_OK : LT_ERR_MEM;
    if (st == LT_OK) st = parse_text(cx, text, tlen, p->lines_before + before + 1, x, y, &m);
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = to_blocks(c, cx->path, p->d, x, y, m, out);
    free(x);
    free(y);
    return st;
}

lt_status lt_csv_read(lt_comm *c, const char *path, const lt_read_opts *o, lt_dataset **out)
{
    lt_read_opts def;
    if (!o) lt_read_opts_default(&def), o = &def;
    *out = NULL;
    csv_probe p;
    memset(&p, 0, sizeof p);
    LT_CALL(lt_comm_agree(c, lt_comm_rank(c) == 0 ? probe(path, o, &p) : LT_OK));
    LT_CALL(lt_comm_bcast(c, &p, sizeof p, 0));
    MPI_File fh = MPI_FILE_NULL;
    LT_CALL(lt_io_open(c, path, MPI_MODE_RDONLY, &fh));
    char *text = NULL;
    int64_t tlen = 0;
    double t0 = lt_wtime();
    lt_status st = lt_comm_agree(c, read_owned(c, fh, path, &p, &text, &tlen));
    lt_comm_charge(c, lt_wtime() - t0, tlen);
    st = lt_io_close(c, &fh, st);
    char **f = lt_malloc(sizeof(char *) * (size_t)(p.ncols + 1));
    if (st == LT_OK) st = lt_comm_agree(c, f ? LT_OK : LT_ERR_MEM);
    csv_ctx cx = {path, &p, o->allow_nonfinite, f};
    if (st == LT_OK) st = parse_owned(c, &cx, text, tlen, out);
    free(f);
    free(text);
    return st;
}

/* This rank's formatted rows (rank 0's begins with the header). */
static lt_status format_rows(lt_comm *c, const lt_dataset *ds, int labels, char **out,
                             int64_t *len)
{
    int64_t d = ds->d, cap = ds->nloc * (d * 17 + 13) + 1;
    if (lt_comm_rank(c) == 0) cap += d * 22 + 8;
    char *b = lt_malloc((size_t)cap);
    LT_CHECK(b, LT_ERR_MEM, "out of memory formatting CSV");
    int64_t k = 0;
    if (lt_comm_rank(c) == 0) {
        for (int64_t j = 0; j < d; j++) k += sprintf(b + k, j ? ",x%lld" : "x%lld", (long long)j);
        k += sprintf(b + k, labels ? ",label\n" : "\n");
    }
    for (int64_t i = 0; i < ds->nloc; i++) {
        for (int64_t j = 0; j < d; j++)
            k += sprintf(b + k, j ? ",%.9g" : "%.9g", (double)ds->x[i * d + j]);
        k += labels ? sprintf(b + k, ",%d\n", (int)ds->y[i]) : sprintf(b + k, "\n");
    }
    *out = b, *len = k;
    return LT_OK;
}

lt_status lt_csv_write(lt_comm *c, const char *path, const lt_dataset *ds)
{
    int64_t ok = ds->y != NULL || ds->nloc == 0, any = ds->y != NULL && ds->nloc > 0;
    LT_CALL(lt_comm_min_i64(c, &ok, 1));
    LT_CALL(lt_comm_max_i64(c, &any, 1));
    char tmp[4096], *buf = NULL;
    int64_t len = 0, off = 0, total;
    LT_CALL(lt_io_tmpname(c, path, tmp, sizeof tmp));
    lt_status st = lt_comm_agree(c, format_rows(c, ds, (int)(ok && any), &buf, &len));
    if (st != LT_OK) {
        free(buf); /* formatted here, failed on another rank */
        return st;
    }
    st = lt_comm_exscan_i64(c, len, &off);
    total = len;
    if (st == LT_OK) st = lt_comm_sum_i64(c, &total, 1);
    MPI_File fh = MPI_FILE_NULL;
    if (st == LT_OK) st = lt_io_open(c, tmp, MPI_MODE_CREATE | MPI_MODE_WRONLY, &fh);
    if (st == LT_OK) st = lt_io_set_size(c, fh, tmp, total);
    if (st == LT_OK) st = lt_io_write_bytes(c, fh, tmp, off, len, buf);
    st = lt_io_close(c, &fh, st);
    free(buf);
    return lt_io_commit(c, st, tmp, path);
}
