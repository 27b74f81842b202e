/* The command-line layer: the only place that prints for the user and exits. */
#ifndef LT_CLI_H
#define LT_CLI_H

#include <signal.h>

#include "latent/lt_comm.h"
#include "latent/lt_config.h"
#include "latent/lt_dataset.h"
#include "latent/lt_timer.h"

typedef struct lt_cli {
    lt_comm *comm;
    lt_timer timer;
    int argc;
    char **argv;
    const char *deck;  /* first positional argument after the command, or NULL */
    const char *model; /* --model FILE, or NULL */
    const char *labels; /* --labels FILE, or NULL */
    int force, resume;
    int log_view; /* --log-view: print the event table after the command */
    volatile sig_atomic_t *stop; /* set by SIGTERM/SIGUSR1: checkpoint and stop training */
} lt_cli;

typedef struct lt_command {
    const char *name;
    lt_status (*run)(lt_cli *cli);
    const char *usage;
    const char *help;
} lt_command;

lt_status lt_cmd_run(lt_cli *cli);
lt_status lt_cmd_generate(lt_cli *cli);
lt_status lt_cmd_info(lt_cli *cli);
/* latent compare DIR_A DIR_B ... (cmd_compare.c). */
lt_status lt_cmd_compare(lt_cli *cli);
/* Single-stage commands (cmd_models.c). */
lt_status lt_cmd_pca(lt_cli *cli);
lt_status lt_cmd_train(lt_cli *cli);
lt_status lt_cmd_encode(lt_cli *cli);
lt_status lt_cmd_decode(lt_cli *cli);
lt_status lt_cmd_kmeans(lt_cli *cli);
lt_status lt_cmd_score(lt_cli *cli);
/* `latent tsne` (stage_tsne.c). */
lt_status lt_cmd_tsne(lt_cli *cli);

/* Loads the deck (with overrides) and prints the banner on rank 0. Collective. */
lt_status lt_cli_setup(lt_cli *cli, lt_config *cfg);
/* Versions of latent and of the libraries in use; returns the count. Not collective. */
typedef struct {
    const char *name, *version;
} lt_version;
int lt_cli_versions(lt_version *v, int cap);
/* Prints library versions and rank count (rank 0). */
void lt_cli_print_versions(const lt_comm *c, FILE *f);

/* Data stage: generate or read the dataset named by [data]. Collective. */
lt_status lt_stage_load(lt_comm *c, const lt_config *cfg, lt_dataset **out);
/* Single-cell sources (stage_sc.c): counts read, scanpy's recipe run, the
 * dense selected genes returned; *keep (if keep != NULL) holds what the
 * .h5ad write-back needs. Collective. */
typedef struct lt_sc_state lt_sc_state;
int lt_source_is_sc(const char *source);
lt_status lt_stage_load_sc(lt_comm *c, const lt_config *cfg, lt_dataset **out, lt_sc_state **keep);
void lt_sc_state_destroy(lt_sc_state **s);
/* The synthetic counts of [data] source = counts. Collective. */
struct lt_scdata;
lt_status lt_stage_generate_counts(lt_comm *c, const lt_cfg_data *d, struct lt_scdata **out);
/* `latent generate` for source = counts: the raw counts as PATH (.h5ad). */
lt_status lt_stage_write_counts(lt_comm *c, const lt_config *cfg, const char *path);
/* What the recipe kept (NULL for other sources). */
struct lt_scdata *lt_sc_state_data(lt_sc_state *s);
struct lt_scprep_info *lt_sc_state_info(lt_sc_state *s);
/* Preprocess stage: split, fit the scaler on train, apply to both. Collective. */
lt_status lt_stage_preprocess(lt_comm *c, const lt_config *cfg, lt_dataset **all, lt_dataset **train,
                              lt_dataset **test);
/* Writes ds to <dir>/<stem>.<format> ([output] format). Collective. */
lt_status lt_stage_write(lt_comm *c, const lt_config *cfg, const char *dir, const char *stem,
                         const lt_dataset *ds);
/* Prints shape, per-column statistics and label counts (rank 0). Collective. */
lt_status lt_print_summary(lt_comm *c, const char *title, const lt_dataset *ds, int max_cols);
/* Every effective deck value into metrics.json as "config.<section>.<key>"
 * (strings). Local: the setters allocate, so the caller agrees. */
struct lt_metrics;
lt_status lt_cli_put_config(struct lt_metrics *m, const lt_config *cfg);
/* Logs "<what>: reconstruction MSE train X, test Y" (rank 0); a NaN test MSE
   means there were no test rows and is printed as such, not as "nan". */
void lt_log_mse(const lt_comm *c, const char *what, double train, double test);

#endif
