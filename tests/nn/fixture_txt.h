/* Text fixtures of scripts/make_*_fixtures.py: lines "key count v1 v2 ...",
 * or "key word ..." (shared by the nn reference tests). */
#ifndef LT_TEST_FIXTURE_TXT_H
#define LT_TEST_FIXTURE_TXT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lt_test.h"
#include "latent/lt_nn.h"

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

/* The fixture's three recorded training steps (the nn reference tests): ae
 * starts from the np parameters p0 on the nx values x (rows of ae's input
 * width), one batch per fit call (to.epochs = s); each step's loss, gradient
 * and parameters must match loss<s>, grad<s> and params<s>. Collective. */
static inline void check_three_steps(lt_comm *c, const fixture *f, const char *name, lt_ae *ae,
                                     lt_train_opts to, const double *p0, int np, const double *x,
                                     int nx)
{
    int d = ae->arch.widths[0], rows = nx / d, n;
    to.batch_size = rows;
    to.shuffle = 0;
    for (int i = 0; i < np; i++) ae->params[i] = (float)p0[i];
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, rows, d, 0, &ds));
    for (int64_t i = 0; i < ds->nloc * ds->d; i++) ds->x[i] = (float)x[ds->row0 * ds->d + i];
    for (int s = 1; s <= 3; s++) {
        to.epochs = s;
        LT_ASSERT_OK(lt_ae_fit(c, ae, &to, ds, NULL, NULL, NULL));
        char key[32];
        snprintf(key, sizeof key, "grad%d", s);
        double *g = values(f, key, &n);
        snprintf(key, sizeof key, "params%d", s);
        double *p = values(f, key, &n);
        snprintf(key, sizeof key, "loss%d", s);
        double loss = scalar(f, key), got = ae->hist.train_loss[s - 1];
        double eg = rel_err(ae->grads, g, np), ep = rel_err(ae->params, p, np);
        ck_assert_msg(fabs(got - loss) <= 1e-5 * fabs(loss), "%s step %d: loss %.9g, torch %.9g",
                      name, s, got, loss);
        ck_assert_msg(eg < 2e-5, "%s step %d: gradient differs by %.3g (relative)", name, s, eg);
        ck_assert_msg(ep < 2e-6, "%s step %d: parameters differ by %.3g (relative)", name, s, ep);
        free(g);
        free(p);
    }
    lt_dataset_destroy(&ds);
}

#endif
