/* Lloyd iterations (scikit-learn's _kmeans_single_lloyd): assign, one
 * allreduce, relocate empty clusters, move centers; stop on unchanged labels
 * or a total squared center shift <= tol; then re-assign to the final
 * centers so that labels match them. */
#include "cluster_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    double dist;
    int64_t row;
} farpt;

/* Farther first; ties to the lower global row, so the choice does not depend
 * on the rank count. */
static int far_before(const farpt *a, const farpt *b)
{
    return a->dist > b->dist || (a->dist == b->dist && a->row < b->row);
}

static void keep_top(farpt *top, int64_t m, farpt p)
{
    if (!far_before(&p, &top[m - 1])) return;
    int64_t j = m - 1;
    for (; j > 0 && far_before(&p, &top[j - 1]); j--) top[j] = top[j - 1];
    top[j] = p;
}

/* The m rows farthest from their (old) centers, over all ranks. */
static lt_status farthest_rows(lt_comm *c, const lt_dataset *X, const kmws *w, int64_t m,
                               int64_t *ids)
{
    farpt *all = lt_calloc((size_t)(m * (lt_comm_size(c) + 1)), sizeof *all);
    LT_AGREE_ALLOC(c, all);
    farpt *mine = all + m * lt_comm_size(c);
    for (int64_t q = 0; q < m; q++) mine[q] = (farpt){-1.0, INT64_MAX};
    for (int64_t i = 0; i < X->nloc; i++) {
        double dd = lt_cl_sqdist(X->x + i * X->d, w->centers + (int64_t)w->lab[i] * X->d, X->d);
        keep_top(mine, m, (farpt){dd, X->row0 + i});
    }
    lt_status st = lt_comm_allgather(c, mine, (int64_t)sizeof *mine * m, all);
    if (st == LT_OK) {
        farpt *top = mine;
        for (int64_t q = 0; q < m; q++) top[q] = (farpt){-1.0, INT64_MAX};
        for (int64_t q = 0; q < m * lt_comm_size(c); q++) keep_top(top, m, all[q]);
        for (int64_t q = 0; q < m; q++) ids[q] = top[q].row;
    }
    free(all);
    return st;
}

/* Empty clusters take the rows farthest from their centers (scikit-learn's
 * _relocate_empty_clusters_dense): the row leaves its cluster's sums. */
static lt_status relocate_empty(lt_comm *c, const lt_dataset *X, kmws *w)
{
    int64_t k = w->k, d = w->d, m = 0;
    double *sums = w->buf, *cnt = w->buf + k * d;
    for (int64_t q = 0; q < k; q++) m += cnt[q] == 0;
    if (m == 0) return LT_OK;
    int64_t *ids = w->ids;
    double *lab = w->rlab;
    LT_CALL(farthest_rows(c, X, w, m, ids));
    LT_CALL(lt_dataset_fetch_rows_d(c, X, ids, m, w->rows));
    for (int64_t q = 0; q < m; q++) {
        int64_t i = ids[q] - X->row0;
        lab[q] = i >= 0 && i < X->nloc ? w->lab[i] : 0;
    }
    LT_CALL(lt_comm_sum_d(c, lab, m));
    for (int64_t e = 0, q = 0; e < k; e++) {
        if (cnt[e] != 0) continue;
        int64_t old = (int64_t)lab[q];
        for (int64_t j = 0; j < d; j++) {
            sums[old * d + j] -= w->rows[q * d + j];
            sums[e * d + j] = w->rows[q * d + j];
        }
        cnt[old] -= 1, cnt[e] = 1;
        q++;
    }
    return LT_OK;
}

/* New centers from the reduced sums; returns the total squared shift. */
static double move_centers(kmws *w)
{
    int64_t k = w->k, d = w->d;
    double shift = 0, *cnt = w->buf + k * d;
    for (int64_t q = 0; q < k; q++)
        for (int64_t j = 0; j < d; j++) {
            /* A cluster emptied by relocation (duplicate rows) keeps its center. */
            double v = cnt[q] > 0 ? w->buf[q * d + j] / cnt[q] : w->centers[q * d + j];
            double t = v - w->centers[q * d + j];
            shift += t * t;
            w->newc[q * d + j] = v;
        }
    double *tmp = w->centers;
    w->centers = w->newc, w->newc = tmp;
    return shift;
}

/* One assignment pass: the changes of the per-cluster sums and counts
 * (rows whose label moved) are allreduced with the number of changed labels
 * and added into the running totals w->tot; w->buf gets a copy of the totals
 * for relocation and the new centers. Returns the number of changed labels
 * in *changed. Collective. */
static lt_status assign_and_reduce(lt_comm *c, kmws *w, double *changed)
{
    int64_t k = w->k, d = w->d, nt = k * d + k;
    lt_event_begin(lt_comm_timer(c), LT_EV_KMEANS_ITER);
    lt_km_pack_centers(w->centers, k, d, w->kp, w->ct);
    memset(w->buf, 0, sizeof(double) * (size_t)(nt + 1));
    w->buf[nt] = (double)lt_km_assign(&w->prep, &w->as, w->ct, w->kp, k, w->centers, w->lab,
                                      w->buf, w->buf + k * d);
    lt_status st = lt_comm_sum_d(c, w->buf, nt + 1);
    /* 3 flops per row, center and column: the distance's multiply-add and the norm. */
    lt_event_end(lt_comm_timer(c), LT_EV_KMEANS_ITER, 3.0 * (double)w->prep.n * (double)(k * d));
    LT_CALL(st);
    for (int64_t q = 0; q < nt; q++) w->tot[q] += w->buf[q];
    memcpy(w->buf, w->tot, sizeof(double) * (size_t)nt);
    *changed = w->buf[nt];
    return LT_OK;
}

lt_status lt_km_lloyd(lt_comm *c, const lt_dataset *X, kmws *w, int64_t max_iter, double tol_abs,
                      int64_t *n_iter, int *converged, double *inertia)
{
    int64_t k = w->k, d = w->d, it = 0;
    int strict = 0;
    *converged = 0;
    /* labels of -1: the first pass adds every row into the totals, later
     * passes only move the rows that changed cluster */
    for (int64_t i = 0; i < X->nloc; i++) w->lab[i] = -1;
    memset(w->tot, 0, sizeof(double) * (size_t)(k * d + k));
    for (it = 0; it < max_iter; it++) {
        double changed;
        LT_CALL(assign_and_reduce(c, w, &changed));
        LT_CALL(relocate_empty(c, X, w));
        double shift = move_centers(w);
        if (it > 0 && changed == 0) {
            strict = *converged = 1;
            break;
        }
        if (shift <= tol_abs) {
            *converged = 1;
            break;
        }
    }
    *n_iter = it < max_iter ? it + 1 : max_iter;
    lt_km_pack_centers(w->centers, k, d, w->kp, w->ct);
    if (!strict)
        lt_km_assign(&w->prep, &w->as, w->ct, w->kp, k, w->centers, w->lab, NULL, NULL);
    double s = 0;
    for (int64_t i = 0; i < X->nloc; i++)
        s += lt_cl_sqdist(X->x + i * d, w->centers + (int64_t)w->lab[i] * d, d);
    LT_CALL(lt_comm_sum_d(c, &s, 1));
    *inertia = s;
    return LT_OK;
}
