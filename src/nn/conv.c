/* Image layers over flat NHWC arrays: 2-D convolution (im2col blocks, one
 * sgemm each), max pooling and nearest-neighbour upsampling, forward and
 * backward. Keras semantics (see docs/autoencoder.md). */
#include "nn_internal.h"

#include <cblas.h>
#include <float.h>
#include <string.h>

/* Geometry of one correlation: input hi x wi x ci, output ho x wo, square
 * kernel k with pt / pl zero rows / columns before the input. The forward
 * pass and the input gradient are both such correlations. */
typedef struct {
    int hi, wi, ci, ho, wo, k, pt, pl;
} corr;

static int64_t corr_K(const corr *g) { return (int64_t)g->k * g->k * g->ci; }

/* col (np x K): row p holds the k x k x ci input patch of output pixel
 * p0 + p (pixels numbered over all m samples), zeros outside the input. */
static void im2col(const corr *g, const float *in, int64_t p0, int64_t np, float *col)
{
    const int64_t K = corr_K(g), hw = (int64_t)g->ho * g->wo, img = (int64_t)g->hi * g->wi * g->ci;
    const size_t rowb = sizeof(float) * (size_t)g->ci;
    for (int64_t p = 0; p < np; p++) {
        int64_t q = p0 + p, b = q / hw, r = q - b * hw;
        int y = (int)(r / g->wo), x = (int)(r - (int64_t)y * g->wo);
        const float *src = in + b * img;
        float *dst = col + p * K;
        for (int dy = 0; dy < g->k; dy++) {
            int iy = y + dy - g->pt;
            if (iy < 0 || iy >= g->hi) {
                memset(dst, 0, rowb * (size_t)g->k);
                dst += (int64_t)g->k * g->ci;
                continue;
            }
            for (int dx = 0; dx < g->k; dx++, dst += g->ci) {
                int ix = x + dx - g->pl;
                if (ix < 0 || ix >= g->wi) memset(dst, 0, rowb);
                else if (g->ci == 1) dst[0] = src[(int64_t)iy * g->wi + ix];
                else memcpy(dst, src + ((int64_t)iy * g->wi + ix) * g->ci, rowb);
            }
        }
    }
}

static corr forward_corr(const lt_layer *L)
{
    corr g = {L->in.h, L->in.w, L->in.c, L->out.h, L->out.w, L->spec.size, L->pad_top, L->pad_left};
    return g;
}

/* dinp[iy] = sum_dy dz[iy - dy + pt] W[dy]: a correlation of dz with the
 * kernel flipped in both directions, padded by k - 1 - pt. */
static corr backward_corr(const lt_layer *L)
{
    int k = L->spec.size;
    corr g = {L->out.h, L->out.w, L->out.c, L->in.h, L->in.w, k, k - 1 - L->pad_top,
              k - 1 - L->pad_left};
    return g;
}

int64_t nn_conv_col_min(const lt_layer *L)
{
    int64_t k2 = (int64_t)L->spec.size * L->spec.size;
    return k2 * (L->in.c > L->out.c ? L->in.c : L->out.c);
}

/* Output pixels per im2col block. */
static int64_t block_rows(int64_t K, int64_t col_floats) { return col_floats / K; }

void nn_conv_forward(const lt_layer *L, float *out, const float *inp, const float *W,
                     const float *b, int64_t m, float *col, int64_t col_floats)
{
    corr g = forward_corr(L);
    const int64_t K = corr_K(&g), co = L->out.c, npix = m * g.ho * g.wo;
    const int64_t rows = block_rows(K, col_floats);
    for (int64_t p0 = 0; p0 < npix; p0 += rows) {
        int64_t np = npix - p0 < rows ? npix - p0 : rows;
        im2col(&g, inp, p0, np, col);
        nn_dense_forward(out + p0 * co, col, W, b, np, K, co, L->spec.act);
    }
}

void nn_conv_backward(const lt_layer *L, float *dinp, float *dW, float *db, const float *dz,
                      const float *inp, const float *W, int64_t m, float *col, int64_t col_floats,
                      float *wflip)
{
    corr g = forward_corr(L);
    const int64_t K = corr_K(&g), co = L->out.c, npix = m * g.ho * g.wo;
    memset(db, 0, sizeof(float) * (size_t)co);
    if (npix == 0) memset(dW, 0, sizeof(float) * (size_t)(K * co));
    for (int64_t i = 0; i < npix; i++)
        for (int64_t j = 0; j < co; j++) db[j] += dz[i * co + j];
    int64_t rows = block_rows(K, col_floats);
    for (int64_t p0 = 0; p0 < npix; p0 += rows) {
        int64_t np = npix - p0 < rows ? npix - p0 : rows;
        im2col(&g, inp, p0, np, col);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)co, (int)np, 1.0f, col,
                    (int)K, dz + p0 * co, (int)co, p0 ? 1.0f : 0.0f, dW, (int)co);
    }
    if (!dinp) return;
    /* wflip[(dy, dx, co), ci] = W[(k-1-dy, k-1-dx, ci), co] */
    const int k = g.k, ci = g.ci;
    for (int dy = 0; dy < k; dy++)
        for (int dx = 0; dx < k; dx++)
            for (int64_t o = 0; o < co; o++)
                for (int i = 0; i < ci; i++)
                    wflip[(((int64_t)dy * k + dx) * co + o) * ci + i] =
                        W[(((int64_t)(k - 1 - dy) * k + (k - 1 - dx)) * ci + i) * co + o];
    corr t = backward_corr(L);
    const int64_t Kt = corr_K(&t), nin = m * t.ho * t.wo;
    rows = block_rows(Kt, col_floats);
    for (int64_t p0 = 0; p0 < nin; p0 += rows) {
        int64_t np = nin - p0 < rows ? nin - p0 : rows;
        im2col(&t, dz, p0, np, col);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)np, ci, (int)Kt, 1.0f, col,
                    (int)Kt, wflip, ci, 0.0f, dinp + p0 * ci, ci);
    }
}

/* The input rows [*lo, *hi) of window position o (the padding removed). */
static void window(int o, int stride, int size, int pad, int n, int *lo, int *hi)
{
    int a = o * stride - pad, b = a + size;
    *lo = a < 0 ? 0 : a;
    *hi = b > n ? n : b;
}

void nn_pool_forward(const lt_layer *L, float *out, const float *inp, int64_t m)
{
    const int s = L->spec.size, st = L->spec.stride ? L->spec.stride : s, c = L->in.c;
    const int64_t in_img = nn_shape_size(L->in), out_img = nn_shape_size(L->out);
    for (int64_t b = 0; b < m; b++) {
        const float *src = inp + b * in_img;
        float *dst = out + b * out_img;
        for (int oy = 0; oy < L->out.h; oy++) {
            int y0, y1;
            window(oy, st, s, L->pad_top, L->in.h, &y0, &y1);
            for (int ox = 0; ox < L->out.w; ox++, dst += c) {
                int x0, x1;
                window(ox, st, s, L->pad_left, L->in.w, &x0, &x1);
                for (int ch = 0; ch < c; ch++) dst[ch] = -FLT_MAX;
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) {
                        const float *v = src + ((int64_t)iy * L->in.w + ix) * c;
                        for (int ch = 0; ch < c; ch++) dst[ch] = v[ch] > dst[ch] ? v[ch] : dst[ch];
                    }
            }
        }
    }
}

#define NN_POOL_CH 256 /* channels per pass of the backward scan */

void nn_pool_backward(const lt_layer *L, float *dinp, const float *dz, const float *inp,
                      const float *out, int64_t m)
{
    const int s = L->spec.size, st = L->spec.stride ? L->spec.stride : s, c = L->in.c;
    const int64_t in_img = nn_shape_size(L->in), out_img = nn_shape_size(L->out);
    memset(dinp, 0, sizeof(float) * (size_t)(m * in_img));
    unsigned char done[NN_POOL_CH];
    for (int64_t b = 0; b < m; b++) {
        const float *src = inp + b * in_img;
        float *dsrc = dinp + b * in_img;
        for (int oy = 0; oy < L->out.h; oy++) {
            int y0, y1;
            window(oy, st, s, L->pad_top, L->in.h, &y0, &y1);
            for (int ox = 0; ox < L->out.w; ox++) {
                int x0, x1;
                window(ox, st, s, L->pad_left, L->in.w, &x0, &x1);
                int64_t o = b * out_img + ((int64_t)oy * L->out.w + ox) * c;
                for (int c0 = 0; c0 < c; c0 += NN_POOL_CH) {
                    int nc = c - c0 < NN_POOL_CH ? c - c0 : NN_POOL_CH;
                    memset(done, 0, (size_t)nc);
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) {
                            int64_t at = ((int64_t)iy * L->in.w + ix) * c + c0;
                            for (int ch = 0; ch < nc; ch++)
                                if (!done[ch] && src[at + ch] == out[o + c0 + ch]) {
                                    dsrc[at + ch] += dz[o + c0 + ch];
                                    done[ch] = 1;
                                }
                        }
                }
            }
        }
    }
}

void nn_upsample_forward(const lt_layer *L, float *out, const float *inp, int64_t m)
{
    const int f = L->spec.size, c = L->in.c;
    const int64_t orow = (int64_t)L->out.w * c;
    for (int64_t b = 0; b < m; b++)
        for (int iy = 0; iy < L->in.h; iy++) {
            const float *src = inp + (b * L->in.h + iy) * (int64_t)L->in.w * c;
            float *dst = out + (b * L->out.h + (int64_t)iy * f) * orow;
            for (int ix = 0; ix < L->in.w; ix++)
                for (int r = 0; r < f; r++)
                    memcpy(dst + ((int64_t)ix * f + r) * c, src + (int64_t)ix * c,
                           sizeof(float) * (size_t)c);
            for (int r = 1; r < f; r++) memcpy(dst + r * orow, dst, sizeof(float) * (size_t)orow);
        }
}

void nn_upsample_backward(const lt_layer *L, float *dinp, const float *dz, int64_t m)
{
    const int f = L->spec.size, c = L->in.c;
    const int64_t orow = (int64_t)L->out.w * c;
    for (int64_t b = 0; b < m; b++)
        for (int iy = 0; iy < L->in.h; iy++) {
            float *dst = dinp + (b * L->in.h + iy) * (int64_t)L->in.w * c;
            const float *src = dz + (b * L->out.h + (int64_t)iy * f) * orow;
            for (int ix = 0; ix < L->in.w; ix++) {
                float *d = dst + (int64_t)ix * c;
                for (int ch = 0; ch < c; ch++) d[ch] = 0.0f;
                for (int r = 0; r < f; r++)
                    for (int q = 0; q < f; q++) {
                        const float *v = src + r * orow + ((int64_t)ix * f + q) * c;
                        for (int ch = 0; ch < c; ch++) d[ch] += v[ch];
                    }
            }
        }
}
