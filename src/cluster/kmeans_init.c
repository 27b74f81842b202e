/* k-means initialisations. Restart t draws from lt_rng (seed,
 * LT_STREAM_KMEANS, t), identically on every rank, so the chosen rows do not
 * depend on the rank count. */
#include "cluster_internal.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

lt_status lt_km_init_random(lt_comm *c, const lt_dataset *X, kmws *w, uint64_t seed, int64_t t)
{
    /* The draw allocates its hash table: agreed. Once per restart. */
    LT_CALL(lt_comm_agree(
        c, lt_cl_sample_indices(seed, LT_STREAM_KMEANS, (uint64_t)t, X->n, w->k, w->ids)));
    return lt_dataset_fetch_rows_d(c, X, w->ids, w->k, w->centers);
}

/* Global index of the first row whose running potential reaches each of the
 * m targets (numpy's searchsorted on the cumulative sum, side='left'). One
 * pass over the rank's rows serves all targets, taken in increasing order;
 * the running sum is the same as a pass per target would form. local: the
 * sum of this rank's potentials in row order (lt_km_closest's, not a second
 * pass: a chain of dependent additions costs as much as a Lloyd iteration). */
static lt_status search_potential(lt_comm *c, const lt_dataset *X, kmws *w, int64_t m,
                                  double local)
{
    const double *pot_row = w->closest, *target = w->target;
    int64_t *order = w->order, *ids = w->ids;
    LT_CALL(lt_comm_allgather(c, &local, sizeof local, w->ranks));
    double cum = 0;
    for (int r = 0; r < lt_comm_rank(c); r++) cum += w->ranks[r];
    for (int64_t q = 0; q < m; q++) {
        int64_t j = q; /* insertion sort of the few targets */
        for (; j > 0 && target[order[j - 1]] > target[q]; j--) order[j] = order[j - 1];
        order[j] = q;
        ids[q] = INT64_MAX;
    }
    int64_t next = 0;
    for (int64_t i = 0; i < X->nloc && next < m; i++) {
        cum += pot_row[i];
        for (; next < m && cum >= target[order[next]]; next++) ids[order[next]] = X->row0 + i;
    }
    LT_CALL(lt_comm_min_i64(c, ids, m));
    for (int64_t q = 0; q < m; q++)
        if (ids[q] == INT64_MAX) ids[q] = X->n - 1; /* rounding past the total: clip */
    return LT_OK;
}

/* pot[q] = the potential (sum of closest squared distances) if candidate q
 * (row q of w->rows) joined the centers: one pass over the rows per 8
 * candidates. Collective. */
static lt_status score_candidates(lt_comm *c, const lt_dataset *X, kmws *w, double *pot)
{
    int64_t d = X->d, m = w->trials;
    double *ct = w->ct8;
    for (int64_t q0 = 0; q0 < m; q0 += 8) {
        double p8[8] = {0};
        int lanes = m - q0 <= 4 ? 4 : 8; /* 4: half the work for the usual 4 trials (k < 20) */
        for (int64_t j = 0; j < d; j++)
            for (int64_t l = 0; l < lanes; l++)
                ct[j * lanes + l] = q0 + l < m ? w->rows[(q0 + l) * d + j] : 0.0;
        lt_km_score(X->x, X->nloc, d, ct, lanes, w->closest, p8);
        for (int64_t l = 0; l < lanes && q0 + l < m; l++) pot[q0 + l] = p8[l];
    }
    return lt_comm_sum_d(c, pot, m);
}

/* Greedy k-means++ (scikit-learn's _kmeans_plusplus): each new center is
 * the best of n_local_trials candidates sampled with probability
 * proportional to the squared distance to the closest chosen center. */
lt_status lt_km_init_plusplus(lt_comm *c, const lt_dataset *X, kmws *w, uint64_t seed, int64_t t)
{
    int64_t d = X->d, m = w->trials;
    lt_rng r;
    lt_rng_init(&r, seed, LT_STREAM_KMEANS, (uint64_t)t);
    int64_t first = (int64_t)lt_rng_below(&r, (uint64_t)X->n);
    LT_CALL(lt_dataset_fetch_rows_d(c, X, &first, 1, w->centers));
    for (int64_t i = 0; i < X->nloc; i++) w->closest[i] = INFINITY;
    double local = lt_km_closest(X->x, X->nloc, d, w->centers, w->closest), pot = local;
    LT_CALL(lt_comm_sum_d(c, &pot, 1));
    double *cpot = w->cpot;
    for (int64_t step = 1; step < w->k; step++) {
        for (int64_t q = 0; q < m; q++) w->target[q] = lt_rng_uniform(&r) * pot;
        LT_CALL(search_potential(c, X, w, m, local));
        LT_CALL(lt_dataset_fetch_rows_d(c, X, w->ids, m, w->rows));
        LT_CALL(score_candidates(c, X, w, cpot));
        int64_t best = 0;
        for (int64_t q = 1; q < m; q++)
            if (cpot[q] < cpot[best]) best = q;
        /* the potential as scored; the rows' closest distances follow */
        pot = cpot[best];
        local = lt_km_closest(X->x, X->nloc, d, w->rows + best * d, w->closest);
        memcpy(w->centers + step * d, w->rows + best * d, sizeof(double) * (size_t)d);
    }
    return LT_OK;
}
