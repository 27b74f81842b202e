/* `latent generate` and `latent info`. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "latent/lt_io.h"
#include "latent/lt_log.h"

/* mkdir -p on rank 0, agreed. */
lt_status lt_cli_mkdirs(lt_comm *c, const char *dir)
{
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0) {
        char buf[LT_PATH_MAX];
        snprintf(buf, sizeof buf, "%s", dir);
        for (char *p = buf + 1;; p++) {
            if (*p != '/' && *p) continue;
            char keep = *p;
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "cannot create folder '%s': %s",
                                    buf, strerror(errno));
                break;
            }
            if (!(*p = keep)) break;
        }
    }
    return lt_comm_agree(c, st);
}

lt_status lt_cmd_generate(lt_cli *cli)
{
    lt_config cfg;
    lt_comm *c = cli->comm;
    LT_CALL(lt_cli_setup(cli, &cfg));
    if (!strcmp(cfg.data.source, "counts")) { /* sparse counts: written as users have them */
        char path[LT_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/counts.h5ad", cfg.output.dir);
        LT_CALL(lt_cli_mkdirs(c, cfg.output.dir));
        return lt_stage_write_counts(c, &cfg, path);
    }
    lt_dataset *all = NULL, *train = NULL, *test = NULL;
    lt_timer_start(&cli->timer, LT_STAGE_DATA);
    LT_CALL(lt_stage_load(c, &cfg, &all));
    lt_timer_stop(&cli->timer, LT_STAGE_DATA);
    lt_status st = lt_print_summary(c, "dataset", all, 12);
    lt_timer_start(&cli->timer, LT_STAGE_PREPROCESS);
    if (st == LT_OK) st = lt_stage_preprocess(c, &cfg, &all, &train, &test);
    lt_timer_stop(&cli->timer, LT_STAGE_PREPROCESS);
    lt_timer_start(&cli->timer, LT_STAGE_REPORT);
    if (st == LT_OK) st = lt_cli_mkdirs(c, cfg.output.dir);
    if (st == LT_OK) st = lt_stage_write(c, &cfg, cfg.output.dir, "train", train);
    if (st == LT_OK) st = lt_stage_write(c, &cfg, cfg.output.dir, "test", test);
    lt_timer_stop(&cli->timer, LT_STAGE_REPORT);
    if (st == LT_OK) st = lt_print_summary(c, "train (scaled)", train, 12);
    if (st == LT_OK) st = lt_print_summary(c, "test (scaled)", test, 12);
    if (st == LT_OK) lt_log(c, "\nwrote %s/train.* and %s/test.* (%s)\n", cfg.output.dir, cfg.output.dir, cfg.output.format);
    lt_dataset_destroy(&all);
    lt_dataset_destroy(&train);
    lt_dataset_destroy(&test);
    return st;
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
