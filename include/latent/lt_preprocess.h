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

/* Collective. Test rows are the round(test_fraction * n) rows... exactly
 * ceil(test_fraction * n) as scikit-learn's train_test_split, chosen by seeded
 * per-row keys; both parts keep the original relative row order and come out
 * in block layout. test_fraction == 0 gives an empty test set (n = 0). */
lt_status lt_split(lt_comm *c, const lt_dataset *all, double test_fraction, uint64_t seed,
                   lt_dataset **train, lt_dataset **test);

#endif
