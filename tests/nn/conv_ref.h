/* Double-precision reference of every layer kind, written directly from
 * Keras' rules (direct loops, no im2col), for the nn tests. */
#ifndef LT_TEST_CONV_REF_H
#define LT_TEST_CONV_REF_H

#include <math.h>
#include <string.h>
#include "latent/lt_nn.h"

static inline int64_t ref_size(lt_shape s) { return (int64_t)s.h * s.w * s.c; }

static inline double ref_at(const double *x, lt_shape s, int64_t b, int y, int xx, int c)
{
    return x[b * ref_size(s) + ((int64_t)y * s.w + xx) * s.c + c];
}

static inline double ref_act(lt_activation a, double z)
{
    switch (a) {
    case LT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case LT_ACT_RELU: return z > 0 ? z : 0;
    case LT_ACT_TANH: return tanh(z);
    default: return z;
    }
}

/* y (m x out) = layer L of x (m x in); W, bias its parameters (if any). */
static void ref_forward(const lt_layer *L, const double *W, const double *bias, const double *x,
                        int64_t m, double *y)
{
    lt_shape i = L->in, o = L->out;
    int k = L->spec.size, st = L->spec.stride ? L->spec.stride : k;
    if (L->spec.kind == LT_LAYER_FLATTEN || L->spec.kind == LT_LAYER_RESHAPE) {
        memcpy(y, x, sizeof(double) * (size_t)(m * ref_size(i)));
        return;
    }
    if (L->spec.kind == LT_LAYER_DENSE) {
        for (int64_t b = 0; b < m; b++)
            for (int j = 0; j < o.c; j++) {
                double z = bias[j];
                for (int q = 0; q < i.c; q++) z += x[b * i.c + q] * W[(int64_t)q * o.c + j];
                y[b * o.c + j] = ref_act(L->spec.act, z);
            }
        return;
    }
    for (int64_t b = 0; b < m; b++)
        for (int oy = 0; oy < o.h; oy++)
            for (int ox = 0; ox < o.w; ox++)
                for (int c = 0; c < o.c; c++) {
                    double v = 0;
                    if (L->spec.kind == LT_LAYER_CONV2D) {
                        v = bias[c];
                        for (int dy = 0; dy < k; dy++)
                            for (int dx = 0; dx < k; dx++) {
                                int iy = oy + dy - L->pad_top, ix = ox + dx - L->pad_left;
                                if (iy < 0 || iy >= i.h || ix < 0 || ix >= i.w) continue;
                                for (int ci = 0; ci < i.c; ci++)
                                    v += ref_at(x, i, b, iy, ix, ci) *
                                         W[(((int64_t)dy * k + dx) * i.c + ci) * o.c + c];
                            }
                        v = ref_act(L->spec.act, v);
                    } else if (L->spec.kind == LT_LAYER_MAXPOOL2D) {
                        v = -INFINITY;
                        for (int dy = 0; dy < k; dy++)
                            for (int dx = 0; dx < k; dx++) {
                                int iy = oy * st + dy - L->pad_top, ix = ox * st + dx - L->pad_left;
                                if (iy < 0 || iy >= i.h || ix < 0 || ix >= i.w) continue;
                                v = fmax(v, ref_at(x, i, b, iy, ix, c));
                            }
                    } else {
                        v = ref_at(x, i, b, oy / k, ox / k, c);
                    }
                    y[b * ref_size(o) + ((int64_t)oy * o.w + ox) * o.c + c] = v;
                }
}

#endif
