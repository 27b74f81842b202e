/* Seeded sampling without replacement, identical on every rank. */
#include "cluster_internal.h"
#include "latent/lt_rng.h"

#include <stdlib.h>

int lt_cl_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Open-addressing set of non-negative int64 (-1 = empty slot). */
static int set_insert(int64_t *tab, uint64_t mask, int64_t v)
{
    uint64_t h = ((uint64_t)v * 0x9E3779B97F4A7C15ull) >> 17;
    for (;; h++) {
        int64_t *slot = tab + (h & mask);
        if (*slot == v) return 0;
        if (*slot < 0) {
            *slot = v;
            return 1;
        }
    }
}

lt_status lt_cl_sample_indices(uint64_t seed, uint32_t stream, uint64_t key, int64_t n, int64_t s,
                            int64_t *out)
{
    LT_CHECK(s >= 0 && s <= n, LT_ERR_INTERNAL, "sample of %lld from %lld rows", (long long)s,
             (long long)n);
    uint64_t cap = 16;
    while (cap < 2 * (uint64_t)s) cap <<= 1;
    int64_t *tab = lt_malloc(cap * sizeof *tab);
    if (!tab) return LT_ERR_MEM;
    for (uint64_t i = 0; i < cap; i++) tab[i] = -1;
    lt_rng r;
    lt_rng_init(&r, seed, stream, key);
    int64_t m = 0;
    for (int64_t j = n - s; j < n; j++) {
        int64_t t = (int64_t)lt_rng_below(&r, (uint64_t)j + 1);
        if (!set_insert(tab, cap - 1, t)) {
            set_insert(tab, cap - 1, j);
            t = j;
        }
        out[m++] = t;
    }
    free(tab);
    return LT_OK;
}
