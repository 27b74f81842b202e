/* Image layers on groups of NN_V images (Keras semantics, docs/autoencoder.md).
 *
 * Layout. A data row is one NHWC image; the image layers work on a group
 * of NN_V = 16 images at once, stored image-minor: value (y, x, c) of image
 * v at ((y * w + x) * c_count + c) * NN_V + v. Every operation is then the
 * same operation on all 16 lanes of one vector (one image per lane),
 * whatever the image size or channel count: no im2col, no lane wasted on
 * a channel count of 1, 4 or 8, and a group's activations stay in cache
 * while it goes through the whole stack.
 *
 * Convolution is a direct correlation over a zero-padded copy of the input:
 * for each kernel row dy, the taps (dx, ci) of an output pixel are
 * contiguous in the padded image and in the kernel (Keras' (kh, kw, cin,
 * cout) order), so a register tile of NP output pixels x NC output
 * channels accumulates NP * NC vector FMAs per tap from NP vector loads and
 * NC weights. The input gradient is the same correlation of the padded
 * output gradient with the kernel flipped in both directions and
 * transposed in its channels; the kernel gradient is a tile of NT taps x NC
 * output channels summed over the pixels, then over the lanes.
 *
 * The kernels are compiled for AVX-512, AVX2 and the baseline (LT_CLONES)
 * with a*b+c contracted to FMA where the ISA has it: results differ in the
 * last bits between the baseline level and the others (as OpenBLAS's
 * kernels do), never between ranks, which run the same level. */
#include "nn_internal.h"

#include <float.h>
#include <string.h>

/* Everything below is compiled with FMA contraction; it must not call
 * always_inline functions defined above this line (another option set). */
#if defined(__clang__)
#pragma clang fp contract(fast)
#else
#pragma GCC optimize("fp-contract=fast")
#endif

#define V NN_V
typedef float vf __attribute__((vector_size(V * sizeof(float))));
typedef int vi __attribute__((vector_size(V * sizeof(int))));

static inline __attribute__((always_inline)) vf ld(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void stv(float *p, vf v) { memcpy(p, &v, sizeof v); }

static inline __attribute__((always_inline)) vf relu(vf a)
{
    vf z = {0};
    return (vf)((vi)a & (a > z));
}

/* mask ? a : b, lane by lane (mask all ones or zero) */
static inline __attribute__((always_inline)) vf sel(vi mask, vf a, vf b)
{
    return (vf)(((vi)a & mask) | ((vi)b & ~mask));
}

/* ---- layout conversions ---- */

void nn_rows_to_group(float *g, const float *rows, int64_t m, int64_t n)
{
    for (int64_t j = 0; j < n; j++) {
        float *d = g + j * V;
        int64_t v = 0;
        for (; v < m; v++) d[v] = rows[v * n + j];
        for (; v < V; v++) d[v] = 0.0f;
    }
}

void nn_group_to_rows(float *rows, const float *g, int64_t m, int64_t n)
{
    for (int64_t j = 0; j < n; j++)
        for (int64_t v = 0; v < m; v++) rows[v * n + j] = g[j * V + v];
}

/* ---- padding ---- */

/* dst (h + pt + pb) x (w + pl + pr) x c x V: src in the middle, zeros
 * around it. */
static void pad_group(float *dst, const float *src, int h, int w, int c, int pt, int pb, int pl,
                      int pr)
{
    const int wp = w + pl + pr;
    const size_t px = sizeof(float) * (size_t)c * V;
    memset(dst, 0, px * (size_t)wp * (size_t)pt);
    for (int y = 0; y < h; y++) {
        float *row = dst + ((int64_t)(y + pt) * wp) * c * V;
        memset(row, 0, px * (size_t)pl);
        memcpy(row + (int64_t)pl * c * V, src + (int64_t)y * w * c * V, px * (size_t)w);
        memset(row + (int64_t)(pl + w) * c * V, 0, px * (size_t)pr);
    }
    memset(dst + ((int64_t)(h + pt) * wp) * c * V, 0, px * (size_t)wp * (size_t)pb);
}

int64_t nn_conv_pad_floats(const lt_layer *L)
{
    int k = L->spec.size, c = L->in.c > L->out.c ? L->in.c : L->out.c;
    int h = (L->in.h > L->out.h ? L->in.h : L->out.h) + k - 1;
    int w = (L->in.w > L->out.w ? L->in.w : L->out.w) + k - 1;
    return (int64_t)h * w * c * V;
}

/* ---- correlation tiles ----
 * p: padded input at output pixel (oy, ox), row stride prow floats; ci
 * input channels; w: kernel at (0, 0, 0, co0) with co output channels per
 * tap row; kci = k * ci taps per kernel row; out at (oy, ox, co0). */
#define CORR_TILE(NP, NC)                                                                       \
    static inline __attribute__((always_inline)) void corr_##NP##_##NC(                         \
        const float *p, int64_t prow, int ci, const float *w, int co, int k, int kci,           \
        const float *bias, float *out, int act_relu)                                            \
    {                                                                                           \
        vf acc[NP][NC];                                                                         \
        for (int j = 0; j < NC; j++) {                                                          \
            vf b0 = {0};                                                                        \
            b0 += bias ? bias[j] : 0.0f;                                                        \
            for (int q = 0; q < NP; q++) acc[q][j] = b0;                                        \
        }                                                                                       \
        for (int dy = 0; dy < k; dy++) {                                                        \
            const float *pp = p + dy * prow, *ww = w + (int64_t)dy * kci * co;                  \
            for (int t = 0; t < kci; t++) {                                                     \
                vf x[NP];                                                                       \
                for (int q = 0; q < NP; q++) x[q] = ld(pp + ((int64_t)q * ci + t) * V);          \
                for (int j = 0; j < NC; j++) {                                                  \
                    const float wj = ww[(int64_t)t * co + j];                                   \
                    for (int q = 0; q < NP; q++) acc[q][j] += wj * x[q];                        \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        for (int q = 0; q < NP; q++)                                                            \
            for (int j = 0; j < NC; j++)                                                        \
                stv(out + ((int64_t)q * co + j) * V, act_relu ? relu(acc[q][j]) : acc[q][j]);    \
    }
CORR_TILE(12, 1)
CORR_TILE(4, 1)
CORR_TILE(1, 1)
CORR_TILE(12, 2)
CORR_TILE(4, 2)
CORR_TILE(1, 2)
CORR_TILE(6, 4)
CORR_TILE(2, 4)
CORR_TILE(1, 4)
CORR_TILE(3, 8)
CORR_TILE(1, 8)

/* A row of output pixels [0, wo) for output channels [co0, co0 + nc). */
#define CORR_ROW(BIG, MID, NC)                                                                  \
    for (; ox + BIG <= wo; ox += BIG)                                                            \
        corr_##BIG##_##NC(p + (int64_t)ox * ci * V, prow, ci, w, co, k, kci, bias, o + (int64_t)ox * co * V, act_relu); \
    for (; ox + MID <= wo; ox += MID)                                                            \
        corr_##MID##_##NC(p + (int64_t)ox * ci * V, prow, ci, w, co, k, kci, bias, o + (int64_t)ox * co * V, act_relu); \
    for (; ox < wo; ox++)                                                                        \
        corr_1_##NC(p + (int64_t)ox * ci * V, prow, ci, w, co, k, kci, bias, o + (int64_t)ox * co * V, act_relu);

/* out (ho x wo x co x V) = bias + correlation of the padded input pin
 * (hp x wp x ci x V) with kernel W (k x k x ci x co); relu applied if asked. */
LT_CLONE_BODY void corr_group_body(const float *pin, int wp, int ci, const float *W, int k, int co,
                                   const float *b, int ho, int wo, float *out, int act_relu)
{
    const int64_t prow = (int64_t)wp * ci * V;
    const int kci = k * ci;
    for (int oy = 0; oy < ho; oy++) {
        for (int co0 = 0; co0 < co;) {
            int left = co - co0, nc = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
            const float *p = pin + oy * prow, *w = W + co0, *bias = b ? b + co0 : NULL;
            float *o = out + ((int64_t)oy * wo * co + co0) * V;
            int ox = 0;
            switch (nc) {
            case 8: CORR_ROW(3, 1, 8) break;
            case 4: CORR_ROW(6, 2, 4) break;
            case 2: CORR_ROW(12, 4, 2) break;
            default: CORR_ROW(12, 4, 1) break;
            }
            co0 += nc;
        }
    }
}
LT_CLONES(static, void, corr_group,
          (const float *pin, int wp, int ci, const float *W, int k, int co, const float *b, int ho,
           int wo, float *out, int act_relu),
          (pin, wp, ci, W, k, co, b, ho, wo, out, act_relu))

/* ---- kernel gradient tiles ----
 * va[(i NC + j) V ..] += over rows [0, nr) and pixels of lanes of
 * p[(oy, ox) tap i] * dz[(oy, ox), j]: NT taps x NC output channels, the
 * vector accumulators (not yet summed over lanes) kept in va between rows. */
#define DW_TILE(NT, NC)                                                                         \
    static inline __attribute__((always_inline)) void dw_##NT##_##NC(                           \
        const float *p, int64_t prow, int ci, const float *dz, int co, int nr, int wo,          \
        float *va)                                                                              \
    {                                                                                           \
        vf acc[NT][NC];                                                                         \
        for (int i = 0; i < NT; i++)                                                            \
            for (int j = 0; j < NC; j++) acc[i][j] = ld(va + ((int64_t)i * NC + j) * V);         \
        for (int oy = 0; oy < nr; oy++) {                                                       \
            const float *pr = p + oy * prow, *dr = dz + (int64_t)oy * wo * co * V;              \
            for (int ox = 0; ox < wo; ox++) {                                                   \
                vf x[NT], g[NC];                                                                \
                for (int i = 0; i < NT; i++) x[i] = ld(pr + ((int64_t)ox * ci + i) * V);         \
                for (int j = 0; j < NC; j++) g[j] = ld(dr + ((int64_t)ox * co + j) * V);         \
                for (int i = 0; i < NT; i++)                                                    \
                    for (int j = 0; j < NC; j++) acc[i][j] += x[i] * g[j];                      \
            }                                                                                   \
        }                                                                                       \
        for (int i = 0; i < NT; i++)                                                            \
            for (int j = 0; j < NC; j++) stv(va + ((int64_t)i * NC + j) * V, acc[i][j]);         \
    }
DW_TILE(12, 1)
DW_TILE(1, 1)
DW_TILE(8, 2)
DW_TILE(1, 2)
DW_TILE(6, 4)
DW_TILE(1, 4)
DW_TILE(3, 8)
DW_TILE(1, 8)

/* Taps per chunk: a multiple of every big tile (3, 6, 8, 12), so that only
 * the last chunk of a kernel row has 1-tap tiles. */
#define DW_TB 24

/* The tiles of taps [t0, t0 + tn) for output row oy (input row oy + dy). */
#define DW_ROW(BIG, NC)                                                                         \
    for (; t + BIG <= t0 + tn; t += BIG)                                                         \
        dw_##BIG##_##NC(prow_p + (int64_t)t * V, prow, ci, dzr, co, 1, wo, va + (int64_t)(t - t0) * NC * V); \
    for (; t < t0 + tn; t++)                                                                     \
        dw_1_##NC(prow_p + (int64_t)t * V, prow, ci, dzr, co, 1, wo, va + (int64_t)(t - t0) * NC * V);

/* dW[(dy, t), co0 + j] += sum over output pixels and lanes of
 * p[(oy + dy, ox) tap t] * dz[(oy, ox), co0 + j]. Row by row, with all tap
 * tiles of a chunk passing over one output row before the next: the row of
 * output gradients of the channel block (wo x nc vectors) stays in L1 while
 * they do, instead of being streamed from L2 once per tile. Each
 * accumulator still sums its pixels in row-major order, then its lanes. */
LT_CLONE_BODY void dw_group_body(const float *pin, int wp, int ci, const float *dz, int k, int co,
                                 int ho, int wo, float *dW)
{
    const int64_t prow = (int64_t)wp * ci * V;
    const int kci = k * ci;
    float va[DW_TB * 8 * V] __attribute__((aligned(64)));
    for (int dy = 0; dy < k; dy++)
        for (int co0 = 0; co0 < co;) {
            int left = co - co0, nc = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
            for (int t0 = 0; t0 < kci; t0 += DW_TB) {
                const int tn = kci - t0 < DW_TB ? kci - t0 : DW_TB;
                memset(va, 0, sizeof(float) * (size_t)tn * nc * V);
                for (int oy = 0; oy < ho; oy++) {
                    const float *prow_p = pin + (int64_t)(oy + dy) * prow;
                    const float *dzr = dz + ((int64_t)oy * wo * co + co0) * V;
                    int t = t0;
                    switch (nc) {
                    case 8: DW_ROW(3, 8) break;
                    case 4: DW_ROW(6, 4) break;
                    case 2: DW_ROW(8, 2) break;
                    default: DW_ROW(12, 1) break;
                    }
                }
                for (int i = 0; i < tn; i++)
                    for (int j = 0; j < nc; j++) {
                        const float *a = va + ((int64_t)i * nc + j) * V;
                        float s = 0.0f;
                        for (int v = 0; v < V; v++) s += a[v];
                        dW[((int64_t)dy * kci + t0 + i) * co + co0 + j] += s;
                    }
            }
            co0 += nc;
        }
}
LT_CLONES(static, void, dw_group,
          (const float *pin, int wp, int ci, const float *dz, int k, int co, int ho, int wo,
           float *dW),
          (pin, wp, ci, dz, k, co, ho, wo, dW))

/* db[c] += sum over pixels and lanes of dz */
LT_CLONE_BODY void db_group_body(const float *dz, int64_t npix, int co, float *db)
{
    for (int j = 0; j < co; j++) {
        vf a = {0};
        for (int64_t p = 0; p < npix; p++) a += ld(dz + (p * co + j) * V);
        float s = 0.0f;
        for (int v = 0; v < V; v++) s += a[v];
        db[j] += s;
    }
}
LT_CLONES(static, void, db_group, (const float *dz, int64_t npix, int co, float *db), (dz, npix, co, db))

/* ---- conv2d ---- */

void nn_conv_forward(const lt_layer *L, float *out, const float *in, const float *W, const float *b,
                     float *pad)
{
    const int k = L->spec.size;
    const int pt = L->pad_top, pl = L->pad_left;
    const int pb = L->out.h + k - 1 - L->in.h - pt, pr = L->out.w + k - 1 - L->in.w - pl;
    pad_group(pad, in, L->in.h, L->in.w, L->in.c, pt, pb, pl, pr);
    const int relu_fused = L->spec.act == LT_ACT_RELU;
    corr_group(pad, L->in.w + pl + pr, L->in.c, W, k, L->out.c, b, L->out.h, L->out.w, out,
               relu_fused);
    if (!relu_fused) nn_act_forward(out, nn_shape_size(L->out) * V, L->spec.act);
}

void nn_conv_backward(const lt_layer *L, float *din, float *dW, float *db, const float *dz,
                      const float *in, const float *W, float *pad, float *wflip)
{
    const int k = L->spec.size, ci = L->in.c, co = L->out.c;
    const int pt = L->pad_top, pl = L->pad_left;
    const int pb = L->out.h + k - 1 - L->in.h - pt, pr = L->out.w + k - 1 - L->in.w - pl;
    db_group(dz, (int64_t)L->out.h * L->out.w, co, db);
    pad_group(pad, in, L->in.h, L->in.w, ci, pt, pb, pl, pr);
    dw_group(pad, L->in.w + pl + pr, ci, dz, k, co, L->out.h, L->out.w, dW);
    if (!din) return;
    /* wflip[(dy, dx, co), ci] = W[(k-1-dy, k-1-dx, ci), co]; dz padded by k - 1 - pad */
    for (int dy = 0; dy < k; dy++)
        for (int dx = 0; dx < k; dx++)
            for (int o = 0; o < co; o++)
                for (int i = 0; i < ci; i++)
                    wflip[(((int64_t)dy * k + dx) * co + o) * ci + i] =
                        W[(((int64_t)(k - 1 - dy) * k + (k - 1 - dx)) * ci + i) * co + o];
    const int tt = k - 1 - pt, tl = k - 1 - pl;
    const int tb = L->in.h + k - 1 - L->out.h - tt, tr = L->in.w + k - 1 - L->out.w - tl;
    pad_group(pad, dz, L->out.h, L->out.w, co, tt, tb, tl, tr);
    corr_group(pad, L->out.w + tl + tr, co, wflip, k, ci, NULL, L->in.h, L->in.w, din, 0);
}

/* ---- maxpool2d ---- */

/* The input rows [*lo, *hi) of window position o (the padding removed). */
static void window(int o, int stride, int size, int pad, int n, int *lo, int *hi)
{
    int a = o * stride - pad, b = a + size;
    *lo = a < 0 ? 0 : a;
    *hi = b > n ? n : b;
}

LT_CLONE_BODY void nn_pool_forward_body(const lt_layer *L, float *out, const float *in)
{
    const int s = L->spec.size, st = L->spec.stride ? L->spec.stride : s, c = L->in.c;
    for (int oy = 0; oy < L->out.h; oy++) {
        int y0, y1;
        window(oy, st, s, L->pad_top, L->in.h, &y0, &y1);
        for (int ox = 0; ox < L->out.w; ox++) {
            int x0, x1;
            window(ox, st, s, L->pad_left, L->in.w, &x0, &x1);
            float *o = out + ((int64_t)oy * L->out.w + ox) * c * V;
            for (int ch = 0; ch < c; ch++) {
                vf m = ld(in + (((int64_t)y0 * L->in.w + x0) * c + ch) * V);
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) {
                        vf v = ld(in + (((int64_t)iy * L->in.w + ix) * c + ch) * V);
                        m = sel(v > m, v, m);
                    }
                stv(o + (int64_t)ch * V, m);
            }
        }
    }
}
LT_CLONES(, void, nn_pool_forward, (const lt_layer *L, float *out, const float *in), (L, out, in))

/* The gradient of each window goes to its first maximum (row-major), lane by
 * lane; overlapping windows add. */
LT_CLONE_BODY void nn_pool_backward_body(const lt_layer *L, float *din, const float *dz, const float *in,
                                 const float *out)
{
    const int s = L->spec.size, st = L->spec.stride ? L->spec.stride : s, c = L->in.c;
    memset(din, 0, sizeof(float) * (size_t)nn_shape_size(L->in) * V);
    for (int oy = 0; oy < L->out.h; oy++) {
        int y0, y1;
        window(oy, st, s, L->pad_top, L->in.h, &y0, &y1);
        for (int ox = 0; ox < L->out.w; ox++) {
            int x0, x1;
            window(ox, st, s, L->pad_left, L->in.w, &x0, &x1);
            int64_t o = ((int64_t)oy * L->out.w + ox) * c * V;
            for (int ch = 0; ch < c; ch++) {
                vf m = ld(out + o + (int64_t)ch * V), g = ld(dz + o + (int64_t)ch * V), z = {0};
                vi done = {0};
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) {
                        int64_t at = (((int64_t)iy * L->in.w + ix) * c + ch) * V;
                        vi hit = (ld(in + at) == m) & ~done;
                        stv(din + at, ld(din + at) + sel(hit, g, z));
                        done |= hit;
                    }
            }
        }
    }
}
LT_CLONES(, void, nn_pool_backward,
          (const lt_layer *L, float *din, const float *dz, const float *in, const float *out),
          (L, din, dz, in, out))

/* ---- upsample2d ---- */

void nn_upsample_forward(const lt_layer *L, float *out, const float *in)
{
    const int f = L->spec.size, c = L->in.c;
    const int64_t px = (int64_t)c * V, orow = (int64_t)L->out.w * px;
    for (int iy = 0; iy < L->in.h; iy++) {
        const float *src = in + (int64_t)iy * L->in.w * px;
        float *dst = out + (int64_t)iy * f * orow;
        for (int ix = 0; ix < L->in.w; ix++)
            for (int r = 0; r < f; r++)
                memcpy(dst + ((int64_t)ix * f + r) * px, src + ix * px, sizeof(float) * (size_t)px);
        for (int r = 1; r < f; r++) memcpy(dst + r * orow, dst, sizeof(float) * (size_t)orow);
    }
}

LT_CLONE_BODY void nn_upsample_backward_body(const lt_layer *L, float *din, const float *dz)
{
    const int f = L->spec.size, c = L->in.c;
    const int64_t px = (int64_t)c * V, orow = (int64_t)L->out.w * px;
    for (int iy = 0; iy < L->in.h; iy++)
        for (int ix = 0; ix < L->in.w; ix++) {
            const float *src = dz + (int64_t)iy * f * orow + (int64_t)ix * f * px;
            float *d = din + ((int64_t)iy * L->in.w + ix) * px;
            for (int64_t e = 0; e < px; e += V) {
                vf a = {0};
                for (int r = 0; r < f; r++)
                    for (int q = 0; q < f; q++) a += ld(src + r * orow + q * px + e);
                stv(d + e, a);
            }
        }
}
LT_CLONES(, void, nn_upsample_backward, (const lt_layer *L, float *din, const float *dz), (L, din, dz))
