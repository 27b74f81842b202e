/* CSV reader (src/data/csv.c).
 * Input: byte 0 = header mode (value % 3 - 1: auto, no, yes), byte 1 = label
 * column (value % 5 - 1: none, 0..3), byte 2 = separator (value % 5: detect,
 * ',', tab, ';', space), byte 3 = allow NaN/Inf (bit 0), then the text. */
#include "fuzz.h"
#include "latent/lt_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char seps[5] = {0, ',', '\t', ';', ' '};
    lt_comm *c = lt_fuzz_comm();
    lt_fuzz_in in = {data, size};
    lt_read_opts o;
    lt_read_opts_default(&o);
    o.csv_header = lt_fuzz_byte(&in) % 3 - 1;
    o.csv_label_column = lt_fuzz_byte(&in) % 5 - 1;
    o.csv_separator = seps[lt_fuzz_byte(&in) % 5];
    o.allow_nonfinite = lt_fuzz_byte(&in) & 1;
    const char *path = lt_fuzz_write("in.csv", in.p, in.n);
    lt_dataset *ds = NULL;
    if (path) lt_csv_read(c, path, &o, &ds);
    lt_dataset_destroy(&ds);
    return lt_fuzz_done();
}
