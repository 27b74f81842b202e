/* Seeded row samples gathered to rank 0, for figures. */
#include "latent/lt_plot.h"
#include "latent/lt_rng.h"

#include <stdlib.h>
#include <string.h>

/* 56-bit keys: seven 8-bit radix rounds, and bounds never overflow. */
#define KEY_BITS 56
#define RADIX 8
#define NBUCKET (1 << RADIX)

static uint64_t row_key(uint64_t seed, int64_t row)
{
    lt_rng r;
    lt_rng_init(&r, seed, LT_STREAM_SAMPLE, (uint64_t)row);
    return lt_rng_u64(&r) >> (64 - KEY_BITS);
}

/* Finds the selection rule: keep keys < *below_key, plus the first *ties
 * rows (in global row order) whose key equals *below_key. Collective. */
static lt_status select_threshold(lt_comm *c, const uint64_t *keys, int64_t nloc, int64_t m,
                                  uint64_t *below_key, int64_t *ties)
{
    uint64_t prefix = 0; /* the top `bits` bits of the boundary key */
    int64_t need = m;    /* rows still to take from keys sharing that prefix */
    for (int bits = 0; bits < KEY_BITS; bits += RADIX) {
        int64_t hist[NBUCKET] = {0};
        int shift = KEY_BITS - bits - RADIX;
        for (int64_t i = 0; i < nloc; i++)
            if ((keys[i] >> (shift + RADIX)) == prefix) hist[(keys[i] >> shift) & (NBUCKET - 1)]++;
        LT_CALL(lt_comm_sum_i64(c, hist, NBUCKET));
        int b = 0;
        while (hist[b] < need) need -= hist[b++];
        prefix = (prefix << RADIX) | (uint64_t)b;
        if (hist[b] == need) { /* the whole bucket fits: no need to go deeper */
            *below_key = (prefix + 1) << shift;
            *ties = 0;
            return LT_OK;
        }
    }
    *below_key = prefix;
    *ties = need;
    return LT_OK;
}

/* Marks the chosen local rows; returns how many. */
static lt_status mark_rows(lt_comm *c, const uint64_t *keys, int64_t nloc, uint64_t below,
                           int64_t ties, char *keep, int64_t *count)
{
    int64_t local_ties = 0, before = 0, k = 0;
    for (int64_t i = 0; i < nloc; i++) local_ties += keys[i] == below;
    /* Ranks hold consecutive rows, so a prefix sum orders ties by row. */
    LT_CALL(lt_comm_exscan_i64(c, local_ties, &before));
    for (int64_t i = 0; i < nloc; i++) {
        keep[i] = keys[i] < below || (keys[i] == below && ties > 0 && before++ < ties);
        k += keep[i];
    }
    *count = k;
    return LT_OK;
}

/* Gathers `bytes`-sized records of the kept rows to rank 0 (rank order). */
static lt_status gather0(lt_comm *c, const void *send, int64_t nsend, size_t bytes,
                         const int64_t *counts, void *recv)
{
    int p = lt_comm_size(c);
    int64_t *cnt = lt_calloc(4 * (size_t)p, sizeof *cnt);
    lt_status st = lt_comm_agree(c, cnt ? LT_OK : LT_ERR_MEM); /* before the exchange */
    if (st != LT_OK) {
        free(cnt);
        return st;
    }
    int64_t *sd = cnt + p, *rc = cnt + 2 * p, *rd = cnt + 3 * p, off = 0;
    cnt[0] = nsend * (int64_t)bytes;
    if (lt_comm_rank(c) == 0)
        for (int r = 0; r < p; r++) {
            rc[r] = counts[r] * (int64_t)bytes;
            rd[r] = off;
            off += rc[r];
        }
    st = lt_comm_alltoallv(c, send, cnt, sd, recv, rc, rd);
    free(cnt);
    return st;
}

static lt_status pack_and_gather(lt_comm *c, const lt_dataset *ds, const char *keep, int64_t k,
                                 const int64_t *counts, lt_dataset *out, int64_t *rows)
{
    int64_t d = ds->d, j = 0;
    float *x = lt_malloc(sizeof *x * (size_t)(k * d) + 1);
    int32_t *y = lt_malloc(sizeof *y * (size_t)k + 1);
    int64_t *g = lt_malloc(sizeof *g * (size_t)k + 1);
    lt_status st = x && y && g ? LT_OK : LT_ERR_MEM;
    for (int64_t i = 0; st == LT_OK && i < ds->nloc; i++) {
        if (!keep[i]) continue;
        memcpy(x + j * d, ds->x + i * d, sizeof *x * (size_t)d);
        y[j] = ds->y ? ds->y[i] : 0;
        g[j++] = ds->row0 + i;
    }
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = gather0(c, x, k, sizeof *x * (size_t)d, counts, out ? out->x : NULL);
    if (st == LT_OK && ds->y) st = gather0(c, y, k, sizeof *y, counts, out ? out->y : NULL);
    if (st == LT_OK) st = gather0(c, g, k, sizeof *g, counts, rows);
    free(x);
    free(y);
    free(g);
    return st;
}

static lt_status alloc_out(lt_comm *c, const lt_dataset *ds, int64_t m, lt_dataset **out,
                           int64_t **rows)
{
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0) {
        lt_dataset *o = lt_calloc(1, sizeof *o);
        int64_t *g = lt_malloc(sizeof *g * (size_t)m + 1);
        if (o) {
            o->n = o->nloc = m;
            o->d = ds->d;
            o->x = lt_malloc(sizeof *o->x * (size_t)(m * ds->d) + 1);
            if (ds->y) o->y = lt_malloc(sizeof *o->y * (size_t)m + 1);
        }
        if (!o || !g || !o->x || (ds->y && !o->y)) st = LT_ERR_MEM;
        *out = o;
        *rows = g;
    }
    return lt_comm_agree(c, st);
}

lt_status lt_sample_rows(lt_comm *c, const lt_dataset *ds, int64_t max_rows, uint64_t seed,
                         lt_dataset **out, int64_t **rows)
{
    *out = NULL;
    if (rows) *rows = NULL;
    LT_CALL(lt_comm_agree(c, max_rows >= 0 ? LT_OK
                                          : lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                                                           "sample size %lld < 0",
                                                           (long long)max_rows)));
    int64_t m = ds->n < max_rows ? ds->n : max_rows, nloc = ds->nloc, k = 0;
    uint64_t *keys = lt_malloc(sizeof *keys * (size_t)nloc + 1);
    char *keep = lt_malloc((size_t)nloc + 1);
    int64_t *counts = lt_malloc(sizeof *counts * (size_t)lt_comm_size(c)), *g = NULL;
    lt_dataset *o = NULL;
    lt_status st = lt_comm_agree(c, keys && keep && counts ? LT_OK : LT_ERR_MEM);
    for (int64_t i = 0; st == LT_OK && i < nloc; i++) keys[i] = row_key(seed, ds->row0 + i);
    uint64_t below = UINT64_MAX;
    int64_t ties = 0;
    if (m == 0) below = 0;
    else if (st == LT_OK && m < ds->n) st = select_threshold(c, keys, nloc, m, &below, &ties);
    if (st == LT_OK) st = mark_rows(c, keys, nloc, below, ties, keep, &k);
    if (st == LT_OK) st = lt_comm_allgather(c, &k, sizeof k, counts);
    if (st == LT_OK) st = alloc_out(c, ds, m, &o, &g);
    if (st == LT_OK) st = pack_and_gather(c, ds, keep, k, counts, o, g);
    free(keys);
    free(keep);
    free(counts);
    if (st != LT_OK) {
        lt_dataset_destroy(&o);
        free(g);
        return st;
    }
    *out = o;
    if (rows) *rows = g;
    else free(g);
    return LT_OK;
}
