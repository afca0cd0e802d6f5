/* Test helper: IDX files and gzip members built by hand (stored deflate blocks, our own CRC-32),
   so the data-set loader is checked against bytes made without its code or zlib. */
#ifndef Q8_TEST_IDX_FILES_H
#define Q8_TEST_IDX_FILES_H

#include <stddef.h>
#include <stdint.h>

/* An IDX file: big-endian magic, n_dims big-endian sizes, then payload_bytes of payload
   (which need not match the sizes: tests write truncated and overlong files on purpose).
   malloc'd; *size is its length. */
uint8_t *t_idx_file(uint32_t magic, int n_dims, const uint32_t *dims, const uint8_t *payload,
                    size_t payload_bytes, size_t *size);

/* A gzip member (RFC 1952) holding data in stored deflate blocks (RFC 1951 BTYPE 00), with
   its CRC-32 and length. malloc'd; *size is its length. */
uint8_t *t_gzip_stored(const uint8_t *data, size_t n, size_t *size);

/* CRC-32 as gzip computes it (reflected polynomial 0xEDB88320). */
uint32_t t_crc32(const uint8_t *data, size_t n);

/* Writes n bytes to path (replacing it). Returns 0, or -1 with a message printed. */
int t_write_bytes(const char *path, const void *data, size_t n);

#endif
