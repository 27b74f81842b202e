/* AnnData .h5ad reader (src/data/h5ad.c).
 * Input: byte 0 = mode (bit 0: the rest is the file; else a recipe,
 * h5mut.h, on fixture (value >> 1) % 5: fmt_csr, fmt_csc, fmt_dense,
 * fmt_nullable, fmt_plain), byte 1 = options (value % 4: matrix X, raw/X,
 * layers/i32, layers/csc; value / 4 % 6: labels none, cell_type, donor,
 * batch, plate, n_counts), then the file or recipe. */
#include "fuzz.h"
#include "fuzz_bases.h"
#include "h5mut.h"
#include "latent/lt_sparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *bases[5] = {"sc/fmt_csr.h5ad", "sc/fmt_csc.h5ad", "sc/fmt_dense.h5ad",
                                   "sc/fmt_nullable.h5ad", "sc/fmt_plain.h5ad"};
    static const char *mats[4] = {"X", "raw/X", "layers/i32", "layers/csc"};
    static const char *keys[6] = {NULL, "cell_type", "donor", "batch", "plate", "n_counts"};
    lt_comm *c = lt_fuzz_comm();
    lt_fuzz_in in = {data, size};
    uint8_t mode = lt_fuzz_byte(&in), opt = lt_fuzz_byte(&in);
    const char *path = lt_fuzz_h5_file("in.h5ad", lt_fuzz_fixture(bases[(mode >> 1) % 5]), mode & 1,
                                       in.p, in.n);
    lt_sc_read_opts o;
    lt_sc_read_opts_default(&o);
    o.matrix = mats[opt % 4];
    o.obs_key = keys[opt / 4 % 6];
    lt_scdata *s = NULL;
    if (path) lt_h5ad_read(c, path, &o, &s);
    lt_scdata_destroy(&s);
    return lt_fuzz_done();
}
