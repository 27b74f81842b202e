/* Checkpoints (src/cli/checkpoint.c, lt_ckpt_load): checksum files, the
 * fallback to the previous checkpoint, the "trained" marker, the model.
 * Input: byte 0 = flags (bit 0: ae.h5 is the rest of the input as bytes,
 * else a recipe (h5mut.h) on a model stopped mid-epoch; bit 1: ae.h5.sum
 * holds the right checksum, else the 16 bytes after byte 0 as text; bit 2:
 * a valid ae.prev.h5 with its checksum; bit 3: the ae.h5.trained marker;
 * bit 4: no ae.h5 at all), then the sum text if bit 1 is clear, then the
 * file or recipe. */
#include "fuzz.h"
#include "fuzz_bases.h"
#include "h5mut.h"
#include "cli/checkpoint.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int fnv(const char *path, unsigned long long *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    *h = 1469598103934665603ull;
    int ch;
    while ((ch = getc(f)) != EOF) *h = (*h ^ (unsigned)ch) * 1099511628211ull;
    fclose(f);
    return 1;
}

static void put_sum(const char *h5, const char *text, size_t n)
{
    char p[600], buf[32];
    unsigned long long h;
    snprintf(p, sizeof p, "%s.sum", h5);
    if (!text) {
        if (!fnv(h5, &h)) return;
        n = (size_t)snprintf(buf, sizeof buf, "%016llx\n", h);
        text = buf;
    }
    FILE *f = fopen(p, "wb");
    if (f) fwrite(text, 1, n, f), fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_comm *c = lt_fuzz_comm();
    const char *base = lt_fuzz_base_ae(2);
    lt_fuzz_in in = {data, size};
    uint8_t flags = lt_fuzz_byte(&in);
    size_t nsum = 0;
    const uint8_t *sum = flags & 2 ? NULL : lt_fuzz_take(&in, 16, &nsum);
    lt_config cfg;
    lt_config_defaults(&cfg);
    snprintf(cfg.output.dir, sizeof cfg.output.dir, "%s", lt_fuzz_path("res"));
    char dir[sizeof cfg.output.dir + 16], h5[sizeof dir + 32], prev[sizeof dir + 32],
        marker[sizeof dir + 32];
    snprintf(dir, sizeof dir, "%s.checkpoint", cfg.output.dir);
    if (mkdir(dir, 0755) != 0) return lt_fuzz_done();
    snprintf(h5, sizeof h5, "%s/ae.h5", dir);
    snprintf(prev, sizeof prev, "%s/ae.prev.h5", dir);
    snprintf(marker, sizeof marker, "%s/ae.h5.trained", dir);
    if (!(flags & 16)) {
        const char *p = lt_fuzz_h5_file("ckpt.h5", base, flags & 1, in.p, in.n);
        if (!p || rename(p, h5) != 0) return lt_fuzz_done();
        put_sum(h5, (const char *)sum, nsum);
    }
    if (flags & 4 && lt_fuzz_copy(base, prev) == 0) put_sum(prev, NULL, 0);
    FILE *m = flags & 8 ? fopen(marker, "w") : NULL;
    if (m) fclose(m);
    lt_ae *ae = NULL;
    int trained = 0;
    lt_ckpt_load(c, &cfg, &ae, &trained);
    lt_ae_destroy(&ae);
    return lt_fuzz_done();
}
