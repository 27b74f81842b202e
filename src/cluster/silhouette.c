/* Silhouette (scikit-learn's silhouette_samples, Euclidean) without an
 * n x n matrix. Each rank holds, for its own rows, the sum of distances to
 * every cluster (S, nloc x k). Blocks of rows travel around the ring of
 * ranks; every unordered pair of blocks is met once (symmetry halves the
 * work), and the visiting block carries the sums of its own rows, so it
 * goes once fully around the ring and comes home with them.
 * Rows inside a block are sorted by label, so the sum over a cluster is a
 * sum over a contiguous range of distances. */
#include "latent/lt_scores.h"
#include "cluster_internal.h"
#include "latent/lt_name.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 512 /* columns per distance batch: the batch stays in L1 */

/* A block in transit: m rows sorted by compact label; ld = cap. */
typedef struct {
    int64_t cap, d, k;
    size_t bytes;
    char *buf;
    int64_t *m;
    int32_t *lab; /* cap */
    float *yt;    /* d x cap, transposed */
    double *acc;  /* k x cap: sums of distances of row j to cluster q, from other blocks */
} block;

static size_t align8(size_t b) { return (b + 7) & ~(size_t)7; }

static lt_status block_alloc(block *b, int64_t cap, int64_t d, int64_t k)
{
    b->cap = cap, b->d = d, b->k = k;
    size_t o1 = 8, o2 = o1 + align8(sizeof(int32_t) * (size_t)cap);
    size_t o3 = o2 + align8(sizeof(float) * (size_t)(d * cap));
    b->bytes = o3 + sizeof(double) * (size_t)(k * cap);
    b->buf = lt_calloc(b->bytes, 1);
    if (!b->buf) return LT_ERR_MEM;
    b->m = (int64_t *)(void *)b->buf;
    b->lab = (int32_t *)(void *)(b->buf + o1);
    b->yt = (float *)(void *)(b->buf + o2);
    b->acc = (double *)(void *)(b->buf + o3);
    return LT_OK;
}

/* Workspace of one exact computation on this rank's rows. */
typedef struct {
    int64_t m, d, k;
    float *xa;      /* m x d own rows, sorted by label */
    int32_t *la;    /* m compact labels, sorted */
    double *S;      /* m x k */
    int64_t *start; /* k + 1: counting sort */
    int64_t *seg;   /* 3 x CHUNK: label runs of a chunk */
    block own, cur, nxt;
    float out[CHUNK];
} silws;

static void silws_free(silws *w)
{
    free(w->xa), free(w->la), free(w->S), free(w->start), free(w->seg);
    free(w->own.buf), free(w->cur.buf), free(w->nxt.buf);
}

/* Counting sort of the local rows by compact label into xa/la and the own block. */
static void sort_rows(const lt_dataset *X, const int32_t *labels, const lt_labinfo *li, silws *w)
{
    int64_t k = li->k, d = X->d, cap = w->own.cap;
    int64_t *start = w->start;
    for (int64_t i = 0; i < X->nloc; i++) start[li->map[labels[i]] + 1]++;
    for (int64_t q = 0; q < k; q++) start[q + 1] += start[q];
    for (int64_t i = 0; i < X->nloc; i++) {
        int32_t q = li->map[labels[i]];
        int64_t p = start[q]++;
        w->la[p] = w->own.lab[p] = q;
        for (int64_t t = 0; t < d; t++) {
            w->xa[p * d + t] = X->x[i * d + t];
            w->own.yt[t * cap + p] = X->x[i * d + t];
        }
    }
    *w->own.m = X->nloc;
}

/* Label runs of b's columns [j0, j1): seg[3 s] = label, lo, hi. */
static int64_t chunk_runs(const block *b, int64_t j0, int64_t j1, int64_t *seg)
{
    int64_t ns = 0;
    for (int64_t lo = j0; lo < j1;) {
        int64_t hi = lo + 1;
        while (hi < j1 && b->lab[hi] == b->lab[lo]) hi++;
        seg[3 * ns] = b->lab[lo], seg[3 * ns + 1] = lo, seg[3 * ns + 2] = hi;
        ns++;
        lo = hi;
    }
    return ns;
}

/* Distances from own rows [0, i1) to block b's columns [jlo, m). both: also
 * add to b's per-row sums; diag: b is the own block, only pairs j > i. */
static void pair_block(silws *w, block *b, int both, int diag, int64_t i1, int64_t jlo)
{
    int64_t mb = *b->m, d = w->d, k = w->k;
    for (int64_t j0 = jlo; j0 < mb; j0 += CHUNK) {
        int64_t j1 = j0 + CHUNK < mb ? j0 + CHUNK : mb;
        int64_t ns = chunk_runs(b, j0, j1, w->seg);
        int64_t ilim = diag ? (j1 < i1 ? j1 : i1) : i1;
        for (int64_t i = 0; i < ilim; i++) {
            int64_t js = diag && i + 1 > j0 ? i + 1 : j0;
            if (js >= j1) continue;
            lt_cl_dist_row(w->xa + i * d, b->yt + js, b->cap, d, j1 - js, w->out);
            double *Si = w->S + i * k;
            for (int64_t r = 0; r < ns; r++) {
                int64_t lo = w->seg[3 * r + 1] > js ? w->seg[3 * r + 1] : js,
                        hi = w->seg[3 * r + 2];
                if (hi > lo) Si[w->seg[3 * r]] += lt_cl_sum_f(w->out + (lo - js), hi - lo);
            }
            if (both) lt_cl_axpy_fd(b->acc + (int64_t)w->la[i] * b->cap + js, w->out, j1 - js);
        }
    }
}

/* The pairs of ring step s (of P) with the visiting block in w->cur. */
static void visit(silws *w, int rank, int P, int s)
{
    int T = P / 2;
    if (s < T || (s == T && P % 2))
        pair_block(w, &w->cur, 1, 0, w->m, 0);
    else if (s == T) {
        /* Even P: ranks T apart hold each other's blocks at this step.
         * Each does half of that pair, symmetrically: the lower rank
         * its first half of rows against all visiting columns, the
         * upper one all its rows against the visitor's second half. */
        if (rank < T) pair_block(w, &w->cur, 1, 0, w->m / 2, 0);
        else pair_block(w, &w->cur, 1, 0, w->m, *w->cur.m / 2);
    }
}

static lt_status ring(lt_comm *c, silws *w)
{
    int P = lt_comm_size(c);
    pair_block(w, &w->own, 1, 1, w->m, 0);
    if (P == 1) {
        memcpy(w->cur.buf, w->own.buf, w->own.bytes);
        return LT_OK;
    }
    memcpy(w->nxt.buf, w->own.buf, w->own.bytes);
    /* A short message is this rank's failure alone: it keeps shifting (its
     * neighbours wait for it) and the ranks agree after the last shift. */
    lt_status bad = LT_OK;
    for (int s = 1; s <= P; s++) {
        int64_t got = 0;
        lt_status sh = lt_comm_ring_shift(c, w->nxt.buf, (int64_t)w->nxt.bytes, w->cur.buf,
                                          (int64_t)w->cur.bytes, &got);
        if (bad == LT_OK) bad = sh; /* a failed shift too: keep shifting */
        if (bad == LT_OK && got != (int64_t)w->cur.bytes)
            bad = lt_error_raise(LT_ERR_INTERNAL, __FILE__, __LINE__,
                                 "short ring message (%lld of %lld bytes)", (long long)got,
                                 (long long)w->cur.bytes);
        if (bad == LT_OK) visit(w, lt_comm_rank(c), P, s);
        block t = w->cur;
        w->cur = w->nxt, w->nxt = t;
    }
    /* After P shifts the own block is home (now in nxt after the last swap). */
    block t = w->cur;
    w->cur = w->nxt, w->nxt = t;
    return lt_comm_agree(c, bad);
}

/* s(i) from the per-cluster sums; totals per compact cluster into part[own], all into part[k]. */
static void score_rows(const silws *w, const lt_labinfo *li, double *part)
{
    int64_t k = w->k;
    for (int64_t i = 0; i < w->m; i++) {
        const double *Si = w->S + i * k;
        int32_t own = w->la[i];
        double sil = 0, nown = (double)li->count[own];
        if (nown > 1) {
            double a = (Si[own] + w->cur.acc[(int64_t)own * w->cur.cap + i]) / (nown - 1);
            double b = INFINITY;
            for (int64_t q = 0; q < k; q++) {
                if (q == own) continue;
                double v = (Si[q] + w->cur.acc[q * w->cur.cap + i]) / (double)li->count[q];
                if (v < b) b = v;
            }
            double mx = a > b ? a : b;
            sil = mx > 0 ? (b - a) / mx : 0.0;
        }
        part[own] += sil;
        part[k] += sil;
    }
}

static lt_status fill_result(lt_comm *c, const lt_labinfo *li, double *part, int64_t n,
                             lt_silhouette_result *res)
{
    LT_CALL(lt_comm_sum_d(c, part, li->k + 1));
    res->score = part[li->k] / (double)n;
    res->n_scored = n;
    res->nslots = li->nslots;
    res->cluster_count = lt_calloc((size_t)li->nslots + 1, sizeof(int64_t));
    res->cluster_mean = lt_calloc((size_t)li->nslots + 1, sizeof(double));
    lt_status st = lt_comm_agree(c, res->cluster_count && res->cluster_mean ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) {
        lt_silhouette_result_free(res);
        return st;
    }
    for (int q = 0; q < li->k; q++) {
        res->cluster_count[li->slot[q]] = li->count[q];
        res->cluster_mean[li->slot[q]] = part[q] / (double)li->count[q];
    }
    return LT_OK;
}

static lt_status silws_alloc(lt_comm *c, const lt_dataset *X, const lt_labinfo *li, silws *w)
{
    memset(w, 0, sizeof *w);
    int64_t cap = X->nloc;
    LT_CALL(lt_comm_max_i64(c, &cap, 1));
    w->m = X->nloc, w->d = X->d, w->k = li->k;
    lt_status st = LT_OK;
    w->xa = lt_calloc((size_t)(X->nloc * X->d) + 1, sizeof(float));
    w->la = lt_calloc((size_t)X->nloc + 1, sizeof(int32_t));
    w->S = lt_calloc((size_t)(X->nloc * li->k) + 1, sizeof(double));
    w->start = lt_calloc((size_t)li->k + 1, sizeof(int64_t));
    w->seg = lt_calloc(3 * CHUNK, sizeof(int64_t));
    if (!w->xa || !w->la || !w->S || !w->start || !w->seg) st = LT_ERR_MEM;
    if (st == LT_OK) st = block_alloc(&w->own, cap, X->d, li->k);
    if (st == LT_OK) st = block_alloc(&w->cur, cap, X->d, li->k);
    if (st == LT_OK) st = block_alloc(&w->nxt, cap, X->d, li->k);
    st = lt_comm_agree(c, st);
    if (st != LT_OK) silws_free(w);
    return st;
}

/* Exact silhouette of X with labels already checked into li. */
static lt_status exact(lt_comm *c, const lt_dataset *X, const int32_t *labels, const lt_labinfo *li,
                       lt_silhouette_result *res)
{
    silws w;
    LT_CALL(silws_alloc(c, X, li, &w));
    sort_rows(X, labels, li, &w);
    double *part = lt_calloc((size_t)li->k + 1, sizeof *part);
    lt_status st = lt_comm_agree(c, part ? LT_OK : LT_ERR_MEM);
    if (st == LT_OK) {
        /* Pairs of rows times d: the distance's subtract, multiply and add. */
        double flops = 3.0 * (double)X->nloc * (double)X->n * (double)X->d;
        lt_event_begin(lt_comm_timer(c), LT_EV_SILHOUETTE_RING);
        st = ring(c, &w);
        lt_event_end(lt_comm_timer(c), LT_EV_SILHOUETTE_RING, flops);
    }
    if (st == LT_OK) {
        score_rows(&w, li, part);
        st = fill_result(c, li, part, X->n, res);
    }
    free(part);
    silws_free(&w);
    return st;
}

/* Squared-Euclidean silhouette in closed form: the sum of squared distances
 * from x to the rows of cluster C is n_C ||x - mu_C||^2 + W_C. */
static lt_status sqeuclidean(lt_comm *c, const lt_dataset *X, const int32_t *labels,
                             const lt_labinfo *li, lt_silhouette_result *res)
{
    int64_t k = li->k, d = X->d;
    double *means = lt_calloc((size_t)(k * d), sizeof *means);
    double *wss = lt_calloc((size_t)k, sizeof *wss);
    double *part = lt_calloc((size_t)k + 1, sizeof *part);
    lt_status st = lt_comm_agree(c, means && wss && part ? LT_OK : LT_ERR_MEM);
    if (st == LT_OK) st = lt_cluster_means(c, X, labels, li, means, wss);
    for (int64_t i = 0; st == LT_OK && i < X->nloc; i++) {
        int own = li->map[labels[i]];
        double nown = (double)li->count[own], sil = 0;
        if (nown > 1) {
            const float *xi = X->x + i * d;
            double a = (nown * lt_cl_sqdist(xi, means + own * d, d) + wss[own]) / (nown - 1);
            double b = INFINITY;
            for (int64_t q = 0; q < k; q++) {
                if (q == own) continue;
                double v = lt_cl_sqdist(xi, means + q * d, d) + wss[q] / (double)li->count[q];
                if (v < b) b = v;
            }
            double mx = a > b ? a : b;
            sil = mx > 0 ? (b - a) / mx : 0.0;
        }
        part[own] += sil;
        part[k] += sil;
    }
    if (st == LT_OK) st = fill_result(c, li, part, X->n, res);
    free(means), free(wss), free(part);
    return st;
}

/* The sample as a dataset of its own (rows in global order, block layout). */
static lt_status draw_sample(lt_comm *c, const lt_dataset *X, const int32_t *labels,
                             const lt_silhouette_opts *o, lt_dataset **sub)
{
    int64_t s = o->sample_size < X->n ? o->sample_size : X->n;
    int64_t *ids = lt_calloc((size_t)s + 1, sizeof *ids);
    int64_t *dest = lt_calloc((size_t)X->nloc + 1, sizeof *dest);
    lt_status st = ids && dest ? LT_OK : LT_ERR_MEM;
    if (st == LT_OK) st = lt_cl_sample_indices(o->seed, LT_STREAM_SAMPLE, 0, X->n, s, ids);
    if (st == LT_OK) {
        qsort(ids, (size_t)s, sizeof *ids, lt_cl_cmp_i64);
        int64_t p = 0;
        for (int64_t i = 0; i < X->nloc; i++) {
            while (p < s && ids[p] < X->row0 + i) p++;
            dest[i] = p < s && ids[p] == X->row0 + i ? p : -1;
        }
    }
    st = lt_comm_agree(c, st);
    if (st == LT_OK) {
        lt_dataset view = *X;
        view.y = (int32_t *)labels; /* redistribute only reads its source */
        st = lt_dataset_redistribute(c, &view, dest, s, sub);
    }
    free(ids), free(dest);
    return st;
}

static lt_status sampled(lt_comm *c, const lt_dataset *X, const int32_t *labels,
                         const lt_silhouette_opts *o, lt_silhouette_result *res)
{
    lt_dataset *sub = NULL;
    LT_CALL(draw_sample(c, X, labels, o, &sub));
    lt_labinfo li;
    lt_status st = lt_labinfo_build(c, sub->n, sub->nloc, sub->y, sub->nloc, &li);
    if (st == LT_OK) {
        st = lt_labinfo_require_range(&li, sub->n, "silhouette (sampled rows)");
        if (st == LT_OK) st = exact(c, sub, sub->y, &li, res);
        lt_labinfo_free(&li);
    }
    lt_dataset_destroy(&sub);
    return st;
}

void lt_silhouette_opts_default(lt_silhouette_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mode = LT_SIL_EXACT;
    o->sample_size = 10000;
}

static const lt_name mode_names[] = {
    {"exact", LT_SIL_EXACT}, {"sampled", LT_SIL_SAMPLED}, {"sqeuclidean", LT_SIL_SQEUCLIDEAN}};

LT_NAME_FUNCTIONS(lt_sil_mode, lt_sil_mode_name, lt_sil_mode_parse, mode_names, "silhouette mode")

void lt_silhouette_result_free(lt_silhouette_result *res)
{
    free(res->cluster_count);
    free(res->cluster_mean);
    memset(res, 0, sizeof *res);
}

lt_status lt_silhouette(lt_comm *c, const lt_dataset *X, const int32_t *labels_local,
                        int64_t n_local, const lt_silhouette_opts *o, lt_silhouette_result *res)
{
    memset(res, 0, sizeof *res);
    lt_status st = LT_OK;
    if (o->mode != LT_SIL_EXACT && o->mode != LT_SIL_SAMPLED && o->mode != LT_SIL_SQEUCLIDEAN)
        st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__, "bad silhouette mode %d", (int)o->mode);
    else if (o->mode == LT_SIL_SAMPLED && o->sample_size < 2)
        st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                            "silhouette sample_size = %lld: must be >= 2",
                            (long long)o->sample_size);
    LT_CALL(lt_comm_agree(c, st));
    LT_CALL(lt_dataset_check_finite(c, X, "silhouette input"));
    lt_labinfo li;
    LT_CALL(lt_labinfo_build(c, X->n, X->nloc, labels_local, n_local, &li));
    st = lt_labinfo_require_range(&li, X->n, "silhouette");
    if (st == LT_OK && o->mode == LT_SIL_EXACT) st = exact(c, X, labels_local, &li, res);
    if (st == LT_OK && o->mode == LT_SIL_SQEUCLIDEAN)
        st = sqeuclidean(c, X, labels_local, &li, res);
    if (st == LT_OK && o->mode == LT_SIL_SAMPLED) st = sampled(c, X, labels_local, o, res);
    lt_labinfo_free(&li);
    if (st == LT_OK) res->mode = o->mode;
    return st;
}
