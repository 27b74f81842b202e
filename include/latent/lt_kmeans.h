/* k-means (Lloyd) on a row-sharded dataset, with scikit-learn's definitions:
 * greedy k-means++ or random initialisation, n_init restarts keeping the
 * lowest inertia, tol relative to the mean feature variance, empty clusters
 * moved to the points farthest from their centers.
 *
 * Each Lloyd iteration is one local pass (assign rows, accumulate per-cluster
 * sums and counts in double) plus one allreduce of k x (d + 1) + 1 doubles.
 * All random choices come from lt_rng keyed by (seed, LT_STREAM_KMEANS, ...),
 * so labels and inertia are the same for any rank count. */
#ifndef LT_KMEANS_H
#define LT_KMEANS_H

#include <stdint.h>
#include "lt_dataset.h"

typedef enum {
    LT_KMEANS_PLUSPLUS = 0, /* "k-means++": greedy, n_local_trials candidates per step */
    LT_KMEANS_RANDOM,       /* "random": k distinct rows chosen uniformly */
    LT_KMEANS_GIVEN         /* start from opts.centers (n_init is then 1) */
} lt_kmeans_init;

typedef struct lt_kmeans_opts {
    int64_t n_clusters;     /* k: 1 <= k <= n; default 8 */
    lt_kmeans_init init;    /* default LT_KMEANS_PLUSPLUS */
    int64_t n_init;         /* restarts, >= 0; 0 = scikit-learn's "auto" (1 for k-means++
                               and given centers, 10 for random); default 0 */
    int64_t max_iter;       /* Lloyd iterations per restart, >= 1; default 300 */
    double tol;             /* >= 0; converged when the squared center shift summed over
                               clusters is <= tol * mean feature variance; default 1e-4 */
    uint64_t seed;          /* default 0 */
    int64_t n_local_trials; /* k-means++ candidates per step, >= 0; 0 = 2 + floor(ln k) */
    const double *centers;  /* LT_KMEANS_GIVEN: k x d row-major, same on every rank */
} lt_kmeans_opts;

typedef struct lt_kmeans {
    int64_t k, d, n;        /* clusters, features, global rows */
    int64_t row0, nloc;     /* this rank's rows (those of the fitted dataset) */
    double *centers;        /* k x d, identical on every rank */
    int32_t *labels;        /* nloc labels aligned with the dataset's local rows */
    int64_t *counts;        /* k: rows per cluster (global) */
    double inertia;         /* sum of squared distances of rows to their center */
    int64_t n_iter;         /* Lloyd iterations run by the kept restart */
    int converged;          /* 1 if the kept restart stopped before max_iter */
    int64_t best_init;      /* index of the kept restart */
    int64_t n_init;         /* restarts actually run */
    int64_t lloyd_iters;    /* Lloyd iterations summed over restarts */
} lt_kmeans;

/* Fills the defaults listed above. Not collective. */
void lt_kmeans_opts_default(lt_kmeans_opts *o);
/* "k-means++" / "random" / "given" <-> enum. Not collective. */
const char *lt_kmeans_init_name(lt_kmeans_init i);
lt_status lt_kmeans_init_parse(const char *s, lt_kmeans_init *out);

/* Collective. Fits k-means to X. Fails (on every rank, same status) with
 * LT_ERR_ARG for bad options (k < 1, k > n, ...) and LT_ERR_DATA for
 * non-finite values (naming row and column). */
lt_status lt_kmeans_fit(lt_comm *c, const lt_kmeans_opts *o, const lt_dataset *X, lt_kmeans **out);

/* Collective. Nearest-center labels for X's local rows (labels_local has
 * X->nloc entries) and, if inertia != NULL, the global inertia. X->d must
 * equal km->d. */
lt_status lt_kmeans_predict(lt_comm *c, const lt_kmeans *km, const lt_dataset *X,
                            int32_t *labels_local, double *inertia);

/* Not collective. Accepts NULL; sets *km to NULL. */
void lt_kmeans_destroy(lt_kmeans **km);

#endif
