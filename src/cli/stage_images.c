/* Image figures for 28 x 28 data (MNIST-like): originals above their PCA and
 * autoencoder reconstructions for the first evaluation rows (with the noisy
 * input when the autoencoder is a denoiser), and for the rows the autoencoder
 * reconstructs best and worst. Only the handful of rows shown travel. The
 * first figure's images are also written as reconstructions.npy, which
 * `latent compare` (cmd_compare.c) reads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latent/lt_io.h"
#include "latent/lt_log.h"
#include "run.h"

#define NSHOW 10 /* images per figure row */
#define SIDE 28

typedef struct {
    double e;  /* per-row reconstruction error */
    int64_t i; /* global evaluation row, -1 = empty slot */
} errrow;

/* a comes before b in the best (worst = 0) or worst (worst = 1) list; ties by row. */
static int before(errrow a, errrow b, int worst)
{
    if (a.e != b.e) return worst ? a.e > b.e : a.e < b.e;
    return a.i < b.i;
}

/* Inserts x into the sorted list top[0..*cnt) of at most m entries. */
static void keep(errrow *top, int64_t *cnt, int64_t m, errrow x, int worst)
{
    int64_t p = *cnt < m ? (*cnt)++ : m;
    if (p == m && !before(x, top[m - 1], worst)) return;
    if (p == m) p = m - 1;
    while (p > 0 && before(x, top[p - 1], worst)) top[p] = top[p - 1], p--;
    top[p] = x;
}

/* The m rows with the smallest (worst = 0) or largest errors over all ranks:
 * each rank keeps its own m, an allgather merges them. Collective. */
static lt_status extremes(lt_run *r, int64_t m, int worst, errrow *out, int64_t *got)
{
    const lt_dataset *X = lt_run_eval(r, LT_SPACE_RAW);
    errrow loc[NSHOW];
    int64_t cnt = 0;
    for (int64_t i = 0; i < X->nloc; i++)
        if (isfinite(r->ae_rowerr[i])) keep(loc, &cnt, m, (errrow){r->ae_rowerr[i], X->row0 + i}, worst);
    for (int64_t q = cnt; q < m; q++) loc[q] = (errrow){0, -1};
    errrow *all = lt_malloc(sizeof *all * (size_t)(m * lt_comm_size(r->c)));
    LT_AGREE_ALLOC(r->c, all);
    lt_status st = lt_comm_allgather(r->c, loc, (int64_t)sizeof loc[0] * m, all);
    *got = 0;
    for (int64_t q = 0; st == LT_OK && q < m * lt_comm_size(r->c); q++)
        if (all[q].i >= 0) keep(out, got, m, all[q], worst);
    free(all);
    return st;
}

/* Rows ids of the evaluation set on every rank, as four m x 784 blocks:
 * originals, the model input (noisy when denoising), and the PCA and
 * autoencoder reconstructions of that input. Collective. */
static lt_status image_rows(lt_run *r, const int64_t *ids, int64_t m, int noisy, float *out)
{
    const int64_t d = SIDE * SIDE, md = m * d;
    float *orig = out, *inp = out + md;
    LT_CALL(lt_dataset_fetch_rows(r->c, lt_run_eval(r, LT_SPACE_RAW), ids, m, orig));
    if (noisy) {
        lt_train_opts to;
        LT_CALL(lt_train_opts_from_config(&r->cfg, &to));
        lt_ae_noisy_input(&to, r->train->n, d, 0, orig, ids, m, inp);
    } else {
        memcpy(inp, orig, sizeof *inp * (size_t)md);
    }
    lt_dataset *in = NULL, *sc = NULL, *pr = NULL, *ar = NULL;
    int64_t seq[NSHOW];
    for (int64_t q = 0; q < m; q++) seq[q] = q;
    lt_status st = lt_dataset_from_rows(r->c, inp, m, d, &in);
    if (st == LT_OK) st = lt_pca_transform(r->c, r->pca, in, &sc);
    if (st == LT_OK) st = lt_pca_inverse_transform(r->c, r->pca, sc, &pr);
    if (st == LT_OK) st = lt_ae_reconstruct(r->c, r->ae, in, &ar);
    if (st == LT_OK) st = lt_dataset_fetch_rows(r->c, pr, seq, m, out + 2 * md);
    if (st == LT_OK) st = lt_dataset_fetch_rows(r->c, ar, seq, m, out + 3 * md);
    lt_dataset *all[] = {in, sc, pr, ar};
    for (int q = 0; q < 4; q++) lt_dataset_destroy(&all[q]);
    return st;
}

/* Draws image rows (blocks of m images each) on rank 0; agreed. */
static lt_status draw(lt_run *r, const lt_plot_opts *po, const char *stem, const char *title,
                      const float *const *rows, const char *const *names, int nrows, int64_t m,
                      const char *const *captions)
{
    lt_status st = LT_OK;
    if (lt_comm_rank(r->c) == 0) {
        char path[LT_PATH_MAX + 256], rel[256];
        snprintf(rel, sizeof rel, "figures/%s.%s", stem, r->cfg.output.figure_format);
        st = lt_results_path(r->res, rel, path, sizeof path);
        if (st == LT_OK)
            st = lt_plot_images(path, po, title, rows, nrows, (int)m, SIDE, SIDE, 0.0, 1.0, names, captions);
    }
    return lt_comm_agree(r->c, st);
}

/* reconstructions.npy: the 4 blocks of m rows of image_rows, for `latent
 * compare` to put two runs side by side without their data. Collective. */
static lt_status write_blocks(lt_run *r, const float *buf, int64_t m)
{
    char path[LT_PATH_MAX + 256];
    lt_dataset *ds = NULL;
    LT_CALL(lt_run_path(r, "reconstructions.npy", path, sizeof path));
    LT_CALL(lt_dataset_from_rows(r->c, buf, 4 * m, SIDE * SIDE, &ds));
    lt_status st = lt_npy_write(r->c, path, ds);
    lt_dataset_destroy(&ds);
    return st;
}

/* The first evaluation rows: original, [noisy input,] PCA, autoencoder. */
static lt_status first_rows_figure(lt_run *r, const lt_plot_opts *po, int64_t m)
{
    const int64_t md = m * SIDE * SIDE;
    int noisy = r->cfg.train.noise_factor > 0;
    int64_t ids[NSHOW];
    for (int64_t q = 0; q < m; q++) ids[q] = q;
    float *buf = lt_malloc(sizeof *buf * (size_t)(4 * md));
    LT_AGREE_ALLOC(r->c, buf);
    lt_status st = image_rows(r, ids, m, noisy, buf);
    if (st == LT_OK) st = write_blocks(r, buf, m);
    const float *rows[4] = {buf, buf + md, buf + 2 * md, buf + 3 * md};
    const char *names[4] = {"original", "noisy input", "PCA", "autoencoder"};
    char title[160];
    const char *split = r->eval_is_test ? "test" : "training";
    if (noisy)
        snprintf(title, sizeof title, "First %lld %s rows, noise factor %g: the noisy input reconstructed",
                 (long long)m, split, r->cfg.train.noise_factor);
    else
        snprintf(title, sizeof title, "First %lld %s rows and their reconstructions", (long long)m, split);
    if (!noisy) rows[1] = rows[2], rows[2] = rows[3], names[1] = "PCA", names[2] = "autoencoder";
    if (st == LT_OK) st = draw(r, po, "reconstructions", title, rows, names, noisy ? 4 : 3, m, NULL);
    free(buf);
    return st;
}

/* The rows the autoencoder reconstructs best and worst, with their errors
 * (rows with a non-finite error are left out). */
static lt_status best_worst_figure(lt_run *r, const lt_plot_opts *po, int64_t m)
{
    errrow top[2][NSHOW];
    int64_t got[2], ids[2][NSHOW];
    for (int w = 0; w < 2; w++) LT_CALL(extremes(r, m, w, top[w], &got[w]));
    if ((m = got[0]) < 1) return LT_OK; /* the same count on every rank */
    const int64_t md = m * SIDE * SIDE;
    float *buf = lt_malloc(sizeof *buf * (size_t)(8 * md));
    LT_AGREE_ALLOC(r->c, buf);
    char cap[4][NSHOW][24];
    const char *caps[4 * NSHOW];
    for (int w = 0; w < 2; w++)
        for (int64_t q = 0; q < m; q++) {
            ids[w][q] = top[w][q].i;
            snprintf(cap[2 * w][q], sizeof cap[0][0], "row %lld", (long long)ids[w][q]);
            snprintf(cap[2 * w + 1][q], sizeof cap[0][0], "MSE %.4f", top[w][q].e);
            for (int k = 0; k < 2; k++) caps[(2 * w + k) * m + q] = cap[2 * w + k][q];
        }
    lt_status st = image_rows(r, ids[0], m, 0, buf);
    if (st == LT_OK) st = image_rows(r, ids[1], m, 0, buf + 4 * md);
    const float *rows[4] = {buf, buf + 3 * md, buf + 4 * md, buf + 7 * md};
    const char *names[4] = {"best: original", "autoencoder", "worst: original", "autoencoder"};
    char title[160];
    snprintf(title, sizeof title, "The %lld %s rows the autoencoder reconstructs best and worst", (long long)m,
             r->eval_is_test ? "test" : "training");
    if (st == LT_OK) st = draw(r, po, "reconstructions_best_worst", title, rows, names, 4, m, caps);
    free(buf);
    return st;
}

lt_status lt_stage_image_figures(lt_run *r, const lt_plot_opts *po)
{
    int64_t n = lt_run_eval(r, LT_SPACE_RAW)->n, m = n < NSHOW ? n : NSHOW;
    if (m < 1 || r->train->d != SIDE * SIDE) return LT_OK;
    LT_CALL(first_rows_figure(r, po, m));
    return best_worst_figure(r, po, m);
}
