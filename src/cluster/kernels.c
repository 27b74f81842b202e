/* Sequential hot loops of k-means and the silhouette. They are written as
 * plain loops over contiguous arrays so that GCC vectorises them, and cloned
 * for AVX-512 / AVX2 machines (picked at load time), because the project
 * builds for the baseline x86-64 ISA. What GCC cannot vectorise portably
 * (sqrtf under math-errno; the lane-wise argmin for k <= LT_KM_MAXK_LANES = 256
 * centers, d <= 64) is in kernels_x86.c. */
#include "cluster_internal.h"
#include "latent/lt_simd.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


/* A padded lane's coordinate: its squared distance is huge but finite for d
 * up to a few hundred, and +inf beyond, which never wins either. */
#define LT_FAR 1e18f

int64_t lt_km_lanes(int64_t k)
{
    if (k <= 8) return 8;
    if (k <= 16) return 16;
    return (k + 15) / 16 * 16;
}

void lt_km_pack_centers(const double *centers, int64_t k, int64_t d, int64_t kp, float *ct)
{
    for (int64_t j = 0; j < d; j++)
        for (int64_t c = 0; c < kp; c++)
            ct[j * kp + c] = c < k ? (float)centers[c * d + j] : LT_FAR;
}

double lt_cl_sqdist(const float *x, const double *c, int64_t d)
{
    double s = 0;
    for (int64_t j = 0; j < d; j++) {
        double t = (double)x[j] - c[j];
        s += t * t;
    }
    return s;
}

double lt_cl_sqdist_dd(const double *a, const double *b, int64_t d)
{
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

int lt_km_exact_argmin(const float *x, const double *cd, int64_t k, int64_t d)
{
    int best = 0;
    double bd = lt_cl_sqdist(x, cd, d);
    for (int64_t c = 1; c < k; c++) {
        double t = lt_cl_sqdist(x, cd + c * d, d);
        if (t < bd) {
            bd = t;
            best = (int)c;
        }
    }
    return best;
}

/* Float distances to the kp lanes; KP is a constant in the specialised
 * callers so that w[] lives in registers. */
static inline void lane_dists(const float *xi, int64_t d, const float *ct, int64_t KP, float *w)
{
    for (int64_t c = 0; c < KP; c++) w[c] = 0.0f;
    for (int64_t j = 0; j < d; j++) {
        float xv = xi[j];
        const float *row = ct + j * KP;
        for (int64_t c = 0; c < KP; c++) {
            float t = row[c] - xv;
            w[c] += t * t;
        }
    }
}

/* Nearest lane, re-decided in double when the runner-up is within a
 * relative 1e-3, or within the rounding of the float centers (|c| <= cmax,
 * error up to 2^-23 |c| |x - c| per distance, bounded with a factor 4 to
 * spare): float rounding must not decide which center wins. */
static inline int pick(const float *w, int64_t k, float cmax, const float *xi, const double *cd,
                       int64_t d)
{
    float b1 = FLT_MAX, b2 = FLT_MAX;
    int best = 0;
    for (int64_t c = 0; c < k; c++) {
        float v = w[c];
        if (v < b1) {
            b2 = b1;
            b1 = v;
            best = (int)c;
        } else if (v < b2) {
            b2 = v;
        }
    }
    if (k > 1 && !(b2 - b1 > 1e-3f * b2 + 0x1p-21f * cmax * sqrtf(b2)))
        best = lt_km_exact_argmin(xi, cd, k, d);
    return best;
}

static inline int64_t assign_loop(const float *x, int64_t nrows, int64_t d, const float *ct,
                                  int64_t KP, int64_t k, const double *cd, int32_t *lab,
                                  double *sums, double *cnt, float *w)
{
    float cmax = 0;
    for (int64_t q = 0; q < k; q++) {
        double n2 = 0;
        for (int64_t j = 0; j < d; j++) n2 += cd[q * d + j] * cd[q * d + j];
        cmax = fmaxf(cmax, (float)sqrt(n2) * (1.0f + 0x1p-20f));
    }
    int64_t changed = 0;
    for (int64_t i = 0; i < nrows; i++) {
        const float *xi = x + i * d;
        lane_dists(xi, d, ct, KP, w);
        int best = pick(w, k, cmax, xi, cd, d);
        int old = lab[i];
        if (best == old) continue;
        changed++;
        lab[i] = best;
        if (!sums) continue;
        double *s = sums + (int64_t)best * d;
        for (int64_t j = 0; j < d; j++) s[j] += xi[j];
        cnt[best] += 1.0;
        if (old < 0) continue;
        s = sums + (int64_t)old * d;
        for (int64_t j = 0; j < d; j++) s[j] -= xi[j];
        cnt[old] -= 1.0;
    }
    return changed;
}

/* w: kp floats of scratch for the general case (k can reach millions: not
 * a stack array); 8 and 16 lanes stay in registers. */
LT_CLONE_BODY int64_t km_assign_generic_body(const float *x, int64_t nrows, int64_t d,
                                             const float *ct, int64_t kp, int64_t k,
                                             const double *cd, int32_t *lab, double *sums,
                                             double *cnt, float *w)
{
    float wr[16];
    if (kp == 8) return assign_loop(x, nrows, d, ct, 8, k, cd, lab, sums, cnt, wr);
    if (kp == 16) return assign_loop(x, nrows, d, ct, 16, k, cd, lab, sums, cnt, wr);
    return assign_loop(x, nrows, d, ct, kp, k, cd, lab, sums, cnt, w);
}
LT_CLONES(static, int64_t, km_assign_generic,
          (const float *x, int64_t nrows, int64_t d, const float *ct, int64_t kp, int64_t k,
           const double *cd, int32_t *lab, double *sums, double *cnt, float *w),
          (x, nrows, d, ct, kp, k, cd, lab, sums, cnt, w))

int64_t lt_km_norm_blocks(int64_t nrows)
{
    return (nrows + LT_KM_NORM_BLOCK - 1) / LT_KM_NORM_BLOCK + 1;
}

LT_CLONE_BODY void lt_km_block_norms_body(const float *x, int64_t nrows, int64_t d, float *bn)
{
    for (int64_t b = 0; b * LT_KM_NORM_BLOCK < nrows; b++) {
        int64_t end = (b + 1) * LT_KM_NORM_BLOCK < nrows ? (b + 1) * LT_KM_NORM_BLOCK : nrows;
        double m = 0;
        for (int64_t i = b * LT_KM_NORM_BLOCK; i < end; i++) {
            double s = 0;
            for (int64_t j = 0; j < d; j++) s += (double)x[i * d + j] * x[i * d + j];
            m = s > m ? s : m;
        }
        /* rounded up, so that it stays a bound */
        bn[b] = (float)sqrt(m) * (1.0f + 0x1p-20f);
    }
}
LT_CLONES(, void, lt_km_block_norms,
          (const float *x, int64_t nrows, int64_t d, float *bn),
          (x, nrows, d, bn))

void lt_km_tiles(const float *x, int64_t nrows, int64_t d, float *xt)
{
    for (int64_t b = 0; b < nrows / LT_KM_TILE; b++)
        for (int64_t l = 0; l < LT_KM_TILE; l++)
            for (int64_t j = 0; j < d; j++)
                xt[(b * d + j) * LT_KM_TILE + l] = x[(b * LT_KM_TILE + l) * d + j];
}

lt_status lt_km_rows_create(const float *x, int64_t n, int64_t d, int tiles, lt_km_rows *r)
{
    *r = (lt_km_rows){x, n, d, NULL, NULL};
    r->bn = lt_calloc((size_t)lt_km_norm_blocks(n), sizeof(float));
    if (!r->bn) return LT_ERR_MEM;
    lt_km_block_norms(x, n, d, r->bn);
    if (!tiles || lt_cpu_level() < LT_ISA_AVX512 || d > LT_KM_MAXD_LANES || n < LT_KM_TILE) return LT_OK;
    r->xt = lt_malloc(sizeof(float) * (size_t)(n / LT_KM_TILE * LT_KM_TILE * d));
    if (r->xt)
        lt_km_tiles(x, n, d, r->xt);
    else
        lt_error_clear(); /* a speed-up only: the row-major kernel does without */
    return LT_OK;
}

void lt_km_rows_destroy(lt_km_rows *r)
{
    free(r->bn), free(r->xt);
    r->bn = r->xt = NULL;
}

static int lanes_fit(int64_t k, int64_t d) { return k <= LT_KM_MAXK_LANES && d <= LT_KM_MAXD_LANES; }

lt_status lt_km_scratch_create(int64_t k, int64_t d, int sums, lt_km_scratch *s)
{
    memset(s, 0, sizeof *s);
    s->k = k, s->d = d;
    int64_t kp8 = (k + 7) / 8 * 8;
    s->w = lt_calloc((size_t)lt_km_lanes(k), sizeof(float));
    int ok = s->w != NULL;
    if (ok && lanes_fit(k, d)) {
        s->e2 = lt_calloc((size_t)(kp8 * d + kp8), sizeof(float));
        s->nq = lt_calloc((size_t)k, sizeof(int64_t));
        s->acc = sums ? lt_calloc((size_t)(4 * k * d), sizeof(double)) : NULL;
        ok = s->e2 && s->nq && (!sums || s->acc);
    }
    if (ok) return LT_OK;
    lt_km_scratch_destroy(s);
    return LT_ERR_MEM;
}

void lt_km_scratch_destroy(lt_km_scratch *s)
{
    free(s->e2), free(s->acc), free(s->nq), free(s->w);
    memset(s, 0, sizeof *s);
}

int64_t lt_km_assign(const lt_km_rows *r, lt_km_scratch *s, const float *ct, int64_t kp, int64_t k,
                     const double *cd, int32_t *lab, double *sums, double *cnt)
{
#if LT_CPU_X86
    if (r->bn && lanes_fit(k, r->d) && lt_cpu_level() >= LT_ISA_AVX2 && s->e2 && (!sums || s->acc))
        return lt_km_assign_lanes(r, s, k, cd, lab, sums, cnt);
#endif
    return km_assign_generic(r->x, r->n, r->d, ct, kp, k, cd, lab, sums, cnt, s->w);
}

/* Squared distances; 64 columns at a time so the accumulators stay in
 * registers across the d features. */
LT_CLONE_BODY void sqdist_row_body(const float *xi, const float *yt, int64_t ld, int64_t d,
                                   int64_t m, float *out)
{
    int64_t j = 0;
    for (; j + 64 <= m; j += 64) {
        float acc[64] = {0};
        for (int64_t t = 0; t < d; t++) {
            float xv = xi[t];
            const float *y = yt + t * ld + j;
            for (int l = 0; l < 64; l++) {
                float u = y[l] - xv;
                acc[l] += u * u;
            }
        }
        for (int l = 0; l < 64; l++) out[j + l] = acc[l];
    }
    for (; j < m; j++) {
        float acc = 0;
        for (int64_t t = 0; t < d; t++) {
            float u = yt[t * ld + j] - xi[t];
            acc += u * u;
        }
        out[j] = acc;
    }
}
LT_CLONES(static, void, sqdist_row,
          (const float *xi, const float *yt, int64_t ld, int64_t d, int64_t m, float *out),
          (xi, yt, ld, d, m, out))

void lt_cl_dist_row(const float *xi, const float *yt, int64_t ld, int64_t d, int64_t m, float *out)
{
    sqdist_row(xi, yt, ld, d, m, out);
    lt_cl_sqrt_inplace(out, m);
}

/* G groups of 4 candidates (ct is d x 4G, candidate l in lane l), each
 * group one lt_v4d: a register at AVX2 (as lt_v8d it went through the
 * stack, 13x slower than at AVX-512), two groups two chains in flight. */
LT_SIMD_INLINE void score_groups(const float *x, int64_t nrows, int64_t d, const double *ct,
                                 const double *closest, double *pot, const int G)
{
    lt_v4d a0 = {0}, a1 = {0};
    int64_t i = 0;
    /* One group: two rows per step, so that two chains of additions run
     * at once; a0 still adds the rows in order. */
    for (; G == 1 && i + 2 <= nrows; i += 2) {
        lt_v4d s0 = {0}, s1 = {0}, c0 = {0}, c1 = {0};
        c0 += closest[i], c1 += closest[i + 1];
        for (int64_t j = 0; j < d; j++) {
            lt_v4d cj = lt_v4d_load(ct + j * 4);
            lt_v4d t0 = x[i * d + j] - cj, t1 = x[(i + 1) * d + j] - cj;
            s0 += t0 * t0;
            s1 += t1 * t1;
        }
        a0 += lt_v4d_select(s0 < c0, s0, c0);
        a0 += lt_v4d_select(s1 < c1, s1, c1);
    }
    for (; i < nrows; i++) {
        lt_v4d s0 = {0}, s1 = {0}, cl = {0};
        cl += closest[i];
        for (int64_t j = 0; j < d; j++) {
            double xv = x[i * d + j];
            lt_v4d t0 = xv - lt_v4d_load(ct + j * 4 * G);
            s0 += t0 * t0;
            if (G == 2) {
                lt_v4d t1 = xv - lt_v4d_load(ct + j * 8 + 4);
                s1 += t1 * t1;
            }
        }
        a0 += lt_v4d_select(s0 < cl, s0, cl);
        if (G == 2) a1 += lt_v4d_select(s1 < cl, s1, cl);
    }
    for (int l = 0; l < 4; l++) pot[l] += a0[l];
    for (int l = 0; G == 2 && l < 4; l++) pot[4 + l] += a1[l];
}

LT_CLONE_BODY void lt_km_score_body(const float *x, int64_t nrows, int64_t d, const double *ct,
                                    int lanes, const double *closest, double *pot)
{
    if (lanes == 4) score_groups(x, nrows, d, ct, closest, pot, 1);
    else score_groups(x, nrows, d, ct, closest, pot, 2);
}
LT_CLONES(, void, lt_km_score,
          (const float *x, int64_t nrows, int64_t d, const double *ct, int lanes,
           const double *closest, double *pot),
          (x, nrows, d, ct, lanes, closest, pot))

typedef float lt_v4f __attribute__((vector_size(16)));

/* Four rows' feature j as doubles, one lane per row (rows d apart). */
LT_SIMD_INLINE lt_v4d column4(const float *r, int64_t d, int64_t j)
{
    lt_v4f f = {r[j], r[d + j], r[2 * d + j], r[3 * d + j]};
    return __builtin_convertvector(f, lt_v4d);
}

/* Eight rows at a time, one per lane of two lt_v4d: each lane sums its
 * row's features in order (lt_cl_sqdist's sum), and the rows' sums no
 * longer wait on each other's additions. */
LT_CLONE_BODY double lt_km_closest_body(const float *x, int64_t nrows, int64_t d, const double *c,
                                        double *closest)
{
    double sum = 0;
    int64_t i = 0;
    for (; i + 8 <= nrows; i += 8) {
        const float *r = x + i * d;
        lt_v4d s0 = {0}, s1 = {0};
        for (int64_t j = 0; j < d; j++) {
            lt_v4d cj = {0};
            cj += c[j];
            lt_v4d t0 = column4(r, d, j) - cj, t1 = column4(r + 4 * d, d, j) - cj;
            s0 += t0 * t0;
            s1 += t1 * t1;
        }
        lt_v4d c0 = lt_v4d_load(closest + i), c1 = lt_v4d_load(closest + i + 4);
        c0 = lt_v4d_select(s0 < c0, s0, c0);
        c1 = lt_v4d_select(s1 < c1, s1, c1);
        for (int l = 0; l < 4; l++) closest[i + l] = c0[l];
        for (int l = 0; l < 4; l++) closest[i + 4 + l] = c1[l];
        for (int l = 0; l < 8; l++) sum += closest[i + l];
    }
    for (; i < nrows; i++) {
        double v = lt_cl_sqdist(x + i * d, c, d);
        closest[i] = v < closest[i] ? v : closest[i];
        sum += closest[i];
    }
    return sum;
}
LT_CLONES(, double, lt_km_closest,
          (const float *x, int64_t nrows, int64_t d, const double *c, double *closest),
          (x, nrows, d, c, closest))

LT_CLONE_BODY double lt_cl_sum_f_body(const float *v, int64_t n)
{
    /* Separate double lanes: the loop vectorises without reassociation and
     * the sum does not depend on where blocks and chunks begin. */
    double p[8] = {0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; l++) p[l] += v[j + l];
    double s = 0;
    for (int l = 0; l < 8; l++) s += p[l];
    for (; j < n; j++) s += v[j];
    return s;
}
LT_CLONES(, double, lt_cl_sum_f, (const float *v, int64_t n), (v, n))

LT_CLONE_BODY void lt_cl_axpy_fd_body(double *acc, const float *v, int64_t n)
{
    for (int64_t j = 0; j < n; j++) acc[j] += v[j];
}
LT_CLONES(, void, lt_cl_axpy_fd, (double *acc, const float *v, int64_t n), (acc, v, n))
