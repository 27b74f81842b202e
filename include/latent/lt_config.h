/* The run configuration: one plain struct with a sub-struct per deck section.
 * It holds no pointers, so rank 0 parses the deck and broadcasts the bytes.
 * Every key is described once in the key table of src/config/deck.c (type,
 * default, range, documentation); the parser, `latent --help-deck` and
 * docs/deck-reference.md all come from that table. */
#ifndef LT_CONFIG_H
#define LT_CONFIG_H

#include <stdint.h>
#include <stdio.h>
#include "lt_comm.h"
#include "lt_error.h"

#define LT_PATH_MAX 1024
#define LT_LIST_MAX 1024

typedef struct {
    char source[16];          /* blobs uniform npy csv idx hdf5 h5ad 10x mtx */
    char path[LT_PATH_MAX];
    char labels_path[LT_PATH_MAX];
    char dataset[128];        /* HDF5 dataset name */
    char labels_dataset[128]; /* HDF5 labels dataset name ("" = none) */
    int64_t n_samples, n_features;
    char centers[LT_LIST_MAX];     /* "8" or "x,y,...; x,y,..." */
    char cluster_std[LT_LIST_MAX]; /* "2" or "0.5, 1, 2" */
    double center_box_lo, center_box_hi;
    int64_t noise_features;
    uint64_t seed;
    char csv_header[8];       /* auto yes no */
    int64_t csv_label_column; /* -1 = none */
    char csv_separator[8];    /* auto , tab ; space */
    int allow_nonfinite;
    /* single-cell sources (h5ad 10x mtx) */
    char obs_key[128];        /* h5ad obs column of the labels ("" = none) */
    char layer[256];          /* h5ad matrix: X, layers/NAME (or NAME), raw/X */
    char genome[128];         /* 10x v2 genome group ("" = the only one) */
    char gene_names[8];       /* symbols ids */
    double density, dispersion; /* counts generator */
    /* issue 16: a separate test file (same format and options) */
    char test_path[LT_PATH_MAX];
    char test_labels_path[LT_PATH_MAX];
} lt_cfg_data;

typedef struct {
    char scaler[16];          /* none minmax standard */
    double feature_min, feature_max;
    double test_fraction;
    uint64_t split_seed;
} lt_cfg_preprocess;

/* scanpy's preprocessing recipe for single-cell sources (lt_scprep.h). */
typedef struct {
    int64_t min_genes, min_cells;
    int normalize_total;
    double target_sum;        /* 0 = median of the cell totals */
    int log1p;
    char hvg[16];             /* none seurat seurat_v3 */
    int64_t n_top_genes, hvg_bins;
    double hvg_span;
    int scale, zero_center;
    double max_value;         /* 0 = no clipping */
} lt_cfg_singlecell;

typedef struct {
    int enabled;
    int64_t n_components;
    char method[16];          /* auto covariance svd replicated */
    int64_t block_size;
    char precision[16];       /* double mixed */
    char gram_kernel[16];     /* auto blas amx */
    int64_t replicated_max_d;
    char slepc_solver[16];    /* lanczos krylovschur randomized */
    double slepc_tol;
} lt_cfg_pca;

typedef struct {
    int enabled;
    char layers[LT_LIST_MAX];      /* "10,8,6,2,6,8,10" */
    char activations[LT_LIST_MAX]; /* one per weight layer, or "" to use the three below */
    char activation[16];           /* hidden layers */
    char bottleneck_activation[16];
    char output_activation[16];
    int64_t bottleneck;            /* index into layers; -1 = narrowest */
    /* issue 16: stacks of layer kinds */
    char stack[LT_LIST_MAX];       /* "conv 8 3 same relu, pool 2 same, ..." ("" = layers) */
    char input_shape[64];          /* "28, 28, 1" ("" = a flat row) */
} lt_cfg_autoencoder;

typedef struct {
    char optimizer[16];       /* sgd adam rmsprop lbfgs */
    char loss[16];            /* mse bce */
    double learning_rate, momentum;
    int nesterov;
    double beta1, beta2, epsilon, rho;
    double l2;
    int64_t batch_size, epochs;
    uint64_t seed;
    double noise_factor;      /* denoising: input + noise_factor * N(0,1), clipped to [0,1] */
    int shuffle;
    int64_t patience;         /* early stopping epochs, 0 = off */
    double min_delta;
    int64_t checkpoint_every; /* epochs, 0 = off */
    int flush_denormals;      /* subnormal floats read and written as 0 while training */
    int64_t lbfgs_max_fun, lbfgs_history; /* optimizer = lbfgs (issue 19) */
    double lbfgs_tol;
} lt_cfg_train;

typedef struct {
    int enabled;
    char spaces[128];         /* comma list of raw pca autoencoder */
    int64_t n_clusters;
    char init[16];            /* k-means++ random */
    int64_t n_init, max_iter;
    double tol;
    uint64_t seed;
} lt_cfg_kmeans;

typedef struct {
    char silhouette[16];      /* exact sampled sqeuclidean none */
    int64_t sample_size;
    uint64_t seed;
    char rows[16];            /* test train: which rows are clustered and scored */
} lt_cfg_metrics;

/* t-SNE (issue 17, lt_tsne.h): scikit-learn 1.2's TSNE keys. */
typedef struct {
    int enabled;
    char spaces[128];         /* comma list of raw pca autoencoder */
    double perplexity, early_exaggeration;
    int64_t exaggeration_iter, n_iter;
    double learning_rate;     /* 0 = auto */
    double momentum_early, momentum, min_gain, min_grad_norm;
    int64_t n_iter_without_progress, n_iter_check;
    char init[16];            /* pca random */
    char method[16];          /* fft exact */
    int64_t fft_nodes, fft_min_nodes;
    double fft_spacing, near_radius;
    uint64_t seed;
    int verbose;
    int64_t quality_sample;   /* rows of the trustworthiness sample (0: no quality figures) */
} lt_cfg_tsne;

typedef struct {
    char dir[LT_PATH_MAX];    /* "" = results/<deck name> */
    char format[8];           /* npy csv hdf5: format of written datasets */
    int write_data;           /* write the (scaled, split) data sets */
    int figures;
    char figure_format[8];    /* png svg pdf */
    int force;                /* overwrite an existing results folder */
    int64_t sample_size;      /* rows drawn for scatter plots */
} lt_cfg_output;

typedef struct lt_config {
    char deck_path[LT_PATH_MAX];
    char deck_name[128];
    lt_cfg_data data;
    lt_cfg_preprocess preprocess;
    lt_cfg_singlecell singlecell;
    lt_cfg_pca pca;
    lt_cfg_autoencoder autoencoder;
    lt_cfg_train train;
    lt_cfg_kmeans kmeans;
    lt_cfg_metrics metrics;
    lt_cfg_tsne tsne;
    lt_cfg_output output;
} lt_config;

/* Fills every key with its default. Not collective. */
void lt_config_defaults(lt_config *cfg);
/* Collective. Rank 0 reads the deck (path may be NULL: defaults only), then
 * applies overrides "--section.key=value" from argv (other arguments are
 * ignored here), validates, and broadcasts. Errors name file:line, key, value. */
lt_status lt_config_load(lt_comm *c, const char *path, int argc, char **argv, lt_config *cfg);
/* Sets one key from text, as the deck parser does (origin is for messages). */
lt_status lt_config_set(lt_config *cfg, const char *section, const char *key, const char *value,
                        const char *origin);
/* Writes "[section]\nkey = value" lines of the effective configuration. */
void lt_config_print(const lt_config *cfg, FILE *f);
/* Calls visit(section, key, value text) for every key, in table order. */
typedef void (*lt_config_visit)(const char *section, const char *key, const char *value, void *ctx);
void lt_config_foreach(const lt_config *cfg, lt_config_visit visit, void *ctx);
/* Writes the key table as Markdown (docs/deck-reference.md). */
void lt_config_print_reference(FILE *f);
/* Value of a key as text into buf; LT_ERR_ARG if unknown. */
lt_status lt_config_get(const lt_config *cfg, const char *section, const char *key, char *buf,
                        size_t cap);

/* Parses "1, 2.5, 3" (separator sep) into out[0..*n). Not collective. */
lt_status lt_parse_list_d(const char *text, char sep, double *out, int cap, int *n);

#endif
