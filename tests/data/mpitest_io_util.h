/* Helpers shared by the I/O tests (header-only: each test is one program). */
#ifndef MPITEST_IO_UTIL_H
#define MPITEST_IO_UTIL_H

#include "lt_test.h"
#include "latent/lt_io.h"
#include "latent/lt_rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rank 0 writes `len` bytes (len < 0: strlen) to path; everyone waits. */
static inline void io_put(const char *path, const void *bytes, long len)
{
    lt_comm *c = lt_test_comm();
    if (lt_comm_rank(c) == 0) {
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        size_t n = len < 0 ? strlen(bytes) : (size_t)len;
        ck_assert_uint_eq(fwrite(bytes, 1, n, f), n);
        fclose(f);
    }
    lt_comm_barrier(c);
}

static inline int io_exists(const char *path) { return access(path, F_OK) == 0; }

/* Status and a message fragment, with the message shown on failure. */
#define IO_EXPECT(expr, code, sub)                                                         \
    do {                                                                                   \
        lt_status s_ = (expr);                                                             \
        ck_assert_msg(s_ == (code), "%s -> %s (expected %s): %s", #expr, lt_status_name(s_), \
                      lt_status_name(code), lt_error_message());                           \
        ck_assert_msg(strstr(lt_error_message(), (sub)) != NULL,                           \
                      "%s: message '%s' lacks '%s'", #expr, lt_error_message(), (sub));     \
        lt_error_clear();                                                                  \
    } while (0)

/* Random floats of many magnitudes (rank-count independent), labels g % 7. */
static inline lt_dataset *io_random(int64_t n, int64_t d, int labels)
{
    lt_dataset *ds = NULL;
    LT_ASSERT_OK(lt_dataset_create(lt_test_comm(), n, d, labels, &ds));
    for (int64_t i = 0; i < ds->nloc; i++) {
        lt_rng r;
        lt_rng_init(&r, 42, LT_STREAM_USER, (uint64_t)(ds->row0 + i));
        for (int64_t j = 0; j < d; j++)
            ds->x[i * d + j] = (float)(lt_rng_normal(&r) * pow(10.0, (double)((j % 9) - 4)));
        if (labels) ds->y[i] = (int32_t)((ds->row0 + i) % 7);
    }
    return ds;
}

/* Same shape, same local bits, same labels (agreed over ranks). */
static inline int io_same(const lt_dataset *a, const lt_dataset *b, int labels)
{
    int ok = a->n == b->n && a->d == b->d && a->row0 == b->row0 && a->nloc == b->nloc;
    ok = ok && memcmp(a->x, b->x, sizeof(float) * (size_t)(a->nloc * a->d)) == 0;
    if (ok && labels)
        ok = b->y && memcmp(a->y, b->y, sizeof(int32_t) * (size_t)a->nloc) == 0;
    return lt_test_all(ok);
}

/* Fixture values x[i, j] = i + j / 4, labels i % 3 (scripts/make-io-fixtures.py). */
static inline int io_fixture_values(const lt_dataset *ds, int labels)
{
    int ok = 1;
    for (int64_t i = 0; i < ds->nloc; i++) {
        int64_t g = ds->row0 + i;
        for (int64_t j = 0; j < ds->d; j++) ok &= ds->x[i * ds->d + j] == (float)g + (float)j / 4;
        if (labels) ok &= ds->y != NULL && ds->y[i] == g % 3;
    }
    return lt_test_all(ok);
}

#endif
