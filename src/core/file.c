/* Atomic file writes (see file.h): temporary file, fsync, rename, directory fsync. */
#define _POSIX_C_SOURCE 200809L
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

/* Distinguishes temporary files of concurrent writers in one process. */
static atomic_uint tmp_counter;

static int write_all(int fd, const void *data, size_t size) {
  const unsigned char *p = data;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

/* Makes the rename durable: fsync of the directory that holds path (best effort: some file
   systems refuse to sync directories, which does not make the write itself fail). */
static void sync_parent(const char *path) {
  const char *slash = strrchr(path, '/');
  char dir[4096];
  if (slash == NULL) {
    snprintf(dir, sizeof dir, ".");
  } else {
    size_t n = (size_t)(slash - path);
    if (n == 0) n = 1; /* "/file" lives in "/" */
    if (n >= sizeof dir) return;
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  int fd = open(dir, O_RDONLY);
  if (fd < 0) return;
  (void)fsync(fd);
  close(fd);
}

/* Writes every part and flushes it to disk; 0 or the errno of the first failure. */
static int write_parts(int fd, const void *const *parts, const size_t *sizes, int n_parts) {
  for (int i = 0; i < n_parts; i++) {
    if (write_all(fd, parts[i], sizes[i]) != 0) return errno != 0 ? errno : EIO;
  }
  return fsync(fd) != 0 ? errno : 0; /* durable before it replaces the old file */
}

q8_status q8_file_write_atomic(const char *path, const void *const *parts, const size_t *sizes,
                               int n_parts, q8_error *error) {
  if (path == NULL || (n_parts > 0 && (parts == NULL || sizes == NULL)))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "file path or data is NULL");
  char tmp[4200];
  int len = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
                     atomic_fetch_add(&tmp_counter, 1u));
  if (len < 0 || (size_t)len >= sizeof tmp)
    return q8_fail(error, Q8_ERROR_IO, "%s: path is too long", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return q8_fail(error, Q8_ERROR_IO, "%s: cannot create: %s", tmp, strerror(errno));
  errno = 0;
  int err = write_parts(fd, parts, sizes, n_parts);
  if (close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && rename(tmp, path) != 0) err = errno;
  if (err != 0) {
    unlink(tmp);
    return q8_fail(error, Q8_ERROR_IO, "%s: cannot write: %s", path, strerror(err));
  }
  sync_parent(path);
  return Q8_OK;
}
