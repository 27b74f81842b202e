/* Figures: every kind is rendered from realistic synthetic data at every rank
 * count (rank 0 draws from a gathered sample or reduced histograms) and must
 * be a valid PNG of plausible size. */
#include "lt_test.h"
#include "latent/lt_plot.h"
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
        lt_status st_ = (c)->rank == 0 ? (call) : LT_OK;             \
        LT_ASSERT_OK(lt_comm_agree((c), st_));                       \
        LT_ASSERT_ALL((c)->rank != 0 || png_ok((path), (min_bytes))); \
    } while (0)

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

static void scatter_figure(int n, int k, int64_t max_rows, const char *name, long min_bytes)
{
    lt_comm *c = lt_test_comm();
    lt_dataset *pca = NULL, *ae = NULL, *sp = NULL, *sa = NULL;
    int64_t *rp = NULL, *ra = NULL;
    LT_ASSERT_OK(rt_blobs2d(c, n, k, 42, 0, &pca));
    LT_ASSERT_OK(rt_blobs2d(c, n, k, 42, 1, &ae));
    LT_ASSERT_OK(lt_sample_rows(c, pca, max_rows, 7, &sp, &rp));
    LT_ASSERT_OK(lt_sample_rows(c, ae, max_rows, 7, &sa, &ra));
    /* Same seed, same rows: the two panels show the same points. */
    LT_ASSERT_ALL(c->rank != 0 || (sp->n == max_rows && !memcmp(rp, ra, sizeof *rp * (size_t)sp->n)));
    char path[512];
    lt_test_path(path, sizeof path, name);
    double cp[128], ca[128];
    lt_scatter_panel p[2] = {{.title = "PCA scores", .xlabel = "PC 1", .ylabel = "PC 2", .k = k},
                             {.title = "Autoencoder codes", .xlabel = "code 1",
                              .ylabel = "code 2", .k = k}};
    if (c->rank == 0) {
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
    free(rp);
    free(ra);
    lt_dataset_destroy(&sp);
    lt_dataset_destroy(&sa);
    lt_dataset_destroy(&pca);
    lt_dataset_destroy(&ae);
}

START_TEST(scatter_two_panels_8_labels) { scatter_figure(30000, 8, 20000, "scatter8.png", 60000); }
END_TEST

START_TEST(scatter_two_panels_20_labels) { scatter_figure(12000, 20, 6000, "scatter20.png", 60000); }
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
    if (c->rank == 0) p.n = s->n, p.x = s->x, p.y = s->x + 1, p.stride = 2;
    char png[512], svg[512], pdf[512];
    lt_test_path(png, sizeof png, "scatter1.png");
    lt_test_path(svg, sizeof svg, "scatter1.svg");
    lt_test_path(pdf, sizeof pdf, "scatter1.pdf");
    PLOT_ON_ROOT(c, lt_plot_scatter(png, NULL, NULL, &p, 1, NULL, NULL), png, 10000);
    lt_plot_opts o;
    lt_plot_opts_default(&o);
    o.format = "svg";
    lt_status st = c->rank == 0 ? lt_plot_scatter(svg, &o, "svg", &p, 1, NULL, NULL) : LT_OK;
    o.format = "pdf";
    if (st == LT_OK && c->rank == 0) st = lt_plot_scatter(pdf, &o, "pdf", &p, 1, NULL, NULL);
    LT_ASSERT_OK(lt_comm_agree(c, st));
    LT_ASSERT_ALL(c->rank != 0 || (starts_with(svg, "<?xml") && starts_with(pdf, "%PDF")));
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
    if (c->rank == 0) {
        s1 = lt_plot_loss("/nonexistent-dir/x/loss.png", NULL, NULL, y, NULL, 3, 0);
        msg_ok = strstr(lt_error_message(), "nonexistent") != NULL;
        s2 = lt_plot_loss(path, &o, NULL, y, NULL, 3, 0);
        s3 = lt_plot_loss(path, NULL, NULL, y, NULL, 0, 0);
        lt_scatter_panel p = {.n = 2, .x = NULL, .y = NULL};
        s4 = lt_plot_scatter(path, NULL, "t", &p, 1, NULL, NULL);
    }
    LT_ASSERT_ALL(c->rank != 0 || (s1 == LT_ERR_IO && msg_ok));
    LT_ASSERT_ALL(s2 == (c->rank == 0 ? LT_ERR_ARG : LT_OK));
    LT_ASSERT_ALL(s3 == (c->rank == 0 ? LT_ERR_ARG : LT_OK));
    LT_ASSERT_ALL(s4 == (c->rank == 0 ? LT_ERR_ARG : LT_OK));
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
    tcase_add_test(t, scatter_one_panel_unlabelled_and_vector_formats);
    tcase_add_test(t, loss_curves);
    tcase_add_test(t, error_histograms);
    tcase_add_test(t, image_grids);
    tcase_add_test(t, bad_figure_requests_fail_cleanly);
    suite_add_tcase(s, t);
    return s;
}

int main(int argc, char **argv) { return lt_test_main(make, argc, argv); }
