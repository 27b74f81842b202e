/* Results as AnnData .h5ad (on-disk spec 0.8: root `anndata` 0.1.0,
 * dataframes 0.2.0, categoricals 0.2.0, arrays 0.2.0, dicts 0.1.0).
 *
 * Two phases, because parallel HDF5 cannot write variable-length strings:
 * 1. all ranks, through MPI-IO: the per-cell arrays: obs/_index as
 *    fixed-length UTF-8 strings (h5py's asstr() reads them as anndata's
 *    string-array), categorical codes, obsm matrices; each rank writes its
 *    block of rows collectively.
 * 2. rank 0 alone, serial driver: every attribute (encoding-type,
 *    column-order, ...), category names, var (names, highly_variable,
 *    statistics), varm/PCs and uns/pca, all small. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "sc_internal.h"

#define W_CHUNK ((int64_t)1 << 24) /* elements per collective write call */

/* ---- phase 1: collective ------------------------------------------------ */

static lt_status make_group(lt_comm *c, hid_t f, const char *name)
{
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    lt_status st = g >= 0 ? LT_OK
                          : lt_error_raise(LT_ERR_IO, __FILE__, __LINE__,
                                           "cannot create group '%s'", name);
    if (g >= 0) H5Gclose(g);
    return lt_comm_agree(c, st);
}

/* Creates an n x k (k = 0: 1-D) data set and writes this rank's rows
 * [row0, row0 + nloc) from buf, in chunks, collectively. */
static lt_status write_rows(lt_comm *c, hid_t f, const char *name, hid_t ftype, hid_t mtype,
                            size_t esize, int64_t n, int64_t k, int64_t row0, int64_t nloc,
                            const void *buf)
{
    int nd = k > 0 ? 2 : 1;
    int64_t w = k > 0 ? k : 1;
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)w};
    hid_t sp = H5Screate_simple(nd, dims, NULL);
    hid_t ds = sp >= 0 ? H5Dcreate2(f, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    if (sp >= 0) H5Sclose(sp);
    lt_status st = lt_comm_agree(c, ds >= 0 ? LT_OK
                                            : lt_error_raise(LT_ERR_IO, __FILE__, __LINE__,
                                                             "cannot create '%s'", name));
    if (st != LT_OK) return st;
    int64_t per = W_CHUNK / w > 0 ? W_CHUNK / w : 1, calls = (nloc + per - 1) / per;
    st = lt_comm_max_i64(c, &calls, 1);
    hid_t xf = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(xf, H5FD_MPIO_COLLECTIVE);
    herr_t e = 0;
    lt_event_begin(lt_comm_timer(c), LT_EV_IO_WRITE);
    for (int64_t q = 0; st == LT_OK && q < calls && n > 0; q++) {
        int64_t first = q * per, cnt = nloc - first;
        cnt = cnt < 0 ? 0 : cnt > per ? per : cnt;
        hsize_t s2[2] = {(hsize_t)(row0 + first), 0}, c2[2] = {(hsize_t)cnt, (hsize_t)w};
        hsize_t m2[2] = {(hsize_t)(cnt ? cnt : 1), (hsize_t)w};
        hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(nd, m2, NULL);
        herr_t r = cnt ? H5Sselect_hyperslab(fs, H5S_SELECT_SET, s2, NULL, c2, NULL)
                       : (H5Sselect_none(fs) < 0 || H5Sselect_none(ms) < 0 ? -1 : 0);
        if (r >= 0)
            r = H5Dwrite(ds, mtype, ms, fs, xf, (const char *)buf + (size_t)(first * w) * esize);
        if (r < 0) e = -1;
        H5Sclose(fs);
        H5Sclose(ms);
    }
    lt_event_end(lt_comm_timer(c), LT_EV_IO_WRITE, 0);
    H5Pclose(xf);
    H5Dclose(ds);
    if (st != LT_OK) return st;
    return lt_comm_agree(c, e >= 0 ? LT_OK
                                   : lt_error_raise(LT_ERR_IO, __FILE__, __LINE__,
                                                    "writing '%s' failed", name));
}

/* obs/_index: names padded to the longest (agreed) as fixed-length UTF-8. */
static lt_status write_obs_index(lt_comm *c, hid_t f, const lt_h5ad_out *o, int64_t row0,
                                 int64_t nloc)
{
    int64_t width = 1;
    char num[32];
    for (int64_t i = 0; i < nloc; i++) {
        int64_t len = o->obs_names ? (int64_t)strlen(lt_strlist_get(o->obs_names, i))
                                   : snprintf(num, sizeof num, "%lld", (long long)(row0 + i));
        if (len > width) width = len;
    }
    LT_CALL(lt_comm_max_i64(c, &width, 1));
    char *buf = lt_calloc((size_t)(nloc + 1), (size_t)width);
    LT_AGREE_ALLOC(c, buf);
    for (int64_t i = 0; i < nloc; i++) {
        const char *s = o->obs_names ? lt_strlist_get(o->obs_names, i) : num;
        if (!o->obs_names) snprintf(num, sizeof num, "%lld", (long long)(row0 + i));
        memcpy(buf + i * width, s, strlen(s));
    }
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, (size_t)width);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Tset_cset(t, H5T_CSET_UTF8);
    lt_status st = write_rows(c, f, "obs/_index", t, t, (size_t)width, o->n, 0, row0, nloc, buf);
    H5Tclose(t);
    free(buf);
    return st;
}

/* X as csr_matrix: indptr (global offsets), indices, data, each rank its
 * slice. indptr and indices share one type, int32 below 2^31 entries and
 * int64 from there (scipy refuses mixed index types when slicing). */
static lt_status write_csr(lt_comm *c, hid_t f, const lt_csr *m)
{
    int64_t base = 0, nnz = m->nnz;
    LT_CALL(lt_comm_exscan_i64(c, m->nnz, &base));
    LT_CALL(lt_comm_sum_i64(c, &nnz, 1));
    LT_CALL(make_group(c, f, "X"));
    /* The rank holding the last cell also writes indptr[n]. */
    int last = m->nloc > 0 && m->row0 + m->nloc == m->n;
    int64_t *ip = lt_malloc(sizeof *ip * (size_t)(m->nloc + 2));
    LT_AGREE_ALLOC(c, ip);
    for (int64_t i = 0; i <= m->nloc; i++) ip[i] = m->indptr[i] + base;
    if (m->n == 0) ip[0] = 0, last = lt_comm_rank(c) == 0;
    hid_t it = nnz < INT32_MAX ? H5T_STD_I32LE : H5T_STD_I64LE;
    lt_status st = write_rows(c, f, "X/indptr", it, H5T_NATIVE_INT64, 8, m->n + 1, 0, m->row0,
                              m->nloc + last, ip);
    free(ip);
    if (st == LT_OK)
        st = write_rows(c, f, "X/indices", it, H5T_NATIVE_INT32, 4, nnz, 0, base, m->nnz,
                        m->indices);
    if (st == LT_OK)
        st = write_rows(c, f, "X/data", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, nnz, 0, base, m->nnz,
                        m->data);
    return st;
}

static lt_status phase_parallel(lt_comm *c, hid_t f, const lt_h5ad_out *o)
{
    int64_t row0, nloc;
    lt_shard_range(o->n, lt_comm_size(c), lt_comm_rank(c), &row0, &nloc);
    const char *groups[] = {"obs", "obsm", "var", "varm", "uns", "layers", "obsp", "varp"};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) LT_CALL(make_group(c, f, groups[g]));
    LT_CALL(write_obs_index(c, f, o, row0, nloc));
    if (o->X) LT_CALL(write_csr(c, f, o->X));
    char name[300];
    for (int a = 0; a < o->nobs; a++) {
        snprintf(name, sizeof name, "obs/%.200s", o->obs_name[a]);
        LT_CALL(make_group(c, f, name));
        snprintf(name, sizeof name, "obs/%.200s/codes", o->obs_name[a]);
        hid_t ft = o->obs_cats[a]->n < 128 ? H5T_STD_I8LE : o->obs_cats[a]->n < 32768 ? H5T_STD_I16LE : H5T_STD_I32LE;
        LT_CALL(write_rows(c, f, name, ft, H5T_NATIVE_INT32, 4, o->n, 0, row0, nloc, o->obs_codes[a]));
    }
    for (int a = 0; a < o->nobsm; a++) {
        const lt_dataset *m = o->obsm[a];
        snprintf(name, sizeof name, "obsm/%.200s", o->obsm_name[a]);
        LT_CALL(write_rows(c, f, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 4, o->n, m->d, row0, nloc,
                           m->x));
    }
    return LT_OK;
}

/* ---- phase 2: rank 0 ---------------------------------------------------- */

static hid_t vlen_str(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

/* h5py's bool: an int8 enum FALSE = 0, TRUE = 1. */
static hid_t bool_type(void)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    int8_t v = 0;
    H5Tenum_insert(t, "FALSE", &v);
    v = 1;
    H5Tenum_insert(t, "TRUE", &v);
    return t;
}

/* Creates attribute `name` of type t and space sp on obj and writes buf
 * (nothing when buf is NULL: an empty array); closes t and sp. */
static herr_t attr_write(hid_t obj, const char *name, hid_t t, hid_t sp, const void *buf)
{
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = a >= 0 ? (buf ? H5Awrite(a, t, buf) : 0) : -1;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return e;
}

static herr_t attr_str(hid_t obj, const char *name, const char *value)
{
    return attr_write(obj, name, vlen_str(), H5Screate(H5S_SCALAR), &value);
}

static herr_t attr_strs(hid_t obj, const char *name, const char *const *v, int64_t n)
{
    hsize_t dims[1] = {(hsize_t)n};
    return attr_write(obj, name, vlen_str(), H5Screate_simple(1, dims, NULL), n ? (const void *)v : NULL);
}

static herr_t attr_bool(hid_t obj, const char *name, int value)
{
    int8_t v = (int8_t)value;
    return attr_write(obj, name, bool_type(), H5Screate(H5S_SCALAR), &v);
}

static herr_t encode(hid_t f, const char *path, const char *type, const char *version)
{
    hid_t o = H5Oopen(f, path, H5P_DEFAULT);
    if (o < 0) return -1;
    herr_t e = attr_str(o, "encoding-type", type) < 0 || attr_str(o, "encoding-version", version) < 0 ? -1 : 0;
    H5Oclose(o);
    return e;
}

/* A 1-D or 2-D data set written whole (serial). */
static herr_t put(hid_t f, const char *name, hid_t ftype, hid_t mtype, int nd, int64_t n, int64_t k,
                  const void *buf)
{
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)k};
    hid_t sp = H5Screate_simple(nd, dims, NULL);
    hid_t ds = H5Dcreate2(f, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = ds >= 0 ? (n > 0 ? H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0) : -1;
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(sp);
    return e;
}

static herr_t put_strings(hid_t f, const char *name, const char *const *v, int64_t n)
{
    hid_t t = vlen_str();
    herr_t e = put(f, name, t, t, 1, n, 0, v);
    H5Tclose(t);
    return e < 0 ? e : encode(f, name, "string-array", "0.2.0");
}

static const char **string_ptrs(const lt_strlist *l, int64_t n, char **store)
{
    const char **p = lt_malloc(sizeof *p * (size_t)(n + 1));
    *store = NULL;
    if (!p) return NULL;
    if (l) {
        for (int64_t i = 0; i < n; i++) p[i] = lt_strlist_get(l, i);
        return p;
    }
    char *s = lt_malloc((size_t)(n + 1) * 24);
    if (!s) {
        free(p);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++) snprintf(s + i * 24, 24, "%lld", (long long)i), p[i] = s + i * 24;
    *store = s;
    return p;
}

static lt_status write_var(hid_t f, const lt_h5ad_out *o)
{
    char *store = NULL;
    const char **names = string_ptrs(o->var_names, o->d, &store);
    LT_CHECK(names, LT_ERR_MEM, "out of memory");
    herr_t e = put_strings(f, "var/_index", names, o->d);
    free(names);
    free(store);
    const char *cols[LT_H5AD_MAX + 1];
    int nc = 0;
    char name[300];
    if (e >= 0 && o->highly_variable) {
        hid_t bt = bool_type();
        e = put(f, "var/highly_variable", bt, bt, 1, o->d, 0, o->highly_variable);
        H5Tclose(bt);
        if (e >= 0) e = encode(f, "var/highly_variable", "array", "0.2.0");
        cols[nc++] = "highly_variable";
    }
    for (int a = 0; e >= 0 && a < o->nvar; a++) {
        snprintf(name, sizeof name, "var/%.200s", o->var_name[a]);
        e = put(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, o->d, 0, o->var_col[a]);
        if (e >= 0) e = encode(f, name, "array", "0.2.0");
        cols[nc++] = o->var_name[a];
    }
    hid_t g = e >= 0 ? H5Gopen2(f, "var", H5P_DEFAULT) : -1;
    if (g >= 0) {
        e = attr_str(g, "_index", "_index") < 0 || attr_strs(g, "column-order", cols, nc) < 0 ? -1 : 0;
        H5Gclose(g);
    }
    if (e >= 0) e = encode(f, "var", "dataframe", "0.2.0");
    LT_CHECK(e >= 0, LT_ERR_IO, "writing var failed");
    return LT_OK;
}

static lt_status write_obs_meta(hid_t f, const lt_h5ad_out *o)
{
    herr_t e = encode(f, "obs/_index", "string-array", "0.2.0");
    char name[300];
    for (int a = 0; e >= 0 && a < o->nobs; a++) {
        snprintf(name, sizeof name, "obs/%.200s", o->obs_name[a]);
        e = encode(f, name, "categorical", "0.2.0");
        hid_t g = e >= 0 ? H5Gopen2(f, name, H5P_DEFAULT) : -1;
        if (g >= 0) e = attr_bool(g, "ordered", 0), H5Gclose(g);
        snprintf(name, sizeof name, "obs/%.200s/codes", o->obs_name[a]);
        if (e >= 0) e = encode(f, name, "array", "0.2.0");
        char *store = NULL;
        const char **cats = e >= 0 ? string_ptrs(o->obs_cats[a], o->obs_cats[a]->n, &store) : NULL;
        snprintf(name, sizeof name, "obs/%.200s/categories", o->obs_name[a]);
        e = cats ? put_strings(f, name, cats, o->obs_cats[a]->n) : -1;
        free(cats);
        free(store);
    }
    hid_t g = e >= 0 ? H5Gopen2(f, "obs", H5P_DEFAULT) : -1;
    if (g >= 0) {
        e = attr_str(g, "_index", "_index") < 0 || attr_strs(g, "column-order", o->obs_name, o->nobs) < 0 ? -1 : 0;
        H5Gclose(g);
    }
    if (e >= 0) e = encode(f, "obs", "dataframe", "0.2.0");
    for (int a = 0; e >= 0 && a < o->nobsm; a++) {
        snprintf(name, sizeof name, "obsm/%.200s", o->obsm_name[a]);
        e = encode(f, name, "array", "0.2.0");
    }
    LT_CHECK(e >= 0, LT_ERR_IO, "writing obs attributes failed");
    return LT_OK;
}

static lt_status phase_root(const char *tmp, const lt_h5ad_out *o)
{
    hid_t f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
    LT_CHECK(f >= 0, LT_ERR_IO, "%s: cannot reopen for the metadata", tmp);
    herr_t e = attr_str(f, "encoding-type", "anndata") < 0 || attr_str(f, "encoding-version", "0.1.0") < 0 ? -1 : 0;
    const char *dicts[] = {"obsm", "varm", "uns", "layers", "obsp", "varp"};
    for (size_t g = 0; e >= 0 && g < sizeof dicts / sizeof dicts[0]; g++) e = encode(f, dicts[g], "dict", "0.1.0");
    if (e >= 0 && o->X) {
        e = encode(f, "X", "csr_matrix", "0.1.0");
        hid_t g = e >= 0 ? H5Gopen2(f, "X", H5P_DEFAULT) : -1;
        int64_t shape[2] = {o->n, o->d};
        hsize_t two[1] = {2};
        hid_t sp = H5Screate_simple(1, two, NULL);
        hid_t a = g >= 0 ? H5Acreate2(g, "shape", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
        if (a < 0 || H5Awrite(a, H5T_NATIVE_INT64, shape) < 0) e = -1;
        if (a >= 0) H5Aclose(a);
        H5Sclose(sp);
        if (g >= 0) H5Gclose(g);
    }
    lt_status st = e >= 0 ? write_obs_meta(f, o) : lt_error_raise(LT_ERR_IO, __FILE__, __LINE__,
                                                                   "%s: writing attributes failed", tmp);
    if (st == LT_OK) st = write_var(f, o);
    if (st == LT_OK && o->pcs) {
        e = put(f, "varm/PCs", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, o->d, o->npcs, o->pcs);
        if (e >= 0) e = encode(f, "varm/PCs", "array", "0.2.0");
        hid_t g = e >= 0 ? H5Gcreate2(f, "uns/pca", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
        if (g >= 0) H5Gclose(g);
        if (g >= 0) e = encode(f, "uns/pca", "dict", "0.1.0");
        if (e >= 0 && g >= 0)
            e = put(f, "uns/pca/variance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, o->npcs, 0, o->pca_variance);
        if (e >= 0 && g >= 0) e = encode(f, "uns/pca/variance", "array", "0.2.0");
        if (e >= 0 && g >= 0)
            e = put(f, "uns/pca/variance_ratio", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, o->npcs, 0,
                    o->pca_variance_ratio);
        if (e >= 0 && g >= 0) e = encode(f, "uns/pca/variance_ratio", "array", "0.2.0");
        if (e < 0 || g < 0) st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "%s: writing varm/uns failed", tmp);
    }
    if (H5Fclose(f) < 0 && st == LT_OK)
        st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "%s: closing failed", tmp);
    return st;
}

lt_status lt_h5ad_write(lt_comm *c, const char *path, const lt_h5ad_out *o)
{
    char tmp[4096];
    lt_io_tmpname(c, path, tmp, sizeof tmp);
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t f = -1;
    lt_status st = lt_sch5_open(c, tmp, 1, &f);
    if (st == LT_OK) st = phase_parallel(c, f, o);
    if (f >= 0 && H5Fclose(f) < 0 && st == LT_OK)
        st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "%s: closing the HDF5 file failed", tmp);
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = lt_comm_agree(c, lt_comm_rank(c) == 0 ? phase_root(tmp, o) : LT_OK);
    lt_h5_quiet_off(&q);
    return lt_io_commit(c, st, tmp, path);
}
