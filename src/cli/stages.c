/* The data-side stages shared by `run` and `generate`: they map deck keys onto
 * the options of the data modules. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "latent/lt_generate.h"
#include "latent/lt_io.h"
#include "latent/lt_log.h"
#include "latent/lt_preprocess.h"

static lt_status load_blobs(lt_comm *c, const lt_cfg_data *d, lt_dataset **out)
{
    double *centers = NULL, *stds = NULL;
    int k = 0;
    lt_status st = lt_blobs_parse_centers(d->centers, d->n_features, &k, &centers);
    if (st == LT_OK) st = lt_blobs_parse_std(d->cluster_std, k, &stds);
    st = lt_comm_agree(c, st); /* the parsers allocate: one rank can fail */
    if (st == LT_OK) {
        lt_blobs_opts o = {.n_samples = d->n_samples, .n_features = d->n_features, .n_centers = k,
                           .centers = centers, .cluster_std = stds, .box_lo = d->center_box_lo,
                           .box_hi = d->center_box_hi, .noise_features = d->noise_features,
                           .seed = d->seed};
        st = lt_generate_blobs(c, &o, out);
    }
    free(centers);
    free(stds);
    return st;
}

static char separator(const char *name)
{
    if (!strcmp(name, "comma")) return ',';
    if (!strcmp(name, "tab")) return '\t';
    if (!strcmp(name, "semicolon")) return ';';
    if (!strcmp(name, "space")) return ' ';
    return 0;
}

static lt_status load_file(lt_comm *c, const lt_cfg_data *d, lt_dataset **out)
{
    lt_read_opts o;
    lt_read_opts_default(&o);
    o.allow_nonfinite = d->allow_nonfinite;
    o.csv_header = !strcmp(d->csv_header, "auto") ? -1 : !strcmp(d->csv_header, "yes");
    o.csv_label_column = (int)d->csv_label_column;
    o.csv_separator = separator(d->csv_separator);
    o.h5_dataset = d->dataset;
    o.h5_labels = d->labels_dataset[0] ? d->labels_dataset : NULL;
    const char *labels = d->labels_path[0] ? d->labels_path : NULL;
    if (!strcmp(d->source, "npy")) {
        LT_CALL(lt_npy_read(c, d->path, &o, out));
        if (labels) {
            lt_status st = lt_npy_read_labels(c, labels, *out);
            if (st != LT_OK) lt_dataset_destroy(out);
            return st;
        }
        return LT_OK;
    }
    if (!strcmp(d->source, "csv")) return lt_csv_read(c, d->path, &o, out);
    if (!strcmp(d->source, "idx")) return lt_idx_read(c, d->path, labels, &o, out);
    if (!strcmp(d->source, "hdf5")) return lt_h5_read(c, d->path, &o, out);
    LT_FAIL(LT_ERR_CONFIG, "[data] source = '%s' is not a file format", d->source);
}

lt_status lt_stage_load(lt_comm *c, const lt_config *cfg, lt_dataset **out)
{
    const lt_cfg_data *d = &cfg->data;
    if (!strcmp(d->source, "blobs")) return load_blobs(c, d, out);
    if (lt_source_is_sc(d->source)) return lt_stage_load_sc(c, cfg, out, NULL);
    if (!strcmp(d->source, "uniform"))
        return lt_generate_uniform(c, d->n_samples, d->n_features, d->seed, out);
    return load_file(c, d, out);
}

static lt_scaler_kind scaler_kind(const char *name)
{
    if (!strcmp(name, "minmax")) return LT_SCALER_MINMAX;
    if (!strcmp(name, "standard")) return LT_SCALER_STANDARD;
    return LT_SCALER_NONE;
}

/* [data] test_path: the test rows from their own file, read like `path`. */
static lt_status load_test_file(lt_comm *c, const lt_config *cfg, int64_t d, lt_dataset **out)
{
    const lt_cfg_data *d0 = &cfg->data;
    LT_CHECK(strcmp(d0->source, "npy") == 0 || strcmp(d0->source, "csv") == 0 ||
                 strcmp(d0->source, "idx") == 0 || strcmp(d0->source, "hdf5") == 0,
             LT_ERR_CONFIG, "[data] test_path applies to file sources (npy, csv, idx, hdf5), not '%s'",
             d0->source);
    lt_cfg_data t = *d0;
    snprintf(t.path, sizeof t.path, "%s", d0->test_path);
    snprintf(t.labels_path, sizeof t.labels_path, "%s", d0->test_labels_path);
    LT_CALL(load_file(c, &t, out));
    if ((*out)->d != d) {
        int64_t got = (*out)->d;
        lt_dataset_destroy(out);
        LT_FAIL(LT_ERR_DATA, "[data] test_path %s has %lld columns but path %s has %lld",
                d0->test_path, (long long)got, d0->path, (long long)d);
    }
    return LT_OK;
}

lt_status lt_stage_preprocess(lt_comm *c, const lt_config *cfg, lt_dataset **all, lt_dataset **train,
                              lt_dataset **test)
{
    const lt_cfg_preprocess *p = &cfg->preprocess;
    if (cfg->data.test_path[0]) {
        LT_CALL(load_test_file(c, cfg, (*all)->d, test));
        *train = *all; /* every row of path trains, in file order */
        *all = NULL;
    } else if (p->test_fraction == 0 && *all && (*all)->n >= 1) { /* n = 0: lt_split says why */
        /* No test rows: the rows train where they are. lt_split would move
           each to the same place through a full copy, doubling the peak
           memory (1,000,000 x 2,000 on 2 ranks: 7.9 GB a rank, not 4). */
        LT_CALL(lt_dataset_create(c, 0, (*all)->d, (*all)->y != NULL, test));
        *train = *all;
        *all = NULL;
    } else {
        LT_CALL(lt_split(c, *all, p->test_fraction, p->split_seed, train, test));
        lt_dataset_destroy(all);
    }
    lt_scaler_kind kind = scaler_kind(p->scaler);
    if (kind == LT_SCALER_NONE) return LT_OK;
    lt_scaler *s = NULL;
    LT_CALL(lt_scaler_fit(c, kind, p->feature_min, p->feature_max, *train, &s));
    lt_status st = lt_scaler_apply(s, *train);
    if (st == LT_OK) st = lt_scaler_apply(s, *test);
    lt_scaler_destroy(&s);
    return lt_comm_agree(c, st);
}

lt_status lt_stage_write(lt_comm *c, const lt_config *cfg, const char *dir, const char *stem,
                         const lt_dataset *ds)
{
    char path[LT_PATH_MAX + 256];
    const char *fmt = cfg->output.format;
    if (!strcmp(fmt, "csv")) {
        snprintf(path, sizeof path, "%s/%s.csv", dir, stem);
        return lt_csv_write(c, path, ds);
    }
    if (!strcmp(fmt, "hdf5") || !strcmp(fmt, "h5ad")) {
        snprintf(path, sizeof path, "%s/%s.h5", dir, stem);
        return lt_h5_write(c, path, "X", ds->y ? "y" : NULL, ds);
    }
    snprintf(path, sizeof path, "%s/%s.npy", dir, stem);
    LT_CALL(lt_npy_write(c, path, ds));
    int64_t has = ds->y != NULL;
    LT_CALL(lt_comm_max_i64(c, &has, 1));
    if (!has) return LT_OK;
    snprintf(path, sizeof path, "%s/%s_labels.npy", dir, stem);
    return lt_npy_write_labels(c, path, ds);
}

lt_status lt_print_summary(lt_comm *c, const char *title, const lt_dataset *ds, int max_cols)
{
    lt_colstats *s = NULL;
    LT_CALL(lt_colstats_compute(c, ds, &s));
    int64_t *counts = NULL;
    int nlab = 0;
    uint64_t sum = 0;
    lt_status st = lt_label_counts(c, ds, &counts, &nlab);
    if (st == LT_OK) st = lt_dataset_checksum(c, ds, &sum);
    if (st == LT_OK && lt_comm_rank(c) == 0) {
        printf("%s: %lld rows x %lld columns, float32, %d ranks (up to %lld rows each)\n", title,
               (long long)ds->n, (long long)ds->d, lt_comm_size(c),
               (long long)((ds->n + lt_comm_size(c) - 1) / lt_comm_size(c)));
        printf("  %8s %12s %12s %12s %12s\n", "column", "min", "max", "mean", "std");
        for (int64_t j = 0; j < ds->d && j < max_cols; j++)
            printf("  %8lld %12.6g %12.6g %12.6g %12.6g\n", (long long)j, s->min[j], s->max[j],
                   s->mean[j], s->std[j]);
        if (ds->d > max_cols) printf("  ... %lld more columns\n", (long long)(ds->d - max_cols));
        if (nlab > 0) {
            printf("  labels:");
            for (int l = 0; l < nlab; l++)
                if (counts[l]) printf(" %d:%lld", l, (long long)counts[l]);
            printf("\n");
        }
        printf("  checksum: %016llx (independent of the rank count)\n", (unsigned long long)sum);
        fflush(stdout);
    }
    free(counts);
    lt_colstats_destroy(&s);
    return st;
}
