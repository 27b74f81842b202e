/* Private to src/tsne. */
#ifndef LT_TSNE_INTERNAL_H
#define LT_TSNE_INTERNAL_H

#include "latent/lt_tsne.h"

/* A squared distance as scikit-learn hands it to the bandwidth search:
 * rounded to float32. */
double lt_tsne_sklearn_sqdist(double d2);
/* The exact squared distance of two float rows, summed in double in column
 * order (knn.c; the neighbour search and the quality measures share it). */
double lt_tsne_exact_d2(const float *a, const float *b, int64_t d);

/* Near field of the FFT repulsion (near.c): all positions binned. */
typedef struct tsne_near {
    int64_t cap_n, cap_cells, nc;
    int64_t *cell_of, *start, *cnt;
    double *px, *py; /* positions in cell order (+ 8 far-away pads) */
    double lo, side, r1, r2;
} tsne_near;
/* Bins the n positions yall (n x 2) of the square [lo, lo + L)^2 for a
 * radius of at most r2_max (smaller where dense; nr->r2 says which). */
lt_status tsne_near_build(tsne_near *nr, const double *yall, int64_t n, double lo, double L,
                          double r2_max);
/* Adds the near sums of the point (yx, yy), itself excluded. */
void tsne_near_point(const tsne_near *nr, double yx, double yy, double *z, double *fx, double *fy);
void tsne_near_free(tsne_near *nr);
/* 1 - S at squared distance d2: the far part of a kernel (0 below r1, 1 beyond r2). */
double tsne_far_weight(double r1, double r2, double d2);

typedef struct tsne_fft_stats {
    int64_t grid_side;
    double near_radius, spacing;
} tsne_fft_stats;

/* FFT-accelerated repulsion (fft.c). */
typedef struct tsne_fft tsne_fft;
lt_status tsne_fft_create(const lt_tsne_fft_opts *o, tsne_fft **out);
void tsne_fft_destroy(tsne_fft **f);
/* Collective. yall: all n positions (n x 2, by global row), the same on
 * every rank. For the own rows [row0, row0 + nloc): zrow = sum_{j != i}
 * w_ij and rep (x 2) = sum_j w_ij^2 (y_i - y_j). stats (may be NULL): the
 * grid used. */
lt_status tsne_fft_repulsion(lt_comm *c, tsne_fft *f, int64_t n, const double *yall, int64_t row0,
                             int64_t nloc, double *zrow, double *rep, tsne_fft_stats *stats);

#endif
