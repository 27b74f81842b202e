/* Single-cell preprocessing on the sparse matrix, as scanpy defines it:
 * filter_cells(min_genes), filter_genes(min_cells), normalize_total,
 * log1p, highly_variable_genes (flavours seurat and seurat_v3) and scale,
 * after which only the selected genes become the dense row-sharded
 * lt_dataset the other stages take. Every statistic is a reduction over
 * all ranks in double; results do not depend on the rank count beyond
 * the order of floating-point sums. See docs/singlecell.md for the
 * formulas and where they follow scanpy. */
#ifndef LT_SCPREP_H
#define LT_SCPREP_H

#include "lt_sparse.h"

typedef enum { LT_HVG_NONE = 0, LT_HVG_SEURAT, LT_HVG_SEURAT_V3 } lt_hvg_flavor;

/* Collective. Keeps cells with at least min_genes genes of positive count
 * (scanpy filter_cells); the kept cells are re-sharded in block layout with
 * their labels, names and original indices (s->cell_ids). */
lt_status lt_sc_filter_cells(lt_comm *c, lt_scdata *s, int64_t min_genes);
/* Collective. Keeps genes with a positive count in at least min_cells cells
 * (filter_genes); columns renumbered, var names follow. *kept (optional,
 * caller frees) receives the original index of each kept gene. */
lt_status lt_sc_filter_genes(lt_comm *c, lt_scdata *s, int64_t min_cells, int64_t **kept,
                             int64_t *nkept);
/* Collective. Scales each cell to total target_sum; target_sum <= 0 takes
 * the median of the positive totals (scanpy's default). Cells with total 0
 * stay 0. *used (optional) receives the target. */
lt_status lt_sc_normalize_total(lt_comm *c, lt_csr *m, double target_sum, double *used);
/* Collective. x -> log(1 + x); a negative value is LT_ERR_DATA naming the
 * cell and gene (counts cannot be negative). */
lt_status lt_sc_log1p(lt_comm *c, lt_csr *m, const char *what);

typedef struct lt_hvg_opts {
    lt_hvg_flavor flavor;
    int64_t n_top_genes;
    int n_bins;  /* seurat: mean bins (scanpy: 20) */
    double span; /* seurat_v3: LOESS span (scanpy: 0.3) */
} lt_hvg_opts;

/* Per-gene statistics the selection used (d values each). */
typedef struct lt_hvg {
    int64_t d;
    uint8_t *highly_variable;
    double *means;      /* seurat: log1p of the mean of expm1(x); v3: mean of counts */
    double *dispersions; /* seurat: log dispersion; v3: variance */
    double *dispersions_norm; /* seurat: normalised dispersion; v3: normalised variance */
    int64_t n_selected;
} lt_hvg;

/* Collective. seurat expects log1p data, seurat_v3 counts. */
lt_status lt_sc_hvg(lt_comm *c, const lt_csr *m, const lt_hvg_opts *o, lt_hvg **out);
void lt_hvg_destroy(lt_hvg **h);
/* The direct LOESS fit seurat_v3 uses (degree 2, tricube weights over the
 * floor(span * n) nearest x), evaluated at every x. Not collective. */
lt_status lt_loess_fit(const double *x, const double *y, int64_t n, double span, double *fit);

/* Collective. The dense n x k matrix of genes cols[0..k): with scale set,
 * each column zero-centred (if zero_center) and divided by its standard
 * deviation (ddof = 1; 1 when 0), then clipped to [-max_value, max_value]
 * (upper bound only without zero_center) when max_value > 0. mean and std
 * (optional, k each) receive the statistics. */
typedef struct lt_scale_opts {
    int scale, zero_center;
    double max_value;
} lt_scale_opts;
lt_status lt_sc_densify(lt_comm *c, const lt_csr *m, const int64_t *cols, int64_t k,
                        const lt_scale_opts *o, double *mean, double *std, lt_dataset **out);

/* The whole recipe, in scanpy's order. */
typedef struct lt_scprep_opts {
    int64_t min_genes, min_cells;
    int normalize;
    double target_sum; /* <= 0: median */
    int log1p;
    lt_hvg_opts hvg;
    lt_scale_opts scale;
} lt_scprep_opts;

void lt_scprep_opts_default(lt_scprep_opts *o);

/* What the recipe did, for reports and the .h5ad write-back. */
typedef struct lt_scprep_info {
    int64_t cells_in, genes_in;  /* before filtering */
    int64_t *gene_ids;           /* original index of each gene kept by filter_genes */
    int64_t d;                   /* genes after filtering */
    lt_hvg *hvg;                 /* NULL without selection */
    int64_t *cols, k;            /* genes (after filtering) in the dense output */
    double target_sum;           /* used by normalize_total (0: not run) */
    double *mean, *std;          /* k each: scale statistics (NULL without scale) */
    int32_t label_na;            /* dense label of cells without one (-1: none missing) */
} lt_scprep_info;

void lt_scprep_info_destroy(lt_scprep_info **i);
/* Collective. Runs the recipe on s (filtered and transformed in place; s->x
 * ends with only the info->k selected genes, renumbered, so that the sparse
 * and the dense copy are not both whole in memory) and returns the dense
 * selected-gene dataset (labels set from s->labels; a
 * missing label becomes class info->label_na = categories->n). */
lt_status lt_scprep_run(lt_comm *c, lt_scdata *s, const lt_scprep_opts *o, lt_dataset **out,
                        lt_scprep_info **info);

#endif
