/* Text fixtures of scripts/make_*_fixtures.py: lines "key count v1 v2 ...",
 * or "key word ..." (shared by the nn reference tests). */
#ifndef LT_TEST_FIXTURE_TXT_H
#define LT_TEST_FIXTURE_TXT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lt_test.h"

typedef struct {
    char *text;
} fixture;

static inline int load_fixture(const char *name, fixture *f)
{
    char path[512];
    lt_test_fixture(path, sizeof path, name);
    FILE *fp = fopen(path, "r");
    if (!fp) return 0;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f->text = calloc((size_t)n + 2, 1);
    size_t got = fread(f->text + 1, 1, (size_t)n, fp);
    f->text[0] = '\n';
    fclose(fp);
    return got == (size_t)n;
}

/* Values of line "key count v...", or NULL. */
static inline double *values(const fixture *f, const char *key, int *count)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s ", key);
    const char *p = strstr(f->text, pat);
    if (!p) return NULL;
    char *end;
    p += strlen(pat);
    long n = strtol(p, &end, 10);
    double *v = calloc((size_t)n + 1, sizeof *v);
    for (long i = 0; i < n; i++) v[i] = strtod(end, &end);
    *count = (int)n;
    return v;
}

static inline double scalar(const fixture *f, const char *key)
{
    int n = 0;
    double *v = values(f, key, &n), r = v ? v[0] : NAN;
    free(v);
    return r;
}

static inline const char *word(const fixture *f, const char *key, int index, char *buf)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s ", key);
    const char *p = strstr(f->text, pat) + strlen(pat);
    for (int i = 0; i <= index; i++) {
        int len = 0;
        sscanf(p, "%63s%n", buf, &len);
        p += len;
    }
    return buf;
}

/* Largest |a - b| relative to the largest |b|. */
static inline double rel_err(const float *a, const double *b, int n)
{
    double e = 0, m = 1e-12;
    for (int i = 0; i < n; i++) {
        e = fmax(e, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs(b[i]));
    }
    return e / m;
}

/* The rest of line `key` (after "key "), into buf. */
static inline const char *line_text(const fixture *f, const char *key, char *buf, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s ", key);
    const char *p = strstr(f->text, pat);
    buf[0] = '\0';
    if (!p) return buf;
    p += strlen(pat);
    size_t n = strcspn(p, "\n");
    if (n >= cap) n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

#endif
