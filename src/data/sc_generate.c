/* Synthetic single-cell counts, Splatter-like (Zappia et al. 2017), drawn
 * sparse. See lt_sparse.h for the model; here the sampling:
 *
 * For cell i of type t with mean mu_ij = L_i * T * p_tj, a gene is non-zero
 * with probability q(mu) = 1 - (r / (r + mu))^r. Genes of each type are
 * sorted by p_tj and cut into buckets whose p differ by at most 2x; within
 * a bucket candidates come by geometric skips at the bucket's largest q and
 * are accepted with q(mu_ij) / q_max (>= 1/2 since q is concave), so a cell
 * costs O(its non-zeros + buckets). The count is a zero-truncated NB draw:
 * inversion for mu < 20, else gamma-Poisson draws until positive (Poisson by
 * inversion below 30, by the rounded normal above: an approximation of the
 * far tail, fine for synthetic data). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latent/lt_rng.h"
#include "latent/lt_sparse.h"

#define NBUCKET 48

void lt_counts_opts_default(lt_counts_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_cells = 1000;
    o->n_genes = 2000;
    o->n_types = 5;
    o->density = 0.05;
    o->dispersion = 4.0;
    o->de_prob = 0.1;
    o->de_loc = 0.5;
    o->de_scale = 0.4;
    o->lib_sdlog = 0.3;
}

/* Marsaglia-Tsang, with the a < 1 boost. */
static double gamma_draw(lt_rng *g, double a)
{
    if (a < 1) {
        double u = lt_rng_uniform(g);
        return gamma_draw(g, a + 1) * pow(u > 0 ? u : 1e-300, 1.0 / a);
    }
    double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = lt_rng_normal(g), v = 1 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = lt_rng_uniform(g);
        if (u < 1 - 0.0331 * x * x * x * x || log(u > 0 ? u : 1e-300) < 0.5 * x * x + d * (1 - v + log(v)))
            return d * v;
    }
}

static double poisson_draw(lt_rng *g, double lam)
{
    if (lam >= 30) {
        double x = floor(lam + sqrt(lam) * lt_rng_normal(g) + 0.5);
        return x < 0 ? 0 : x;
    }
    double l = exp(-lam), p = 1;
    int k = 0;
    do {
        k++;
        p *= lt_rng_uniform(g);
    } while (p > l);
    return k - 1;
}

/* P(count > 0) of NB(mu, r). */
static double nonzero_prob(double mu, double r) { return -expm1(-r * log1p(mu / r)); }

/* A count >= 1 of NB(mu, r); q = nonzero_prob(mu, r), already known. */
static float truncated_nb(lt_rng *g, double mu, double r, double q)
{
    if (mu < 20) {
        double x = mu / (r + mu);
        double pk = (1 - q) * r * x, u = lt_rng_uniform(g) * q, cum = pk;
        int k = 1;
        while (u > cum && k < 100000) {
            pk *= (k + r) / (k + 1) * x;
            k++;
            cum += pk;
        }
        return (float)k;
    }
    for (;;) {
        double v = poisson_draw(g, gamma_draw(g, r) * mu / r);
        if (v > 0) return (float)v;
    }
}

/* Per type: genes sorted by p descending, bucket starts and largest p. */
typedef struct {
    int32_t *genes;
    double *p;                /* p of each gene, by gene index */
    int64_t start[NBUCKET + 1];
    double pmax[NBUCKET];
} type_table;

typedef struct {
    double p;
    int32_t j;
} pj;

static int cmp_pj(const void *a, const void *b)
{
    const pj *x = a, *y = b;
    if (x->p != y->p) return x->p > y->p ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

static lt_status build_types(const lt_counts_opts *o, type_table *tt)
{
    int64_t d = o->n_genes;
    double *base = lt_malloc(sizeof *base * (size_t)d);
    pj *s = lt_malloc(sizeof *s * (size_t)d);
    lt_status st = base && s ? LT_OK : LT_ERR_MEM;
    for (int64_t j = 0; st == LT_OK && j < d; j++) {
        lt_rng g;
        lt_rng_init(&g, o->seed, LT_STREAM_SC_GENES, (uint64_t)j);
        base[j] = gamma_draw(&g, 0.6) / 0.3; /* Splatter's mean.shape, mean.rate */
        if (base[j] < 1e-12) base[j] = 1e-12;
    }
    for (int t = 0; st == LT_OK && t < o->n_types; t++) {
        tt[t].genes = lt_malloc(sizeof *tt[t].genes * (size_t)d);
        tt[t].p = lt_malloc(sizeof *tt[t].p * (size_t)d);
        if (!tt[t].genes || !tt[t].p) {
            st = LT_ERR_MEM;
            break;
        }
        double sum = 0;
        for (int64_t j = 0; j < d; j++) {
            lt_rng g;
            lt_rng_init(&g, o->seed, LT_STREAM_SC_DE, (uint64_t)t * (uint64_t)d + (uint64_t)j);
            double f = 1;
            if (lt_rng_uniform(&g) < o->de_prob) {
                f = exp(o->de_loc + o->de_scale * lt_rng_normal(&g));
                if (lt_rng_uniform(&g) < 0.5) f = 1 / f;
            }
            tt[t].p[j] = base[j] * f;
            sum += tt[t].p[j];
        }
        for (int64_t j = 0; j < d; j++) tt[t].p[j] /= sum, s[j] = (pj){tt[t].p[j], (int32_t)j};
        qsort(s, (size_t)d, sizeof *s, cmp_pj);
        int64_t a = 0;
        for (int b = 0; b < NBUCKET; b++) {
            tt[t].start[b] = a;
            double hi = s[0].p * ldexp(1.0, -b), lo = b == NBUCKET - 1 ? -1 : hi / 2;
            tt[t].pmax[b] = a < d ? s[a].p : 0;
            while (a < d && s[a].p > lo) tt[t].genes[a] = s[a].j, a++;
        }
        tt[t].start[NBUCKET] = d;
    }
    free(base);
    free(s);
    return st;
}

/* Expected share of non-zeros at total T (library factors at 8 normal
 * quantiles, types equally likely). */
static double expected_density(const lt_counts_opts *o, const type_table *tt, double T)
{
    static const double z[8] = {-1.5341, -0.8871, -0.4888, -0.1573, 0.1573, 0.4888, 0.8871, 1.5341};
    double s = o->lib_sdlog, acc = 0;
    for (int t = 0; t < o->n_types; t++)
        for (int k = 0; k < 8; k++) {
            double L = exp(s * z[k] - 0.5 * s * s);
            for (int64_t j = 0; j < o->n_genes; j++) acc += nonzero_prob(L * T * tt[t].p[j], o->dispersion);
        }
    return acc / (8.0 * o->n_types * (double)o->n_genes);
}

/* The total T whose expected density is o->density: regula falsi (Illinois)
 * on log T, bracketed, since each evaluation costs types x 8 x genes. */
static lt_status calibrate(const lt_counts_opts *o, const type_table *tt, double *T)
{
    double lo = log(1e-6), hi = log(1e12);
    double flo = expected_density(o, tt, exp(lo)) - o->density;
    double fhi = expected_density(o, tt, exp(hi)) - o->density;
    LT_CHECK(fhi > 0 && flo < 0, LT_ERR_ARG, "synthetic counts: density %g is not reachable",
             o->density);
    double x = lo;
    int side = 0;
    for (int it = 0; it < 100 && hi - lo > 1e-12; it++) {
        x = (lo * fhi - hi * flo) / (fhi - flo);
        double fx = expected_density(o, tt, exp(x)) - o->density;
        if (fabs(fx) < 1e-12 * o->density) break;
        if (fx < 0) {
            lo = x, flo = fx;
            if (side == -1) fhi /= 2;
            side = -1;
        } else {
            hi = x, fhi = fx;
            if (side == 1) flo /= 2;
            side = 1;
        }
    }
    *T = exp(x);
    return LT_OK;
}

/* LSD radix sort of one row by gene (values follow), 8 bits a pass. */
static void radix_row(int32_t *idx, float *val, int64_t n, int32_t *ti, float *tv, int passes)
{
    for (int p = 0; p < passes; p++) {
        int64_t cnt[257] = {0};
        int sh = 8 * p;
        for (int64_t a = 0; a < n; a++) cnt[((idx[a] >> sh) & 255) + 1]++;
        for (int b = 0; b < 256; b++) cnt[b + 1] += cnt[b];
        for (int64_t a = 0; a < n; a++) {
            int64_t k = cnt[(idx[a] >> sh) & 255]++;
            ti[k] = idx[a];
            tv[k] = val[a];
        }
        memcpy(idx, ti, sizeof *idx * (size_t)n);
        memcpy(val, tv, sizeof *val * (size_t)n);
    }
}

typedef struct {
    int32_t *idx, *ti;
    float *val, *tv;
    int64_t n, cap;
} row_buf;

static int row_push(row_buf *b, int32_t j, float v)
{
    if (b->n == b->cap) {
        int64_t cap = b->cap ? 2 * b->cap : 1024;
        int32_t *i1 = realloc(b->idx, sizeof *i1 * (size_t)cap);
        if (i1) b->idx = i1;
        int32_t *i2 = realloc(b->ti, sizeof *i2 * (size_t)cap);
        if (i2) b->ti = i2;
        float *v1 = realloc(b->val, sizeof *v1 * (size_t)cap);
        if (v1) b->val = v1;
        float *v2 = realloc(b->tv, sizeof *v2 * (size_t)cap);
        if (v2) b->tv = v2;
        if (!i1 || !i2 || !v1 || !v2) return 0;
        b->cap = cap;
    }
    b->idx[b->n] = j;
    b->val[b->n++] = v;
    return 1;
}

/* One cell's non-zeros into b (sorted) and its type. */
static int draw_cell(const lt_counts_opts *o, const type_table *tt, double T, int64_t cell,
                     row_buf *b, int32_t *type, int passes)
{
    lt_rng g;
    lt_rng_init(&g, o->seed, LT_STREAM_SC_CELLS, (uint64_t)cell);
    int t = (int)lt_rng_below(&g, (uint64_t)o->n_types);
    double s = o->lib_sdlog, L = exp(s * lt_rng_normal(&g) - 0.5 * s * s), r = o->dispersion;
    const type_table *x = &tt[t];
    b->n = 0;
    for (int k = 0; k < NBUCKET; k++) {
        int64_t a0 = x->start[k], size = x->start[k + 1] - a0;
        if (size == 0) continue;
        double qmax = nonzero_prob(L * T * x->pmax[k], r);
        if (qmax <= 0) continue;
        double lq = log1p(-qmax);
        for (int64_t pos = -1;;) {
            double u = lt_rng_uniform(&g);
            double skip = qmax >= 1 ? 0 : floor(log(u > 0 ? u : 1e-300) / lq);
            if (skip >= (double)(size - pos - 1)) break;
            pos += (int64_t)skip + 1;
            int32_t j = x->genes[a0 + pos];
            double mu = L * T * x->p[j];
            double q = nonzero_prob(mu, r);
            if (lt_rng_uniform(&g) * qmax >= q) continue;
            if (!row_push(b, j, truncated_nb(&g, mu, r, q))) return 0;
        }
    }
    radix_row(b->idx, b->val, b->n, b->ti, b->tv, passes);
    *type = t;
    return 1;
}

static lt_status draw_cells(lt_comm *c, const lt_counts_opts *o, const type_table *tt, double T,
                            lt_scdata *s)
{
    int64_t row0, nloc;
    lt_shard_range(o->n_cells, lt_comm_size(c), lt_comm_rank(c), &row0, &nloc);
    /* Local arrays grow by doubling; the expected size is known. */
    int64_t cap = (int64_t)(o->density * (double)o->n_genes * (double)nloc * 1.1) + 1024;
    lt_csr *m = NULL;
    LT_CALL(lt_csr_create(c, o->n_cells, o->n_genes, cap, &m));
    s->x = m;
    s->labels = lt_malloc(sizeof *s->labels * (size_t)(nloc + 1));
    LT_AGREE_ALLOC(c, s->labels);
    int passes = 1;
    while (passes < 4 && (o->n_genes >> (8 * passes)) > 0) passes++;
    row_buf b = {0};
    lt_status st = LT_OK;
    int64_t e = 0;
    for (int64_t i = 0; i < nloc && st == LT_OK; i++) {
        if (!draw_cell(o, tt, T, row0 + i, &b, &s->labels[i], passes)) {
            st = lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__, "out of memory drawing counts");
            break;
        }
        if (e + b.n > cap) {
            int64_t nc = (e + b.n) * 2;
            int32_t *ix = realloc(m->indices, sizeof *ix * (size_t)nc);
            if (ix) m->indices = ix;
            float *dv = realloc(m->data, sizeof *dv * (size_t)nc);
            if (dv) m->data = dv;
            if (!ix || !dv) {
                st = lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__, "out of memory drawing counts");
                break;
            }
            cap = nc;
        }
        memcpy(m->indices + e, b.idx, sizeof *b.idx * (size_t)b.n);
        memcpy(m->data + e, b.val, sizeof *b.val * (size_t)b.n);
        e += b.n;
        m->indptr[i + 1] = e;
    }
    m->nnz = e;
    if (st == LT_OK && e + 1 < cap) { /* give back the over-estimate */
        int32_t *ix = realloc(m->indices, sizeof *ix * (size_t)(e + 1));
        if (ix) m->indices = ix;
        float *dv = realloc(m->data, sizeof *dv * (size_t)(e + 1));
        if (dv) m->data = dv;
    }
    free(b.idx);
    free(b.ti);
    free(b.val);
    free(b.tv);
    return lt_comm_agree(c, st);
}

static lt_status type_names(int k, lt_strlist **out)
{
    LT_CALL(lt_strlist_create(out));
    for (int t = 0; t < k; t++) {
        char nm[32];
        int w = snprintf(nm, sizeof nm, "type%d", t);
        LT_CALL(lt_strlist_push(*out, nm, (size_t)w));
    }
    return LT_OK;
}

lt_status lt_generate_counts(lt_comm *c, const lt_counts_opts *o, lt_scdata **out)
{
    *out = NULL;
    LT_CHECK(o->n_cells >= 1 && o->n_genes >= 1 && o->n_genes < INT32_MAX && o->n_types >= 1,
             LT_ERR_ARG, "synthetic counts need cells >= 1, 1 <= genes < 2^31 and types >= 1");
    LT_CHECK(o->density > 0 && o->density < 1 && o->dispersion > 0, LT_ERR_ARG,
             "synthetic counts: density in (0, 1) and dispersion > 0 (got %g, %g)", o->density,
             o->dispersion);
    type_table *tt = lt_calloc((size_t)o->n_types, sizeof *tt);
    lt_status st = tt ? build_types(o, tt) : LT_ERR_MEM;
    double T = 0;
    if (st == LT_OK) st = calibrate(o, tt, &T);
    st = lt_comm_agree(c, st);
    lt_scdata *s = NULL;
    if (st == LT_OK) {
        s = lt_calloc(1, sizeof *s);
        st = lt_comm_agree(c, s ? LT_OK : LT_ERR_MEM);
    }
    if (st == LT_OK) st = draw_cells(c, o, tt, T, s);
    if (st == LT_OK) st = lt_comm_agree(c, type_names(o->n_types, &s->categories));
    for (int t = 0; tt && t < o->n_types; t++) free(tt[t].genes), free(tt[t].p);
    free(tt);
    if (st != LT_OK) lt_scdata_destroy(&s);
    *out = s;
    return st;
}
