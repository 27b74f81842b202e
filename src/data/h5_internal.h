/* HDF5 helpers shared by the HDF5 files of src/data (not public API). */
#ifndef LT_H5_INTERNAL_H
#define LT_H5_INTERNAL_H

#include <hdf5.h>

#include "latent/lt_error.h"

/* HDF5 prints its error stack by default; latent's library code never prints.
 * lt_h5_quiet_on saves the current handler and silences HDF5, lt_h5_quiet_off
 * restores it (pairs nest). Every HDF5 call in latent runs between a pair. */
typedef struct {
    H5E_auto2_t func;
    void *data;
} lt_h5_quiet;

void lt_h5_quiet_on(lt_h5_quiet *q);
void lt_h5_quiet_off(const lt_h5_quiet *q);

/* Closes *id with fn (H5Dclose, H5Sclose, ...) when it is open; *id = -1. */
static inline void lt_h5_close_id(hid_t *id, herr_t (*fn)(hid_t))
{
    if (*id >= 0) fn(*id);
    *id = -1;
}

/* The shape is outside data: a data set may declare far more values than
 * the file stores (never written, or a few chunks of a huge extent), and a
 * reader would allocate and fill all of them (154 GB from a 10 kB file,
 * found by fuzz_h5; a 2^62-row h5ad X by fuzz_h5ad). Refuses a data set of
 * `nvalues` values declaring over 1 MiB and over 10^4 times the bytes the
 * file stores (compression ratios stay far below that). Raises
 * LT_ERR_FORMAT naming path and name (returned); not collective. */
lt_status lt_h5_check_stored_size(hid_t ds, double nvalues, const char *path, const char *name);

#endif
