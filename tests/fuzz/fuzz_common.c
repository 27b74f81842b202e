/* Shared by the fuzz harnesses: MPI, the one-rank communicator, the
 * temporary folder and input helpers (see fuzz.h). */
#define _GNU_SOURCE /* mkdtemp */
#include "fuzz.h"
#include "latent/lt_comm_mpi.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static lt_comm *comm;
static char dir[256], path[512];

static void clean_dir(const char *d, int depth, int bases);

/* At exit: the folder goes, MPI stays up. Finalising Open MPI frees only
 * part of its state, and LeakSanitizer's check at exit would report the rest
 * (not ours) as leaks of the last input; unfinalised, it stays reachable.
 * The replay driver, run by mpiexec, finalises (lt_fuzz_finalize). */
static void finish(void)
{
    if (dir[0]) clean_dir(dir, 0, 1), rmdir(dir);
    dir[0] = '\0';
    lt_comm_destroy(&comm);
}

void lt_fuzz_finalize(void)
{
    finish();
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) lt_mpi_finalize();
}

lt_comm *lt_fuzz_comm(void)
{
    if (comm) return comm;
    int init = 0;
    MPI_Initialized(&init);
    if (!init) MPI_Init(NULL, NULL);
    if (lt_comm_create_self(&comm) != LT_OK) {
        fprintf(stderr, "fuzz: cannot create the communicator: %s\n", lt_error_message());
        abort();
    }
    atexit(finish);
    return comm;
}

const char *lt_fuzz_path(const char *name)
{
    if (!dir[0]) {
        /* tmpfs when there is one: the readers open files on every input */
        const char *base = getenv("LT_FUZZ_TMP");
        if (!base || !*base) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/ltfuzz.XXXXXX", base);
        if (!mkdtemp(dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

const char *lt_fuzz_write(const char *name, const void *data, size_t size)
{
    const char *p = lt_fuzz_path(name);
    FILE *f = fopen(p, "wb");
    if (!f) return NULL;
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    return fclose(f) == 0 && put == size ? p : NULL;
}

const char *lt_fuzz_write_gz(const char *name, const void *data, size_t size)
{
    const char *p = lt_fuzz_path(name);
    gzFile g = gzopen(p, "wb");
    if (!g) return NULL;
    int put = size ? gzwrite(g, data, (unsigned)size) : 0;
    return gzclose(g) == Z_OK && (size_t)put == size ? p : NULL;
}

/* Files and one level of folders (the checkpoint and Matrix Market
 * harnesses make one), except the base files. */
static void clean_dir(const char *d, int depth, int bases)
{
    DIR *dp = opendir(d);
    if (!dp) return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(dp)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (!bases && depth == 0 && !strncmp(e->d_name, "base.", 5)) continue; /* fuzz_bases.c */
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        if (unlink(p) != 0 && depth == 0) {
            clean_dir(p, 1, bases);
            rmdir(p);
        }
    }
    closedir(dp);
}

void lt_fuzz_clean(void)
{
    if (dir[0]) clean_dir(dir, 0, 0);
}

int lt_fuzz_done(void)
{
    lt_error_clear();
    lt_fuzz_clean();
    return 0;
}

uint8_t lt_fuzz_byte(lt_fuzz_in *in)
{
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

const uint8_t *lt_fuzz_take(lt_fuzz_in *in, size_t n, size_t *got)
{
    const uint8_t *p = in->p;
    *got = n < in->n ? n : in->n;
    in->p += *got, in->n -= *got;
    return p;
}
