/* Fashion-MNIST IDX loader: finds a split's two files, checks their headers against each other
   before allocating, then reads images and labels, gzipped (zlib) or plain. */
#include "data/idx.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"

#if Q8_DATA_HAVE_ZLIB
#include <zlib.h>
#endif

enum {
  IMAGES_MAGIC = 0x00000803, /* IDX: unsigned bytes, 3 dimensions */
  LABELS_MAGIC = 0x00000801, /* IDX: unsigned bytes, 1 dimension */
  MAX_PATH = 4096,
  FIRST_CHUNK = 1 << 20      /* payload buffers start here and double as bytes arrive */
};

/* How to get the data set, appended to every "not found" message. */
#define GET_IT                                                                              \
  "install Fashion-MNIST with `apt-get install dataset-fashion-mnist` (into "              \
  Q8_DATASET_DEFAULT_DIR "), or give --data DIR, a directory with the four IDX files "     \
  "{train,t10k}-{images-idx3,labels-idx1}-ubyte, plain or .gz"

int q8_dataset_reads_gzip(void) { return Q8_DATA_HAVE_ZLIB; }

/* ---- one input file: plain or gzipped, read front to back ---- */

typedef struct idx_stream {
  char path[MAX_PATH];
#if Q8_DATA_HAVE_ZLIB
  gzFile gz;
#else
  FILE *file;
#endif
  bool compressed; /* known after the first read */
  uint64_t offset; /* bytes consumed, counted in the decompressed data */
} idx_stream;

static q8_status stream_open(idx_stream *s, q8_error *error) {
#if Q8_DATA_HAVE_ZLIB
  errno = 0;
  s->gz = gzopen(s->path, "rb");
  if (s->gz == NULL)
    return q8_fail(error, errno == ENOMEM || errno == 0 ? Q8_ERROR_OUT_OF_MEMORY : Q8_ERROR_IO,
                   "cannot open %s: %s", s->path, errno ? strerror(errno) : "out of memory");
  gzbuffer(s->gz, 1 << 17);
#else
  s->file = fopen(s->path, "rb");
  if (s->file == NULL) return q8_fail(error, Q8_ERROR_IO, "cannot open %s: %s", s->path, strerror(errno));
#endif
  return Q8_OK;
}

static void stream_close(idx_stream *s) {
#if Q8_DATA_HAVE_ZLIB
  if (s->gz != NULL) gzclose(s->gz);
  s->gz = NULL;
#else
  if (s->file != NULL) fclose(s->file);
  s->file = NULL;
#endif
}

#if Q8_DATA_HAVE_ZLIB
/* zlib's message starts with "<path>: ", which the caller's message already names. */
static const char *without_path(const char *message, const char *path) {
  size_t n = strlen(path);
  return strncmp(message, path, n) == 0 && strncmp(message + n, ": ", 2) == 0 ? message + n + 2
                                                                               : message;
}

/* Reads up to n bytes; *got < n only at the end of the data. A gzip stream that is corrupt
   or ends early is an error, never a short read. */
static q8_status stream_read(idx_stream *s, void *buf, size_t n, size_t *got, q8_error *error) {
  *got = 0;
  while (*got < n) {
    size_t want = n - *got;
    if (want > (1u << 30)) want = 1u << 30; /* gzread counts in unsigned, returns int */
    int r = gzread(s->gz, (uint8_t *)buf + *got, (unsigned)want);
    if (s->offset == 0 && *got == 0) s->compressed = gzdirect(s->gz) == 0;
    int errnum = Z_OK;
    const char *why = gzerror(s->gz, &errnum);
    if (r < 0 || (r == 0 && errnum != Z_OK)) {
      if (errnum == Z_ERRNO)
        return q8_fail(error, Q8_ERROR_IO, "cannot read %s: %s", s->path, strerror(errno));
      /* zlib reads ahead, so no offset is given: the error may lie past what was consumed. */
      return q8_fail(error, Q8_ERROR_IO, "%s: corrupt gzip data (zlib: %s)%s", s->path,
                     without_path(why, s->path),
                     errnum == Z_BUF_ERROR ? ": the .gz file is truncated" : "");
    }
    if (r == 0) break;
    *got += (size_t)r;
  }
  s->offset += *got;
  return Q8_OK;
}
#else
/* Without zlib a gzipped file is refused by name; plain files read as they are. */
static q8_status stream_read(idx_stream *s, void *buf, size_t n, size_t *got, q8_error *error) {
  *got = fread(buf, 1, n, s->file);
  if (*got < n && ferror(s->file))
    return q8_fail(error, Q8_ERROR_IO, "cannot read %s: %s", s->path, strerror(errno));
  const uint8_t *b = buf;
  if (s->offset == 0 && *got >= 2 && b[0] == 0x1f && b[1] == 0x8b)
    return q8_fail(error, Q8_ERROR_IO,
                   "%s is gzip-compressed, and this q8 was built without zlib (Debian "
                   "zlib1g-dev): gunzip the file, or use a q8 built with zlib", s->path);
  s->offset += *got;
  return Q8_OK;
}
#endif

/* " (offsets in the decompressed data)" for gzipped files, so an offset is never misread. */
static const char *offset_note(const idx_stream *s) {
  return s->compressed ? " (offsets count decompressed bytes)" : "";
}

/* ---- finding the files ---- */

static q8_status check_dir(const char *dir, q8_error *error) {
  struct stat st;
  if (stat(dir, &st) != 0)
    return q8_fail(error, Q8_ERROR_IO, "data directory %s: %s; " GET_IT, dir, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return q8_fail(error, Q8_ERROR_IO, "data directory %s is not a directory; " GET_IT, dir);
  return Q8_OK;
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* Sets s->path to dir/name, or dir/name.gz when only that exists. */
static q8_status find_file(const char *dir, const char *name, idx_stream *s, q8_error *error) {
  int n = snprintf(s->path, sizeof s->path, "%s/%s", dir, name);
  if (n < 0 || (size_t)n + 3 >= sizeof s->path)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "data directory path is too long (%d bytes)",
                   (int)strlen(dir));
  if (is_file(s->path)) return Q8_OK;
  strcat(s->path, ".gz");
  if (is_file(s->path)) return Q8_OK;
  return q8_fail(error, Q8_ERROR_IO, "%s/%s (or %s.gz) is missing; " GET_IT, dir, name, name);
}

/* ---- headers ---- */

static uint32_t big_endian_u32(const uint8_t *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static q8_status fail_truncated(idx_stream *s, const char *what, uint64_t from, uint64_t need,
                                uint64_t found, q8_error *error) {
  return q8_fail(error, Q8_ERROR_MALFORMED,
                 "%s is truncated: %s at offset %llu needs %llu bytes, found %llu%s", s->path,
                 what, (unsigned long long)from, (unsigned long long)need,
                 (unsigned long long)found, offset_note(s));
}

static q8_status fail_magic(idx_stream *s, uint32_t found, uint32_t expected, q8_error *error) {
  if (!s->compressed && (found >> 16) != 0)
    return q8_fail(error, Q8_ERROR_MALFORMED,
                   "%s is neither gzip-compressed nor an IDX file: it starts with 0x%08x "
                   "(expected the IDX magic number 0x%08x)",
                   s->path, (unsigned)found, (unsigned)expected);
  const char *hint = found == LABELS_MAGIC   ? " (a labels file)"
                     : found == IMAGES_MAGIC ? " (an images file)"
                                             : "";
  return q8_fail(error, Q8_ERROR_MALFORMED,
                 "%s: wrong magic number 0x%08x%s, expected 0x%08x (IDX, unsigned bytes, %u "
                 "dimension%s)",
                 s->path, (unsigned)found, hint, (unsigned)expected, (unsigned)(expected & 0xff),
                 (expected & 0xff) == 1 ? "" : "s");
}

/* Reads the magic number and the n_dims dimension sizes that follow it. */
static q8_status read_header(idx_stream *s, uint32_t magic, int n_dims, uint32_t *dims,
                             q8_error *error) {
  uint8_t head[16];
  const size_t need = 4 + 4 * (size_t)n_dims;
  size_t got = 0;
  q8_status st = stream_read(s, head, 4, &got, error);
  if (st != Q8_OK) return st;
  if (got < 4) return fail_truncated(s, "the header", 0, need, got, error);
  uint32_t found = big_endian_u32(head);
  if (found != magic) return fail_magic(s, found, magic, error);
  st = stream_read(s, head + 4, need - 4, &got, error);
  if (st != Q8_OK) return st;
  if (got < need - 4) return fail_truncated(s, "the header", 0, need, 4 + got, error);
  for (int d = 0; d < n_dims; d++) dims[d] = big_endian_u32(head + 4 + 4 * d);
  return Q8_OK;
}

/* ---- payloads ---- */

/* Reads count records of record_size bytes into a malloc'd buffer that grows as the bytes
   arrive (a header claiming billions of records in a small file allocates little). */
static q8_status read_records(idx_stream *s, size_t count, size_t record_size, const char *what,
                              uint8_t **out, q8_error *error) {
  *out = NULL;
  const uint64_t start = s->offset;
  const size_t bytes = count * record_size; /* the caller checked the product */
  size_t cap = bytes < FIRST_CHUNK ? bytes : FIRST_CHUNK, have = 0;
  uint8_t *buf = malloc(cap > 0 ? cap : 1);
  if (buf == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory for %s", what);
  while (have < bytes) {
    if (have == cap) {
      size_t next = cap > bytes / 2 ? bytes : cap * 2;
      uint8_t *grown = realloc(buf, next);
      if (grown == NULL) {
        free(buf);
        return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory for %zu bytes of %s", next, what);
      }
      buf = grown;
      cap = next;
    }
    size_t got = 0;
    q8_status st = stream_read(s, buf + have, cap - have, &got, error);
    if (st != Q8_OK) {
      free(buf);
      return st;
    }
    have += got;
    if (got == 0) break;
  }
  if (have < bytes) {
    free(buf);
    char what_at[96];
    snprintf(what_at, sizeof what_at, "%zu %s (record %zu of %zu is incomplete)", count, what,
             have / record_size, count);
    return fail_truncated(s, what_at, start, bytes, have, error);
  }
  *out = buf;
  return Q8_OK;
}

/* After the last record the data must end: more bytes mean the header's count is wrong. */
static q8_status check_end(idx_stream *s, size_t count, const char *what, q8_error *error) {
  uint8_t extra;
  size_t got = 0;
  q8_status st = stream_read(s, &extra, 1, &got, error);
  if (st != Q8_OK) return st;
  if (got != 0)
    return q8_fail(error, Q8_ERROR_MALFORMED,
                   "%s has data after its %zu %s (from offset %llu on): the header's count "
                   "does not match the file%s",
                   s->path, count, what, (unsigned long long)(s->offset - 1), offset_note(s));
  return Q8_OK;
}

static q8_status check_labels(const idx_stream *s, const uint8_t *labels, size_t count,
                              uint64_t start, q8_error *error) {
  for (size_t i = 0; i < count; i++)
    if (labels[i] >= Q8_DATASET_CLASSES)
      return q8_fail(error, Q8_ERROR_MALFORMED,
                     "%s: label %zu (offset %llu) is %u, outside the %d classes 0..%d%s",
                     s->path, i, (unsigned long long)(start + i), (unsigned)labels[i],
                     Q8_DATASET_CLASSES, Q8_DATASET_CLASSES - 1, offset_note(s));
  return Q8_OK;
}

/* ---- the split ---- */

typedef struct split_files {
  idx_stream images, labels;
  uint32_t n_images, n_labels;
} split_files;

static q8_status open_split(const char *dir, const char *split, split_files *f, q8_error *error) {
  char name[64];
  q8_status st = check_dir(dir, error);
  snprintf(name, sizeof name, "%s-images-idx3-ubyte", split);
  if (st == Q8_OK) st = find_file(dir, name, &f->images, error);
  snprintf(name, sizeof name, "%s-labels-idx1-ubyte", split);
  if (st == Q8_OK) st = find_file(dir, name, &f->labels, error);
  if (st == Q8_OK) st = stream_open(&f->images, error);
  if (st == Q8_OK) st = stream_open(&f->labels, error);
  return st;
}

static q8_status check_headers(split_files *f, q8_error *error) {
  uint32_t dims[3];
  q8_status st = read_header(&f->images, IMAGES_MAGIC, 3, dims, error);
  if (st != Q8_OK) return st;
  f->n_images = dims[0];
  if (dims[1] != Q8_DATASET_ROWS || dims[2] != Q8_DATASET_COLS)
    return q8_fail(error, Q8_ERROR_MALFORMED,
                   "%s: images are %ux%u pixels (header, offset 8), expected %dx%d",
                   f->images.path, (unsigned)dims[1], (unsigned)dims[2], Q8_DATASET_ROWS,
                   Q8_DATASET_COLS);
  st = read_header(&f->labels, LABELS_MAGIC, 1, dims, error);
  if (st != Q8_OK) return st;
  f->n_labels = dims[0];
  if (f->n_images != f->n_labels)
    return q8_fail(error, Q8_ERROR_MALFORMED, "%s has %u images but %s has %u labels",
                   f->images.path, (unsigned)f->n_images, f->labels.path, (unsigned)f->n_labels);
#if SIZE_MAX / (28 * 28) < UINT32_MAX /* only where size_t is narrower than 42 bits */
  if (f->n_images > SIZE_MAX / Q8_DATASET_PIXELS)
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "%s: %u images do not fit in memory here",
                   f->images.path, (unsigned)f->n_images);
#endif
  return Q8_OK;
}

static q8_status read_split(split_files *f, int64_t limit, q8_dataset *ds, q8_error *error) {
  const bool all = limit == 0 || (uint64_t)limit >= f->n_images;
  const size_t count = all ? f->n_images : (size_t)limit;
  q8_status st = read_records(&f->images, count, Q8_DATASET_PIXELS, "images", &ds->images, error);
  if (st == Q8_OK && all) st = check_end(&f->images, count, "images", error);
  const uint64_t labels_start = f->labels.offset;
  if (st == Q8_OK) st = read_records(&f->labels, count, 1, "labels", &ds->labels, error);
  if (st == Q8_OK && all) st = check_end(&f->labels, count, "labels", error);
  if (st == Q8_OK) st = check_labels(&f->labels, ds->labels, count, labels_start, error);
  if (st == Q8_OK) ds->count = count;
  return st;
}

q8_status q8_dataset_load(const char *dir, const char *split, int64_t limit, q8_dataset *ds,
                          q8_error *error) {
  if (ds == NULL || split == NULL)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "dataset or split is NULL");
  memset(ds, 0, sizeof *ds);
  if (strcmp(split, "train") != 0 && strcmp(split, "t10k") != 0)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "unknown split '%s' (train or t10k)", split);
  if (limit < 0)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "limit %lld is negative", (long long)limit);
  if (dir == NULL) dir = Q8_DATASET_DEFAULT_DIR;
  split_files f;
  memset(&f, 0, sizeof f);
  q8_status st = open_split(dir, split, &f, error);
  if (st == Q8_OK) st = check_headers(&f, error);
  if (st == Q8_OK) st = read_split(&f, limit, ds, error);
  stream_close(&f.images);
  stream_close(&f.labels);
  if (st != Q8_OK) q8_dataset_free(ds);
  return st;
}

void q8_dataset_free(q8_dataset *ds) {
  if (ds == NULL) return;
  free(ds->images);
  free(ds->labels);
  memset(ds, 0, sizeof *ds);
}
