/* Private to src/tsne. */
#ifndef LT_TSNE_INTERNAL_H
#define LT_TSNE_INTERNAL_H

#include "latent/lt_tsne.h"

/* A squared distance as scikit-learn hands it to the bandwidth search:
 * rounded to float32. */
double lt_tsne_sklearn_sqdist(double d2);

#endif
