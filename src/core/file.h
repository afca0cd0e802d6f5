/* Files written atomically: a crash leaves the old file or the new one, never half of one. */
#ifndef Q8_CORE_FILE_H
#define Q8_CORE_FILE_H

#include <stddef.h>

#include "q8/q8.h"

/* Writes the n_parts byte ranges, in order, to a new temporary file in path's directory
   ("<path>.tmp.<pid>.<n>", created exclusively), flushes it to disk, renames it over path and
   syncs the directory. On failure the temporary file is removed, path is untouched, and
   Q8_ERROR_IO names the file and the system's reason. */
q8_status q8_file_write_atomic(const char *path, const void *const *parts, const size_t *sizes,
                               int n_parts, q8_error *error);

#endif
