/* PCA model files (src/pca/model_io.c, lt_pca_load).
 * Input: byte 0 = mode (bit 0: the rest is the file; else a recipe, h5mut.h,
 * on a valid model), then the file or recipe. A model that loads is applied
 * to a few rows of its width and saved again. */
#include "fuzz.h"
#include "fuzz_bases.h"
#include "h5mut.h"
#include "latent/lt_pca.h"

static void use(lt_comm *c, const lt_pca *p)
{
    lt_dataset *ds = NULL, *out = NULL;
    int64_t d = p->n_features;
    if (d >= 1 && d <= 4096 && lt_dataset_create(c, 3, d, 0, &ds) == LT_OK) {
        for (int64_t i = 0; i < 3 * d; i++) ds->x[i] = (float)(i % 7) * 0.25f;
        lt_pca_transform(c, p, ds, &out);
    }
    lt_dataset_destroy(&out);
    lt_dataset_destroy(&ds);
    lt_pca_save(c, p, lt_fuzz_path("again.h5"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_comm *c = lt_fuzz_comm();
    const char *base = lt_fuzz_base_pca();
    lt_fuzz_in in = {data, size};
    uint8_t mode = lt_fuzz_byte(&in);
    const char *path = lt_fuzz_h5_file("in.h5", base, mode & 1, in.p, in.n);
    lt_pca *p = NULL;
    if (path && lt_pca_load(c, path, &p) == LT_OK) use(c, p);
    lt_pca_destroy(&p);
    return lt_fuzz_done();
}
