/* Figures (PLplot, cairo drivers) and the reductions that feed them.
 *
 * Figures are drawn by one rank from data it holds: a seeded subsample
 * gathered by lt_sample_rows, or histograms reduced by lt_histogram; never a
 * full gather. The lt_plot_* functions are NOT collective: call them on rank 0
 * only and agree their status (lt_comm_agree) on all ranks afterwards.
 * PLplot keeps global state: each call opens and closes its own stream. */
#ifndef LT_PLOT_H
#define LT_PLOT_H

#include <stdint.h>
#include "lt_comm.h"
#include "lt_dataset.h"
#include "lt_error.h"

/* ---- sampling and histograms (collective) -------------------------------- */

/* Collective. A seeded uniform sample of min(max_rows, n) rows, identical for
 * any rank count: each global row gets a key from lt_rng (seed,
 * LT_STREAM_SAMPLE, row); the rows with the smallest keys are kept (ties by
 * row index), found by a radix select over reduced histograms, and gathered
 * to rank 0 in increasing global row order (labels follow). On rank 0 *out
 * has n = nloc = the sample size and row0 = 0; on other ranks *out is NULL.
 * If `rows` is not NULL, rank 0 gets the sampled global row indices (free()
 * them; NULL elsewhere), so another dataset with the same rows (PCA scores
 * and codes) can be sampled identically by passing the same seed. */
lt_status lt_sample_rows(lt_comm *c, const lt_dataset *ds, int64_t max_rows, uint64_t seed,
                         lt_dataset **out, int64_t **rows);

typedef struct lt_hist {
    int nbins;
    int log_bins;        /* edges geometric between lo and hi */
    double lo, hi;
    int64_t *counts;     /* nbins */
    int64_t n;           /* values binned */
    int64_t below, above, nonfinite; /* values outside [lo, hi] or NaN/Inf */
} lt_hist;

/* Collective. Counts of the local values summed over ranks, on every rank.
 * Bins are [e_i, e_{i+1}), the last one closed (numpy.histogram). If
 * !(lo < hi) (e.g. both NaN) the range is the finite min/max over all ranks
 * (widened by 0.5 each side when constant, as numpy does). With log_bins the
 * edges are geometric; lo must then be > 0 (auto range uses the smallest
 * positive value; values <= 0 count as below). nbins in [1, 100000]. */
lt_status lt_histogram(lt_comm *c, const float *vals, int64_t nloc, int nbins, double lo,
                       double hi, int log_bins, lt_hist **out);
void lt_hist_destroy(lt_hist **h);
/* Finite min and max of the values over all ranks (NaN, NaN when there are
 * none). With positive_only, values <= 0 are skipped. Collective. */
lt_status lt_range_f(lt_comm *c, const float *vals, int64_t nloc, int positive_only, double *lo,
                     double *hi);

/* ---- figures (rank 0, not collective) ------------------------------------ */

typedef struct lt_plot_opts {
    const char *format;  /* "png" (pngcairo, default), "svg" (svgcairo), "pdf" (pdfcairo) */
    int width, height;   /* pixels (points for svg/pdf); 0 = the figure's default */
    double font_scale;   /* multiplies every text size; default 1 */
} lt_plot_opts;
void lt_plot_opts_default(lt_plot_opts *o);

/* One scatter panel: n points (x[i], y[i]) colored by label. */
typedef struct lt_scatter_panel {
    const char *title, *xlabel, *ylabel;
    int64_t n;
    const float *x, *y;       /* n each (may share an array with a stride trick) */
    int64_t stride;           /* distance between consecutive x (and y); 0 = 1 */
    const int32_t *labels;    /* n labels >= 0, or NULL: one color */
    const double *centers;    /* k x 2 cluster centers, or NULL */
    int k;
} lt_scatter_panel;

/* Panels side by side sharing one legend ("label 0", ... or label_names),
 * centers drawn as large black-rimmed crosses. label_names may be NULL or hold
 * one name per label value. Up to 40 distinct colors; labels beyond repeat
 * them. */
lt_status lt_plot_scatter(const char *path, const lt_plot_opts *o, const char *title,
                          const lt_scatter_panel *panels, int npanels,
                          const char *const *label_names, const char *legend_title);

/* One line of a line plot. y values <= 0 are skipped on a log axis, NaN
 * always. */
typedef struct lt_series {
    const char *name;
    const double *x;   /* NULL: 1, 2, ..., n (epochs) */
    const double *y;
    int64_t n;
    int dashed;
} lt_series;
lt_status lt_plot_lines(const char *path, const lt_plot_opts *o, const char *title,
                        const char *xlabel, const char *ylabel, const lt_series *s, int ns,
                        int logy);
/* Training (and validation, may be NULL) loss per epoch. */
lt_status lt_plot_loss(const char *path, const lt_plot_opts *o, const char *title,
                       const double *train, const double *val, int64_t epochs, int logy);

/* Overlaid histograms (all with the same binning is not required) as step
 * lines over translucent fills; y is the percentage of each histogram's values
 * per bin (so different n compare), or counts when `counts` is set. The x axis
 * is logarithmic when the first histogram has log_bins. */
lt_status lt_plot_histograms(const char *path, const lt_plot_opts *o, const char *title,
                             const char *xlabel, const lt_hist *const *h,
                             const char *const *names, int nh, int counts, int logy);

/* A grid of grayscale images: nrows rows of ncols images of h x w pixels
 * (row-major, values in [vmin, vmax], clamped). images[r] points to ncols*h*w
 * floats for row r. row_names label the rows at the left (may be NULL);
 * captions (may be NULL, or nrows*ncols strings, NULL entries skipped) go
 * under each image. */
lt_status lt_plot_images(const char *path, const lt_plot_opts *o, const char *title,
                         const float *const *images, int nrows, int ncols, int h, int w,
                         double vmin, double vmax, const char *const *row_names,
                         const char *const *captions);

#endif
