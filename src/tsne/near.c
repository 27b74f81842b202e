/* The near field of the FFT repulsion (fft.c): for a point y, the exact
 * sums over all points j within R2 of
 *   S(r) w          (its part of Z)   and   S(r) w^2 (y - y_j)   (force),
 * S the taper, 1 below R1 = R2 / 3 and 0 beyond R2 (quintic smoothstep in
 * r^2). All n positions are binned in square cells of side R2 / 2, the
 * positions copied in cell order, so the cells of one row of a 5 x 5
 * neighbourhood are one contiguous range: the loop streams through five
 * ranges, 8 lanes at a time (lt_v8d), with no branch (S = 0 beyond R2).
 * Every lane and range is fixed by the global positions alone, so a
 * point's sums do not depend on which rank computes them.
 *
 * R2 is the requested radius, or smaller when the embedding is dense
 * (early exaggeration packs clusters tightly): halved until the candidates
 * per point stay within a budget, which bounds the work at any density. */
#include "tsne_internal.h"

#include "latent/lt_simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BUDGET 384.0 /* mean candidates per point (5 x 5 cells) */

void tsne_near_free(tsne_near *nr)
{
    free(nr->cell_of), free(nr->start), free(nr->px), free(nr->py), free(nr->cnt);
    memset(nr, 0, sizeof *nr);
}

static lt_status near_alloc(tsne_near *nr, int64_t n, int64_t cells)
{
    if (n > nr->cap_n) {
        free(nr->cell_of), free(nr->px), free(nr->py);
        nr->cell_of = lt_malloc(sizeof(int64_t) * (size_t)n);
        nr->px = lt_malloc(sizeof(double) * (size_t)(n + 8));
        nr->py = lt_malloc(sizeof(double) * (size_t)(n + 8));
        if (!nr->cell_of || !nr->px || !nr->py) return (nr->cap_n = 0), LT_ERR_MEM;
        nr->cap_n = n;
    }
    if (cells > nr->cap_cells) {
        free(nr->start), free(nr->cnt);
        nr->start = lt_malloc(sizeof(int64_t) * (size_t)(cells + 2));
        nr->cnt = lt_malloc(sizeof(int64_t) * (size_t)(cells + 2));
        if (!nr->start || !nr->cnt) return (nr->cap_cells = 0), LT_ERR_MEM;
        nr->cap_cells = cells;
    }
    return LT_OK;
}

static int64_t cell_coord(double v, double lo, double side, int64_t nc)
{
    int64_t c = (int64_t)((v - lo) / side);
    return c < 0 ? 0 : c >= nc ? nc - 1 : c;
}

/* Cell counts for side `side`; returns the mean number of candidates
 * (points in the 5 x 5 cells around a point's cell) per point. */
static double count_cells(tsne_near *nr, const double *yall, int64_t n, double lo, int64_t nc,
                          double side)
{
    int64_t *cnt = nr->cnt;
    memset(cnt, 0, sizeof(int64_t) * (size_t)(nc * nc));
    for (int64_t j = 0; j < n; j++) {
        int64_t c = cell_coord(yall[2 * j], lo, side, nc) * nc +
                    cell_coord(yall[2 * j + 1], lo, side, nc);
        nr->cell_of[j] = c;
        cnt[c]++;
    }
    double cand = 0;
    for (int64_t a = 0; a < nc; a++)
        for (int64_t b = 0; b < nc; b++) {
            int64_t m = cnt[a * nc + b];
            if (!m) continue;
            int64_t s = 0;
            for (int64_t u = a - 2; u <= a + 2; u++)
                for (int64_t v = b - 2; v <= b + 2; v++)
                    if (u >= 0 && u < nc && v >= 0 && v < nc) s += cnt[u * nc + v];
            cand += (double)m * (double)s;
        }
    return cand / (double)n;
}

lt_status tsne_near_build(tsne_near *nr, const double *yall, int64_t n, double lo, double L,
                          double r2_max)
{
    double r2 = r2_max;
    int64_t nc = 0;
    for (int tries = 0;; tries++) {
        double side = r2 / 2;
        nc = (int64_t)ceil(L / side);
        if (nc < 1) nc = 1;
        LT_CALL(near_alloc(nr, n, nc * nc));
        double cand = count_cells(nr, yall, n, lo, nc, side);
        if (cand <= BUDGET || tries >= 60) break;
        r2 *= 0.7071067811865476;
    }
    nr->r2 = r2, nr->r1 = r2 / 3.0, nr->side = r2 / 2, nr->nc = nc, nr->lo = lo;
    /* Counting sort of the positions by cell (global order within a cell). */
    int64_t *start = nr->start;
    start[0] = 0;
    for (int64_t c = 0; c < nc * nc; c++) start[c + 1] = start[c] + nr->cnt[c];
    memcpy(nr->cnt, start, sizeof(int64_t) * (size_t)(nc * nc));
    for (int64_t j = 0; j < n; j++) {
        int64_t q = nr->cnt[nr->cell_of[j]]++;
        nr->px[q] = yall[2 * j], nr->py[q] = yall[2 * j + 1];
    }
    /* Far-away padding: a partial vector at the end reads these and adds 0. */
    for (int t = 0; t < 8; t++) nr->px[n + t] = nr->py[n + t] = 1e150;
    return LT_OK;
}

/* 1 - S(r2): the far part's weight, shared with the grid's kernels. */
double tsne_far_weight(double r1, double r2, double d2)
{
    if (r2 <= 0) return 1.0;
    double a = r1 * r1, b = r2 * r2;
    if (d2 <= a) return 0.0;
    if (d2 >= b) return 1.0;
    double t = (d2 - a) / (b - a);
    return t * t * t * (10.0 - 15.0 * t + 6.0 * t * t);
}

/* Lanes of one contiguous range [lo, hi); acc: 3 x 8 lanes (z, fx, fy). */
LT_CLONE_BODY void near_range_body(const double *px, const double *py, int64_t lo, int64_t hi,
                                   double yx, double yy, double a, double inv, double *acc)
{
    lt_v8d sz, sx, sy;
    memcpy(&sz, acc, sizeof sz), memcpy(&sx, acc + 8, sizeof sx), memcpy(&sy, acc + 16, sizeof sy);
    const lt_v8d one = {1, 1, 1, 1, 1, 1, 1, 1}, zero = {0}, vx = yx - zero, vy = yy - zero;
    for (int64_t q = lo; q < hi; q += 8) {
        lt_v8d X, Y;
        memcpy(&X, px + q, sizeof X), memcpy(&Y, py + q, sizeof Y);
        if (hi - q < 8) { /* the tail: lanes beyond hi look far away */
            for (int64_t l = hi - q; l < 8; l++) X[l] = Y[l] = 1e150;
        }
        lt_v8d dx = vx - X, dy = vy - Y, d2 = dx * dx + dy * dy;
        lt_v8d t = (d2 - a) * inv;
        t = lt_v8d_select(t < zero, zero, t);
        t = lt_v8d_select(t > one, one, t);
        lt_v8d S = one - t * t * t * (10.0 - 15.0 * t + 6.0 * t * t);
        lt_v8d w = one / (one + d2), wS = w * S, w2S = w * wS;
        sz += wS, sx += w2S * dx, sy += w2S * dy;
    }
    memcpy(acc, &sz, sizeof sz), memcpy(acc + 8, &sx, sizeof sx), memcpy(acc + 16, &sy, sizeof sy);
}
LT_CLONES(static, void, near_range,
          (const double *px, const double *py, int64_t lo, int64_t hi, double yx, double yy,
           double a, double inv, double *acc),
          (px, py, lo, hi, yx, yy, a, inv, acc))

void tsne_near_point(const tsne_near *nr, double yx, double yy, double *z, double *fx, double *fy)
{
    int64_t nc = nr->nc;
    int64_t cx = cell_coord(yx, nr->lo, nr->side, nc), cy = cell_coord(yy, nr->lo, nr->side, nc);
    double a = nr->r1 * nr->r1, inv = 1.0 / (nr->r2 * nr->r2 - a);
    double acc[24] = {0};
    int64_t b0 = cy - 2 < 0 ? 0 : cy - 2, b1 = cy + 2 >= nc ? nc - 1 : cy + 2;
    for (int64_t u = cx - 2; u <= cx + 2; u++) {
        if (u < 0 || u >= nc) continue;
        near_range(nr->px, nr->py, nr->start[u * nc + b0], nr->start[u * nc + b1 + 1], yx, yy, a,
                   inv, acc);
    }
    double s[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++)
        for (int l = 0; l < 8; l++) s[k] += acc[8 * k + l];
    /* The point itself is among the candidates: w S = 1, no force. */
    *z += s[0] - 1.0, *fx += s[1], *fy += s[2];
}
