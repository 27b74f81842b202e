/* Fuzz harnesses of the readers that take outside bytes (docs/reliability.md,
 * "Fuzzing"). Each fuzz_NAME.c defines LLVMFuzzerTestOneInput: it turns the
 * input into the file(s) the real reader wants, in a private temporary
 * folder, and calls the reader on a one-rank communicator (MPI_COMM_SELF).
 * Built two ways (tests/fuzz/CMakeLists.txt): with clang's libFuzzer for
 * campaigns (LATENT_FUZZ=ON), and in every build with replay.c, which runs
 * the committed corpus through the same function (CTest fuzz/replay_NAME).
 *
 * Any status the reader returns is fine; a crash, a sanitizer report, a
 * hang or a leak is a finding. Input layouts are documented per harness:
 * usually a few option bytes, then the file. */
#ifndef LT_FUZZ_H
#define LT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "latent/lt_comm.h"
#include "latent/lt_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The one-rank communicator (MPI initialised on first use, finalised at exit). */
lt_comm *lt_fuzz_comm(void);
/* Finalises MPI (the replay driver, under mpiexec, before it exits). */
void lt_fuzz_finalize(void);
/* "<temporary folder>/name" (the folder is created on first use, removed at exit). */
const char *lt_fuzz_path(const char *name);
/* Writes bytes to lt_fuzz_path(name); returns that path, or NULL. */
const char *lt_fuzz_write(const char *name, const void *data, size_t size);
/* Same, gzip-compressed. */
const char *lt_fuzz_write_gz(const char *name, const void *data, size_t size);
/* Removes every file left in the temporary folder (between inputs). */
void lt_fuzz_clean(void);
/* Ends an input: clears the error record and the temporary files. */
int lt_fuzz_done(void);

/* Consuming option bytes from the front of an input: the byte, or 0 when
 * the input is exhausted. */
typedef struct {
    const uint8_t *p;
    size_t n;
} lt_fuzz_in;
uint8_t lt_fuzz_byte(lt_fuzz_in *in);
/* Up to n bytes (fewer at the end); *got receives the count. */
const uint8_t *lt_fuzz_take(lt_fuzz_in *in, size_t n, size_t *got);

#endif
