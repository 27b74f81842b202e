/* Forward and backward of dense layers, activations and losses. */
#include "nn_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* exp for x in [-87, 88] (so 2^n stays a normal float): Cephes' expf
 * (about 1 ulp) written without calls or branches so that loops over it
 * vectorise. Rounding to the nearest integer uses the 1.5 * 2^23 trick
 * (exact in round-to-nearest for |x| < 2^22). */
static inline float nn_expf(float x)
{
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    /* NaN (a diverged or corrupt model) gives NaN through p; converting it to
     * int would be undefined (UBSan, found by fuzz_ae), so 0 instead. */
    uint32_t bits = (uint32_t)((n == n ? (int32_t)n : 0) + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

LT_CLONE_BODY void nn_act_forward_body(float *y, int64_t len, lt_activation act)
{
    switch (act) {
    case LT_ACT_SIGMOID:
        /* Clamping in its own loop keeps the compiler from threading the
         * clamp's branches through nn_expf, which would stop vectorisation. */
        for (int64_t i = 0; i < len; i++) {
            float x = -y[i], a = x < -87.0f ? -87.0f : x;
            y[i] = a > 88.0f ? 88.0f : a;
        }
        for (int64_t i = 0; i < len; i++) y[i] = 1.0f / (1.0f + nn_expf(y[i]));
        break;
    case LT_ACT_RELU:
        for (int64_t i = 0; i < len; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
        break;
    case LT_ACT_TANH:
        for (int64_t i = 0; i < len; i++) y[i] = tanhf(y[i]);
        break;
    case LT_ACT_LINEAR:
        break;
    }
}
LT_CLONES_AVX2(, void, nn_act_forward, (float *y, int64_t len, lt_activation act), (y, len, act))

void nn_dense_forward(float *out, const float *inp, const float *W, const float *b, int64_t m,
                      int64_t k, int64_t n, lt_activation act)
{
    if (m == 0) return;
    /* A loop, not memcpy per row: layers are often only a few floats wide. */
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) out[i * n + j] = b[j];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, inp,
                (int)k, W, (int)n, 1.0f, out, (int)n);
    nn_act_forward(out, m * n, act);
}

/* beta 0: dW and db overwritten; 1: added to. */
static void dense_backward(float *dinp, float *dW, float *db, const float *dz, const float *inp,
                           const float *W, int64_t m, int64_t k, int64_t n, float beta)
{
    if (m == 0) {
        /* BLAS need not write C when the inner dimension is 0. */
        if (beta == 0.0f) {
            memset(dW, 0, sizeof(float) * (size_t)(k * n));
            memset(db, 0, sizeof(float) * (size_t)n);
        }
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)n, (int)m, 1.0f, inp, (int)k,
                dz, (int)n, beta, dW, (int)n);
    if (beta == 0.0f) memcpy(db, dz, sizeof(float) * (size_t)n);
    for (int64_t i = beta == 0.0f; i < m; i++)
        for (int64_t j = 0; j < n; j++) db[j] += dz[i * n + j];
    if (dinp)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)n, 1.0f, dz,
                    (int)n, W, (int)n, 0.0f, dinp, (int)k);
}

void nn_dense_backward(float *dinp, float *dW, float *db, const float *dz, const float *inp,
                       const float *W, int64_t m, int64_t k, int64_t n)
{
    dense_backward(dinp, dW, db, dz, inp, W, m, k, n, 0.0f);
}

LT_CLONE_BODY void nn_act_backward_body(float *dz, const float *y, int64_t len, lt_activation act)
{
    switch (act) {
    case LT_ACT_SIGMOID:
        for (int64_t i = 0; i < len; i++) dz[i] *= y[i] * (1.0f - y[i]);
        break;
    case LT_ACT_RELU:
        for (int64_t i = 0; i < len; i++) dz[i] = y[i] > 0.0f ? dz[i] : 0.0f;
        break;
    case LT_ACT_TANH:
        for (int64_t i = 0; i < len; i++) dz[i] *= 1.0f - y[i] * y[i];
        break;
    case LT_ACT_LINEAR:
        break;
    }
}
LT_CLONES_AVX2(, void, nn_act_backward,
               (float *dz, const float *y, int64_t len, lt_activation act),
               (dz, y, len, act))

/* Sum of floats in double with four accumulators: a fixed order, so the
 * result does not depend on anything but the values. */
static double sum_d(const float *v, int64_t n)
{
    double a[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) a[k] += (double)v[i + k];
    for (; i < n; i++) a[0] += (double)v[i];
    return (a[0] + a[1]) + (a[2] + a[3]);
}

/* Natural log for normal positive floats (Cephes' logf, about 1 ulp),
 * written with bit operations so that loops over it vectorise. */
static inline float nn_logf(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    int32_t e = (int32_t)((u >> 23) & 0xffu) - 126; /* x = m * 2^e, m in [0.5, 1) */
    u = (u & 0x807fffffu) | 0x3f000000u;
    float m;
    memcpy(&m, &u, sizeof m);
    int small = m < 0.70710678118654752f; /* then use 2m and e - 1 */
    e -= small;
    m = m * (float)(1 + small) - 1.0f;
    float z = m * m, fe = (float)e;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    y += -2.12194440e-4f * fe;
    y += -0.5f * z;
    return m + y + 0.693359375f * fe;
}

#define NN_LCHUNK 256 /* elements per block of per-element losses */

LT_CLONE_BODY double mse_loss_body(float *dz, const float *y, const float *t, int64_t len,
                                   lt_activation last, double scale)
{
    double sum = 0.0;
    float s2 = (float)(2.0 * scale), e2[NN_LCHUNK];
    for (int64_t i0 = 0; i0 < len; i0 += NN_LCHUNK) {
        int64_t nb = len - i0 < NN_LCHUNK ? len - i0 : NN_LCHUNK;
        const float *yy = y + i0, *tt = t + i0;
        for (int64_t k = 0; k < nb; k++) e2[k] = (yy[k] - tt[k]) * (yy[k] - tt[k]);
        sum += sum_d(e2, nb);
        if (dz)
            for (int64_t k = 0; k < nb; k++) dz[i0 + k] = s2 * (yy[k] - tt[k]);
    }
    if (dz) nn_act_backward(dz, y, len, last);
    return sum;
}
LT_CLONES_AVX2(static, double, mse_loss,
               (float *dz, const float *y, const float *t, int64_t len, lt_activation last,
                double scale),
               (dz, y, t, len, last, scale))

/* Predictions are clipped to [eps, 1 - eps] as Keras does; the clip has zero
 * gradient outside. With a sigmoid output the chain rule collapses to
 * (y - t), which avoids dividing by y (1 - y). */
LT_CLONE_BODY double bce_loss_body(float *dz, const float *y, const float *t, int64_t len,
                                   lt_activation last, double scale)
{
    const float lo = (float)NN_BCE_EPS, hi = 1.0f - (float)NN_BCE_EPS, s = (float)scale;
    float l[NN_LCHUNK];
    double sum = 0.0;
    for (int64_t i0 = 0; i0 < len; i0 += NN_LCHUNK) {
        int64_t nb = len - i0 < NN_LCHUNK ? len - i0 : NN_LCHUNK;
        const float *yy = y + i0, *tt = t + i0;
        /* Selections between computed values only (no speculative float
         * operations), so the loops vectorise under -ftrapping-math. */
        for (int64_t k = 0; k < nb; k++) {
            float v = yy[k], p = v < lo ? lo : v;
            l[k] = p > hi ? hi : p;
        }
        for (int64_t k = 0; k < nb; k++)
            l[k] = tt[k] * nn_logf(l[k]) + (1.0f - tt[k]) * nn_logf(1.0f - l[k]);
        sum -= sum_d(l, nb);
        if (!dz) continue;
        float *d = dz + i0;
        if (last == LT_ACT_SIGMOID)
            for (int64_t k = 0; k < nb; k++) {
                float inside = (float)((yy[k] >= lo) & (yy[k] <= hi));
                d[k] = inside * (s * (yy[k] - tt[k]));
            }
        else
            for (int64_t k = 0; k < nb; k++) {
                float p = yy[k] < lo ? lo : (yy[k] > hi ? hi : yy[k]);
                d[k] = yy[k] < lo || yy[k] > hi ? 0.0f : s * (p - tt[k]) / (p * (1.0f - p));
            }
    }
    if (dz && last != LT_ACT_SIGMOID) nn_act_backward(dz, y, len, last);
    return sum;
}
LT_CLONES_AVX2(static, double, bce_loss,
               (float *dz, const float *y, const float *t, int64_t len, lt_activation last,
                double scale),
               (dz, y, t, len, last, scale))

double nn_loss(float *dz, const float *y, const float *t, int64_t m, int64_t n, lt_loss loss,
               lt_activation last, double scale)
{
    if (loss == LT_LOSS_BCE) return bce_loss(dz, y, t, m * n, last, scale);
    return mse_loss(dz, y, t, m * n, last, scale);
}

/* ---- the stack: whole-batch passes for dense stacks (flat) ---- */

static const float *flat_forward(lt_ae *ae, const float *inp, int64_t m, int l0, int l1)
{
    const float *x = inp;
    for (int l = l0; l < l1; l++) {
        const lt_layer *L = &ae->layers[l];
        const float *W = ae->params + ae->woff[l], *b = ae->params + ae->boff[l];
        float *y = ae->acts[l + 1];
        if (L->spec.kind == LT_LAYER_DENSE)
            nn_dense_forward(y, x, W, b, m, L->in.c, L->out.c, L->spec.act);
        else /* flatten, reshape: the same values */
            memcpy(y, x, sizeof(float) * (size_t)(m * nn_shape_size(L->in)));
        x = y;
    }
    return x;
}

double nn_backward(lt_ae *ae, const float *inp, const float *target, int64_t m, double scale)
{
    const int *w = ae->arch.widths;
    int nw = ae->nw;
    float *dz = ae->delta[0], *dprev = ae->delta[1];
    double loss = nn_loss(dz, ae->acts[nw], target, m, w[nw], ae->arch.loss, ae->arch.act[nw - 1],
                          scale);
    for (int l = nw - 1; l >= 0; l--) {
        const lt_layer *L = &ae->layers[l];
        const float *x = l ? ae->acts[l] : inp, *W = ae->params + ae->woff[l];
        float *dW = ae->grads + ae->woff[l], *db = ae->grads + ae->boff[l];
        float *dx = l ? dprev : NULL;
        if (L->spec.kind == LT_LAYER_DENSE) nn_dense_backward(dx, dW, db, dz, x, W, m, L->in.c, L->out.c);
        else dx = dz; /* flatten, reshape */
        if (l == 0) break;
        nn_act_backward(dx, ae->acts[l], m * w[l], ae->arch.act[l - 1]);
        if (dx == dprev) {
            dprev = dz;
            dz = dx;
        }
    }
    return loss;
}

/* ---- stacks with image layers: one group of NN_V rows at a time ----
 * Image layers (and reshape) keep their outputs in the group layout of
 * src/nn/conv.c, dense layers and flatten in rows; flatten and reshape
 * convert. ae->acts[l + 1] holds layer l's output for one group. */

static int out_is_group(lt_layer_kind k)
{
    return k == LT_LAYER_CONV2D || k == LT_LAYER_MAXPOOL2D || k == LT_LAYER_UPSAMPLE2D ||
           k == LT_LAYER_RESHAPE;
}

static int wants_group(lt_layer_kind k)
{
    return k == LT_LAYER_CONV2D || k == LT_LAYER_MAXPOOL2D || k == LT_LAYER_UPSAMPLE2D;
}

/* Layout of the input of layer l when a pass starts at l0. */
static int in_is_group(const lt_ae *ae, int l, int l0)
{
    return l > l0 ? out_is_group(ae->layers[l - 1].spec.kind) : wants_group(ae->layers[l].spec.kind);
}

/* Layers [l0, l1) on mg <= NN_V rows; returns the output (of layout
 * *grp) and sets *x0 to the input of layer l0 as the layers saw it. */
static const float *group_forward(lt_ae *ae, const float *rows, int64_t mg, int l0, int l1,
                                  int *grp, const float **x0)
{
    const float *x = rows;
    int xg = 0;
    if (l0 < l1 && in_is_group(ae, l0, l0)) {
        nn_rows_to_group(ae->gin, rows, mg, ae->arch.widths[l0]);
        x = ae->gin;
        xg = 1;
    }
    *x0 = x;
    for (int l = l0; l < l1; l++) {
        const lt_layer *L = &ae->layers[l];
        const float *W = ae->params + ae->woff[l], *b = ae->params + ae->boff[l];
        float *y = ae->acts[l + 1];
        const int64_t n = nn_shape_size(L->in);
        switch (L->spec.kind) {
        case LT_LAYER_DENSE: nn_dense_forward(y, x, W, b, mg, L->in.c, L->out.c, L->spec.act); break;
        case LT_LAYER_CONV2D: nn_conv_forward(L, y, x, W, b, ae->pad); break;
        case LT_LAYER_MAXPOOL2D: nn_pool_forward(L, y, x); break;
        case LT_LAYER_UPSAMPLE2D: nn_upsample_forward(L, y, x); break;
        case LT_LAYER_FLATTEN:
            if (xg) nn_group_to_rows(y, x, mg, n);
            else memcpy(y, x, sizeof(float) * (size_t)(mg * n));
            break;
        case LT_LAYER_RESHAPE:
            if (xg) memcpy(y, x, sizeof(float) * (size_t)(NN_V * n));
            else nn_rows_to_group(y, x, mg, n);
            break;
        }
        x = y;
        xg = out_is_group(L->spec.kind);
    }
    *grp = xg;
    return x;
}

/* Backward of the whole stack for one group after group_forward(0, nw);
 * adds to ae->grads and returns the group's loss sum. */
static double group_backward(lt_ae *ae, const float *x0, const float *target, int64_t mg,
                             double scale, int og)
{
    const int *w = ae->arch.widths;
    const int nw = ae->nw;
    float *dz = ae->delta[0], *dprev = ae->delta[1];
    const float *y = ae->acts[nw];
    if (og) {
        nn_group_to_rows(ae->trows, y, mg, w[nw]);
        y = ae->trows;
    }
    float *dzr = og ? ae->trows + NN_V * (int64_t)w[nw] : dz;
    double loss = nn_loss(dzr, y, target, mg, w[nw], ae->arch.loss, ae->arch.act[nw - 1], scale);
    if (og) nn_rows_to_group(dz, dzr, mg, w[nw]);
    for (int l = nw - 1; l >= 0; l--) {
        const lt_layer *L = &ae->layers[l];
        const float *x = l ? ae->acts[l] : x0, *W = ae->params + ae->woff[l];
        float *dW = ae->grads + ae->woff[l], *db = ae->grads + ae->boff[l];
        float *dx = l ? dprev : NULL;
        const int64_t n = nn_shape_size(L->in);
        const int xg = in_is_group(ae, l, 0);
        switch (L->spec.kind) {
        case LT_LAYER_DENSE: dense_backward(dx, dW, db, dz, x, W, mg, L->in.c, L->out.c, 1.0f); break;
        case LT_LAYER_CONV2D: nn_conv_backward(L, dx, dW, db, dz, x, W, ae->pad, ae->wflip); break;
        case LT_LAYER_MAXPOOL2D:
            if (dx) nn_pool_backward(L, dx, dz, x, ae->acts[l + 1]);
            break;
        case LT_LAYER_UPSAMPLE2D:
            if (dx) nn_upsample_backward(L, dx, dz);
            break;
        case LT_LAYER_FLATTEN:
            if (dx && xg) nn_rows_to_group(dx, dz, mg, n);
            else dx = dz;
            break;
        case LT_LAYER_RESHAPE:
            if (dx && !xg) nn_group_to_rows(dx, dz, mg, n);
            else dx = dz;
            break;
        }
        if (l == 0) break;
        nn_act_backward(dx, ae->acts[l], (xg ? NN_V : mg) * (int64_t)w[l], ae->arch.act[l - 1]);
        if (dx == dprev) {
            dprev = dz;
            dz = dx;
        }
    }
    return loss;
}

const float *nn_forward(lt_ae *ae, const float *inp, int64_t m, int l0, int l1)
{
    if (!ae->grouped) return flat_forward(ae, inp, m, l0, l1);
    const int64_t din = ae->arch.widths[l0], dout = ae->arch.widths[l1];
    for (int64_t r = 0; r < m; r += NN_V) {
        int64_t mg = m - r < NN_V ? m - r : NN_V;
        int og;
        const float *x0;
        const float *y = group_forward(ae, inp + r * din, mg, l0, l1, &og, &x0);
        if (og) nn_group_to_rows(ae->yrows + r * dout, y, mg, dout);
        else memcpy(ae->yrows + r * dout, y, sizeof(float) * (size_t)(mg * dout));
    }
    return ae->yrows;
}

double nn_forward_backward(lt_ae *ae, const float *inp, const float *target, int64_t m, double scale)
{
    if (!ae->grouped) {
        flat_forward(ae, inp, m, 0, ae->nw);
        return nn_backward(ae, inp, target, m, scale);
    }
    const int64_t d = ae->arch.widths[0];
    memset(ae->grads, 0, sizeof(float) * (size_t)ae->nparams);
    double loss = 0.0;
    for (int64_t r = 0; r < m; r += NN_V) {
        int64_t mg = m - r < NN_V ? m - r : NN_V;
        int og;
        const float *x0;
        group_forward(ae, inp + r * d, mg, 0, ae->nw, &og, &x0);
        loss += group_backward(ae, x0, target + r * d, mg, scale, og);
    }
    return loss;
}
