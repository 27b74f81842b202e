/* Private to src/tsne. */
#ifndef LT_TSNE_INTERNAL_H
#define LT_TSNE_INTERNAL_H

#include "latent/lt_tsne.h"

/* A squared distance as scikit-learn hands it to the bandwidth search:
 * rounded to float32. */
double lt_tsne_sklearn_sqdist(double d2);

/* FFT-accelerated repulsion (fft.c). */
typedef struct tsne_fft tsne_fft;
lt_status tsne_fft_create(int nodes, int64_t min_boxes, double box_width, tsne_fft **out);
void tsne_fft_destroy(tsne_fft **f);
/* Collective. For the nloc local points y (x 2) of n in all: phi (nloc x 4)
 * = sum_j K(y_i, y_j) q_j with K = 1 / (1 + r^2)^2 and q = (1, u_x, u_y,
 * |u|^2), u = y - centre (centre returned). j = i included. *grid_side: the
 * FFT side used. */
lt_status tsne_fft_potentials(lt_comm *c, tsne_fft *f, int64_t n, const double *y, int64_t nloc,
                              double *phi, double centre[2], int64_t *grid_side);

#endif
