/* Helpers shared by the readers and writers of src/data (not public API).
 * MPI-IO is called in io.c only (the format files open, read and write
 * through these helpers); its time is charged to the communicator's timer
 * with lt_comm_charge. */
#ifndef LT_IO_INTERNAL_H
#define LT_IO_INTERNAL_H

#include "latent/lt_comm_mpi.h"
#include <stdint.h>
#include "latent/lt_io.h"

/* Size of a regular file in bytes; LT_ERR_IO naming the path if missing. Not collective. */
lt_status lt_io_file_size(const char *path, int64_t *size);
/* Collective MPI_File_open; LT_ERR_IO with MPI's reason on failure (agreed). */
lt_status lt_io_open(lt_comm *c, const char *path, int amode, MPI_File *fh);
/* Collective close; keeps the first error. */
lt_status lt_io_close(lt_comm *c, MPI_File *fh, lt_status st);
/* Collective: rank reads nloc rows of rowbytes at offset + row0 * rowbytes
 * into buf with MPI_File_read_at_all; n is the global row count (all ranks
 * make the same number of calls). Status is agreed. */
lt_status lt_io_read_rows(lt_comm *c, MPI_File fh, const char *path, int64_t offset,
                          int64_t rowbytes, int64_t n, int64_t row0, int64_t nloc, void *buf);
/* Collective write counterpart of lt_io_read_rows (MPI_File_write_at_all). */
lt_status lt_io_write_rows(lt_comm *c, MPI_File fh, const char *path, int64_t offset,
                           int64_t rowbytes, int64_t n, int64_t row0, int64_t nloc,
                           const void *buf);
/* Collective: writes `bytes` bytes at `offset` (per rank, any sizes). */
lt_status lt_io_write_bytes(lt_comm *c, MPI_File fh, const char *path, int64_t offset,
                            int64_t bytes, const void *buf);
/* Independent read of up to `bytes` at `offset`; *got < bytes only at the
 * end of the file. Not collective. */
lt_status lt_io_read_at(MPI_File fh, const char *path, int64_t offset, void *buf, int64_t bytes,
                        int64_t *got);
/* Collective: sets the file's size (MPI_File_set_size); status agreed. */
lt_status lt_io_set_size(lt_comm *c, MPI_File fh, const char *path, int64_t bytes);
/* Raises LT_ERR_IO "what path: MPI reason". */
lt_status lt_io_mpi_error(int rc, const char *what, const char *path, const char *file,
                          int line);
/* Attaches int32 labels (nloc) to ds, replacing any. Not collective. */
lt_status lt_io_set_labels(lt_dataset *ds, int32_t *y);
/* 1 if name ends with suffix, ignoring case. */
int lt_io_has_suffix(const char *name, const char *suffix);

#endif
