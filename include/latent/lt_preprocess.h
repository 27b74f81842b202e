/* Scaling with global statistics, and the train/test split. */
#ifndef LT_PREPROCESS_H
#define LT_PREPROCESS_H

#include "lt_dataset.h"

typedef enum { LT_SCALER_NONE = 0, LT_SCALER_MINMAX, LT_SCALER_STANDARD } lt_scaler_kind;

/* x' = x * scale[j] + shift[j] (computed in double, stored as float). */
typedef struct lt_scaler {
    lt_scaler_kind kind;
    int64_t d;
    double lo, hi;          /* MinMax feature_range */
    double *scale, *shift;  /* d each */
    double *min, *max, *mean, *std; /* statistics of the fitted rows */
} lt_scaler;

/* Collective: statistics of `train` by MPI_Allreduce. Constant columns are
 * handled as scikit-learn does (MinMax: scale 1 over a zero range, so the
 * column maps to `lo`; standard: std treated as 1). */
lt_status lt_scaler_fit(lt_comm *c, lt_scaler_kind kind, double lo, double hi,
                        const lt_dataset *train, lt_scaler **out);
/* Local: applies to this rank's rows. ds->d must equal s->d. */
lt_status lt_scaler_apply(const lt_scaler *s, lt_dataset *ds);
void lt_scaler_destroy(lt_scaler **s);

/* Collective. The test set has exactly ceil(test_fraction * n) rows, as in
 * scikit-learn's train_test_split, chosen by seeded per-row keys (stream
 * LT_STREAM_SPLIT, so the split is the same for any rank count); both parts
 * keep the original relative row order and come out in block layout. Labels
 * follow their rows. test_fraction must be in [0, 1) and leave >= 1 training
 * row; test_fraction == 0 gives an empty test set (n = 0). */
lt_status lt_split(lt_comm *c, const lt_dataset *all, double test_fraction, uint64_t seed,
                   lt_dataset **train, lt_dataset **test);
/* Collective. The split behind lt_split with caller-supplied keys (one per
 * local row): the test rows are the n_test rows with the smallest keys, ties
 * broken by global row index; 0 <= n_test <= all->n - 1. */
lt_status lt_split_keys(lt_comm *c, const lt_dataset *all, const uint64_t *key, int64_t n_test,
                        lt_dataset **train, lt_dataset **test);

#endif
