/* Repulsive potentials by FFT-accelerated interpolation (Linderman et al.,
 * Nature Methods 16, 2019; FIt-SNE's nbodyfft.cpp, 2-D case).
 *
 * The embedding's bounding square is cut into B x B boxes with p equispaced
 * interpolation nodes per box and dimension, so the nodes form one
 * equispaced (pB) x (pB) grid. Each point spreads four charges
 * (1, y_x, y_y, |y|^2, coordinates relative to the square's centre) onto the
 * p x p nodes of its box with Lagrange weights; the squared Cauchy kernel
 * 1 / (1 + r^2)^2 is applied between all pairs of nodes as a circular
 * convolution of size (2pB)^2 by FFTW; each point then interpolates the
 * four potentials back from its nodes.
 *
 * Reproducibility: every rank spreads its own points, the grids are summed
 * over ranks as int64 fixed-point numbers (each contribution rounded on its
 * own, then exact integer sums), so the summed grid, and every rank's
 * replicated FFT of it, does not depend on how points are split. */
#include "tsne_internal.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NTERMS 4
#define MAXP 8

struct tsne_fft {
    int p;              /* interpolation nodes per box and dimension */
    int64_t min_boxes;  /* at least this many boxes per dimension */
    double box_width;   /* target width of a box in embedding units */
    int64_t B, M;       /* boxes per dimension; FFT side 2 p B */
    int64_t cap_nodes;  /* allocated (pB)^2 */
    int64_t cap_M;      /* allocated M */
    int64_t *qi;        /* NTERMS x (pB)^2 fixed-point charges */
    double *grid;       /* NTERMS x M x M real (charges in, potentials out) */
    fftw_complex *spec; /* NTERMS x M x (M/2 + 1) */
    double *kreal;      /* M x M kernel */
    fftw_complex *kspec;/* M x (M/2 + 1) */
    fftw_plan fwd, bwd, kfwd;
    double tau[MAXP], denom[MAXP]; /* box-local node positions, Lagrange denominators */
    /* per-point workspace (nloc) */
    int64_t cap_pts;
    int64_t *box;       /* node index of the point's lowest node */
    double *wx, *wy;    /* nloc x p Lagrange weights */
    double last_lo, last_hi;
};

void tsne_fft_destroy(tsne_fft **f)
{
    if (!f || !*f) return;
    tsne_fft *g = *f;
    if (g->fwd) fftw_destroy_plan(g->fwd);
    if (g->bwd) fftw_destroy_plan(g->bwd);
    if (g->kfwd) fftw_destroy_plan(g->kfwd);
    fftw_free(g->grid), fftw_free(g->spec), fftw_free(g->kreal), fftw_free(g->kspec);
    free(g->qi), free(g->box), free(g->wx), free(g->wy), free(g);
    *f = NULL;
}

lt_status tsne_fft_create(int p, int64_t min_boxes, double box_width, tsne_fft **out)
{
    *out = NULL;
    LT_CHECK(p >= 2 && p <= MAXP, LT_ERR_ARG, "t-SNE FFT: %d interpolation nodes (2..%d)", p, MAXP);
    LT_CHECK(min_boxes >= 1 && box_width > 0, LT_ERR_ARG, "t-SNE FFT: bad grid options");
    tsne_fft *f = lt_calloc(1, sizeof *f);
    if (!f) return LT_ERR_MEM;
    f->p = p, f->min_boxes = min_boxes, f->box_width = box_width;
    for (int t = 0; t < p; t++) f->tau[t] = (t + 0.5) / p;
    for (int t = 0; t < p; t++) {
        f->denom[t] = 1;
        for (int k = 0; k < p; k++)
            if (k != t) f->denom[t] *= f->tau[t] - f->tau[k];
    }
    *out = f;
    return LT_OK;
}

/* Smallest m >= x with only the factors 2, 3, 5 and 7. */
static int64_t fft_friendly(int64_t x)
{
    for (int64_t m = x;; m++) {
        int64_t r = m;
        static const int fac[] = {2, 3, 5, 7};
        for (int q = 0; q < 4; q++)
            while (r % fac[q] == 0) r /= fac[q];
        if (r == 1) return m;
    }
}

/* Grid of B boxes per dimension: arrays and FFTW plans (re)made when B grows
 * beyond what is allocated, plans kept otherwise. */
static lt_status grid_setup(tsne_fft *f, int64_t B)
{
    int64_t M = 2 * f->p * B;
    f->B = B;
    if (M == f->M && f->fwd) return LT_OK;
    if (f->fwd) fftw_destroy_plan(f->fwd), f->fwd = NULL;
    if (f->bwd) fftw_destroy_plan(f->bwd), f->bwd = NULL;
    if (f->kfwd) fftw_destroy_plan(f->kfwd), f->kfwd = NULL;
    f->M = M;
    int64_t nodes = (f->p * B) * (f->p * B);
    if (nodes > f->cap_nodes) {
        free(f->qi);
        f->qi = lt_malloc(sizeof(int64_t) * (size_t)(NTERMS * nodes));
        if (!f->qi) return LT_ERR_MEM;
        f->cap_nodes = nodes;
    }
    if (M > f->cap_M) {
        fftw_free(f->grid), fftw_free(f->spec), fftw_free(f->kreal), fftw_free(f->kspec);
        size_t mm = (size_t)(M * M), mc = (size_t)(M * (M / 2 + 1));
        f->grid = fftw_malloc(sizeof(double) * NTERMS * mm);
        f->spec = fftw_malloc(sizeof(fftw_complex) * NTERMS * mc);
        f->kreal = fftw_malloc(sizeof(double) * mm);
        f->kspec = fftw_malloc(sizeof(fftw_complex) * mc);
        if (!f->grid || !f->spec || !f->kreal || !f->kspec) {
            f->cap_M = 0;
            LT_FAIL(LT_ERR_MEM, "t-SNE FFT: no memory for a %lld^2 grid", (long long)M);
        }
        f->cap_M = M;
    }
    int n[2] = {(int)M, (int)M};
    int mc = (int)(M * (M / 2 + 1)), mm = (int)(M * M);
    f->fwd = fftw_plan_many_dft_r2c(2, n, NTERMS, f->grid, NULL, 1, mm, f->spec, NULL, 1, mc,
                                    FFTW_ESTIMATE);
    f->bwd = fftw_plan_many_dft_c2r(2, n, NTERMS, f->spec, NULL, 1, mc, f->grid, NULL, 1, mm,
                                    FFTW_ESTIMATE);
    f->kfwd = fftw_plan_dft_r2c_2d((int)M, (int)M, f->kreal, f->kspec, FFTW_ESTIMATE);
    LT_CHECK(f->fwd && f->bwd && f->kfwd, LT_ERR_LIB, "FFTW could not plan a %lld^2 transform",
             (long long)M);
    return LT_OK;
}

/* Spectrum of the squared Cauchy kernel between nodes spaced s apart,
 * embedded in a circulant of side M = 2 n1 (offsets -n1 < a < n1). */
static void kernel_spectrum(tsne_fft *f, double s)
{
    int64_t M = f->M, n1 = M / 2;
    memset(f->kreal, 0, sizeof(double) * (size_t)(M * M));
    for (int64_t a = -(n1 - 1); a < n1; a++)
        for (int64_t b = -(n1 - 1); b < n1; b++) {
            double r2 = s * s * (double)(a * a + b * b), w = 1.0 / (1.0 + r2);
            f->kreal[((a + M) % M) * M + (b + M) % M] = w * w;
        }
    fftw_execute(f->kfwd);
}

static lt_status points_setup(tsne_fft *f, int64_t nloc)
{
    if (nloc <= f->cap_pts) return LT_OK;
    free(f->box), free(f->wx), free(f->wy);
    f->box = lt_malloc(sizeof(int64_t) * (size_t)(nloc + 1));
    f->wx = lt_malloc(sizeof(double) * (size_t)(nloc + 1) * (size_t)f->p);
    f->wy = lt_malloc(sizeof(double) * (size_t)(nloc + 1) * (size_t)f->p);
    if (!f->box || !f->wx || !f->wy) {
        f->cap_pts = 0;
        return LT_ERR_MEM;
    }
    f->cap_pts = nloc;
    return LT_OK;
}

static void lagrange(const tsne_fft *f, double u, double *w)
{
    for (int t = 0; t < f->p; t++) {
        double v = 1;
        for (int k = 0; k < f->p; k++)
            if (k != t) v *= u - f->tau[k];
        w[t] = v / f->denom[t];
    }
}

/* Largest |Lagrange weight| for u in [0, 1] (at the box edges). */
static double max_weight(const tsne_fft *f)
{
    double w[MAXP], mx = 0;
    for (int e = 0; e <= 100; e++) {
        lagrange(f, e / 100.0, w);
        for (int t = 0; t < f->p; t++) mx = fmax(mx, fabs(w[t]));
    }
    return mx * 1.01;
}

/* 2^e with N * bound * 2^e < 2^61: the fixed-point scale of a grid sum of
 * N terms each at most `bound` in magnitude. */
static double fixed_scale(int64_t N, double bound)
{
    int e;
    frexp((double)N * bound, &e); /* N bound < 2^e */
    return ldexp(1.0, 61 - e);
}

lt_status tsne_fft_potentials(lt_comm *c, tsne_fft *f, int64_t n, const double *y, int64_t nloc,
                              double *phi, double centre[2], int64_t *grid_side)
{
    /* Bounding square of all points: exact min/max reductions. */
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int64_t i = 0; i < nloc; i++)
        for (int t = 0; t < 2; t++) {
            lo[t] = fmin(lo[t], y[2 * i + t]);
            hi[t] = fmax(hi[t], y[2 * i + t]);
        }
    double mm[2] = {-fmin(lo[0], lo[1]), fmax(hi[0], hi[1])};
    LT_CALL(lt_comm_max_d(c, mm, 2));
    double ymin = -mm[0], ymax = mm[1];
    double L = ymax - ymin;
    if (!(L > 0)) L = 1e-300; /* all points at one place */
    int64_t B = (int64_t)ceil(L / f->box_width);
    if (B < f->min_boxes) B = f->min_boxes;
    while (fft_friendly(2 * f->p * B) != 2 * f->p * B) B++;
    lt_status st = grid_setup(f, B);
    if (st == LT_OK) st = points_setup(f, nloc);
    LT_CALL(lt_comm_agree(c, st));
    if (grid_side) *grid_side = f->M;
    int p = f->p;
    int64_t n1 = p * B, M = f->M, nodes = n1 * n1;
    double h = L / (double)B;
    centre[0] = centre[1] = 0.5 * (ymin + ymax);
    double half = 0.5 * L;

    /* Per-point box and weights. */
    for (int64_t i = 0; i < nloc; i++) {
        int64_t bx[2];
        for (int t = 0; t < 2; t++) {
            double u = (y[2 * i + t] - ymin) / h;
            int64_t b = (int64_t)u;
            if (b >= B) b = B - 1;
            if (b < 0) b = 0;
            bx[t] = b;
            lagrange(f, u - (double)b, (t == 0 ? f->wx : f->wy) + i * p);
        }
        f->box[i] = (bx[0] * p) * n1 + bx[1] * p;
    }

    /* Spread: fixed-point charges, one scale per term. */
    double W = max_weight(f), W2 = W * W;
    double sc[NTERMS] = {fixed_scale(n, W2), fixed_scale(n, W2 * half),
                         fixed_scale(n, W2 * half), fixed_scale(n, W2 * 2 * half * half)};
    memset(f->qi, 0, sizeof(int64_t) * (size_t)(NTERMS * nodes));
    for (int64_t i = 0; i < nloc; i++) {
        double ux = y[2 * i] - centre[0], uy = y[2 * i + 1] - centre[1];
        double q[NTERMS] = {1.0, ux, uy, ux * ux + uy * uy};
        const double *wx = f->wx + i * p, *wy = f->wy + i * p;
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++) {
                int64_t node = f->box[i] + a * n1 + b;
                double w = wx[a] * wy[b];
                for (int t = 0; t < NTERMS; t++)
                    f->qi[t * nodes + node] += llrint(w * q[t] * sc[t]);
            }
    }
    LT_CALL(lt_comm_sum_i64(c, f->qi, NTERMS * nodes));

    /* Convolution on the replicated grid (zero padded to M x M). */
    memset(f->grid, 0, sizeof(double) * (size_t)(NTERMS * M * M));
    for (int t = 0; t < NTERMS; t++)
        for (int64_t a = 0; a < n1; a++)
            for (int64_t b = 0; b < n1; b++)
                f->grid[t * M * M + a * M + b] = (double)f->qi[t * nodes + a * n1 + b] / sc[t];
    kernel_spectrum(f, h / p);
    fftw_execute(f->fwd);
    int64_t mc = M * (M / 2 + 1);
    double norm = 1.0 / (double)(M * M);
    for (int t = 0; t < NTERMS; t++)
        for (int64_t e = 0; e < mc; e++) {
            double ar = f->spec[t * mc + e][0], ai = f->spec[t * mc + e][1];
            double br = f->kspec[e][0], bi = f->kspec[e][1];
            f->spec[t * mc + e][0] = (ar * br - ai * bi) * norm;
            f->spec[t * mc + e][1] = (ar * bi + ai * br) * norm;
        }
    fftw_execute(f->bwd);

    /* Gather the potentials at the points. */
    for (int64_t i = 0; i < nloc; i++) {
        const double *wx = f->wx + i * p, *wy = f->wy + i * p;
        int64_t r0 = f->box[i] / n1, c0 = f->box[i] % n1;
        double acc[NTERMS] = {0, 0, 0, 0};
        for (int a = 0; a < p; a++)
            for (int b = 0; b < p; b++) {
                double w = wx[a] * wy[b];
                int64_t g = (r0 + a) * M + c0 + b;
                for (int t = 0; t < NTERMS; t++) acc[t] += w * f->grid[t * M * M + g];
            }
        for (int t = 0; t < NTERMS; t++) phi[i * NTERMS + t] = acc[t];
    }
    f->last_lo = ymin, f->last_hi = ymax;
    return LT_OK;
}
