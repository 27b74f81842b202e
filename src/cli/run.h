/* The state of one `latent run`: what each stage produced for the next. */
#ifndef LT_RUN_H
#define LT_RUN_H

#include "cli.h"
#include "latent/lt_kmeans.h"
#include "latent/lt_nn.h"
#include "latent/lt_pca.h"
#include "latent/lt_plot.h"
#include "latent/lt_report.h"
#include "latent/lt_scores.h"

enum { LT_SPACE_RAW = 0, LT_SPACE_PCA, LT_SPACE_AE, LT_NSPACES };

/* Clustering and scores of one space, on the evaluation rows. */
typedef struct lt_space_result {
    int done;
    lt_kmeans *km;
    double inertia, sil_latent, sil_input, sil_truth, ari, nmi, db, ch, seconds;
} lt_space_result;

typedef struct lt_run {
    lt_cli *cli;
    lt_comm *c;
    lt_config cfg;
    lt_results *res;
    lt_metrics *m;
    lt_dataset *train, *test;   /* scaled input rows */
    int eval_is_test;           /* evaluation rows: test split (1) or train (0) */
    lt_pca *pca;
    lt_dataset *pca_train, *pca_test;
    double pca_mse_train, pca_mse_test;
    float *pca_rowerr;          /* per-row MSE on the local evaluation rows */
    lt_ae *ae;
    lt_dataset *ae_train, *ae_test;
    double ae_mse_train, ae_mse_test;
    float *ae_rowerr;
    lt_space_result space[LT_NSPACES];
    lt_sc_state *sc;            /* single-cell sources: names, labels, genes kept */
    lt_dataset *tsne[LT_NSPACES]; /* t-SNE of each space on the evaluation rows, or NULL */
} lt_run;

/* Rows that are clustered and scored in a space (0 = raw, ...). */
const lt_dataset *lt_run_eval(const lt_run *r, int space);
const char *lt_space_name(int space);
int lt_run_wants_space(const lt_run *r, int space);

/* Path of a file in the results folder, folders made, agreed. Collective. */
lt_status lt_run_path(lt_run *r, const char *rel, char *buf, size_t cap);
lt_status lt_stage_pca(lt_run *r);
lt_status lt_stage_autoencoder(lt_run *r);
/* Between stages after training: a stop request (signal) agreed over the
   ranks checkpoints the trained model as finished and fails with
   LT_ERR_INTERRUPTED (exit 5). Collective. */
lt_status lt_stage_check_stop(lt_run *r);
lt_status lt_stage_cluster(lt_run *r, int space);
lt_status lt_stage_outputs(lt_run *r);
/* results.h5ad (stage_h5ad.c): for [output] format = h5ad or .h5ad input. */
int lt_run_wants_h5ad(const lt_run *r);
lt_status lt_stage_write_h5ad(lt_run *r);
lt_status lt_stage_figures(lt_run *r);
/* Originals and reconstructions of 28 x 28 images (no-op for other widths). Collective. */
lt_status lt_stage_image_figures(lt_run *r, const lt_plot_opts *po);
lt_status lt_stage_table(lt_run *r);
/* Names of label codes 0..n-1 and what they are (stage_labels.c): a
 * single-cell input's obs categories (then "NA" when cells without a label
 * became a class), title the obs key or "cell type"; n = 0 (numbered labels,
 * title "label") for other inputs. Free with lt_label_names_free; the strings
 * belong to r. Not collective. */
typedef struct lt_label_names {
    int64_t n;
    const char **name;
    const char *title;
} lt_label_names;
lt_status lt_run_label_names(const lt_run *r, lt_label_names *out);
void lt_label_names_free(lt_label_names *l);
/* Cells per true label and k-means cluster of each space on the evaluation
 * rows: printed by rank 0 with the label names, counts into metrics.json
 * (spaces.NAME.cells_per_label_and_cluster, labels x clusters). No-op
 * without labels. Collective. */
lt_status lt_stage_label_table(lt_run *r);
lt_status lt_stage_metrics(lt_run *r);
/* Deck keys -> module options (shared by `run` and the single-stage commands). */
lt_status lt_pca_opts_from_config(const lt_config *cfg, lt_pca_opts *o);
lt_status lt_kmeans_opts_from_config(const lt_config *cfg, lt_kmeans_opts *o);
/* [metrics] silhouette, sample_size, seed; *on = 0 for silhouette = none. */
lt_status lt_silhouette_opts_from_config(const lt_config *cfg, lt_silhouette_opts *o, int *on);
/* The autoencoder options of the deck (also used by `latent train`). */
lt_status lt_ae_opts_from_config(const lt_config *cfg, int64_t d, lt_ae_opts *o);
/* Rank 0 prints the model line and its Keras-like summary before training. */
lt_status lt_ae_log_start(lt_comm *c, const lt_config *cfg, const lt_ae *ae, const lt_train_opts *to,
                          int64_t rows);
lt_status lt_train_opts_from_config(const lt_config *cfg, lt_train_opts *o);
/* Rank 0 prints the line of a finished epoch (e->kind == 1); `cr` starts it
 * with a carriage return, over a progress line. */
void lt_print_epoch(const lt_comm *c, const lt_epoch_report *e, int cr);
/* t-SNE (stage_tsne.c): the [tsne] keys as options; the stage embeds each
   space of [tsne] spaces on the evaluation rows. Collective. */
struct lt_tsne_opts;
lt_status lt_tsne_opts_from_config(const lt_config *cfg, struct lt_tsne_opts *o);
lt_status lt_stage_tsne(lt_run *r);

#endif
