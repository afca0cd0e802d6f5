/* A back-to-front flatbuffer builder (see fb-builder.h). */
#include "tflite/fb-builder.h"

#include <stdlib.h>
#include <string.h>

/* References are u32 distances: a file may not reach 2 GiB (uoffsets are below 2^31). */
#define MAX_FILE_BYTES ((size_t)INT32_MAX)

void q8_fbb_init(q8_fbb *b) {
  memset(b, 0, sizeof *b);
  b->max_align = 8;
}

void q8_fbb_free(q8_fbb *b) {
  free(b->buf);
  free(b->vtables);
  memset(b, 0, sizeof *b);
}

void q8_fbb_fail_out_of_memory(q8_fbb *b) {
  b->failed = true;
  b->out_of_memory = true;
}

/* Makes room for n more bytes in front of the data. */
static bool reserve(q8_fbb *b, size_t n) {
  if (b->failed) return false;
  if (n > MAX_FILE_BYTES - b->used) {
    b->failed = true;
    return false;
  }
  if (b->cap - b->used >= n) return true;
  size_t cap = b->cap ? b->cap : 1024;
  while (cap - b->used < n) cap *= 2;
  uint8_t *buf = malloc(cap);
  if (buf == NULL) {
    q8_fbb_fail_out_of_memory(b);
    return false;
  }
  if (b->used > 0) memcpy(buf + cap - b->used, b->buf + b->cap - b->used, b->used);
  free(b->buf);
  b->buf = buf;
  b->cap = cap;
  return true;
}

static void push(q8_fbb *b, const void *data, size_t n) {
  if (!reserve(b, n)) return;
  b->used += n;
  if (n > 0) memcpy(b->buf + b->cap - b->used, data, n);
}

static void push_zeros(q8_fbb *b, size_t n) {
  if (!reserve(b, n)) return;
  b->used += n;
  memset(b->buf + b->cap - b->used, 0, n);
}

/* Pads so that after `extra` more bytes the distance from the end is a multiple of align. */
static void align(q8_fbb *b, size_t extra, size_t alignment) {
  if (alignment > b->max_align) b->max_align = alignment;
  size_t rem = (b->used + extra) % alignment;
  if (rem != 0) push_zeros(b, alignment - rem);
}

static void push_le(q8_fbb *b, uint64_t v, size_t n) {
  uint8_t bytes[8];
  for (size_t i = 0; i < n; i++) bytes[i] = (uint8_t)(v >> (8 * i));
  push(b, bytes, n);
}

/* A vector of n elements of es bytes, given as little-endian values by get(i). */
static q8_fbb_ref vector(q8_fbb *b, uint32_t n, size_t es, uint64_t (*get)(const void *, uint32_t),
                         const void *v) {
  align(b, (size_t)n * es, es > 4 ? es : 4);
  for (uint32_t i = n; i-- > 0 && !b->failed;) push_le(b, get(v, i), es);
  push_le(b, n, 4);
  return (q8_fbb_ref)b->used;
}

static uint64_t get_i32(const void *v, uint32_t i) { return (uint32_t)((const int32_t *)v)[i]; }
static uint64_t get_i64(const void *v, uint32_t i) { return (uint64_t)((const int64_t *)v)[i]; }
static uint64_t get_f32(const void *v, uint32_t i) {
  uint32_t bits;
  memcpy(&bits, (const float *)v + i, 4);
  return bits;
}

q8_fbb_ref q8_fbb_vector_bytes(q8_fbb *b, const void *v, uint32_t n, size_t alignment) {
  if (alignment < 4 || (alignment & (alignment - 1)) != 0) {
    b->failed = true;
    return 0;
  }
  align(b, n, alignment);
  push(b, v, n);
  push_le(b, n, 4);
  return (q8_fbb_ref)b->used;
}

q8_fbb_ref q8_fbb_vector_u8(q8_fbb *b, const uint8_t *v, uint32_t n) {
  return q8_fbb_vector_bytes(b, v, n, 4);
}
q8_fbb_ref q8_fbb_vector_i32(q8_fbb *b, const int32_t *v, uint32_t n) {
  return vector(b, n, 4, get_i32, v);
}
q8_fbb_ref q8_fbb_vector_i64(q8_fbb *b, const int64_t *v, uint32_t n) {
  return vector(b, n, 8, get_i64, v);
}
q8_fbb_ref q8_fbb_vector_f32(q8_fbb *b, const float *v, uint32_t n) {
  return vector(b, n, 4, get_f32, v);
}

q8_fbb_ref q8_fbb_vector_refs(q8_fbb *b, const q8_fbb_ref *v, uint32_t n) {
  align(b, (size_t)n * 4, 4);
  /* An element at distance p from the end refers to ref with uoffset p - ref. */
  for (uint32_t i = n; i-- > 0 && !b->failed;) push_le(b, (uint32_t)(b->used + 4 - v[i]), 4);
  push_le(b, n, 4);
  return (q8_fbb_ref)b->used;
}

q8_fbb_ref q8_fbb_string(q8_fbb *b, const char *s) {
  size_t n = strlen(s);
  if (n > UINT32_MAX) {
    b->failed = true;
    return 0;
  }
  align(b, n + 1, 4);
  push_zeros(b, 1);
  push(b, s, n);
  push_le(b, n, 4);
  return (q8_fbb_ref)b->used;
}

void q8_fbb_table_begin(q8_fbb *b) {
  if (b->in_table) b->failed = true;
  memset(b->field_at, 0, sizeof b->field_at);
  b->table_start = b->used;
  b->in_table = true;
}

static void add_scalar(q8_fbb *b, int field, uint64_t v, size_t n) {
  if (!b->in_table || field < 0 || field >= Q8_FBB_MAX_FIELDS) {
    b->failed = true;
    return;
  }
  align(b, n, n);
  push_le(b, v, n);
  b->field_at[field] = (uint32_t)b->used;
}

void q8_fbb_add_u8(q8_fbb *b, int field, uint8_t v) { add_scalar(b, field, v, 1); }
void q8_fbb_add_i32(q8_fbb *b, int field, int32_t v) { add_scalar(b, field, (uint32_t)v, 4); }
void q8_fbb_add_u32(q8_fbb *b, int field, uint32_t v) { add_scalar(b, field, v, 4); }
void q8_fbb_add_u64(q8_fbb *b, int field, uint64_t v) { add_scalar(b, field, v, 8); }
void q8_fbb_add_f32(q8_fbb *b, int field, float v) { add_scalar(b, field, get_f32(&v, 0), 4); }

void q8_fbb_add_ref(q8_fbb *b, int field, q8_fbb_ref ref) {
  align(b, 4, 4);
  add_scalar(b, field, (uint32_t)(b->used + 4 - ref), 4);
}

/* An earlier vtable with the same bytes as the one just pushed at distance vt, or 0. */
static q8_fbb_ref find_vtable(const q8_fbb *b, q8_fbb_ref vt, size_t vt_size) {
  const uint8_t *mine = b->buf + b->cap - vt;
  for (size_t i = 0; i < b->n_vtables; i++) {
    const uint8_t *other = b->buf + b->cap - b->vtables[i];
    size_t other_size = (size_t)other[0] | (size_t)other[1] << 8;
    if (other_size == vt_size && memcmp(mine, other, vt_size) == 0) return b->vtables[i];
  }
  return 0;
}

static void remember_vtable(q8_fbb *b, q8_fbb_ref vt) {
  if (b->n_vtables == b->cap_vtables) {
    size_t cap = b->cap_vtables ? 2 * b->cap_vtables : 64;
    q8_fbb_ref *v = realloc(b->vtables, cap * sizeof *v);
    if (v == NULL) {
      q8_fbb_fail_out_of_memory(b);
      return;
    }
    b->vtables = v;
    b->cap_vtables = cap;
  }
  b->vtables[b->n_vtables++] = vt;
}

static void store_soffset(q8_fbb *b, q8_fbb_ref table, int32_t soff) {
  uint8_t *p = b->buf + b->cap - table;
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)((uint32_t)soff >> (8 * i));
}

q8_fbb_ref q8_fbb_table_end(q8_fbb *b) {
  if (!b->in_table) b->failed = true;
  align(b, 4, 4);
  push_zeros(b, 4); /* soffset to the vtable, filled below */
  q8_fbb_ref table = (q8_fbb_ref)b->used;
  int n = 0;
  for (int i = 0; i < Q8_FBB_MAX_FIELDS; i++) {
    if (b->field_at[i] != 0) n = i + 1;
  }
  /* A field at distance f from the end sits table - f bytes after the table start. */
  for (int i = n; i-- > 0;) push_le(b, b->field_at[i] ? table - b->field_at[i] : 0, 2);
  push_le(b, table - b->table_start, 2);
  size_t vt_size = 4 + 2 * (size_t)n;
  push_le(b, vt_size, 2);
  b->in_table = false;
  if (b->failed) return table;
  q8_fbb_ref vt = (q8_fbb_ref)b->used;
  q8_fbb_ref shared = find_vtable(b, vt, vt_size);
  if (shared != 0) {
    /* Drop the copy; the shared vtable lies after the table: a negative soffset. */
    b->used -= vt_size;
    store_soffset(b, table, -(int32_t)(table - shared));
    return table;
  }
  remember_vtable(b, vt);
  /* vtable = table - soffset; this vtable sits vt - table bytes before the table. */
  store_soffset(b, table, (int32_t)(vt - table));
  return table;
}

uint8_t *q8_fbb_finish(q8_fbb *b, q8_fbb_ref root, const char identifier[4], size_t *size) {
  align(b, 8, b->max_align);
  push(b, identifier, 4);
  push_le(b, (uint32_t)(b->used + 4 - root), 4);
  if (b->failed) return NULL;
  uint8_t *out = malloc(b->used);
  if (out == NULL) {
    q8_fbb_fail_out_of_memory(b);
    return NULL;
  }
  memcpy(out, b->buf + b->cap - b->used, b->used);
  *size = b->used;
  return out;
}
