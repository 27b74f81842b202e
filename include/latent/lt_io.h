/* Parallel readers and writers. Every function here is collective: each rank
 * reads or writes only its own rows, and errors (missing file, bad header,
 * truncation, NaN, ...) are agreed so every rank returns the same status with
 * a message naming the file. Writers write to "<path>.tmp.<pid of rank 0>"
 * and rename when complete (lt_io_commit). */
#ifndef LT_IO_H
#define LT_IO_H

#include "lt_dataset.h"

typedef struct lt_read_opts {
    int allow_nonfinite;      /* accept NaN/Inf instead of failing */
    /* CSV */
    int csv_header;           /* -1 auto-detect, 0 no, 1 yes */
    int csv_label_column;     /* column index holding labels, -1 none */
    char csv_separator;       /* 0 = detect among , \t ; space */
    /* HDF5 */
    const char *h5_dataset;   /* default "X" */
    const char *h5_labels;    /* NULL or "" = no labels */
} lt_read_opts;

void lt_read_opts_default(lt_read_opts *o);

lt_status lt_npy_read(lt_comm *c, const char *path, const lt_read_opts *o, lt_dataset **out);
/* Attaches labels from a 1-D integer .npy (int32/int64/uint8) to ds. */
lt_status lt_npy_read_labels(lt_comm *c, const char *path, lt_dataset *ds);
/* float32 C-order .npy of ds->x (n x d). */
lt_status lt_npy_write(lt_comm *c, const char *path, const lt_dataset *ds);
/* int32 .npy of ds->y (n). */
lt_status lt_npy_write_labels(lt_comm *c, const char *path, const lt_dataset *ds);

lt_status lt_csv_read(lt_comm *c, const char *path, const lt_read_opts *o, lt_dataset **out);
/* Header "x0,...,x{d-1}[,label]", values with %.9g (float round trip). */
lt_status lt_csv_write(lt_comm *c, const char *path, const lt_dataset *ds);

/* MNIST/Fashion-MNIST IDX (optionally .gz): images scaled to [0, 1] floats. */
lt_status lt_idx_read(lt_comm *c, const char *images, const char *labels, const lt_read_opts *o,
                      lt_dataset **out);

lt_status lt_h5_read(lt_comm *c, const char *path, const lt_read_opts *o, lt_dataset **out);
lt_status lt_h5_write(lt_comm *c, const char *path, const char *dataset, const char *labels,
                      const lt_dataset *ds);

/* Detects the format from the file name (.npy, .csv/.tsv/.txt, .h5/.hdf5,
 * idx/ubyte names) and reads. */
lt_status lt_read_any(lt_comm *c, const char *path, const char *labels_path,
                      const lt_read_opts *o, lt_dataset **out);

/* Atomic file replacement shared by every writer: fills `tmp` with the
 * temporary name for `path`; after writing, lt_io_commit agrees the local
 * status and, if all ranks succeeded, rank 0 renames tmp to path (else
 * removes tmp). Collective; lt_io_tmpname's status is agreed (a failed
 * broadcast or a name longer than cap). */
lt_status lt_io_tmpname(lt_comm *c, const char *path, char *tmp, size_t cap);
lt_status lt_io_commit(lt_comm *c, lt_status local, const char *tmp, const char *path);

#endif
