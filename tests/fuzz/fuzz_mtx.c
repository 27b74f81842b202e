/* Matrix Market directory reader (lt_mtx_read): matrix.mtx, barcodes.tsv,
 * features.tsv or genes.tsv, each plain or gzip.
 * Input: byte 0 = flags (bit 0: gzip matrix.mtx; bit 1: gzip barcodes;
 * bit 2: gzip the features; bit 3: genes.tsv (Cell Ranger < 3) instead of
 * features.tsv; bit 4: gene ids instead of symbols; bit 5: no barcodes
 * file), bytes 1-2 and 3-4 = lengths of the matrix and barcodes parts
 * (little endian, cut to what is left), then matrix, barcodes, features. */
#include "fuzz.h"
#include "latent/lt_sparse.h"

#include <stdio.h>
#include <sys/stat.h>

static int put(const char *dir, const char *name, int gz, const uint8_t *p, size_t n)
{
    char rel[128];
    snprintf(rel, sizeof rel, "%s/%s%s", dir, name, gz ? ".gz" : "");
    return (gz ? lt_fuzz_write_gz(rel, p, n) : lt_fuzz_write(rel, p, n)) != NULL;
}

static size_t len16(lt_fuzz_in *in)
{
    size_t v = lt_fuzz_byte(in);
    return v | (size_t)lt_fuzz_byte(in) << 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_comm *c = lt_fuzz_comm();
    lt_fuzz_in in = {data, size};
    uint8_t f = lt_fuzz_byte(&in);
    size_t nm = len16(&in), nb = len16(&in), got;
    char dir[600];
    snprintf(dir, sizeof dir, "%s", lt_fuzz_path("mtx"));
    if (mkdir(dir, 0755) != 0) return lt_fuzz_done();
    const uint8_t *m = lt_fuzz_take(&in, nm, &got);
    int ok = put("mtx", "matrix.mtx", f & 1, m, got);
    const uint8_t *b = lt_fuzz_take(&in, nb, &got);
    if (ok && !(f & 32)) ok = put("mtx", "barcodes.tsv", f & 2, b, got);
    if (ok) ok = put("mtx", f & 8 ? "genes.tsv" : "features.tsv", f & 4, in.p, in.n);
    lt_sc_read_opts o;
    lt_sc_read_opts_default(&o);
    o.gene_symbols = !(f & 16);
    lt_scdata *s = NULL;
    if (ok) lt_mtx_read(c, dir, &o, &s);
    lt_scdata_destroy(&s);
    return lt_fuzz_done();
}
