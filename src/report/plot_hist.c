/* Overlaid histograms: translucent fills under step outlines. */
#include "plot_internal.h"

#include <math.h>
#include <stdlib.h>

#define MAXH 16

static double edge(const lt_hist *h, int i, int logx)
{
    double t = (double)i / h->nbins;
    if (h->log_bins) {
        double e = exp(log(h->lo) + t * (log(h->hi) - log(h->lo)));
        return logx ? log10(e) : e;
    }
    double e = h->lo + t * (h->hi - h->lo);
    return logx ? (e > 0 ? log10(e) : NAN) : e;
}

static double height(const lt_hist *h, int i, int counts, int logy, double floor_)
{
    double v = counts ? (double)h->counts[i] : h->n ? 100.0 * (double)h->counts[i] / (double)h->n : 0.0;
    if (!logy) return v;
    return v > 0 ? log10(v) : floor_;
}

/* Window: x over all edges, y from 0 (or the smallest positive on log) up. */
static void bounds(const lt_hist *const *h, int nh, int counts, int logx, int logy, double b[4])
{
    b[0] = b[2] = INFINITY;
    b[1] = b[3] = -INFINITY;
    for (int k = 0; k < nh; k++) {
        b[0] = fmin(b[0], edge(h[k], 0, logx));
        b[1] = fmax(b[1], edge(h[k], h[k]->nbins, logx));
        for (int i = 0; i < h[k]->nbins; i++) {
            double v = height(h[k], i, counts, 0, 0);
            if (v > 0) b[2] = fmin(b[2], v), b[3] = fmax(b[3], v);
        }
    }
    if (!isfinite(b[0]) || !isfinite(b[1])) b[0] = 0, b[1] = 1;
    if (!isfinite(b[3])) b[2] = 0.1, b[3] = 1;
    if (logy) b[2] = floor(log10(b[2])), b[3] = log10(b[3]) + 0.1 + 0.2 * (log10(b[3]) - b[2]);
    else b[2] = 0, b[3] *= 1.25; /* headroom for the legend */
}

static void draw_hist(const lt_hist *h, int col, int counts, int logx, int logy, double y0,
                      double *px, double *py)
{
    int m = 0;
    px[m] = edge(h, 0, logx), py[m++] = y0;
    for (int i = 0; i < h->nbins; i++) {
        double y = height(h, i, counts, logy, y0);
        px[m] = edge(h, i, logx), py[m++] = y;
        px[m] = edge(h, i + 1, logx), py[m++] = y;
    }
    px[m] = edge(h, h->nbins, logx), py[m++] = y0;
    lt_plot_set_alpha(0.22);
    plcol0(col);
    plfill(m, px, py);
    lt_plot_set_alpha(1.0);
    plcol0(col);
    plwidth(2.2);
    plline(m, px, py);
    plwidth(1.0);
}

static void legend_fill(int nh, const char *const *names)
{
    PLINT opt[MAXH], col[MAXH], tcol[MAXH], lst[MAXH], pat[MAXH];
    PLFLT lw[MAXH], bsc[MAXH], blw[MAXH];
    const char *text[MAXH];
    for (int i = 0; i < nh; i++) {
        opt[i] = PL_LEGEND_LINE;
        col[i] = lt_plot_label_color(i);
        tcol[i] = LT_PLOT_COL_FG;
        lst[i] = 1, pat[i] = 0;
        lw[i] = 4.0, bsc[i] = 0.8, blw[i] = 1.0;
        text[i] = names && names[i] ? names[i] : "";
    }
    PLFLT w, h;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE, 0.02, 0.02, 0.08,
             LT_PLOT_COL_BG, LT_PLOT_COL_GRID, 1, 0, 0, nh, opt, 1.0, 1.0, 2.0, 0.0, tcol, text,
             col, pat, bsc, blw, col, lst, lw, NULL, NULL, NULL, NULL);
}

lt_status lt_plot_histograms(const char *path, const lt_plot_opts *o, const char *title,
                             const char *xlabel, const lt_hist *const *h,
                             const char *const *names, int nh, int counts, int logy)
{
    LT_CHECK(h && nh >= 1 && nh <= MAXH, LT_ERR_ARG, "histogram plot: 1 to %d histograms", MAXH);
    int nbmax = 1;
    for (int k = 0; k < nh; k++) {
        LT_CHECK(h[k] && h[k]->nbins >= 1 && h[k]->counts && h[k]->lo < h[k]->hi, LT_ERR_ARG,
                 "histogram %d is empty or invalid", k);
        nbmax = h[k]->nbins > nbmax ? h[k]->nbins : nbmax;
    }
    int logx = h[0]->log_bins;
    for (int k = 0; k < nh; k++)
        LT_CHECK(!logx || h[k]->lo > 0, LT_ERR_ARG, "log x axis needs positive histogram ranges");
    double *px = lt_malloc(sizeof *px * (size_t)(2 * nbmax + 2));
    double *py = lt_malloc(sizeof *py * (size_t)(2 * nbmax + 2));
    double chr, b[4];
    lt_status st = px && py ? lt_plot_begin(path, o, 1100, 760, &chr) : LT_ERR_MEM;
    if (st == LT_OK) {
        bounds(h, nh, counts, logx, logy, b);
        plvpor(0.11, 0.96, 0.12, 0.88);
        plwind(b[0], b[1], b[2], b[3]);
        if (logy) lt_plot_logy_grid(logx);
        else lt_plot_grid(logx, 0);
        for (int k = 0; k < nh; k++)
            draw_hist(h[k], lt_plot_label_color(k), counts, logx, logy, b[2], px, py);
        lt_plot_axes(logx ? "bcnstl" : "bcnst", logy ? lt_plot_logy_axis_opt() : "bcnstv");
        if (logy) lt_plot_logy_labels();
        const char *yl = counts ? "rows per bin" : "% of rows per bin";
        pllab(xlabel ? xlabel : "", logy ? (counts ? "rows per bin (log scale)"
                                                   : "% of rows per bin (log scale)")
                                         : yl,
              "");
        legend_fill(nh, names);
        lt_plot_title(title, chr);
        st = lt_plot_end(path);
    }
    free(px);
    free(py);
    return st;
}
