/* `latent generate` and `latent info`. */
#include <string.h>

#include "cli.h"
#include "latent/lt_io.h"
#include "latent/lt_log.h"
#include "latent/lt_report.h"

/* The data sets of `latent generate`, written into the results folder dir. */
static lt_status generate_into(lt_cli *cli, const lt_config *cfg, const char *dir)
{
    lt_comm *c = cli->comm;
    if (!strcmp(cfg->data.source, "counts")) { /* sparse counts: written as users have them */
        char path[LT_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/counts.h5ad", dir);
        return lt_stage_write_counts(c, cfg, path);
    }
    lt_dataset *all = NULL, *train = NULL, *test = NULL;
    lt_timer_start(&cli->timer, LT_STAGE_DATA);
    LT_CALL(lt_stage_load(c, cfg, &all));
    lt_timer_stop(&cli->timer, LT_STAGE_DATA);
    lt_status st = lt_print_summary(c, "dataset", all, 12);
    lt_timer_start(&cli->timer, LT_STAGE_PREPROCESS);
    if (st == LT_OK) st = lt_stage_preprocess(c, cfg, &all, &train, &test);
    lt_timer_stop(&cli->timer, LT_STAGE_PREPROCESS);
    lt_timer_start(&cli->timer, LT_STAGE_REPORT);
    if (st == LT_OK) st = lt_stage_write(c, cfg, dir, "train", train);
    if (st == LT_OK) st = lt_stage_write(c, cfg, dir, "test", test);
    lt_timer_stop(&cli->timer, LT_STAGE_REPORT);
    if (st == LT_OK) st = lt_print_summary(c, "train (scaled)", train, 12);
    if (st == LT_OK) st = lt_print_summary(c, "test (scaled)", test, 12);
    lt_dataset_destroy(&all);
    lt_dataset_destroy(&train);
    lt_dataset_destroy(&test);
    return st;
}

/* Written like every results folder (lt_results_begin): into
 * <dir>.partial-*, renamed to [output] dir only when complete, so a failed
 * run leaves no half-written data set; an existing folder needs --force. */
lt_status lt_cmd_generate(lt_cli *cli)
{
    lt_config cfg;
    lt_comm *c = cli->comm;
    LT_CALL(lt_cli_setup(cli, &cfg));
    lt_results *res = NULL;
    LT_CALL(lt_results_begin(c, cfg.output.dir, cfg.output.force, &res));
    lt_status st = generate_into(cli, &cfg, lt_results_dir(res));
    st = lt_results_commit(c, st, &res);
    if (st != LT_OK) {
        lt_results_abort(c, &res);
        return st;
    }
    if (!strcmp(cfg.data.source, "counts")) lt_log(c, "\nwrote %s/counts.h5ad\n", cfg.output.dir);
    else lt_log(c, "\nwrote %s/train.* and %s/test.* (%s)\n", cfg.output.dir, cfg.output.dir, cfg.output.format);
    return LT_OK;
}

/* How the values are stored in the file, for `latent info` (rank 0 only). */
static void stored_dtype(const char *path, char *out, size_t cap)
{
    const char *ext = strrchr(path, '.');
    snprintf(out, cap, "%s", "text (CSV)");
    if (strstr(path, "idx") || strstr(path, "ubyte")) snprintf(out, cap, "uint8 (IDX, scaled to [0, 1])");
    else if (ext && (!strcmp(ext, ".h5") || !strcmp(ext, ".hdf5"))) snprintf(out, cap, "HDF5 (converted to float32)");
    else if (ext && !strcmp(ext, ".npy")) {
        char head[512] = "";
        FILE *f = fopen(path, "rb");
        size_t got = f ? fread(head, 1, sizeof head - 1, f) : 0;
        if (f) fclose(f);
        head[got] = '\0';
        for (size_t i = 0; i < got; i++)
            if (!head[i]) head[i] = ' ';
        const char *d = strstr(head, "'descr':");
        char descr[16] = "?";
        if (d && sscanf(d, "'descr': '%15[^']'", descr) == 1) snprintf(out, cap, "%s (NumPy)", descr);
    }
}

lt_status lt_cmd_info(lt_cli *cli)
{
    lt_comm *c = cli->comm;
    LT_CHECK(cli->deck, LT_ERR_ARG, "usage: latent info FILE");
    lt_config cfg;
    LT_CALL(lt_config_load(c, NULL, cli->argc, cli->argv, &cfg));
    lt_read_opts o;
    lt_read_opts_default(&o);
    o.allow_nonfinite = 1; /* info describes files; it does not judge them */
    o.h5_dataset = cfg.data.dataset;
    o.h5_labels = cfg.data.labels_dataset[0] ? cfg.data.labels_dataset : NULL;
    lt_dataset *ds = NULL;
    LT_CALL(lt_read_any(c, cli->deck, cfg.data.labels_path[0] ? cfg.data.labels_path : NULL, &o, &ds));
    char dtype[64];
    if (lt_comm_rank(c) == 0) stored_dtype(cli->deck, dtype, sizeof dtype);
    lt_log(c, "file: %s\nstored as: %s\n", cli->deck, dtype);
    lt_status st = lt_print_summary(c, "data", ds, 1 << 30);
    lt_dataset_destroy(&ds);
    return st;
}
