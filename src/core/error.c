#include "latent/lt_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LT_MSG_CAP 2048
#define LT_TRACE_CAP 4096

/* The per-process error record (see lt_error.h for why it is global). */
static struct {
    lt_status code;
    char message[LT_MSG_CAP];
    char trace[LT_TRACE_CAP];
} rec;

static void trace_append(const char *file, int line, const char *what)
{
    size_t used = strlen(rec.trace);
    if (used + 1 >= sizeof rec.trace) return;
    snprintf(rec.trace + used, sizeof rec.trace - used, "  at %s:%d%s%s\n", file, line,
             what ? " " : "", what ? what : "");
}

lt_status lt_error_raise(lt_status code, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rec.message, sizeof rec.message, fmt, ap);
    va_end(ap);
    rec.code = code;
    rec.trace[0] = '\0';
    trace_append(file, line, NULL);
    return code;
}

void lt_error_trace(const char *file, int line, const char *expr)
{
    char what[160];
    snprintf(what, sizeof what, "(%s)", expr);
    trace_append(file, line, what);
}

const char *lt_error_message(void) { return rec.message; }
const char *lt_error_traceback(void) { return rec.trace; }
lt_status lt_error_code(void) { return rec.code; }

void lt_error_set_record(lt_status code, const char *message, const char *trace)
{
    rec.code = code;
    snprintf(rec.message, sizeof rec.message, "%s", message ? message : "");
    snprintf(rec.trace, sizeof rec.trace, "%s", trace ? trace : "");
}

void lt_error_clear(void) { lt_error_set_record(LT_OK, "", ""); }

lt_status lt_error_in_key(lt_status st, const char *key)
{
    if (st != LT_ERR_ARG) return st;
    /* "key: " in front; a message too long loses its end, not the key. */
    size_t k = strnlen(key, LT_MSG_CAP / 2), m = strlen(rec.message) + 1;
    if (m > LT_MSG_CAP - k - 2) m = LT_MSG_CAP - k - 2;
    memmove(rec.message + k + 2, rec.message, m);
    rec.message[LT_MSG_CAP - 1] = '\0';
    memcpy(rec.message, key, k);
    rec.message[k] = ':', rec.message[k + 1] = ' ';
    rec.code = LT_ERR_CONFIG;
    return LT_ERR_CONFIG;
}

const char *lt_status_name(lt_status s)
{
    static const char *names[] = {"ok", "invalid argument", "invalid input deck", "I/O error",
                                  "malformed file", "invalid data", "out of memory", "MPI error",
                                  "library error", "numerical failure", "failure on another rank",
                                  "internal error", "interrupted"};
    if ((int)s < 0 || (size_t)s >= sizeof names / sizeof names[0]) return "unknown error";
    return names[s];
}

int lt_status_exit_code(lt_status s)
{
    switch (s) {
    case LT_OK: return 0;
    case LT_ERR_ARG:
    case LT_ERR_CONFIG: return 2;
    case LT_ERR_IO:
    case LT_ERR_FORMAT:
    case LT_ERR_DATA: return 3;
    case LT_ERR_NUMERIC: return 4;
    case LT_ERR_INTERRUPTED: return 5;
    default: return 1;
    }
}

void *lt_malloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__, "out of memory allocating %zu bytes", bytes);
    return p;
}

void *lt_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        lt_error_raise(LT_ERR_MEM, __FILE__, __LINE__, "out of memory allocating %zu x %zu bytes",
                       count, size);
    return p;
}
