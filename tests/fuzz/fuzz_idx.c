/* IDX reader (src/data/idx.c), plain and gzip.
 * Input: byte 0 = options (bit 0: gzip the images; bit 1: a labels file;
 * bit 2: gzip the labels; bit 3: allow NaN/Inf), bytes 1-2 = length of the
 * images part (little endian, cut to what is left), then the images file,
 * then the labels file (the rest). Compressed parts are real gzip streams
 * of the fuzzed bytes, so the IDX parser is reached through zlib; a fuzzed
 * gzip stream is fuzzed bytes sent uncompressed (content decides). */
#include "fuzz.h"
#include "latent/lt_io.h"

#include <stdio.h>

static const char *put(const char *name, const uint8_t *p, size_t n, int gz)
{
    return gz ? lt_fuzz_write_gz(name, p, n) : lt_fuzz_write(name, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_comm *c = lt_fuzz_comm();
    lt_fuzz_in in = {data, size};
    uint8_t opt = lt_fuzz_byte(&in);
    size_t ilen = lt_fuzz_byte(&in), got;
    ilen |= (size_t)lt_fuzz_byte(&in) << 8;
    const uint8_t *img = lt_fuzz_take(&in, ilen, &got);
    char images[512], labels[512];
    const char *p = put("images-idx3-ubyte", img, got, opt & 1);
    if (!p) return lt_fuzz_done();
    snprintf(images, sizeof images, "%s", p);
    const char *lp = NULL;
    if (opt & 2) {
        if (!(p = put("labels-idx1-ubyte", in.p, in.n, opt & 4))) return lt_fuzz_done();
        snprintf(labels, sizeof labels, "%s", p);
        lp = labels;
    }
    lt_read_opts o;
    lt_read_opts_default(&o);
    o.allow_nonfinite = (opt >> 3) & 1;
    lt_dataset *ds = NULL;
    lt_idx_read(c, images, lp, &o, &ds);
    lt_dataset_destroy(&ds);
    return lt_fuzz_done();
}
