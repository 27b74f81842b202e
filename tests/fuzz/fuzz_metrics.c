/* metrics.json reader (src/report/metrics_io.c, lt_metrics_read, with
 * cJSON), as `latent compare` reads other runs' results folders.
 * Input: the file. A document that parses is queried the way compare and
 * the tests do: numbers, strings, arrays, nested and missing paths. */
#include "fuzz.h"
#include "latent/lt_report.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *paths[] = {"data.evaluation_rows", "autoencoder.parameters",
                                  "autoencoder.reconstruction_mse.train",
                                  "autoencoder.loss_history.train", "pca.explained_variance_ratio",
                                  "ranks", "", ".", "a..b", "spaces.autoencoder.inertia"};
    const char *path = lt_fuzz_write("metrics.json", data, size);
    lt_metrics *m = NULL;
    if (path && lt_metrics_read(path, &m) == LT_OK) {
        for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
            double v, *a = NULL;
            const char *s;
            int64_t n;
            (void)lt_metrics_has(m, paths[i]);
            (void)lt_metrics_get_number(m, paths[i], &v);
            (void)lt_metrics_get_string(m, paths[i], &s);
            if (lt_metrics_get_array_d(m, paths[i], &a, &n) == LT_OK) free(a);
        }
    }
    lt_metrics_destroy(&m);
    return lt_fuzz_done();
}
