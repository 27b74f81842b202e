/* Helpers shared by the single-cell readers and writers (not public API):
 * HDF5 through the MPI-IO driver, attributes, string data sets, and the
 * compressed-sparse group layout that .h5ad and 10x .h5 share. */
#ifndef LT_SC_INTERNAL_H
#define LT_SC_INTERNAL_H

#include <hdf5.h>
#include <stdint.h>
#include "h5_internal.h" /* lt_h5_quiet_on/off */
#include "latent/lt_sparse.h"

/* Collective: opens path read-only through MPI-IO (create = 1: truncates and
 * creates); errors (missing file, not HDF5) agreed. */
lt_status lt_sch5_open(lt_comm *c, const char *path, int create, hid_t *f);
/* 1 if every component of the path name exists under loc. Not collective. */
int lt_sch5_exists(hid_t loc, const char *name);
/* 1 if name is a group, 0 a data set, -1 neither. */
int lt_sch5_is_group(hid_t loc, const char *name);
/* String attribute (variable or fixed length) into buf: 1 found, 0 absent,
 * -1 present but not a string. */
int lt_sch5_attr_str(hid_t obj, const char *attr, char *buf, size_t cap);
/* Integer attribute of up to cap values: count read, 0 absent, -1 not integer. */
int lt_sch5_attr_ints(hid_t obj, const char *attr, int64_t *v, int cap);
/* Opens a 1-D (ndim = 1) or 2-D data set of a numeric type whose filters
 * this HDF5 can decode (lzf without its plugin names hdf5-plugin-lzf);
 * dims filled. Not collective; every rank sees the same metadata. */
lt_status lt_sch5_open_numeric(hid_t loc, const char *name, int ndim, const char *path,
                               hid_t *out, int64_t *dims);
/* Filters check only (for string data sets too). */
lt_status lt_sch5_filters_ok(hid_t dset, const char *path, const char *name);
/* A matrix shape from outside data: each of rows, cols in [0, LT_SC_MAX_DIM]
 * (2^40: far above any atlas, far below where n + 1 or n * P overflow), or
 * LT_ERR_FORMAT naming `what`. Not collective. */
#define LT_SC_MAX_DIM ((int64_t)1 << 40)
lt_status lt_sch5_check_shape(const char *path, const char *what, int64_t rows, int64_t cols);
/* Collective: this rank reads elements [start, start + count) of a 1-D data
 * set as memtype (esize bytes each) in chunks; ranks with count 0 join. */
lt_status lt_sch5_read_range(lt_comm *c, hid_t dset, hid_t memtype, size_t esize, int64_t start,
                             int64_t count, void *buf, const char *path, const char *name);
/* Independent read of a small whole 1-D data set (count = its length). */
lt_status lt_sch5_read_small(hid_t dset, hid_t memtype, void *buf, const char *path,
                             const char *name);
/* Independent: strings [start, start + count) of a 1-D string data set
 * (variable or fixed length) appended to out. */
lt_status lt_sch5_read_strings(hid_t dset, int64_t start, int64_t count, lt_strlist *out,
                               const char *path, const char *name);
/* The same for a data set by name, all of it, into a new list. */
lt_status lt_sch5_strings(hid_t loc, const char *name, const char *path, lt_strlist **out);

/* Collective: compressed-sparse arrays (data, indices, indptr) of group g
 * read as the n x d CSR matrix whose rows are indptr's segments (h5ad
 * csr_matrix; 10x CSC genes x cells). Each rank reads its slice of indptr,
 * then one hyperslab of data and indices. Rows are sorted; errors name
 * `elem`. */
lt_status lt_sch5_read_csr(lt_comm *c, hid_t g, const char *path, const char *elem, int64_t n,
                           int64_t d, lt_csr **out);
/* Collective: h5ad csc_matrix (indptr over the d columns): each rank reads a
 * block of columns of about nnz / P entries and the entries go to the row
 * owners in one all-to-all. */
lt_status lt_sch5_read_csc(lt_comm *c, hid_t g, const char *path, const char *elem, int64_t n,
                           int64_t d, lt_csr **out);
/* Collective: a dense n x d data set, read in row blocks, zeros dropped. */
lt_status lt_sch5_read_dense(lt_comm *c, hid_t loc, const char *name, const char *path,
                             lt_csr **out);

#endif
