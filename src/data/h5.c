/* HDF5 through the MPI-IO driver: a named 2-D data set (any float or integer
 * type, converted to float by HDF5) and an optional 1-D integer labels data
 * set. Every rank selects its row block as a hyperslab (or nothing, when it
 * holds no rows) and all transfers are collective. HDF5's own error printing
 * is switched off while latent calls it: library code never prints. */
#include "h5_internal.h"
#include "io_internal.h"

#include <stdlib.h>
#include <string.h>

/* Collective transfer of this rank's rows [row0, row0 + nloc) (x d for 2-D). */
static lt_status h5_rows(hid_t dset, hid_t memtype, int ndim, int64_t row0, int64_t nloc,
                         int64_t d, void *buf, int write, const char *path)
{
    hsize_t start[2] = {(hsize_t)row0, 0}, count[2] = {(hsize_t)nloc, (hsize_t)d};
    hsize_t mdims[2] = {(hsize_t)(nloc > 0 ? nloc : 1), (hsize_t)d};
    hid_t fs = H5Dget_space(dset), ms = H5Screate_simple(ndim, mdims, NULL);
    hid_t xf = H5Pcreate(H5P_DATASET_XFER);
    herr_t e = fs < 0 || ms < 0 || xf < 0 ? -1 : H5Pset_dxpl_mpio(xf, H5FD_MPIO_COLLECTIVE);
    if (e >= 0 && nloc == 0) e = H5Sselect_none(fs) < 0 || H5Sselect_none(ms) < 0 ? -1 : 0;
    if (e >= 0 && nloc > 0) e = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    if (e >= 0) e = write ? H5Dwrite(dset, memtype, ms, fs, xf, buf)
                          : H5Dread(dset, memtype, ms, fs, xf, buf);
    lt_h5_close_id(&fs, H5Sclose);
    lt_h5_close_id(&ms, H5Sclose);
    lt_h5_close_id(&xf, H5Pclose);
    LT_CHECK(e >= 0, LT_ERR_LIB, "%s: HDF5 %s of rows %lld..%lld failed", path,
             write ? "write" : "read", (long long)row0, (long long)(row0 + nloc));
    return LT_OK;
}

static hid_t open_file(lt_comm *c, const char *path, int create)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    if (fapl >= 0 && H5Pset_fapl_mpio(fapl, lt_comm_handle(c), MPI_INFO_NULL) >= 0)
        f = create ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                   : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    return f;
}

lt_status lt_h5_check_stored_size(hid_t ds, double nvalues, const char *path, const char *name)
{
    hid_t ty = H5Dget_type(ds);
    double want = nvalues * (ty >= 0 ? (double)H5Tget_size(ty) : 1.0);
    if (ty >= 0) H5Tclose(ty);
    double stored = (double)H5Dget_storage_size(ds);
    if (want <= (double)(1 << 20) || want <= 1e4 * stored) return LT_OK;
    return lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                          "%s: data set '%s' declares %.3g bytes of values but the file stores "
                          "only %.0f bytes of them",
                          path, name, want, stored);
}

/* Opens `name`, checks rank and type class; dims[0..ndim) filled. Not collective
 * by itself, but every rank sees the same metadata. */
static lt_status open_dset(hid_t f, const char *path, const char *name, int ndim, hsize_t *dims,
                           hid_t *out)
{
    *out = -1;
    LT_CHECK(H5Lexists(f, name, H5P_DEFAULT) > 0, LT_ERR_FORMAT, "%s: no data set '%s'", path,
             name);
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    LT_CHECK(ds >= 0, LT_ERR_FORMAT, "%s: '%s' is not a data set", path, name);
    hid_t sp = H5Dget_space(ds), ty = H5Dget_type(ds);
    int nd = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    H5T_class_t cls = ty >= 0 ? H5Tget_class(ty) : H5T_NO_CLASS;
    if (nd == ndim) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (sp >= 0) H5Sclose(sp);
    if (ty >= 0) H5Tclose(ty);
    lt_status st = LT_OK;
    if (nd != ndim)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: data set '%s' has %d dimensions, expected %d", path, name, nd,
                            ndim);
    else if (cls != H5T_FLOAT && cls != H5T_INTEGER)
        st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                            "%s: data set '%s' has an unsupported type (need float or integer)",
                            path, name);
    else if (dims[0] == 0 || (ndim == 2 && dims[1] == 0))
        st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__, "%s: data set '%s' is empty", path,
                            name);
    if (st == LT_OK)
        st = lt_h5_check_stored_size(ds, (double)dims[0] * (ndim == 2 ? (double)dims[1] : 1.0),
                                     path, name);
    if (st != LT_OK) {
        H5Dclose(ds);
        return st;
    }
    *out = ds;
    return LT_OK;
}

static lt_status read_labels(lt_comm *c, hid_t f, const char *path, const char *name,
                             lt_dataset *ds)
{
    hsize_t dims[1] = {0};
    hid_t dl = -1;
    LT_CALL(lt_comm_agree(c, open_dset(f, path, name, 1, dims, &dl)));
    lt_status st = LT_OK;
    if ((int64_t)dims[0] != ds->n)
        st = lt_error_raise(LT_ERR_DATA, __FILE__, __LINE__,
                            "%s: labels '%s' has %lld entries but the data has %lld rows", path,
                            name, (long long)dims[0], (long long)ds->n);
    int32_t *y = st == LT_OK ? lt_malloc(sizeof(int32_t) * (size_t)ds->nloc) : NULL;
    if (st == LT_OK && !y) st = LT_ERR_MEM;
    st = lt_comm_agree(c, st);
    if (st == LT_OK)
        st = lt_comm_agree(c, h5_rows(dl, H5T_NATIVE_INT32, 1, ds->row0, ds->nloc, 1, y, 0, path));
    H5Dclose(dl);
    if (st == LT_OK) return lt_io_set_labels(ds, y);
    free(y);
    return st;
}

static lt_status read_file(lt_comm *c, hid_t f, const char *path, const lt_read_opts *o,
                           lt_dataset **out)
{
    const char *name = o->h5_dataset && *o->h5_dataset ? o->h5_dataset : "X";
    hsize_t dims[2] = {0, 0};
    hid_t dx = -1;
    LT_CALL(lt_comm_agree(c, open_dset(f, path, name, 2, dims, &dx)));
    lt_dataset *ds = NULL;
    lt_status st = lt_dataset_create(c, (int64_t)dims[0], (int64_t)dims[1], 0, &ds);
    double t0 = lt_wtime();
    lt_event_begin(lt_comm_timer(c), LT_EV_IO_READ);
    if (st == LT_OK)
        st = lt_comm_agree(
            c, h5_rows(dx, H5T_NATIVE_FLOAT, 2, ds->row0, ds->nloc, ds->d, ds->x, 0, path));
    lt_event_end(lt_comm_timer(c), LT_EV_IO_READ, 0);
    lt_comm_charge(c, lt_wtime() - t0, ds ? 4 * ds->nloc * ds->d : 0);
    H5Dclose(dx);
    if (st == LT_OK && o->h5_labels && *o->h5_labels)
        st = read_labels(c, f, path, o->h5_labels, ds);
    if (st != LT_OK) lt_dataset_destroy(&ds);
    *out = ds;
    return st;
}

lt_status lt_h5_read(lt_comm *c, const char *path, const lt_read_opts *o, lt_dataset **out)
{
    lt_read_opts def;
    if (!o) lt_read_opts_default(&def), o = &def;
    *out = NULL;
    int64_t size = 0;
    LT_CALL(lt_comm_agree(c, lt_comm_rank(c) == 0 ? lt_io_file_size(path, &size) : LT_OK));
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t f = open_file(c, path, 0);
    lt_status st = f >= 0 ? LT_OK
                          : lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                           "%s: not an HDF5 file (or unreadable)", path);
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = read_file(c, f, path, o, out);
    if (f >= 0) H5Fclose(f);
    lt_h5_quiet_off(&q);
    if (st == LT_OK && !o->allow_nonfinite) st = lt_dataset_check_finite(c, *out, path);
    if (st != LT_OK) lt_dataset_destroy(out);
    return st;
}

/* Creates `name` (intermediate groups too) of type `ftype` and writes this rank's rows. */
static lt_status write_dset(lt_comm *c, hid_t f, const char *path, const char *name, int ndim,
                            int64_t n, int64_t d, hid_t ftype, hid_t mtype, int64_t row0,
                            int64_t nloc, const void *buf)
{
    hsize_t dims[2] = {(hsize_t)n, (hsize_t)d};
    hid_t sp = H5Screate_simple(ndim, dims, NULL), lcpl = H5Pcreate(H5P_LINK_CREATE), ds = -1;
    if (sp >= 0 && lcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0)
        ds = H5Dcreate2(f, name, ftype, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    lt_h5_close_id(&sp, H5Sclose);
    lt_h5_close_id(&lcpl, H5Pclose);
    lt_status st = ds >= 0 ? LT_OK
                           : lt_error_raise(LT_ERR_LIB, __FILE__, __LINE__,
                                            "%s: cannot create data set '%s'", path, name);
    st = lt_comm_agree(c, st);
    double t0 = lt_wtime();
    lt_event_begin(lt_comm_timer(c), LT_EV_IO_WRITE);
    if (st == LT_OK && n > 0) /* HDF5 refuses a transfer into an empty data set */
        st = lt_comm_agree(c, h5_rows(ds, mtype, ndim, row0, nloc, d, (void *)buf, 1, path));
    lt_event_end(lt_comm_timer(c), LT_EV_IO_WRITE, 0);
    lt_comm_charge(c, lt_wtime() - t0, 4 * nloc * d);
    lt_h5_close_id(&ds, H5Dclose);
    return st;
}

static lt_status write_file(lt_comm *c, hid_t f, const char *tmp, const char *dname,
                            const char *lname, const lt_dataset *ds)
{
    LT_CALL(write_dset(c, f, tmp, dname, 2, ds->n, ds->d, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT,
                       ds->row0, ds->nloc, ds->x));
    if (lname)
        LT_CALL(write_dset(c, f, tmp, lname, 1, ds->n, 1, H5T_STD_I32LE, H5T_NATIVE_INT32,
                           ds->row0, ds->nloc, ds->y));
    return LT_OK;
}

lt_status lt_h5_write(lt_comm *c, const char *path, const char *dataset, const char *labels,
                      const lt_dataset *ds)
{
    const char *dname = dataset && *dataset ? dataset : "X";
    const char *lname = labels ? labels : "y";
    int64_t ok = ds->y != NULL || ds->nloc == 0, any = ds->y != NULL && ds->nloc > 0;
    LT_CALL(lt_comm_min_i64(c, &ok, 1));
    LT_CALL(lt_comm_max_i64(c, &any, 1));
    if (!*lname || !(ok && any)) lname = NULL;
    char tmp[4096];
    LT_CALL(lt_io_tmpname(c, path, tmp, sizeof tmp));
    lt_h5_quiet q;
    lt_h5_quiet_on(&q);
    hid_t f = open_file(c, tmp, 1);
    lt_status st = f >= 0 ? LT_OK
                          : lt_error_raise(LT_ERR_IO, __FILE__, __LINE__,
                                           "%s: cannot create HDF5 file", tmp);
    st = lt_comm_agree(c, st);
    if (st == LT_OK) st = write_file(c, f, tmp, dname, lname, ds);
    if (f >= 0 && H5Fclose(f) < 0 && st == LT_OK)
        st = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "%s: closing the HDF5 file failed", tmp);
    lt_h5_quiet_off(&q);
    return lt_io_commit(c, st, tmp, path);
}
