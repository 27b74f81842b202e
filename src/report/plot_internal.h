/* Private helpers of the figure code (src/report/plot_*.c). */
#ifndef LT_PLOT_INTERNAL_H
#define LT_PLOT_INTERNAL_H

#include <plplot/plplot.h>
#include "latent/lt_plot.h"

/* cmap0 layout set by lt_plot_begin. */
enum {
    LT_PLOT_COL_BG = 0,
    LT_PLOT_COL_FG,
    LT_PLOT_COL_GRID,
    LT_PLOT_COL_WHITE,
    LT_PLOT_COL_LABEL0,
    LT_PLOT_NLABEL_COLORS = 40
};

/* Opens a PLplot stream on `path` (w x h unless the options say otherwise);
 * *chr receives the base character height in mm. */
lt_status lt_plot_begin(const char *path, const lt_plot_opts *o, int w, int h, double *chr);
/* Closes the stream and checks the file was written. */
lt_status lt_plot_end(const char *path);
int lt_plot_label_color(int64_t label);
/* The opaque RGB of a label's color (tests read figures back with it). */
void lt_plot_label_rgb(int64_t label, unsigned char rgb[3]);
/* Transparency of the label colors (points drawn over each other). */
void lt_plot_set_alpha(double alpha);
void lt_plot_axes(const char *xopt, const char *yopt);
void lt_plot_grid(int logx, int logy);
void lt_plot_padded_window(double xmin, double xmax, double ymin, double ymax);
/* Figure title at the top of the page (changes the viewport). */
void lt_plot_title(const char *title, double chr);

/* Log y axes with few decades: grid lines and labels at 1-2-5 values.
 * Call after the window is set; use lt_plot_logy_axis_opt for plbox. */
void lt_plot_logy_grid(int logx);
const char *lt_plot_logy_axis_opt(void);
void lt_plot_logy_labels(void);

#endif
