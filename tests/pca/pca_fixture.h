/* Test data and scikit-learn references for tests/pca (made by
 * scripts/make_pca_fixtures.py). The hash matrices are rebuilt here with the
 * same IEEE operations as the script, so only the blob set is stored. */
#ifndef PCA_FIXTURE_H
#define PCA_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lt_test.h"
#include "latent/lt_dataset.h"
#include "latent/lt_pca.h"

static inline uint64_t pf_splitmix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Exactly a float: 24 random bits. */
static inline double pf_u(uint64_t seed, int64_t i, int64_t j, int64_t d)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + (uint64_t)(i * d + j);
    return (double)(pf_splitmix(z) >> 40) * (1.0 / 16777216.0);
}

static inline float pf_value(const char *name, int64_t i, int64_t j, int64_t d)
{
    if (!strcmp(name, "random")) return (float)((pf_u(11, i, j, d) - 0.5) * (double)(1 + j % 7));
    if (!strcmp(name, "wide")) return (float)pf_u(12, i, j, d);
    /* rankdef: rank-3 integer product plus column offsets */
    double x = 0;
    for (int t = 0; t < 3; t++)
        x = x + (floor(pf_u(13, i, t, 3) * 5.0) - 2.0) * (floor(pf_u(14, t, j, d) * 5.0) - 2.0);
    return (float)(x + (double)j);
}

static inline void pf_shape(const char *name, int64_t *n, int64_t *d)
{
    if (!strcmp(name, "random")) *n = 2000, *d = 300;
    else if (!strcmp(name, "wide")) *n = 40, *d = 700;
    else if (!strcmp(name, "rankdef")) *n = 500, *d = 20;
    else *n = 30000, *d = 10;
}

/* Each rank reads its own rows of blobs.f32 ("LTF32 n d\n" + float32 LE). */
static inline int pf_read_blobs(const lt_dataset *ds)
{
    char path[1024];
    FILE *f = fopen(lt_test_fixture(path, sizeof path, "pca/blobs.f32"), "rb");
    if (!f) return 0;
    long long n = 0, d = 0;
    int ok = fscanf(f, "LTF32 %lld %lld", &n, &d) == 2 && fgetc(f) == '\n' && n == ds->n &&
             d == ds->d;
    long hdr = ftell(f);
    ok = ok && fseek(f, hdr + (long)(ds->row0 * d * 4), SEEK_SET) == 0;
    ok = ok && fread(ds->x, 4, (size_t)(ds->nloc * d), f) == (size_t)(ds->nloc * d);
    fclose(f);
    return ok;
}

/* The case's matrix, sharded over c. Collective. */
static inline lt_dataset *pf_make(lt_comm *c, const char *name)
{
    int64_t n, d;
    pf_shape(name, &n, &d);
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, n, d, 0, &ds));
    int ok = 1;
    if (!strcmp(name, "blobs"))
        ok = pf_read_blobs(ds);
    else
        for (int64_t i = 0; i < ds->nloc; i++)
            for (int64_t j = 0; j < d; j++) ds->x[i * d + j] = pf_value(name, ds->row0 + i, j, d);
    LT_ASSERT_ALL(ok);
    return ds;
}

typedef struct {
    int64_t n, d, k;
    double mse, total;
    double *mean, *ev, *evr, *sv, *comp;
} pf_ref;

static inline double *pf_field(FILE *f, const char *want, int64_t count)
{
    char name[64];
    long long m = 0;
    ck_assert_msg(fscanf(f, "%63s %lld", name, &m) == 2 && !strcmp(name, want) && m == count,
                  "fixture field %s", want);
    double *v = calloc((size_t)count, sizeof *v);
    for (int64_t i = 0; i < count; i++) ck_assert(fscanf(f, "%lf", &v[i]) == 1);
    return v;
}

static inline void pf_ref_read(const char *name, pf_ref *r)
{
    char path[1024], file[128];
    snprintf(file, sizeof file, "pca/%s.ref", name);
    FILE *f = fopen(lt_test_fixture(path, sizeof path, file), "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    double *v;
    v = pf_field(f, "n", 1), r->n = (int64_t)v[0], free(v);
    v = pf_field(f, "d", 1), r->d = (int64_t)v[0], free(v);
    v = pf_field(f, "k", 1), r->k = (int64_t)v[0], free(v);
    v = pf_field(f, "mse", 1), r->mse = v[0], free(v);
    v = pf_field(f, "total_variance", 1), r->total = v[0], free(v);
    r->mean = pf_field(f, "mean", r->d);
    r->ev = pf_field(f, "explained_variance", r->k);
    r->evr = pf_field(f, "explained_variance_ratio", r->k);
    r->sv = pf_field(f, "singular_values", r->k);
    r->comp = pf_field(f, "components", r->k * r->d);
    fclose(f);
}

static inline void pf_ref_free(pf_ref *r)
{
    free(r->mean), free(r->ev), free(r->evr), free(r->sv), free(r->comp);
}

/* Sum of the float bit patterns over all rows (compared with <case>.sum). */
static inline int64_t pf_bitsum(lt_comm *c, const lt_dataset *ds)
{
    int64_t s = 0;
    for (int64_t t = 0; t < ds->nloc * ds->d; t++) {
        uint32_t b;
        memcpy(&b, &ds->x[t], 4);
        s += b;
    }
    LT_ASSERT_OK(lt_comm_sum_i64(c, &s, 1));
    return s;
}

static inline int64_t pf_sum_fixture(const char *name)
{
    char path[1024], file[128];
    long long s = -1;
    snprintf(file, sizeof file, "pca/%s.sum", name);
    FILE *f = fopen(lt_test_fixture(path, sizeof path, file), "r");
    ck_assert_msg(f && fscanf(f, "%lld", &s) == 1, "cannot read %s", path);
    fclose(f);
    return s;
}

static inline double pf_maxdiff(const double *a, const double *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static inline double pf_maxrel(const double *a, const double *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]) / fmax(fabs(b[i]), 1e-300));
    return m;
}

#endif
