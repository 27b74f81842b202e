/* Single-cell count matrices: a row-sharded CSR matrix (cells x genes) and
 * the readers of the formats single-cell users have (AnnData .h5ad, 10x
 * Genomics .h5 and Matrix Market directories).
 *
 * Rows (cells) are sharded like lt_dataset: rank r holds the block
 * [row0, row0 + nloc) of lt_shard_range(n, P, r); a rank may hold none.
 * indptr is int64 (local offsets from 0), so no count overflows at 2^31
 * non-zeros; column indices are int32 (genes never approach 2^31) and
 * ascending without repeats inside a row; values are float. */
#ifndef LT_SPARSE_H
#define LT_SPARSE_H

#include <stdint.h>
#include "lt_comm.h"
#include "lt_dataset.h"
#include "lt_error.h"

typedef struct lt_csr {
    int64_t n, d;       /* global shape: cells x genes */
    int64_t row0, nloc; /* this rank's cells */
    int64_t nnz;        /* local non-zeros = indptr[nloc] */
    int64_t *indptr;    /* nloc + 1 */
    int32_t *indices;   /* nnz */
    float *data;        /* nnz */
} lt_csr;

/* Allocates the local block for nnz local entries (indptr zeroed). Collective:
 * an allocation failure on any rank is agreed. */
lt_status lt_csr_create(lt_comm *c, int64_t n, int64_t d, int64_t nnz, lt_csr **out);
void lt_csr_destroy(lt_csr **m);
/* Collective. Checks indptr (non-decreasing, ends at nnz), indices (in
 * [0, d), strictly ascending in a row) and finite values; LT_ERR_FORMAT or
 * LT_ERR_DATA naming `what` and the global row. */
lt_status lt_csr_check(lt_comm *c, const lt_csr *m, const char *what);
/* Sorts the indices of every local row ascending (values follow); a repeated
 * index is LT_ERR_FORMAT naming `what`, the global row and the column.
 * Not collective. */
lt_status lt_csr_sort_rows(lt_csr *m, const char *what);
/* Global number of non-zeros. Collective. */
lt_status lt_csr_nnz_global(lt_comm *c, const lt_csr *m, int64_t *out);
/* Dense rows of the columns cols[0..k) (NULL: all d columns, k = d) into a new
 * row-sharded dataset with the same rows (labels not set). Collective. */
lt_status lt_csr_densify(lt_comm *c, const lt_csr *m, const int64_t *cols, int64_t k,
                         lt_dataset **out);
/* *pos[j] = the output position of column j (-1: dropped) for the columns
 * cols[0..k) (NULL: all, pos[j] = j); m->d + 1 entries, the caller frees.
 * A column outside [0, d) is LT_ERR_ARG. Collective (the status is agreed). */
lt_status lt_csr_column_positions(lt_comm *c, const lt_csr *m, const int64_t *cols, int64_t k,
                                  int64_t **pos);

/* One entry of a matrix being assembled (readers of column-major or unordered
 * files send these to the rank owning the row). */
typedef struct lt_triplet {
    int64_t row;
    int32_t col;
    float val;
} lt_triplet;

/* Collective. Builds the n x d CSR matrix from triplets held by any rank:
 * each goes to the rank owning its row (one all-to-all), then rows are
 * assembled and sorted; a repeated (row, col) is LT_ERR_FORMAT naming `what`.
 * Frees nothing of the caller's. */
lt_status lt_csr_from_triplets(lt_comm *c, int64_t n, int64_t d, const lt_triplet *t,
                               int64_t nt, const char *what, lt_csr **out);

/* A list of strings in one block (names of genes, cells, categories). */
typedef struct lt_strlist {
    int64_t n;
    int64_t *off; /* n + 1 offsets into buf; string i is buf + off[i] */
    char *buf;    /* NUL-terminated strings back to back */
} lt_strlist;

/* An empty list with room grown on push. Not collective. */
lt_status lt_strlist_create(lt_strlist **out);
lt_status lt_strlist_push(lt_strlist *l, const char *s, size_t len);
const char *lt_strlist_get(const lt_strlist *l, int64_t i);
void lt_strlist_destroy(lt_strlist **l);
/* Index of s in l, or -1. Not collective. */
int64_t lt_strlist_find(const lt_strlist *l, const char *s);

/* A single-cell data set as read: counts, names and optional cell labels. */
typedef struct lt_scdata {
    lt_csr *x;
    lt_strlist *var_names;  /* d gene names (every rank), or NULL */
    lt_strlist *obs_names;  /* nloc names of this rank's cells, or NULL */
    int32_t *labels;        /* nloc codes into categories, -1 = missing; or NULL */
    lt_strlist *categories; /* label names (every rank) when labels != NULL */
    int64_t *cell_ids;      /* nloc original cell indices once cells were filtered, or NULL */
} lt_scdata;

void lt_scdata_destroy(lt_scdata **s);

typedef struct lt_sc_read_opts {
    /* .h5ad: "X" (default), "layers/NAME" or "raw/X" (then raw/var names) */
    const char *matrix;
    /* .h5ad: obs column holding the labels (NULL or "": none) */
    const char *obs_key;
    /* 10x v2 .h5: genome group (NULL or "": the file's only one) */
    const char *genome;
    /* 10x and Matrix Market gene names: 1 = symbols (default), 0 = ids */
    int gene_symbols;
} lt_sc_read_opts;

void lt_sc_read_opts_default(lt_sc_read_opts *o);

/* All readers are collective: each rank reads only its cells' part of the
 * matrix; errors are agreed and name the file and element. */
lt_status lt_h5ad_read(lt_comm *c, const char *path, const lt_sc_read_opts *o, lt_scdata **out);
/* 10x Genomics Cell Ranger .h5: v3 (/matrix) or v2 (one group per genome). */
lt_status lt_tenx_read(lt_comm *c, const char *path, const lt_sc_read_opts *o, lt_scdata **out);
/* Matrix Market directory: matrix.mtx[.gz], barcodes.tsv[.gz], and
 * features.tsv[.gz] (Cell Ranger 3) or genes.tsv[.gz] (Cell Ranger < 3).
 * A plain matrix.mtx is split by bytes over the ranks; a .gz stream cannot
 * be split, so rank 0 decompresses it and scatters the entries in rounds. */
lt_status lt_mtx_read(lt_comm *c, const char *dir, const lt_sc_read_opts *o, lt_scdata **out);

/* Results as an AnnData .h5ad (anndata 0.8 reads it): what scanpy users look
 * for after `sc.pp.pca` and clustering. Row-sharded parts are this rank's
 * block of the n cells (lt_shard_range layout). */
#define LT_H5AD_MAX 8
typedef struct lt_h5ad_out {
    int64_t n, d;                 /* cells (obs) and genes (var) */
    const lt_csr *X;              /* X as csr_matrix (float32, int32 indices, int64 indptr), or NULL */
    const lt_strlist *obs_names;  /* nloc names of this rank's cells, or NULL: "0", "1", ... */
    const lt_strlist *var_names;  /* d gene names, or NULL: "0", "1", ... */
    int nobsm;                    /* obsm/NAME: n x k float32 (X_pca, X_latent, ...) */
    const char *obsm_name[LT_H5AD_MAX];
    const lt_dataset *obsm[LT_H5AD_MAX];
    int nobs;                     /* obs/NAME categoricals: nloc codes (-1: missing) */
    const char *obs_name[LT_H5AD_MAX];
    const int32_t *obs_codes[LT_H5AD_MAX];
    const lt_strlist *obs_cats[LT_H5AD_MAX];
    const uint8_t *highly_variable; /* d flags (var/highly_variable), or NULL */
    int nvar;                     /* var/NAME float64 columns (d values) */
    const char *var_name[LT_H5AD_MAX];
    const double *var_col[LT_H5AD_MAX];
    const float *pcs;             /* varm/PCs: d x npcs, row-major, or NULL */
    int64_t npcs;
    const double *pca_variance, *pca_variance_ratio; /* uns/pca: npcs each */
} lt_h5ad_out;

/* Collective. The cell arrays (obs names, codes, obsm) are written by all
 * ranks through MPI-IO; then rank 0 alone adds the attributes and the small
 * gene-side elements (variable-length strings cannot be written in
 * parallel). Written to a temporary name and renamed when complete. */
lt_status lt_h5ad_write(lt_comm *c, const char *path, const lt_h5ad_out *o);

/* Synthetic single-cell counts (Splatter-like): gene base means Gamma(0.6,
 * rate 0.3), per cell type a share de_prob of genes scaled by
 * exp(N(de_loc, de_scale)) (half of them down), cell library factors
 * lognormal(-s^2/2, s) around a total calibrated so that the expected share
 * of non-zeros is `density`, and negative-binomial counts (dispersion r:
 * variance mu + mu^2 / r). Non-zeros are drawn directly (geometric skips
 * over genes bucketed by mean, then a zero-truncated NB count), so the cost
 * follows the non-zeros, not cells x genes. Every cell's draws are keyed by
 * (seed, cell): identical for any rank count. Labels are the cell types. */
typedef struct lt_counts_opts {
    int64_t n_cells, n_genes;
    int n_types;
    double density, dispersion;
    double de_prob, de_loc, de_scale, lib_sdlog;
    uint64_t seed;
} lt_counts_opts;

void lt_counts_opts_default(lt_counts_opts *o);
/* Collective. */
lt_status lt_generate_counts(lt_comm *c, const lt_counts_opts *o, lt_scdata **out);

#endif
