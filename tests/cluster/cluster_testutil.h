/* Helpers for the cluster tests: fixture readers (files written by
 * scripts/make_cluster_fixtures.py) and an in-memory blob generator whose
 * rows depend only on the global row index. Every rank reads whole files
 * (they are small) and keeps its rows. */
#ifndef CLUSTER_TESTUTIL_H
#define CLUSTER_TESTUTIL_H

#include "lt_test.h"
#include "latent/lt_dataset.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The 3000-row reference set with its true labels in ds->y. */
static inline lt_dataset *ct_load_blobs(lt_comm *c)
{
    char path[512];
    FILE *f = fopen(lt_test_fixture(path, sizeof path, "cluster/blobs3000.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    long long n, d;
    ck_assert_int_eq(fscanf(f, "%lld %lld", &n, &d), 2);
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, n, d, 1, &ds));
    for (long long i = 0; i < n; i++) {
        int y;
        ck_assert_int_eq(fscanf(f, "%d", &y), 1);
        int mine = i >= ds->row0 && i < ds->row0 + ds->nloc;
        if (mine) ds->y[i - ds->row0] = y;
        for (long long j = 0; j < d; j++) {
            float v;
            ck_assert_int_eq(fscanf(f, "%f", &v), 1);
            if (mine) ds->x[(i - ds->row0) * d + j] = v;
        }
    }
    fclose(f);
    return ds;
}

/* The local slice [row0, row0 + nloc) of a named label vector. */
static inline int32_t *ct_load_labels(const char *name, int64_t row0, int64_t nloc,
                                      int64_t *n_total)
{
    char path[512], key[64];
    FILE *f = fopen(lt_test_fixture(path, sizeof path, "cluster/labels.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    long long n;
    while (fscanf(f, "%63s %lld", key, &n) == 2) {
        int32_t *out = calloc((size_t)nloc + 1, sizeof *out);
        for (long long i = 0; i < n; i++) {
            int v;
            ck_assert_int_eq(fscanf(f, "%d", &v), 1);
            if (i >= row0 && i < row0 + nloc) out[i - row0] = v;
        }
        if (!strcmp(key, name)) {
            fclose(f);
            *n_total = n;
            return out;
        }
        free(out);
    }
    fclose(f);
    ck_abort_msg("no label vector %s", name);
    return NULL;
}

/* Reference values: returns how many numbers the line `name` holds. */
static inline int ct_ref(const char *name, double *vals, int cap)
{
    char path[512], line[65536];
    FILE *f = fopen(lt_test_fixture(path, sizeof path, "cluster/reference.txt"), "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t len = strlen(name);
    int got = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, name, len) || line[len] != ' ') continue;
        char *p = line + len, *end;
        got = 0;
        for (double v = strtod(p, &end); end != p && got < cap; v = strtod(p, &end)) {
            vals[got++] = v;
            p = end;
        }
        break;
    }
    fclose(f);
    ck_assert_msg(got > 0, "no reference value %s", name);
    return got;
}

static inline double ct_ref1(const char *name)
{
    double v;
    ct_ref(name, &v, 1);
    return v;
}

/* "k d" then k rows of d numbers. */
static inline double *ct_load_centers(const char *file, int64_t *k, int64_t *d)
{
    char path[512];
    FILE *f = fopen(lt_test_fixture(path, sizeof path, file), "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    long long kk, dd;
    ck_assert_int_eq(fscanf(f, "%lld %lld", &kk, &dd), 2);
    double *c = calloc((size_t)(kk * dd), sizeof *c);
    for (long long i = 0; i < kk * dd; i++) ck_assert_int_eq(fscanf(f, "%lf", &c[i]), 1);
    fclose(f);
    *k = kk, *d = dd;
    return c;
}

/* Gaussian blobs around k centers in [-10, 10]^d, label of row i drawn from
 * (seed, row i): identical for any communicator. */
static inline lt_dataset *ct_blobs(lt_comm *c, int64_t n, int64_t d, int k, double std,
                                   uint64_t seed)
{
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_create(c, n, d, 1, &ds));
    double *cen = calloc((size_t)(k * d), sizeof *cen);
    lt_rng r;
    lt_rng_init(&r, seed, LT_STREAM_CENTERS, 0);
    for (int64_t q = 0; q < k * d; q++) cen[q] = -10 + 20 * lt_rng_uniform(&r);
    for (int64_t i = 0; i < ds->nloc; i++) {
        lt_rng_init(&r, seed, LT_STREAM_DATA, (uint64_t)(ds->row0 + i));
        int y = (int)lt_rng_below(&r, (uint64_t)k);
        ds->y[i] = y;
        for (int64_t j = 0; j < d; j++)
            ds->x[i * d + j] = (float)(cen[y * d + j] + std * lt_rng_normal(&r));
    }
    free(cen);
    return ds;
}

static inline int ct_close(double a, double b, double rel)
{
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= rel * (m > 1e-300 ? m : 1e-300);
}

#endif
