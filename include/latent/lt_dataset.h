/* The row-sharded dataset every stage works on.
 * n x d floats, row-major, plus optional int32 labels. Rank r holds rows
 * [row0, row0 + nloc) with mb = ceil(n / P) (ScaLAPACK's 1-D block layout,
 * see lt_shard_range). A rank may hold zero rows. */
#ifndef LT_DATASET_H
#define LT_DATASET_H

#include <stdint.h>
#include "lt_comm.h"
#include "lt_error.h"

typedef struct lt_dataset {
    int64_t n, d;        /* global shape */
    int64_t row0, nloc;  /* this rank's rows */
    float *x;            /* nloc x d, row-major */
    int32_t *y;          /* nloc labels, or NULL */
} lt_dataset;

/* Allocates the local block (zeroed). Collective: allocation failure is agreed. */
lt_status lt_dataset_create(lt_comm *c, int64_t n, int64_t d, int with_labels, lt_dataset **out);
void lt_dataset_destroy(lt_dataset **ds);
/* A zeroed dataset with the rows of src (the same n and shard on every
 * rank) and d columns, for results computed row by row. Labels: none, or a
 * copy of src's where any rank has them (agreed, so that every rank has
 * labels or none does; a rank without them gets zeros). Collective. */
typedef enum { LT_LIKE_NO_LABELS = 0, LT_LIKE_COPY_LABELS } lt_like_labels;
lt_status lt_dataset_create_like(lt_comm *c, const lt_dataset *src, int64_t d,
                                 lt_like_labels labels, lt_dataset **out);
/* Local deep copy of the shard (not collective). */
lt_status lt_dataset_copy(const lt_dataset *src, lt_dataset **out);
/* Rows ids[0..m) (global indices < ds->n) copied into rows (m x d) on every
 * rank: for a handful of rows (figures), never for a shard. Collective. */
lt_status lt_dataset_fetch_rows(lt_comm *c, const lt_dataset *ds, const int64_t *ids, int64_t m,
                                float *rows);
/* The same rows widened to double (k-means centers). Collective. */
lt_status lt_dataset_fetch_rows_d(lt_comm *c, const lt_dataset *ds, const int64_t *ids, int64_t m,
                                  double *rows);
/* A sharded m x d dataset from rows that every rank holds. Collective. */
lt_status lt_dataset_from_rows(lt_comm *c, const float *rows, int64_t m, int64_t d, lt_dataset **out);
/* Collective. Moves rows into a new dataset of n_out rows in block layout:
 * local row i of src goes to global row dest[i] of the output (dest[i] < 0
 * drops it). Each output row must be targeted exactly once. Labels follow. */
lt_status lt_dataset_redistribute(lt_comm *c, const lt_dataset *src, const int64_t *dest,
                                  int64_t n_out, lt_dataset **out);
/* Collective. Error (LT_ERR_DATA) naming the first non-finite value's global
 * row and column, with `what` describing the source (e.g. the file name). */
lt_status lt_dataset_check_finite(lt_comm *c, const lt_dataset *ds, const char *what);
/* Collective. Order-sensitive checksum of values and labels that does not
 * depend on the rank count (per-row hashes keyed by global row, summed). */
lt_status lt_dataset_checksum(lt_comm *c, const lt_dataset *ds, uint64_t *out);

/* Column kernels over rows x[0 .. n) (n x d floats, row-major) in double,
 * each column in row order (the same bits at every CPU level). Not
 * collective. sums[j] += x[i][j]; ss[j] += (x[i][j] - mean[j])^2. */
void lt_column_sums(const float *x, int64_t n, int64_t d, double *sums);
void lt_column_sq_dev(const float *x, int64_t n, int64_t d, const double *mean, double *ss);
/* Column means and centered sums of squares over all rows (mean and ss: d
 * doubles each, overwritten): variance = ss / n (ddof 0) or / (n - 1).
 * Collective. */
lt_status lt_dataset_column_moments(lt_comm *c, const lt_dataset *ds, double *mean, double *ss);

/* Per-column statistics in double, reduced over all rows. Collective. */
typedef struct lt_colstats {
    int64_t n, d;
    double *min, *max, *mean, *std; /* std: population (ddof = 0), like numpy */
} lt_colstats;
lt_status lt_colstats_compute(lt_comm *c, const lt_dataset *ds, lt_colstats **out);
void lt_colstats_destroy(lt_colstats **s);

/* Label histogram: counts for labels 0..max_label (collective). *nlabels is
 * max_label + 1 (0 when the dataset has no labels); negative labels rejected. */
lt_status lt_label_counts(lt_comm *c, const lt_dataset *ds, int64_t **counts, int *nlabels);

#endif
