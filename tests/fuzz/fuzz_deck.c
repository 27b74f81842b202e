/* INI decks with command-line overrides (src/config/load.c, deck.c).
 * Input: the deck text up to the first NUL byte, then up to 8 command-line
 * arguments separated by NUL bytes (each one "--section.key=value" or
 * anything else, which the loader must skip).
 * Oracle beyond "no crash": a deck that loads prints (lt_config_print) to a
 * deck that loads to the same printout. */
#include "fuzz.h"
#include "latent/lt_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *print_config(const lt_config *cfg, const char *path)
{
    FILE *f = fopen(path, "w+");
    if (!f) return NULL;
    lt_config_print(cfg, f);
    long n = ftell(f);
    char *s = n >= 0 ? calloc(1, (size_t)n + 1) : NULL;
    if (s && (fseek(f, 0, SEEK_SET) != 0 || fread(s, 1, (size_t)n, f) != (size_t)n)) {
        free(s);
        s = NULL;
    }
    fclose(f);
    return s;
}

static void round_trip(lt_comm *c, const lt_config *cfg)
{
    char path[512];
    snprintf(path, sizeof path, "%s", lt_fuzz_path("effective.ini"));
    char *a = print_config(cfg, path), *b = NULL;
    lt_config again;
    char *argv[1] = {"latent"};
    if (a && lt_config_load(c, path, 1, argv, &again) != LT_OK) {
        fprintf(stderr, "fuzz_deck: the printed configuration does not load: %s\n%s\n",
                lt_error_message(), a);
        abort();
    }
    if (a) b = print_config(&again, lt_fuzz_path("again.ini"));
    if (a && b && strcmp(a, b)) {
        fprintf(stderr, "fuzz_deck: printed configuration changes on reload:\n%s\n---\n%s\n", a, b);
        abort();
    }
    free(a), free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lt_comm *c = lt_fuzz_comm();
    char *buf = malloc(size + 1);
    if (!buf) return lt_fuzz_done();
    memcpy(buf, data, size);
    buf[size] = '\0';
    size_t dlen = strlen(buf);
    char *argv[10] = {"latent"};
    int argc = 1;
    for (size_t p = dlen + 1; p <= size && argc < 9; p += strlen(buf + p) + 1) argv[argc++] = buf + p;
    argv[argc] = NULL;
    const char *path = lt_fuzz_write("deck.ini", buf, dlen);
    lt_config cfg;
    if (path && lt_config_load(c, path, argc, argv, &cfg) == LT_OK) round_trip(c, &cfg);
    free(buf);
    return lt_fuzz_done();
}
