/* Runs files through a fuzz harness without libFuzzer: every file named on
 * the command line, or every file in a folder named there, once each, in
 * name order. Exits 0 when all ran (whatever the readers returned); a
 * crash or a sanitizer report ends it, which is the failure CTest sees. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

static int run_file(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f) return fprintf(stderr, "replay: cannot open %s\n", p), 0;
    size_t cap = 1 << 16, n = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap) buf = realloc(buf, cap *= 2);
    fclose(f);
    if (!buf) return fprintf(stderr, "replay: out of memory for %s\n", p), 0;
    /* an exact-size copy, so ASan sees reads past the input's end */
    uint8_t *in = malloc(n ? n : 1);
    memcpy(in, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(in, n);
    free(in);
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *d)
{
    DIR *dp = opendir(d);
    if (!dp) return fprintf(stderr, "replay: cannot open folder %s\n", d), -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) names = realloc(names, sizeof *names * (cap = cap ? 2 * cap : 64));
        names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    qsort(names, n, sizeof *names, by_name);
    int ran = 0;
    char p[4096];
    for (size_t i = 0; i < n; i++) {
        snprintf(p, sizeof p, "%s/%s", d, names[i]);
        ran += run_file(p);
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    lt_fuzz_comm();
    int ran = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        int r = stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
        if (r <= 0) bad = 1;
        else ran += r;
    }
    printf("replay: %d inputs ran\n", ran);
    lt_fuzz_finalize();
    return bad;
}
