/* Dense autoencoders trained with data-parallel minibatch SGD.
 *
 * All weights and biases live in one contiguous float buffer (params); the
 * gradients (grads) and the optimizer state (state) use the same layout, and
 * layer l is a view at woff[l] (kernel, in x out, row-major like a Keras
 * kernel) and boff[l] (bias, out). Every rank holds the whole model; a
 * training step is local forward/backward on about B/P rows of the global
 * batch, one allreduce of the gradient buffer, and the same optimizer update
 * on every rank, so parameters stay bit-identical across ranks.
 *
 * The batch sequence (a seeded permutation of the training rows per epoch)
 * and the initial weights depend only on the seeds, never on the rank count:
 * only the summation order of the gradient allreduce depends on P. */
#ifndef LT_NN_H
#define LT_NN_H

#include <signal.h>
#include <stdint.h>
#include "lt_dataset.h"

#define LT_AE_MAX_LAYERS 32 /* widths, including input and output */

typedef enum { LT_ACT_LINEAR = 0, LT_ACT_SIGMOID, LT_ACT_RELU, LT_ACT_TANH } lt_activation;
typedef enum { LT_LOSS_MSE = 0, LT_LOSS_BCE } lt_loss;
/* LBFGS: full-batch L-BFGS by PETSc/TAO (TAOLMVM, More-Thuente line search;
 * builds with PETSc, src/nn/lbfgs.c): one epoch = one L-BFGS iteration. */
typedef enum { LT_OPT_SGD = 0, LT_OPT_ADAM, LT_OPT_RMSPROP, LT_OPT_LBFGS } lt_optimizer;

/* Name <-> enum ("linear", "sigmoid", "relu", "tanh"; "mse", "bce";
 * "sgd", "adam", "rmsprop"). Parsers fail with LT_ERR_CONFIG on unknown
 * names, listing the valid ones. Not collective. */
lt_status lt_activation_parse(const char *name, lt_activation *out);
lt_status lt_loss_parse(const char *name, lt_loss *out);
lt_status lt_optimizer_parse(const char *name, lt_optimizer *out);
const char *lt_activation_name(lt_activation a);
const char *lt_loss_name(lt_loss l);
const char *lt_optimizer_name(lt_optimizer o);

/* Layer kinds of a stack (docs/autoencoder.md). Images are NHWC (Keras'
 * channels_last): a row of the data is one image, h x w x c floats with the
 * channel fastest. */
typedef enum {
    LT_LAYER_DENSE = 0,  /* fully connected on a flat input */
    LT_LAYER_CONV2D,     /* square odd kernel, stride 1, same or valid */
    LT_LAYER_MAXPOOL2D,  /* square window, any stride, same or valid */
    LT_LAYER_UPSAMPLE2D, /* nearest neighbour, square factor */
    LT_LAYER_FLATTEN,    /* image -> flat vector (no data movement) */
    LT_LAYER_RESHAPE     /* flat vector or image -> image of the same size */
} lt_layer_kind;
#define LT_LAYER_NKINDS 6
typedef enum { LT_PAD_VALID = 0, LT_PAD_SAME } lt_padding;

/* One layer as a deck describes it. */
typedef struct lt_layer_spec {
    lt_layer_kind kind;
    int units;          /* dense: outputs; conv2d: filters */
    int size;           /* conv2d: kernel (odd); maxpool2d: window; upsample2d: factor */
    int stride;         /* maxpool2d: stride (0 = size, Keras' default) */
    lt_padding padding; /* conv2d, maxpool2d (Keras' default: valid) */
    int shape[3];       /* reshape: target h, w, c */
    lt_activation act;  /* dense, conv2d; linear for the other kinds */
} lt_layer_spec;

/* The shape of one sample: an image (rank 3) or a flat vector (rank 1, c
 * values, h = w = 1). */
typedef struct lt_shape {
    int rank, h, w, c;
} lt_shape;

/* A layer resolved against its input shape: output shape and the padding
 * that Keras puts before the first row and column (the odd extra pixel of
 * 'same' goes to the bottom and right). */
typedef struct lt_layer {
    lt_layer_spec spec;
    lt_shape in, out;
    int pad_top, pad_left;
} lt_layer;

/* Parses a stack description, one layer per comma-separated item:
 *   dense UNITS [ACT] | conv FILTERS KERNEL [same|valid] [ACT]
 *   | pool SIZE [STRIDE] [same|valid] | up [FACTOR] | flatten | reshape H W C
 * (kind aliases conv2d, maxpool, maxpool2d, upsample, upsample2d; padding
 * defaults to valid and activations to linear, as in Keras). Fails with
 * LT_ERR_ARG naming the item (lt_name.h's rule: the deck's caller names the
 * key). Not collective. */
lt_status lt_stack_parse(const char *text, lt_layer_spec *out, int max, int *n);
/* The canonical text of a stack (parses back to the same specs). Returns
 * LT_ERR_ARG when it does not fit in cap bytes. Not collective. */
lt_status lt_stack_format(const lt_layer_spec *s, int n, char *buf, size_t cap);
const char *lt_layer_kind_name(lt_layer_kind k); /* Keras' class name, e.g. "Conv2D" */
/* Output shape of layer `index` (1-based, for messages) of spec s on input
 * `in`; fails with LT_ERR_CONFIG on a kernel larger than its input, a pool
 * reaching size 0, a kind that needs another input rank, etc. Not collective. */
lt_status lt_layer_resolve(const lt_layer_spec *s, lt_shape in, int index, lt_layer *out);
/* Parameters of a resolved layer: kernel (dense in x out, conv2d kh x kw x
 * cin x cout) and bias. */
int64_t lt_layer_nweights(const lt_layer *l);
int64_t lt_layer_nbias(const lt_layer *l);

/* Architecture. Either a list of dense widths (nstack = 0): widths[0] ==
 * widths[nlayers-1] == data width, act[l] the activation of weight layer l
 * (widths[l] -> widths[l+1]); or a stack (nstack >= 1) on input_shape, from
 * which lt_ae_create derives widths (flat sizes of the input and of every
 * layer's output) and act. */
typedef struct lt_ae_opts {
    int nlayers;                           /* number of widths, 3..LT_AE_MAX_LAYERS */
    int widths[LT_AE_MAX_LAYERS];          /* each >= 1 */
    lt_activation act[LT_AE_MAX_LAYERS - 1];
    int bottleneck;                        /* index into widths of the code layer,
                                              1..nlayers-2; -1 = the narrowest (first) */
    lt_loss loss;                          /* default MSE */
    double l2;                             /* scikit-learn's alpha: adds 0.5*l2*|W|^2/B per
                                              batch (kernels only); default 0, >= 0 */
    uint64_t seed;                         /* Glorot-uniform initialisation seed; default 0 */
    int nstack;                            /* layers of a stack; 0 = the dense widths */
    lt_layer_spec stack[LT_AE_MAX_LAYERS - 1];
    int input_shape[3];                    /* stack input h, w, c; {0, 0, d} = flat d */
} lt_ae_opts;

/* Defaults: nlayers = 0 (must be set), bottleneck -1, MSE, l2 0, seed 0.
 * lt_ae_opts_set_widths fills the widths and the default activations (relu
 * for hidden layers, sigmoid for the output layer). Not collective. */
void lt_ae_opts_default(lt_ae_opts *o);
lt_status lt_ae_opts_set_widths(lt_ae_opts *o, const int *widths, int nlayers);

typedef struct lt_train_opts {
    lt_optimizer optimizer; /* default adam */
    double lr;              /* < 0: the optimizer's Keras default (sgd 0.01, adam/rmsprop 0.001) */
    double momentum;        /* sgd: 0, in [0, 1) */
    int nesterov;           /* sgd: 0 */
    double beta1, beta2;    /* adam: 0.9, 0.999, in [0, 1) */
    double epsilon;         /* adam, rmsprop: 1e-7, > 0 */
    double rho;             /* rmsprop: 0.9, in [0, 1) */
    int64_t batch_size;     /* global batch B: 32, 1..n_train */
    int epochs;             /* total epochs (training resumes at ae->epoch): 1, >= 0 */
    uint64_t seed;          /* batch order and denoising noise: 0 */
    int shuffle;            /* 1: new permutation each epoch; 0: file order */
    double noise_factor;    /* denoising: input + factor*N(0,1) clipped to [0,1]; 0 = off */
    int patience;           /* early stopping on val loss (train loss without val): 0 = off */
    double min_delta;       /* improvement that resets patience: 0, >= 0 */
    /* 1: subnormal floats are flushed to zero during lt_ae_fit (x86 FTZ and
     * DAZ, restored on return). Optimizer state decays towards subnormals
     * for weights whose gradients vanish (MNIST's blank border pixels), and
     * each subnormal operation costs a microcode assist: RMSprop on MNIST
     * ran 1.6x slower without it. TensorFlow flushes the same way. Default 1. */
    int flush_denormals;
    /* Preemption: when *stop_request becomes non-zero on any rank (e.g. set by
     * a signal handler), all ranks learn it through the step's gradient
     * allreduce and lt_ae_fit returns LT_ERR_INTERRUPTED after that step,
     * with the model at a consistent position (epoch, step) to checkpoint.
     * NULL: never. */
    volatile sig_atomic_t *stop_request;
    /* lbfgs (scikit-learn's MLPRegressor(solver='lbfgs') meanings): epochs is
     * max_iter (L-BFGS iterations), batch_size is ignored (full batch). */
    int64_t lbfgs_max_fun;  /* objective-and-gradient evaluations: 15000 */
    int lbfgs_history;      /* pairs kept (scipy's maxcor): 10 */
    double lbfgs_tol;       /* stop when max_i |g_i| <= tol: 1e-4 */
} lt_train_opts;

/* Keras' defaults as listed above. Not collective. */
void lt_train_opts_default(lt_train_opts *o);

/* Per-epoch loss history, kept in the model (saved with it). */
typedef struct lt_train_history {
    int n, cap;
    double *train_loss;      /* mean loss per sample over the epoch (Keras' epoch loss) */
    double *val_loss;        /* NAN without validation data */
    double *seconds;         /* wall time of the epoch (max over ranks) */
    double *samples_per_sec; /* training rows / seconds */
    double *comm_seconds;    /* time inside the gradient allreduce (max over ranks) */
} lt_train_history;

typedef struct lt_ae {
    lt_ae_opts arch;
    int nw;                             /* weight layers = nlayers - 1 */
    int code;                           /* resolved bottleneck index into widths */
    int64_t nparams;
    int64_t woff[LT_AE_MAX_LAYERS - 1], boff[LT_AE_MAX_LAYERS - 1];
    lt_layer layers[LT_AE_MAX_LAYERS - 1]; /* nw resolved layers (dense ones for a width list) */
    float *params, *grads;
    float *state;                       /* nstate * nparams, for state_kind */
    int state_kind;                     /* lt_optimizer of `state`, -1 = none yet */
    int64_t opt_t;                      /* optimizer steps taken (Adam bias correction) */
    /* Position in the batch sequence, for resuming: epochs completed, batches
     * done in the current epoch, and the seed of that sequence. */
    int epoch;
    int64_t step;
    uint64_t train_seed;
    /* Accumulators of an epoch interrupted at `step` (a stop request): each
     * rank's sum of losses so far, so that a resume on the same rank count
     * reports that epoch's loss exactly as an uninterrupted run would (on
     * another count, rank 0 carries the total). Saved with the model;
     * nranks = 0 when there is none. */
    struct {
        int nranks;
        double *loss;                   /* nranks */
        double rows, l2, seconds, comm; /* global rows done, l2 sum, wall, allreduce */
    } part;
    lt_train_history hist;
    /* Workspace (grown outside hot loops). */
    int64_t ws_rows;
    float *acts[LT_AE_MAX_LAYERS];      /* acts[i]: ws_rows x widths[i]; acts[0] unused */
    float *delta[2];
    /* Stacks with image layers run in groups of 16 rows (src/nn/conv.c):
     * acts and delta then hold one group, plus these. */
    int grouped;                        /* the stack has conv2d, maxpool2d or upsample2d */
    float *pad;                         /* a zero-padded conv2d input or output gradient */
    float *wflip;                       /* the largest conv2d kernel, flipped for backward */
    float *gin;                         /* the input of a pass in group layout */
    float *trows;                       /* the output and its gradient as rows, for the loss */
    float *yrows;                       /* ws_rows outputs of nn_forward as rows */
} lt_ae;

/* Validates the options (layer list, activations, bottleneck, l2) and builds
 * the model with Glorot-uniform kernels and zero biases from (seed, layer),
 * identical on every rank. Collective (allocation failure is agreed). */
lt_status lt_ae_create(lt_comm *c, const lt_ae_opts *o, lt_ae **out);
/* Frees the model; accepts NULL and sets *ae to NULL. Not collective. */
void lt_ae_destroy(lt_ae **ae);

/* One epoch's figures, passed to the callback on every rank after each epoch
 * (kind 1) and, within an epoch, after each batch (kind 0: only epoch, step,
 * nsteps and seconds are meaningful; for progress bars). */
typedef struct lt_epoch_report {
    int kind;
    int epoch, epochs;        /* epoch is 1-based */
    int64_t step, nsteps;
    double train_loss, val_loss, seconds, samples_per_sec, comm_seconds;
} lt_epoch_report;
typedef void (*lt_epoch_cb)(const lt_epoch_report *r, void *ctx);

/* Trains from the model's current position (ae->epoch, ae->step) up to
 * o->epochs epochs. train and val (val may be NULL) are row-sharded with
 * d == widths[0]. The history is appended to ae->hist. Early stopping ends
 * with LT_OK. A non-finite gradient stops with LT_ERR_NUMERIC and the model
 * left at the last good parameters (before the failing step). Collective. */
lt_status lt_ae_fit(lt_comm *c, lt_ae *ae, const lt_train_opts *o, const lt_dataset *train,
                    const lt_dataset *val, lt_epoch_cb cb, void *cb_ctx);

/* New datasets with the same rows (and labels copied) as the input:
 * encode -> widths[code] columns, decode (input has widths[code] columns)
 * -> data width, reconstruct = decode(encode(x)). Collective. */
lt_status lt_ae_encode(lt_comm *c, lt_ae *ae, const lt_dataset *x, lt_dataset **out);
lt_status lt_ae_decode(lt_comm *c, lt_ae *ae, const lt_dataset *z, lt_dataset **out);
lt_status lt_ae_reconstruct(lt_comm *c, lt_ae *ae, const lt_dataset *x, lt_dataset **out);
/* Per-row reconstruction errors: out has 2 columns, sum of absolute errors
 * and mean squared error of each row; *mse is the MSE over all elements,
 * reduced in double. Collective. */
lt_status lt_ae_row_errors(lt_comm *c, lt_ae *ae, const lt_dataset *x, lt_dataset **out,
                           double *mse);
/* The denoising input that training draws for rows gid[0..m) of an n-row
 * training set in `epoch`: clean + noise_factor * N(0, 1), clipped to [0, 1]
 * (keyed by seed, epoch, row, column). Not collective. */
void lt_ae_noisy_input(const lt_train_opts *o, int64_t n, int64_t d, int epoch, const float *clean,
                       const int64_t *gid, int64_t m, float *out);
/* Mean loss (the model's loss, without L2) over a dataset. Collective. */
lt_status lt_ae_evaluate(lt_comm *c, lt_ae *ae, const lt_dataset *x, double *loss);

/* HDF5 model file (h5py-readable, see docs/autoencoder.md): architecture,
 * weights, optimizer state, batch position, history, format version. Rank 0
 * writes a temporary file and renames it; load reads on rank 0 and
 * broadcasts. Collective. */
lt_status lt_ae_save(lt_comm *c, const lt_ae *ae, const char *path);
lt_status lt_ae_load(lt_comm *c, const char *path, lt_ae **out);
#define LT_AE_FORMAT_VERSION 2 /* 2: stacks (attribute stack, dataset input_shape) */

/* Keras-like model summary (layer, output shape, parameters; the code
 * layer marked, total), one line per layer, into buf. LT_ERR_ARG when it
 * does not fit in cap bytes. Not collective. */
lt_status lt_ae_summary(const lt_ae *ae, char *buf, size_t cap);

/* Fails with LT_ERR_DATA when ds->d != the model's expected width (`what`
 * names the data in the message). Not collective (ds->d is global). */
lt_status lt_ae_check_width(const lt_ae *ae, const lt_dataset *ds, int expected, const char *what);

#endif
