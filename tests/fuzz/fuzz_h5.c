/* HDF5 dataset reader (src/data/h5.c).
 * Input: byte 0 = mode (bit 0: the rest is the file; else a recipe, h5mut.h,
 * on a dataset file with "X" and "y"), byte 1 = options (value % 3: data
 * set "X", "data" or "y"; value / 3 % 4: labels none, "y", "labels", "X";
 * bit 7: allow NaN/Inf), then the file or recipe. */
#include "fuzz.h"
#include "fuzz_bases.h"
#include "h5mut.h"
#include "latent/lt_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *dsets[3] = {"X", "data", "y"}, *labels[4] = {NULL, "y", "labels", "X"};
    lt_comm *c = lt_fuzz_comm();
    const char *base = lt_fuzz_base_h5();
    lt_fuzz_in in = {data, size};
    uint8_t mode = lt_fuzz_byte(&in), opt = lt_fuzz_byte(&in);
    const char *path = lt_fuzz_h5_file("in.h5", base, mode & 1, in.p, in.n);
    lt_read_opts o;
    lt_read_opts_default(&o);
    o.h5_dataset = dsets[opt % 3];
    o.h5_labels = labels[opt / 3 % 4];
    o.allow_nonfinite = opt >> 7;
    lt_dataset *ds = NULL;
    if (path) lt_h5_read(c, path, &o, &ds);
    lt_dataset_destroy(&ds);
    return lt_fuzz_done();
}
