/* Figures: every kind is rendered from realistic synthetic data at every rank
 * count (rank 0 draws from a gathered sample or reduced histograms) and must
 * be a valid PNG of plausible size; scatter figures are decoded and must
 * show each label's points in its color and a cross on each center. */
#include "lt_test.h"
#include "latent/lt_plot.h"
#include "../../src/report/plot_internal.h"
#include "png_read.h"
#include "report_testdata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* PNG signature and a size that rules out an empty canvas. */
static int png_ok(const char *path, long min_bytes)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char b[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(b, 1, 8, f);
    fclose(f);
    struct stat sb;
    return got == 8 && !memcmp(b, sig, 8) && stat(path, &sb) == 0 && sb.st_size >= min_bytes;
}

/* Rank 0 runs the plot; everyone agrees its status and the file check. */
#define PLOT_ON_ROOT(c, call, path, min_bytes)                       \
    do {                                                             \
        lt_status st_ = lt_comm_rank(c) == 0 ? (call) : LT_OK;             \
        LT_ASSERT_OK(lt_comm_agree((c), st_));                       \
        LT_ASSERT_ALL(lt_comm_rank(c) != 0 || png_ok((path), (min_bytes))); \
    } while (0)

/* ---- reading a scatter figure back -------------------------------------- */

/* The label whose color, drawn m >= 1 times at alpha 0.55 over white (as
 * the points are), gives the pixel within 30 per channel: 255 - p =
 * (1 - 0.45^m) (255 - c). -1 for white, grid, black or a mixture of labels.
 * The discrete alphas tell a color from its light variant (labels 10-19). */
static int pixel_label(const unsigned char *p, int nlabels)
{
    int best = -1;
    double best_r = 3 * 30.0 * 30.0;
    for (int l = 0; p && l < nlabels; l++) {
        unsigned char c[3];
        lt_plot_label_rgb(l, c);
        for (double keep = 0.45; keep > 0.01; keep *= 0.45) {
            double r = 0;
            for (int ch = 0; ch < 3; ch++) {
                double e = (255.0 - p[ch]) - (1.0 - keep) * (255.0 - c[ch]);
                r += e * e;
            }
            if (r < best_r) best_r = r, best = l;
        }
    }
    return best;
}

/* Where lt_plot_scatter puts data point (x, y) of panel i of np: the layout
 * of plot_scatter.c (panels 760 px wide after 115 px, 115 px apart, from 10%
 * to 86% of the height) and its window (the points' and centers' range
 * padded by 4%). */
typedef struct {
    double x0, x1, y0, y1; /* window */
    double px0, py0;       /* pixel of the window's lower left corner */
} panel_map;

static panel_map map_panel(const lt_scatter_panel *p, int i, int H)
{
    int64_t s = p->stride ? p->stride : 1;
    double b[4] = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    for (int64_t j = 0; j < p->n + p->k; j++) {
        double x = j < p->n ? p->x[j * s] : p->centers[2 * (j - p->n)];
        double y = j < p->n ? p->y[j * s] : p->centers[2 * (j - p->n) + 1];
        if (isfinite(x) && isfinite(y))
            b[0] = fmin(b[0], x), b[1] = fmax(b[1], x), b[2] = fmin(b[2], y), b[3] = fmax(b[3], y);
    }
    double dx = 0.04 * (b[1] - b[0]), dy = 0.04 * (b[3] - b[2]);
    return (panel_map){b[0] - dx, b[1] + dx, b[2] - dy, b[3] + dy, 115.0 + i * 875.0, 0.9 * H};
}

static void to_pixel(const panel_map *m, int H, double x, double y, int *px, int *py)
{
    *px = (int)lround(m->px0 + 760.0 * (x - m->x0) / (m->x1 - m->x0));
    *py = (int)lround(m->py0 - 0.76 * H * (y - m->y0) / (m->y1 - m->y0));
}

/* The figure shows what was asked: every label's points in that label's
 * color where they are (at least `frac` of each label's points read back
 * as their own label; the rest are covered by other labels and the
 * crosses), and a black cross over each center. With verbose, prints what
 * it missed. */
static int scatter_shows(const char *path, const lt_scatter_panel *ps, int np, int nlabels,
                         double frac, int verbose)
{
    rt_image im;
    if (!rt_png_read(path, &im)) return printf("%s: not a readable PNG\n", path), 0;
    int ok = 1;
    for (int i = 0; i < np; i++) {
        const lt_scatter_panel *p = &ps[i];
        int64_t s = p->stride ? p->stride : 1, seen[64] = {0}, all[64] = {0};
        panel_map m = map_panel(p, i, im.h);
        for (int64_t j = 0; j < p->n; j++) {
            int l = p->labels ? p->labels[j] : 0, px, py;
            to_pixel(&m, im.h, p->x[j * s], p->y[j * s], &px, &py);
            all[l]++;
            seen[l] += pixel_label(rt_pixel(&im, px, py), nlabels) == l;
        }
        for (int l = 0; l < nlabels; l++) {
            if (!all[l] || seen[l] < frac * (double)all[l])
                ok = 0, verbose && printf("%s panel %d label %d: %lld of %lld points in its color\n", path, i,
                               l, (long long)seen[l], (long long)all[l]);
        }
        for (int q = 0; q < p->k; q++) {
            int px, py, dark = 0;
            to_pixel(&m, im.h, p->centers[2 * q], p->centers[2 * q + 1], &px, &py);
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    const unsigned char *c = rt_pixel(&im, px + dx, py + dy);
                    dark += c && c[0] < 60 && c[1] < 60 && c[2] < 60;
                }
            if (dark < 5) ok = 0, verbose && printf("%s panel %d: no cross over center %d\n", path, i, q);
        }
    }
    free(im.rgb);
    return ok;
}

/* Label means of a 2-D sample, standing in for k-means centers. */
static void label_means(const lt_dataset *s, int k, double *centers)
{
    double cnt[64] = {0};
    memset(centers, 0, sizeof(double) * 2 * (size_t)k);
    for (int64_t i = 0; i < s->nloc; i++) {
        centers[2 * s->y[i]] += s->x[2 * i];
        centers[2 * s->y[i] + 1] += s->x[2 * i + 1];
        cnt[s->y[i]]++;
    }
    for (int j = 0; j < k; j++) centers[2 * j] /= cnt[j], centers[2 * j + 1] /= cnt[j];
}

/* frac: see scatter_shows. Measured at least 0.55 of each label's points
 * with 8 labels, 0.24 with 20 (the warped panel overlaps them), 0.0 for a
 * label not drawn. */
static void scatter_figure(int n, int k, int64_t max_rows, const char *name, long min_bytes,
                           double frac)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *pca = NULL, *ae = NULL, *sp = NULL, *sa = NULL;
    int64_t *rp = NULL, *ra = NULL;
    LT_ASSERT_OK(rt_blobs2d(c, n, k, 42, 0, &pca));
    LT_ASSERT_OK(rt_blobs2d(c, n, k, 42, 1, &ae));
    LT_ASSERT_OK(lt_sample_rows(c, pca, max_rows, 7, &sp, &rp));
    LT_ASSERT_OK(lt_sample_rows(c, ae, max_rows, 7, &sa, &ra));
    /* Same seed, same rows: the two panels show the same points. */
    LT_ASSERT_ALL(lt_comm_rank(c) != 0 || (sp->n == max_rows && !memcmp(rp, ra, sizeof *rp * (size_t)sp->n)));
    char path[512];
    lt_test_path(path, sizeof path, name);
    double cp[128], ca[128];
    lt_scatter_panel p[2] = {{.title = "PCA scores", .xlabel = "PC 1", .ylabel = "PC 2", .k = k},
                             {.title = "Autoencoder codes", .xlabel = "code 1",
                              .ylabel = "code 2", .k = k}};
    if (lt_comm_rank(c) == 0) {
        label_means(sp, k, cp);
        label_means(sa, k, ca);
        p[0] = (lt_scatter_panel){.title = "PCA scores", .xlabel = "PC 1", .ylabel = "PC 2",
                                  .n = sp->n, .x = sp->x, .y = sp->x + 1, .stride = 2,
                                  .labels = sp->y, .centers = cp, .k = k};
        p[1] = (lt_scatter_panel){.title = "Autoencoder codes", .xlabel = "code 1",
                                  .ylabel = "code 2", .n = sa->n, .x = sa->x, .y = sa->x + 1,
                                  .stride = 2, .labels = sa->y, .centers = ca, .k = k};
    }
    char title[128];
    snprintf(title, sizeof title, "%d blobs: PCA vs autoencoder (%lld of %d rows shown)", k,
             (long long)max_rows, n);
    PLOT_ON_ROOT(c, lt_plot_scatter(path, NULL, title, p, 2, NULL, "true label"), path, min_bytes);
    LT_ASSERT_ALL(lt_comm_rank(c) != 0 || scatter_shows(path, p, 2, k, frac, 1));
    free(rp);
    free(ra);
    lt_dataset_destroy(&sp);
    lt_dataset_destroy(&sa);
    lt_dataset_destroy(&pca);
    lt_dataset_destroy(&ae);
}

START_TEST(scatter_two_panels_8_labels)
{
    scatter_figure(30000, 8, 20000, "scatter8.png", 60000, 0.4);
}
END_TEST

START_TEST(scatter_two_panels_20_labels)
{
    scatter_figure(12000, 20, 6000, "scatter20.png", 60000, 0.15);
}
END_TEST

/* The check itself: figures that lack something the data asks for fail
 * it: no points, one label's points only, every point in one color, no
 * centers; the full figure passes. Rank 0 draws and reads. */
START_TEST(scatter_check_rejects_incomplete_figures)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = NULL, *s = NULL;
    LT_ASSERT_OK(rt_blobs2d(c, 4000, 5, 11, 0, &ds));
    LT_ASSERT_OK(lt_sample_rows(c, ds, 3000, 5, &s, NULL));
    int verdict[5] = {1, 0, 0, 0, 0}; /* as expected, for the ranks that draw nothing */
    if (lt_comm_rank(c) == 0) {
        double ctr[10];
        label_means(s, 5, ctr);
        lt_scatter_panel full = {.n = s->n, .x = s->x, .y = s->x + 1, .stride = 2,
                                 .labels = s->y, .centers = ctr, .k = 5};
        float *x0 = malloc(sizeof(float) * 2 * (size_t)s->n);
        int32_t *l0 = malloc(sizeof(int32_t) * (size_t)s->n);
        int64_t m = 0;
        for (int64_t i = 0; i < s->n; i++)
            if (s->y[i] == 0) x0[2 * m] = s->x[2 * i], x0[2 * m + 1] = s->x[2 * i + 1], l0[m++] = 0;
        lt_scatter_panel broken[5] = {full, full, full, full, full};
        broken[1].n = 0;                                           /* no points */
        broken[2].n = m, broken[2].x = x0, broken[2].y = x0 + 1;   /* label 0 only */
        broken[2].labels = l0;
        broken[3].labels = NULL;                                   /* one color */
        broken[4].k = 0, broken[4].centers = NULL;                 /* no centers */
        char path[512];
        lt_test_path(path, sizeof path, "scatter_check.png");
        for (int b = 0; b < 5; b++) {
            /* the same window as the full figure, whatever is left out */
            lt_status st = lt_plot_scatter(path, NULL, "check", &broken[b], 1, NULL, NULL);
            verdict[b] = st == LT_OK && scatter_shows(path, &full, 1, 5, 0.4, b == 0);
        }
        free(x0), free(l0);
    }
    LT_ASSERT_ALL(verdict[0] == 1);
    for (int b = 1; b < 5; b++) ck_assert_msg(lt_test_all(verdict[b] == 0), "figure %d passed", b);
    lt_dataset_destroy(&s);
    lt_dataset_destroy(&ds);
}
END_TEST

/* Magic bytes of the file at `path` start with `magic`. */
static int starts_with(const char *path, const char *magic)
{
    char b[16] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    return got >= strlen(magic) && !memcmp(b, magic, strlen(magic));
}

START_TEST(scatter_one_panel_unlabelled_and_vector_formats)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = NULL, *s = NULL;
    LT_ASSERT_OK(rt_blobs2d(c, 3000, 5, 9, 0, &ds));
    LT_ASSERT_OK(lt_sample_rows(c, ds, 2000, 3, &s, NULL));
    lt_scatter_panel p = {.title = "Unlabelled data", .xlabel = "x", .ylabel = "y"};
    if (lt_comm_rank(c) == 0) p.n = s->n, p.x = s->x, p.y = s->x + 1, p.stride = 2;
    char png[512], svg[512], pdf[512];
    lt_test_path(png, sizeof png, "scatter1.png");
    lt_test_path(svg, sizeof svg, "scatter1.svg");
    lt_test_path(pdf, sizeof pdf, "scatter1.pdf");
    PLOT_ON_ROOT(c, lt_plot_scatter(png, NULL, NULL, &p, 1, NULL, NULL), png, 10000);
    LT_ASSERT_ALL(lt_comm_rank(c) != 0 || scatter_shows(png, &p, 1, 1, 0.5, 1));
    lt_plot_opts o;
    lt_plot_opts_default(&o);
    o.format = "svg";
    lt_status st = lt_comm_rank(c) == 0 ? lt_plot_scatter(svg, &o, "svg", &p, 1, NULL, NULL) : LT_OK;
    o.format = "pdf";
    if (st == LT_OK && lt_comm_rank(c) == 0) st = lt_plot_scatter(pdf, &o, "pdf", &p, 1, NULL, NULL);
    LT_ASSERT_OK(lt_comm_agree(c, st));
    LT_ASSERT_ALL(lt_comm_rank(c) != 0 || (starts_with(svg, "<?xml") && starts_with(pdf, "%PDF")));
    lt_dataset_destroy(&s);
    lt_dataset_destroy(&ds);
}
END_TEST

START_TEST(loss_curves)
{
    lt_comm *c = lt_test_comm();
    enum { E = 50 };
    double tr[E], va[E];
    for (int e = 0; e < E; e++) {
        tr[e] = 0.02 + 0.3 * exp(-e / 8.0);
        va[e] = 0.025 + 0.3 * exp(-e / 9.0) + 0.002 * sin(e);
    }
    char p1[512], p2[512];
    lt_test_path(p1, sizeof p1, "loss.png");
    lt_test_path(p2, sizeof p2, "loss_log.png");
    PLOT_ON_ROOT(c, lt_plot_loss(p1, NULL, NULL, tr, va, E, 0), p1, 15000);
    PLOT_ON_ROOT(c, lt_plot_loss(p2, NULL, "Loss per epoch (log scale)", tr, va, E, 1), p2, 15000);
}
END_TEST

/* Per-row errors: log-normal, the autoencoder's an order of magnitude lower. */
static float *row_errors(const lt_dataset *ds, double mu, uint64_t stream)
{
    float *e = malloc(sizeof *e * (size_t)ds->nloc + 1);
    for (int64_t i = 0; i < ds->nloc; i++) {
        lt_rng r;
        lt_rng_init(&r, 5, (uint32_t)stream, (uint64_t)(ds->row0 + i));
        e[i] = (float)exp(mu + 0.6 * lt_rng_normal(&r));
    }
    return e;
}

START_TEST(error_histograms)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *ds = NULL;
    lt_hist *h[2] = {NULL, NULL};
    LT_ASSERT_OK(lt_dataset_create(c, 100000, 1, 0, &ds));
    float *ep = row_errors(ds, log(0.03), LT_STREAM_USER + 1);
    float *ea = row_errors(ds, log(0.004), LT_STREAM_USER + 2);
    double lo, hi, lo2, hi2;
    LT_ASSERT_OK(lt_range_f(c, ep, ds->nloc, 1, &lo, &hi));
    LT_ASSERT_OK(lt_range_f(c, ea, ds->nloc, 1, &lo2, &hi2));
    lo = fmin(lo, lo2), hi = fmax(hi, hi2);
    LT_ASSERT_OK(lt_histogram(c, ep, ds->nloc, 80, lo, hi, 1, &h[0]));
    LT_ASSERT_OK(lt_histogram(c, ea, ds->nloc, 80, lo, hi, 1, &h[1]));
    LT_ASSERT_ALL(h[0]->n == 100000 && h[1]->n == 100000);
    char path[512];
    lt_test_path(path, sizeof path, "errors.png");
    const char *names[2] = {"PCA (2 components)", "autoencoder (2-D code)"};
    PLOT_ON_ROOT(c, lt_plot_histograms(path, NULL, "Per-row reconstruction error",
                                       "mean squared error per row (log scale)",
                                       (const lt_hist *const *)h, names, 2, 0, 0),
                 path, 15000);
    lt_test_path(path, sizeof path, "errors_logy.png");
    PLOT_ON_ROOT(c, lt_plot_histograms(path, NULL, "Per-row reconstruction error (counts)",
                                       "mean squared error per row (log scale)",
                                       (const lt_hist *const *)h, names, 2, 1, 1),
                 path, 15000);
    lt_hist_destroy(&h[0]);
    lt_hist_destroy(&h[1]);
    free(ep);
    free(ea);
    lt_dataset_destroy(&ds);
}
END_TEST

/* 28x28 "digits": a ring or a bar per class; reconstructions are blurred. */
static void digit(int cls, int v, float *img)
{
    for (int r = 0; r < 28; r++)
        for (int q = 0; q < 28; q++) {
            double y = r - 13.5, x = q - 13.5, a = 0;
            if (cls % 2 == 0) a = exp(-pow(sqrt(x * x / (0.5 + 0.05 * v) + y * y) - 8, 2) / 3);
            else a = exp(-pow(x - 0.3 * y + v % 3, 2) / 3) * (fabs(y) < 10);
            img[r * 28 + q] = (float)a;
        }
}

static void blur(const float *in, float *out)
{
    for (int r = 0; r < 28; r++)
        for (int q = 0; q < 28; q++) {
            double s = 0, w = 0;
            for (int dr = -2; dr <= 2; dr++)
                for (int dq = -2; dq <= 2; dq++) {
                    int rr = r + dr, qq = q + dq;
                    if (rr < 0 || rr >= 28 || qq < 0 || qq >= 28) continue;
                    s += in[rr * 28 + qq], w++;
                }
            out[r * 28 + q] = (float)(0.85 * s / w);
        }
}

START_TEST(image_grids)
{
    lt_comm *c = lt_test_comm();
    enum { N = 10, P = 784 };
    static float orig[N * P], noisy[N * P], rec[N * P];
    char caps[2 * N][32];
    const char *cap[2 * N];
    for (int i = 0; i < N; i++) {
        digit(i, i, orig + i * P);
        lt_rng r;
        lt_rng_init(&r, 3, LT_STREAM_DENOISE, (uint64_t)i);
        for (int j = 0; j < P; j++) {
            double v = orig[i * P + j] + 0.5 * lt_rng_normal(&r);
            noisy[i * P + j] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
        }
        blur(orig + i * P, rec + i * P);
        snprintf(caps[i], sizeof caps[i], "label %d", i);
        snprintf(caps[N + i], sizeof caps[N + i], "MSE %.4f", 0.001 * (i + 3));
        cap[i] = caps[i];
        cap[N + i] = caps[N + i];
    }
    char p2[512], p3[512];
    lt_test_path(p2, sizeof p2, "images2.png");
    lt_test_path(p3, sizeof p3, "images3.png");
    const float *rows2[2] = {orig, rec}, *rows3[3] = {orig, noisy, rec};
    const char *names2[2] = {"original", "reconstructed"};
    const char *names3[3] = {"original", "noisy input", "denoised"};
    PLOT_ON_ROOT(c, lt_plot_images(p2, NULL, "First 10 test images and their reconstructions",
                                   rows2, 2, N, 28, 28, 0, 1, names2, cap),
                 p2, 20000);
    PLOT_ON_ROOT(c, lt_plot_images(p3, NULL, "Denoising autoencoder (noise factor 0.5)", rows3, 3,
                                   N, 28, 28, 0, 1, names3, NULL),
                 p3, 20000);
}
END_TEST

START_TEST(bad_figure_requests_fail_cleanly)
{
    lt_comm *c = lt_test_comm();
    double y[3] = {1, 2, 3};
    lt_plot_opts o;
    lt_plot_opts_default(&o);
    o.format = "gif";
    lt_status s1 = LT_OK, s2 = LT_OK, s3 = LT_OK, s4 = LT_OK;
    int msg_ok = 1;
    char path[512];
    lt_test_path(path, sizeof path, "bad.png");
    if (lt_comm_rank(c) == 0) {
        s1 = lt_plot_loss("/nonexistent-dir/x/loss.png", NULL, NULL, y, NULL, 3, 0);
        msg_ok = strstr(lt_error_message(), "nonexistent") != NULL;
        s2 = lt_plot_loss(path, &o, NULL, y, NULL, 3, 0);
        s3 = lt_plot_loss(path, NULL, NULL, y, NULL, 0, 0);
        lt_scatter_panel p = {.n = 2, .x = NULL, .y = NULL};
        s4 = lt_plot_scatter(path, NULL, "t", &p, 1, NULL, NULL);
    }
    LT_ASSERT_ALL(lt_comm_rank(c) != 0 || (s1 == LT_ERR_IO && msg_ok));
    LT_ASSERT_ALL(s2 == (lt_comm_rank(c) == 0 ? LT_ERR_ARG : LT_OK));
    LT_ASSERT_ALL(s3 == (lt_comm_rank(c) == 0 ? LT_ERR_ARG : LT_OK));
    LT_ASSERT_ALL(s4 == (lt_comm_rank(c) == 0 ? LT_ERR_ARG : LT_OK));
    /* An error on rank 0 only reaches everyone through agreement. */
    LT_ASSERT_ALL(lt_comm_agree(c, s1) == LT_ERR_IO);
    lt_error_clear();
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("report_plot");
    TCase *t = tcase_create("figures");
    tcase_add_test(t, scatter_two_panels_8_labels);
    tcase_add_test(t, scatter_two_panels_20_labels);
    tcase_add_test(t, scatter_check_rejects_incomplete_figures);
    tcase_add_test(t, scatter_one_panel_unlabelled_and_vector_formats);
    tcase_add_test(t, loss_curves);
    tcase_add_test(t, error_histograms);
    tcase_add_test(t, image_grids);
    tcase_add_test(t, bad_figure_requests_fail_cleanly);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
