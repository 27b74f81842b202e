/* Shared I/O machinery: atomic commit, MPI-IO row transfers, format dispatch. */
#include "io_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes per MPI-IO call: counts stay far below INT_MAX. */
#define LT_IO_CHUNK ((int64_t)1 << 30)

void lt_read_opts_default(lt_read_opts *o)
{
    memset(o, 0, sizeof *o);
    o->allow_nonfinite = 0;
    o->csv_header = -1;
    o->csv_label_column = -1;
    o->csv_separator = 0;
    o->h5_dataset = "X";
    o->h5_labels = NULL;
}

int lt_io_has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    if (k > n) return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)name[n - k + i]) != tolower((unsigned char)suffix[i])) return 0;
    return 1;
}

lt_status lt_io_file_size(const char *path, int64_t *size)
{
    struct stat sb;
    LT_CHECK(stat(path, &sb) == 0, LT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    LT_CHECK(S_ISREG(sb.st_mode), LT_ERR_IO, "%s: not a regular file", path);
    *size = (int64_t)sb.st_size;
    return LT_OK;
}

lt_status lt_io_mpi_error(int rc, const char *what, const char *path, const char *file, int line)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) snprintf(msg, sizeof msg, "code %d", rc);
    return lt_error_raise(LT_ERR_IO, file, line, "%s: %s failed: %s", path, what, msg);
}

lt_status lt_io_open(lt_comm *c, const char *path, int amode, MPI_File *fh)
{
    double t0 = lt_wtime();
    int rc = MPI_File_open(lt_comm_handle(c), path, amode, MPI_INFO_NULL, fh);
    lt_comm_charge(c, lt_wtime() - t0, 0);
    lt_status st = LT_OK;
    if (rc != MPI_SUCCESS) {
        *fh = MPI_FILE_NULL;
        st = lt_io_mpi_error(rc, "MPI_File_open", path, __FILE__, __LINE__);
    }
    st = lt_comm_agree(c, st);
    if (st != LT_OK && *fh != MPI_FILE_NULL) MPI_File_close(fh);
    return st;
}

lt_status lt_io_close(lt_comm *c, MPI_File *fh, lt_status st)
{
    (void)c;
    if (*fh == MPI_FILE_NULL) return st;
    int rc = MPI_File_close(fh);
    if (rc != MPI_SUCCESS && st == LT_OK)
        st = lt_io_mpi_error(rc, "MPI_File_close", "file", __FILE__, __LINE__);
    return st;
}

/* One loop for reads and writes: chunks of whole rows, the same number of
 * collective calls on every rank (ranks that run out pass count 0). */
static lt_status rows_io(lt_comm *c, MPI_File fh, const char *path, int64_t offset,
                         int64_t rowbytes, int64_t n, int64_t row0, int64_t nloc, void *buf,
                         int write)
{
    LT_CHECK(rowbytes > 0 && rowbytes < INT_MAX, LT_ERR_DATA, "%s: rows of %lld bytes are too long",
             path, (long long)rowbytes);
    (void)n;
    int64_t rows_per = LT_IO_CHUNK / rowbytes > 0 ? LT_IO_CHUNK / rowbytes : 1;
    int64_t calls = (nloc + rows_per - 1) / rows_per;
    LT_CALL(lt_comm_max_i64(c, &calls, 1));
    MPI_Datatype row;
    MPI_Type_contiguous((int)rowbytes, MPI_BYTE, &row);
    MPI_Type_commit(&row);
    lt_status st = LT_OK;
    double t0 = lt_wtime();
    for (int64_t k = 0; k < calls; k++) {
        int64_t first = k * rows_per, cnt = nloc - first;
        cnt = cnt < 0 ? 0 : cnt > rows_per ? rows_per : cnt;
        MPI_Offset at = (MPI_Offset)(offset + (row0 + (cnt ? first : 0)) * rowbytes);
        char *p = (char *)buf + (cnt ? first * rowbytes : 0);
        MPI_Status ms;
        int rc = write ? MPI_File_write_at_all(fh, at, p, (int)cnt, row, &ms)
                       : MPI_File_read_at_all(fh, at, p, (int)cnt, row, &ms);
        int got = 0;
        if (rc == MPI_SUCCESS) MPI_Get_count(&ms, row, &got);
        if (rc != MPI_SUCCESS && st == LT_OK)
            st = lt_io_mpi_error(rc, write ? "MPI_File_write_at_all" : "MPI_File_read_at_all",
                                 path, __FILE__, __LINE__);
        else if (st == LT_OK && got != (int)cnt)
            st = lt_error_raise(LT_ERR_FORMAT, __FILE__, __LINE__,
                                "%s: short %s (%d of %lld rows): file truncated?", path,
                                write ? "write" : "read", got, (long long)cnt);
    }
    lt_comm_charge(c, lt_wtime() - t0, nloc * rowbytes);
    MPI_Type_free(&row);
    return lt_comm_agree(c, st);
}

lt_status lt_io_read_rows(lt_comm *c, MPI_File fh, const char *path, int64_t offset,
                          int64_t rowbytes, int64_t n, int64_t row0, int64_t nloc, void *buf)
{
    lt_event_begin(lt_comm_timer(c), LT_EV_IO_READ);
    lt_status st = rows_io(c, fh, path, offset, rowbytes, n, row0, nloc, buf, 0);
    lt_event_end(lt_comm_timer(c), LT_EV_IO_READ, 0);
    return st;
}

lt_status lt_io_write_rows(lt_comm *c, MPI_File fh, const char *path, int64_t offset,
                           int64_t rowbytes, int64_t n, int64_t row0, int64_t nloc,
                           const void *buf)
{
    lt_event_begin(lt_comm_timer(c), LT_EV_IO_WRITE);
    lt_status st = rows_io(c, fh, path, offset, rowbytes, n, row0, nloc, (void *)buf, 1);
    lt_event_end(lt_comm_timer(c), LT_EV_IO_WRITE, 0);
    return st;
}

lt_status lt_io_read_at(MPI_File fh, const char *path, int64_t offset, void *buf, int64_t bytes,
                        int64_t *got)
{
    *got = 0;
    while (*got < bytes) {
        int cnt = (int)(bytes - *got < LT_IO_CHUNK ? bytes - *got : LT_IO_CHUNK), n = 0;
        MPI_Status ms;
        int rc = MPI_File_read_at(fh, (MPI_Offset)(offset + *got), (char *)buf + *got, cnt,
                                  MPI_BYTE, &ms);
        if (rc != MPI_SUCCESS)
            return lt_io_mpi_error(rc, "MPI_File_read_at", path, __FILE__, __LINE__);
        MPI_Get_count(&ms, MPI_BYTE, &n);
        if (n <= 0) break; /* end of file */
        *got += n;
    }
    return LT_OK;
}

lt_status lt_io_set_size(lt_comm *c, MPI_File fh, const char *path, int64_t bytes)
{
    int rc = MPI_File_set_size(fh, (MPI_Offset)bytes);
    return lt_comm_agree(c, rc == MPI_SUCCESS ? LT_OK
                                              : lt_io_mpi_error(rc, "MPI_File_set_size", path,
                                                                __FILE__, __LINE__));
}

lt_status lt_io_write_bytes(lt_comm *c, MPI_File fh, const char *path, int64_t offset,
                            int64_t bytes, const void *buf)
{
    /* Byte "rows" of a chunk each; the global call count is the longest rank's. */
    int64_t calls = (bytes + LT_IO_CHUNK - 1) / LT_IO_CHUNK;
    LT_CALL(lt_comm_max_i64(c, &calls, 1));
    lt_status st = LT_OK;
    double t0 = lt_wtime();
    for (int64_t k = 0; k < calls; k++) {
        int64_t first = k * LT_IO_CHUNK, cnt = bytes - first;
        cnt = cnt < 0 ? 0 : cnt > LT_IO_CHUNK ? LT_IO_CHUNK : cnt;
        MPI_Status ms;
        int rc = MPI_File_write_at_all(fh, (MPI_Offset)(offset + (cnt ? first : 0)),
                                       (const char *)buf + (cnt ? first : 0), (int)cnt, MPI_BYTE,
                                       &ms);
        if (rc != MPI_SUCCESS && st == LT_OK)
            st = lt_io_mpi_error(rc, "MPI_File_write_at_all", path, __FILE__, __LINE__);
    }
    lt_comm_charge(c, lt_wtime() - t0, bytes);
    return lt_comm_agree(c, st);
}

lt_status lt_io_tmpname(lt_comm *c, const char *path, char *tmp, size_t cap)
{
    /* Rank 0's pid, broadcast, so every rank names the same file. */
    int64_t pid = (int64_t)getpid();
    LT_CALL(lt_comm_bcast(c, &pid, sizeof pid, 0)); /* agreed: see lt_comm.h */
    int len = snprintf(tmp, cap, "%s.tmp.%lld", path, (long long)pid);
    /* Same path and pid on every rank: the length check agrees by itself. */
    LT_CHECK(len > 0 && (size_t)len < cap, LT_ERR_ARG, "%s: path too long", path);
    return LT_OK;
}

lt_status lt_io_commit(lt_comm *c, lt_status local, const char *tmp, const char *path)
{
    lt_status st = lt_comm_agree(c, local);
    if (st != LT_OK) {
        if (lt_comm_rank(c) == 0) remove(tmp); /* may not exist: nothing to report */
        return st;
    }
    lt_status r = LT_OK;
    if (lt_comm_rank(c) == 0 && rename(tmp, path) != 0) {
        r = lt_error_raise(LT_ERR_IO, __FILE__, __LINE__, "%s: cannot rename from %s: %s", path,
                           tmp, strerror(errno));
        remove(tmp);
    }
    return lt_comm_agree(c, r);
}

lt_status lt_io_set_labels(lt_dataset *ds, int32_t *y)
{
    free(ds->y);
    ds->y = y;
    return LT_OK;
}

static int is_idx_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char low[512];
    size_t i = 0;
    for (; base[i] && i + 1 < sizeof low; i++) low[i] = (char)tolower((unsigned char)base[i]);
    low[i] = '\0';
    return strstr(low, "idx") != NULL || strstr(low, "ubyte") != NULL;
}

static lt_status read_data(lt_comm *c, const char *path, const char *labels_path,
                           const lt_read_opts *o, lt_dataset **out)
{
    if (is_idx_name(path)) return lt_idx_read(c, path, labels_path, o, out);
    if (lt_io_has_suffix(path, ".npy")) return lt_npy_read(c, path, o, out);
    if (lt_io_has_suffix(path, ".csv") || lt_io_has_suffix(path, ".tsv") ||
        lt_io_has_suffix(path, ".txt"))
        return lt_csv_read(c, path, o, out);
    if (lt_io_has_suffix(path, ".h5") || lt_io_has_suffix(path, ".hdf5"))
        return lt_h5_read(c, path, o, out);
    LT_FAIL(LT_ERR_ARG,
            "%s: cannot tell the format from the name (expected .npy, .csv, .tsv, .txt, .h5, "
            ".hdf5, or an IDX name containing \"idx\" or \"ubyte\")",
            path);
}

lt_status lt_read_any(lt_comm *c, const char *path, const char *labels_path,
                      const lt_read_opts *o, lt_dataset **out)
{
    lt_read_opts def;
    if (!o) lt_read_opts_default(&def), o = &def;
    *out = NULL;
    LT_CHECK(path && *path, LT_ERR_ARG, "no data file given");
    int has_labels = labels_path && *labels_path;
    LT_CALL(read_data(c, path, labels_path, o, out));
    if (!has_labels || is_idx_name(path)) return LT_OK;
    lt_status st = LT_OK;
    if (lt_io_has_suffix(labels_path, ".npy"))
        st = lt_npy_read_labels(c, labels_path, *out);
    else
        st = lt_error_raise(LT_ERR_ARG, __FILE__, __LINE__,
                            "%s: labels files must be .npy (1-D int32, int64 or uint8)",
                            labels_path);
    if (st != LT_OK) lt_dataset_destroy(out);
    return st;
}
