/* One error idiom for all of latent (PETSc style).
 *
 * Every fallible function returns lt_status. A failure is raised once with
 * LT_FAIL / LT_CHECK, which records a message with file:line; callers pass it
 * up with LT_CALL, which appends a trace line. Nothing below src/cli exits.
 *
 * The message lives in one per-process record (the only global state in
 * latent besides MPI's own): an error is a property of the process, and
 * lt_comm_agree copies the first failing rank's record to every rank. */
#ifndef LT_ERROR_H
#define LT_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
    LT_OK = 0,
    LT_ERR_ARG,      /* bad argument or option value */
    LT_ERR_CONFIG,   /* bad input deck */
    LT_ERR_IO,       /* file missing, unreadable, unwritable */
    LT_ERR_FORMAT,   /* file readable but malformed */
    LT_ERR_DATA,     /* data unusable: NaN, wrong shape, too few rows */
    LT_ERR_MEM,      /* allocation failed */
    LT_ERR_MPI,      /* an MPI call failed */
    LT_ERR_LIB,      /* a library (ScaLAPACK, HDF5, ...) failed */
    LT_ERR_NUMERIC,  /* numerical failure: divergence, no convergence */
    LT_ERR_REMOTE,   /* placeholder: failed on another rank (see lt_comm_agree) */
    LT_ERR_INTERNAL,
    LT_ERR_INTERRUPTED /* stopped on request (signal); a checkpoint can resume */
} lt_status;

/* Records a new error (replacing any earlier one) and returns code. */
lt_status lt_error_raise(lt_status code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends "  at file:line (expr)" to the current error's trace. */
void lt_error_trace(const char *file, int line, const char *expr);
/* Current message ("" when none), trace, and code. */
const char *lt_error_message(void);
const char *lt_error_traceback(void);
lt_status lt_error_code(void);
/* Replaces the record wholesale (used when agreeing errors across ranks). */
void lt_error_set_record(lt_status code, const char *message, const char *trace);
void lt_error_clear(void);
/* For a value read from the input deck: a failure LT_ERR_ARG (e.g. an
 * unknown name, lt_name.h) becomes LT_ERR_CONFIG with "key: " before its
 * message, trace kept; any other status is returned as it is. */
lt_status lt_error_in_key(lt_status st, const char *key);
const char *lt_status_name(lt_status s);
/* Exit code of the program for a status: 0 for LT_OK, 2 for usage/config
 * errors, 3 for input data errors, 4 for numerical failures, 5 when
 * interrupted by a signal after writing a checkpoint, 1 otherwise. */
int lt_status_exit_code(lt_status s);

#define LT_FAIL(code, ...) return lt_error_raise((code), __FILE__, __LINE__, __VA_ARGS__)

#define LT_CHECK(cond, code, ...)                      \
    do {                                               \
        if (!(cond)) LT_FAIL((code), __VA_ARGS__);     \
    } while (0)

#define LT_CALL(expr)                                  \
    do {                                               \
        lt_status lt_s_ = (expr);                      \
        if (lt_s_ != LT_OK) {                          \
            lt_error_trace(__FILE__, __LINE__, #expr); \
            return lt_s_;                              \
        }                                              \
    } while (0)

/* For functions that must clean up: sets `st` and jumps to `label`. */
#define LT_CALL_GOTO(st, expr, label)                  \
    do {                                               \
        (st) = (expr);                                 \
        if ((st) != LT_OK) {                           \
            lt_error_trace(__FILE__, __LINE__, #expr); \
            goto label;                                \
        }                                              \
    } while (0)

#define LT_RAISE_GOTO(st, label, code, ...)                               \
    do {                                                                  \
        (st) = lt_error_raise((code), __FILE__, __LINE__, __VA_ARGS__);   \
        goto label;                                                       \
    } while (0)

/* Checked allocation: p = lt_malloc(n) returns NULL only with an error raised. */
void *lt_malloc(size_t bytes);
void *lt_calloc(size_t count, size_t size);
#define LT_ALLOC(ptr, count)                                                       \
    do {                                                                           \
        (ptr) = lt_calloc((size_t)(count), sizeof(*(ptr)));  \
        if (!(ptr)) {                                                              \
            lt_error_trace(__FILE__, __LINE__, "allocation of " #ptr);             \
            return LT_ERR_MEM;                                                     \
        }                                                                          \
    } while (0)

#endif
