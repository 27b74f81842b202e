/* The 64-bit mixer and the Feistel permutation (see lt_hash.h). */
#include "latent/lt_hash.h"

#define LT_GOLDEN_GAMMA 0x9E3779B97F4A7C15ull

uint64_t lt_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t lt_splitmix64(uint64_t z)
{
    return lt_mix64(z + LT_GOLDEN_GAMMA);
}

static int bits_covering(uint64_t n, int least, int most)
{
    int bits = least;
    while (bits < most && ((uint64_t)1 << bits) < n) bits++;
    return bits;
}

static void set_halves(lt_perm *p, int64_t n, int hi_bits, int lo_bits)
{
    p->n = n > 1 ? (uint64_t)n : 1;
    p->lo_bits = lo_bits;
    p->lo_mask = ((uint64_t)1 << lo_bits) - 1;
    p->hi_mask = ((uint64_t)1 << hi_bits) - 1;
}

void lt_perm_init(lt_perm *p, int64_t n, uint64_t seed, uint64_t tweak)
{
    int bits = bits_covering((uint64_t)n, 2, 62);
    set_halves(p, n, bits / 2, bits - bits / 2);
    p->rounds = 4;
    p->hi_first = 0;
    p->add = 0;
    for (int r = 0; r < p->rounds; r++)
        p->key[r] = lt_mix64(seed ^ lt_splitmix64(tweak * (uint64_t)p->rounds + (uint64_t)r));
}

/* Written first as a textbook Feistel network ((l, r) -> (r, l ^ F(r)) per
 * round, an even number of rounds): that is round 0 updating the high half
 * from the low one, and the round function splitmix64(half ^ key). */
void lt_perm_init_data(lt_perm *p, int64_t n, uint64_t seed, uint32_t stream)
{
    int half = (bits_covering((uint64_t)n, 0, 63) + 1) / 2;
    set_halves(p, n, half, half);
    p->rounds = 6;
    p->hi_first = 1;
    p->add = LT_GOLDEN_GAMMA;
    for (int r = 0; r < p->rounds; r++)
        p->key[r] = lt_splitmix64(seed ^ lt_splitmix64(((uint64_t)stream << 8) + (uint64_t)r));
}

static uint64_t round_fn(const lt_perm *p, int r, uint64_t half)
{
    return lt_mix64((half ^ p->key[r]) + p->add);
}

static uint64_t feistel_round(const lt_perm *p, int r, uint64_t x)
{
    uint64_t hi = x >> p->lo_bits, lo = x & p->lo_mask;
    if ((r + p->hi_first) % 2 == 0) lo ^= round_fn(p, r, hi) & p->lo_mask;
    else hi ^= round_fn(p, r, lo) & p->hi_mask;
    return (hi << p->lo_bits) | lo;
}

int64_t lt_perm_apply(const lt_perm *p, int64_t i)
{
    if (p->n <= 1) return 0;
    uint64_t x = (uint64_t)i;
    do
        for (int r = 0; r < p->rounds; r++) x = feistel_round(p, r, x);
    while (x >= p->n);
    return (int64_t)x;
}

/* Each round is its own inverse (an xor with a function of the other
 * half), so the inverse runs the rounds backwards. */
int64_t lt_perm_invert(const lt_perm *p, int64_t k)
{
    if (p->n <= 1) return 0;
    uint64_t x = (uint64_t)k;
    do
        for (int r = p->rounds - 1; r >= 0; r--) x = feistel_round(p, r, x);
    while (x >= p->n);
    return (int64_t)x;
}
