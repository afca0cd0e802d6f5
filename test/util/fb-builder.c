/* A minimal back-to-front flatbuffer builder for tests (see fb-builder.h). */
#include "util/fb-builder.h"

#include <stdlib.h>
#include <string.h>

void fbb_init(fbb *b) { memset(b, 0, sizeof *b); }

void fbb_free(fbb *b) {
  free(b->buf);
  memset(b, 0, sizeof *b);
}

/* Makes room for n more bytes in front of the data. */
static bool reserve(fbb *b, size_t n) {
  if (b->failed) return false;
  if (b->cap - b->used >= n) return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->used < n) cap *= 2;
  uint8_t *buf = malloc(cap);
  if (buf == NULL) {
    b->failed = true;
    return false;
  }
  if (b->used > 0) memcpy(buf + cap - b->used, b->buf + b->cap - b->used, b->used);
  free(b->buf);
  b->buf = buf;
  b->cap = cap;
  return true;
}

static void push(fbb *b, const void *data, size_t n) {
  if (!reserve(b, n)) return;
  b->used += n;
  memcpy(b->buf + b->cap - b->used, data, n);
}

static void push_zeros(fbb *b, size_t n) {
  if (!reserve(b, n)) return;
  b->used += n;
  memset(b->buf + b->cap - b->used, 0, n);
}

/* Pads so that after `extra` more bytes the distance from the end is a multiple of align. */
static void align(fbb *b, size_t extra, size_t alignment) {
  size_t rem = (b->used + extra) % alignment;
  if (rem != 0) push_zeros(b, alignment - rem);
}

static void push_le(fbb *b, uint64_t v, size_t n) {
  uint8_t bytes[8];
  for (size_t i = 0; i < n; i++) bytes[i] = (uint8_t)(v >> (8 * i));
  push(b, bytes, n);
}

/* A vector of n elements of es bytes, given as little-endian values by get(i). */
static fbb_ref vector(fbb *b, uint32_t n, size_t es, uint64_t (*get)(const void *, uint32_t),
                      const void *v) {
  align(b, (size_t)n * es, es > 4 ? es : 4);
  for (uint32_t i = n; i-- > 0;) push_le(b, get(v, i), es);
  push_le(b, n, 4);
  return (fbb_ref)b->used;
}

static uint64_t get_u8(const void *v, uint32_t i) { return ((const uint8_t *)v)[i]; }
static uint64_t get_i32(const void *v, uint32_t i) { return (uint32_t)((const int32_t *)v)[i]; }
static uint64_t get_i64(const void *v, uint32_t i) { return (uint64_t)((const int64_t *)v)[i]; }
static uint64_t get_f32(const void *v, uint32_t i) {
  uint32_t bits;
  memcpy(&bits, (const float *)v + i, 4);
  return bits;
}

fbb_ref fbb_vector_u8(fbb *b, const uint8_t *v, uint32_t n) { return vector(b, n, 1, get_u8, v); }
fbb_ref fbb_vector_i32(fbb *b, const int32_t *v, uint32_t n) { return vector(b, n, 4, get_i32, v); }
fbb_ref fbb_vector_i64(fbb *b, const int64_t *v, uint32_t n) { return vector(b, n, 8, get_i64, v); }
fbb_ref fbb_vector_f32(fbb *b, const float *v, uint32_t n) { return vector(b, n, 4, get_f32, v); }

fbb_ref fbb_vector_refs(fbb *b, const fbb_ref *v, uint32_t n) {
  align(b, (size_t)n * 4, 4);
  /* An element at distance p from the end refers to ref with uoffset p - ref. */
  for (uint32_t i = n; i-- > 0;) push_le(b, (uint32_t)(b->used + 4 - v[i]), 4);
  push_le(b, n, 4);
  return (fbb_ref)b->used;
}

fbb_ref fbb_string(fbb *b, const char *s) {
  size_t n = strlen(s);
  align(b, n + 1, 4);
  push_zeros(b, 1);
  push(b, s, n);
  push_le(b, n, 4);
  return (fbb_ref)b->used;
}

void fbb_table_begin(fbb *b) {
  memset(b->field_at, 0, sizeof b->field_at);
  b->table_start = b->used;
  b->in_table = true;
}

static void add_scalar(fbb *b, int field, uint64_t v, size_t n) {
  if (field < 0 || field >= FBB_MAX_FIELDS) {
    b->failed = true;
    return;
  }
  align(b, n, n);
  push_le(b, v, n);
  b->field_at[field] = (uint32_t)b->used;
}

void fbb_add_u8(fbb *b, int field, uint8_t v) { add_scalar(b, field, v, 1); }
void fbb_add_i32(fbb *b, int field, int32_t v) { add_scalar(b, field, (uint32_t)v, 4); }
void fbb_add_u32(fbb *b, int field, uint32_t v) { add_scalar(b, field, v, 4); }
void fbb_add_u64(fbb *b, int field, uint64_t v) { add_scalar(b, field, v, 8); }
void fbb_add_f32(fbb *b, int field, float v) { add_scalar(b, field, get_f32(&v, 0), 4); }

void fbb_add_ref(fbb *b, int field, fbb_ref ref) {
  align(b, 4, 4);
  add_scalar(b, field, (uint32_t)(b->used + 4 - ref), 4);
}

fbb_ref fbb_table_end(fbb *b) {
  align(b, 4, 4);
  push_zeros(b, 4); /* soffset to the vtable, filled below */
  fbb_ref table = (fbb_ref)b->used;
  int n = 0;
  for (int i = 0; i < FBB_MAX_FIELDS; i++) {
    if (b->field_at[i] != 0) n = i + 1;
  }
  /* A field at distance f from the end sits table - f bytes after the table start. */
  for (int i = n; i-- > 0;) {
    push_le(b, b->field_at[i] ? table - b->field_at[i] : 0, 2);
  }
  push_le(b, table - b->table_start, 2);
  push_le(b, 4 + 2 * (uint64_t)n, 2);
  fbb_ref vt = (fbb_ref)b->used;
  if (!b->failed) {
    /* vtable = table - soffset; the vtable sits vt - table bytes before the table. */
    uint32_t soff = vt - table;
    uint8_t *p = b->buf + b->cap - table;
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(soff >> (8 * i));
  }
  b->in_table = false;
  return table;
}

uint8_t *fbb_finish(fbb *b, fbb_ref root, const char identifier[4], size_t *size) {
  align(b, 8, 8);
  push(b, identifier, 4);
  push_le(b, (uint32_t)(b->used + 4 - root), 4);
  if (b->failed) return NULL;
  uint8_t *out = malloc(b->used);
  if (out == NULL) return NULL;
  memcpy(out, b->buf + b->cap - b->used, b->used);
  *size = b->used;
  return out;
}
