/* Rank-0 printing. Only rank 0 writes to stdout; lt_log_all prints from any
 * rank with a "[rank R]" prefix for diagnostics. Not collective. */
#ifndef LT_LOG_H
#define LT_LOG_H

#include "lt_comm.h"

void lt_log(const lt_comm *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lt_log_all(const lt_comm *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
