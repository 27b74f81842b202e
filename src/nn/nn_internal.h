/* Kernels of the nn module: plain functions over flat arrays (llm.c style).
 * Shapes in the comments are row-major. Not part of the public API. */
#ifndef LT_NN_INTERNAL_H
#define LT_NN_INTERNAL_H

#include "latent/lt_nn.h"

/* Element-wise loops get an AVX2 copy (LT_CLONES_AVX2), chosen by the CPU
 * level; both copies give identical bits (see lt_simd.h). */
#include "latent/lt_simd.h"

/* out (m x n) = act(inp (m x k) . W (k x n) + b (n)) */
void nn_dense_forward(float *out, const float *inp, const float *W, const float *b, int64_t m,
                      int64_t k, int64_t n, lt_activation act);
/* dz (m x n) = dL/dz. Writes dW (k x n) = inp^T dz, db (n) = column sums of
 * dz, and, when dinp != NULL, dinp (m x k) = dz W^T. */
void nn_dense_backward(float *dinp, float *dW, float *db, const float *dz, const float *inp,
                       const float *W, int64_t m, int64_t k, int64_t n);
/* dz (len) *= act'(z), expressed through the activation's output y. */
void nn_act_backward(float *dz, const float *y, int64_t len, lt_activation act);
/* Loss of outputs y (m x n) against targets t, summed over rows (not
 * averaged), and dz = dL/dz of the last layer scaled by `scale` (1 / number
 * of elements in the global batch). dz may be NULL (evaluation only). */
double nn_loss(float *dz, const float *y, const float *t, int64_t m, int64_t n, lt_loss loss,
               lt_activation last, double scale);
#define NN_BCE_EPS 1e-7 /* Keras' backend epsilon, the clip of predictions */

/* Image layers (src/nn/conv.c) over m samples of flat NHWC arrays, shapes
 * from the resolved layer L. */
/* conv2d: out (m x out) = act(conv(inp) + b), W in Keras' (kh, kw, cin, cout)
 * order. col is a workspace of col_floats >= nn_conv_col_min(L) floats:
 * im2col blocks of as many output pixels as fit, each one sgemm. */
int64_t nn_conv_col_min(const lt_layer *L);
void nn_conv_forward(const lt_layer *L, float *out, const float *inp, const float *W,
                     const float *b, int64_t m, float *col, int64_t col_floats);
/* dz (m x out) = dL/dz. Writes dW, db and, when dinp != NULL, dinp (m x in);
 * wflip holds lt_layer_nweights(L) floats (the kernel turned for the input
 * gradient, itself a correlation of dz). */
void nn_conv_backward(const lt_layer *L, float *dinp, float *dW, float *db, const float *dz,
                      const float *inp, const float *W, int64_t m, float *col, int64_t col_floats,
                      float *wflip);
/* maxpool2d: padded cells are ignored (as if -inf); the gradient of a
 * window goes to its first maximum in row-major order; dinp is overwritten. */
void nn_pool_forward(const lt_layer *L, float *out, const float *inp, int64_t m);
void nn_pool_backward(const lt_layer *L, float *dinp, const float *dz, const float *inp,
                      const float *out, int64_t m);
/* upsample2d nearest: out[y][x] = in[y / f][x / f]; backward sums blocks. */
void nn_upsample_forward(const lt_layer *L, float *out, const float *inp, int64_t m);
void nn_upsample_backward(const lt_layer *L, float *dinp, const float *dz, int64_t m);
/* Flat size of a shape. */
static inline int64_t nn_shape_size(lt_shape s) { return (int64_t)s.h * s.w * s.c; }

/* Runs weight layers [l0, l1) on m rows of inp, through ae->acts; returns
 * the output buffer (ae->acts[l1]). m <= ae->ws_rows. */
const float *nn_forward(lt_ae *ae, const float *inp, int64_t m, int l0, int l1);
/* Backward of the whole network after nn_forward(ae, inp, m, 0, nw): fills
 * ae->grads (overwritten) and returns the loss summed over the m rows. */
double nn_backward(lt_ae *ae, const float *inp, const float *target, int64_t m, double scale);
/* Makes sure the workspace holds `rows` rows. Not collective. */
lt_status nn_workspace(lt_ae *ae, int64_t rows);

/* Optimizer update of n parameters with gradient g, identical on all ranks.
 * Returns LT_ERR_ARG on bad hyper-parameters (checked by nn_optim_check). */
int nn_optim_nstate(lt_optimizer o);
lt_status nn_optim_check(const lt_train_opts *o);
double nn_optim_lr(const lt_train_opts *o);
void nn_optim_update(const lt_train_opts *o, float *w, const float *g, float *state, int64_t n,
                     int64_t t);

/* Batch parts of the data-parallel step: rank r of p takes positions
 * [*start, *start + *size) of a batch of bb rows (sizes differ by at most
 * one); nn_batch_owner gives the rank of position j. Not collective. */
void nn_batch_part(int64_t bb, int p, int r, int64_t *start, int64_t *size);
int nn_batch_owner(int64_t bb, int p, int64_t j);

/* History append (grows arrays). Not collective. */
lt_status nn_hist_push(lt_train_history *h, double train, double val, double secs, double sps,
                       double comm);
void nn_hist_free(lt_train_history *h);

#endif
