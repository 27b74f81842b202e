/* Optimizers with Keras' update rules and defaults. One loop over the flat
 * parameter buffer; they know nothing of layers. */
#include "nn_internal.h"

#include <math.h>
#if LT_CPU_X86
#include <immintrin.h>
#endif

int nn_optim_nstate(lt_optimizer o)
{
    switch (o) {
    case LT_OPT_SGD: return 1;     /* velocity (unused without momentum) */
    case LT_OPT_ADAM: return 2;    /* m, v */
    case LT_OPT_RMSPROP: return 1; /* mean square */
    case LT_OPT_LBFGS: return 0;   /* TAO holds its own (src/nn/lbfgs.c) */
    }
    return 0;
}

double nn_optim_lr(const lt_train_opts *o)
{
    if (o->lr >= 0) return o->lr;
    return o->optimizer == LT_OPT_SGD ? 0.01 : 0.001;
}

static int in01(double x) { return x >= 0.0 && x < 1.0; }

lt_status nn_optim_check(const lt_train_opts *o)
{
    LT_CHECK(o->optimizer >= LT_OPT_SGD && o->optimizer <= LT_OPT_LBFGS, LT_ERR_ARG,
             "unknown optimizer %d", (int)o->optimizer);
    LT_CHECK(isfinite(o->lr), LT_ERR_ARG, "learning rate must be finite");
    LT_CHECK(in01(o->momentum), LT_ERR_ARG, "momentum must be in [0, 1), got %g", o->momentum);
    LT_CHECK(in01(o->beta1) && in01(o->beta2), LT_ERR_ARG,
             "beta1 and beta2 must be in [0, 1), got %g and %g", o->beta1, o->beta2);
    LT_CHECK(in01(o->rho), LT_ERR_ARG, "rho must be in [0, 1), got %g", o->rho);
    LT_CHECK(o->epsilon > 0.0 && isfinite(o->epsilon), LT_ERR_ARG,
             "epsilon must be > 0, got %g", o->epsilon);
    return LT_OK;
}

LT_CLONE_BODY void sgd_body(const lt_train_opts *o, float *w, const float *g, float *v, int64_t n)
{
    const float lr = (float)nn_optim_lr(o), mu = (float)o->momentum;
    if (o->momentum == 0.0) {
        for (int64_t i = 0; i < n; i++) w[i] -= lr * g[i];
    } else if (o->nesterov) {
        for (int64_t i = 0; i < n; i++) {
            v[i] = mu * v[i] - lr * g[i];
            w[i] += mu * v[i] - lr * g[i];
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            v[i] = mu * v[i] - lr * g[i];
            w[i] += v[i];
        }
    }
}
LT_CLONES_AVX2(static, void, sgd,
               (const lt_train_opts *o, float *w, const float *g, float *v, int64_t n),
               (o, w, g, v, n))

/* sqrtf may set errno, which keeps loops calling it from vectorising; the
 * SSE instruction is the same correctly rounded square root. */
static void sqrt_into(float *out, const float *in, int64_t n)
{
    int64_t i = 0;
#if LT_CPU_X86
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(out + i, _mm_sqrt_ps(_mm_loadu_ps(in + i)));
#endif
    for (; i < n; i++) out[i] = sqrtf(in[i]);
}

#define NN_OCHUNK 256

/* Keras' Adam: the bias corrections fold into the step size, and epsilon is
 * added to sqrt(v) uncorrected ("epsilon hat" of Kingma & Ba). */
LT_CLONE_BODY void adam_body(const lt_train_opts *o, float *w, const float *g, float *m, float *v,
                             int64_t n, int64_t t)
{
    double lr = nn_optim_lr(o);
    const float a = (float)(lr * sqrt(1.0 - pow(o->beta2, (double)t)) / (1.0 - pow(o->beta1, (double)t)));
    const float b1 = (float)o->beta1, b2 = (float)o->beta2, eps = (float)o->epsilon;
    float r[NN_OCHUNK];
    for (int64_t i0 = 0; i0 < n; i0 += NN_OCHUNK) {
        int64_t nb = n - i0 < NN_OCHUNK ? n - i0 : NN_OCHUNK;
        float *mm = m + i0, *vv = v + i0, *ww = w + i0;
        const float *gg = g + i0;
        for (int64_t i = 0; i < nb; i++) {
            mm[i] = b1 * mm[i] + (1.0f - b1) * gg[i];
            vv[i] = b2 * vv[i] + (1.0f - b2) * gg[i] * gg[i];
        }
        sqrt_into(r, vv, nb);
        for (int64_t i = 0; i < nb; i++) ww[i] -= a * mm[i] / (r[i] + eps);
    }
}
LT_CLONES_AVX2(static, void, adam,
               (const lt_train_opts *o, float *w, const float *g, float *m, float *v, int64_t n,
                int64_t t),
               (o, w, g, m, v, n, t))

LT_CLONE_BODY void rmsprop_body(const lt_train_opts *o, float *w, const float *g, float *v,
                                int64_t n)
{
    const float lr = (float)nn_optim_lr(o), rho = (float)o->rho, eps = (float)o->epsilon;
    float r[NN_OCHUNK];
    for (int64_t i0 = 0; i0 < n; i0 += NN_OCHUNK) {
        int64_t nb = n - i0 < NN_OCHUNK ? n - i0 : NN_OCHUNK;
        float *vv = v + i0, *ww = w + i0;
        const float *gg = g + i0;
        for (int64_t i = 0; i < nb; i++) vv[i] = rho * vv[i] + (1.0f - rho) * gg[i] * gg[i];
        sqrt_into(r, vv, nb);
        for (int64_t i = 0; i < nb; i++) ww[i] -= lr * gg[i] / (r[i] + eps);
    }
}
LT_CLONES_AVX2(static, void, rmsprop,
               (const lt_train_opts *o, float *w, const float *g, float *v, int64_t n),
               (o, w, g, v, n))

void nn_optim_update(const lt_train_opts *o, float *w, const float *g, float *state, int64_t n,
                     int64_t t)
{
    switch (o->optimizer) {
    case LT_OPT_SGD: sgd(o, w, g, state, n); break;
    case LT_OPT_ADAM: adam(o, w, g, state, state + n, n, t); break;
    case LT_OPT_RMSPROP: rmsprop(o, w, g, state, n); break;
    case LT_OPT_LBFGS: break; /* never a minibatch update */
    }
}
