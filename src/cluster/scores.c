/* ARI and NMI from a contingency table reduced across ranks; Davies-Bouldin,
 * Calinski-Harabasz and inertia from per-cluster statistics. Formulas follow
 * scikit-learn 1.2 (sklearn/metrics/cluster/_supervised.py, _unsupervised.py)
 * term by term, so results agree to rounding. */
#include "latent/lt_scores.h"
#include "cluster_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LT_MAX_TABLE ((int64_t)1 << 26)

typedef struct {
    lt_labinfo a, b;
    int64_t n;
    int64_t *t; /* a.k x b.k */
} contingency;

static void contingency_free(contingency *ct)
{
    lt_labinfo_free(&ct->a);
    lt_labinfo_free(&ct->b);
    free(ct->t);
    ct->t = NULL;
}

static lt_status contingency_build(lt_comm *c, const int32_t *a, int64_t na, const int32_t *b,
                                   int64_t nb, contingency *ct)
{
    memset(ct, 0, sizeof *ct);
    lt_status st = LT_OK;
    if (na != nb)
        st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                            "the two labelings differ in length on this rank (%lld vs %lld)",
                            (long long)na, (long long)nb);
    LT_CALL(lt_comm_agree(c, st));
    ct->n = na;
    LT_CALL(lt_comm_sum_i64(c, &ct->n, 1));
    LT_CALL(lt_labinfo_build(c, ct->n, na, a, na, &ct->a));
    LT_CALL_GOTO(st, lt_labinfo_build(c, ct->n, nb, b, nb, &ct->b), fail);
    int64_t cells = (int64_t)ct->a.k * ct->b.k;
    if (cells > LT_MAX_TABLE)
        LT_RAISE_GOTO(st, fail, LT_ERR_DATA, "contingency table of %d x %d labels is too large",
                      ct->a.k, ct->b.k);
    ct->t = lt_calloc((size_t)cells + 1, sizeof *ct->t);
    LT_CALL_GOTO(st, lt_comm_agree(c, ct->t ? LT_OK : LT_ERR_MEM), fail);
    for (int64_t i = 0; i < na; i++) ct->t[(int64_t)ct->a.map[a[i]] * ct->b.k + ct->b.map[b[i]]]++;
    LT_CALL_GOTO(st, lt_comm_sum_i64(c, ct->t, cells), fail);
    return LT_OK;
fail:
    contingency_free(ct);
    return st;
}

lt_status lt_ari(lt_comm *c, const int32_t *truth, int64_t n_truth, const int32_t *pred,
                 int64_t n_pred, double *out)
{
    contingency ct;
    LT_CALL(contingency_build(c, truth, n_truth, pred, n_pred, &ct));
    int64_t ss = 0, sa = 0, sb = 0;
    for (int i = 0; i < ct.a.k; i++) sa += ct.a.count[i] * ct.a.count[i];
    for (int j = 0; j < ct.b.k; j++) sb += ct.b.count[j] * ct.b.count[j];
    for (int64_t q = 0; q < (int64_t)ct.a.k * ct.b.k; q++) ss += ct.t[q] * ct.t[q];
    /* Pair confusion matrix; products can pass 2^63, hence long double. */
    long double n = (long double)ct.n, tp = (long double)(ss - ct.n);
    long double fp = (long double)(sb - ss), fn = (long double)(sa - ss);
    long double tn = n * n - fp - fn - (long double)ss;
    contingency_free(&ct);
    if (fn == 0 && fp == 0) {
        *out = 1.0;
        return LT_OK;
    }
    *out = (double)(2.0L * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)));
    return LT_OK;
}

static double entropy(const int64_t *cnt, int k, int64_t n)
{
    double h = 0, ln = log((double)n);
    for (int i = 0; i < k; i++) h -= ((double)cnt[i] / (double)n) * (log((double)cnt[i]) - ln);
    return h;
}

static double mutual_info(const contingency *ct)
{
    if (ct->a.k == 1 || ct->b.k == 1) return 0.0;
    double n = (double)ct->n, mi = 0;
    for (int i = 0; i < ct->a.k; i++)
        for (int j = 0; j < ct->b.k; j++) {
            int64_t v = ct->t[(int64_t)i * ct->b.k + j];
            if (!v) continue;
            double p = (double)v / n;
            double outer = (double)(ct->a.count[i] * ct->b.count[j]);
            double term = p * (log((double)v) - log(n)) + p * (-log(outer) + 2 * log(n));
            mi += fabs(term) < DBL_EPSILON ? 0.0 : term;
        }
    return mi > 0 ? mi : 0.0;
}

lt_status lt_nmi(lt_comm *c, const int32_t *truth, int64_t n_truth, const int32_t *pred,
                 int64_t n_pred, double *out)
{
    contingency ct;
    LT_CALL(contingency_build(c, truth, n_truth, pred, n_pred, &ct));
    if ((ct.a.k == 1 && ct.b.k == 1) || (ct.a.k == 0 && ct.b.k == 0)) {
        *out = 1.0; /* no split on either side: a perfect match by convention */
    } else {
        double mi = mutual_info(&ct);
        double norm = 0.5 * (entropy(ct.a.count, ct.a.k, ct.n) + entropy(ct.b.count, ct.b.k, ct.n));
        *out = mi == 0 ? 0.0 : mi / (norm > DBL_EPSILON ? norm : DBL_EPSILON);
    }
    contingency_free(&ct);
    return LT_OK;
}

/* Label info and cluster means for the O(n k d) scores. */
static lt_status stats_begin(lt_comm *c, const lt_dataset *X, const int32_t *labels,
                             int64_t n_local, const char *what, lt_labinfo *li, double **means,
                             double **wss)
{
    *means = NULL, *wss = NULL;
    LT_CALL(lt_dataset_check_finite(c, X, what));
    LT_CALL(lt_labinfo_build(c, X->n, X->nloc, labels, n_local, li));
    lt_status st = lt_labinfo_require_range(li, X->n, what);
    if (st == LT_OK) {
        *means = lt_calloc((size_t)(li->k * X->d), sizeof **means);
        *wss = lt_calloc((size_t)li->k, sizeof **wss);
        if (!*means || !*wss) st = LT_ERR_MEM;
    }
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = lt_cluster_means(c, X, labels, li, *means, *wss);
    if (st != LT_OK) {
        free(*means), free(*wss);
        *means = NULL, *wss = NULL;
        lt_labinfo_free(li);
    }
    return st;
}

static double db_from(const lt_labinfo *li, const double *means, const double *intra, int64_t d)
{
    int k = li->k, all0 = 1, cent0 = 1;
    for (int q = 0; q < k; q++) all0 &= fabs(intra[q]) <= 1e-8;
    for (int p = 0; p < k; p++)
        for (int q = 0; q < k; q++)
            cent0 &= sqrt(lt_cl_sqdist_dd(means + p * d, means + q * d, d)) <= 1e-8;
    if (all0 || cent0) return 0.0;
    double total = 0;
    for (int p = 0; p < k; p++) {
        double worst = 0;
        for (int q = 0; q < k; q++) {
            double cd = sqrt(lt_cl_sqdist_dd(means + p * d, means + q * d, d));
            double r = cd == 0 ? 0.0 : (intra[p] + intra[q]) / cd;
            if (r > worst) worst = r;
        }
        total += worst;
    }
    return total / k;
}

lt_status lt_davies_bouldin(lt_comm *c, const lt_dataset *X, const int32_t *labels_local,
                            int64_t n_local, double *out)
{
    lt_labinfo li;
    double *means, *intra;
    LT_CALL(stats_begin(c, X, labels_local, n_local, "Davies-Bouldin", &li, &means, &intra));
    /* intra: mean distance (not squared) of a cluster's rows to its centroid. */
    memset(intra, 0, sizeof *intra * (size_t)li.k);
    for (int64_t i = 0; i < X->nloc; i++) {
        int q = li.map[labels_local[i]];
        intra[q] += sqrt(lt_cl_sqdist(X->x + i * X->d, means + q * X->d, X->d));
    }
    lt_status st = lt_comm_sum_d(c, intra, li.k);
    if (st == LT_OK) {
        for (int q = 0; q < li.k; q++) intra[q] /= (double)li.count[q];
        *out = db_from(&li, means, intra, X->d);
    }
    free(means), free(intra);
    lt_labinfo_free(&li);
    return st;
}

lt_status lt_calinski_harabasz(lt_comm *c, const lt_dataset *X, const int32_t *labels_local,
                               int64_t n_local, double *out)
{
    lt_labinfo li;
    double *means, *wss;
    LT_CALL(stats_begin(c, X, labels_local, n_local, "Calinski-Harabasz", &li, &means, &wss));
    int64_t d = X->d, k = li.k;
    double extra = 0, intra = 0;
    for (int64_t j = 0; j < d; j++) {
        double mean = 0;
        for (int64_t q = 0; q < k; q++) mean += (double)li.count[q] * means[q * d + j];
        mean /= (double)X->n;
        for (int64_t q = 0; q < k; q++) {
            double t = means[q * d + j] - mean;
            extra += (double)li.count[q] * t * t;
        }
    }
    for (int64_t q = 0; q < k; q++) intra += wss[q];
    *out = intra == 0 ? 1.0 : extra * (double)(X->n - k) / (intra * (double)(k - 1));
    free(means), free(wss);
    lt_labinfo_free(&li);
    return LT_OK;
}

lt_status lt_inertia(lt_comm *c, const lt_dataset *X, const int32_t *labels_local, int64_t n_local,
                     const double *centers, int64_t k, double *out)
{
    lt_labinfo li;
    LT_CALL(lt_dataset_check_finite(c, X, "inertia"));
    LT_CALL(lt_labinfo_build(c, X->n, X->nloc, labels_local, n_local, &li));
    lt_status st = LT_OK;
    if (centers && li.nslots > k)
        st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                            "label %d has no center (%lld centers given)", li.nslots - 1,
                            (long long)k);
    double *means = NULL;
    if (st == LT_OK && !centers) {
        means = lt_calloc((size_t)(li.k * X->d) + 1, sizeof *means);
        st = lt_comm_agree(c, means ? LT_OK : LT_ERR_MEM);
        if (st == LT_OK) st = lt_cluster_means(c, X, labels_local, &li, means, NULL);
    }
    double s = 0;
    if (st == LT_OK) {
        for (int64_t i = 0; i < X->nloc; i++) {
            const double *ci = centers ? centers + (int64_t)labels_local[i] * X->d
                                       : means + (int64_t)li.map[labels_local[i]] * X->d;
            s += lt_cl_sqdist(X->x + i * X->d, ci, X->d);
        }
        st = lt_comm_sum_d(c, &s, 1);
    }
    *out = s;
    free(means);
    lt_labinfo_free(&li);
    return st;
}
