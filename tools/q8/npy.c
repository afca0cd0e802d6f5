/* Reading and writing NumPy .npy files (version 1-3, C order, little endian). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char *npy_descr_of(q8_type type) {
  switch (type) {
    case Q8_TYPE_INT8: return "|i1";
    case Q8_TYPE_UINT8: return "|u1";
    case Q8_TYPE_FLOAT32: return "<f4";
    case Q8_TYPE_INT32: return "<i4";
  }
  return NULL;
}

size_t npy_item_size(const char *descr) {
  if (strcmp(descr, "|i1") == 0 || strcmp(descr, "|u1") == 0) return 1;
  if (strcmp(descr, "<f4") == 0 || strcmp(descr, "<i4") == 0) return 4;
  return 0;
}

/* Value text after 'key': in a header dict, or NULL. */
static const char *dict_value(const char *header, const char *key) {
  const char *p = strstr(header, key);
  if (p == NULL) return NULL;
  p = strchr(p + strlen(key), ':');
  if (p == NULL) return NULL;
  p++;
  while (*p == ' ') p++;
  return p;
}

static int parse_descr(const char *path, const char *header, npy_array *a) {
  const char *v = dict_value(header, "'descr'");
  if (v == NULL || (*v != '\'' && *v != '"')) return !cli_error("%s: .npy header has no descr", path);
  size_t n = strcspn(v + 1, "'\"");
  if (n >= sizeof a->descr) return !cli_error("%s: .npy descr is too long", path);
  memcpy(a->descr, v + 1, n);
  a->descr[n] = 0;
  /* NumPy writes int8/uint8 with '|' but accepts '<' too. */
  if (strcmp(a->descr, "<i1") == 0) strcpy(a->descr, "|i1");
  if (strcmp(a->descr, "<u1") == 0) strcpy(a->descr, "|u1");
  if (npy_item_size(a->descr) == 0)
    return !cli_error("%s: .npy element type '%s' is not int8 (|i1), uint8 (|u1), int32 (<i4) "
                      "or float32 (<f4)", path, a->descr);
  return 1;
}

static int parse_shape(const char *path, const char *header, npy_array *a) {
  const char *v = dict_value(header, "'fortran_order'");
  if (v == NULL || strncmp(v, "False", 5) != 0)
    return !cli_error("%s: .npy must be in C order (fortran_order False)", path);
  v = dict_value(header, "'shape'");
  if (v == NULL || *v != '(') return !cli_error("%s: .npy header has no shape", path);
  v++;
  a->rank = 0;
  a->count = 1;
  while (*v != ')') {
    char *end;
    errno = 0;
    long long d = *v >= '0' && *v <= '9' ? strtoll(v, &end, 10) : (end = (char *)v, 0);
    if (end == v || errno != 0 || d < 0 || a->rank == 8)
      return !cli_error("%s: .npy shape is malformed or has more than 8 dimensions", path);
    if (d != 0 && a->count > ((size_t)1 << 40) / (size_t)d)
      return !cli_error("%s: .npy shape has too many elements", path);
    a->dims[a->rank++] = d;
    a->count *= (size_t)d;
    /* Exactly one comma between dimensions; "(3,)" and "(3)" are both NumPy's spelling. */
    v = end;
    while (*v == ' ') v++;
    if (*v == ',') v++;
    else if (*v != ')') return !cli_error("%s: .npy shape is malformed", path);
    while (*v == ' ') v++;
    if (*v == 0) return !cli_error("%s: .npy shape is not closed", path);
  }
  return 1;
}

int npy_read(const char *path, npy_array *a) {
  memset(a, 0, sizeof *a);
  FILE *f = fopen(path, "rb");
  if (f == NULL) return !cli_error("%s: cannot open: %s", path, strerror(errno));
  unsigned char pre[12];
  int ok = 0;
  char *header = NULL;
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
    cli_error("%s: not a .npy file (no \\x93NUMPY magic)", path);
    goto done;
  }
  if (pre[6] < 1 || pre[6] > 3) {
    cli_error("%s: .npy format version %d.%d is not 1, 2 or 3", path, pre[6], pre[7]);
    goto done;
  }
  size_t header_len = pre[8] | (size_t)pre[9] << 8;
  if (pre[6] >= 2) { /* versions 2 and 3 have a 4-byte header length */
    if (fread(pre + 10, 1, 2, f) != 2) goto truncated;
    header_len |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
  }
  if (header_len > (1u << 20)) {
    cli_error("%s: .npy header of %zu bytes is implausibly long", path, header_len);
    goto done;
  }
  header = calloc(1, header_len + 1);
  if (header == NULL || fread(header, 1, header_len, f) != header_len) goto truncated;
  if (!parse_descr(path, header, a) || !parse_shape(path, header, a)) goto done;
  size_t bytes = a->count * npy_item_size(a->descr);
  /* Compare with what the file holds before allocating what its header claims. */
  long here = ftell(f);
  if (here < 0 || fseek(f, 0, SEEK_END) != 0) goto truncated;
  long end = ftell(f);
  if (end < here || (size_t)(end - here) < bytes || fseek(f, here, SEEK_SET) != 0) goto truncated;
  a->data = malloc(bytes > 0 ? bytes : 1);
  if (a->data == NULL || fread(a->data, 1, bytes, f) != bytes) goto truncated;
  ok = 1;
  goto done;
truncated:
  cli_error("%s: .npy file is truncated", path);
done:
  free(header);
  fclose(f);
  if (!ok) {
    free(a->data);
    a->data = NULL;
  }
  return ok;
}

int npy_write(const char *path, const char *descr, int32_t rank, const int64_t *dims,
              const void *data, size_t bytes) {
  if (rank < 0 || rank > 8) return !cli_error("%s: cannot write a rank-%d .npy", path, (int)rank);
  char header[512]; /* 8 dimensions of 20 digits each fit with room to spare */
  int n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                   descr);
  /* NumPy's own spelling: "(1001,)" for one dimension, "(2, 1001)" for more. */
  for (int32_t i = 0; i < rank; i++)
    n += snprintf(header + n, sizeof header - (size_t)n, "%s%lld", i > 0 ? ", " : "",
                  (long long)dims[i]);
  if (rank == 1) n += snprintf(header + n, sizeof header - (size_t)n, ",");
  n += snprintf(header + n, sizeof header - (size_t)n, "), }");
  /* Pad with spaces so that magic + length + header + '\n' is a multiple of 64. */
  while ((10 + n + 1) % 64 != 0) header[n++] = ' ';
  header[n++] = '\n';
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
  FILE *f = fopen(tmp, "wb");
  if (f == NULL) return !cli_error("%s: cannot create: %s", tmp, strerror(errno));
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(n & 0xff),
                           (unsigned char)(n >> 8)};
  int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, (size_t)n, f) == (size_t)n &&
           fwrite(data, 1, bytes, f) == bytes;
  ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0; /* durable before it replaces the old */
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    return !cli_error("%s: cannot write: %s", path, strerror(errno));
  }
  return 1;
}
