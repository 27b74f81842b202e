/* The end of a run: metrics.json, the results folder, the comparison table.
 *
 * - lt_metrics: a JSON document built by dotted paths ("pca.mse.train"),
 *   so callers never see cJSON. Non-finite numbers are written as null.
 * - lt_results: the results folder, written under "<dir>.partial-<unique>"
 *   and renamed into place only when the run succeeded, so a failed run never
 *   leaves a folder that looks complete.
 * - lt_table: the PCA vs autoencoder table printed at the end of a run.
 * Figures, sampling and histograms are in lt_plot.h. */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "lt_comm.h"
#include "lt_error.h"
#include "lt_timer.h"

/* ---- metrics.json -------------------------------------------------------- */

typedef struct lt_metrics lt_metrics;

/* Empty document. Not collective. */
lt_status lt_metrics_create(lt_metrics **out);
void lt_metrics_destroy(lt_metrics **m);

/* Setters: `path` is a dotted key ("pca.reconstruction_mse.train"); missing
 * objects along it are created, an existing leaf is replaced. LT_ERR_ARG if a
 * segment is empty or an intermediate key holds a non-object. Keys cannot
 * contain '.'. NaN and +-Inf are stored as null. Not collective. */
lt_status lt_metrics_set_number(lt_metrics *m, const char *path, double v);
lt_status lt_metrics_set_string(lt_metrics *m, const char *path, const char *s);
lt_status lt_metrics_set_bool(lt_metrics *m, const char *path, int v);
lt_status lt_metrics_set_array_d(lt_metrics *m, const char *path, const double *v, int64_t n);
lt_status lt_metrics_set_array_i64(lt_metrics *m, const char *path, const int64_t *v,
                                   int64_t n);

/* Per-event time over ranks (stages and kernel events, lt_timer.h). Events
 * still running count up to now (so the report stage is included while it
 * runs). Collective. */
typedef struct lt_timing_summary {
    int nranks;
    double wall_max[LT_EV_COUNT], wall_min[LT_EV_COUNT], wall_avg[LT_EV_COUNT];
    double comm_max[LT_EV_COUNT];     /* time inside MPI, slowest rank */
    int64_t bytes_total[LT_EV_COUNT]; /* bytes communicated, summed over ranks */
    double flops_total[LT_EV_COUNT];  /* floating-point operations, summed over ranks */
    int64_t count_max[LT_EV_COUNT];   /* times begun, largest over ranks */
    double total_wall_max;            /* max over ranks of the sum of stages */
} lt_timing_summary;
lt_status lt_timing_reduce(lt_comm *c, const lt_timer *t, lt_timing_summary *out);

/* Stores lt_timing_reduce's result under "timings": {"ranks", "total_wall_max",
 * "stages": {"<stage>": {"count", "wall_max", "wall_min", "wall_avg",
 * "comm_max", "bytes_total"}}, "events": {"<event>": {the same fields and
 * "flops_total", "gflops" (flops_total / wall_max)}}}; stages and events that
 * never ran are left out. Collective; the status is agreed. */
lt_status lt_metrics_set_timings(lt_metrics *m, const lt_timer *t, lt_comm *c);

/* The event table as PETSc's -log_view prints it: one line per stage and
 * event that ran, count, max time, max/min ratio, share of the total, time in
 * MPI, bytes and GFLOP/s. Not collective (rank 0 prints a reduced summary). */
lt_status lt_timing_print(const lt_timing_summary *ts, FILE *out);

/* Collective. Rank 0 writes the document (pretty-printed) to a temporary name
 * beside `path` and renames it; LT_ERR_IO (agreed) if the folder is missing
 * or unwritable or the disk is full. Other ranks' documents are ignored. */
lt_status lt_metrics_write(lt_comm *c, const lt_metrics *m, const char *path);

/* Reads a metrics file (any JSON object). Not collective. LT_ERR_IO if
 * unreadable, LT_ERR_FORMAT if not a JSON object. */
lt_status lt_metrics_read(const char *path, lt_metrics **out);
/* Getters for tests and tools. Not collective. get_number: LT_ERR_ARG if the
 * path is missing or not a number; null reads as NaN. get_string: the pointer
 * lives as long as m. get_array_d: *v is allocated (free() it), nulls as NaN. */
lt_status lt_metrics_get_number(const lt_metrics *m, const char *path, double *v);
lt_status lt_metrics_get_string(const lt_metrics *m, const char *path, const char **s);
lt_status lt_metrics_get_array_d(const lt_metrics *m, const char *path, double **v,
                                 int64_t *n);
/* 1 if the path exists (any type), else 0. Not collective. */
int lt_metrics_has(const lt_metrics *m, const char *path);

/* ---- results folder ------------------------------------------------------ */

typedef struct lt_results lt_results;

/* Collective. Checks `final_dir` and creates "<final_dir>.partial-<unique>"
 * (rank 0 creates, parents included; the result is agreed and broadcast).
 * LT_ERR_IO if final_dir exists and `force` is 0, if it exists and is not a
 * folder, or if the partial folder cannot be created (unwritable parent):
 * call it before any expensive work so such errors come first. */
lt_status lt_results_begin(lt_comm *c, const char *final_dir, int force, lt_results **out);
/* The folder files are written to now (the partial one) and the final name. */
const char *lt_results_dir(const lt_results *r);
const char *lt_results_final(const lt_results *r);
/* Writes "<partial dir>/<rel>" into buf and creates the folders along `rel`
 * ("figures/scatter.png" creates figures/). Not collective: call it on every
 * rank that will open the file (rank 0 at least, before collective I/O).
 * LT_ERR_ARG if rel is absolute or contains "..", or buf is too small. */
lt_status lt_results_path(const lt_results *r, const char *rel, char *buf, size_t cap);
/* Collective. Agrees `local` first: if any rank failed, nothing is renamed
 * and that status is returned (*r stays valid: call lt_results_abort).
 * Otherwise rank 0 renames the partial folder to the final name; with force,
 * an existing final folder is first moved aside and removed only after the
 * rename succeeded (it is moved back if the rename fails). On success *r is
 * freed and set to NULL. */
lt_status lt_results_commit(lt_comm *c, lt_status local, lt_results **r);
/* Collective. Removes the partial folder and frees *r (NULL is accepted).
 * Leaves the current error record untouched, so it can be called on error
 * paths. */
void lt_results_abort(lt_comm *c, lt_results **r);
/* Collective. Removes the "<final_dir>.partial-*" folders that runs killed
 * outright (SIGKILL, a lost node: nobody left to call lt_results_abort) left
 * behind; for `latent run --resume`, whose interrupted run is over. Rank 0
 * does the work; *removed (may be NULL) gets the count on every rank. */
lt_status lt_results_remove_leftovers(lt_comm *c, const char *final_dir, int *removed);

/* ---- comparison table ---------------------------------------------------- */

typedef struct lt_table lt_table;

/* Two value columns (e.g. "PCA", "autoencoder"). Not collective. */
lt_status lt_table_create(const char *title, const char *col_a, const char *col_b,
                          lt_table **out);
void lt_table_destroy(lt_table **t);
/* One row; NaN prints as "-". `note` (may be NULL) says e.g. which silhouette
 * mode a number is. Not collective. */
lt_status lt_table_add(lt_table *t, const char *metric, double a, double b, const char *note);
/* A full-width heading row ("time per stage (s)"). Not collective. */
lt_status lt_table_add_section(lt_table *t, const char *heading);
/* Aligned columns. Not collective: the caller prints on rank 0 only.
 * LT_ERR_IO if writing fails. */
lt_status lt_table_print(const lt_table *t, FILE *f);
/* A number as the table prints it (NaN -> "-"). Not collective. */
void lt_table_format(double v, char *buf, size_t cap);

#endif
