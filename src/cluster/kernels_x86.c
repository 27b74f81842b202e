/* Hand-vectorised x86 kernels, chosen at run time: the project builds for
 * baseline x86-64, and GCC does not vectorise these two from plain C (sqrtf
 * keeps its errno branch; the argmin over up to LT_KM_MAXK_LANES = 256 centers,
 * taken in groups of 8 lanes, needs a transpose to be done lane-wise).
 * Elsewhere the portable loops are used. */
#include "cluster_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if LT_CPU_X86
#include <immintrin.h>

/* Rows ahead that the kernels prefetch (one line per feature of a tile;
 * every line of 8 row-major rows), while inside the array: without it the
 * FMAs wait on the loads (a Lloyd pass on 1M x 10 took 5.9 ms on tiles either way; 4.5 ms
 * with 64 rows ahead, best of 32-128 on an Emerald Rapids VM). */
#define LT_KM_PREFETCH 64

/* In-register transpose of 8 x 8 floats: a[r][q] -> a[q][r]. */
__attribute__((target("avx2,fma"), always_inline)) static inline void transpose8(__m256 *a)
{
    __m256 t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(a[2 * i], a[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(a[2 * i], a[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        a[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        a[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* s[j] += x[j] (SUB: -=) in double, four at a time (GCC keeps this scalar:
 * it cannot rule out that s and x alias). */
__attribute__((target("avx2,fma"), always_inline)) static inline void
add_row(double *s, const float *x, int64_t D, const int SUB)
{
    int64_t j = 0;
    for (; j + 4 <= D; j += 4) {
        __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + j)), a = _mm256_loadu_pd(s + j);
        _mm256_storeu_pd(s + j, SUB ? _mm256_sub_pd(a, v) : _mm256_add_pd(a, v));
    }
    if (j + 2 <= D) { /* a pair of floats is one 8-byte load */
        double pair;
        memcpy(&pair, x + j, sizeof pair);
        __m128d v = _mm_cvtps_pd(_mm_castpd_ps(_mm_set_sd(pair))), a = _mm_loadu_pd(s + j);
        _mm_storeu_pd(s + j, SUB ? _mm_sub_pd(a, v) : _mm_add_pd(a, v));
        j += 2;
    }
    for (; j < D; j++) s[j] = SUB ? s[j] - x[j] : s[j] + x[j];
}

/* Distances to the 8 lanes up to a per-row constant, for 8 rows, as
 * cst_q - 2 x.e_q with e_q = c_q - c_0 (see shifted_centers), E[j] (or,
 * with E NULL, e2 + 8 j) = -2 e_.j: one FMA per feature and center.
 * Returns them transposed, a[q] = lane q of the 8 rows. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
dists8(const float *xb, const int64_t D, const __m256 *E, const float *e2, __m256 K, __m256 *a)
{
    for (int r = 0; r < 8; r++) {
        __m256 s0 = K, s1 = _mm256_setzero_ps();
        int64_t j = 0;
        for (; j + 2 <= D; j += 2) {
            __m256 ea = E ? E[j] : _mm256_loadu_ps(e2 + 8 * j);
            __m256 eb = E ? E[j + 1] : _mm256_loadu_ps(e2 + 8 * j + 8);
            s0 = _mm256_fmadd_ps(ea, _mm256_set1_ps(xb[r * D + j]), s0);
            s1 = _mm256_fmadd_ps(eb, _mm256_set1_ps(xb[r * D + j + 1]), s1);
        }
        if (j < D)
            s0 = _mm256_fmadd_ps(E ? E[j] : _mm256_loadu_ps(e2 + 8 * j),
                                 _mm256_set1_ps(xb[r * D + j]), s0);
        a[r] = _mm256_add_ps(s0, s1);
    }
    transpose8(a);
}

/* Lane-wise running minimum over the 8 centers q0 + q of a group: best
 * value, runner-up, and label (as float; strict <: the first index wins
 * ties). Padding centers (q0 + q >= k) have distance +inf and never win. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
argmin_group(const __m256 *a, int q0, __m256 *m1, __m256 *m2, __m256 *lb)
{
    for (int q = 0; q < 8; q++) {
        __m256 lt = _mm256_cmp_ps(a[q], *m1, _CMP_LT_OQ);
        *m2 = _mm256_min_ps(*m2, _mm256_max_ps(a[q], *m1));
        *m1 = _mm256_min_ps(*m1, a[q]);
        *lb = _mm256_blendv_ps(*lb, _mm256_set1_ps((float)(q0 + q)), lt);
    }
}

/* Labels of 8 rows from the minimum and runner-up over all k centers. Rows
 * whose gap is within tau (the rounding bound) or not finite are re-decided
 * in double. */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256i
labels8(__m256 m1, __m256 m2, __m256 lb, int64_t k, float tau, const float *xb, int64_t D,
        const double *cd)
{
    __m256 near = _mm256_cmp_ps(_mm256_sub_ps(m2, m1), _mm256_set1_ps(tau), _CMP_NGT_UQ);
    unsigned redo = k > 1 ? (unsigned)_mm256_movemask_ps(near) : 0;
    __m256i labels = _mm256_cvttps_epi32(lb);
    if (!redo) return labels;
    int32_t b[8];
    _mm256_storeu_si256((__m256i *)(void *)b, labels);
    for (; redo; redo &= redo - 1) {
        int l = __builtin_ctz(redo);
        b[l] = lt_km_exact_argmin(xb + l * D, cd, k, D);
    }
    return _mm256_loadu_si256((const __m256i *)(const void *)b);
}

/* Rows whose label changed (bits of chg) move from the old cluster's sums
 * (copy r % 4, so that consecutive rows of one cluster do not wait on each
 * other's stores) to the new one's. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
move_rows(const float *xb, const int64_t D, const int32_t *old, const int32_t *now, unsigned chg,
          double *sums, int64_t stride, int64_t *nq)
{
    for (; chg; chg &= chg - 1) {
        int r = __builtin_ctz(chg);
        double *s = sums + (r & 3) * stride;
        add_row(s + (int64_t)now[r] * D, xb + r * D, D, 0);
        nq[now[r]]++;
        if (old[r] < 0) continue;
        add_row(s + (int64_t)old[r] * D, xb + r * D, D, 1);
        nq[old[r]]--;
    }
}

/* Rows [i0, nrows) one at a time, in double (the tails of the blocks). */
__attribute__((target("avx2,fma"), always_inline)) static inline int64_t
assign_tail(const float *x, int64_t i0, int64_t nrows, const int64_t D, int64_t k,
            const double *cd, int32_t *lab, double *sums, int64_t stride, int64_t *nq)
{
    int64_t changed = 0;
    for (; i0 < nrows; i0++) {
        int32_t now = lt_km_exact_argmin(x + i0 * D, cd, k, D), o = lab[i0];
        if (now == o) continue;
        changed++;
        lab[i0] = now;
        if (sums) move_rows(x + i0 * D, D, &o, &now, 1u, sums, stride, nq);
    }
    return changed;
}

/* Labels of the 8 rows at xb: groups of 8 centers, G of them. With G a
 * constant 1 (k <= 8) the caller's E1 holds the only group, loaded once, so
 * that it stays in registers; several groups are read from e2 (L1). */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256i
block_labels(const float *xb, const int64_t D, const int64_t G, const __m256 *E1, const float *e2,
             const float *cst, int64_t k, float tau, const double *cd)
{
    __m256 m1 = _mm256_set1_ps(INFINITY), m2 = m1, lb = _mm256_setzero_ps();
    for (int64_t g = 0; g < G; g++) {
        __m256 a[8];
        dists8(xb, D, G == 1 ? E1 : NULL, e2 + g * 8 * D, _mm256_loadu_ps(cst + 8 * g), a);
        argmin_group(a, (int)(8 * g), &m1, &m2, &lb);
    }
    return labels8(m1, m2, lb, k, tau, xb, D, cd);
}

/* The body for one instruction set; D (and G for k <= 8) are compile-time
 * constants in the specialised callers so that the loops unroll. */
__attribute__((target("avx2,fma"), always_inline)) static inline int64_t
assign_lanes(const float *x, int64_t nrows, const int64_t D, const int64_t G, const float *bn,
             const float *e2, const float *cst, const double *tau, int64_t k, const double *cd,
             int32_t *lab, double *sums, int64_t stride, int64_t *nq)
{
    __m256 E1[LT_KM_MAXD_LANES];
    for (int64_t j = 0; G == 1 && j < D; j++) E1[j] = _mm256_loadu_ps(e2 + 8 * j);
    int64_t changed = 0, i0 = 0;
    for (; i0 + 8 <= nrows; i0 += 8) {
        const float *xb = x + i0 * D;
        for (int64_t j = 0; i0 + LT_KM_PREFETCH + 8 <= nrows && j < 8 * D; j += 16)
            _mm_prefetch((const char *)(xb + LT_KM_PREFETCH * D + j), _MM_HINT_T0);
        float t = (float)(tau[0] + tau[1] * bn[i0 / LT_KM_NORM_BLOCK]);
        __m256i now = block_labels(xb, D, G, E1, e2, cst, k, t, cd);
        __m256i old = _mm256_loadu_si256((const __m256i *)(const void *)(lab + i0));
        unsigned chg = ~(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(old, now))) & 0xFFu;
        if (!chg) continue;
        changed += __builtin_popcount(chg);
        int32_t o[8];
        _mm256_storeu_si256((__m256i *)(void *)o, old);
        _mm256_storeu_si256((__m256i *)(void *)(lab + i0), now);
        if (sums) move_rows(xb, D, o, lab + i0, chg, sums, stride, nq);
    }
    return changed + assign_tail(x, i0, nrows, D, k, cd, lab, sums, stride, nq);
}

/* The D-specialised bodies for one instruction set. */
// clang-format off
#define LT_ASSIGN_CASES(call)                                                             \
    switch (d) {                                                                          \
    case 1: return call(1);   case 2: return call(2);   case 3: return call(3);           \
    case 4: return call(4);   case 5: return call(5);   case 6: return call(6);           \
    case 7: return call(7);   case 8: return call(8);   case 9: return call(9);           \
    case 10: return call(10); case 11: return call(11); case 12: return call(12);         \
    case 16: return call(16); case 32: return call(32);                                   \
    default: return call(d);                                                              \
    }
// clang-format on
#define LT_ASSIGN1(D) assign_lanes(x, nrows, D, 1, bn, e2, cst, tau, k, cd, lab, sums, stride, nq)
#define LT_ASSIGNG(D) assign_lanes(x, nrows, D, G, bn, e2, cst, tau, k, cd, lab, sums, stride, nq)
#define LT_ASSIGN_ANY                                                                     \
    if (G == 1) {                                                                         \
        LT_ASSIGN_CASES(LT_ASSIGN1)                                                       \
    }                                                                                     \
    LT_ASSIGN_CASES(LT_ASSIGNG)

__attribute__((target("avx2,fma"))) static int64_t
assign_avx2(const float *x, int64_t nrows, int64_t d, int64_t G, const float *bn, const float *e2,
            const float *cst, const double *tau, int64_t k, const double *cd, int32_t *lab,
            double *sums, int64_t stride, int64_t *nq)
{
    LT_ASSIGN_ANY
}

/* The same code with AVX-512VL: broadcasts fold into the FMAs. */
__attribute__((target("avx2,fma,avx512f,avx512vl"))) static int64_t
assign_avx512(const float *x, int64_t nrows, int64_t d, int64_t G, const float *bn,
              const float *e2, const float *cst, const double *tau, int64_t k, const double *cd,
              int32_t *lab, double *sums, int64_t stride, int64_t *nq)
{
    LT_ASSIGN_ANY
}

/* One row per lane (a tile of xt), so no transpose: the 8 centers of group
 * q0 / 8 accumulate cst_q - 2 x.e_q, the -2 e_qj broadcast from memory into
 * the FMAs, then fold into the running minimum, runner-up and label. In the
 * first group (FIRST, a constant) center 0 is skipped: e_0 = 0 and cst_0 = 0,
 * so its distance is 0 exactly and the caller starts the minimum there. */
__attribute__((target("avx2,fma,avx512f"), always_inline)) static inline void
tile_group(const float *xt, const int64_t D, const float *e2g, const float *cstg, int q0,
           const int FIRST, __m512 *m1, __m512 *m2, __m512i *lb)
{
    __m512 a[8];
    for (int q = FIRST; q < 8; q++) a[q] = _mm512_set1_ps(cstg[q]);
    for (int64_t j = 0; j < D; j++) {
        __m512 xj = _mm512_loadu_ps(xt + LT_KM_TILE * j);
        for (int q = FIRST; q < 8; q++)
            a[q] = _mm512_fmadd_ps(xj, _mm512_set1_ps(e2g[8 * j + q]), a[q]);
    }
    for (int q = FIRST; q < 8; q++) {
        __mmask16 lt = _mm512_cmp_ps_mask(a[q], *m1, _CMP_LT_OQ);
        *m2 = _mm512_min_ps(*m2, _mm512_max_ps(a[q], *m1));
        *m1 = _mm512_min_ps(*m1, a[q]);
        *lb = _mm512_mask_mov_epi32(*lb, lt, _mm512_set1_epi32(q0 + q));
    }
}

/* Labels of one tile; rows whose gap is within tau or not finite are
 * re-decided in double from the row-major rows at xb. */
__attribute__((target("avx2,fma,avx512f"), always_inline)) static inline __m512i
tile_labels(const float *xt, const float *xb, const int64_t D, const int64_t G, const float *e2,
            const float *cst, int64_t k, float tau, const double *cd)
{
    __m512 m1 = _mm512_setzero_ps(), m2 = _mm512_set1_ps(INFINITY); /* center 0 */
    __m512i lb = _mm512_setzero_si512();
    tile_group(xt, D, e2, cst, 0, 1, &m1, &m2, &lb);
    for (int64_t g = 1; g < G; g++)
        tile_group(xt, D, e2 + g * 8 * D, cst + 8 * g, (int)(8 * g), 0, &m1, &m2, &lb);
    __m512 gap = _mm512_sub_ps(m2, m1);
    unsigned redo = k > 1 ? _mm512_cmp_ps_mask(gap, _mm512_set1_ps(tau), _CMP_NGT_UQ) : 0;
    if (!redo) return lb;
    int32_t b[LT_KM_TILE];
    _mm512_storeu_si512(b, lb);
    for (; redo; redo &= redo - 1) {
        int l = __builtin_ctz(redo);
        b[l] = lt_km_exact_argmin(xb + l * D, cd, k, D);
    }
    return _mm512_loadu_si512(b);
}

/* assign_lanes on the tiles of r->xt; the rows after the last full tile
 * one at a time. */
__attribute__((target("avx2,fma,avx512f"), always_inline)) static inline int64_t
assign_tiles(const lt_km_rows *r, const int64_t D, const int64_t G, const float *e2,
             const float *cst, const double *tau, int64_t k, const double *cd, int32_t *lab,
             double *sums, int64_t stride, int64_t *nq)
{
    int64_t changed = 0, i0 = 0;
    for (; i0 + LT_KM_TILE <= r->n; i0 += LT_KM_TILE) {
        const float *xb = r->x + i0 * D;
        for (int64_t j = 0; i0 + LT_KM_PREFETCH + LT_KM_TILE <= r->n && j < D; j++)
            _mm_prefetch((const char *)(r->xt + (i0 + LT_KM_PREFETCH) * D + LT_KM_TILE * j),
                         _MM_HINT_T0);
        float t = (float)(tau[0] + tau[1] * r->bn[i0 / LT_KM_NORM_BLOCK]);
        __m512i now = tile_labels(r->xt + i0 * D, xb, D, G, e2, cst, k, t, cd);
        __m512i old = _mm512_loadu_si512(lab + i0);
        unsigned chg = _mm512_cmpneq_epi32_mask(old, now);
        if (!chg) continue;
        changed += __builtin_popcount(chg);
        int32_t o[LT_KM_TILE];
        _mm512_storeu_si512(o, old);
        _mm512_storeu_si512(lab + i0, now);
        if (sums) move_rows(xb, D, o, lab + i0, chg, sums, stride, nq);
    }
    return changed + assign_tail(r->x, i0, r->n, D, k, cd, lab, sums, stride, nq);
}

#define LT_TILES1(D) assign_tiles(r, D, 1, e2, cst, tau, k, cd, lab, sums, stride, nq)
#define LT_TILESG(D) assign_tiles(r, D, G, e2, cst, tau, k, cd, lab, sums, stride, nq)

__attribute__((target("avx2,fma,avx512f"))) static int64_t
assign_tiles512(const lt_km_rows *r, int64_t G, const float *e2, const float *cst,
                const double *tau, int64_t k, const double *cd, int32_t *lab, double *sums,
                int64_t stride, int64_t *nq)
{
    int64_t d = r->d;
    if (G == 1) {
        LT_ASSIGN_CASES(LT_TILES1)
    }
    LT_ASSIGN_CASES(LT_TILESG)
}

/* Shifted centers e_q = c_q - c_0 (as -2 e, in groups of 8 lanes: e2[g][j][8])
 * and cst_q = |e_q|^2 + 2 c_0.e_q, so that |x - c_q|^2 = |x - c_0|^2 + cst_q -
 * 2 x.e_q: the float error then grows with |x| |e| rather than |x| |c|.
 * tau = {a, b} bounds the rounding of a gap between two lanes for a row of
 * norm at most r as a + b r: twice gamma_(d+2) (|cst| + 2 |e| r), with a
 * factor 2 to spare. Padding lanes (q >= k) are at +inf. */
static void shifted_centers(const double *cd, int64_t k, int64_t d, int64_t kp, float *e2,
                            float *cst, double *tau)
{
    double emax = 0, kmax = 0;
    for (int64_t q = 0; q < kp; q++) {
        double n2 = 0, se = 0;
        for (int64_t j = 0; j < d; j++) {
            double e = q < k ? cd[q * d + j] - cd[j] : 0.0;
            e2[(q / 8) * 8 * d + j * 8 + q % 8] = (float)(-2.0 * e);
            n2 += e * e, se += cd[j] * e;
        }
        cst[q] = q < k ? (float)(n2 + 2.0 * se) : INFINITY; /* e = 0: +inf, never the best */
        emax = q < k && sqrt(n2) > emax ? sqrt(n2) : emax;
        kmax = q < k && fabs(n2 + 2.0 * se) > kmax ? fabs(n2 + 2.0 * se) : kmax;
    }
    double u = (double)(d + 2) * 0x1p-24, g = 4.0 * u / (1.0 - u);
    tau[0] = g * kmax, tau[1] = g * 2.0 * emax;
}

/* Same contract as lt_km_assign for k <= LT_KM_MAXK_LANES, d <=
 * LT_KM_MAXD_LANES. The sums go through four interleaved copies in s->acc,
 * added up at the end. */
int64_t lt_km_assign_lanes(const lt_km_rows *r, lt_km_scratch *s, int64_t k, const double *cd,
                           int32_t *lab, double *sums, double *cnt)
{
    const float *x = r->x, *bn = r->bn;
    int64_t nrows = r->n, d = r->d;
    int64_t kp = (k + 7) / 8 * 8, G = kp / 8, kd = k * d, changed;
    float *e2 = s->e2, *cst = e2 + kp * d;
    double *acc = sums ? s->acc : NULL;
    int64_t *nq = s->nq;
    if (acc) memset(acc, 0, sizeof(double) * (size_t)(4 * kd));
    memset(nq, 0, sizeof(int64_t) * (size_t)k);
    double tau[2];
    shifted_centers(cd, k, d, kp, e2, cst, tau);
    if (r->xt)
        changed = assign_tiles512(r, G, e2, cst, tau, k, cd, lab, acc, kd, nq);
    else if (lt_cpu_level() >= LT_ISA_AVX512)
        changed = assign_avx512(x, nrows, d, G, bn, e2, cst, tau, k, cd, lab, acc, kd, nq);
    else
        changed = assign_avx2(x, nrows, d, G, bn, e2, cst, tau, k, cd, lab, acc, kd, nq);
    for (int64_t q = 0; sums && q < kd; q++)
        sums[q] += (acc[q] + acc[kd + q]) + (acc[2 * kd + q] + acc[3 * kd + q]);
    for (int64_t q = 0; sums && q < k; q++) cnt[q] += (double)nq[q];
    return changed;
}

__attribute__((target("avx512f"))) static void sqrt16(float *v, int64_t n)
{
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) _mm512_storeu_ps(v + j, _mm512_sqrt_ps(_mm512_loadu_ps(v + j)));
    for (; j < n; j++) v[j] = _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(v[j])));
}

__attribute__((target("avx"))) static void sqrt8(float *v, int64_t n)
{
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(v + j, _mm256_sqrt_ps(_mm256_loadu_ps(v + j)));
    for (; j < n; j++) v[j] = _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(v[j])));
}

void lt_cl_sqrt_inplace(float *v, int64_t n)
{
    lt_isa isa = lt_cpu_level();
    if (isa >= LT_ISA_AVX512) {
        sqrt16(v, n);
    } else if (isa >= LT_ISA_AVX2) {
        sqrt8(v, n);
    } else {
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) _mm_storeu_ps(v + j, _mm_sqrt_ps(_mm_loadu_ps(v + j)));
        for (; j < n; j++) v[j] = _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(v[j])));
    }
}

#else

void lt_cl_sqrt_inplace(float *v, int64_t n)
{
    for (int64_t j = 0; j < n; j++) v[j] = sqrtf(v[j]);
}

#endif
