/* Exact, order-independent sums of doubles (lt_xsum in lt_tsne.h).
 * A term m 2^e (m a 53-bit integer) is cut into three 32-bit pieces added
 * to the limbs it overlaps; limbs are int64, so pieces can pile up for 2^28
 * adds before carries must be propagated. Integer addition is associative,
 * so the limbs, and the double made from them, do not depend on the order
 * of the terms or on how they were split over ranks. */
#include "latent/lt_tsne.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EMIN (-640)                 /* weight of limb 0's lowest bit */
#define MASK32 ((int64_t)0xffffffff)
#define RENORM_EVERY ((int64_t)1 << 28)

void lt_xsum_init(lt_xsum *s) { memset(s, 0, sizeof *s); }

/* Limbs 0..L-2 into [0, 2^32), carries into the next; the top limb signed. */
static void renorm(lt_xsum *s)
{
    for (int k = 0; k < LT_XSUM_LIMBS - 1; k++) {
        int64_t r = (int64_t)((uint64_t)s->limb[k] & (uint64_t)MASK32);
        s->limb[k + 1] += (s->limb[k] - r) / ((int64_t)1 << 32);
        s->limb[k] = r;
    }
    s->adds = 0;
}

void lt_xsum_add(lt_xsum *s, double v)
{
    if (v == 0) return;
    if (!isfinite(v)) {
        s->overflow = 1;
        return;
    }
    int ex;
    double f = frexp(fabs(v), &ex);
    int64_t m = (int64_t)ldexp(f, 53);
    int64_t pos = (int64_t)ex - 53 - EMIN;
    if (pos < 0) {
        if (pos <= -64) return; /* below 2^-640: truncated */
        m >>= -pos;
        pos = 0;
    }
    int64_t L = pos >> 5;
    int o = (int)(pos & 31);
    if (L + 2 >= LT_XSUM_LIMBS) {
        s->overflow = 1;
        return;
    }
    int64_t lo = (m & MASK32) << o, hi = (m >> 32) << o;
    int64_t p0 = lo & MASK32, p1 = (lo >> 32) + (hi & MASK32), p2 = hi >> 32;
    if (v < 0) p0 = -p0, p1 = -p1, p2 = -p2;
    s->limb[L] += p0, s->limb[L + 1] += p1, s->limb[L + 2] += p2;
    if (++s->adds >= RENORM_EVERY) renorm(s);
}

double lt_xsum_value(lt_xsum *s)
{
    renorm(s);
    if (s->overflow) return NAN;
    int64_t mag[LT_XSUM_LIMBS];
    double sign = s->limb[LT_XSUM_LIMBS - 1] < 0 ? -1.0 : 1.0;
    for (int k = 0; k < LT_XSUM_LIMBS; k++) mag[k] = sign < 0 ? -s->limb[k] : s->limb[k];
    /* Negated limbs renormalised the same way: all non-negative. */
    for (int k = 0; k < LT_XSUM_LIMBS - 1; k++) {
        int64_t r = (int64_t)((uint64_t)mag[k] & (uint64_t)MASK32);
        mag[k + 1] += (mag[k] - r) / ((int64_t)1 << 32);
        mag[k] = r;
    }
    double r = 0;
    for (int k = LT_XSUM_LIMBS - 1; k >= 0; k--)
        if (mag[k]) r += ldexp((double)mag[k], 32 * k + EMIN);
    return sign * r;
}

lt_status lt_xsum_allreduce(lt_comm *c, lt_xsum *s, int m)
{
    /* Renormalised limbs are below 2^32 in magnitude (the top one is the
     * sum's high part), so sums over up to 2^31 ranks cannot overflow. */
    /* Up to 4 sums on the stack: t-SNE's gradient reduces 1 or 3 per
     * iteration, with no allocation; more (column means, once) are
     * allocated and agreed, since the other ranks would wait in the sum. */
    int64_t buf[4 * (LT_XSUM_LIMBS + 1)];
    int64_t *all = NULL;
    if (m > 4) {
        all = lt_calloc((size_t)m * (LT_XSUM_LIMBS + 1), sizeof *all);
        LT_AGREE_ALLOC(c, all);
    }
    int64_t *b = m > 4 ? all : buf;
    for (int q = 0; q < m; q++) {
        renorm(&s[q]);
        memcpy(b + (int64_t)q * (LT_XSUM_LIMBS + 1), s[q].limb, sizeof s[q].limb);
        b[(int64_t)q * (LT_XSUM_LIMBS + 1) + LT_XSUM_LIMBS] = s[q].overflow;
    }
    lt_status st = lt_comm_sum_i64(c, b, (int64_t)m * (LT_XSUM_LIMBS + 1));
    for (int q = 0; st == LT_OK && q < m; q++) {
        memcpy(s[q].limb, b + (int64_t)q * (LT_XSUM_LIMBS + 1), sizeof s[q].limb);
        s[q].overflow = b[(int64_t)q * (LT_XSUM_LIMBS + 1) + LT_XSUM_LIMBS] != 0;
        renorm(&s[q]);
    }
    free(all);
    return st;
}
