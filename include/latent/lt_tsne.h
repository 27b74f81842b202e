/* t-SNE of a row-sharded dataset, with scikit-learn 1.2's meaning and
 * defaults (sklearn.manifold.TSNE), and the same embedding bits for any
 * rank count (docs/tsne.md).
 *
 * Phases:
 *   neighbours   exact k = min(n - 1, int(3 perplexity + 1)) nearest rows of
 *                every row (self excluded, ties by global row index): row
 *                blocks travel around the ring of ranks, each rank keeps the
 *                k nearest of its own rows. No rank holds n x n or all rows.
 *   affinities   per-row binary search of the Gaussian precision on squared
 *                distances (tolerance 1e-5 on the entropy, 100 steps), then
 *                P = (P + P^T) / (2n), a sparse matrix of which each rank
 *                holds its rows (the transpose by an all-to-all of triples).
 *   optimiser    gradient descent with early exaggeration, momentum and
 *                gains; attraction over the sparse P with the positions of
 *                the neighbours fetched from their owners, repulsion exact
 *                (O(n^2), a ring of positions) or by FFT-accelerated
 *                interpolation on a grid replicated on every rank.
 * Every global sum (grid charges, Z, KL, gradient norm) is an exact
 * fixed-point sum, so no result depends on how rows are split. */
#ifndef LT_TSNE_H
#define LT_TSNE_H

#include <stdint.h>
#include "lt_comm.h"
#include "lt_dataset.h"
#include "lt_error.h"

/* ---- neighbours --------------------------------------------------------- */

/* The k nearest rows of each local row, nearest first (ties by index). */
typedef struct lt_tsne_knn {
    int64_t n, row0, nloc, k;
    int64_t *idx; /* nloc x k global row indices */
    double *d2;   /* nloc x k squared Euclidean distances, exact in double */
} lt_tsne_knn;

/* Collective. Exact kNN of X's rows among X's rows, 1 <= k <= n - 1. X must
 * be finite (checked). */
lt_status lt_tsne_knn_compute(lt_comm *c, const lt_dataset *X, int64_t k, lt_tsne_knn **out);
void lt_tsne_knn_destroy(lt_tsne_knn **nn);

/* ---- affinities --------------------------------------------------------- */

/* Not collective. Conditional P of the local rows (nloc x k, in the order of
 * nn->idx) and the precisions beta_i = 1 / (2 sigma_i^2) found by
 * scikit-learn's search on the squared distances rounded to float32, as
 * scikit-learn rounds them. *n_unconverged (may be
 * NULL) counts rows that hit the step limit. */
lt_status lt_tsne_conditional_p(const lt_tsne_knn *nn, double perplexity, double *P, double *beta,
                                int64_t *n_unconverged);

/* The symmetrised joint P: this rank's rows as CSR, columns increasing. */
typedef struct lt_tsne_p {
    int64_t n, row0, nloc, nnz;
    int64_t *rowptr; /* nloc + 1 */
    int64_t *col;    /* nnz global columns */
    double *val;     /* nnz values; all rows together sum to 1 */
} lt_tsne_p;

/* Collective. (P + P^T) / (2n) of the conditional P (nloc x k, nn's order). */
lt_status lt_tsne_symmetrize(lt_comm *c, const lt_tsne_knn *nn, const double *cond,
                             lt_tsne_p **out);
void lt_tsne_p_destroy(lt_tsne_p **p);

/* ---- gradient ------------------------------------------------------------ */

typedef enum { LT_TSNE_FFT = 0, LT_TSNE_EXACT } lt_tsne_method;

/* FFT-accelerated interpolation with an exact near field (src/tsne/fft.c):
 * `nodes` equispaced Lagrange nodes per box and dimension, node spacing
 * `spacing` embedding units (finer while the embedding spans fewer than
 * min_nodes nodes), pairs closer than near_radius (embedding units, at most
 * an eighth of the extent) summed exactly.
 * near_radius = 0 is plain FIt-SNE (spacing 1/3, min_nodes 150 are its
 * defaults: 1 box per unit, 50 boxes at least). */
typedef struct lt_tsne_fft_opts {
    int nodes;          /* 3 */
    double spacing;     /* 1.0 */
    int64_t min_nodes;  /* 128 */
    double near_radius; /* 6.0 embedding units (at most an eighth of the extent) */
} lt_tsne_fft_opts;

/* Attraction planned for P's sparsity; repulsion exact or FFT. */
typedef struct lt_tsne_grad lt_tsne_grad;

typedef struct lt_tsne_grad_info {
    int want_kl;        /* in: also compute KL (costs a log per P entry) */
    double kl;          /* KL(ex P || Q) as scikit-learn reports it, NaN if not asked */
    double Z;           /* sum_{i != j} w_ij */
    int64_t grid_side;  /* FFT side of the last evaluation (0: exact) */
    double near_radius; /* its exact near field's radius, node spacing */
    double spacing;
} lt_tsne_grad_info;

/* Collective. P must outlive the workspace. fo is read for LT_TSNE_FFT. */
lt_status lt_tsne_grad_create(lt_comm *c, const lt_tsne_p *P, lt_tsne_method method,
                              const lt_tsne_fft_opts *fo, lt_tsne_grad **out);
/* Collective. y and grad: nloc x 2 (this rank's rows of P). The gradient of
 * KL(ex P || Q), times 4 as in scikit-learn; the same bits for a row on any
 * rank count. info may be NULL. */
lt_status lt_tsne_grad_eval(lt_comm *c, lt_tsne_grad *g, const double *y, double exaggeration,
                            double *grad, lt_tsne_grad_info *info);
void lt_tsne_grad_destroy(lt_tsne_grad **g);

/* ---- the whole fit ---------------------------------------------------------- */

typedef enum { LT_TSNE_INIT_PCA = 0, LT_TSNE_INIT_RANDOM } lt_tsne_init;

typedef struct lt_tsne_opts {
    double perplexity;               /* 30; 0 < perplexity < n - 1 */
    double early_exaggeration;       /* 12 */
    int64_t exaggeration_iter;       /* 250 */
    int64_t n_iter;                  /* 1000 in all, exaggerated ones included */
    double learning_rate;            /* 0 = auto: max(n / early_exaggeration / 4, 50) */
    double momentum_early;           /* 0.5 while exaggerated */
    double momentum;                 /* 0.8 afterwards */
    double min_gain;                 /* 0.01 */
    double min_grad_norm;            /* 1e-7: stop (checked every n_iter_check) */
    int64_t n_iter_without_progress; /* 300 (250 while exaggerated, as scikit-learn) */
    int64_t n_iter_check;            /* 50 */
    lt_tsne_init init;               /* PCA */
    lt_tsne_method method;           /* FFT */
    lt_tsne_fft_opts fft;
    uint64_t seed;                   /* random initialisation */
    int verbose;                     /* rank 0 prints KL and gradient norm per check */
} lt_tsne_opts;

typedef struct lt_tsne_info {
    int64_t n, k, nnz;         /* rows, neighbours, entries of the symmetric P */
    int64_t n_unconverged;     /* rows whose bandwidth search hit 100 steps */
    double mean_sigma;         /* scikit-learn's sqrt(n / sum beta) */
    double learning_rate;      /* the one used */
    double kl;                 /* KL at the last iteration (scikit-learn's kl_divergence_) */
    double kl_exaggerated;     /* KL of the exaggerated P at the end of that phase */
    int64_t n_iter;            /* iterations run (scikit-learn's n_iter_ + 1) */
    double grad_norm;          /* at the last check */
    int64_t grid_side_max;     /* largest FFT side used (0: exact) */
    /* No times: each phase is an event of the communicator's timer (tsne_knn,
     * tsne_affinity, tsne_init, tsne_exaggerated, tsne_main; lt_timer.h). */
} lt_tsne_info;

typedef struct lt_tsne_result {
    int64_t n, row0, nloc;
    double *y;                 /* nloc x 2, this rank's rows of X */
    lt_tsne_info info;
} lt_tsne_result;

/* Not collective. */
void lt_tsne_opts_default(lt_tsne_opts *o);
lt_status lt_tsne_method_parse(const char *s, lt_tsne_method *out);
const char *lt_tsne_method_name(lt_tsne_method m);
lt_status lt_tsne_init_parse(const char *s, lt_tsne_init *out);
const char *lt_tsne_init_name(lt_tsne_init i);
/* Collective. Checks the options against X (n >= 2, perplexity < n - 1,
 * finite values) with errors agreed on every rank. */
lt_status lt_tsne_check(lt_comm *c, const lt_tsne_opts *o, const lt_dataset *X);
/* Collective. Embeds X's rows in 2-D. */
lt_status lt_tsne_fit(lt_comm *c, const lt_tsne_opts *o, const lt_dataset *X, lt_tsne_result *res);
/* Collective. The embedding as an n x 2 float dataset sharded like X, X's labels copied. */
lt_status lt_tsne_embedding(lt_comm *c, const lt_tsne_result *r, const lt_dataset *X,
                            lt_dataset **out);
void lt_tsne_result_free(lt_tsne_result *r);

/* ---- quality of an embedding ------------------------------------------- */

typedef struct lt_tsne_quality {
    int64_t n_sample;      /* rows scored */
    double trust5, trust10; /* trustworthiness at 5 and 10 neighbours (scikit-learn's formula) */
    double recall10;       /* share of the 10 nearest input rows among the 10 nearest in 2-D */
    double knn_accuracy10; /* leave-one-out 10-NN majority vote in 2-D (NaN without labels) */
} lt_tsne_quality;

/* Collective. X (m x d), E (m x 2) and y (m labels, or NULL on every rank)
 * are the same sample on every rank (e.g. lt_sample_rows then a broadcast);
 * distances are Euclidean in double, ties broken by sample index. Each rank
 * scores m / size query rows; integer sums, so the same figures on any rank
 * count. Figures undefined for m (trustworthiness needs k < m / 2) are NaN. */
lt_status lt_tsne_quality_compute(lt_comm *c, int64_t m, int64_t d, const float *X, const float *E,
                                  const int32_t *y, lt_tsne_quality *q);

/* ---- exact order-independent sums -------------------------------------- */

/* A double accumulated exactly in 32-bit limbs held in int64 (a fixed-point
 * number from 2^-640 to 2^640; smaller magnitudes are truncated). Sums of
 * the same terms in any order and over any ranks give the same bits. */
#define LT_XSUM_LIMBS 42
typedef struct lt_xsum {
    int64_t limb[LT_XSUM_LIMBS];
    int64_t adds; /* since the last carry propagation */
    int overflow; /* a term of magnitude >= 2^640 (or not finite) was added */
} lt_xsum;

void lt_xsum_init(lt_xsum *s);
void lt_xsum_add(lt_xsum *s, double v);
/* The sum rounded to double (deterministic). Not collective. */
double lt_xsum_value(lt_xsum *s);
/* Collective: sums m accumulators elementwise over the ranks, in place. */
lt_status lt_xsum_allreduce(lt_comm *c, lt_xsum *s, int m);

#endif
