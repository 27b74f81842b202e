#include "latent/lt_dataset.h"
#include "latent/lt_hash.h"
#include "latent/lt_simd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A zeroed shard of rows [row0, row0 + nloc) of n x d (labels zeroed too
 * if asked), allocation agreed. Collective. */
static lt_status create_shard(lt_comm *c, int64_t n, int64_t d, int64_t row0, int64_t nloc,
                              int with_labels, lt_dataset **out)
{
    lt_status st = LT_OK;
    lt_dataset *ds = NULL;
    *out = NULL;
    if (n < 0 || d < 1 || (n > 0 && d > INT64_MAX / n))
        st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__, "invalid dataset shape %lld x %lld",
                            (long long)n, (long long)d);
    if (st == LT_OK && !(ds = lt_calloc(1, sizeof *ds))) st = LT_ERR_MEM;
    if (st == LT_OK) {
        ds->n = n;
        ds->d = d;
        ds->row0 = row0;
        ds->nloc = nloc;
        ds->x = lt_calloc((size_t)(ds->nloc * d), sizeof(float));
        if (!ds->x) st = LT_ERR_MEM;
        if (st == LT_OK && with_labels && !(ds->y = lt_calloc((size_t)ds->nloc, sizeof(int32_t))))
            st = LT_ERR_MEM;
    }
    st = lt_comm_agree(c, st);
    if (st != LT_OK) {
        lt_dataset_destroy(&ds);
        return st;
    }
    *out = ds;
    return LT_OK;
}

lt_status lt_dataset_create(lt_comm *c, int64_t n, int64_t d, int with_labels, lt_dataset **out)
{
    int64_t row0 = 0, nloc = 0;
    lt_shard_range(n > 0 ? n : 0, lt_comm_size(c), lt_comm_rank(c), &row0, &nloc);
    return create_shard(c, n, d, row0, nloc, with_labels, out);
}

lt_status lt_dataset_create_like(lt_comm *c, const lt_dataset *src, int64_t d,
                                 lt_like_labels labels, lt_dataset **out)
{
    int64_t has = labels == LT_LIKE_COPY_LABELS && src->y != NULL;
    *out = NULL;
    LT_CALL(lt_comm_max_i64(c, &has, 1));
    LT_CALL(create_shard(c, src->n, d, src->row0, src->nloc, (int)has, out));
    if (has && src->y) memcpy((*out)->y, src->y, sizeof(int32_t) * (size_t)src->nloc);
    return LT_OK;
}

void lt_dataset_destroy(lt_dataset **ds)
{
    if (!ds || !*ds) return;
    free((*ds)->x);
    free((*ds)->y);
    free(*ds);
    *ds = NULL;
}

lt_status lt_dataset_copy(const lt_dataset *src, lt_dataset **out)
{
    lt_dataset *ds;
    LT_ALLOC(ds, 1);
    *ds = *src;
    ds->y = NULL;
    ds->x = lt_malloc(sizeof(float) * (size_t)(src->nloc * src->d));
    if (!ds->x) {
        free(ds);
        return LT_ERR_MEM;
    }
    memcpy(ds->x, src->x, sizeof(float) * (size_t)(src->nloc * src->d));
    if (src->y) {
        ds->y = lt_malloc(sizeof(int32_t) * (size_t)src->nloc);
        if (!ds->y) {
            lt_dataset_destroy(&ds);
            return LT_ERR_MEM;
        }
        memcpy(ds->y, src->y, sizeof(int32_t) * (size_t)src->nloc);
    }
    *out = ds;
    return LT_OK;
}

/* A row in transit: destination row, label, then d floats; 8-byte aligned. */
static size_t record_bytes(int64_t d) { return (16 + 4 * (size_t)d + 7) & ~(size_t)7; }

/* Rows for other ranks into sbuf as records, grouped by owner; rows that
 * stay on this rank go straight into out. fill: p zeroed counters. */
static void pack_rows(lt_comm *c, const lt_dataset *src, const int64_t *dest, lt_dataset *out,
                      char *sbuf, int64_t *scount, int64_t *sdispl, int64_t *fill)
{
    size_t rb = record_bytes(src->d);
    int p = lt_comm_size(c);
    for (int64_t i = 0; i < src->nloc; i++)
        if (dest[i] >= 0) scount[lt_shard_owner(out->n, p, dest[i])] += (int64_t)rb;
    scount[lt_comm_rank(c)] = 0;
    for (int r = 1; r < p; r++) sdispl[r] = sdispl[r - 1] + scount[r - 1];
    for (int64_t i = 0; i < src->nloc; i++) {
        if (dest[i] < 0) continue;
        int32_t y = src->y ? src->y[i] : 0;
        int r = lt_shard_owner(out->n, p, dest[i]);
        if (r == lt_comm_rank(c)) {
            int64_t k = dest[i] - out->row0;
            if (out->y) out->y[k] = y;
            memcpy(out->x + k * out->d, src->x + i * src->d, 4 * (size_t)src->d);
            continue;
        }
        char *rec = sbuf + sdispl[r] + fill[r];
        fill[r] += (int64_t)rb;
        memcpy(rec, &dest[i], 8);
        memcpy(rec + 8, &y, 4);
        memcpy(rec + 16, src->x + i * src->d, 4 * (size_t)src->d);
    }
}

/* Checks the destinations; *nsend = rows that leave this rank. */
static lt_status check_dest(lt_comm *c, const lt_dataset *src, const int64_t *dest, int64_t n_out,
                            int64_t *nsend)
{
    int64_t cnt = 0, leave = 0;
    lt_status st = LT_OK;
    for (int64_t i = 0; i < src->nloc; i++) {
        if (dest[i] >= n_out) {
            st = lt_error_raise(LT_ERR_INTERNAL, __FILE__, __LINE__,
                                "redistribute: destination row %lld out of range [0, %lld)",
                                (long long)dest[i], (long long)n_out);
            break;
        }
        cnt += dest[i] >= 0;
        leave += dest[i] >= 0 && lt_shard_owner(n_out, lt_comm_size(c), dest[i]) != lt_comm_rank(c);
    }
    *nsend = leave;
    LT_CALL(lt_comm_agree(c, st));
    int64_t total = cnt;
    LT_CALL(lt_comm_sum_i64(c, &total, 1));
    LT_CHECK(total == n_out, LT_ERR_INTERNAL, "redistribute: %lld rows sent for %lld targets",
             (long long)total, (long long)n_out);
    return LT_OK;
}

lt_status lt_dataset_redistribute(lt_comm *c, const lt_dataset *src, const int64_t *dest,
                                  int64_t n_out, lt_dataset **out)
{
    int p = lt_comm_size(c);
    int64_t nsend;
    LT_CALL(check_dest(c, src, dest, n_out, &nsend));
    size_t rb = record_bytes(src->d);
    lt_dataset *ds = NULL;
    LT_CALL(lt_dataset_create(c, n_out, src->d, src->y != NULL, &ds));
    lt_status st = LT_OK;
    /* send counts, displacements, receive counts, displacements; the 8-byte
     * counts and displacements of the count exchange; the packing counters */
    int64_t *cnt = lt_calloc(7 * (size_t)p, sizeof(int64_t));
    char *sbuf = lt_malloc(rb * (size_t)nsend), *rbuf = NULL;
    if (!cnt || !sbuf) st = LT_ERR_MEM;
    LT_CALL_GOTO(st, lt_comm_agree(c, st), done);
    pack_rows(c, src, dest, ds, sbuf, cnt, cnt + p, cnt + 6 * p);
    int64_t *sc = cnt, *sd = cnt + p, *rc = cnt + 2 * p, *rd = cnt + 3 * p, *eight = cnt + 4 * p;
    for (int r = 0; r < p; r++) eight[r] = 8, eight[p + r] = 8 * r;
    /* Receive counts: rows each source sends me, learned by an all-to-all of counts. */
    LT_CALL_GOTO(st, lt_comm_alltoallv(c, sc, eight, eight + p, rc, eight, eight + p), done);
    for (int r = 1; r < p; r++) rd[r] = rd[r - 1] + rc[r - 1];
    /* Room for the rows that arrive only (the others were copied in place). */
    int64_t rbytes = rd[p - 1] + rc[p - 1];
    rbuf = lt_malloc((size_t)rbytes);
    LT_CALL_GOTO(st, lt_comm_agree(c, rbuf ? LT_OK : LT_ERR_MEM), done);
    LT_CALL_GOTO(st, lt_comm_alltoallv(c, sbuf, sc, sd, rbuf, rc, rd), done);
    for (int64_t k = 0; k < rbytes / (int64_t)rb; k++) {
        const char *rec = rbuf + (size_t)k * rb;
        int64_t g;
        memcpy(&g, rec, 8);
        int64_t i = g - ds->row0;
        if (ds->y) memcpy(&ds->y[i], rec + 8, 4);
        memcpy(ds->x + i * ds->d, rec + 16, 4 * (size_t)ds->d);
    }
done:
    free(cnt);
    free(sbuf);
    free(rbuf);
    if (st != LT_OK) lt_dataset_destroy(&ds);
    *out = ds;
    return st;
}

lt_status lt_dataset_check_finite(lt_comm *c, const lt_dataset *ds, const char *what)
{
    int64_t bad = INT64_MAX;
    for (int64_t k = 0; k < ds->nloc * ds->d; k++)
        if (!isfinite(ds->x[k])) {
            bad = ds->row0 * ds->d + k;
            break;
        }
    LT_CALL(lt_comm_min_i64(c, &bad, 1));
    LT_CHECK(bad == INT64_MAX, LT_ERR_DATA,
             "%s: non-finite value (NaN or infinity) at row %lld, column %lld "
             "(set [data] allow_nonfinite = true to accept)",
             what, (long long)(bad / ds->d), (long long)(bad % ds->d));
    return LT_OK;
}

lt_status lt_dataset_checksum(lt_comm *c, const lt_dataset *ds, uint64_t *out)
{
    uint64_t local = 0;
    for (int64_t i = 0; i < ds->nloc; i++) {
        uint64_t h = lt_splitmix64((uint64_t)(ds->row0 + i));
        for (int64_t j = 0; j < ds->d; j++) {
            uint32_t bits;
            memcpy(&bits, &ds->x[i * ds->d + j], 4);
            h = lt_splitmix64(h ^ bits);
        }
        if (ds->y) h = lt_splitmix64(h ^ (uint64_t)(uint32_t)ds->y[i] ^ 0xABCDull << 40);
        local += h;
    }
    /* Sum modulo 2^64 through 16-bit limbs, so signed int64 sums never overflow. */
    int64_t limb[4];
    for (int k = 0; k < 4; k++) limb[k] = (int64_t)((local >> (16 * k)) & 0xFFFF);
    LT_CALL(lt_comm_sum_i64(c, limb, 4));
    uint64_t sum = 0;
    for (int k = 0; k < 4; k++) sum += (uint64_t)limb[k] << (16 * k);
    *out = sum ^ lt_splitmix64((uint64_t)ds->n * 31 + (uint64_t)ds->d);
    return LT_OK;
}

void lt_colstats_destroy(lt_colstats **s)
{
    if (!s || !*s) return;
    free((*s)->min);
    free(*s);
    *s = NULL;
}

/* The column kernels: eight columns per vector operation, each column in
 * row order as the scalar loop, so every CPU level gives the same bits (a
 * NaN never becomes the minimum or maximum, as with fmin and fmax). */
LT_CLONE_BODY void lt_column_sums_body(const float *x, int64_t n, int64_t d, double *sums)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t j = 0;
        for (; j + 8 <= d; j += 8)
            lt_v8d_store(sums + j, lt_v8d_load(sums + j) + lt_v8d_load_f(x + i * d + j));
        for (; j < d; j++) sums[j] += x[i * d + j];
    }
}
LT_CLONES(, void, lt_column_sums, (const float *x, int64_t n, int64_t d, double *sums),
          (x, n, d, sums))

LT_CLONE_BODY void lt_column_sq_dev_body(const float *x, int64_t n, int64_t d, const double *mean,
                                      double *ss)
{
    for (int64_t i = 0; i < n; i++) {
        const float *xi = x + i * d;
        int64_t j = 0;
        for (; j + 8 <= d; j += 8) {
            lt_v8d e = lt_v8d_load_f(xi + j) - lt_v8d_load(mean + j);
            lt_v8d_store(ss + j, lt_v8d_load(ss + j) + e * e);
        }
        for (; j < d; j++) {
            double e = xi[j] - mean[j];
            ss[j] += e * e;
        }
    }
}
LT_CLONES(, void, lt_column_sq_dev,
          (const float *x, int64_t n, int64_t d, const double *mean, double *ss),
          (x, n, d, mean, ss))

/* The minimum, maximum and sum of each column in one pass (the column
 * statistics of preprocessing need all three). */
LT_CLONE_BODY void col_min_max_sum_body(const float *x, int64_t n, int64_t d, double *mn,
                                        double *mx, double *sum)
{
    for (int64_t i = 0; i < n; i++) {
        const float *xi = x + i * d;
        int64_t j = 0;
        for (; j + 8 <= d; j += 8) {
            lt_v8d v = lt_v8d_load_f(xi + j), a = lt_v8d_load(mn + j), b = lt_v8d_load(mx + j);
            lt_v8d_store(mn + j, lt_v8d_select(v < a, v, a));
            lt_v8d_store(mx + j, lt_v8d_select(v > b, v, b));
            lt_v8d_store(sum + j, lt_v8d_load(sum + j) + v);
        }
        for (; j < d; j++) {
            double v = xi[j];
            mn[j] = v < mn[j] ? v : mn[j];
            mx[j] = v > mx[j] ? v : mx[j];
            sum[j] += v;
        }
    }
}
LT_CLONES(static, void, col_min_max_sum,
          (const float *x, int64_t n, int64_t d, double *mn, double *mx, double *sum),
          (x, n, d, mn, mx, sum))

/* mean holds this rank's column sums; it becomes the means, ss the centered
 * sums of squares. Two passes (the mean, then squared deviations from it)
 * keep the variance accurate where sums of squares would cancel. */
static lt_status moments_from_sums(lt_comm *c, const lt_dataset *ds, double *mean, double *ss)
{
    int64_t d = ds->d;
    double n = ds->n > 0 ? (double)ds->n : 1.0;
    LT_CALL(lt_comm_sum_d(c, mean, d));
    for (int64_t j = 0; j < d; j++) mean[j] /= n;
    memset(ss, 0, sizeof *ss * (size_t)d);
    lt_column_sq_dev(ds->x, ds->nloc, d, mean, ss);
    return lt_comm_sum_d(c, ss, d);
}

lt_status lt_dataset_column_moments(lt_comm *c, const lt_dataset *ds, double *mean, double *ss)
{
    memset(mean, 0, sizeof *mean * (size_t)ds->d);
    lt_column_sums(ds->x, ds->nloc, ds->d, mean);
    return moments_from_sums(c, ds, mean, ss);
}

lt_status lt_colstats_compute(lt_comm *c, const lt_dataset *ds, lt_colstats **out)
{
    int64_t d = ds->d;
    lt_colstats *s = lt_calloc(1, sizeof *s);
    if (s) {
        s->n = ds->n;
        s->d = d;
        s->min = lt_malloc(sizeof(double) * 4 * (size_t)d);
    }
    lt_status st = lt_comm_agree(c, s && s->min ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) {
        lt_colstats_destroy(&s);
        return st;
    }
    s->max = s->min + d, s->mean = s->min + 2 * d, s->std = s->min + 3 * d;
    for (int64_t j = 0; j < d; j++) s->min[j] = INFINITY, s->max[j] = -INFINITY, s->mean[j] = 0;
    col_min_max_sum(ds->x, ds->nloc, d, s->min, s->max, s->mean);
    if ((st = lt_comm_min_d(c, s->min, d)) == LT_OK && (st = lt_comm_max_d(c, s->max, d)) == LT_OK)
        st = moments_from_sums(c, ds, s->mean, s->std);
    for (int64_t j = 0; j < d; j++) s->std[j] = sqrt(s->std[j] / (ds->n > 0 ? (double)ds->n : 1.0));
    if (st != LT_OK) lt_colstats_destroy(&s);
    *out = s;
    return st;
}

lt_status lt_label_counts(lt_comm *c, const lt_dataset *ds, int64_t **counts, int *nlabels)
{
    int64_t has = ds->y != NULL, mx = -1, mn = 0;
    LT_CALL(lt_comm_max_i64(c, &has, 1));
    *counts = NULL;
    *nlabels = 0;
    if (!has) return LT_OK;
    for (int64_t i = 0; ds->y && i < ds->nloc; i++) {
        if (ds->y[i] > mx) mx = ds->y[i];
        if (ds->y[i] < mn) mn = ds->y[i];
    }
    LT_CALL(lt_comm_max_i64(c, &mx, 1));
    LT_CALL(lt_comm_min_i64(c, &mn, 1));
    LT_CHECK(mn >= 0, LT_ERR_DATA, "negative label %lld", (long long)mn);
    int64_t *h = lt_calloc((size_t)(mx + 1), sizeof *h);
    lt_status st = lt_comm_agree(c, h ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) {
        free(h);
        return st;
    }
    for (int64_t i = 0; ds->y && i < ds->nloc; i++) h[ds->y[i]]++;
    st = lt_comm_sum_i64(c, h, mx + 1);
    if (st != LT_OK) {
        free(h);
        return st;
    }
    *counts = h;
    *nlabels = (int)(mx + 1);
    return LT_OK;
}

/* Local index of global row id, or -1 when another rank holds it. */
static int64_t owned_row(const lt_dataset *ds, int64_t id)
{
    int64_t i = id - ds->row0;
    return i >= 0 && i < ds->nloc ? i : -1;
}

/* Each row has one owner; the others contribute zeros, so the sum is exact
 * (in float as in double). */
lt_status lt_dataset_fetch_rows(lt_comm *c, const lt_dataset *ds, const int64_t *ids, int64_t m,
                                float *rows)
{
    int64_t d = ds->d;
    memset(rows, 0, sizeof *rows * (size_t)(m * d));
    for (int64_t q = 0; q < m; q++) {
        int64_t i = owned_row(ds, ids[q]);
        if (i >= 0) memcpy(rows + q * d, ds->x + i * d, sizeof *rows * (size_t)d);
    }
    return lt_comm_sum_f(c, rows, m * d);
}

lt_status lt_dataset_fetch_rows_d(lt_comm *c, const lt_dataset *ds, const int64_t *ids, int64_t m,
                                  double *rows)
{
    int64_t d = ds->d;
    memset(rows, 0, sizeof *rows * (size_t)(m * d));
    for (int64_t q = 0; q < m; q++) {
        int64_t i = owned_row(ds, ids[q]);
        for (int64_t j = 0; i >= 0 && j < d; j++) rows[q * d + j] = ds->x[i * d + j];
    }
    return lt_comm_sum_d(c, rows, m * d);
}

lt_status lt_dataset_from_rows(lt_comm *c, const float *rows, int64_t m, int64_t d, lt_dataset **out)
{
    LT_CALL(lt_dataset_create(c, m, d, 0, out));
    if ((*out)->nloc > 0)
        memcpy((*out)->x, rows + (*out)->row0 * d, sizeof *rows * (size_t)((*out)->nloc * d));
    return LT_OK;
}
