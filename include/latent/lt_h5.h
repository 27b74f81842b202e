/* HDF5 files that latent writes itself (models, checkpoints, and every new
 * file kind), written and read by one process through one convention
 * (docs/formats.md, "HDF5 files latent writes"):
 *   - root attributes `format` (e.g. "latent-pca") and `format_version`;
 *   - strings are variable-length UTF-8; integers int64 (seeds uint64);
 *     reals float64; datasets little-endian float32, float64 or int32;
 *   - readers also accept fixed-length strings and narrower integers, so
 *     older latent files and files written by h5py load.
 * Every function names the file and the object in its error (LT_ERR_FORMAT
 * for a readable file with missing or malformed content, LT_ERR_IO when the
 * file cannot be opened, created or closed). HDF5's own error printing is off
 * inside every call: library code never prints. Not collective (but
 * lt_h5_save): the caller runs it on one rank (a model is small) and agrees
 * the status.
 *
 * `obj` names the group or dataset holding an attribute: NULL or "" is the
 * root. Dataset names may contain '/': missing groups are created. */
#ifndef LT_H5_H
#define LT_H5_H

#include <stddef.h>
#include <stdint.h>
#include "lt_comm.h"
#include "lt_error.h"

#define LT_H5_MAX_DIMS 4

typedef struct lt_h5 lt_h5;

/* Creates (truncates) `path` for writing; messages name `shown` (the final
 * name when `path` is a temporary one; NULL means `path`). */
lt_status lt_h5_create(const char *path, const char *shown, lt_h5 **out);
/* Opens an existing file read-only. LT_ERR_IO when missing or not HDF5. */
lt_status lt_h5_open(const char *path, lt_h5 **out);
/* Closes and frees; NULL is fine. LT_ERR_IO if HDF5 could not flush the file. */
lt_status lt_h5_close(lt_h5 **f);
/* Writes a whole file: rank 0 creates a temporary file next to `path`, runs
 * write(f, ctx), closes it and renames it to `path` (lt_io_tmpname /
 * lt_io_commit: a failed write leaves no partial file and no old file
 * half-replaced). The one collective call here; the status is agreed. */
typedef lt_status (*lt_h5_writer)(lt_h5 *f, const void *ctx);
lt_status lt_h5_save(lt_comm *c, const char *path, lt_h5_writer write, const void *ctx);

/* Root attributes `format` and `format_version`. */
lt_status lt_h5_write_format(lt_h5 *f, const char *format, int version);
/* Checks `format` equals the expected kind and the version is 1..max_version.
 * Files written before the convention carry `version` instead of
 * `format_version`; it is read in its place. */
lt_status lt_h5_check_format(lt_h5 *f, const char *format, int max_version, int *version);

lt_status lt_h5_write_attr_str(lt_h5 *f, const char *obj, const char *name, const char *v);
lt_status lt_h5_write_attr_int(lt_h5 *f, const char *obj, const char *name, int64_t v);
lt_status lt_h5_write_attr_u64(lt_h5 *f, const char *obj, const char *name, uint64_t v);
lt_status lt_h5_write_attr_double(lt_h5 *f, const char *obj, const char *name, double v);
/* Reads a string (fixed or variable length) into buf; LT_ERR_FORMAT if it
 * does not fit in cap bytes with its terminating NUL. */
lt_status lt_h5_read_attr_str(lt_h5 *f, const char *obj, const char *name, char *buf, size_t cap);
lt_status lt_h5_read_attr_int(lt_h5 *f, const char *obj, const char *name, int64_t *v);
lt_status lt_h5_read_attr_u64(lt_h5 *f, const char *obj, const char *name, uint64_t *v);
lt_status lt_h5_read_attr_double(lt_h5 *f, const char *obj, const char *name, double *v);

/* Dataset `name` of shape dims[0..ndim) (row-major; a zero extent writes an
 * empty dataset). */
lt_status lt_h5_write_float(lt_h5 *f, const char *name, int ndim, const int64_t *dims,
                            const float *v);
lt_status lt_h5_write_double(lt_h5 *f, const char *name, int ndim, const int64_t *dims,
                             const double *v);
lt_status lt_h5_write_int(lt_h5 *f, const char *name, int ndim, const int64_t *dims,
                          const int32_t *v);
/* Reads dataset `name` after checking it has exactly this shape (HDF5
 * converts any numeric type). */
lt_status lt_h5_read_float(lt_h5 *f, const char *name, int ndim, const int64_t *dims, float *v);
lt_status lt_h5_read_double(lt_h5 *f, const char *name, int ndim, const int64_t *dims, double *v);
lt_status lt_h5_read_int(lt_h5 *f, const char *name, int ndim, const int64_t *dims, int32_t *v);

/* Shape of dataset `name`: *ndim and dims[0..*ndim) (dims holds
 * LT_H5_MAX_DIMS). LT_ERR_FORMAT if it is missing or has more dimensions. */
lt_status lt_h5_shape(lt_h5 *f, const char *name, int *ndim, int64_t *dims);
/* 1 if a group or dataset `name` exists, else 0 (also for a missing parent). */
int lt_h5_exists(lt_h5 *f, const char *name);
/* 1 if `obj` (NULL = root) exists and has attribute `name`, else 0. */
int lt_h5_has_attr(lt_h5 *f, const char *obj, const char *name);

#endif
