/* What the single-stage commands (pca, train, encode, decode, kmeans, score)
 * share: deck + data loading, the results folder, metrics.json and writers. */
#ifndef LT_CMD_H
#define LT_CMD_H

#include "cli.h"
#include "latent/lt_report.h"

typedef struct lt_cmd {
    lt_cli *cli;
    lt_comm *c;
    const char *name;       /* "pca", ... */
    lt_config cfg;
    lt_results *res;
    lt_metrics *m;
    lt_dataset *train, *test; /* the deck's data, split and scaled */
} lt_cmd;

/* needs: flags that must be given; ALL_ROWS switches the deck's split off
 * (every row in file order lands in train). */
enum { LT_CMD_NEEDS_MODEL = 1, LT_CMD_NEEDS_LABELS = 2, LT_CMD_ALL_ROWS = 4 };

/* Loads the deck, checks the flags `needs` asks for, opens the results
 * folder (before any work, so an existing folder fails first), then loads
 * and preprocesses the data. On failure everything is released. Collective. */
lt_status lt_cmd_begin(lt_cli *cli, const char *name, int needs, lt_cmd *x);
/* Writes metrics.json (with the common fields) when st is LT_OK, commits or
 * removes the results folder, prints where the results are, and frees x.
 * Returns the agreed outcome. Collective. */
lt_status lt_cmd_end(lt_cmd *x, lt_status st);

/* <results>/<rel> as float32 .npy; labels (if every rank has them) beside it
 * as <stem>_labels.npy. Collective. */
lt_status lt_cmd_write(lt_cmd *x, const char *rel, const lt_dataset *ds, int with_labels);
/* int32 .npy of `labels` (ds->nloc entries, rows of ds). Collective. */
lt_status lt_cmd_write_labels(lt_cmd *x, const char *rel, const lt_dataset *ds, int32_t *labels);
/* Full path of <results>/<rel>; creates the folders along rel. Collective (agreed). */
lt_status lt_cmd_path(lt_cmd *x, const char *rel, char *buf, size_t cap);
/* A d = 1 dataset holding v[0..ref->nloc) for the rows of ref. Collective. */
lt_status lt_cmd_column(lt_comm *c, const lt_dataset *ref, const double *v, lt_dataset **out);
/* 1 on every rank if every rank of ds has labels. Collective. */
lt_status lt_cmd_has_labels(lt_comm *c, const lt_dataset *ds, int *has);

#endif
