/* The t-SNE gradient of KL(P || Q) at a row-sharded embedding:
 *   grad_i = 4 (ex sum_j p_ij w_ij (y_i - y_j) - (1/Z) sum_j w_ij^2 (y_i - y_j)),
 *   w_ij = 1 / (1 + |y_i - y_j|^2), Z = sum_{i != j} w_ij
 * (scikit-learn's _kl_divergence with one degree of freedom).
 *
 * Attraction: over this rank's rows of the sparse P, each row summed in its
 * CSR order, with the neighbours' positions at hand: for the exact method
 * those owned by other ranks are fetched every evaluation by one planned
 * all-to-all (the halo); the FFT method's near field needs every position,
 * so it gathers them all (n x 2 doubles) and reads neighbours from there.
 * Repulsion: exact (positions travel around the ring; every pair's terms
 * added as int64 fixed-point numbers) or by FFT interpolation (fft.c).
 * Z, KL and everything summed over rows are exact sums (lt_xsum), so the
 * gradient of a row does not depend on the rank count. */
#include "tsne_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct lt_tsne_grad {
    const lt_tsne_p *P;
    lt_tsne_method method;
    int64_t n, row0, nloc, cap; /* cap: largest nloc of any rank */
    int64_t nhalo;
    int64_t *colx;     /* nnz: position index, own rows first then the halo */
    int64_t nsend;
    int64_t *send_loc; /* nsend local rows to send, grouped by destination */
    int64_t *sc, *sd, *rc, *rd; /* P each, bytes */
    double *sendbuf;   /* nsend x 2 */
    double *pos;       /* exact: (nloc + nhalo) x 2; FFT: all positions, P cap x 2 */
    double *attr;      /* nloc x 2 */
    double *rep;       /* nloc x 2 */
    double *zrow;      /* nloc */
    int64_t *fix;      /* nloc x 3 (exact ring accumulators) */
    double *blk[2];    /* ring blocks: [m, row0, then cap x 2 positions] */
    tsne_fft *fft;
    int64_t grid_side; /* last FFT side (0 for exact) */
    double near_radius, spacing;
};

void lt_tsne_grad_destroy(lt_tsne_grad **g)
{
    if (!g || !*g) return;
    lt_tsne_grad *q = *g;
    free(q->colx), free(q->send_loc), free(q->sc), free(q->sendbuf), free(q->pos);
    free(q->attr), free(q->rep), free(q->zrow), free(q->fix);
    free(q->blk[0]), free(q->blk[1]);
    tsne_fft_destroy(&q->fft);
    free(q);
    *g = NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The halo: which rows this rank needs from others, which it sends. */
static lt_status plan_halo(lt_comm *c, lt_tsne_grad *g, int64_t **halo_ids)
{
    const lt_tsne_p *P = g->P;
    int np = lt_comm_size(c), me = lt_comm_rank(c);
    int64_t *ids = lt_calloc((size_t)P->nnz + 1, sizeof *ids);
    int64_t *cnt = lt_calloc((size_t)np * np, sizeof *cnt);
    g->sc = lt_calloc(4 * (size_t)np, sizeof(int64_t));
    lt_status st = lt_comm_agree(c, ids && cnt && g->sc ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) {
        free(ids), free(cnt);
        return st;
    }
    g->sd = g->sc + np, g->rc = g->sc + 2 * np, g->rd = g->sc + 3 * np;
    int64_t nh = 0;
    for (int64_t e = 0; e < P->nnz; e++)
        if (P->col[e] < g->row0 || P->col[e] >= g->row0 + g->nloc) ids[nh++] = P->col[e];
    qsort(ids, (size_t)nh, sizeof *ids, cmp_i64);
    int64_t u = 0;
    for (int64_t e = 0; e < nh; e++)
        if (u == 0 || ids[e] != ids[u - 1]) ids[u++] = ids[e];
    nh = u;
    g->nhalo = nh;
    /* Requests: rc[q] rows from rank q (ids sorted, so grouped by owner). */
    int64_t *req = g->rc, *reqd = g->rd;
    for (int64_t e = 0; e < nh; e++) req[lt_shard_owner(g->n, np, ids[e])]++;
    for (int q = 1; q < np; q++) reqd[q] = reqd[q - 1] + req[q - 1];
    LT_CALL_GOTO(st, lt_comm_allgather(c, req, sizeof(int64_t) * np, cnt), out);
    g->nsend = 0;
    for (int q = 0; q < np; q++) {
        g->sc[q] = cnt[(int64_t)q * np + me];
        g->sd[q] = g->nsend;
        g->nsend += g->sc[q];
    }
    g->send_loc = lt_calloc((size_t)g->nsend + 1, sizeof(int64_t));
    g->sendbuf = lt_calloc(2 * (size_t)g->nsend + 2, sizeof(double));
    g->pos = lt_calloc(2 * (size_t)(g->nloc + nh) + 2, sizeof(double));
    st = lt_comm_agree(c, g->send_loc && g->sendbuf && g->pos ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) goto out;
    /* Tell each owner which of its rows are wanted (ids, in bytes). */
    int64_t *b[4];
    int64_t *tmp = lt_calloc(4 * (size_t)np, sizeof *tmp);
    st = lt_comm_agree(c, tmp ? LT_OK : LT_ERR_MEM);
    if (st != LT_OK) { /* freed on the ranks where it succeeded (ASan sweep) */
        free(tmp);
        goto out;
    }
    for (int k = 0; k < 4; k++) b[k] = tmp + k * np;
    for (int q = 0; q < np; q++) {
        b[0][q] = 8 * req[q], b[1][q] = 8 * reqd[q];
        b[2][q] = 8 * g->sc[q], b[3][q] = 8 * g->sd[q];
    }
    st = lt_comm_alltoallv(c, ids, b[0], b[1], g->send_loc, b[2], b[3]);
    free(tmp);
    if (st != LT_OK) goto out;
    for (int64_t e = 0; e < g->nsend; e++) g->send_loc[e] -= g->row0;
    /* From now on the counts are of position pairs, in bytes. */
    for (int q = 0; q < np; q++) {
        g->sc[q] *= 16, g->sd[q] *= 16;
        req[q] *= 16, reqd[q] *= 16;
    }
    *halo_ids = ids;
    ids = NULL;
out:
    free(ids), free(cnt);
    return st;
}

static void map_columns(lt_tsne_grad *g, const int64_t *halo)
{
    const lt_tsne_p *P = g->P;
    for (int64_t e = 0; e < P->nnz; e++) {
        int64_t j = P->col[e];
        if (j >= g->row0 && j < g->row0 + g->nloc) {
            g->colx[e] = j - g->row0;
        } else {
            const int64_t *hit = bsearch(&j, halo, (size_t)g->nhalo, sizeof j, cmp_i64);
            g->colx[e] = g->nloc + (hit - halo);
        }
    }
}

lt_status lt_tsne_grad_create(lt_comm *c, const lt_tsne_p *P, lt_tsne_method method,
                              const lt_tsne_fft_opts *fo, lt_tsne_grad **out)
{
    *out = NULL;
    LT_CALL(lt_comm_agree(c, method == LT_TSNE_FFT || method == LT_TSNE_EXACT
                                 ? LT_OK
                                 : lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                                                  "bad t-SNE method %d", (int)method)));
    lt_tsne_grad *g = lt_calloc(1, sizeof *g);
    LT_AGREE_ALLOC(c, g);
    g->P = P, g->method = method, g->n = P->n, g->row0 = P->row0, g->nloc = P->nloc;
    g->cap = P->nloc;
    lt_status st = lt_comm_max_i64(c, &g->cap, 1);
    int64_t *halo = NULL;
    if (st == LT_OK && method == LT_TSNE_EXACT) st = plan_halo(c, g, &halo);
    if (st == LT_OK && method == LT_TSNE_FFT) {
        g->pos = lt_calloc(2 * (size_t)(g->cap * lt_comm_size(c)) + 2, sizeof(double));
        g->sendbuf = lt_calloc(2 * (size_t)g->cap + 2, sizeof(double));
        st = lt_comm_agree(c, g->pos && g->sendbuf ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK) {
        size_t nl = (size_t)g->nloc + 1;
        g->colx = lt_calloc((size_t)P->nnz + 1, sizeof(int64_t));
        g->attr = lt_calloc(2 * nl, sizeof(double));
        g->rep = lt_calloc(2 * nl, sizeof(double));
        g->zrow = lt_calloc(nl, sizeof(double));
        st = g->colx && g->attr && g->rep && g->zrow ? LT_OK : LT_ERR_MEM;
        if (st == LT_OK && method == LT_TSNE_EXACT) {
            g->fix = lt_calloc(3 * nl, sizeof(int64_t));
            for (int k = 0; k < 2; k++) g->blk[k] = lt_calloc(2 * (size_t)g->cap + 2, sizeof(double));
            if (!g->fix || !g->blk[0] || !g->blk[1]) st = LT_ERR_MEM;
        }
        if (st == LT_OK && method == LT_TSNE_FFT) st = tsne_fft_create(fo, &g->fft);
        if (st == LT_OK && method == LT_TSNE_EXACT) map_columns(g, halo);
        if (st == LT_OK && method == LT_TSNE_FFT) memcpy(g->colx, P->col, sizeof(int64_t) * (size_t)P->nnz);
    }
    free(halo);
    st = lt_comm_agree(c, st);
    if (st != LT_OK) {
        lt_tsne_grad_destroy(&g);
        return st;
    }
    *out = g;
    return LT_OK;
}

static lt_status fetch_halo(lt_comm *c, lt_tsne_grad *g, const double *y)
{
    if (g->method == LT_TSNE_FFT) {
        /* Rank r's rows start at r cap = r ceil(n / P): row g lands at g. */
        memcpy(g->sendbuf, y, sizeof(double) * 2 * (size_t)g->nloc);
        return lt_comm_allgather(c, g->sendbuf, (int64_t)sizeof(double) * 2 * g->cap, g->pos);
    }
    memcpy(g->pos, y, sizeof(double) * 2 * (size_t)g->nloc);
    for (int64_t e = 0; e < g->nsend; e++) {
        g->sendbuf[2 * e] = y[2 * g->send_loc[e]];
        g->sendbuf[2 * e + 1] = y[2 * g->send_loc[e] + 1];
    }
    if (lt_comm_size(c) == 1) return LT_OK;
    return lt_comm_alltoallv(c, g->sendbuf, g->sc, g->sd, g->pos + 2 * g->nloc, g->rc, g->rd);
}

/* Attraction of each own row, and the parts of KL that do not need Z:
 * A = sum ex p (log(ex p) - log w), B = sum ex p. */
static void attraction(lt_tsne_grad *g, double ex, int with_kl, lt_xsum *A, lt_xsum *Bs)
{
    const lt_tsne_p *P = g->P;
    const double *own = g->method == LT_TSNE_FFT ? g->pos + 2 * g->row0 : g->pos;
    for (int64_t i = 0; i < g->nloc; i++) {
        double yx = own[2 * i], yy = own[2 * i + 1], ax = 0, ay = 0;
        double kla = 0, klb = 0;
        for (int64_t e = P->rowptr[i]; e < P->rowptr[i + 1]; e++) {
            int64_t j = g->colx[e];
            double dx = yx - g->pos[2 * j], dy = yy - g->pos[2 * j + 1];
            double w = 1.0 / (1.0 + dx * dx + dy * dy), pw = P->val[e] * w;
            ax += pw * dx, ay += pw * dy;
            if (with_kl && P->val[e] > 0) {
                double pe = ex * P->val[e];
                kla += pe * (log(pe) - log(w));
                klb += pe;
            }
        }
        g->attr[2 * i] = ex * ax, g->attr[2 * i + 1] = ex * ay;
        if (with_kl) lt_xsum_add(A, kla), lt_xsum_add(Bs, klb);
    }
}

/* 2^e with N * bound * 2^e < 2^61 (bound kept away from 0). */
static double fixed_scale(int64_t N, double bound)
{
    int e;
    frexp((double)N * fmax(bound, 1e-200), &e);
    return ldexp(1.0, 61 - e);
}

/* Own rows against the visiting block b (m rows from global row r0). */
static void exact_block(lt_tsne_grad *g, const double *b, double sF, double sZ)
{
    int64_t m = (int64_t)b[0], r0 = (int64_t)b[1];
    const double *yb = b + 2;
    for (int64_t i = 0; i < g->nloc; i++) {
        double yx = g->pos[2 * i], yy = g->pos[2 * i + 1];
        int64_t gi = g->row0 + i, fx = 0, fy = 0, fz = 0;
        for (int64_t j = 0; j < m; j++) {
            if (r0 + j == gi) continue;
            double dx = yx - yb[2 * j], dy = yy - yb[2 * j + 1];
            double w = 1.0 / (1.0 + dx * dx + dy * dy), w2 = w * w;
            fx += llrint(w2 * dx * sF);
            fy += llrint(w2 * dy * sF);
            fz += llrint(w * sZ);
        }
        g->fix[3 * i] += fx, g->fix[3 * i + 1] += fy, g->fix[3 * i + 2] += fz;
    }
}

static lt_status exact_repulsion(lt_comm *c, lt_tsne_grad *g, const double *y, lt_xsum *Z)
{
    double ext[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY}; /* -min x, -min y, max x, max y */
    for (int64_t i = 0; i < g->nloc; i++)
        for (int t = 0; t < 2; t++) {
            ext[t] = fmax(ext[t], -y[2 * i + t]);
            ext[2 + t] = fmax(ext[2 + t], y[2 * i + t]);
        }
    LT_CALL(lt_comm_max_d(c, ext, 4));
    double D = fmax(ext[2] + ext[0], ext[3] + ext[1]);
    /* |w^2 dx| <= |dx| / (1 + dx^2)^2 <= 0.325 and <= D; w <= 1. */
    double sF = fixed_scale(g->n, fmin(0.33, D)), sZ = fixed_scale(g->n, 1.0);
    memset(g->fix, 0, sizeof(int64_t) * 3 * (size_t)g->nloc);
    int np = lt_comm_size(c);
    double *cur = g->blk[0], *nxt = g->blk[1];
    cur[0] = (double)g->nloc, cur[1] = (double)g->row0;
    memcpy(cur + 2, y, sizeof(double) * 2 * (size_t)g->nloc);
    exact_block(g, cur, sF, sZ);
    int64_t bytes = (int64_t)sizeof(double) * (2 * g->cap + 2);
    lt_status bad = LT_OK;
    for (int s = 1; s < np; s++) {
        int64_t got = 0;
        lt_status sh = lt_comm_ring_shift(c, cur, bytes, nxt, bytes, &got);
        if (bad == LT_OK) bad = sh; /* a failed shift too: keep shifting (see lt_comm.h) */
        if (bad == LT_OK && got != bytes)
            bad = lt_error_raise(LT_ERR_INTERNAL, __FILE__, __LINE__, "short ring message");
        double *t = cur;
        cur = nxt, nxt = t;
        if (bad == LT_OK) exact_block(g, cur, sF, sZ);
    }
    LT_CALL(lt_comm_agree(c, bad));
    for (int64_t i = 0; i < g->nloc; i++) {
        g->rep[2 * i] = (double)g->fix[3 * i] / sF;
        g->rep[2 * i + 1] = (double)g->fix[3 * i + 1] / sF;
        g->zrow[i] = (double)g->fix[3 * i + 2] / sZ;
        lt_xsum_add(Z, g->zrow[i]);
    }
    return LT_OK;
}

static lt_status fft_repulsion(lt_comm *c, lt_tsne_grad *g, lt_xsum *Z)
{
    tsne_fft_stats fs;
    LT_CALL(tsne_fft_repulsion(c, g->fft, g->n, g->pos, g->row0, g->nloc, g->zrow, g->rep, &fs));
    g->grid_side = fs.grid_side, g->near_radius = fs.near_radius, g->spacing = fs.spacing;
    for (int64_t i = 0; i < g->nloc; i++) lt_xsum_add(Z, g->zrow[i]);
    return LT_OK;
}

lt_status lt_tsne_grad_eval(lt_comm *c, lt_tsne_grad *g, const double *y, double exaggeration,
                            double *grad, lt_tsne_grad_info *info)
{
    LT_CALL(fetch_halo(c, g, y));
    lt_xsum acc[3]; /* Z, KL's A and B */
    for (int k = 0; k < 3; k++) lt_xsum_init(&acc[k]);
    int with_kl = info && info->want_kl;
    attraction(g, exaggeration, with_kl, &acc[1], &acc[2]);
    if (g->method == LT_TSNE_EXACT)
        LT_CALL(exact_repulsion(c, g, y, &acc[0]));
    else
        LT_CALL(fft_repulsion(c, g, &acc[0]));
    LT_CALL(lt_xsum_allreduce(c, acc, with_kl ? 3 : 1));
    double Z = lt_xsum_value(&acc[0]);
    LT_CALL(lt_comm_agree(c, Z > 0 && isfinite(Z)
                                 ? LT_OK
                                 : lt_error_raise(LT_ERR_NUMERIC, __FILE__, __LINE__,
                                                  "t-SNE: normalisation Z = %g is not positive "
                                                  "(embedding diverged?)",
                                                  Z)));
    double iz = 1.0 / Z;
    for (int64_t i = 0; i < g->nloc; i++) {
        grad[2 * i] = 4.0 * (g->attr[2 * i] - g->rep[2 * i] * iz);
        grad[2 * i + 1] = 4.0 * (g->attr[2 * i + 1] - g->rep[2 * i + 1] * iz);
    }
    if (info) {
        info->Z = Z;
        info->grid_side = g->method == LT_TSNE_FFT ? g->grid_side : 0;
        info->near_radius = g->method == LT_TSNE_FFT ? g->near_radius : 0;
        info->spacing = g->method == LT_TSNE_FFT ? g->spacing : 0;
        info->kl = with_kl ? lt_xsum_value(&acc[1]) + lt_xsum_value(&acc[2]) * log(Z) : NAN;
    }
    return LT_OK;
}
