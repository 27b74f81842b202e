/* `latent compare DIR_A DIR_B [...] [OUT.png]`: one figure of the same
 * evaluation images reconstructed by the autoencoders of several `latent
 * run` results folders (the notebook's "original, dense, convolutional"
 * figure from two decks), and a table of their reconstruction errors.
 *
 * It needs no deck and no data: each run's reconstructions.npy (written by
 * stage_images.c with the figures) holds its first evaluation images as
 * four blocks of m rows: originals, the model input (noisy for a
 * denoiser), PCA and autoencoder reconstructions. The originals must be
 * the same images in every folder. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "latent/lt_io.h"
#include "latent/lt_log.h"
#include "latent/lt_plot.h"
#include "latent/lt_report.h"

#define MAXDIRS 4
#define SIDE 28
#define D (SIDE * SIDE)
#define MAXM 10

typedef struct {
    const char *dir;
    char name[64];      /* the folder's last component */
    int64_t m;          /* images per block */
    float *img;         /* 4 m x D */
    int noisy;          /* the model input differs from the originals */
    double mse, params; /* from metrics.json (NAN if absent) */
    char rows_of[8];    /* "test" or "train" */
} run_images;

static int is_figure_name(const char *a)
{
    const char *dot = strrchr(a, '.');
    return dot && (!strcmp(dot, ".png") || !strcmp(dot, ".svg") || !strcmp(dot, ".pdf"));
}

static void folder_name(const char *dir, char *out, size_t cap)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    size_t b = n;
    while (b > 0 && dir[b - 1] != '/') b--;
    snprintf(out, cap, "%.*s", (int)(n - b), dir + b);
}

/* The positional arguments: folders, and an optional output figure. */
static lt_status parse_args(const lt_cli *cli, run_images *runs, int *nd, const char **out)
{
    *nd = 0;
    *out = "reconstructions_compare.png";
    for (int i = 2; i < cli->argc; i++) {
        const char *a = cli->argv[i];
        LT_CHECK(a[0] != '-', LT_ERR_ARG, "latent compare takes no options ('%s'): "
                 "latent compare DIR_A DIR_B [...] [OUT.png|.svg|.pdf]", a);
        if (is_figure_name(a)) {
            *out = a;
            continue;
        }
        LT_CHECK(*nd < MAXDIRS, LT_ERR_ARG, "latent compare: at most %d results folders", MAXDIRS);
        runs[*nd].dir = a;
        folder_name(a, runs[*nd].name, sizeof runs[*nd].name);
        (*nd)++;
    }
    LT_CHECK(*nd >= 2, LT_ERR_ARG, "latent compare needs two or more results folders "
             "(latent compare DIR_A DIR_B [...] [OUT.png])");
    return LT_OK;
}

/* Rank 0 checks the file exists, for a message that says what writes it. */
static lt_status check_exists(lt_comm *c, const char *path, const char *dir)
{
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0 && access(path, R_OK) != 0)
        st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__,
                            "%s has no reconstructions.npy: it is written by `latent run` with "
                            "[output] figures = true on 28 x 28 images (rerun the deck)", dir);
    return lt_comm_agree(c, st);
}

/* Reads one folder's images onto every rank. Collective. */
static lt_status read_run(lt_comm *c, run_images *ri)
{
    char path[LT_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/reconstructions.npy", ri->dir);
    LT_CALL(check_exists(c, path, ri->dir));
    lt_read_opts ro;
    lt_read_opts_default(&ro);
    lt_dataset *ds = NULL;
    LT_CALL(lt_npy_read(c, path, &ro, &ds));
    lt_status st = LT_OK;
    if (ds->d != D || ds->n % 4 != 0 || ds->n < 4 || ds->n > 4 * MAXM)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s is %lld x %lld: expected 4 blocks of at most %d rows of %d pixels",
                            path, (long long)ds->n, (long long)ds->d, MAXM, D);
    int64_t ids[4 * MAXM];
    for (int64_t i = 0; st == LT_OK && i < ds->n; i++) ids[i] = i;
    if (st == LT_OK) {
        ri->m = ds->n / 4;
        ri->img = lt_malloc(sizeof *ri->img * (size_t)(ds->n * D));
        st = lt_comm_agree(c, ri->img ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK) st = lt_dataset_fetch_rows(c, ds, ids, ds->n, ri->img);
    lt_dataset_destroy(&ds);
    if (st == LT_OK) ri->noisy = memcmp(ri->img, ri->img + ri->m * D, sizeof(float) * (size_t)(ri->m * D)) != 0;
    return st;
}

/* The autoencoder's reconstruction MSE and size from metrics.json (rank 0;
 * a missing file or entry leaves NAN). */
static void read_metrics(run_images *ri)
{
    char path[LT_PATH_MAX + 32];
    lt_metrics *m = NULL;
    ri->mse = ri->params = NAN;
    snprintf(ri->rows_of, sizeof ri->rows_of, "?");
    snprintf(path, sizeof path, "%s/metrics.json", ri->dir);
    if (access(path, R_OK) != 0 || lt_metrics_read(path, &m) != LT_OK) return;
    const char *ev = NULL;
    if (lt_metrics_get_string(m, "data.evaluation_rows", &ev) == LT_OK)
        snprintf(ri->rows_of, sizeof ri->rows_of, "%s", ev);
    char key[64];
    snprintf(key, sizeof key, "autoencoder.reconstruction_mse.%s", ri->rows_of);
    if (lt_metrics_get_number(m, key, &ri->mse) != LT_OK) ri->mse = NAN;
    if (lt_metrics_get_number(m, "autoencoder.parameters", &ri->params) != LT_OK) ri->params = NAN;
    lt_metrics_destroy(&m);
}

static double image_mse(const float *a, const float *b)
{
    double s = 0;
    for (int i = 0; i < D; i++) s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return s / D;
}

/* Rank 0: originals, then per folder [its noisy input and] its autoencoder's
 * reconstructions, each image captioned with its MSE against the original. */
static lt_status draw(const run_images *runs, int nd, int64_t m, const char *out)
{
    enum { MAXROWS = 1 + 2 * MAXDIRS };
    const float *rows[MAXROWS];
    char names[MAXROWS][96], caps[MAXROWS][MAXM][16];
    const char *pnames[MAXROWS], *pcaps[MAXROWS * MAXM];
    int nr = 0;
    const float *orig = runs[0].img;
    rows[nr] = orig;
    snprintf(names[nr], sizeof names[0], "original");
    for (int64_t q = 0; q < m; q++) caps[nr][q][0] = '\0';
    nr++;
    for (int k = 0; k < nd; k++) {
        const run_images *ri = &runs[k];
        for (int part = 1; part <= 3; part += 2) {
            if (part == 1 && !ri->noisy) continue;
            rows[nr] = ri->img + part * ri->m * D; /* block 1: input, block 3: autoencoder */
            snprintf(names[nr], sizeof names[0], "%s: %s", ri->name, part == 1 ? "input" : "AE");
            for (int64_t q = 0; q < m; q++)
                snprintf(caps[nr][q], sizeof caps[0][0], "%.4f", image_mse(rows[nr] + q * D, orig + q * D));
            nr++;
        }
    }
    for (int r = 0; r < nr; r++) {
        pnames[r] = names[r];
        for (int64_t q = 0; q < m; q++) pcaps[r * m + q] = caps[r][q][0] ? caps[r][q] : NULL;
    }
    lt_plot_opts po;
    lt_plot_opts_default(&po);
    po.format = strrchr(out, '.') + 1;
    char title[160];
    snprintf(title, sizeof title, "The first %lld %s images and their reconstructions (MSE under each)",
             (long long)m, runs[0].rows_of);
    return lt_plot_images(out, &po, title, rows, nr, (int)m, SIDE, SIDE, 0.0, 1.0, pnames, pcaps);
}

static void print_table(const lt_comm *c, const run_images *runs, int nd, const char *out)
{
    lt_log(c, "%-28s %10s %8s %14s\n", "results folder", "parameters", "rows", "AE recon. MSE");
    for (int k = 0; k < nd; k++)
        lt_log(c, "%-28s %10.0f %8s %14.6g%s\n", runs[k].name, runs[k].params, runs[k].rows_of, runs[k].mse,
               runs[k].noisy ? "  (denoiser: noisy input shown)" : "");
    lt_log(c, "figure: %s\n", out);
}

lt_status lt_cmd_compare(lt_cli *cli)
{
    lt_comm *c = cli->comm;
    run_images runs[MAXDIRS];
    memset(runs, 0, sizeof runs);
    int nd = 0;
    const char *out = NULL;
    lt_status st = lt_comm_agree(c, parse_args(cli, runs, &nd, &out));
    for (int k = 0; st == LT_OK && k < nd; k++) st = read_run(c, &runs[k]);
    int64_t m = st == LT_OK ? runs[0].m : 0;
    for (int k = 1; st == LT_OK && k < nd; k++) {
        if (runs[k].m < m) m = runs[k].m;
        /* the same bits on every rank (fetched rows), so the same decision */
        if (memcmp(runs[0].img, runs[k].img, sizeof(float) * (size_t)(m * D)) != 0)
            st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                                "%s and %s show different images: compare runs on the same "
                                "evaluation rows (the same data, test file or split)",
                                runs[0].dir, runs[k].dir);
    }
    if (st == LT_OK) {
        lt_status ds = LT_OK;
        if (lt_comm_rank(c) == 0) {
            for (int k = 0; k < nd; k++) read_metrics(&runs[k]);
            ds = draw(runs, nd, m, out);
            if (ds == LT_OK) print_table(c, runs, nd, out);
        }
        st = lt_comm_agree(c, ds);
    }
    for (int k = 0; k < nd; k++) free(runs[k].img);
    return st;
}
