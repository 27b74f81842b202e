/* A grid of grayscale images (originals above reconstructions). */
#include "plot_internal.h"

#include <math.h>
#include <stdlib.h>

#define CELL 120  /* pixels per image */
#define GAP 14
#define CAPTION 30
#define LEFT 190  /* room for row names */
#define TOP 90

static void gray_map(void)
{
    PLFLT pos[2] = {0, 1}, c1[2] = {0, 1}, c2[2] = {0, 1}, c3[2] = {0, 1};
    plscmap1n(256);
    plscmap1l(1, 2, pos, c1, c2, c3, NULL);
}

/* Copies image (h x w, row-major, first row at the top) into PLplot's
 * column-major, bottom-up matrix. */
static void fill_matrix(PLFLT **m, const float *img, int h, int w, double vmin, double vmax)
{
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++) {
            double v = img[r * w + c];
            v = isnan(v) ? vmin : v < vmin ? vmin : v > vmax ? vmax : v;
            m[c][h - 1 - r] = v;
        }
}

static void draw_cell(PLFLT **m, int h, int w, double vmin, double vmax, const double vp[4],
                      const char *caption, const char *row_name, double chr)
{
    plvpor(vp[0], vp[1], vp[2], vp[3]);
    plwind(0, w, 0, h);
    plimage((PLFLT_MATRIX)m, w, h, 0, w, 0, h, vmin, vmax, 0, w, 0, h);
    plcol0(LT_PLOT_COL_GRID);
    plbox("bc", 0, 0, "bc", 0, 0);
    plcol0(LT_PLOT_COL_FG);
    if (caption) {
        plschr(chr, 0.8);
        plmtex("b", 1.4, 0.5, 0.5, caption);
    }
    if (row_name) {
        plschr(chr, 1.0);
        plmtex("lv", 0.8, 0.5, 1.0, row_name);
    }
    plschr(chr, 1.0);
}

static lt_status alloc_matrix(int h, int w, PLFLT ***out)
{
    PLFLT **m = lt_malloc(sizeof *m * (size_t)w);
    PLFLT *data = lt_malloc(sizeof *data * (size_t)w * (size_t)h);
    if (!m || !data) {
        free(m);
        free(data);
        return LT_ERR_MEM;
    }
    for (int c = 0; c < w; c++) m[c] = data + (size_t)c * (size_t)h;
    *out = m;
    return LT_OK;
}

lt_status lt_plot_images(const char *path, const lt_plot_opts *o, const char *title,
                         const float *const *images, int nrows, int ncols, int h, int w,
                         double vmin, double vmax, const char *const *row_names,
                         const char *const *captions)
{
    LT_CHECK(images && nrows >= 1 && nrows <= 64 && ncols >= 1 && ncols <= 64, LT_ERR_ARG,
             "image grid: 1 to 64 rows and columns");
    LT_CHECK(h >= 1 && w >= 1 && h <= 4096 && w <= 4096, LT_ERR_ARG, "image size %d x %d", h, w);
    LT_CHECK(vmax > vmin, LT_ERR_ARG, "image value range [%g, %g] is empty", vmin, vmax);
    for (int r = 0; r < nrows; r++) LT_CHECK(images[r], LT_ERR_ARG, "image row %d is NULL", r);
    int cw = CELL * w >= CELL * h ? CELL : CELL * w / h, chh = CELL * h / (w > h ? w : h);
    int cap = captions ? CAPTION : 0;
    int W = LEFT + ncols * (cw + GAP) + 20, H = TOP + nrows * (chh + GAP + cap) + 20;
    PLFLT **m = NULL;
    LT_CALL(alloc_matrix(h, w, &m));
    lt_plot_opts def;
    lt_plot_opts_default(&def);
    lt_plot_opts oo = o ? *o : def;
    oo.width = oo.height = 0; /* the grid decides the page */
    double chr;
    lt_status st = lt_plot_begin(path, &oo, W, H, &chr);
    if (st == LT_OK) {
        chr = 3.8 * oo.font_scale;
        plschr(chr, 1.0);
        gray_map();
        for (int r = 0; r < nrows; r++)
            for (int c = 0; c < ncols; c++) {
                double x0 = LEFT + c * (cw + GAP), y1 = H - TOP - r * (chh + GAP + cap);
                double vp[4] = {x0 / W, (x0 + cw) / W, (y1 - chh) / H, y1 / H};
                fill_matrix(m, images[r] + (size_t)c * (size_t)(h * w), h, w, vmin, vmax);
                draw_cell(m, h, w, vmin, vmax, vp, captions ? captions[r * ncols + c] : NULL,
                          c == 0 && row_names ? row_names[r] : NULL, chr);
            }
        lt_plot_title(title, chr);
        st = lt_plot_end(path);
    }
    free(m[0]);
    free(m);
    return st;
}
