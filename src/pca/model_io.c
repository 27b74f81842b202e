/* PCA models in HDF5 (the convention of lt_h5.h). Rank 0 does the file work
 * (a model is O(k d)) and broadcasts; the writer goes through lt_io's
 * temp-then-rename commit. */
#include "pca_impl.h"
#include "latent/lt_io.h"

#include "latent/lt_h5.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define LT_PCA_FORMAT "latent-pca"
/* 1: `version` attribute and fixed-length strings (before the convention);
 * 2: the convention of docs/formats.md. Both load. */
#define LT_PCA_FORMAT_VERSION 2

static lt_status write_model(lt_h5 *f, const void *ctx)
{
    const lt_pca *p = ctx;
    int64_t k = p->n_components, d = p->n_features, kd[2] = {k, d};
    LT_CALL(lt_h5_write_format(f, LT_PCA_FORMAT, LT_PCA_FORMAT_VERSION));
    LT_CALL(lt_h5_write_attr_int(f, NULL, "n_samples", p->n_samples));
    LT_CALL(lt_h5_write_attr_int(f, NULL, "n_features", p->n_features));
    LT_CALL(lt_h5_write_attr_int(f, NULL, "n_components", p->n_components));
    LT_CALL(lt_h5_write_attr_double(f, NULL, "total_variance", p->total_variance));
    LT_CALL(lt_h5_write_attr_str(f, NULL, "method", lt_pca_method_name(p->info.method)));
    LT_CALL(lt_h5_write_double(f, "mean", 1, &d, p->mean));
    LT_CALL(lt_h5_write_double(f, "components", 2, kd, p->components));
    LT_CALL(lt_h5_write_double(f, "explained_variance", 1, &k, p->explained_variance));
    LT_CALL(lt_h5_write_double(f, "explained_variance_ratio", 1, &k, p->explained_variance_ratio));
    LT_CALL(lt_h5_write_double(f, "singular_values", 1, &k, p->singular_values));
    return LT_OK;
}

lt_status lt_pca_save(lt_comm *c, const lt_pca *p, const char *path)
{
    return lt_h5_save(c, path, write_model, p);
}

/* Reads a dataset of exactly the expected shape and checks its values are finite. */
static lt_status get_array(lt_h5 *f, const char *path, const char *name, int ndim,
                           const int64_t *dims, double *v)
{
    LT_CALL(lt_h5_read_double(f, name, ndim, dims, v));
    int64_t n = ndim == 1 ? dims[0] : dims[0] * dims[1];
    for (int64_t i = 0; i < n; i++)
        LT_CHECK(isfinite(v[i]), LT_ERR_FORMAT, "%s: PCA model dataset '%s' holds a non-finite value",
                 path, name);
    return LT_OK;
}

typedef struct { int64_t n, d, k; double total; } header;

static lt_status read_header(lt_h5 *f, const char *path, header *h)
{
    int version;
    LT_CALL(lt_h5_check_format(f, LT_PCA_FORMAT, LT_PCA_FORMAT_VERSION, &version));
    LT_CALL(lt_h5_read_attr_int(f, NULL, "n_samples", &h->n));
    LT_CALL(lt_h5_read_attr_int(f, NULL, "n_features", &h->d));
    LT_CALL(lt_h5_read_attr_int(f, NULL, "n_components", &h->k));
    LT_CALL(lt_h5_read_attr_double(f, NULL, "total_variance", &h->total));
    LT_CHECK(h->d >= 1 && h->k >= 1 && h->k <= h->d && h->n >= 2 && h->d < ((int64_t)1 << 31) &&
                 h->total > 0 && isfinite(h->total),
             LT_ERR_FORMAT,
             "%s: inconsistent PCA model shape (n_samples %lld, n_features %lld, n_components "
             "%lld, total_variance %g)",
             path, (long long)h->n, (long long)h->d, (long long)h->k, h->total);
    return LT_OK;
}

static lt_status read_arrays(lt_h5 *f, const char *path, lt_pca *p)
{
    int64_t k = p->n_components, d = p->n_features, kd[2] = {k, d};
    LT_CALL(get_array(f, path, "mean", 1, &d, p->mean));
    LT_CALL(get_array(f, path, "components", 2, kd, p->components));
    LT_CALL(get_array(f, path, "explained_variance", 1, &k, p->explained_variance));
    LT_CALL(get_array(f, path, "explained_variance_ratio", 1, &k, p->explained_variance_ratio));
    LT_CALL(get_array(f, path, "singular_values", 1, &k, p->singular_values));
    return LT_OK;
}

/* Rank 0 only: the whole model, or an error. */
static lt_status read_model(const char *path, lt_pca **out)
{
    *out = NULL;
    lt_h5 *f = NULL;
    LT_CALL(lt_h5_open(path, &f));
    header h;
    lt_status st = read_header(f, path, &h);
    /* The header's shape is outside data: k x d doubles the file cannot hold
     * would be allocated before the arrays are read (16 GB for a few kB,
     * found by fuzz_pca). Compression ratios stay far below 10^4. */
    struct stat sb;
    double want = 8.0 * (double)h.k * (double)h.d, have = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
    if (st == LT_OK && want > (double)(1 << 20) && want > 1e4 * have)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: PCA model header claims %lld components of %lld features (%.3g "
                            "bytes), more than the file (%.0f bytes) can hold",
                            path, (long long)h.k, (long long)h.d, want, have);
    if (st == LT_OK) st = lt_pca_alloc(h.d, h.k, out);
    if (st == LT_OK) {
        (*out)->n_samples = h.n;
        (*out)->total_variance = h.total;
        st = read_arrays(f, path, *out);
    }
    lt_h5_close(&f); /* read-only: nothing to flush */
    if (st != LT_OK) lt_pca_destroy(out);
    return st;
}

static lt_status bcast_model(lt_comm *c, lt_pca **p)
{
    header h = {0, 0, 0, 0};
    if (lt_comm_rank(c) == 0) h = (header){(*p)->n_samples, (*p)->n_features, (*p)->n_components,
                                   (*p)->total_variance};
    LT_CALL(lt_comm_bcast(c, &h, sizeof h, 0));
    lt_status st = lt_comm_rank(c) == 0 ? LT_OK : lt_pca_alloc(h.d, h.k, p);
    LT_CALL(lt_comm_agree(c, st));
    lt_pca *m = *p;
    m->n_samples = h.n;
    m->total_variance = h.total;
    LT_CALL(lt_comm_bcast(c, m->mean, 8 * h.d, 0));
    LT_CALL(lt_comm_bcast(c, m->components, 8 * h.k * h.d, 0));
    LT_CALL(lt_comm_bcast(c, m->explained_variance, 8 * h.k, 0));
    LT_CALL(lt_comm_bcast(c, m->explained_variance_ratio, 8 * h.k, 0));
    LT_CALL(lt_comm_bcast(c, m->singular_values, 8 * h.k, 0));
    return LT_OK;
}

lt_status lt_pca_load(lt_comm *c, const char *path, lt_pca **out)
{
    *out = NULL;
    lt_pca *p = NULL;
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0) st = read_model(path, &p);
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = bcast_model(c, &p);
    if (st != LT_OK) {
        lt_pca_destroy(&p);
        return st;
    }
    p->info.method = LT_PCA_AUTO; /* unknown: not fitted in this run */
    snprintf(p->info.reason, sizeof p->info.reason, "loaded from %s", path);
    *out = p;
    return LT_OK;
}
