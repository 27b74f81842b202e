/* PCA models in HDF5. Rank 0 does the file work (a model is O(k d)) and
 * broadcasts; the writer goes through lt_io's temp-then-rename commit. */
#include "pca_impl.h"
#include "latent/lt_io.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LT_PCA_FORMAT "latent-pca"
#define LT_PCA_VERSION 1

static int put_attr(hid_t f, const char *name, hid_t type, const void *v)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
    int ok = s >= 0 && a >= 0 && H5Awrite(a, type, v) >= 0;
    if (a >= 0) H5Aclose(a);
    if (s >= 0) H5Sclose(s);
    return ok;
}

static int put_str(hid_t f, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    int ok = t >= 0 && H5Tset_size(t, strlen(v) + 1) >= 0 && put_attr(f, name, t, v);
    if (t >= 0) H5Tclose(t);
    return ok;
}

static int put_array(hid_t f, const char *name, int rank, hsize_t d0, hsize_t d1, const double *v)
{
    hsize_t dims[2] = {d0, d1};
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5Dcreate2(f, name, H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = s >= 0 && ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    if (ds >= 0) H5Dclose(ds);
    if (s >= 0) H5Sclose(s);
    return ok;
}

static lt_status write_model(const lt_pca *p, const char *tmp, const char *path)
{
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    LT_CHECK(f >= 0, LT_ERR_IO, "%s: cannot create PCA model file", path);
    int version = LT_PCA_VERSION;
    hsize_t k = (hsize_t)p->n_components, d = (hsize_t)p->n_features;
    int ok = put_str(f, "format", LT_PCA_FORMAT) && put_attr(f, "version", H5T_NATIVE_INT, &version) &&
             put_attr(f, "n_samples", H5T_NATIVE_INT64, &p->n_samples) &&
             put_attr(f, "n_features", H5T_NATIVE_INT64, &p->n_features) &&
             put_attr(f, "n_components", H5T_NATIVE_INT64, &p->n_components) &&
             put_attr(f, "total_variance", H5T_NATIVE_DOUBLE, &p->total_variance) &&
             put_str(f, "method", lt_pca_method_name(p->info.method)) &&
             put_array(f, "mean", 1, d, 1, p->mean) &&
             put_array(f, "components", 2, k, d, p->components) &&
             put_array(f, "explained_variance", 1, k, 1, p->explained_variance) &&
             put_array(f, "explained_variance_ratio", 1, k, 1, p->explained_variance_ratio) &&
             put_array(f, "singular_values", 1, k, 1, p->singular_values);
    ok = H5Fclose(f) >= 0 && ok;
    LT_CHECK(ok, LT_ERR_IO, "%s: writing the PCA model failed (HDF5 error)", path);
    return LT_OK;
}

lt_status lt_pca_save(lt_comm *c, const lt_pca *p, const char *path)
{
    char tmp[4096];
    LT_CALL(lt_io_tmpname(c, path, tmp, sizeof tmp));
    lt_status st = LT_OK;
    if (lt_comm_rank(c) == 0) {
        H5E_auto2_t fn;
        void *data;
        H5Eget_auto2(H5E_DEFAULT, &fn, &data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the library does not print */
        st = write_model(p, tmp, path);
        H5Eset_auto2(H5E_DEFAULT, fn, data);
    }
    return lt_io_commit(c, st, tmp, path);
}

static lt_status get_attr(hid_t f, const char *path, const char *name, hid_t type, void *v)
{
    int ok = H5Aexists(f, name) > 0;
    hid_t a = ok ? H5Aopen(f, name, H5P_DEFAULT) : -1;
    ok = a >= 0 && H5Aread(a, type, v) >= 0;
    if (a >= 0) H5Aclose(a);
    LT_CHECK(ok, LT_ERR_FORMAT, "%s: not a latent PCA model (attribute '%s' missing or unreadable)",
             path, name);
    return LT_OK;
}

/* Reads a dataset of exactly the expected shape and checks its values are finite. */
static lt_status get_array(hid_t f, const char *path, const char *name, int rank, hsize_t d0,
                           hsize_t d1, double *v)
{
    hsize_t dims[2] = {0, 0};
    hid_t ds = H5Lexists(f, name, H5P_DEFAULT) > 0 ? H5Dopen2(f, name, H5P_DEFAULT) : -1;
    hid_t s = ds >= 0 ? H5Dget_space(ds) : -1;
    int r = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    if (r == rank) H5Sget_simple_extent_dims(s, dims, NULL);
    int shape_ok = r == rank && dims[0] == d0 && (rank == 1 || dims[1] == d1);
    int ok = shape_ok && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    if (s >= 0) H5Sclose(s);
    if (ds >= 0) H5Dclose(ds);
    LT_CHECK(ds >= 0, LT_ERR_FORMAT, "%s: PCA model has no dataset '%s'", path, name);
    LT_CHECK(shape_ok, LT_ERR_FORMAT,
             "%s: PCA model dataset '%s' has the wrong shape (rank %d, %llu x %llu; expected "
             "%llu x %llu from the file's attributes)",
             path, name, r, (unsigned long long)dims[0], (unsigned long long)dims[1],
             (unsigned long long)d0, (unsigned long long)(rank == 1 ? 0 : d1));
    LT_CHECK(ok, LT_ERR_FORMAT, "%s: cannot read PCA model dataset '%s'", path, name);
    for (hsize_t i = 0; i < d0 * (rank == 1 ? 1 : d1); i++)
        LT_CHECK(isfinite(v[i]), LT_ERR_FORMAT, "%s: PCA model dataset '%s' holds a non-finite value",
                 path, name);
    return LT_OK;
}

typedef struct { int64_t n, d, k; double total; } header;

static lt_status read_header(hid_t f, const char *path, header *h)
{
    char fmt[32] = "";
    int version = 0;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, sizeof fmt);
    lt_status st = get_attr(f, path, "format", t, fmt);
    H5Tclose(t);
    if (st != LT_OK) return st;
    LT_CHECK(strcmp(fmt, LT_PCA_FORMAT) == 0, LT_ERR_FORMAT,
             "%s: format attribute is '%s', not '" LT_PCA_FORMAT "'", path, fmt);
    LT_CALL(get_attr(f, path, "version", H5T_NATIVE_INT, &version));
    LT_CHECK(version == LT_PCA_VERSION, LT_ERR_FORMAT,
             "%s: PCA model version %d, this latent reads version %d", path, version,
             LT_PCA_VERSION);
    LT_CALL(get_attr(f, path, "n_samples", H5T_NATIVE_INT64, &h->n));
    LT_CALL(get_attr(f, path, "n_features", H5T_NATIVE_INT64, &h->d));
    LT_CALL(get_attr(f, path, "n_components", H5T_NATIVE_INT64, &h->k));
    LT_CALL(get_attr(f, path, "total_variance", H5T_NATIVE_DOUBLE, &h->total));
    LT_CHECK(h->d >= 1 && h->k >= 1 && h->k <= h->d && h->n >= 2 && h->d < ((int64_t)1 << 31) &&
                 h->total > 0,
             LT_ERR_FORMAT,
             "%s: inconsistent PCA model shape (n_samples %lld, n_features %lld, n_components "
             "%lld, total_variance %g)",
             path, (long long)h->n, (long long)h->d, (long long)h->k, h->total);
    return LT_OK;
}

static lt_status read_arrays(hid_t f, const char *path, lt_pca *p)
{
    hsize_t k = (hsize_t)p->n_components, d = (hsize_t)p->n_features;
    LT_CALL(get_array(f, path, "mean", 1, d, 1, p->mean));
    LT_CALL(get_array(f, path, "components", 2, k, d, p->components));
    LT_CALL(get_array(f, path, "explained_variance", 1, k, 1, p->explained_variance));
    LT_CALL(get_array(f, path, "explained_variance_ratio", 1, k, 1, p->explained_variance_ratio));
    LT_CALL(get_array(f, path, "singular_values", 1, k, 1, p->singular_values));
    return LT_OK;
}

/* Rank 0 only: the whole model, or an error. */
static lt_status read_model(const char *path, lt_pca **out)
{
    *out = NULL;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    LT_CHECK(f >= 0, LT_ERR_IO, "%s: cannot open PCA model (missing or not HDF5)", path);
    header h;
    lt_status st = read_header(f, path, &h);
    if (st == LT_OK) st = lt_pca_alloc(h.d, h.k, out);
    if (st == LT_OK) {
        (*out)->n_samples = h.n;
        (*out)->total_variance = h.total;
        st = read_arrays(f, path, *out);
    }
    H5Fclose(f);
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
    if (lt_comm_rank(c) == 0) {
        H5E_auto2_t fn;
        void *data;
        H5Eget_auto2(H5E_DEFAULT, &fn, &data);
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        st = read_model(path, &p);
        H5Eset_auto2(H5E_DEFAULT, fn, data);
    }
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
