/* The one HDF5 convention for files latent writes (lt_h5.h): one process,
 * the serial driver, every call silenced and checked, every error naming the
 * file and the object. */
#include "h5_internal.h"
#include "latent/lt_h5.h"
#include "latent/lt_io.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lt_h5 {
    hid_t id;
    char *path; /* named in messages */
};

void lt_h5_quiet_on(lt_h5_quiet *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void lt_h5_quiet_off(const lt_h5_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

static lt_status wrap(hid_t id, const char *path, lt_h5 **out)
{
    lt_h5 *f = lt_calloc(1, sizeof *f);
    char *p = f ? lt_malloc(strlen(path) + 1) : NULL;
    if (!p) {
        free(f);
        H5Fclose(id);
        return LT_ERR_MEM;
    }
    f->id = id;
    f->path = strcpy(p, path);
    *out = f;
    return LT_OK;
}

lt_status lt_h5_create(const char *path, const char *shown, lt_h5 **out)
{
    *out = NULL;
    if (!shown) shown = path;
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t id = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    lt_h5_quiet_off(&q);
    if (id < 0 && strcmp(path, shown) != 0)
        LT_FAIL(LT_ERR_IO, "%s: cannot create the HDF5 file (%s)", shown, path);
    LT_CHECK(id >= 0, LT_ERR_IO, "%s: cannot create the HDF5 file", shown);
    return wrap(id, shown, out);
}

lt_status lt_h5_open(const char *path, lt_h5 **out)
{
    *out = NULL;
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t id = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    lt_h5_quiet_off(&q);
    LT_CHECK(id >= 0, LT_ERR_IO, "%s: cannot open the file (missing or not HDF5)", path);
    return wrap(id, path, out);
}

lt_status lt_h5_close(lt_h5 **f)
{
    if (!*f) return LT_OK;
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    herr_t rc = H5Fclose((*f)->id);
    lt_h5_quiet_off(&q);
    lt_status st = rc >= 0 ? LT_OK
                           : lt_error_raise(LT_ERR_IO, __FILE__, __LINE__,
                                            "%s: closing the HDF5 file failed", (*f)->path);
    free((*f)->path);
    free(*f);
    *f = NULL;
    return st;
}

/* Rank 0 only: creates tmp, writes and closes it. */
static lt_status write_tmp(const char *tmp, const char *path, lt_h5_writer write, const void *ctx)
{
    lt_h5 *f = NULL;
    LT_CALL(lt_h5_create(tmp, path, &f));
    lt_status st = write(f, ctx);
    lt_status cl = lt_h5_close(&f);
    return st != LT_OK ? st : cl;
}

lt_status lt_h5_save(lt_comm *c, const char *path, lt_h5_writer write, const void *ctx)
{
    char tmp[4096];
    LT_CALL(lt_io_tmpname(c, path, tmp, sizeof tmp));
    lt_status st = lt_comm_rank(c) == 0 ? write_tmp(tmp, path, write, ctx) : LT_OK;
    return lt_io_commit(c, st, tmp, path);
}

/* "attribute 'name'" or "attribute 'name' of 'obj'", for messages. */
static const char *attr_desc(char *buf, size_t cap, const char *obj, const char *name)
{
    if (obj && *obj) snprintf(buf, cap, "attribute '%s' of '%s'", name, obj);
    else snprintf(buf, cap, "attribute '%s'", name);
    return buf;
}

static hid_t open_obj(const lt_h5 *f, const char *obj)
{
    return H5Oopen(f->id, obj && *obj ? obj : ".", H5P_DEFAULT);
}

/* Variable-length UTF-8, the convention's string type; -1 on failure. */
static hid_t str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0))
        lt_h5_close_id(&t, H5Tclose);
    return t;
}

static lt_status write_attr(lt_h5 *f, const char *obj, const char *name, hid_t ftype, hid_t mtype,
                            const void *v)
{
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t loc = open_obj(f, obj), sp = H5Screate(H5S_SCALAR), a = -1;
    if (loc >= 0 && sp >= 0) a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a >= 0 ? H5Awrite(a, mtype, v) : -1;
    lt_h5_close_id(&a, H5Aclose);
    lt_h5_close_id(&sp, H5Sclose);
    lt_h5_close_id(&loc, H5Oclose);
    lt_h5_quiet_off(&q);
    char d[256];
    LT_CHECK(rc >= 0, LT_ERR_IO, "%s: cannot write %s", f->path, attr_desc(d, sizeof d, obj, name));
    return LT_OK;
}

lt_status lt_h5_write_attr_str(lt_h5 *f, const char *obj, const char *name, const char *v)
{
    hid_t t = str_type();
    lt_status st = t >= 0 ? write_attr(f, obj, name, t, t, &v)
                          : lt_error_raise(LT_ERR_LIB, __FILE__, __LINE__,
                                           "%s: no HDF5 string type for '%s'", f->path, name);
    lt_h5_close_id(&t, H5Tclose);
    return st;
}

lt_status lt_h5_write_attr_int(lt_h5 *f, const char *obj, const char *name, int64_t v)
{
    return write_attr(f, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
}

lt_status lt_h5_write_attr_u64(lt_h5 *f, const char *obj, const char *name, uint64_t v)
{
    return write_attr(f, obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}

lt_status lt_h5_write_attr_double(lt_h5 *f, const char *obj, const char *name, double v)
{
    return write_attr(f, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

/* Opens attribute `name` of `obj` holding one value; *cls is its type class.
 * On success *loc and *a are open (the caller closes both). */
static lt_status open_attr(lt_h5 *f, const char *obj, const char *name, hid_t *loc, hid_t *a,
                           H5T_class_t *cls)
{
    char d[256];
    *loc = open_obj(f, obj), *a = -1;
    LT_CHECK(*loc >= 0, LT_ERR_FORMAT, "%s: no object '%s' for %s", f->path, obj ? obj : "/",
             attr_desc(d, sizeof d, obj, name));
    if (H5Aexists(*loc, name) > 0) *a = H5Aopen(*loc, name, H5P_DEFAULT);
    hid_t sp = *a >= 0 ? H5Aget_space(*a) : -1, t = *a >= 0 ? H5Aget_type(*a) : -1;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    *cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    lt_h5_close_id(&sp, H5Sclose);
    lt_h5_close_id(&t, H5Tclose);
    lt_status st = LT_OK;
    if (*a < 0)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__, "%s: %s missing", f->path,
                            attr_desc(d, sizeof d, obj, name));
    else if (n != 1)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: %s holds %lld values, expected one", f->path,
                            attr_desc(d, sizeof d, obj, name), (long long)n);
    if (st != LT_OK) {
        lt_h5_close_id(a, H5Aclose);
        lt_h5_close_id(loc, H5Oclose);
    }
    return st;
}

/* A numeric attribute: integers only when `integer`, else integers or reals. */
static lt_status read_attr(lt_h5 *f, const char *obj, const char *name, hid_t mtype, int integer,
                           void *v)
{
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t loc, a;
    H5T_class_t cls = H5T_NO_CLASS;
    lt_status st = open_attr(f, obj, name, &loc, &a, &cls);
    char d[256];
    if (st == LT_OK && cls != H5T_INTEGER && (integer || cls != H5T_FLOAT))
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__, "%s: %s is not %s", f->path,
                            attr_desc(d, sizeof d, obj, name), integer ? "an integer" : "a number");
    if (st == LT_OK && H5Aread(a, mtype, v) < 0)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__, "%s: cannot read %s", f->path,
                            attr_desc(d, sizeof d, obj, name));
    lt_h5_close_id(&a, H5Aclose);
    lt_h5_close_id(&loc, H5Oclose);
    lt_h5_quiet_off(&q);
    return st;
}

lt_status lt_h5_read_attr_int(lt_h5 *f, const char *obj, const char *name, int64_t *v)
{
    return read_attr(f, obj, name, H5T_NATIVE_INT64, 1, v);
}

lt_status lt_h5_read_attr_u64(lt_h5 *f, const char *obj, const char *name, uint64_t *v)
{
    return read_attr(f, obj, name, H5T_NATIVE_UINT64, 1, v);
}

lt_status lt_h5_read_attr_double(lt_h5 *f, const char *obj, const char *name, double *v)
{
    return read_attr(f, obj, name, H5T_NATIVE_DOUBLE, 0, v);
}

/* The string of an open string attribute, read in its own type (variable
 * or fixed length, any character set) into *out (malloc'ed). LT_ERR_MEM
 * (raised by lt_malloc) when the copy cannot be allocated, LT_ERR_FORMAT
 * (not raised: the caller names the attribute) when HDF5 cannot read it. */
static lt_status attr_string(hid_t a, char **out)
{
    hid_t t = H5Aget_type(a);
    char *s = NULL;
    lt_status st = LT_ERR_FORMAT;
    if (t >= 0 && H5Tis_variable_str(t) > 0) {
        char *v = NULL;
        if (H5Aread(a, t, &v) >= 0) {
            s = lt_malloc(v ? strlen(v) + 1 : 1);
            st = s ? LT_OK : LT_ERR_MEM;
            if (s) strcpy(s, v ? v : "");
        }
        if (v) H5free_memory(v);
    } else if (t >= 0) {
        size_t n = H5Tget_size(t);
        s = n > 0 ? lt_calloc(n + 1, 1) : NULL;
        st = n == 0 ? LT_ERR_FORMAT : s ? LT_OK : LT_ERR_MEM;
        if (s && H5Aread(a, t, s) < 0) free(s), s = NULL, st = LT_ERR_FORMAT;
        if (s && H5Tget_strpad(t) == H5T_STR_SPACEPAD) /* Fortran style */
            for (size_t i = strlen(s); i > 0 && s[i - 1] == ' '; i--) s[i - 1] = '\0';
    }
    lt_h5_close_id(&t, H5Tclose);
    *out = s;
    return st;
}

lt_status lt_h5_read_attr_str(lt_h5 *f, const char *obj, const char *name, char *buf, size_t cap)
{
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t loc, a;
    H5T_class_t cls = H5T_NO_CLASS;
    lt_status st = open_attr(f, obj, name, &loc, &a, &cls);
    char d[256], *s = NULL;
    if (st == LT_OK && cls != H5T_STRING)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__, "%s: %s is not a string", f->path,
                            attr_desc(d, sizeof d, obj, name));
    if (st == LT_OK && (st = attr_string(a, &s)) == LT_ERR_FORMAT)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__, "%s: cannot read %s", f->path,
                            attr_desc(d, sizeof d, obj, name));
    if (st == LT_OK && strlen(s) >= cap)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: %s is longer than %zu characters", f->path,
                            attr_desc(d, sizeof d, obj, name), cap - 1);
    if (st == LT_OK) strcpy(buf, s);
    free(s);
    lt_h5_close_id(&a, H5Aclose);
    lt_h5_close_id(&loc, H5Oclose);
    lt_h5_quiet_off(&q);
    return st;
}

int lt_h5_has_attr(lt_h5 *f, const char *obj, const char *name)
{
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t loc = open_obj(f, obj);
    int yes = loc >= 0 && H5Aexists(loc, name) > 0;
    lt_h5_close_id(&loc, H5Oclose);
    lt_h5_quiet_off(&q);
    return yes;
}

lt_status lt_h5_write_format(lt_h5 *f, const char *format, int version)
{
    LT_CALL(lt_h5_write_attr_str(f, NULL, "format", format));
    return lt_h5_write_attr_int(f, NULL, "format_version", version);
}

lt_status lt_h5_check_format(lt_h5 *f, const char *format, int max_version, int *version)
{
    char s[256];
    LT_CHECK(lt_h5_has_attr(f, NULL, "format"), LT_ERR_FORMAT,
             "%s: not a %s file (no 'format' attribute)", f->path, format);
    LT_CALL(lt_h5_read_attr_str(f, NULL, "format", s, sizeof s));
    LT_CHECK(strcmp(s, format) == 0, LT_ERR_FORMAT, "%s: not a %s file (format '%s')", f->path,
             format, s);
    int64_t v = 0;
    const char *vname = lt_h5_has_attr(f, NULL, "format_version") ? "format_version" : "version";
    LT_CALL(lt_h5_read_attr_int(f, NULL, vname, &v));
    LT_CHECK(v >= 1 && v <= max_version, LT_ERR_FORMAT,
             "%s: %s format version %lld, this latent reads versions 1 to %d", f->path, format,
             (long long)v, max_version);
    *version = (int)v;
    return LT_OK;
}

/* "2 x 5" */
static const char *dims_desc(char *buf, size_t cap, int ndim, const int64_t *dims)
{
    size_t at = 0;
    buf[0] = '\0';
    if (ndim == 0) snprintf(buf, cap, "scalar");
    for (int i = 0; i < ndim && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%" PRId64, i ? " x " : "", dims[i]);
    return buf;
}

static int64_t count_of(int ndim, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    return n;
}

static lt_status check_dims(const lt_h5 *f, const char *name, int ndim, const int64_t *dims)
{
    LT_CHECK(ndim >= 1 && ndim <= LT_H5_MAX_DIMS, LT_ERR_ARG,
             "%s: dataset '%s' of %d dimensions (1 to %d are supported)", f->path, name, ndim,
             LT_H5_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        LT_CHECK(dims[i] >= 0, LT_ERR_ARG, "%s: dataset '%s' with a negative extent", f->path,
                 name);
    return LT_OK;
}

static lt_status write_data(lt_h5 *f, const char *name, hid_t ftype, hid_t mtype, int ndim,
                            const int64_t *dims, const void *v)
{
    LT_CALL(check_dims(f, name, ndim, dims));
    hsize_t hd[LT_H5_MAX_DIMS];
    for (int i = 0; i < ndim; i++) hd[i] = (hsize_t)dims[i];
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t sp = H5Screate_simple(ndim, hd, NULL), lcpl = H5Pcreate(H5P_LINK_CREATE), d = -1;
    if (sp >= 0 && lcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0)
        d = H5Dcreate2(f->id, name, ftype, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = d < 0 ? -1 : 0;
    if (rc >= 0 && count_of(ndim, dims) > 0) /* nothing to transfer into an empty dataset */
        rc = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    lt_h5_close_id(&d, H5Dclose);
    lt_h5_close_id(&lcpl, H5Pclose);
    lt_h5_close_id(&sp, H5Sclose);
    lt_h5_quiet_off(&q);
    LT_CHECK(rc >= 0, LT_ERR_IO, "%s: cannot write dataset '%s'", f->path, name);
    return LT_OK;
}

lt_status lt_h5_write_float(lt_h5 *f, const char *name, int ndim, const int64_t *dims,
                            const float *v)
{
    return write_data(f, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ndim, dims, v);
}

lt_status lt_h5_write_double(lt_h5 *f, const char *name, int ndim, const int64_t *dims,
                             const double *v)
{
    return write_data(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ndim, dims, v);
}

lt_status lt_h5_write_int(lt_h5 *f, const char *name, int ndim, const int64_t *dims,
                          const int32_t *v)
{
    return write_data(f, name, H5T_STD_I32LE, H5T_NATIVE_INT32, ndim, dims, v);
}

int lt_h5_exists(lt_h5 *f, const char *name)
{
    char buf[1024];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, name, n + 1);
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    int yes = 1;
    /* H5Lexists wants every parent to exist: check each prefix in turn */
    for (size_t i = 1; yes && i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        yes = H5Lexists(f->id, buf, H5P_DEFAULT) > 0;
        buf[i] = c;
    }
    lt_h5_quiet_off(&q);
    return yes;
}

/* Opens dataset `name` (the caller closes it) and reads its shape and class. */
static lt_status open_data(lt_h5 *f, const char *name, hid_t *d, int *ndim, int64_t *dims,
                           H5T_class_t *cls)
{
    *d = -1;
    LT_CHECK(lt_h5_exists(f, name), LT_ERR_FORMAT, "%s: no dataset '%s'", f->path, name);
    *d = H5Dopen2(f->id, name, H5P_DEFAULT);
    LT_CHECK(*d >= 0, LT_ERR_FORMAT, "%s: '%s' is not a dataset", f->path, name);
    hid_t sp = H5Dget_space(*d), t = H5Dget_type(*d);
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t hd[LT_H5_MAX_DIMS];
    if (nd >= 0 && nd <= LT_H5_MAX_DIMS) H5Sget_simple_extent_dims(sp, hd, NULL);
    *cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    lt_h5_close_id(&sp, H5Sclose);
    lt_h5_close_id(&t, H5Tclose);
    lt_status st = LT_OK;
    if (nd < 0 || nd > LT_H5_MAX_DIMS)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: dataset '%s' has %d dimensions (at most %d are read)", f->path,
                            name, nd, LT_H5_MAX_DIMS);
    if (st != LT_OK) {
        lt_h5_close_id(d, H5Dclose);
        return st;
    }
    *ndim = nd;
    for (int i = 0; i < nd; i++) dims[i] = (int64_t)hd[i];
    return LT_OK;
}

lt_status lt_h5_shape(lt_h5 *f, const char *name, int *ndim, int64_t *dims)
{
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t d;
    H5T_class_t cls = H5T_NO_CLASS;
    lt_status st = open_data(f, name, &d, ndim, dims, &cls);
    lt_h5_close_id(&d, H5Dclose);
    lt_h5_quiet_off(&q);
    return st;
}

static lt_status read_open(lt_h5 *f, hid_t d, const char *name, hid_t mtype, int ndim,
                           const int64_t *dims, void *v, int nd, const int64_t *got,
                           H5T_class_t cls)
{
    char want[128], have[128];
    int same = nd == ndim;
    for (int i = 0; same && i < nd; i++) same = got[i] == dims[i];
    LT_CHECK(same, LT_ERR_FORMAT, "%s: dataset '%s' has the wrong shape (%s; expected %s)", f->path,
             name, dims_desc(have, sizeof have, nd, got), dims_desc(want, sizeof want, ndim, dims));
    LT_CHECK(cls == H5T_INTEGER || cls == H5T_FLOAT, LT_ERR_FORMAT,
             "%s: dataset '%s' is not numeric", f->path, name);
    herr_t rc = count_of(ndim, dims) > 0 ? H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) : 0;
    LT_CHECK(rc >= 0, LT_ERR_FORMAT, "%s: cannot read dataset '%s'", f->path, name);
    return LT_OK;
}

static lt_status read_data(lt_h5 *f, const char *name, hid_t mtype, int ndim, const int64_t *dims,
                           void *v)
{
    LT_CALL(check_dims(f, name, ndim, dims));
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t d;
    int nd = 0;
    int64_t got[LT_H5_MAX_DIMS];
    H5T_class_t cls = H5T_NO_CLASS;
    lt_status st = open_data(f, name, &d, &nd, got, &cls);
    if (st == LT_OK) st = read_open(f, d, name, mtype, ndim, dims, v, nd, got, cls);
    lt_h5_close_id(&d, H5Dclose);
    lt_h5_quiet_off(&q);
    return st;
}

lt_status lt_h5_read_float(lt_h5 *f, const char *name, int ndim, const int64_t *dims, float *v)
{
    return read_data(f, name, H5T_NATIVE_FLOAT, ndim, dims, v);
}

lt_status lt_h5_read_double(lt_h5 *f, const char *name, int ndim, const int64_t *dims, double *v)
{
    return read_data(f, name, H5T_NATIVE_DOUBLE, ndim, dims, v);
}

lt_status lt_h5_read_int(lt_h5 *f, const char *name, int ndim, const int64_t *dims, int32_t *v)
{
    return read_data(f, name, H5T_NATIVE_INT32, ndim, dims, v);
}
