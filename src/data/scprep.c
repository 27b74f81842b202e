/* scanpy's preprocessing recipe on the row-sharded sparse matrix. Cell
 * statistics are local to the rank holding the cell; gene statistics are
 * double sums reduced over ranks (lt_comm_sum_d), after which the small
 * per-gene computations (bins, LOESS, ranking) run identically on every
 * rank. Formulas: scanpy's _normalization.py, _highly_variable_genes.py and
 * _scale.py (see docs/formats.md). */
#include "latent/lt_scprep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- re-sharding the cells that survive a filter ------------------------ */

/* Wire form of one cell: header, name padded to 8 bytes, indices, values. */
typedef struct {
    int64_t id, nnz;
    int32_t label, namelen;
} cell_head;

static int64_t pad8(int64_t n) { return (n + 7) & ~(int64_t)7; }

static int64_t cell_bytes(const lt_scdata *s, int64_t i)
{
    const lt_csr *m = s->x;
    int64_t nl = s->obs_names ? (int64_t)strlen(lt_strlist_get(s->obs_names, i)) : 0;
    return (int64_t)sizeof(cell_head) + pad8(nl + 1) + 8 * (m->indptr[i + 1] - m->indptr[i]);
}

static char *put_cell(const lt_scdata *s, int64_t i, char *p)
{
    const lt_csr *m = s->x;
    const char *name = s->obs_names ? lt_strlist_get(s->obs_names, i) : "";
    int64_t a = m->indptr[i], nnz = m->indptr[i + 1] - a;
    cell_head h = {s->cell_ids ? s->cell_ids[i] : m->row0 + i, nnz, s->labels ? s->labels[i] : -1,
                   (int32_t)strlen(name)};
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memset(p, 0, (size_t)pad8(h.namelen + 1));
    memcpy(p, name, (size_t)h.namelen);
    p += pad8(h.namelen + 1);
    memcpy(p, m->indices + a, 4 * (size_t)nnz);
    memcpy(p + 4 * nnz, m->data + a, 4 * (size_t)nnz);
    return p + 8 * nnz;
}

/* Builds the new local block from received cells (in global order). */
static lt_status take_cells(lt_comm *c, const lt_scdata *s, const char *buf, int64_t bytes,
                            int64_t n_new, lt_scdata *t)
{
    int64_t nnz = 0, cells = 0;
    for (int64_t at = 0; at < bytes; cells++) {
        cell_head h;
        memcpy(&h, buf + at, sizeof h);
        nnz += h.nnz;
        at += (int64_t)sizeof h + pad8(h.namelen + 1) + 8 * h.nnz;
    }
    lt_status st = lt_csr_create(c, n_new, s->x->d, nnz, &t->x);
    if (st != LT_OK) return st;
    lt_status ls = t->x->nloc == cells ? LT_OK
                                       : lt_error_raise(LT_ERR_INTERNAL, __FILE__, __LINE__,
                                                        "filter: %lld cells arrived for %lld rows",
                                                        (long long)cells, (long long)t->x->nloc);
    t->cell_ids = lt_malloc(sizeof *t->cell_ids * (size_t)(cells + 1));
    if (s->labels) t->labels = lt_malloc(sizeof *t->labels * (size_t)(cells + 1));
    if (ls == LT_OK && s->obs_names) ls = lt_strlist_create(&t->obs_names);
    if (ls == LT_OK && (!t->cell_ids || (s->labels && !t->labels))) ls = LT_ERR_MEM;
    int64_t at = 0, e = 0;
    for (int64_t i = 0; ls == LT_OK && i < cells; i++) {
        cell_head h;
        memcpy(&h, buf + at, sizeof h);
        at += (int64_t)sizeof h;
        if (t->obs_names) ls = lt_strlist_push(t->obs_names, buf + at, (size_t)h.namelen);
        at += pad8(h.namelen + 1);
        memcpy(t->x->indices + e, buf + at, 4 * (size_t)h.nnz);
        memcpy(t->x->data + e, buf + at + 4 * h.nnz, 4 * (size_t)h.nnz);
        at += 8 * h.nnz;
        e += h.nnz;
        t->x->indptr[i + 1] = e;
        t->cell_ids[i] = h.id;
        if (t->labels) t->labels[i] = h.label;
    }
    return lt_comm_agree(c, ls);
}

/* Collective: keeps the local cells with keep[i] != 0, re-sharded. */
static lt_status select_cells(lt_comm *c, lt_scdata *s, const uint8_t *keep)
{
    lt_csr *m = s->x;
    int p = lt_comm_size(c);
    int64_t nk = 0, first = 0, total = 0;
    for (int64_t i = 0; i < m->nloc; i++) nk += keep[i] != 0;
    LT_CALL(lt_comm_exscan_i64(c, nk, &first));
    total = nk;
    LT_CALL(lt_comm_sum_i64(c, &total, 1));
    if (total == m->n) return LT_OK;
    int64_t *cnt = lt_calloc((size_t)p * 5, sizeof *cnt);
    if (!cnt) return lt_comm_agree(c, LT_ERR_MEM);
    int64_t *sd = cnt + p, *rc = cnt + 2 * p, *rd = cnt + 3 * p, *eight = cnt + 4 * p;
    for (int64_t i = 0, g = first; i < m->nloc; i++)
        if (keep[i]) cnt[lt_shard_owner(total, p, g++)] += cell_bytes(s, i);
    int64_t sbytes = 0;
    for (int r = 0; r < p; r++) sd[r] = sbytes, sbytes += cnt[r];
    char *send = lt_malloc((size_t)sbytes + 8), *recv = NULL;
    lt_status st = lt_comm_agree(c, send ? LT_OK : LT_ERR_MEM);
    char *w = send;
    for (int64_t i = 0; st == LT_OK && i < m->nloc; i++)
        if (keep[i]) w = put_cell(s, i, w);
    for (int r = 0; r < p; r++) eight[r] = 8, rd[r] = 8 * r;
    int64_t *got = rc; /* receive byte counts land here */
    if (st == LT_OK) st = lt_comm_alltoallv(c, cnt, eight, rd, got, eight, rd);
    int64_t rbytes = 0;
    for (int r = 0; r < p; r++) rd[r] = rbytes, rbytes += got[r];
    if (st == LT_OK) {
        recv = lt_malloc((size_t)rbytes + 8);
        st = lt_comm_agree(c, recv ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK) st = lt_comm_alltoallv(c, send, cnt, sd, recv, got, rd);
    free(send);
    lt_scdata t = {0};
    if (st == LT_OK) st = take_cells(c, s, recv, rbytes, total, &t);
    free(recv);
    free(cnt);
    if (st != LT_OK) {
        lt_csr_destroy(&t.x);
        lt_strlist_destroy(&t.obs_names);
        free(t.labels);
        free(t.cell_ids);
        return st;
    }
    lt_csr_destroy(&s->x);
    lt_strlist_destroy(&s->obs_names);
    free(s->labels);
    free(s->cell_ids);
    s->x = t.x;
    s->obs_names = t.obs_names;
    s->labels = t.labels;
    s->cell_ids = t.cell_ids;
    return LT_OK;
}

lt_status lt_sc_filter_cells(lt_comm *c, lt_scdata *s, int64_t min_genes)
{
    lt_csr *m = s->x;
    uint8_t *keep = lt_malloc((size_t)m->nloc + 1);
    LT_AGREE_ALLOC(c, keep);
    for (int64_t i = 0; i < m->nloc; i++) {
        int64_t g = 0;
        for (int64_t k = m->indptr[i]; k < m->indptr[i + 1]; k++) g += m->data[k] > 0;
        keep[i] = g >= min_genes;
    }
    int64_t kept = 0;
    for (int64_t i = 0; i < m->nloc; i++) kept += keep[i];
    lt_status st = lt_comm_sum_i64(c, &kept, 1);
    if (st == LT_OK && kept == 0)
        st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                            "filter_cells: no cell has min_genes = %lld genes detected",
                            (long long)min_genes);
    if (st == LT_OK) st = select_cells(c, s, keep);
    free(keep);
    return st;
}

lt_status lt_sc_filter_genes(lt_comm *c, lt_scdata *s, int64_t min_cells, int64_t **kept,
                             int64_t *nkept)
{
    lt_csr *m = s->x;
    int64_t d = m->d;
    if (kept) *kept = NULL;
    int64_t *cnt = lt_calloc((size_t)d + 1, sizeof *cnt);
    LT_AGREE_ALLOC(c, cnt);
    for (int64_t k = 0; k < m->nnz; k++) cnt[m->indices[k]] += m->data[k] > 0;
    lt_status st = lt_comm_sum_i64(c, cnt, d);
    /* cnt becomes the new index of each gene (-1: dropped) */
    int64_t nk = 0;
    for (int64_t j = 0; j < d; j++) cnt[j] = cnt[j] >= min_cells ? nk++ : -1;
    if (st == LT_OK && nk == 0)
        st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                            "filter_genes: no gene is detected in min_cells = %lld cells",
                            (long long)min_cells);
    int64_t *ids = st == LT_OK ? lt_malloc(sizeof *ids * (size_t)(nk + 1)) : NULL;
    lt_strlist *names = NULL;
    if (st == LT_OK && !ids) st = LT_ERR_MEM;
    if (st == LT_OK && s->var_names) st = lt_strlist_create(&names);
    for (int64_t j = 0; st == LT_OK && j < d; j++)
        if (cnt[j] >= 0) {
            ids[cnt[j]] = j;
            if (names) st = lt_strlist_push(names, lt_strlist_get(s->var_names, j),
                                            strlen(lt_strlist_get(s->var_names, j)));
        }
    st = lt_comm_agree(c, st);
    if (st == LT_OK && nk < d) {
        int64_t e = 0;
        for (int64_t i = 0; i < m->nloc; i++) {
            int64_t a = m->indptr[i], b = m->indptr[i + 1];
            m->indptr[i] = e;
            for (int64_t k = a; k < b; k++)
                if (cnt[m->indices[k]] >= 0) {
                    m->indices[e] = (int32_t)cnt[m->indices[k]];
                    m->data[e++] = m->data[k];
                }
        }
        m->indptr[m->nloc] = e;
        m->nnz = e;
        m->d = nk;
    }
    if (st == LT_OK && names) {
        lt_strlist_destroy(&s->var_names);
        s->var_names = names;
        names = NULL;
    }
    lt_strlist_destroy(&names);
    free(cnt);
    if (st == LT_OK && kept) *kept = ids, ids = NULL;
    if (nkept) *nkept = st == LT_OK ? nk : 0;
    free(ids);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

lt_status lt_sc_normalize_total(lt_comm *c, lt_csr *m, double target_sum, double *used)
{
    /* Every rank gets all totals (n doubles) for the median: a cell count
     * of 10^7 is 80 MB, small next to the matrix. */
    double *tot = NULL;
    if (target_sum <= 0) {
        tot = lt_calloc((size_t)m->n + 1, sizeof *tot);
        LT_AGREE_ALLOC(c, tot);
    }
    double *mine = lt_malloc(sizeof *mine * (size_t)(m->nloc + 1));
    lt_status st = lt_comm_agree(c, mine ? LT_OK : LT_ERR_MEM);
    for (int64_t i = 0; st == LT_OK && i < m->nloc; i++) {
        double t = 0;
        for (int64_t k = m->indptr[i]; k < m->indptr[i + 1]; k++) t += m->data[k];
        mine[i] = t;
        if (tot) tot[m->row0 + i] = t;
    }
    if (st == LT_OK && tot) st = lt_comm_sum_d(c, tot, m->n);
    if (st == LT_OK && tot) {
        int64_t np = 0;
        for (int64_t i = 0; i < m->n; i++)
            if (tot[i] > 0) tot[np++] = tot[i];
        qsort(tot, (size_t)np, sizeof *tot, cmp_double);
        target_sum = np == 0 ? 0 : np % 2 ? tot[np / 2] : 0.5 * (tot[np / 2 - 1] + tot[np / 2]);
        if (np == 0)
            st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                                "normalize_total: every cell has total count 0");
    }
    for (int64_t i = 0; st == LT_OK && i < m->nloc; i++) {
        if (mine[i] <= 0) continue;
        double f = target_sum / mine[i];
        for (int64_t k = m->indptr[i]; k < m->indptr[i + 1]; k++)
            m->data[k] = (float)(m->data[k] * f);
    }
    free(tot);
    free(mine);
    if (used) *used = target_sum;
    return st;
}

lt_status lt_sc_log1p(lt_comm *c, lt_csr *m, const char *what)
{
    lt_status st = LT_OK;
    for (int64_t i = 0; i < m->nloc && st == LT_OK; i++)
        for (int64_t k = m->indptr[i]; k < m->indptr[i + 1]; k++) {
            if (m->data[k] < 0) {
                st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                                    "%s: negative value %g at cell %lld, gene %d: log1p needs "
                                    "counts >= 0",
                                    what, m->data[k], (long long)(m->row0 + i), m->indices[k]);
                break;
            }
            m->data[k] = log1pf(m->data[k]); /* float: error below 1 ulp, 2x faster */
        }
    return lt_comm_agree(c, st);
}

/* ---- highly variable genes --------------------------------------------- */

void lt_hvg_destroy(lt_hvg **h)
{
    if (!h || !*h) return;
    free((*h)->highly_variable);
    free((*h)->means);
    free((*h)->dispersions);
    free((*h)->dispersions_norm);
    free(*h);
    *h = NULL;
}

static lt_status hvg_create(int64_t d, lt_hvg **out)
{
    lt_hvg *h = lt_calloc(1, sizeof *h);
    LT_CHECK(h, LT_ERR_MEM, "out of memory");
    h->d = d;
    h->highly_variable = lt_calloc((size_t)d + 1, 1);
    h->means = lt_calloc((size_t)d + 1, sizeof(double));
    h->dispersions = lt_calloc((size_t)d + 1, sizeof(double));
    h->dispersions_norm = lt_calloc((size_t)d + 1, sizeof(double));
    if (!h->highly_variable || !h->means || !h->dispersions || !h->dispersions_norm) {
        lt_hvg_destroy(&h);
        LT_FAIL(LT_ERR_MEM, "out of memory");
    }
    *out = h;
    return LT_OK;
}

/* Column sums of f(x) and f(x)^2 over all cells (zeros contribute f(0) = 0). */
static lt_status column_moments(lt_comm *c, const lt_csr *m, int expm1_first, double *s1,
                                double *s2)
{
    memset(s1, 0, sizeof *s1 * (size_t)m->d);
    memset(s2, 0, sizeof *s2 * (size_t)m->d);
    for (int64_t k = 0; k < m->nnz; k++) {
        double v = expm1_first ? (double)expm1f(m->data[k]) : (double)m->data[k];
        s1[m->indices[k]] += v;
        s2[m->indices[k]] += v * v;
    }
    LT_CALL(lt_comm_sum_d(c, s1, m->d));
    return lt_comm_sum_d(c, s2, m->d);
}

/* mean and unbiased variance as scanpy's mean_var: (E[x^2] - mean^2) n/(n-1). */
static void mean_var(const double *s1, const double *s2, int64_t d, int64_t n, double *mean,
                     double *var)
{
    for (int64_t j = 0; j < d; j++) {
        mean[j] = s1[j] / (double)n;
        var[j] = (s2[j] / (double)n - mean[j] * mean[j]) * ((double)n / (double)(n - 1));
    }
}

/* pd.cut(means, n_bins): equal-width bins over [min, max], the first edge
 * lowered by 0.1 % of the range; bin k holds edges[k] < x <= edges[k+1]. */
static void mean_bins(const double *x, int64_t d, int nb, int *bin)
{
    double mn = INFINITY, mx = -INFINITY;
    for (int64_t j = 0; j < d; j++) {
        if (x[j] < mn) mn = x[j];
        if (x[j] > mx) mx = x[j];
    }
    double e[1025];
    if (nb > 1024) nb = 1024;
    if (mn == mx) {
        double lo = mn != 0 ? mn - 0.001 * fabs(mn) : mn - 0.001;
        double hi = mx != 0 ? mx + 0.001 * fabs(mx) : mx + 0.001;
        double step = (hi - lo) / nb;
        for (int k = 0; k <= nb; k++) e[k] = (double)k * step + lo;
        e[nb] = hi;
    } else {
        double step = (mx - mn) / nb;
        for (int k = 0; k <= nb; k++) e[k] = (double)k * step + mn; /* numpy.linspace */
        e[nb] = mx;
        e[0] -= (mx - mn) * 0.001;
    }
    for (int64_t j = 0; j < d; j++) {
        int lo = 0, hi = nb + 1; /* searchsorted(e, x, side='left') */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (e[mid] < x[j]) lo = mid + 1;
            else hi = mid;
        }
        bin[j] = lo - 1;
    }
}

/* Normalised dispersion per gene: (disp - bin mean) / bin std (ddof 1, NaN
 * dispersions skipped as pandas does); a bin with a single gene gets mean 0
 * and std = its mean (scanpy: normalised dispersion 1). */
static lt_status seurat_norm(const double *mean, const double *disp, int64_t d, int nb,
                             double *norm)
{
    int *bin = lt_malloc(sizeof *bin * (size_t)d + 1);
    double *acc = lt_calloc((size_t)nb * 3 + 3, sizeof *acc);
    if (!bin || !acc) {
        free(bin);
        free(acc);
        LT_FAIL(LT_ERR_MEM, "out of memory");
    }
    double *cnt = acc, *avg = acc + nb, *dev = acc + 2 * nb;
    mean_bins(mean, d, nb, bin);
    for (int64_t j = 0; j < d; j++)
        if (!isnan(disp[j])) cnt[bin[j]] += 1, avg[bin[j]] += disp[j];
    for (int b = 0; b < nb; b++) avg[b] = cnt[b] > 0 ? avg[b] / cnt[b] : NAN;
    for (int64_t j = 0; j < d; j++)
        if (!isnan(disp[j])) dev[bin[j]] += (disp[j] - avg[bin[j]]) * (disp[j] - avg[bin[j]]);
    for (int b = 0; b < nb; b++) {
        dev[b] = cnt[b] > 1 ? sqrt(dev[b] / (cnt[b] - 1)) : NAN;
        if (isnan(dev[b])) dev[b] = avg[b], avg[b] = 0;
    }
    for (int64_t j = 0; j < d; j++) norm[j] = (disp[j] - avg[bin[j]]) / dev[bin[j]];
    free(bin);
    free(acc);
    return LT_OK;
}

/* The n_top-th highest non-NaN value; genes at or above it are selected
 * (ties may select more, as scanpy). */
static lt_status select_top(const double *v, int64_t d, int64_t top, uint8_t *sel, int64_t *nsel)
{
    double *w = lt_malloc(sizeof *w * (size_t)d + 8);
    LT_CHECK(w, LT_ERR_MEM, "out of memory");
    int64_t m = 0;
    for (int64_t j = 0; j < d; j++)
        if (!isnan(v[j])) w[m++] = v[j];
    qsort(w, (size_t)m, sizeof *w, cmp_double);
    if (top > m) top = m;
    double cut = top > 0 ? w[m - top] : INFINITY;
    *nsel = 0;
    for (int64_t j = 0; j < d; j++) {
        sel[j] = !isnan(v[j]) && v[j] >= cut;
        *nsel += sel[j];
    }
    free(w);
    return LT_OK;
}

static lt_status hvg_seurat(lt_comm *c, const lt_csr *m, const lt_hvg_opts *o, lt_hvg *h,
                            double *s1, double *s2)
{
    int64_t d = m->d;
    LT_CALL(column_moments(c, m, 1, s1, s2));
    double *var = s2; /* reused after mean_var has read it */
    mean_var(s1, s2, d, m->n, h->means, var);
    for (int64_t j = 0; j < d; j++) {
        double mu = h->means[j] == 0 ? 1e-12 : h->means[j];
        double disp = var[j] / mu;
        h->dispersions[j] = disp == 0 ? NAN : log(disp);
        h->means[j] = log1p(mu);
    }
    LT_CALL(seurat_norm(h->means, h->dispersions, d, o->n_bins > 0 ? o->n_bins : 20,
                        h->dispersions_norm));
    return select_top(h->dispersions_norm, d, o->n_top_genes, h->highly_variable, &h->n_selected);
}

typedef struct {
    double v;
    int64_t j;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? 1 : -1; /* descending */
    return (x->j > y->j) - (x->j < y->j);
}

static lt_status hvg_seurat_v3(lt_comm *c, const lt_csr *m, const lt_hvg_opts *o, lt_hvg *h,
                               double *s1, double *s2)
{
    int64_t d = m->d, n = m->n;
    LT_CALL(column_moments(c, m, 0, s1, s2));
    double *var = h->dispersions;
    mean_var(s1, s2, d, n, h->means, var);
    double *x = lt_malloc(sizeof *x * (size_t)(3 * d + 3));
    LT_AGREE_ALLOC(c, x);
    double *y = x + d, *fit = x + 2 * d, *reg = s1, *clip = s2;
    int64_t nc = 0;
    for (int64_t j = 0; j < d; j++)
        if (var[j] > 0) x[nc] = log10(h->means[j]), y[nc++] = log10(var[j]);
    lt_status st = lt_loess_fit(x, y, nc, o->span > 0 ? o->span : 0.3, fit);
    for (int64_t j = 0, a = 0; st == LT_OK && j < d; j++) {
        double est = var[j] > 0 ? fit[a++] : 0.0;
        reg[j] = sqrt(pow(10.0, est));
        clip[j] = reg[j] * sqrt((double)n) + h->means[j];
    }
    st = lt_comm_agree(c, st);
    /* Second pass: sums of the clipped counts and their squares. */
    double *cs = x, *cq = x + d;
    if (st == LT_OK) {
        memset(x, 0, sizeof *x * (size_t)(2 * d));
        for (int64_t k = 0; k < m->nnz; k++) {
            int32_t j = m->indices[k];
            double v = (double)m->data[k] < clip[j] ? (double)m->data[k] : clip[j];
            cs[j] += v;
            cq[j] += v * v;
        }
        st = lt_comm_sum_d(c, x, 2 * d);
    }
    for (int64_t j = 0; st == LT_OK && j < d; j++) {
        double mu = h->means[j];
        h->dispersions_norm[j] = 1.0 / ((double)(n - 1) * reg[j] * reg[j]) *
                                 ((double)n * mu * mu + cq[j] - 2.0 * cs[j] * mu);
    }
    free(x);
    if (st != LT_OK) return st;
    /* The n_top_genes largest normalised variances (ties: lower gene index). */
    ranked *r = lt_malloc(sizeof *r * (size_t)d + 8);
    LT_CHECK(r, LT_ERR_MEM, "out of memory");
    for (int64_t j = 0; j < d; j++) r[j] = (ranked){h->dispersions_norm[j], j};
    qsort(r, (size_t)d, sizeof *r, cmp_ranked);
    int64_t top = o->n_top_genes < d ? o->n_top_genes : d;
    for (int64_t a = 0; a < top; a++) h->highly_variable[r[a].j] = 1;
    h->n_selected = top;
    free(r);
    return LT_OK;
}

lt_status lt_sc_hvg(lt_comm *c, const lt_csr *m, const lt_hvg_opts *o, lt_hvg **out)
{
    *out = NULL;
    LT_CHECK(m->n >= 2, LT_ERR_DATA, "highly_variable_genes needs at least 2 cells (have %lld)",
             (long long)m->n);
    LT_CHECK(o->n_top_genes >= 1, LT_ERR_ARG, "highly_variable_genes: n_top_genes must be >= 1");
    lt_hvg *h = NULL;
    double *s = lt_malloc(sizeof *s * (size_t)(2 * m->d + 2));
    lt_status st = s ? hvg_create(m->d, &h) : LT_ERR_MEM;
    st = lt_comm_agree(c, st);
    if (st == LT_OK)
        st = o->flavor == LT_HVG_SEURAT_V3 ? hvg_seurat_v3(c, m, o, h, s, s + m->d)
                                           : hvg_seurat(c, m, o, h, s, s + m->d);
    /* Both end with local work after their last collective (the binning,
     * the ranking's scratch): a failure there is one rank's (found by the
     * fault sweep: the ranks that went on waited in the next collective). */
    st = lt_comm_agree(c, st);
    free(s);
    if (st != LT_OK) lt_hvg_destroy(&h);
    *out = h;
    return st;
}

/* ---- LOESS -------------------------------------------------------------- */

typedef struct {
    double x;
    int64_t i;
} xi;

static int cmp_xi(const void *a, const void *b)
{
    const xi *p = a, *q = b;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

/* Weighted quadratic fit around x0 over sorted points [lo, hi), value at x0. */
static double local_fit(const xi *s, const double *y, int64_t lo, int64_t hi, double x0, double h)
{
    double m[5] = {0}, t[3] = {0};
    for (int64_t a = lo; a < hi; a++) {
        double dist = fabs(s[a].x - x0);
        if (h > 0 && dist >= h) continue;
        double u = h > 0 ? dist / h : 0, w = 1 - u * u * u;
        w = w * w * w;
        double z = h > 0 ? (s[a].x - x0) / h : 0, yy = y[s[a].i];
        double zp = w;
        for (int k = 0; k < 5; k++) {
            m[k] += zp;
            if (k < 3) t[k] += zp * yy;
            zp *= z;
        }
    }
    /* Solve [m0 m1 m2; m1 m2 m3; m2 m3 m4] b = t; fall back to lower degree
     * when the points are too few or collinear. */
    double a11 = m[0], a12 = m[1], a13 = m[2], a22 = m[2], a23 = m[3], a33 = m[4];
    double det = a11 * (a22 * a33 - a23 * a23) - a12 * (a12 * a33 - a23 * a13) +
                 a13 * (a12 * a23 - a22 * a13);
    double scale = fabs(a11 * a22 * a33) + 1e-300;
    if (fabs(det) > 1e-12 * scale)
        return (t[0] * (a22 * a33 - a23 * a23) - a12 * (t[1] * a33 - a23 * t[2]) +
                a13 * (t[1] * a23 - a22 * t[2])) / det;
    double det2 = a11 * a22 - a12 * a12;
    if (fabs(det2) > 1e-12 * (fabs(a11 * a22) + 1e-300)) return (t[0] * a22 - a12 * t[1]) / det2;
    return a11 > 0 ? t[0] / a11 : 0;
}

lt_status lt_loess_fit(const double *x, const double *y, int64_t n, double span, double *fit)
{
    if (n == 0) return LT_OK;
    xi *s = lt_malloc(sizeof *s * (size_t)n);
    LT_CHECK(s, LT_ERR_MEM, "out of memory");
    for (int64_t i = 0; i < n; i++) s[i] = (xi){x[i], i};
    qsort(s, (size_t)n, sizeof *s, cmp_xi);
    int64_t q = (int64_t)floor(span * (double)n);
    if (q < 3) q = n < 3 ? n : 3;
    if (q > n) q = n;
    /* The q nearest neighbours of a sorted point form a window that only
     * moves right as x0 grows. */
    int64_t lo = 0;
    for (int64_t a = 0; a < n; a++) {
        double x0 = s[a].x;
        while (lo + q < n && s[lo + q].x - x0 < x0 - s[lo].x) lo++;
        double h = fmax(x0 - s[lo].x, s[lo + q - 1].x - x0);
        fit[s[a].i] = local_fit(s, y, lo, lo + q, x0, h);
    }
    free(s);
    return LT_OK;
}

/* ---- densify with scaling ----------------------------------------------- */

/* Column statistics of the selected genes straight from the sparse rows
 * (zeros add nothing to the sums): pos[j] is gene j's output column or -1. */
static lt_status selected_moments(lt_comm *c, const lt_csr *m, const int64_t *pos, int64_t k,
                                  double *s1, double *s2)
{
    memset(s1, 0, sizeof *s1 * (size_t)k);
    memset(s2, 0, sizeof *s2 * (size_t)k);
    for (int64_t e = 0; e < m->nnz; e++) {
        int64_t p = pos[m->indices[e]];
        if (p < 0) continue;
        double v = m->data[e];
        s1[p] += v;
        s2[p] += v * v;
    }
    LT_CALL(lt_comm_sum_d(c, s1, k));
    return lt_comm_sum_d(c, s2, k);
}

/* One pass over the output: every row starts as the scaled zero of each
 * column, then the row's non-zeros overwrite theirs. */
static void scaled_rows(const lt_csr *m, const int64_t *pos, int64_t k, const double *mu,
                        const double *sd, double lo, double hi, int center, lt_dataset *ds)
{
    const float *zero = ds->x; /* row 0 is the template until its non-zeros go in */
    for (int64_t i = 0; i < m->nloc; i++) {
        float *row = ds->x + i * k;
        if (i == 0) {
            for (int64_t j = 0; j < k; j++) {
                double v = (0.0 - (center ? mu[j] : 0)) / sd[j];
                row[j] = (float)(v > hi ? hi : v < lo ? lo : v);
            }
        } else {
            memcpy(row, zero, sizeof *row * (size_t)k);
        }
    }
    /* Row 0 is the template for the others: fill its non-zeros last. */
    for (int64_t i = m->nloc - 1; i >= 0; i--) {
        float *row = ds->x + i * k;
        for (int64_t e = m->indptr[i]; e < m->indptr[i + 1]; e++) {
            int64_t p = pos[m->indices[e]];
            if (p < 0) continue;
            double v = ((double)m->data[e] - (center ? mu[p] : 0)) / sd[p];
            row[p] = (float)(v > hi ? hi : v < lo ? lo : v);
        }
    }
}

lt_status lt_sc_densify(lt_comm *c, const lt_csr *m, const int64_t *cols, int64_t k,
                        const lt_scale_opts *o, double *mean, double *std, lt_dataset **out)
{
    *out = NULL;
    int scale = o && o->scale;
    LT_CHECK(!scale || m->n >= 2, LT_ERR_DATA, "scale needs at least 2 cells (have %lld)",
             (long long)m->n);
    if (!scale) return lt_csr_densify(c, m, cols, k, out);
    if (!cols) k = m->d;
    int64_t *pos = NULL;
    double *s = lt_calloc((size_t)(4 * k + 4), sizeof *s);
    lt_status st = lt_csr_column_positions(c, m, cols, k, &pos);
    if (st == LT_OK) st = lt_comm_agree(c, s ? LT_OK : LT_ERR_MEM);
    double *s1 = s, *s2 = s + k, *mu = s + 2 * k, *sd = s + 3 * k;
    if (st == LT_OK) st = selected_moments(c, m, pos, k, s1, s2);
    lt_dataset *ds = NULL;
    if (st == LT_OK) {
        mean_var(s1, s2, k, m->n, mu, sd);
        for (int64_t j = 0; j < k; j++) {
            sd[j] = sd[j] > 0 ? sqrt(sd[j]) : 0; /* rounding can leave -1e-17 */
            if (sd[j] == 0) sd[j] = 1;
        }
        st = lt_dataset_create(c, m->n, k, 0, &ds);
    }
    if (st == LT_OK) {
        double hi = o->max_value > 0 ? o->max_value : INFINITY;
        double lo = o->zero_center ? -hi : -INFINITY;
        scaled_rows(m, pos, k, mu, sd, lo, hi, o->zero_center, ds);
        if (mean) memcpy(mean, mu, sizeof *mean * (size_t)k);
        if (std) memcpy(std, sd, sizeof *std * (size_t)k);
    }
    free(pos);
    free(s);
    *out = ds;
    return st;
}

/* ---- the recipe --------------------------------------------------------- */

void lt_scprep_opts_default(lt_scprep_opts *o)
{
    memset(o, 0, sizeof *o);
    o->normalize = 1;
    o->log1p = 1;
    o->hvg.flavor = LT_HVG_SEURAT;
    o->hvg.n_top_genes = 2000;
    o->hvg.n_bins = 20;
    o->hvg.span = 0.3;
    o->scale.scale = 1;
    o->scale.zero_center = 1;
    o->scale.max_value = 10;
}

void lt_scprep_info_destroy(lt_scprep_info **i)
{
    if (!i || !*i) return;
    free((*i)->gene_ids);
    lt_hvg_destroy(&(*i)->hvg);
    free((*i)->cols);
    free((*i)->mean);
    free((*i)->std);
    free(*i);
    *i = NULL;
}

/* Labels of the dense output: a missing label (-1) becomes one more class,
 * number categories->n (named NA in reports); s->labels keep -1. */
static lt_status attach_labels(lt_comm *c, const lt_scdata *s, lt_dataset *ds, int32_t *na)
{
    int64_t missing = 0;
    for (int64_t i = 0; i < s->x->nloc; i++) missing += s->labels[i] < 0;
    LT_CALL(lt_comm_sum_i64(c, &missing, 1));
    *na = missing ? (int32_t)s->categories->n : -1;
    ds->y = lt_malloc(sizeof *ds->y * (size_t)(ds->nloc + 1));
    LT_AGREE_ALLOC(c, ds->y);
    for (int64_t i = 0; i < ds->nloc; i++) ds->y[i] = s->labels[i] < 0 ? *na : s->labels[i];
    return LT_OK;
}

static lt_status selected_columns(const lt_scprep_info *in, int64_t d, int64_t **cols, int64_t *k)
{
    *cols = lt_malloc(sizeof **cols * (size_t)(d + 1));
    LT_CHECK(*cols, LT_ERR_MEM, "out of memory");
    *k = 0;
    for (int64_t j = 0; j < d; j++)
        if (!in->hvg || in->hvg->highly_variable[j]) (*cols)[(*k)++] = j;
    return LT_OK;
}

/* Drops the genes the dense output does not take from m, in place, and
 * renumbers the kept ones 0..k-1 (cols ascending, so rows stay sorted): the
 * sparse matrix then holds the selected genes' share of the non-zeros when
 * the dense block is allocated, instead of all of them (1M cells x 20k
 * genes at 5%: 4.0 -> 0.3 GB per rank of 2 beside the 4 GB dense block).
 * The arrays shrink; a failed shrink keeps the larger block. Not collective. */
static lt_status keep_selected_genes(lt_csr *m, const int64_t *cols, int64_t k)
{
    int64_t *pos = lt_malloc(sizeof *pos * (size_t)(m->d + 1));
    LT_CHECK(pos, LT_ERR_MEM, "out of memory (%lld genes)", (long long)m->d);
    for (int64_t j = 0; j < m->d; j++) pos[j] = -1;
    for (int64_t a = 0; a < k; a++) pos[cols[a]] = a;
    int64_t w = 0, start = 0;
    for (int64_t i = 0; i < m->nloc; i++) {
        int64_t end = m->indptr[i + 1];
        for (int64_t e = start; e < end; e++) {
            int64_t p = pos[m->indices[e]];
            if (p < 0) continue;
            m->indices[w] = (int32_t)p;
            m->data[w++] = m->data[e];
        }
        start = end;
        m->indptr[i + 1] = w;
    }
    free(pos);
    m->nnz = w;
    m->d = k;
    int32_t *ni = realloc(m->indices, sizeof *ni * (size_t)(w + 1));
    if (ni) m->indices = ni;
    float *nd = realloc(m->data, sizeof *nd * (size_t)(w + 1));
    if (nd) m->data = nd;
    return LT_OK;
}

static lt_status run_steps(lt_comm *c, lt_scdata *s, const lt_scprep_opts *o, lt_scprep_info *in,
                           lt_dataset **out)
{
    if (o->min_genes > 0) LT_CALL(lt_sc_filter_cells(c, s, o->min_genes));
    LT_CALL(lt_sc_filter_genes(c, s, o->min_cells, &in->gene_ids, &in->d));
    if (o->hvg.flavor == LT_HVG_SEURAT_V3) LT_CALL(lt_sc_hvg(c, s->x, &o->hvg, &in->hvg));
    if (o->normalize) LT_CALL(lt_sc_normalize_total(c, s->x, o->target_sum, &in->target_sum));
    if (o->log1p) LT_CALL(lt_sc_log1p(c, s->x, "log1p"));
    if (o->hvg.flavor == LT_HVG_SEURAT) LT_CALL(lt_sc_hvg(c, s->x, &o->hvg, &in->hvg));
    LT_CALL(lt_comm_agree(c, selected_columns(in, in->d, &in->cols, &in->k)));
    if (o->scale.scale) {
        in->mean = lt_malloc(sizeof *in->mean * (size_t)(in->k + 1));
        in->std = lt_malloc(sizeof *in->std * (size_t)(in->k + 1));
        LT_CALL(lt_comm_agree(c, in->mean && in->std ? LT_OK : LT_ERR_MEM));
    }
    if (in->k < s->x->d) LT_CALL(lt_comm_agree(c, keep_selected_genes(s->x, in->cols, in->k)));
    LT_CALL(lt_sc_densify(c, s->x, NULL, in->k, &o->scale, in->mean, in->std, out));
    if (s->labels && s->categories) {
        lt_status st = attach_labels(c, s, *out, &in->label_na);
        if (st != LT_OK) lt_dataset_destroy(out);
        return st;
    }
    return LT_OK;
}

lt_status lt_scprep_run(lt_comm *c, lt_scdata *s, const lt_scprep_opts *o, lt_dataset **out,
                        lt_scprep_info **info)
{
    *out = NULL;
    *info = NULL;
    lt_scprep_info *in = lt_calloc(1, sizeof *in);
    LT_AGREE_ALLOC(c, in);
    in->cells_in = s->x->n;
    in->label_na = -1;
    in->genes_in = s->x->d;
    lt_status st = run_steps(c, s, o, in, out);
    if (st != LT_OK) lt_scprep_info_destroy(&in);
    *info = in;
    return st;
}
