#include "latent/lt_log.h"

#include <stdarg.h>
#include <stdio.h>

void lt_log(const lt_comm *c, const char *fmt, ...)
{
    if (c && lt_comm_rank(c) != 0) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fflush(stdout);
}

void lt_log_all(const lt_comm *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[rank %d] ", c ? lt_comm_rank(c) : 0);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}
