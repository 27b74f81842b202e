/* 10x Genomics Cell Ranger .h5 reader (lt_tenx_read).
 * Input: byte 0 = mode (bit 0: the rest is the file; else a recipe,
 * h5mut.h, on fixture (value >> 1) % 3: fmt_10x_v3, tenx_v2 (genome groups),
 * tenx_v3), byte 1 = options (value % 3: genome default, "hg19_chr21",
 * "mm10"; bit 2: gene ids instead of symbols), then the file or recipe. */
#include "fuzz.h"
#include "fuzz_bases.h"
#include "h5mut.h"
#include "latent/lt_sparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *bases[3] = {"sc/fmt_10x_v3.h5", "sc/tenx_v2.h5", "sc/tenx_v3.h5"};
    static const char *genomes[3] = {NULL, "hg19_chr21", "mm10"};
    lt_comm *c = lt_fuzz_comm();
    lt_fuzz_in in = {data, size};
    uint8_t mode = lt_fuzz_byte(&in), opt = lt_fuzz_byte(&in);
    const char *path = lt_fuzz_h5_file("in.h5", lt_fuzz_fixture(bases[(mode >> 1) % 3]), mode & 1,
                                       in.p, in.n);
    lt_sc_read_opts o;
    lt_sc_read_opts_default(&o);
    o.genome = genomes[opt % 3];
    o.gene_symbols = !(opt & 4);
    lt_scdata *s = NULL;
    if (path) lt_tenx_read(c, path, &o, &s);
    lt_scdata_destroy(&s);
    return lt_fuzz_done();
}
