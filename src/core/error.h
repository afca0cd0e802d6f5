/* Error messages: every failing internal call fills a q8_error and returns its status. */
#ifndef Q8_CORE_ERROR_H
#define Q8_CORE_ERROR_H

#include "q8/q8.h"

#if defined(__GNUC__)
#define Q8_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define Q8_PRINTF(f, a)
#endif

/* Formats the message into error (if not NULL) and returns status, so that callers write
   `return q8_fail(err, Q8_ERROR_MALFORMED, "tensor %d: ...", i);`. */
q8_status q8_fail(q8_error *error, q8_status status, const char *fmt, ...) Q8_PRINTF(3, 4);

/* Prepends "prefix: " to an existing message (used to add context while unwinding). */
void q8_error_prefix(q8_error *error, const char *fmt, ...) Q8_PRINTF(2, 3);

#endif
