/* k-means initialisations. Restart t draws from lt_rng (seed,
 * LT_STREAM_KMEANS, t), identically on every rank, so the chosen rows do not
 * depend on the rank count. */
#include "cluster_internal.h"
#include "latent/lt_rng.h"

#include <stdlib.h>
#include <string.h>

lt_status lt_km_init_random(lt_comm *c, const lt_dataset *X, kmws *w, uint64_t seed, int64_t t)
{
    int64_t *ids = lt_calloc((size_t)w->k, sizeof *ids);
    lt_status st = ids ? LT_OK : LT_ERR_MEM;
    if (st == LT_OK)
        st = lt_cl_sample_indices(seed, LT_STREAM_KMEANS, (uint64_t)t, X->n, w->k, ids);
    LT_CALL(lt_comm_agree(c, st));
    st = lt_km_fetch_rows(c, X, ids, w->k, w->centers);
    free(ids);
    return st;
}

/* Global index of the first row whose running potential reaches each of the
 * m targets (numpy's searchsorted on the cumulative sum, side='left'). */
static lt_status search_potential(lt_comm *c, const lt_dataset *X, const double *pot_row,
                                  const double *target, int64_t m, int64_t *ids)
{
    double local = 0, *tot = lt_calloc((size_t)c->size, sizeof *tot);
    LT_CALL(lt_comm_agree(c, tot ? LT_OK : LT_ERR_MEM));
    for (int64_t i = 0; i < X->nloc; i++) local += pot_row[i];
    lt_status st = lt_comm_allgather(c, &local, sizeof local, tot);
    double offset = 0;
    for (int r = 0; r < c->rank; r++) offset += tot[r];
    free(tot);
    LT_CALL(st);
    for (int64_t q = 0; q < m; q++) {
        ids[q] = INT64_MAX;
        double cum = offset;
        for (int64_t i = 0; i < X->nloc; i++) {
            cum += pot_row[i];
            if (cum >= target[q]) {
                ids[q] = X->row0 + i;
                break;
            }
        }
    }
    LT_CALL(lt_comm_min_i64(c, ids, m));
    for (int64_t q = 0; q < m; q++)
        if (ids[q] == INT64_MAX) ids[q] = X->n - 1; /* rounding past the total: clip */
    return LT_OK;
}

/* Candidate q's potential: closest distances if it joined the centers. */
static lt_status score_candidates(lt_comm *c, const lt_dataset *X, kmws *w, double *pot)
{
    int64_t nloc = X->nloc, d = X->d;
    for (int64_t q = 0; q < w->trials; q++) {
        double *cq = w->cand + q * nloc, s = 0;
        for (int64_t i = 0; i < nloc; i++) {
            double v = lt_cl_sqdist(X->x + i * d, w->rows + q * d, d);
            cq[i] = v < w->closest[i] ? v : w->closest[i];
            s += cq[i];
        }
        pot[q] = s;
    }
    return lt_comm_sum_d(c, pot, w->trials);
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
    LT_CALL(lt_km_fetch_rows(c, X, &first, 1, w->centers));
    double pot = 0;
    for (int64_t i = 0; i < X->nloc; i++)
        pot += w->closest[i] = lt_cl_sqdist(X->x + i * d, w->centers, d);
    LT_CALL(lt_comm_sum_d(c, &pot, 1));
    double target[m], cpot[m];
    int64_t ids[m];
    for (int64_t step = 1; step < w->k; step++) {
        for (int64_t q = 0; q < m; q++) target[q] = lt_rng_uniform(&r) * pot;
        LT_CALL(search_potential(c, X, w->closest, target, m, ids));
        LT_CALL(lt_km_fetch_rows(c, X, ids, m, w->rows));
        LT_CALL(score_candidates(c, X, w, cpot));
        int64_t best = 0;
        for (int64_t q = 1; q < m; q++)
            if (cpot[q] < cpot[best]) best = q;
        pot = cpot[best];
        memcpy(w->closest, w->cand + best * X->nloc, sizeof(double) * (size_t)X->nloc);
        memcpy(w->centers + step * d, w->rows + best * d, sizeof(double) * (size_t)d);
    }
    return LT_OK;
}
