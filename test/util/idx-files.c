/* Test helper: IDX files and gzip members built by hand (see idx-files.h). */
#include "idx-files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void put_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

uint8_t *t_idx_file(uint32_t magic, int n_dims, const uint32_t *dims, const uint8_t *payload,
                    size_t payload_bytes, size_t *size) {
  const size_t header = 4 + 4 * (size_t)n_dims;
  uint8_t *out = malloc(header + payload_bytes + 1);
  if (out == NULL) return NULL;
  put_be32(out, magic);
  for (int d = 0; d < n_dims; d++) put_be32(out + 4 + 4 * d, dims[d]);
  if (payload_bytes > 0) memcpy(out + header, payload, payload_bytes);
  *size = header + payload_bytes;
  return out;
}

uint32_t t_crc32(const uint8_t *data, size_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    crc ^= data[i];
    for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint8_t *t_gzip_stored(const uint8_t *data, size_t n, size_t *size) {
  enum { BLOCK = 65535 };
  const size_t blocks = n == 0 ? 1 : (n + BLOCK - 1) / BLOCK;
  uint8_t *out = malloc(10 + blocks * 5 + n + 8);
  if (out == NULL) return NULL;
  /* ID1 ID2, CM deflate, no flags, no time, no extra flags, OS unknown. */
  static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
  memcpy(out, header, sizeof header);
  size_t at = sizeof header, done = 0;
  for (size_t b = 0; b < blocks; b++) {
    const size_t len = n - done < BLOCK ? n - done : BLOCK;
    out[at++] = b + 1 == blocks; /* BFINAL on the last block, BTYPE 00 (stored) */
    out[at++] = (uint8_t)len;
    out[at++] = (uint8_t)(len >> 8);
    out[at++] = (uint8_t)~len;
    out[at++] = (uint8_t)(~len >> 8);
    if (len > 0) memcpy(out + at, data + done, len);
    at += len;
    done += len;
  }
  put_le32(out + at, t_crc32(data, n));
  put_le32(out + at + 4, (uint32_t)n);
  *size = at + 8;
  return out;
}

int t_write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  int ok = f != NULL && fwrite(data, 1, n, f) == n;
  if (f != NULL) ok = fclose(f) == 0 && ok;
  if (!ok) fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
  return ok ? 0 : -1;
}
