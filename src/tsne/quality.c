/* Quality of an embedding on a sample of rows held by every rank:
 * trustworthiness (Venna and Kaski 2001, scikit-learn's
 * sklearn.manifold.trustworthiness), recall of the 10 nearest input rows
 * among the 10 nearest in 2-D, and the leave-one-out 10-NN classification
 * accuracy in 2-D. Each rank scores a block of query rows against the whole
 * sample; the sums are integers, so the figures do not depend on the rank
 * count. O(m^2 (d + 10)) work, O(m) memory per rank. */
#include "tsne_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QK 10 /* the largest neighbourhood scored */

/* Inserts (v, j) into the ascending list of the QK smallest (ties: the
 * earlier index stays first, as candidates arrive in index order). */
static void keep_smallest(double *val, int64_t *idx, int *cnt, double v, int64_t j)
{
    if (*cnt == QK && !(v < val[QK - 1])) return;
    int p = *cnt < QK ? (*cnt)++ : QK - 1;
    while (p > 0 && val[p - 1] > v) {
        val[p] = val[p - 1], idx[p] = idx[p - 1];
        p--;
    }
    val[p] = v, idx[p] = j;
}

/* The most frequent label among the QK neighbours (ties: the smallest, as
 * scikit-learn's KNeighborsClassifier through scipy's mode). */
static int32_t vote(const int32_t *y, const int64_t *nb)
{
    int32_t best = 0;
    int best_n = 0;
    for (int a = 0; a < QK; a++) {
        int n = 0;
        for (int b = 0; b < QK; b++) n += y[nb[b]] == y[nb[a]];
        if (n > best_n || (n == best_n && y[nb[a]] < best)) best = y[nb[a]], best_n = n;
    }
    return best;
}

/* sums: [0] penalty at k = 5, [1] at k = 10, [2] shared 10-NN, [3] correct votes. */
static void score_row(int64_t i, int64_t m, int64_t d, const float *X, const float *E,
                      const int32_t *y, double *dx, int64_t *sums)
{
    double ev[QK], xv[QK];
    int64_t en[QK], xn[QK];
    int ec = 0, xc = 0;
    for (int64_t l = 0; l < m; l++) {
        if (l == i) {
            dx[l] = -1.0;
            continue;
        }
        dx[l] = lt_tsne_exact_d2(X + i * d, X + l * d, d);
        keep_smallest(ev, en, &ec, lt_tsne_exact_d2(E + 2 * i, E + 2 * l, 2), l);
        keep_smallest(xv, xn, &xc, dx[l], l);
    }
    /* rank of j among the input distances from i: 1 + rows strictly before it */
    int64_t rank[QK];
    for (int a = 0; a < QK; a++) rank[a] = 1;
    for (int64_t l = 0; l < m; l++) {
        if (l == i) continue;
        for (int a = 0; a < QK; a++) {
            double dj = dx[en[a]];
            rank[a] += dx[l] < dj || (dx[l] == dj && l < en[a]);
        }
    }
    for (int a = 0; a < QK; a++) {
        if (a < 5 && rank[a] > 5) sums[0] += rank[a] - 5;
        if (rank[a] > QK) sums[1] += rank[a] - QK;
        for (int b = 0; b < QK; b++) sums[2] += en[a] == xn[b];
    }
    if (y) sums[3] += vote(y, en) == y[i];
}

static double trust(int64_t m, int64_t k, int64_t penalty)
{
    if (!(2 * k < m)) return NAN; /* scikit-learn requires k < n / 2 */
    return 1.0 - (double)penalty * (2.0 / ((double)m * (double)k * (2.0 * m - 3.0 * k - 1.0)));
}

lt_status lt_tsne_quality_compute(lt_comm *c, int64_t m, int64_t d, const float *X, const float *E,
                                  const int32_t *y, lt_tsne_quality *q)
{
    q->n_sample = m;
    q->trust5 = q->trust10 = q->recall10 = q->knn_accuracy10 = NAN;
    int64_t p = lt_comm_size(c), r = lt_comm_rank(c);
    int64_t lo = m * r / p, hi = m * (r + 1) / p;
    double *dx = lt_malloc(sizeof(double) * (size_t)(m + 1));
    LT_AGREE_ALLOC(c, dx);
    int64_t sums[5] = {0, 0, 0, 0, y != NULL};
    if (m > QK)
        for (int64_t i = lo; i < hi; i++) score_row(i, m, d, X, E, y, dx, sums);
    free(dx);
    int64_t has_y = sums[4];
    sums[4] = 0;
    LT_CALL(lt_comm_sum_i64(c, sums, 5));
    LT_CALL(lt_comm_min_i64(c, &has_y, 1));
    if (m <= QK) return LT_OK;
    q->trust5 = trust(m, 5, sums[0]);
    q->trust10 = trust(m, QK, sums[1]);
    q->recall10 = (double)sums[2] / ((double)m * QK);
    if (has_y) q->knn_accuracy10 = (double)sums[3] / (double)m;
    return LT_OK;
}
