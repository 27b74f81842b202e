/* Exact distributed k nearest neighbours (lt_tsne_knn_compute).
 *
 * Blocks of rows travel around the ring of ranks (as the exact silhouette's
 * do); every rank meets every block once and keeps, for each of its own
 * rows, a max-heap of the k best (squared distance, global index) pairs.
 *
 * Candidates are screened with a float GEMM on mean-centred copies
 * (||x||^2 + ||y||^2 - 2 x.y) and only rows that can enter the heap are
 * measured exactly, in double, as sum_t (x_t - y_t)^2 over the original
 * floats. The screen keeps a row whenever its approximate distance minus a
 * rigorous bound on the float error is below the row's current k-th
 * distance, so no true neighbour is missed: the result is that of the exact
 * distances, with ties broken by index, whatever the rank count. */
#include "latent/lt_tsne.h"
#include "tsne_internal.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TI 128  /* own rows per GEMM tile */
#define TJ 1024 /* visiting rows per GEMM tile */

/* A block in transit: header (m, row0), then m x d original floats. */
typedef struct {
    int64_t cap, d;
    size_t bytes;
    char *buf;
    int64_t *hdr; /* [0] = m, [1] = row0 */
    float *x;     /* cap x d */
} kblock;

static lt_status kblock_alloc(kblock *b, int64_t cap, int64_t d)
{
    b->cap = cap, b->d = d;
    b->bytes = 16 + sizeof(float) * (size_t)(cap * d);
    b->buf = lt_calloc(b->bytes, 1);
    if (!b->buf) return LT_ERR_MEM;
    b->hdr = (int64_t *)(void *)b->buf;
    b->x = (float *)(void *)(b->buf + 16);
    return LT_OK;
}

typedef struct {
    int64_t nloc, row0, d, k;
    const float *x;     /* own original rows */
    float *xc;          /* own rows, centred */
    float *nxc;         /* their squared norms (float, from double) */
    double *mean;       /* d, the global column mean */
    float *yc;          /* visiting rows centred, cap x d */
    float *nyc;         /* cap */
    float *dot;         /* TI x TJ */
    double *hd;         /* nloc x k heap distances */
    int64_t *hi;        /* nloc x k heap indices */
    int64_t *cnt;       /* nloc heap sizes */
    float cu;           /* relative screening slack */
    int64_t refined;    /* exact distances computed (diagnostic) */
    kblock cur, nxt;
} knnws;

static void knnws_free(knnws *w)
{
    free(w->xc), free(w->nxc), free(w->mean), free(w->yc), free(w->nyc), free(w->dot);
    free(w->hd), free(w->hi), free(w->cnt), free(w->cur.buf), free(w->nxt.buf);
}

static int pair_less(double da, int64_t ia, double db, int64_t ib)
{
    return da < db || (da == db && ia < ib);
}

/* Max-heap of (d, i) pairs of size cnt; replaces the top or appends. */
static void heap_push(double *hd, int64_t *hi, int64_t *cnt, int64_t k, double d, int64_t i)
{
    int64_t pos;
    if (*cnt < k) {
        pos = (*cnt)++;
        while (pos > 0) {
            int64_t up = (pos - 1) / 2;
            if (!pair_less(hd[up], hi[up], d, i)) break;
            hd[pos] = hd[up], hi[pos] = hi[up];
            pos = up;
        }
        hd[pos] = d, hi[pos] = i;
        return;
    }
    pos = 0;
    for (;;) {
        int64_t l = 2 * pos + 1, r = l + 1, big = pos;
        double bd = d;
        int64_t bi = i;
        if (l < k && pair_less(bd, bi, hd[l], hi[l])) big = l, bd = hd[l], bi = hi[l];
        if (r < k && pair_less(bd, bi, hd[r], hi[r])) big = r, bd = hd[r], bi = hi[r];
        if (big == pos) break;
        hd[pos] = hd[big], hi[pos] = hi[big];
        pos = big;
    }
    hd[pos] = d, hi[pos] = i;
}

double lt_tsne_exact_d2(const float *a, const float *b, int64_t d)
{
    double s = 0;
    for (int64_t t = 0; t < d; t++) {
        double e = (double)a[t] - (double)b[t];
        s += e * e;
    }
    return s;
}

static void centre_rows(const float *x, int64_t m, int64_t d, const double *mean, float *xc,
                        float *nrm)
{
    for (int64_t i = 0; i < m; i++) {
        double s = 0;
        for (int64_t t = 0; t < d; t++) {
            float v = (float)((double)x[i * d + t] - mean[t]);
            xc[i * d + t] = v;
            s += (double)v * v;
        }
        nrm[i] = (float)s;
    }
}

/* Own rows [i0, i0 + ti) against visiting rows [j0, j0 + tj) of the block
 * whose first global row is brow0 (originals in bx). */
static void screen_tile(knnws *w, int64_t i0, int64_t ti, int64_t j0, int64_t tj,
                        const float *bx, int64_t brow0)
{
    int64_t d = w->d, k = w->k;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ti, (int)tj, (int)d, 1.0f,
                w->xc + i0 * d, (int)d, w->yc + j0 * d, (int)d, 0.0f, w->dot, TJ);
    const float keep = 1.0f - w->cu;
    for (int64_t a = 0; a < ti; a++) {
        int64_t i = i0 + a, gi = w->row0 + i;
        double *hd = w->hd + i * k;
        int64_t *hi = w->hi + i * k, *cnt = w->cnt + i;
        const float *dr = w->dot + a * TJ;
        float nx = w->nxc[i] * keep;
        for (int64_t b0 = 0; b0 < tj; b0 += 16) {
            int64_t b1 = b0 + 16 < tj ? b0 + 16 : tj;
            double tau = *cnt < k ? INFINITY : hd[0];
            /* Condition for an exact look: approx - slack <= tau, i.e.
             * (1 - cu) ny - 2 dot <= tau - (1 - cu) nx, rounded up. */
            float thr = tau == INFINITY ? INFINITY : nextafterf((float)(tau - nx), INFINITY);
            float mn = INFINITY;
            for (int64_t b = b0; b < b1; b++) {
                float t = w->nyc[j0 + b] * keep - 2.0f * dr[b];
                mn = t < mn ? t : mn;
            }
            if (!(mn <= thr)) continue;
            for (int64_t b = b0; b < b1; b++) {
                int64_t j = j0 + b, gj = brow0 + j;
                if (gj == gi) continue;
                tau = *cnt < k ? INFINITY : hd[0];
                thr = tau == INFINITY ? INFINITY : nextafterf((float)(tau - nx), INFINITY);
                if (!(w->nyc[j] * keep - 2.0f * dr[b] <= thr)) continue;
                double e = lt_tsne_exact_d2(w->x + i * d, bx + j * d, d);
                w->refined++;
                if (*cnt < k || pair_less(e, gj, hd[0], hi[0])) heap_push(hd, hi, cnt, k, e, gj);
            }
        }
    }
}

static void visit_block(knnws *w, const kblock *b)
{
    int64_t m = b->hdr[0], brow0 = b->hdr[1];
    centre_rows(b->x, m, w->d, w->mean, w->yc, w->nyc);
    for (int64_t i0 = 0; i0 < w->nloc; i0 += TI) {
        int64_t ti = w->nloc - i0 < TI ? w->nloc - i0 : TI;
        for (int64_t j0 = 0; j0 < m; j0 += TJ) {
            int64_t tj = m - j0 < TJ ? m - j0 : TJ;
            screen_tile(w, i0, ti, j0, tj, b->x, brow0);
        }
    }
}

static lt_status knnws_alloc(lt_comm *c, const lt_dataset *X, int64_t k, knnws *w)
{
    memset(w, 0, sizeof *w);
    int64_t cap = X->nloc, d = X->d;
    LT_CALL(lt_comm_max_i64(c, &cap, 1));
    w->nloc = X->nloc, w->row0 = X->row0, w->d = d, w->k = k, w->x = X->x;
    /* sgemm's dot product errs by at most ~d u (|x|^2 + |y|^2) / 2, the
     * float centring and the sums in the screen by a few u more: 2x margin. */
    w->cu = (float)((2.0 * (double)d + 32.0) * ldexp(1.0, -24));
    size_t nl = (size_t)X->nloc + 1;
    w->xc = lt_calloc(nl * (size_t)d, sizeof(float));
    w->nxc = lt_calloc(nl, sizeof(float));
    w->mean = lt_calloc((size_t)d, sizeof(double));
    w->yc = lt_calloc((size_t)(cap + 1) * (size_t)d, sizeof(float));
    w->nyc = lt_calloc((size_t)cap + 1, sizeof(float));
    w->dot = lt_calloc((size_t)TI * TJ, sizeof(float));
    w->hd = lt_calloc(nl * (size_t)k, sizeof(double));
    w->hi = lt_calloc(nl * (size_t)k, sizeof(int64_t));
    w->cnt = lt_calloc(nl, sizeof(int64_t));
    lt_status st = w->xc && w->nxc && w->mean && w->yc && w->nyc && w->dot && w->hd && w->hi &&
                           w->cnt
                       ? LT_OK
                       : LT_ERR_MEM;
    if (st == LT_OK) st = kblock_alloc(&w->cur, cap, d);
    if (st == LT_OK) st = kblock_alloc(&w->nxt, cap, d);
    st = lt_comm_agree(c, st);
    if (st != LT_OK) knnws_free(w);
    return st;
}

/* Global column mean (double), the centre of the screening copies. */
static lt_status column_mean(lt_comm *c, const lt_dataset *X, double *mean)
{
    for (int64_t i = 0; i < X->nloc; i++)
        for (int64_t t = 0; t < X->d; t++) mean[t] += X->x[i * X->d + t];
    LT_CALL(lt_comm_sum_d(c, mean, X->d));
    for (int64_t t = 0; t < X->d; t++) mean[t] /= (double)X->n;
    return LT_OK;
}

static lt_status ring(lt_comm *c, knnws *w)
{
    int P = lt_comm_size(c);
    kblock *cur = &w->cur, *nxt = &w->nxt;
    cur->hdr[0] = w->nloc, cur->hdr[1] = w->row0;
    memcpy(cur->x, w->x, sizeof(float) * (size_t)(w->nloc * w->d));
    visit_block(w, cur);
    lt_status bad = LT_OK;
    for (int s = 1; s < P; s++) {
        int64_t got = 0;
        lt_status sh = lt_comm_ring_shift(c, cur->buf, (int64_t)cur->bytes, nxt->buf,
                                          (int64_t)nxt->bytes, &got);
        if (bad == LT_OK) bad = sh; /* a failed shift too: keep shifting (see lt_comm.h) */
        if (bad == LT_OK && got != (int64_t)nxt->bytes)
            bad = lt_error_raise(LT_ERR_INTERNAL, __FILE__, __LINE__,
                                 "short ring message (%lld of %lld bytes)", (long long)got,
                                 (long long)nxt->bytes);
        kblock *t = cur;
        cur = nxt, nxt = t;
        if (bad == LT_OK) visit_block(w, cur);
    }
    return lt_comm_agree(c, bad);
}

/* Heaps to rows sorted nearest first. */
static void sort_rows(knnws *w, lt_tsne_knn *nn)
{
    int64_t k = w->k;
    for (int64_t i = 0; i < w->nloc; i++) {
        double *hd = w->hd + i * k;
        int64_t *hi = w->hi + i * k;
        for (int64_t cnt = k; cnt > 0; cnt--) {
            nn->d2[i * k + cnt - 1] = hd[0];
            nn->idx[i * k + cnt - 1] = hi[0];
            double ld = hd[cnt - 1];
            int64_t li = hi[cnt - 1];
            int64_t m = cnt - 1;
            /* Pop: the last pair replaces the root of a heap of m. */
            if (m > 0) {
                int64_t full = m;
                heap_push(hd, hi, &full, m, ld, li);
            }
        }
    }
}

lt_status lt_tsne_knn_compute(lt_comm *c, const lt_dataset *X, int64_t k, lt_tsne_knn **out)
{
    *out = NULL;
    LT_CALL(lt_comm_agree(c, k >= 1 && k <= X->n - 1
                                 ? LT_OK
                                 : lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                                                  "t-SNE neighbours: k = %lld must be in [1, n - 1 "
                                                  "= %lld]",
                                                  (long long)k, (long long)(X->n - 1))));
    LT_CALL(lt_dataset_check_finite(c, X, "t-SNE input"));
    knnws w;
    LT_CALL(knnws_alloc(c, X, k, &w));
    lt_tsne_knn *nn = lt_calloc(1, sizeof *nn);
    lt_status st = nn ? LT_OK : LT_ERR_MEM;
    if (st == LT_OK) {
        nn->n = X->n, nn->row0 = X->row0, nn->nloc = X->nloc, nn->k = k;
        nn->idx = lt_calloc((size_t)(X->nloc * k) + 1, sizeof(int64_t));
        nn->d2 = lt_calloc((size_t)(X->nloc * k) + 1, sizeof(double));
        if (!nn->idx || !nn->d2) st = LT_ERR_MEM;
    }
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = column_mean(c, X, w.mean);
    if (st == LT_OK) {
        centre_rows(X->x, X->nloc, X->d, w.mean, w.xc, w.nxc);
        st = ring(c, &w);
    }
    if (st == LT_OK) sort_rows(&w, nn);
    knnws_free(&w);
    if (st != LT_OK) {
        lt_tsne_knn_destroy(&nn);
        return st;
    }
    *out = nn;
    return LT_OK;
}

void lt_tsne_knn_destroy(lt_tsne_knn **nn)
{
    if (!nn || !*nn) return;
    free((*nn)->idx), free((*nn)->d2), free(*nn);
    *nn = NULL;
}
