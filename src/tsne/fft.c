/* Repulsion by FFT-accelerated interpolation (after Linderman et al.,
 * Nature Methods 16, 2019, FIt-SNE) with an exact near field.
 *
 * For every own point i we need Z_i = sum_{j != i} w_ij and the repulsive
 * force F_i = sum_j w_ij^2 (y_i - y_j), w = 1 / (1 + r^2).
 *
 * Split: each kernel K is cut by a smooth taper S(r) (1 below R1, 0 beyond
 * R2): K S (short range) is summed exactly over the pairs closer than R2,
 * found in a cell list of all positions; K (1 - S) is smooth and is
 * interpolated on an equispaced grid (p Lagrange nodes per box and
 * dimension, spacing s). Plain FIt-SNE (no split) interpolates the peaked
 * kernel itself and needs a grid three times finer for a 1 % error in Z;
 * measured in docs/tsne.md.
 *
 * Grid: one charge per point (1) spread on its box's p x p nodes; three
 * kernels (w, w^2 dx, w^2 dy; each times 1 - S) applied to the node charges
 * as circular convolutions by FFTW (one forward, three inverse transforms;
 * the kernels' spectra are kept while the grid's size and spacing stay).
 * The spacing is s = s_max, or finer while the embedding is small so that
 * it spans at least min_nodes nodes (then the near field shrinks with it).
 *
 * Reproducibility: each rank spreads its own points and the grids are
 * summed as int64 fixed-point numbers (every contribution rounded on its
 * own); everything else is replicated or per point in a fixed order. */
#include "tsne_internal.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXP 8
#define NK 3 /* kernels: Z, F_x, F_y */

struct tsne_fft {
    lt_tsne_fft_opts o;
    /* grid of the last call */
    int64_t B, n1, M, level; /* boxes, nodes per dimension, FFT side, spacing level */
    double s, r1, r2;        /* node spacing, taper radii */
    int64_t cap_nodes, cap_M;
    int64_t *qi;             /* n1 x n1 fixed-point charges */
    double *grid;            /* M x M real charges, then NK potentials */
    fftw_complex *cspec;     /* M x (M/2 + 1) charge spectrum */
    fftw_complex *kspec;     /* NK x M x (M/2 + 1) kernel spectra */
    double *pot;             /* NK x M x M potentials */
    fftw_plan fwd, bwd, kfwd;
    int64_t plan_M;               /* side the plans are for (-1: none) */
    int64_t kspec_M, kspec_level; /* what kspec holds (-1: nothing) */
    double kspec_r2;
    double tau[MAXP], denom[MAXP];
    tsne_near near;          /* cell list of all points */
    int64_t cap_n;
    int64_t *first;          /* per own point: its first node */
    double *wbuf;            /* 2 p per point: Lagrange weights */
};

void tsne_fft_destroy(tsne_fft **f)
{
    if (!f || !*f) return;
    tsne_fft *g = *f;
    if (g->fwd) fftw_destroy_plan(g->fwd);
    if (g->bwd) fftw_destroy_plan(g->bwd);
    if (g->kfwd) fftw_destroy_plan(g->kfwd);
    fftw_free(g->grid), fftw_free(g->cspec), fftw_free(g->kspec), fftw_free(g->pot);
    free(g->qi), free(g->wbuf), free(g->first);
    tsne_near_free(&g->near);
    free(g);
    *f = NULL;
}

lt_status tsne_fft_create(const lt_tsne_fft_opts *o, tsne_fft **out)
{
    *out = NULL;
    LT_CHECK(o->nodes >= 2 && o->nodes <= MAXP, LT_ERR_ARG,
             "t-SNE FFT: %d interpolation nodes (2..%d)", o->nodes, MAXP);
    LT_CHECK(o->spacing > 0 && o->min_nodes >= 2 && o->near_radius >= 0, LT_ERR_ARG,
             "t-SNE FFT: spacing > 0, min_nodes >= 2, near_radius >= 0");
    tsne_fft *f = lt_calloc(1, sizeof *f);
    if (!f) return LT_ERR_MEM;
    f->o = *o;
    int p = o->nodes;
    for (int t = 0; t < p; t++) f->tau[t] = (t + 0.5) / p;
    for (int t = 0; t < p; t++) {
        f->denom[t] = 1;
        for (int k = 0; k < p; k++)
            if (k != t) f->denom[t] *= f->tau[t] - f->tau[k];
    }
    f->kspec_M = f->plan_M = -1;
    *out = f;
    return LT_OK;
}

/* Smallest m >= x with only the factors 2, 3, 5 and 7. */
static int64_t fft_friendly(int64_t x)
{
    static const int fac[] = {2, 3, 5, 7};
    for (int64_t m = x;; m++) {
        int64_t r = m;
        for (int q = 0; q < 4; q++)
            while (r % fac[q] == 0) r /= fac[q];
        if (r == 1) return m;
    }
}

/* Spacing s = s_max 2^(-level/4), level the smallest >= 0 with L / s >=
 * min_nodes; boxes of p nodes cover the square of side L. Near field up to
 * R2 = near_radius, or L / 8 for a small embedding (else every pair would
 * be near); the taper starts at R2 / 3. Measured in docs/tsne.md. */
static void choose_grid(tsne_fft *f, double L)
{
    int p = f->o.nodes;
    int64_t level = 0;
    double s = f->o.spacing;
    while (L / s < (double)f->o.min_nodes && level < 400) s = f->o.spacing * exp2(-++level / 4.0);
    f->level = level, f->s = s;
    f->B = (int64_t)ceil(L / (p * s));
    if (f->B < 1) f->B = 1;
    f->n1 = p * f->B;
    f->M = fft_friendly(2 * f->n1);
    f->r2 = fmin(f->o.near_radius, L / 8.0);
    f->r1 = f->r2 / 3.0;
    if (f->o.near_radius <= 0) f->r1 = f->r2 = 0;
}

static lt_status grid_alloc(tsne_fft *f)
{
    int64_t nodes = f->n1 * f->n1, M = f->M;
    if (nodes > f->cap_nodes) {
        free(f->qi);
        f->qi = lt_malloc(sizeof(int64_t) * (size_t)nodes);
        if (!f->qi) return (f->cap_nodes = 0), LT_ERR_MEM;
        f->cap_nodes = nodes;
    }
    if (M > f->cap_M) {
        /* The plans refer to the arrays: made again for the new ones. */
        if (f->fwd) fftw_destroy_plan(f->fwd), f->fwd = NULL;
        if (f->bwd) fftw_destroy_plan(f->bwd), f->bwd = NULL;
        if (f->kfwd) fftw_destroy_plan(f->kfwd), f->kfwd = NULL;
        f->plan_M = -1;
        fftw_free(f->grid), fftw_free(f->cspec), fftw_free(f->kspec), fftw_free(f->pot);
        size_t mm = (size_t)(M * M), mc = (size_t)(M * (M / 2 + 1));
        f->grid = fftw_malloc(sizeof(double) * mm);
        f->cspec = fftw_malloc(sizeof(fftw_complex) * NK * mc);
        f->kspec = fftw_malloc(sizeof(fftw_complex) * NK * mc);
        f->pot = fftw_malloc(sizeof(double) * NK * mm);
        f->kspec_M = -1;
        if (!f->grid || !f->cspec || !f->kspec || !f->pot) {
            f->cap_M = 0;
            LT_FAIL(LT_ERR_MEM, "t-SNE FFT: no memory for a %lld^2 grid", (long long)M);
        }
        f->cap_M = M;
    }
    return LT_OK;
}

/* FFTW plans for side M (kept while M stays). */
static lt_status plans(tsne_fft *f)
{
    if (f->plan_M == f->M) return LT_OK;
    if (f->fwd) fftw_destroy_plan(f->fwd);
    if (f->bwd) fftw_destroy_plan(f->bwd);
    if (f->kfwd) fftw_destroy_plan(f->kfwd);
    int M = (int)f->M, n[2] = {M, M}, mm = M * M, mc = M * (M / 2 + 1);
    f->fwd = fftw_plan_dft_r2c_2d(M, M, f->grid, f->cspec, FFTW_ESTIMATE);
    f->bwd = fftw_plan_many_dft_c2r(2, n, NK, f->cspec, NULL, 1, mc, f->pot, NULL, 1, mm,
                                    FFTW_ESTIMATE);
    f->kfwd = fftw_plan_many_dft_r2c(2, n, NK, f->pot, NULL, 1, mm, f->kspec, NULL, 1, mc,
                                     FFTW_ESTIMATE);
    LT_CHECK(f->fwd && f->bwd && f->kfwd, LT_ERR_LIB, "FFTW could not plan a %d^2 transform", M);
    f->plan_M = f->M;
    f->kspec_M = -1;
    return LT_OK;
}

/* Spectra of the three far kernels between nodes, embedded circularly
 * (offsets -n1 < a < n1 at a mod M), scaled by 1 / M^2 for the inverse. */
static void kernel_spectra(tsne_fft *f)
{
    if (f->kspec_M == f->M && f->kspec_level == f->level && f->kspec_r2 == f->r2) return;
    int64_t M = f->M, n1 = f->n1, mm = M * M;
    memset(f->pot, 0, sizeof(double) * (size_t)(NK * mm));
    double s = f->s, norm = 1.0 / (double)mm;
    for (int64_t a = -(n1 - 1); a < n1; a++)
        for (int64_t b = -(n1 - 1); b < n1; b++) {
            double dx = s * (double)a, dy = s * (double)b, r2 = dx * dx + dy * dy;
            double w = 1.0 / (1.0 + r2), g = tsne_far_weight(f->r1, f->r2, r2) * norm;
            int64_t e = ((a + M) % M) * M + (b + M) % M;
            f->pot[e] = w * g;
            f->pot[mm + e] = w * w * dx * g;
            f->pot[2 * mm + e] = w * w * dy * g;
        }
    fftw_execute(f->kfwd);
    f->kspec_M = M, f->kspec_level = f->level, f->kspec_r2 = f->r2;
}

static void lagrange(const tsne_fft *f, double u, double *w)
{
    for (int t = 0; t < f->o.nodes; t++) {
        double v = 1;
        for (int k = 0; k < f->o.nodes; k++)
            if (k != t) v *= u - f->tau[k];
        w[t] = v / f->denom[t];
    }
}

/* Box index and weights of a point; returns the index of its first node. */
static int64_t locate(const tsne_fft *f, const double *y, double lo, double *wx, double *wy)
{
    double h = f->o.nodes * f->s;
    int64_t bx[2];
    for (int t = 0; t < 2; t++) {
        double u = (y[t] - lo) / h;
        int64_t b = (int64_t)u;
        if (b >= f->B) b = f->B - 1;
        if (b < 0) b = 0;
        bx[t] = b;
        lagrange(f, u - (double)b, t ? wy : wx);
    }
    return bx[0] * f->o.nodes * f->n1 + bx[1] * f->o.nodes;
}

static lt_status points_alloc(tsne_fft *f, int64_t nloc)
{
    if (nloc <= f->cap_n) return LT_OK;
    free(f->wbuf), free(f->first);
    f->wbuf = lt_malloc(sizeof(double) * (size_t)(nloc + 1) * 2 * MAXP);
    f->first = lt_malloc(sizeof(int64_t) * (size_t)(nloc + 1));
    if (!f->wbuf || !f->first) return (f->cap_n = 0), LT_ERR_MEM;
    f->cap_n = nloc;
    return LT_OK;
}

lt_status tsne_fft_repulsion(lt_comm *c, tsne_fft *f, int64_t n, const double *yall, int64_t row0,
                             int64_t nloc, double *zrow, double *rep, tsne_fft_stats *stats)
{
    /* Bounding square of all points (every rank holds all positions). */
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t j = 0; j < 2 * n; j++) lo = fmin(lo, yall[j]), hi = fmax(hi, yall[j]);
    double L = hi - lo;
    if (!(L > 0)) L = 1e-12;
    choose_grid(f, L);
    lt_status st = grid_alloc(f);
    if (st == LT_OK) st = points_alloc(f, nloc);
    if (st == LT_OK && f->r2 > 0) {
        /* The cell list may shrink R2 where the embedding is dense. */
        st = tsne_near_build(&f->near, yall, n, lo, L, f->r2);
        f->r2 = f->near.r2, f->r1 = f->near.r1;
    }
    if (st == LT_OK) st = plans(f);
    LT_CALL(lt_comm_agree(c, st));
    if (stats) stats->grid_side = f->M, stats->near_radius = f->r2, stats->spacing = f->s;
    int p = f->o.nodes;
    int64_t n1 = f->n1, M = f->M, nodes = n1 * n1, mm = M * M, mc = M * (M / 2 + 1);

    /* Spread the own points' unit charges; fixed point, summed exactly. */
    double wmax = 1.0;
    for (int e = 0; e <= 64; e++) {
        double w[MAXP];
        lagrange(f, e / 64.0, w);
        for (int t = 0; t < p; t++) wmax = fmax(wmax, fabs(w[t]));
    }
    int ex;
    frexp((double)n * wmax * wmax * 1.01, &ex);
    double scale = ldexp(1.0, 61 - ex);
    memset(f->qi, 0, sizeof(int64_t) * (size_t)nodes);
    for (int64_t i = 0; i < nloc; i++) {
        double *wx = f->wbuf + 2 * p * i, *wy = wx + p;
        int64_t first = f->first[i] = locate(f, yall + 2 * (row0 + i), lo, wx, wy);
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++) f->qi[first + a * n1 + b] += llrint(wx[a] * wy[b] * scale);
    }
    LT_CALL(lt_comm_sum_i64(c, f->qi, nodes));

    /* Far field: one forward transform, three products, three inverse. */
    kernel_spectra(f);
    memset(f->grid, 0, sizeof(double) * (size_t)mm);
    for (int64_t a = 0; a < n1; a++)
        for (int64_t b = 0; b < n1; b++) f->grid[a * M + b] = (double)f->qi[a * n1 + b] / scale;
    fftw_execute(f->fwd);
    for (int k = NK - 1; k >= 0; k--)
        for (int64_t e = 0; e < mc; e++) {
            double ar = f->cspec[e][0], ai = f->cspec[e][1];
            double br = f->kspec[k * mc + e][0], bi = f->kspec[k * mc + e][1];
            f->cspec[k * mc + e][0] = ar * br - ai * bi;
            f->cspec[k * mc + e][1] = ar * bi + ai * br;
        }
    fftw_execute(f->bwd);
    for (int64_t i = 0; i < nloc; i++) {
        const double *wx = f->wbuf + 2 * p * i, *wy = wx + p;
        double acc[NK] = {0, 0, 0};
        int64_t r0 = f->first[i] / n1, c0 = f->first[i] % n1;
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++) {
                double w = wx[a] * wy[b];
                int64_t g = (r0 + a) * M + c0 + b;
                for (int k = 0; k < NK; k++) acc[k] += w * f->pot[k * mm + g];
            }
        zrow[i] = acc[0], rep[2 * i] = acc[1], rep[2 * i + 1] = acc[2];
    }

    /* Near field, exact, per point in a fixed order. */
    if (f->r2 > 0) {
        for (int64_t i = 0; i < nloc; i++) {
            const double *y = yall + 2 * (row0 + i);
            tsne_near_point(&f->near, y[0], y[1], &zrow[i], &rep[2 * i], &rep[2 * i + 1]);
        }
    } else {
        /* No split: the interpolated kernel included the point itself. */
        for (int64_t i = 0; i < nloc; i++) zrow[i] -= 1.0;
    }
    return LT_OK;
}
