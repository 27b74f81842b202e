/* NPY reader (src/data/npy.c), header and data.
 * Input: byte 0 = options (bit 0: allow NaN/Inf; bit 1: read as labels of a
 * dataset with byte 1 rows, else as data), byte 1 = rows for labels, then
 * the .npy file. */
#include "fuzz.h"
#include "latent/lt_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_comm *c = lt_fuzz_comm();
    lt_fuzz_in in = {data, size};
    uint8_t opt = lt_fuzz_byte(&in), rows = lt_fuzz_byte(&in);
    const char *path = lt_fuzz_write("in.npy", in.p, in.n);
    if (!path) return lt_fuzz_done();
    lt_read_opts o;
    lt_read_opts_default(&o);
    o.allow_nonfinite = opt & 1;
    lt_dataset *ds = NULL;
    if (opt & 2) {
        if (lt_dataset_create(c, rows, 1, 0, &ds) == LT_OK) lt_npy_read_labels(c, path, ds);
    } else {
        lt_npy_read(c, path, &o, &ds);
    }
    lt_dataset_destroy(&ds);
    return lt_fuzz_done();
}
