/* Cluster-quality scores on a row-sharded dataset, with scikit-learn's
 * definitions (Euclidean distance). Labels are int32 >= 0, one per local row
 * of X, in the same order; label values need not be contiguous (a value
 * with no rows is simply absent). Every function here is collective, checks
 * its input on every rank and agrees the outcome, so bad input gives the
 * same clear error everywhere:
 *   LT_ERR_DATA  labels of a different length than the rows (n_local must be
 *                X->nloc on every rank), negative labels, non-finite values,
 *                fewer than 2 or more than n - 1 distinct labels (silhouette,
 *                Davies-Bouldin, Calinski-Harabasz: scikit-learn raises too);
 *   LT_ERR_ARG   bad options. */
#ifndef LT_SCORES_H
#define LT_SCORES_H

#include <stdint.h>
#include "lt_dataset.h"

typedef enum {
    LT_SIL_EXACT = 0,  /* all pairs, rows travelling around a ring of ranks */
    LT_SIL_SAMPLED,    /* exact on a seeded uniform sample of sample_size rows */
    LT_SIL_SQEUCLIDEAN /* exact under squared Euclidean dissimilarity: a different
                          number (scikit-learn's metric='sqeuclidean'), O(n k d) */
} lt_sil_mode;

typedef struct lt_silhouette_opts {
    lt_sil_mode mode;    /* default LT_SIL_EXACT */
    int64_t sample_size; /* sampled: rows drawn without replacement, >= 2 (all rows if
                            larger than n); default 10000 */
    uint64_t seed;       /* sampled: the sample depends on (seed, n) only; default 0 */
} lt_silhouette_opts;

typedef struct lt_silhouette_result {
    lt_sil_mode mode;
    double score;          /* mean silhouette over the scored rows */
    int64_t n_scored;      /* rows scored (n, or the sample size) */
    int nslots;            /* label slots: max label + 1 among the scored rows */
    int64_t *cluster_count;/* nslots: scored rows per label */
    double *cluster_mean;  /* nslots: mean silhouette per label (0 where count is 0) */
} lt_silhouette_result;

void lt_silhouette_opts_default(lt_silhouette_opts *o);
const char *lt_sil_mode_name(lt_sil_mode m); /* "exact" "sampled" "sqeuclidean" */
lt_status lt_sil_mode_parse(const char *s, lt_sil_mode *out);

/* Collective. Silhouette of `labels_local` (n_local entries) on X. Clusters
 * of one row score 0. Fills res (free with lt_silhouette_result_free).
 * Exact mode: time O(n^2 d / P), memory per rank O(n d / P + n k / P). */
lt_status lt_silhouette(lt_comm *c, const lt_dataset *X, const int32_t *labels_local,
                        int64_t n_local, const lt_silhouette_opts *o, lt_silhouette_result *res);
/* Not collective. Frees the arrays and zeroes res; accepts a zeroed res. */
void lt_silhouette_result_free(lt_silhouette_result *res);

/* Collective. Adjusted Rand index and normalized mutual information
 * (arithmetic mean normalisation, scikit-learn's default) of two labelings
 * of the same rows; the contingency table is reduced across ranks. */
lt_status lt_ari(lt_comm *c, const int32_t *truth, int64_t n_truth, const int32_t *pred,
                 int64_t n_pred, double *out);
lt_status lt_nmi(lt_comm *c, const int32_t *truth, int64_t n_truth, const int32_t *pred,
                 int64_t n_pred, double *out);

/* Collective. Davies-Bouldin (lower is better) and Calinski-Harabasz
 * (higher is better) indices, O(n k d). */
lt_status lt_davies_bouldin(lt_comm *c, const lt_dataset *X, const int32_t *labels_local,
                            int64_t n_local, double *out);
lt_status lt_calinski_harabasz(lt_comm *c, const lt_dataset *X, const int32_t *labels_local,
                               int64_t n_local, double *out);

/* Collective. Inertia: sum over rows of the squared distance to the center
 * of its cluster. centers (k x d, k > max label) may be NULL: the cluster
 * means are used, as in seed 000's formula. */
lt_status lt_inertia(lt_comm *c, const lt_dataset *X, const int32_t *labels_local,
                     int64_t n_local, const double *centers, int64_t k, double *out);

#endif
