/* Synthetic datasets, identical for any rank count (see lt_rng.h). Collective. */
#ifndef LT_GENERATE_H
#define LT_GENERATE_H

#include "lt_dataset.h"

typedef struct lt_blobs_opts {
    int64_t n_samples, n_features;
    int n_centers;
    const double *centers;     /* n_centers x n_features, or NULL: uniform in the box */
    const double *cluster_std; /* n_centers values, or NULL: 1.0 */
    double box_lo, box_hi;     /* center_box, used when centers == NULL */
    int64_t noise_features;    /* extra uniform [0, 1) columns appended */
    uint64_t seed;
} lt_blobs_opts;

/* Like scikit-learn's make_blobs: n_samples / n_centers rows per center (the
 * remainder going to the first centers), in a random order, labels 0..k-1.
 * Labels are kept in ds->y. */
lt_status lt_generate_blobs(lt_comm *c, const lt_blobs_opts *o, lt_dataset **out);
/* Uniform [0, 1) data, no labels (numpy.random.rand). */
lt_status lt_generate_uniform(lt_comm *c, int64_t n, int64_t d, uint64_t seed, lt_dataset **out);
/* The centers make_blobs draws for (seed, k, d, box): k x d, row-major. Not collective. */
void lt_blobs_centers(uint64_t seed, int k, int64_t d, double lo, double hi, double *centers);
/* The order make_blobs rows are labelled in: lt_perm_init_data + lt_perm_apply
 * (lt_hash.h). Not collective. */
int64_t lt_permute_index(int64_t i, int64_t n, uint64_t seed, uint32_t stream);

/* Deck helpers (not collective). `text` is either a count ("8": *n_centers = 8,
 * *centers = NULL, drawn in the box) or rows "x,y,...; x,y,..." of exactly
 * n_features values each (*centers allocated, caller frees). */
lt_status lt_blobs_parse_centers(const char *text, int64_t n_features, int *n_centers,
                                 double **centers);
/* One value for every center ("2") or one per center ("0.5, 1, 2"), all >= 0;
 * *cluster_std is allocated with n_centers values (caller frees). */
lt_status lt_blobs_parse_std(const char *text, int n_centers, double **cluster_std);

#endif
