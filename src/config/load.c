/* Reading a deck on rank 0, command-line overrides, cross-key validation and
 * the broadcast of the (pointer-free) configuration. */
#include "latent/lt_config.h"

#include <ini.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    lt_config *cfg;
    const char *path;
    int error_seen;
    char message[1500];
} deck_ctx;

/* inih reports the line of the first error through its return value, so
 * the handler only records what was wrong. */
static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    deck_ctx *d = user;
    if (d->error_seen) return 0;
    if (!key) return 1; /* inih may report bare section headers */
    lt_status st = lt_config_set(d->cfg, section, key, value, "@");
    if (st == LT_OK) return 1;
    d->error_seen = 1;
    const char *m = lt_error_message();
    snprintf(d->message, sizeof d->message, "%s", m[0] == '@' && m[1] == ':' ? m + 3 : m);
    return 0;
}

static void deck_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    snprintf(out, cap, "%s", base ? base + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = '\0';
}

static lt_status read_deck(const char *path, lt_config *cfg)
{
    FILE *f = fopen(path, "r");
    LT_CHECK(f, LT_ERR_CONFIG, "cannot open input deck '%s'", path);
    deck_ctx d = {.cfg = cfg, .path = path};
    /* inih cuts lines at 200 bytes by default (the rest becomes a bogus next
     * line); a layer stack or list value can be up to LT_LIST_MAX. Debian's
     * libinih reads this limit at run time. */
    ini_max_line = 4 * LT_LIST_MAX;
    int line = ini_parse_file(f, on_entry, &d);
    fclose(f);
    if (line > 0 && d.error_seen) LT_FAIL(LT_ERR_CONFIG, "%s:%d: %s", path, line, d.message);
    LT_CHECK(line == 0, LT_ERR_CONFIG, "%s:%d: syntax error (expected 'key = value' or '[section]')",
             path, line);
    return LT_OK;
}

/* "--section.key=value" arguments; anything else is left to the command. */
static lt_status apply_overrides(int argc, char **argv, lt_config *cfg)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) || !strchr(a, '.') || !strchr(a, '=')) continue;
        char sec[128], key[128];
        const char *dot = strchr(a, '.'), *eq = strchr(a, '=');
        LT_CHECK(dot < eq && dot - a - 2 < 127 && eq - dot - 1 < 127, LT_ERR_CONFIG,
                 "command line: malformed override '%s' (expected --section.key=value)", a);
        snprintf(sec, sizeof sec, "%.*s", (int)(dot - a - 2), a + 2);
        snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
        char origin[300];
        snprintf(origin, sizeof origin, "command line '%s'", a);
        LT_CALL(lt_config_set(cfg, sec, key, eq + 1, origin));
    }
    return LT_OK;
}

/* Stages must fit together: a space can be clustered (or embedded) only if
 * its stage runs. `list` is [section] spaces; *n counts its entries. */
static lt_status validate_spaces(const lt_config *cfg, const char *section, const char *list, int *n)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save), ++*n) {
        LT_CHECK(!strcmp(t, "raw") || !strcmp(t, "pca") || !strcmp(t, "autoencoder"), LT_ERR_CONFIG,
                 "[%s] spaces: unknown space '%s' (raw, pca, autoencoder)", section, t);
        LT_CHECK(strcmp(t, "pca") || cfg->pca.enabled, LT_ERR_CONFIG,
                 "[%s] spaces lists 'pca' but [pca] enabled = false: that space would not exist",
                 section);
        LT_CHECK(strcmp(t, "autoencoder") || cfg->autoencoder.enabled, LT_ERR_CONFIG,
                 "[%s] spaces lists 'autoencoder' but [autoencoder] enabled = false: "
                 "that space would not exist",
                 section);
    }
    return LT_OK;
}

static lt_status validate_stages(const lt_config *cfg)
{
    int n = 0;
    if (cfg->kmeans.enabled) LT_CALL(validate_spaces(cfg, "kmeans", cfg->kmeans.spaces, &n));
    if (!cfg->tsne.enabled) return LT_OK;
    LT_CALL(validate_spaces(cfg, "tsne", cfg->tsne.spaces, &n));
    LT_CHECK(n > 0, LT_ERR_CONFIG, "[tsne] enabled = true needs at least one space in [tsne] spaces");
    return LT_OK;
}

static lt_status validate(lt_config *cfg)
{
    const lt_cfg_data *d = &cfg->data;
    int is_file = strcmp(d->source, "blobs") && strcmp(d->source, "uniform") && strcmp(d->source, "counts");
    LT_CHECK(!is_file || d->path[0], LT_ERR_CONFIG,
             "[data] source = %s needs [data] path (the file to read)", d->source);
    LT_CHECK(d->center_box_lo < d->center_box_hi, LT_ERR_CONFIG,
             "[data] center_box_lo (%g) must be below center_box_hi (%g)", d->center_box_lo,
             d->center_box_hi);
    LT_CHECK(cfg->preprocess.feature_min < cfg->preprocess.feature_max, LT_ERR_CONFIG,
             "[preprocess] feature_min (%g) must be below feature_max (%g)",
             cfg->preprocess.feature_min, cfg->preprocess.feature_max);
    double lr = cfg->train.learning_rate;
    LT_CHECK(lr == -1 || lr > 0, LT_ERR_CONFIG,
             "[train] learning_rate = %g: must be positive, or -1 for the optimizer's default", lr);
    LT_CALL(validate_stages(cfg));
    if (!cfg->output.dir[0]) snprintf(cfg->output.dir, sizeof cfg->output.dir, "results/%s", cfg->deck_name);
    return LT_OK;
}

static lt_status load_on_root(const char *path, int argc, char **argv, lt_config *cfg)
{
    lt_config_defaults(cfg);
    snprintf(cfg->deck_name, sizeof cfg->deck_name, "latent");
    if (path) {
        LT_CHECK(strlen(path) < sizeof cfg->deck_path, LT_ERR_CONFIG, "deck path too long");
        snprintf(cfg->deck_path, sizeof cfg->deck_path, "%s", path);
        deck_name(path, cfg->deck_name, sizeof cfg->deck_name);
        LT_CALL(read_deck(path, cfg));
    }
    LT_CALL(apply_overrides(argc, argv, cfg));
    LT_CALL(validate(cfg));
    return LT_OK;
}

lt_status lt_config_load(lt_comm *c, const char *path, int argc, char **argv, lt_config *cfg)
{
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0) st = load_on_root(path, argc, argv, cfg);
    LT_CALL(lt_comm_agree(c, st));
    LT_CALL(lt_comm_bcast(c, cfg, (int64_t)sizeof *cfg, 0));
    return LT_OK;
}

lt_status lt_parse_list_d(const char *text, char sep, double *out, int cap, int *n)
{
    *n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        double v = strtod(p, &end);
        LT_CHECK(end != p, LT_ERR_CONFIG, "'%s': '%.20s' is not a number", text, p);
        LT_CHECK(*n < cap, LT_ERR_CONFIG, "'%s': more than %d values", text, cap);
        out[(*n)++] = v;
        p = end;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == sep) p++;
        else LT_CHECK(!*p, LT_ERR_CONFIG, "'%s': expected '%c' before '%.20s'", text, sep, p);
    }
    return LT_OK;
}
