/* Hand-vectorised x86 kernels, chosen at run time: the project builds for
 * baseline x86-64, and GCC does not vectorise these two from plain C (sqrtf
 * keeps its errno branch; the 8-lane argmin becomes branches that
 * mispredict on every other row). Elsewhere the portable loops are used. */
#include "cluster_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#ifdef LT_X86
#include <immintrin.h>

int lt_cl_have_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma"))) static inline __m256 allmin(__m256 m)
{
    m = _mm256_min_ps(m, _mm256_permute2f128_ps(m, m, 1));
    m = _mm256_min_ps(m, _mm256_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm256_min_ps(m, _mm256_shuffle_ps(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
}

/* Squared distances of rows xi and xi + d to the 8 lanes; two rows at a
 * time so that two independent FMA chains are in flight. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
dist2(const float *xi, int64_t d, const float *ct, __m256 *a0, __m256 *a1)
{
    /* Even and odd features in separate sums: half the FMA chain latency. */
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 t0 = _mm256_setzero_ps(), t1 = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 2 <= d; j += 2) {
        __m256 c = _mm256_loadu_ps(ct + j * 8), e = _mm256_loadu_ps(ct + (j + 1) * 8);
        __m256 u0 = _mm256_sub_ps(c, _mm256_broadcast_ss(xi + j));
        __m256 u1 = _mm256_sub_ps(c, _mm256_broadcast_ss(xi + d + j));
        __m256 v0 = _mm256_sub_ps(e, _mm256_broadcast_ss(xi + j + 1));
        __m256 v1 = _mm256_sub_ps(e, _mm256_broadcast_ss(xi + d + j + 1));
        s0 = _mm256_fmadd_ps(u0, u0, s0);
        s1 = _mm256_fmadd_ps(u1, u1, s1);
        t0 = _mm256_fmadd_ps(v0, v0, t0);
        t1 = _mm256_fmadd_ps(v1, v1, t1);
    }
    if (j < d) {
        __m256 c = _mm256_loadu_ps(ct + j * 8);
        __m256 u0 = _mm256_sub_ps(c, _mm256_broadcast_ss(xi + j));
        __m256 u1 = _mm256_sub_ps(c, _mm256_broadcast_ss(xi + d + j));
        s0 = _mm256_fmadd_ps(u0, u0, s0);
        s1 = _mm256_fmadd_ps(u1, u1, s1);
    }
    *a0 = _mm256_add_ps(s0, t0), *a1 = _mm256_add_ps(s1, t1);
}

__attribute__((target("avx2,fma"), always_inline)) static inline __m256
dist1(const float *xi, int64_t d, const float *ct)
{
    __m256 s0 = _mm256_setzero_ps();
    for (int64_t j = 0; j < d; j++) {
        __m256 u0 = _mm256_sub_ps(_mm256_loadu_ps(ct + j * 8), _mm256_broadcast_ss(xi + j));
        s0 = _mm256_fmadd_ps(u0, u0, s0);
    }
    return s0;
}

/* Nearest lane. Rows whose runner-up is within a relative 1e-3 of the best
 * (and anything non-finite) are decided in double. */
__attribute__((target("avx2,fma"))) static inline int pick8(__m256 acc, const float *xi, int64_t k,
                                                            const double *cd, int64_t d)
{
    __m256 m1 = allmin(acc);
    unsigned mask = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(acc, m1, _CMP_EQ_OQ));
    __m256 band = _mm256_mul_ps(m1, _mm256_set1_ps(1.001f));
    unsigned near = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(acc, band, _CMP_LE_OQ));
    if (__builtin_popcount(near) != 1 && k > 1) return lt_km_exact_argmin(xi, cd, k, d);
    return __builtin_ctz(mask | 0x100u);
}

/* s[j] += x[j] in double, four at a time (GCC keeps this scalar: it
 * cannot rule out that s and the counts alias). */
__attribute__((target("avx2,fma"), always_inline)) static inline void
add_row(double *s, const float *x, int64_t D)
{
    int64_t j = 0;
    for (; j + 4 <= D; j += 4)
        _mm256_storeu_pd(
            s + j, _mm256_add_pd(_mm256_loadu_pd(s + j), _mm256_cvtps_pd(_mm_loadu_ps(x + j))));
    if (j + 2 <= D) { /* a pair of floats is one 8-byte load */
        double pair;
        memcpy(&pair, x + j, sizeof pair);
        __m128 two = _mm_castpd_ps(_mm_set_sd(pair));
        _mm_storeu_pd(s + j, _mm_add_pd(_mm_loadu_pd(s + j), _mm_cvtps_pd(two)));
        j += 2;
    }
    for (; j < D; j++) s[j] += x[j];
}

/* Sums and counts of a batch of rows with labels b[] (< k <= 8). Row r
 * adds into copy r % 4 of the sums (copies `stride` apart; stride 0: one
 * copy): consecutive rows of one cluster then do not wait on each other's
 * stores. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
add_batch(const float *xb, int64_t nb, const int64_t D, const int32_t *b, int64_t k, double *sums,
          int64_t stride, double *cnt)
{
    int64_t nq[8] = {0};
    for (int64_t r = 0; r < nb; r++) {
        add_row(sums + (r & 3) * stride + (int64_t)b[r] * D, xb + r * D, D);
        nq[b[r]]++;
    }
    for (int64_t q = 0; q < k; q++) cnt[q] += (double)nq[q];
}

/* Labels first, for a batch of rows, then the sums of that batch: with the
 * accumulation out of the way the long distance-argmin chains of many rows
 * overlap (the loop is bound by that latency, not by arithmetic). D is a
 * compile-time constant in the specialised callers so loops unroll. */
__attribute__((target("avx2,fma"), always_inline)) static inline int64_t
assign8(const float *x, int64_t nrows, const int64_t D, const float *ct, int64_t k,
        const double *cd, int32_t *lab, double *sums, int64_t stride, double *cnt)
{
    enum { BATCH = 256 };
    int32_t b[BATCH];
    int64_t changed = 0;
    for (int64_t i0 = 0; i0 < nrows; i0 += BATCH) {
        int64_t nb = nrows - i0 < BATCH ? nrows - i0 : BATCH;
        const float *xb = x + i0 * D;
        int64_t r = 0;
        for (; r + 2 <= nb; r += 2) {
            __m256 a0, a1;
            dist2(xb + r * D, D, ct, &a0, &a1);
            b[r] = pick8(a0, xb + r * D, k, cd, D);
            b[r + 1] = pick8(a1, xb + (r + 1) * D, k, cd, D);
        }
        if (r < nb) b[r] = pick8(dist1(xb + r * D, D, ct), xb + r * D, k, cd, D);
        for (r = 0; r < nb; r++) {
            changed += lab[i0 + r] != b[r];
            lab[i0 + r] = b[r];
        }
        if (sums) add_batch(xb, nb, D, b, k, sums, stride, cnt);
    }
    return changed;
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
#define LT_ASSIGN8(D) assign8(x, nrows, D, ct, k, cd, lab, sums, stride, cnt)

__attribute__((target("avx2,fma"))) static int64_t
assign8_avx2(const float *x, int64_t nrows, int64_t d, const float *ct, int64_t k, const double *cd,
             int32_t *lab, double *sums, int64_t stride, double *cnt)
{
    LT_ASSIGN_CASES(LT_ASSIGN8)
}

/* The same code with AVX-512VL: broadcasts fold into the subtractions. */
__attribute__((target("avx2,fma,avx512f,avx512vl"))) static int64_t
assign8_avx512(const float *x, int64_t nrows, int64_t d, const float *ct, int64_t k,
               const double *cd, int32_t *lab, double *sums, int64_t stride, double *cnt)
{
    LT_ASSIGN_CASES(LT_ASSIGN8)
}

/* Same contract as lt_km_assign, ct being d x 8. Up to 64 features the sums
 * go through four interleaved copies on the stack, added up at the end. */
int64_t lt_km_assign8_avx2(const float *x, int64_t nrows, int64_t d, const float *ct, int64_t k,
                           const double *cd, int32_t *lab, double *sums, double *cnt)
{
    enum { MAXD = 64 };
    double acc[4 * 8 * MAXD];
    int copies = sums && d <= MAXD;
    int64_t kd = k * d, stride = copies ? kd : 0, changed;
    double *dst = copies ? acc : sums;
    if (copies) memset(acc, 0, sizeof acc[0] * (size_t)(4 * kd));
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
        changed = assign8_avx512(x, nrows, d, ct, k, cd, lab, dst, stride, cnt);
    else
        changed = assign8_avx2(x, nrows, d, ct, k, cd, lab, dst, stride, cnt);
    for (int64_t q = 0; copies && q < kd; q++) sums[q] += (acc[q] + acc[kd + q]) + (acc[2 * kd + q] + acc[3 * kd + q]);
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
    if (__builtin_cpu_supports("avx512f")) {
        sqrt16(v, n);
    } else if (__builtin_cpu_supports("avx")) {
        sqrt8(v, n);
    } else {
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) _mm_storeu_ps(v + j, _mm_sqrt_ps(_mm_loadu_ps(v + j)));
        for (; j < n; j++) v[j] = _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(v[j])));
    }
}

#else

int lt_cl_have_avx2(void) { return 0; }

void lt_cl_sqrt_inplace(float *v, int64_t n)
{
    for (int64_t j = 0; j < n; j++) v[j] = sqrtf(v[j]);
}

#endif
