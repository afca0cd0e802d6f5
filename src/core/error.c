/* Error message formatting shared by every layer. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

q8_status q8_fail(q8_error *error, q8_status status, const char *fmt, ...) {
  if (error != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error->message, sizeof error->message, fmt, ap);
    va_end(ap);
  }
  return status;
}

void q8_error_prefix(q8_error *error, const char *fmt, ...) {
  if (error == NULL) return;
  char prefix[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  /* Build "prefix: old" by hand: truncating a long message is intended, and snprintf with
     two %s arguments would make GCC warn about exactly that. */
  char old[sizeof error->message];
  memcpy(old, error->message, sizeof old);
  old[sizeof old - 1] = 0;
  const size_t cap = sizeof error->message - 1;
  size_t n = strlen(prefix);
  if (n > cap) n = cap;
  memcpy(error->message, prefix, n);
  for (const char *sep = ": "; *sep != 0 && n < cap; sep++) error->message[n++] = *sep;
  size_t rest = strlen(old);
  if (rest > cap - n) rest = cap - n;
  memcpy(error->message + n, old, rest);
  error->message[n + rest] = 0;
}

const char *q8_status_name(q8_status status) {
  switch (status) {
    case Q8_OK: return "Q8_OK";
    case Q8_ERROR_INVALID_ARGUMENT: return "Q8_ERROR_INVALID_ARGUMENT";
    case Q8_ERROR_IO: return "Q8_ERROR_IO";
    case Q8_ERROR_MALFORMED: return "Q8_ERROR_MALFORMED";
    case Q8_ERROR_UNSUPPORTED: return "Q8_ERROR_UNSUPPORTED";
    case Q8_ERROR_INVALID_MODEL: return "Q8_ERROR_INVALID_MODEL";
    case Q8_ERROR_OUT_OF_MEMORY: return "Q8_ERROR_OUT_OF_MEMORY";
    case Q8_ERROR_STATE: return "Q8_ERROR_STATE";
  }
  return "Q8_ERROR_UNKNOWN";
}
