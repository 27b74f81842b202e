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

/* Image layers (src/nn/conv.c) on one group of NN_V images in the group
 * layout: value (y, x, c) of image v at ((y * w + x) * c + c) * NN_V + v.
 * Shapes come from the resolved layer L. */
#define NN_V 16
/* rows (m <= NN_V rows of n values) <-> group (n x NN_V, lanes >= m zero) */
void nn_rows_to_group(float *g, const float *rows, int64_t m, int64_t n);
void nn_group_to_rows(float *rows, const float *g, int64_t m, int64_t n);
/* conv2d: out = act(correlation(in) + b), W in Keras' (kh, kw, cin, cout)
 * order; pad holds nn_conv_pad_floats(L) floats. */
int64_t nn_conv_pad_floats(const lt_layer *L);
void nn_conv_forward(const lt_layer *L, float *out, const float *in, const float *W, const float *b,
                     float *pad);
/* dz = dL/dz of the group. Adds to dW and db; writes din when not NULL;
 * wflip holds lt_layer_nweights(L) floats. */
void nn_conv_backward(const lt_layer *L, float *din, float *dW, float *db, const float *dz,
                      const float *in, const float *W, float *pad, float *wflip);
/* maxpool2d: padded cells are ignored (as if -inf); the gradient of a
 * window goes to its first maximum in row-major order; din overwritten. */
void nn_pool_forward(const lt_layer *L, float *out, const float *in);
void nn_pool_backward(const lt_layer *L, float *din, const float *dz, const float *in,
                      const float *out);
/* upsample2d nearest: out[y][x] = in[y / f][x / f]; backward sums blocks. */
void nn_upsample_forward(const lt_layer *L, float *out, const float *in);
void nn_upsample_backward(const lt_layer *L, float *din, const float *dz);
/* y (len) = act(y) in place. */
void nn_act_forward(float *y, int64_t len, lt_activation act);
/* Flat size of a shape. */
static inline int64_t nn_shape_size(lt_shape s) { return (int64_t)s.h * s.w * s.c; }

/* Runs layers [l0, l1) on m rows of inp; returns the m output rows
 * (widths[l1] each; ae->acts[l1] or ae->yrows). m <= ae->ws_rows. */
const float *nn_forward(lt_ae *ae, const float *inp, int64_t m, int l0, int l1);
/* Forward and backward of the whole network on m rows against target:
 * fills ae->grads (overwritten) and returns the loss summed over the rows. */
double nn_forward_backward(lt_ae *ae, const float *inp, const float *target, int64_t m, double scale);
/* Backward of a stack without image layers after nn_forward(ae, inp, m, 0,
 * nw) (what nn_forward_backward does for it). */
double nn_backward(lt_ae *ae, const float *inp, const float *target, int64_t m, double scale);
/* Makes sure the workspace holds `rows` rows. Not collective. */
lt_status nn_workspace(lt_ae *ae, int64_t rows);

/* Optimizer update of n parameters with gradient g, identical on all ranks.
 * Returns LT_ERR_ARG on bad hyper-parameters (checked by nn_optim_check). */
int nn_optim_nstate(lt_optimizer o);
/* Parameters of a model of that architecture (checked; nothing allocated). */
lt_status nn_ae_count_params(const lt_ae_opts *o, int64_t *n);
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

/* lbfgs.c: lt_ae_fit for LT_OPT_LBFGS (after check_fit). Full batch: each
 * objective-and-gradient evaluation is one pass over the local rows and one
 * allreduce; TAO runs on every rank on identical values, so the parameters
 * are the same on every rank. Without PETSc an agreed LT_ERR_ARG. */
lt_status nn_fit_lbfgs(lt_comm *c, lt_ae *ae, const lt_train_opts *o, const lt_dataset *train,
                       const lt_dataset *val, lt_epoch_cb cb, void *cb_ctx);

#endif
