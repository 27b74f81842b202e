/* Autoencoder model files (src/nn/model_io.c, lt_ae_load).
 * Input: byte 0 = mode (bit 0: the rest is the file; else a recipe, h5mut.h,
 * on base model (value >> 1) % 3: untrained, trained, stopped mid-epoch),
 * then the file or recipe. A model that loads reconstructs a few rows and
 * is saved again. */
#include "fuzz.h"
#include "fuzz_bases.h"
#include "h5mut.h"
#include "latent/lt_nn.h"

static void use(lt_comm *c, lt_ae *ae)
{
    lt_dataset *ds = NULL, *out = NULL;
    int64_t d = ae->arch.widths[0];
    if (d >= 1 && d <= 4096 && lt_dataset_create(c, 3, d, 0, &ds) == LT_OK) {
        for (int64_t i = 0; i < 3 * d; i++) ds->x[i] = (float)(i % 5) * 0.2f;
        lt_ae_reconstruct(c, ae, ds, &out);
    }
    lt_dataset_destroy(&out);
    lt_dataset_destroy(&ds);
    lt_ae_save(c, ae, lt_fuzz_path("again.h5"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_comm *c = lt_fuzz_comm();
    lt_fuzz_in in = {data, size};
    uint8_t mode = lt_fuzz_byte(&in);
    const char *base = lt_fuzz_base_ae((mode >> 1) % 3);
    const char *path = lt_fuzz_h5_file("in.h5", base, mode & 1, in.p, in.n);
    lt_ae *ae = NULL;
    if (path && lt_ae_load(c, path, &ae) == LT_OK) use(c, ae);
    lt_ae_destroy(&ae);
    return lt_fuzz_done();
}
