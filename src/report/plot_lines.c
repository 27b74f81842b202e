/* Line plots (loss curves) and overlaid histograms. */
#include "plot_internal.h"

#include <math.h>
#include <stdlib.h>

/* y as plotted: log10 on a log axis; NaN marks a point to skip. */
static double ty(double y, int logy)
{
    if (!isfinite(y) || (logy && y <= 0)) return NAN;
    return logy ? log10(y) : y;
}

static double sx(const lt_series *s, int64_t i) { return s->x ? s->x[i] : (double)(i + 1); }

static void series_bounds(const lt_series *s, int ns, int logy, double b[4])
{
    b[0] = b[2] = INFINITY;
    b[1] = b[3] = -INFINITY;
    for (int k = 0; k < ns; k++)
        for (int64_t i = 0; i < s[k].n; i++) {
            double x = sx(&s[k], i), y = ty(s[k].y[i], logy);
            if (!isfinite(x) || isnan(y)) continue;
            b[0] = fmin(b[0], x), b[1] = fmax(b[1], x), b[2] = fmin(b[2], y), b[3] = fmax(b[3], y);
        }
    if (!isfinite(b[0])) b[0] = 0, b[1] = 1, b[2] = 0, b[3] = 1;
}

/* Draws runs of consecutive finite points as polylines (NaN breaks a run). */
static void draw_series(const lt_series *s, int logy, double *bx, double *by)
{
    int m = 0;
    for (int64_t i = 0; i <= s->n; i++) {
        double y = i < s->n ? ty(s->y[i], logy) : NAN;
        if (!isnan(y)) {
            bx[m] = sx(s, i);
            by[m++] = y;
            continue;
        }
        if (m > 1) plline(m, bx, by);
        if (m == 1 || (m > 0 && s->n <= 60)) plpoin(m, bx, by, 17);
        m = 0;
    }
}

static void legend_lines(int ns, const char *const *names, const int *styles, int pos)
{
    enum { MAXL = 16 };
    PLINT opt[MAXL], col[MAXL], tcol[MAXL], lst[MAXL];
    PLFLT lw[MAXL];
    const char *text[MAXL];
    int n = ns < MAXL ? ns : MAXL;
    for (int i = 0; i < n; i++) {
        opt[i] = PL_LEGEND_LINE;
        col[i] = lt_plot_label_color(i);
        tcol[i] = LT_PLOT_COL_FG;
        lst[i] = styles && styles[i] ? 2 : 1;
        lw[i] = 3.0;
        text[i] = names[i] ? names[i] : "";
    }
    PLFLT w, h;
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, pos | PL_POSITION_INSIDE, 0.02,
             0.02, 0.08, LT_PLOT_COL_BG, LT_PLOT_COL_GRID, 1, 0, 0, n, opt, 1.0, 1.0, 2.0, 0.0,
             tcol, text, NULL, NULL, NULL, NULL, col, lst, lw, NULL, NULL, NULL, NULL);
}

lt_status lt_plot_lines(const char *path, const lt_plot_opts *o, const char *title,
                        const char *xlabel, const char *ylabel, const lt_series *s, int ns,
                        int logy)
{
    LT_CHECK(s && ns >= 1 && ns <= 16, LT_ERR_ARG, "line plot: 1 to 16 series");
    int64_t nmax = 1;
    for (int k = 0; k < ns; k++) {
        LT_CHECK(s[k].n >= 0 && (s[k].n == 0 || s[k].y), LT_ERR_ARG, "series %d has no values", k);
        nmax = s[k].n > nmax ? s[k].n : nmax;
    }
    double *bx = lt_malloc(sizeof *bx * (size_t)(nmax + 1)), *by = lt_malloc(sizeof *by * (size_t)(nmax + 1));
    double chr, b[4];
    lt_status st = bx && by ? lt_plot_begin(path, o, 1100, 760, &chr) : LT_ERR_MEM;
    if (st == LT_OK) {
        series_bounds(s, ns, logy, b);
        plvpor(0.11, 0.96, 0.12, 0.88);
        lt_plot_padded_window(b[0], b[1], b[2], b[3]);
        if (logy) lt_plot_logy_grid(0);
        else lt_plot_grid(0, 0);
        const char *names[16];
        int styles[16];
        for (int k = 0; k < ns; k++) {
            plcol0(lt_plot_label_color(k));
            pllsty(s[k].dashed ? 2 : 1);
            plwidth(2.5);
            draw_series(&s[k], logy, bx, by);
            names[k] = s[k].name;
            styles[k] = s[k].dashed;
        }
        pllsty(1);
        lt_plot_axes("bcnst", logy ? lt_plot_logy_axis_opt() : "bcnstv");
        if (logy) lt_plot_logy_labels();
        pllab(xlabel ? xlabel : "", ylabel ? ylabel : "", "");
        legend_lines(ns, names, styles, PL_POSITION_TOP | PL_POSITION_RIGHT);
        lt_plot_title(title, chr);
        st = lt_plot_end(path);
    }
    free(bx);
    free(by);
    return st;
}

lt_status lt_plot_loss(const char *path, const lt_plot_opts *o, const char *title,
                       const double *train, const double *val, int64_t epochs, int logy)
{
    LT_CHECK(train && epochs >= 1, LT_ERR_ARG, "loss plot needs at least one epoch");
    lt_series s[2] = {{.name = "training", .y = train, .n = epochs},
                      {.name = "validation", .y = val, .n = epochs, .dashed = 1}};
    return lt_plot_lines(path, o, title ? title : "Autoencoder loss per epoch", "epoch",
                         logy ? "loss (log scale)" : "loss", s, val ? 2 : 1, logy);
}
