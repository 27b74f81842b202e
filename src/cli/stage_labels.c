/* Names of the true labels (the obs categories of a single-cell input) for
 * figure legends, and the table of cells per label and k-means cluster. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latent/lt_scprep.h"
#include "run.h"

void lt_label_names_free(lt_label_names *l)
{
    free(l->name);
    memset(l, 0, sizeof *l);
}

/* The categories as read, then "NA" when the recipe gave cells without a
 * label their own class (scprep's label_na). */
lt_status lt_run_label_names(const lt_run *r, lt_label_names *out)
{
    memset(out, 0, sizeof *out);
    out->title = "label";
    lt_scdata *sd = lt_sc_state_data(r->sc);
    if (!sd || !sd->categories) return LT_OK;
    const lt_scprep_info *in = lt_sc_state_info(r->sc);
    int64_t n = sd->categories->n, na = in && in->label_na >= 0;
    out->title = r->cfg.data.obs_key[0] ? r->cfg.data.obs_key : "cell type";
    out->name = malloc(sizeof *out->name * (size_t)(n + na + 1));
    LT_CHECK(out->name, LT_ERR_MEM, "out of memory");
    for (int64_t i = 0; i < n; i++) out->name[i] = lt_strlist_get(sd->categories, i);
    if (na) out->name[n] = "NA";
    out->n = n + na;
    return LT_OK;
}

/* Global cells of each (label, cluster) pair on the evaluation rows. */
static lt_status count_pairs(lt_run *r, int s, int64_t nlab, int64_t **out)
{
    const lt_dataset *ev = lt_run_eval(r, s);
    const lt_kmeans *km = r->space[s].km;
    int64_t *t = lt_calloc((size_t)(nlab * km->k + 1), sizeof *t);
    LT_AGREE_ALLOC(r->c, t);
    for (int64_t i = 0; i < ev->nloc; i++)
        if (ev->y[i] >= 0 && ev->y[i] < nlab) t[ev->y[i] * km->k + km->labels[i]]++;
    lt_status st = lt_comm_sum_i64(r->c, t, nlab * km->k);
    if (st != LT_OK) free(t);
    *out = st == LT_OK ? t : NULL;
    return st;
}

#define LT_LABEL_COLS 12 /* clusters shown as columns; more: the largest only */
#define LT_LABEL_W 7       /* width of one count column */

typedef struct {
    const char *name;
    int64_t k;
    int cols;  /* k count columns, or 0: the largest cluster and its share */
    int width; /* of the block */
    const int64_t *t;
} label_block;

static void block_setup(lt_run *r, int s, const int64_t *t, label_block *b)
{
    int64_t k = r->space[s].km->k;
    b->name = s == LT_SPACE_PCA ? "PCA clusters" : "autoencoder clusters";
    b->k = k;
    b->cols = k <= LT_LABEL_COLS ? (int)k : 0;
    b->width = b->cols ? LT_LABEL_W * b->cols : 24;
    if (b->width < (int)strlen(b->name) + 1) b->width = (int)strlen(b->name) + 1;
    b->t = t;
}

static void print_block_row(const label_block *b, int64_t l)
{
    const int64_t *row = b->t + l * b->k;
    printf(" |");
    if (b->cols) {
        printf("%*s", b->width - LT_LABEL_W * b->cols, "");
        for (int64_t j = 0; j < b->k; j++) printf("%*lld", LT_LABEL_W, (long long)row[j]);
        return;
    }
    int64_t tot = 0, best = 0;
    for (int64_t j = 0; j < b->k; j++) {
        tot += row[j];
        if (row[j] > row[best]) best = j;
    }
    char txt[64];
    snprintf(txt, sizeof txt, "cluster %lld: %.0f%%", (long long)best,
             tot ? 100.0 * (double)row[best] / (double)tot : 0.0);
    printf(" %-*s", b->width - 1, txt);
}

static void print_table(lt_run *r, const lt_label_names *ln, int64_t nlab, const label_block *b, int nb)
{
    printf("\ncells per %s and k-means cluster (%s rows)\n", ln->title, r->eval_is_test ? "test" : "training");
    printf("%-20.20s %8s", "", "");
    for (int a = 0; a < nb; a++) printf(" | %-*s", b[a].width - 1, b[a].name);
    printf("\n%-20.20s %8s", ln->title, "cells");
    for (int a = 0; a < nb; a++) {
        printf(" |");
        if (!b[a].cols) printf(" %-*s", b[a].width - 1, "largest: share");
        else {
            printf("%*s", b[a].width - LT_LABEL_W * b[a].cols, "");
            for (int64_t j = 0; j < b[a].k; j++) printf("%*lld", LT_LABEL_W, (long long)j);
        }
    }
    printf("\n");
    for (int64_t l = 0; l < nlab; l++) {
        int64_t tot = 0;
        for (int64_t j = 0; j < b[0].k; j++) tot += b[0].t[l * b[0].k + j];
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)l);
        printf("%-20.20s %8lld", l < ln->n ? ln->name[l] : num, (long long)tot);
        for (int a = 0; a < nb; a++) print_block_row(&b[a], l);
        printf("\n");
    }
    fflush(stdout);
}

static lt_status metrics_pairs(lt_run *r, int s, const int64_t *t, int64_t nlab)
{
    char p[128];
    snprintf(p, sizeof p, "spaces.%s.cells_per_label_and_cluster", lt_space_name(s));
    return lt_metrics_set_array_i64(r->m, p, t, nlab * r->space[s].km->k);
}

lt_status lt_stage_label_table(lt_run *r)
{
    const lt_dataset *ev = lt_run_eval(r, LT_SPACE_RAW);
    int64_t has = ev->y != NULL || ev->nloc == 0, mx = -1;
    LT_CALL(lt_comm_min_i64(r->c, &has, 1));
    int sp[LT_NSPACES], ns = 0;
    for (int s = LT_SPACE_PCA; s < LT_NSPACES; s++)
        if (r->space[s].done) sp[ns++] = s;
    if (!has || ns == 0 || ev->n == 0) return LT_OK;
    for (int64_t i = 0; i < ev->nloc; i++) mx = ev->y[i] > mx ? ev->y[i] : mx;
    LT_CALL(lt_comm_max_i64(r->c, &mx, 1));
    lt_label_names ln;
    lt_status st = lt_comm_agree(r->c, lt_run_label_names(r, &ln));
    if (st != LT_OK) {
        lt_label_names_free(&ln);
        return st;
    }
    int64_t nlab = mx + 1 > ln.n ? mx + 1 : ln.n;
    int64_t *t[LT_NSPACES] = {NULL};
    for (int a = 0; a < ns && st == LT_OK; a++) st = count_pairs(r, sp[a], nlab, &t[a]);
    /* A table of thousands of rows is no table: metrics.json still has it. */
    if (st == LT_OK && lt_comm_rank(r->c) == 0 && nlab <= 200) {
        label_block b[LT_NSPACES];
        for (int a = 0; a < ns; a++) block_setup(r, sp[a], t[a], &b[a]);
        print_table(r, &ln, nlab, b, ns);
    }
    for (int a = 0; a < ns && st == LT_OK; a++) st = metrics_pairs(r, sp[a], t[a], nlab);
    for (int a = 0; a < ns; a++) free(t[a]);
    lt_label_names_free(&ln);
    return lt_comm_agree(r->c, st);
}
