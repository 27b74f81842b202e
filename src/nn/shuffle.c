/* Seeded bijection of [0, n): a Feistel network on the smallest number of
 * bits covering n (split into halves of lb and rb bits, rounds alternately
 * updating the right half from the left and the left from the right), with
 * cycle walking back into [0, n): fewer than 2 walks on average. Its inverse lets a rank find the epoch position of the rows it
 * owns without building the whole permutation. */
#include "nn_internal.h"

#define NN_ROUNDS 4

static uint64_t mix64(uint64_t z)
{
    /* splitmix64's finaliser: cheap, and every input bit reaches every output bit. */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct {
    int rb;                  /* bits of the right half */
    uint64_t lmask, rmask;
    uint64_t key[NN_ROUNDS];
} feistel;

static void feistel_init(feistel *f, int64_t n, uint64_t seed, uint64_t tweak)
{
    int bits = 2;
    while (bits < 62 && ((uint64_t)1 << bits) < (uint64_t)n) bits++;
    int lb = bits / 2;
    f->rb = bits - lb;
    f->lmask = ((uint64_t)1 << lb) - 1;
    f->rmask = ((uint64_t)1 << f->rb) - 1;
    for (int r = 0; r < NN_ROUNDS; r++)
        f->key[r] = mix64(seed ^ mix64(tweak * NN_ROUNDS + (uint64_t)r + 0x9e3779b97f4a7c15ULL));
}

static uint64_t fwd(const feistel *f, uint64_t x)
{
    uint64_t L = x >> f->rb, R = x & f->rmask;
    for (int r = 0; r < NN_ROUNDS; r++) {
        if (r % 2 == 0) R ^= mix64(L ^ f->key[r]) & f->rmask;
        else L ^= mix64(R ^ f->key[r]) & f->lmask;
    }
    return (L << f->rb) | R;
}

static uint64_t inv(const feistel *f, uint64_t y)
{
    uint64_t L = y >> f->rb, R = y & f->rmask;
    for (int r = NN_ROUNDS - 1; r >= 0; r--) {
        if (r % 2 == 0) R ^= mix64(L ^ f->key[r]) & f->rmask;
        else L ^= mix64(R ^ f->key[r]) & f->lmask;
    }
    return (L << f->rb) | R;
}

int64_t nn_permute(int64_t i, int64_t n, uint64_t seed, uint64_t tweak)
{
    if (n <= 1) return 0;
    feistel f;
    feistel_init(&f, n, seed, tweak);
    uint64_t x = (uint64_t)i;
    do x = fwd(&f, x);
    while (x >= (uint64_t)n);
    return (int64_t)x;
}

int64_t nn_permute_inv(int64_t k, int64_t n, uint64_t seed, uint64_t tweak)
{
    if (n <= 1) return 0;
    feistel f;
    feistel_init(&f, n, seed, tweak);
    uint64_t x = (uint64_t)k;
    do x = inv(&f, x);
    while (x >= (uint64_t)n);
    return (int64_t)x;
}

void nn_permute_inv_range(int64_t row0, int64_t count, int64_t n, uint64_t seed, uint64_t tweak,
                          int64_t *pos)
{
    if (n <= 1) {
        for (int64_t i = 0; i < count; i++) pos[i] = 0;
        return;
    }
    feistel f;
    feistel_init(&f, n, seed, tweak);
    for (int64_t i = 0; i < count; i++) {
        uint64_t x = (uint64_t)(row0 + i);
        do x = inv(&f, x);
        while (x >= (uint64_t)n);
        pos[i] = (int64_t)x;
    }
}
