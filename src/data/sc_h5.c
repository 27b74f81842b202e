/* HDF5 machinery of the single-cell readers: files through MPI-IO, string
 * and integer attributes, filter checks (lzf), chunked collective 1-D reads,
 * string data sets, and the compressed-sparse (CSR/CSC) and dense matrix
 * layouts. Small metadata (attributes, names, indptr ends) is read
 * independently by every rank; the matrix itself collectively, each rank
 * its own hyperslab. */
#include "latent/lt_comm_mpi.h"
#include "h5_internal.h"
#include "sc_internal.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"

/* Elements per collective call: a transfer stays far below HDF5's 2 GiB
 * MPI-IO limit for any element size. */
#define SC_CHUNK ((int64_t)1 << 26)
#define LZF_FILTER 32000

/* Debian 12's hdf5-plugin-lzf (3.7.0-8) ships liblzf_filter.so without a
 * dependency on liblzf, so dlopen of the plugin fails on lzf_decompress.
 * Loading liblzf1's library globally first lets the plugin resolve it. The
 * handle stays open for the life of the process, as HDF5's plugins do. */
static void preload_lzf(void)
{
    (void)dlopen("liblzf.so.1", RTLD_NOW | RTLD_GLOBAL);
}

lt_status lt_sch5_open(lt_comm *c, const char *path, int create, hid_t *f)
{
    *f = -1;
    preload_lzf();
    int64_t size = 0;
    if (!create)
        LT_CALL(lt_comm_agree(c, lt_comm_rank(c) == 0 ? lt_io_file_size(path, &size) : LT_OK));
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_fapl_mpio(fapl, lt_comm_handle(c), MPI_INFO_NULL) >= 0)
        *f = create ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                    : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    lt_status st = LT_OK;
    if (*f < 0)
        st = create ? lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "%s: cannot create HDF5 file",
                                     path)
                    : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                     "%s: not an HDF5 file (or unreadable)", path);
    st = lt_comm_agree(c, st);
    if (st != LT_OK && *f >= 0) H5Fclose(*f), *f = -1;
    return st;
}

int lt_sch5_exists(hid_t loc, const char *name)
{
    /* H5Lexists fails on a missing intermediate group: test each prefix. */
    char buf[1024];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, name, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char keep = buf[i];
        buf[i] = '\0';
        int ok = H5Lexists(loc, buf, H5P_DEFAULT) > 0 &&
                 H5Oexists_by_name(loc, buf, H5P_DEFAULT) > 0;
        buf[i] = keep;
        if (!ok) return 0;
    }
    return 1;
}

int lt_sch5_is_group(hid_t loc, const char *name)
{
    H5O_info_t info;
    if (!lt_sch5_exists(loc, name) || H5Oget_info_by_name(loc, name, &info, H5P_DEFAULT) < 0)
        return -1;
    return info.type == H5O_TYPE_GROUP ? 1 : info.type == H5O_TYPE_DATASET ? 0 : -1;
}

int lt_sch5_attr_str(hid_t obj, const char *attr, char *buf, size_t cap)
{
    if (H5Aexists(obj, attr) <= 0) return 0;
    hid_t a = H5Aopen(obj, attr, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    int rc = -1;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Sget_simple_extent_npoints(sp) == 1) {
        hid_t mt = H5Tcopy(t);
        if (H5Tis_variable_str(t) > 0) {
            char *s = NULL;
            if (H5Aread(a, mt, &s) >= 0 && s) {
                snprintf(buf, cap, "%s", s);
                rc = 1;
            }
            if (s) H5free_memory(s);
        } else {
            size_t n = H5Tget_size(t);
            char *s = calloc(n + 1, 1);
            if (s && H5Aread(a, mt, s) >= 0) {
                snprintf(buf, cap, "%s", s);
                rc = 1;
            }
            free(s);
        }
        H5Tclose(mt);
    }
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return rc;
}

int lt_sch5_attr_ints(hid_t obj, const char *attr, int64_t *v, int cap)
{
    if (H5Aexists(obj, attr) <= 0) return 0;
    hid_t a = H5Aopen(obj, attr, H5P_DEFAULT), t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    int rc = -1;
    hssize_t np = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (t >= 0 && H5Tget_class(t) == H5T_INTEGER && np >= 0 && np <= cap &&
        H5Aread(a, H5T_NATIVE_INT64, v) >= 0)
        rc = (int)np;
    if (sp >= 0) H5Sclose(sp);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    return rc;
}

/* 1 if the first element of a data set can be read (or it has none). */
static int read_one(hid_t dset)
{
    hid_t fs = H5Dget_space(dset), t = H5Dget_type(dset);
    int nd = fs >= 0 ? H5Sget_simple_extent_ndims(fs) : -1;
    hssize_t np = fs >= 0 ? H5Sget_simple_extent_npoints(fs) : -1;
    int ok = np == 0;
    hsize_t one[H5S_MAX_RANK], zero[H5S_MAX_RANK] = {0};
    size_t sz = t >= 0 ? H5Tget_size(t) : 0;
    char *buf = np > 0 && nd > 0 && nd <= H5S_MAX_RANK ? calloc(1, sz + 64) : NULL;
    if (buf) {
        for (int i = 0; i < nd; i++) one[i] = 1;
        hid_t ms = H5Screate_simple(1, one, NULL);
        hid_t mt = H5Tis_variable_str(t) > 0 ? -1 : H5Tcopy(t);
        ok = mt >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, zero, NULL, one, NULL) >= 0 &&
             H5Dread(dset, mt, ms, fs, H5P_DEFAULT, buf) >= 0;
        if (mt < 0) ok = 1; /* variable-length strings: let the real read report */
        if (mt >= 0) H5Tclose(mt);
        if (ms >= 0) H5Sclose(ms);
        free(buf);
    }
    if (t >= 0) H5Tclose(t);
    if (fs >= 0) H5Sclose(fs);
    return ok;
}

lt_status lt_sch5_check_shape(const char *path, const char *what, int64_t rows, int64_t cols)
{
    LT_CHECK(rows >= 0 && cols >= 0 && rows <= LT_SC_MAX_DIM && cols <= LT_SC_MAX_DIM,
             LT_ERR_FORMAT, "%s: '%s' declares a %lld x %lld matrix (each side must be 0 to 2^40)",
             path, what, (long long)rows, (long long)cols);
    return LT_OK;
}

lt_status lt_sch5_filters_ok(hid_t dset, const char *path, const char *name)
{
    hid_t dcpl = H5Dget_create_plist(dset);
    int nf = dcpl >= 0 ? H5Pget_nfilters(dcpl) : 0;
    lt_status st = LT_OK;
    for (int i = 0; i < nf && st == LT_OK; i++) {
        unsigned flags = 0, conf = 0;
        size_t ncd = 0;
        char fname[128] = "";
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, NULL, sizeof fname,
                                         fname, &conf);
        /* HDF5 1.10 loads a filter plugin (HDF5_PLUGIN_PATH or the
         * compiled-in plugin directory) only when data is read, and
         * H5Zfilter_avail does not try: read one element to find out. */
        if (id < 0 || H5Zfilter_avail(id) > 0 || read_one(dset)) continue;
        if (id == LZF_FILTER)
            st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                "%s: '%s' is compressed with lzf (h5py's filter %d), which this "
                                "HDF5 cannot decode: install Debian's hdf5-plugin-lzf and liblzf1 "
                                "(apt-get install hdf5-plugin-lzf liblzf1), or rewrite the file "
                                "with gzip compression",
                                path, name, LZF_FILTER);
        else
            st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                "%s: '%s' needs HDF5 filter %d (%s), which is not available "
                                "(install its plugin or set HDF5_PLUGIN_PATH)",
                                path, name, (int)id, fname[0] ? fname : "unnamed");
    }
    if (dcpl >= 0) H5Pclose(dcpl);
    return st;
}

lt_status lt_sch5_open_numeric(hid_t loc, const char *name, int ndim, const char *path,
                               hid_t *out, int64_t *dims)
{
    *out = -1;
    LT_CHECK(lt_sch5_is_group(loc, name) == 0, LT_ERR_FORMAT, "%s: no data set '%s'", path, name);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    LT_CHECK(ds >= 0, LT_ERR_FORMAT, "%s: cannot open data set '%s'", path, name);
    hid_t sp = H5Dget_space(ds), ty = H5Dget_type(ds);
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t hd[2] = {0, 0};
    if (nd == ndim) H5Sget_simple_extent_dims(sp, hd, NULL);
    H5T_class_t cls = ty >= 0 ? H5Tget_class(ty) : H5T_NO_CLASS;
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    lt_status st = LT_OK;
    if (nd != ndim)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: '%s' has %d dimensions, expected %d", path, name, nd, ndim);
    else if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: '%s' is not numeric (need an integer or float type)", path,
                            name);
    else
        st = lt_h5_check_stored_size(ds, (double)hd[0] * (ndim == 2 ? (double)hd[1] : 1.0), path,
                                     name);
    if (st == LT_OK) st = lt_sch5_filters_ok(ds, path, name);
    if (st != LT_OK) {
        H5Dclose(ds);
        return st;
    }
    for (int i = 0; i < ndim; i++) dims[i] = (int64_t)hd[i];
    *out = ds;
    return LT_OK;
}

/* One transfer of count elements at start (count 0: select nothing). */
static herr_t read_block(hid_t dset, hid_t memtype, hid_t xfer, int64_t start, int64_t count,
                         void *buf)
{
    hsize_t st[1] = {(hsize_t)start}, ct[1] = {(hsize_t)count}, md[1] = {(hsize_t)(count ? count : 1)};
    hid_t fs = H5Dget_space(dset), ms = H5Screate_simple(1, md, NULL);
    herr_t e = fs < 0 || ms < 0 ? -1 : 0;
    if (e >= 0)
        e = count ? H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, NULL, ct, NULL)
                  : (H5Sselect_none(fs) < 0 || H5Sselect_none(ms) < 0 ? -1 : 0);
    if (e >= 0) e = H5Dread(dset, memtype, ms, fs, xfer, buf);
    if (fs >= 0) H5Sclose(fs);
    if (ms >= 0) H5Sclose(ms);
    return e;
}

lt_status lt_sch5_read_range(lt_comm *c, hid_t dset, hid_t memtype, size_t esize, int64_t start,
                             int64_t count, void *buf, const char *path, const char *name)
{
    int64_t calls = (count + SC_CHUNK - 1) / SC_CHUNK;
    LT_CALL(lt_comm_max_i64(c, &calls, 1));
    hid_t xf = H5Pcreate(H5P_DATASET_XFER);
    herr_t e = xf >= 0 ? H5Pset_dxpl_mpio(xf, H5FD_MPIO_COLLECTIVE) : -1;
    double t0 = lt_wtime();
    lt_event_begin(lt_comm_timer(c), LT_EV_IO_READ);
    for (int64_t k = 0; k < calls; k++) {
        int64_t first = k * SC_CHUNK, cnt = count - first;
        cnt = cnt < 0 ? 0 : cnt > SC_CHUNK ? SC_CHUNK : cnt;
        /* A rank whose part is done still joins every collective call. */
        herr_t r = read_block(dset, memtype, e >= 0 ? xf : H5P_DEFAULT, start + (cnt ? first : 0),
                              cnt, (char *)buf + (cnt ? first : 0) * (int64_t)esize);
        if (r < 0) e = -1;
    }
    lt_event_end(lt_comm_timer(c), LT_EV_IO_READ, 0);
    lt_comm_charge(c, lt_wtime() - t0, count * (int64_t)esize);
    if (xf >= 0) H5Pclose(xf);
    lt_status st = LT_OK;
    if (e < 0)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: reading '%s' elements %lld..%lld failed", path, name,
                            (long long)start, (long long)(start + count));
    return lt_comm_agree(c, st);
}

lt_status lt_sch5_read_small(hid_t dset, hid_t memtype, void *buf, const char *path,
                             const char *name)
{
    LT_CHECK(H5Dread(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0, LT_ERR_FORMAT,
             "%s: reading '%s' failed", path, name);
    return LT_OK;
}

/* Fixed-length strings end at the first NUL, or lose trailing pad spaces. */
static size_t fixed_len(const char *s, size_t cap, int spacepad)
{
    size_t n = 0;
    while (n < cap && s[n]) n++;
    while (spacepad && n > 0 && s[n - 1] == ' ') n--;
    return n;
}

lt_status lt_sch5_read_strings(hid_t dset, int64_t start, int64_t count, lt_strlist *out,
                               const char *path, const char *name)
{
    if (count == 0) return LT_OK;
    hid_t ft = H5Dget_type(dset);
    LT_CHECK(ft >= 0 && H5Tget_class(ft) == H5T_STRING, LT_ERR_FORMAT,
             "%s: '%s' is not a string data set", path, name);
    LT_CALL(lt_sch5_filters_ok(dset, path, name));
    /* (fuzz_h5ad: 2^31 declared category names in a small file, a 21 GB calloc) */
    LT_CALL(lt_h5_check_stored_size(dset, (double)start + (double)count, path, name));
    int vlen = H5Tis_variable_str(ft) > 0;
    size_t width = vlen ? sizeof(char *) : H5Tget_size(ft);
    int spacepad = !vlen && H5Tget_strpad(ft) == H5T_STR_SPACEPAD;
    hid_t mt = H5Tcopy(ft);
    H5Tclose(ft);
    hsize_t st[1] = {(hsize_t)start}, ct[1] = {(hsize_t)count};
    hid_t fs = H5Dget_space(dset), ms = H5Screate_simple(1, ct, NULL);
    char *buf = lt_calloc((size_t)count, width);
    herr_t e = buf && fs >= 0 && ms >= 0 ? H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, NULL, ct, NULL) : -1;
    if (e >= 0) e = H5Dread(dset, mt, ms, fs, H5P_DEFAULT, buf);
    /* (a failed lt_calloc has raised "out of memory" already) */
    lt_status s = !buf     ? LT_ERR_MEM
                  : e >= 0 ? LT_OK
                           : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                            "%s: reading strings of '%s' failed", path, name);
    for (int64_t i = 0; s == LT_OK && i < count; i++) {
        const char *p = vlen ? ((char **)buf)[i] : buf + (size_t)i * width;
        if (!p) p = "";
        size_t n = vlen ? strlen(p) : fixed_len(p, width, spacepad);
        s = lt_strlist_push(out, p, n);
    }
    if (e >= 0 && vlen) H5Dvlen_reclaim(mt, ms, H5P_DEFAULT, buf);
    free(buf);
    if (fs >= 0) H5Sclose(fs);
    if (ms >= 0) H5Sclose(ms);
    H5Tclose(mt);
    return s;
}

lt_status lt_sch5_strings(hid_t loc, const char *name, const char *path, lt_strlist **out)
{
    *out = NULL;
    LT_CHECK(lt_sch5_is_group(loc, name) == 0, LT_ERR_FORMAT, "%s: no data set '%s'", path, name);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    LT_CHECK(ds >= 0, LT_ERR_FORMAT, "%s: cannot open '%s'", path, name);
    hid_t sp = H5Dget_space(ds);
    hssize_t n = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0) H5Sclose(sp);
    lt_status st = n >= 0 ? lt_strlist_create(out)
                          : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                           "%s: '%s' is not a 1-D data set", path, name);
    if (st == LT_OK) st = lt_sch5_read_strings(ds, 0, (int64_t)n, *out, path, name);
    H5Dclose(ds);
    if (st != LT_OK) lt_strlist_destroy(out);
    return st;
}

/* The three arrays of a compressed-sparse group, checked against each other
 * and against the expected number of segments (nseg + 1 pointers). */
typedef struct {
    hid_t data, indices, indptr;
    int64_t nnz, nptr;
} sparse_arrays;

static void arrays_close(sparse_arrays *a)
{
    if (a->data >= 0) H5Dclose(a->data);
    if (a->indices >= 0) H5Dclose(a->indices);
    if (a->indptr >= 0) H5Dclose(a->indptr);
    a->data = a->indices = a->indptr = -1;
}

static lt_status arrays_open(hid_t g, const char *path, const char *elem, int64_t nseg,
                             const char *seg, sparse_arrays *a)
{
    char name[1100];
    int64_t dims[2];
    a->data = a->indices = a->indptr = -1;
    snprintf(name, sizeof name, "%s/data", elem);
    lt_status st = lt_sch5_open_numeric(g, "data", 1, path, &a->data, dims);
    a->nnz = dims[0];
    if (st == LT_OK) st = lt_sch5_open_numeric(g, "indices", 1, path, &a->indices, dims);
    if (st == LT_OK && dims[0] != a->nnz)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: '%s' has %lld indices but %lld data values", path, elem,
                            (long long)dims[0], (long long)a->nnz);
    if (st == LT_OK) st = lt_sch5_open_numeric(g, "indptr", 1, path, &a->indptr, dims);
    a->nptr = dims[0];
    if (st == LT_OK && a->nptr != nseg + 1)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: '%s' has %lld indptr entries but its shape needs %lld (%lld %s "
                            "+ 1): shape and arrays disagree",
                            path, elem, (long long)a->nptr, (long long)(nseg + 1),
                            (long long)nseg, seg);
    (void)name;
    if (st != LT_OK) arrays_close(a);
    return st;
}

/* indptr[0] must be 0 and indptr[last] the number of entries. */
static lt_status check_ends(const sparse_arrays *a, const char *path, const char *elem)
{
    int64_t ends[2];
    hsize_t coord[2] = {0, (hsize_t)(a->nptr - 1)}, two[1] = {2};
    hid_t fs = H5Dget_space(a->indptr), ms = H5Screate_simple(1, two, NULL);
    herr_t e = fs >= 0 && ms >= 0 ? H5Sselect_elements(fs, H5S_SELECT_SET, 2, coord) : -1;
    if (e >= 0) e = H5Dread(a->indptr, H5T_NATIVE_INT64, ms, fs, H5P_DEFAULT, ends);
    if (fs >= 0) H5Sclose(fs);
    if (ms >= 0) H5Sclose(ms);
    LT_CHECK(e >= 0, LT_ERR_FORMAT, "%s: reading '%s/indptr' failed", path, elem);
    LT_CHECK(ends[0] == 0, LT_ERR_FORMAT, "%s: '%s/indptr' starts at %lld, not 0", path, elem,
             (long long)ends[0]);
    LT_CHECK(ends[1] == a->nnz, LT_ERR_FORMAT,
             "%s: '%s/indptr' ends at %lld but there are %lld entries", path, elem,
             (long long)ends[1], (long long)a->nnz);
    return LT_OK;
}

static lt_status local_ptr_ok(const int64_t *ip, int64_t cnt, int64_t first, int64_t nnz,
                              const char *path, const char *elem, const char *seg)
{
    for (int64_t i = 0; i < cnt; i++) {
        LT_CHECK(ip[i + 1] >= ip[i], LT_ERR_FORMAT,
                 "%s: '%s/indptr' decreases at %s %lld (%lld then %lld)", path, elem, seg,
                 (long long)(first + i), (long long)ip[i], (long long)ip[i + 1]);
        LT_CHECK(ip[i + 1] <= nnz, LT_ERR_FORMAT, "%s: '%s/indptr' passes the %lld entries", path,
                 elem, (long long)nnz);
    }
    return LT_OK;
}

lt_status lt_sch5_read_csr(lt_comm *c, hid_t g, const char *path, const char *elem, int64_t n,
                           int64_t d, lt_csr **out)
{
    *out = NULL;
    sparse_arrays a;
    LT_CALL(lt_comm_agree(c, arrays_open(g, path, elem, n, "rows", &a)));
    int64_t row0, nloc;
    lt_shard_range(n, lt_comm_size(c), lt_comm_rank(c), &row0, &nloc);
    int64_t *ip = lt_malloc(sizeof *ip * (size_t)(nloc + 1));
    lt_status st = lt_comm_agree(c, ip ? check_ends(&a, path, elem) : LT_ERR_MEM);
    char what[1200];
    snprintf(what, sizeof what, "%s: '%s'", path, elem);
    if (st == LT_OK)
        st = lt_sch5_read_range(c, a.indptr, H5T_NATIVE_INT64, 8, row0, nloc ? nloc + 1 : 0, ip,
                                path, elem);
    if (st == LT_OK && nloc == 0) ip[0] = 0;
    if (st == LT_OK) st = lt_comm_agree(c, local_ptr_ok(ip, nloc, row0, a.nnz, path, elem, "row"));
    lt_csr *m = NULL;
    int64_t base = ip ? ip[0] : 0, cnt = st == LT_OK ? ip[nloc] - base : 0;
    if (st == LT_OK) st = lt_csr_create(c, n, d, cnt, &m);
    /* Out-of-range indices saturate in HDF5's conversion to int32 and are
     * still caught by lt_csr_check. */
    if (st == LT_OK)
        st = lt_sch5_read_range(c, a.indices, H5T_NATIVE_INT32, 4, base, cnt, m->indices, path,
                                elem);
    if (st == LT_OK)
        st = lt_sch5_read_range(c, a.data, H5T_NATIVE_FLOAT, 4, base, cnt, m->data, path, elem);
    if (st == LT_OK) {
        for (int64_t i = 0; i <= nloc; i++) m->indptr[i] = ip[i] - base;
        st = lt_comm_agree(c, lt_csr_sort_rows(m, what));
    }
    if (st == LT_OK) st = lt_csr_check(c, m, what);
    arrays_close(&a);
    free(ip);
    if (st != LT_OK) lt_csr_destroy(&m);
    *out = m;
    return st;
}

/* First column of rank r's block: columns split so each rank reads about
 * nnz / P entries (not d / P columns: genes differ a lot in detection). */
static int64_t col_split(const int64_t *ip, int64_t d, int64_t nnz, int p, int r)
{
    if (r <= 0) return 0;
    if (r >= p) return d;
    int64_t target = (int64_t)((double)nnz * r / p), lo = 0, hi = d;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (ip[mid] < target) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

lt_status lt_sch5_read_csc(lt_comm *c, hid_t g, const char *path, const char *elem, int64_t n,
                           int64_t d, lt_csr **out)
{
    *out = NULL;
    sparse_arrays a;
    LT_CALL(lt_comm_agree(c, arrays_open(g, path, elem, d, "columns", &a)));
    int p = lt_comm_size(c), r = lt_comm_rank(c);
    /* indptr over genes is small: every rank reads all of it. */
    int64_t *ip = lt_malloc(sizeof *ip * (size_t)(d + 1));
    lt_status st = ip ? lt_sch5_read_small(a.indptr, H5T_NATIVE_INT64, ip, path, elem) : LT_ERR_MEM;
    if (st == LT_OK)
        st = ip[0] == 0 && ip[d] == a.nnz
                 ? local_ptr_ok(ip, d, 0, a.nnz, path, elem, "column")
                 : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                  "%s: '%s/indptr' must run from 0 to the %lld entries (found "
                                  "%lld..%lld)",
                                  path, elem, (long long)a.nnz, (long long)ip[0], (long long)ip[d]);
    st = lt_comm_agree(c, st);
    int64_t j0 = 0, j1 = 0, e0 = 0, cnt = 0;
    if (st == LT_OK) {
        j0 = col_split(ip, d, a.nnz, p, r);
        j1 = col_split(ip, d, a.nnz, p, r + 1);
        e0 = ip[j0];
        cnt = ip[j1] - e0;
    }
    int64_t *rows = st == LT_OK ? lt_malloc(sizeof *rows * (size_t)(cnt + 1)) : NULL;
    float *vals = st == LT_OK ? lt_malloc(sizeof *vals * (size_t)(cnt + 1)) : NULL;
    lt_triplet *t = st == LT_OK ? lt_malloc(sizeof *t * (size_t)(cnt + 1)) : NULL;
    if (st == LT_OK) st = lt_comm_agree(c, rows && vals && t ? LT_OK : LT_ERR_MEM);
    if (st == LT_OK)
        st = lt_sch5_read_range(c, a.indices, H5T_NATIVE_INT64, 8, e0, cnt, rows, path, elem);
    if (st == LT_OK)
        st = lt_sch5_read_range(c, a.data, H5T_NATIVE_FLOAT, 4, e0, cnt, vals, path, elem);
    arrays_close(&a);
    if (st == LT_OK) {
        for (int64_t j = j0; j < j1; j++)
            for (int64_t k = ip[j]; k < ip[j + 1]; k++)
                t[k - e0] = (lt_triplet){rows[k - e0], (int32_t)j, vals[k - e0]};
        free(rows);
        free(vals);
        rows = NULL;
        vals = NULL;
        char what[1200];
        snprintf(what, sizeof what, "%s: '%s'", path, elem);
        st = lt_csr_from_triplets(c, n, d, t, cnt, what, out);
        if (st == LT_OK) st = lt_csr_check(c, *out, what);
        if (st != LT_OK) lt_csr_destroy(out);
    }
    free(rows);
    free(vals);
    free(t);
    free(ip);
    return st;
}

/* A growing local CSR for the dense reader (counts of non-zeros unknown). */
static lt_status grow(lt_csr *m, int64_t need, int64_t *cap)
{
    if (need <= *cap) return LT_OK;
    int64_t nc = *cap * 2 > need ? *cap * 2 : need;
    int32_t *ix = realloc(m->indices, sizeof *ix * (size_t)nc);
    if (ix) m->indices = ix;
    float *dv = realloc(m->data, sizeof *dv * (size_t)nc);
    if (dv) m->data = dv;
    LT_CHECK(ix && dv, LT_ERR_MEM, "out of memory reading a dense matrix");
    *cap = nc;
    return LT_OK;
}

static lt_status dense_rows(lt_comm *c, hid_t ds, int64_t d, lt_csr *m, const char *path,
                            const char *name)
{
    int64_t per = SC_CHUNK / (d > 0 ? d : 1);
    if (per < 1) per = 1;
    int64_t calls = (m->nloc + per - 1) / per, cap = 1;
    LT_CALL(lt_comm_max_i64(c, &calls, 1));
    float *blk = lt_malloc(sizeof *blk * (size_t)(per * d + 1));
    lt_status st = lt_comm_agree(c, blk ? LT_OK : LT_ERR_MEM);
    hid_t xf = H5Pcreate(H5P_DATASET_XFER);
    if (xf >= 0) H5Pset_dxpl_mpio(xf, H5FD_MPIO_COLLECTIVE);
    lt_event_begin(lt_comm_timer(c), LT_EV_IO_READ);
    for (int64_t k = 0; st == LT_OK && k < calls; k++) {
        int64_t first = k * per, cnt = m->nloc - first;
        cnt = cnt < 0 ? 0 : cnt > per ? per : cnt;
        hsize_t s2[2] = {(hsize_t)(m->row0 + first), 0}, c2[2] = {(hsize_t)cnt, (hsize_t)d};
        hsize_t md[2] = {(hsize_t)(cnt ? cnt : 1), (hsize_t)d};
        hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(2, md, NULL);
        herr_t e = cnt ? H5Sselect_hyperslab(fs, H5S_SELECT_SET, s2, NULL, c2, NULL)
                       : (H5Sselect_none(fs) < 0 || H5Sselect_none(ms) < 0 ? -1 : 0);
        if (e >= 0) e = H5Dread(ds, H5T_NATIVE_FLOAT, ms, fs, xf, blk);
        H5Sclose(fs);
        H5Sclose(ms);
        lt_status ls = e >= 0 ? LT_OK
                              : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                               "%s: reading rows of '%s' failed", path, name);
        for (int64_t i = 0; ls == LT_OK && i < cnt; i++) {
            const float *row = blk + i * d;
            for (int64_t j = 0; j < d && ls == LT_OK; j++) {
                if (row[j] == 0.0f) continue;
                ls = grow(m, m->nnz + 1, &cap);
                if (ls == LT_OK) m->indices[m->nnz] = (int32_t)j, m->data[m->nnz++] = row[j];
            }
            m->indptr[first + i + 1] = m->nnz;
        }
        st = lt_comm_agree(c, ls);
    }
    lt_event_end(lt_comm_timer(c), LT_EV_IO_READ, 0);
    if (xf >= 0) H5Pclose(xf);
    free(blk);
    return st;
}

lt_status lt_sch5_read_dense(lt_comm *c, hid_t loc, const char *name, const char *path,
                             lt_csr **out)
{
    *out = NULL;
    hid_t ds = -1;
    int64_t dims[2] = {0, 0};
    LT_CALL(lt_comm_agree(c, lt_sch5_open_numeric(loc, name, 2, path, &ds, dims)));
    lt_csr *m = NULL;
    lt_status st = lt_csr_create(c, dims[0], dims[1], 0, &m);
    if (st == LT_OK) st = dense_rows(c, ds, dims[1], m, path, name);
    H5Dclose(ds);
    char what[1200];
    snprintf(what, sizeof what, "%s: '%s'", path, name);
    if (st == LT_OK) st = lt_csr_check(c, m, what);
    if (st != LT_OK) lt_csr_destroy(&m);
    *out = m;
    return st;
}
