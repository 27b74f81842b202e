#include "latent/lt_rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void philox_round(uint32_t c[4], const uint32_t k[2])
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k[0], n2 = hi0 ^ c[3] ^ k[1];
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

void lt_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int r = 0; r < 10; r++) {
        philox_round(c, k);
        k[0] += PHILOX_W0;
        k[1] += PHILOX_W1;
    }
    for (int i = 0; i < 4; i++) out[i] = c[i];
}

void lt_rng_init(lt_rng *r, uint64_t seed, uint32_t stream, uint64_t row)
{
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = (uint32_t)row;
    r->ctr[1] = (uint32_t)(row >> 32);
    r->ctr[2] = stream;
    r->ctr[3] = 0;
    r->used = 4;
}

uint32_t lt_rng_u32(lt_rng *r)
{
    if (r->used == 4) {
        lt_philox4x32(r->ctr, r->key, r->buf);
        r->ctr[3]++;
        r->used = 0;
    }
    return r->buf[r->used++];
}

uint64_t lt_rng_u64(lt_rng *r)
{
    uint64_t hi = lt_rng_u32(r);
    return (hi << 32) | lt_rng_u32(r);
}

double lt_rng_uniform(lt_rng *r)
{
    return (double)(lt_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

double lt_rng_normal(lt_rng *r)
{
    /* 1 - u lies in (0, 1], so the log is finite. */
    double u1 = 1.0 - lt_rng_uniform(r);
    double u2 = lt_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t lt_rng_below(lt_rng *r, uint64_t n)
{
    if (n <= 1) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do v = lt_rng_u64(r);
    while (v >= limit);
    return v % n;
}
