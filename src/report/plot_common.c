/* PLplot setup shared by every figure: device, page, palette, fonts. */
#include "plot_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void lt_plot_opts_default(lt_plot_opts *o)
{
    o->format = "png";
    o->width = o->height = 0;
    o->font_scale = 1.0;
}

/* Label colors: Tableau 10, their light variants, then Dark2 and Set1 hues,
 * so that 20 labels stay distinct and 40 still differ. */
static const unsigned char label_rgb[LT_PLOT_NLABEL_COLORS][3] = {
    {31, 119, 180},  {255, 127, 14},  {44, 160, 44},   {214, 39, 40},   {148, 103, 189},
    {140, 86, 75},   {227, 119, 194}, {127, 127, 127}, {188, 189, 34},  {23, 190, 207},
    {174, 199, 232}, {255, 187, 120}, {152, 223, 138}, {255, 152, 150}, {197, 176, 213},
    {196, 156, 148}, {247, 182, 210}, {199, 199, 199}, {219, 219, 141}, {158, 218, 229},
    {27, 158, 119},  {217, 95, 2},    {117, 112, 179}, {231, 41, 138},  {102, 166, 30},
    {230, 171, 2},   {166, 118, 29},  {102, 102, 102}, {228, 26, 28},   {55, 126, 184},
    {77, 175, 74},   {152, 78, 163},  {255, 127, 0},   {255, 255, 51},  {166, 86, 40},
    {247, 129, 191}, {0, 0, 128},     {128, 0, 0},     {0, 128, 128},   {128, 128, 0},
};

int lt_plot_label_color(int64_t label)
{
    int64_t i = label < 0 ? 0 : label % LT_PLOT_NLABEL_COLORS;
    return LT_PLOT_COL_LABEL0 + (int)i;
}

void lt_plot_label_rgb(int64_t label, unsigned char rgb[3])
{
    memcpy(rgb, label_rgb[lt_plot_label_color(label) - LT_PLOT_COL_LABEL0], 3);
}

static void set_palette(double alpha)
{
    int n = LT_PLOT_COL_LABEL0 + LT_PLOT_NLABEL_COLORS;
    plscmap0n(n);
    plscol0a(LT_PLOT_COL_BG, 255, 255, 255, 1.0);
    plscol0a(LT_PLOT_COL_FG, 0, 0, 0, 1.0);
    plscol0a(LT_PLOT_COL_GRID, 215, 215, 215, 1.0);
    plscol0a(LT_PLOT_COL_WHITE, 255, 255, 255, 1.0);
    for (int i = 0; i < LT_PLOT_NLABEL_COLORS; i++)
        plscol0a(LT_PLOT_COL_LABEL0 + i, label_rgb[i][0], label_rgb[i][1], label_rgb[i][2], alpha);
}

void lt_plot_set_alpha(double alpha)
{
    for (int i = 0; i < LT_PLOT_NLABEL_COLORS; i++)
        plscol0a(LT_PLOT_COL_LABEL0 + i, label_rgb[i][0], label_rgb[i][1], label_rgb[i][2], alpha);
}

static lt_status device_of(const char *format, const char **dev)
{
    const char *f = format && *format ? format : "png";
    if (!strcmp(f, "png")) *dev = "pngcairo";
    else if (!strcmp(f, "svg")) *dev = "svgcairo";
    else if (!strcmp(f, "pdf")) *dev = "pdfcairo";
    else LT_FAIL(LT_ERR_ARG, "figure format '%s' is not one of png, svg, pdf", f);
    return LT_OK;
}

lt_status lt_plot_begin(const char *path, const lt_plot_opts *o, int w, int h, double *chr)
{
    lt_plot_opts def;
    lt_plot_opts_default(&def);
    if (!o) o = &def;
    const char *dev;
    LT_CALL(device_of(o->format, &dev));
    LT_CHECK(path && *path, LT_ERR_ARG, "empty figure path");
    LT_CHECK(o->width >= 0 && o->width <= 20000 && o->height >= 0 && o->height <= 20000,
             LT_ERR_ARG, "figure size %d x %d out of range", o->width, o->height);
    LT_CHECK(o->font_scale > 0 && o->font_scale <= 10, LT_ERR_ARG, "font scale %g not in (0, 10]",
             o->font_scale);
    /* PLplot exits the process when it cannot open its file: find out first. */
    FILE *f = fopen(path, "wb");
    LT_CHECK(f, LT_ERR_IO, "cannot write figure %s: %s", path, strerror(errno));
    fclose(f);
    if (o->width) w = o->width;
    if (o->height) h = o->height;
    plsdev(dev);
    plsfnam(path);
    plspage(0, 0, w, h, 0, 0);
    set_palette(1.0);
    plinit();
    pladv(0);
    /* Character height in mm scales with the figure so text stays readable. */
    double scale = (w < h ? w : h) / 760.0;
    scale = o->font_scale * (scale < 0.8 ? 0.8 : scale > 2.5 ? 2.5 : scale);
    *chr = 4.2 * scale;
    plschr(*chr, 1.0);
    plcol0(LT_PLOT_COL_FG);
    plwidth(1.0);
    return LT_OK;
}

lt_status lt_plot_end(const char *path)
{
    plend1();
    struct stat sb;
    LT_CHECK(stat(path, &sb) == 0 && sb.st_size > 0, LT_ERR_IO, "figure %s was not written",
             path);
    return LT_OK;
}

void lt_plot_axes(const char *xopt, const char *yopt)
{
    plcol0(LT_PLOT_COL_FG);
    plwidth(1.0);
    plbox(xopt, 0.0, 0, yopt, 0.0, 0);
}

void lt_plot_grid(int logx, int logy)
{
    plcol0(LT_PLOT_COL_GRID);
    plwidth(0.8);
    plbox(logx ? "gl" : "g", 0.0, 0, logy ? "gl" : "g", 0.0, 0);
    plcol0(LT_PLOT_COL_FG);
}

void lt_plot_padded_window(double xmin, double xmax, double ymin, double ymax)
{
    if (!(xmax > xmin)) xmin -= 0.5, xmax += 0.5;
    if (!(ymax > ymin)) ymin -= 0.5, ymax += 0.5;
    double dx = 0.04 * (xmax - xmin), dy = 0.04 * (ymax - ymin);
    plwind(xmin - dx, xmax + dx, ymin - dy, ymax + dy);
}

void lt_plot_title(const char *title, double chr)
{
    if (!title || !*title) return;
    plvpor(0.0, 1.0, 0.0, 1.0);
    plwind(0, 1, 0, 1);
    plschr(chr, 1.35);
    plcol0(LT_PLOT_COL_FG);
    plmtex("t", -1.6, 0.5, 0.5, title);
    plschr(chr, 1.0);
}

/* PLplot labels only decades on a log axis: a loss falling from 0.3 to 0.02
 * would get a single label. Below two decades, 1-2-5 values are labelled. */
static int few_decades(double *lo, double *hi)
{
    PLFLT x0, x1, y0, y1;
    plgvpw(&x0, &x1, &y0, &y1);
    *lo = y0, *hi = y1;
    return y1 - y0 < 2.0;
}

void lt_plot_logy_grid(int logx)
{
    double lo, hi;
    if (!few_decades(&lo, &hi)) {
        lt_plot_grid(logx, 1);
        return;
    }
    PLFLT x0, x1, y0, y1;
    plgvpw(&x0, &x1, &y0, &y1);
    plcol0(LT_PLOT_COL_GRID);
    plwidth(0.8);
    plbox(logx ? "gl" : "g", 0.0, 0, "", 0.0, 0);
    static const double m[3] = {1, 2, 5};
    for (int k = (int)floor(lo); k <= (int)ceil(hi); k++)
        for (int j = 0; j < 3; j++) {
            double v = log10(m[j]) + k;
            if (v >= lo && v <= hi) pljoin(x0, v, x1, v);
        }
    plcol0(LT_PLOT_COL_FG);
}

const char *lt_plot_logy_axis_opt(void)
{
    double lo, hi;
    return few_decades(&lo, &hi) ? "bcstlv" : "bcnstlv";
}

void lt_plot_logy_labels(void)
{
    double lo, hi;
    if (!few_decades(&lo, &hi)) return;
    static const double m[3] = {1, 2, 5};
    plcol0(LT_PLOT_COL_FG);
    for (int k = (int)floor(lo); k <= (int)ceil(hi); k++)
        for (int j = 0; j < 3; j++) {
            double v = log10(m[j]) + k;
            if (v < lo || v > hi) continue;
            char text[32];
            snprintf(text, sizeof text, "%g", m[j] * pow(10.0, k));
            plmtex("lv", 0.6, (v - lo) / (hi - lo), 1.0, text);
        }
}
