/* Bounds-checked flatbuffer decoding: every position is checked before a byte is read. */
#include "tflite/flatbuffer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* uoffsets and vector lengths are u32 in the format, but the flatbuffers verifier caps
   offsets at 2^31 - 1 (buffers are at most 2 GiB); larger values are corrupt. */
#define FB_MAX_OFFSET 0x7fffffffu

uint16_t q8_fb_load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

uint32_t q8_fb_load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint64_t q8_fb_load_u64(const uint8_t *p) {
  return (uint64_t)q8_fb_load_u32(p) | ((uint64_t)q8_fb_load_u32(p + 4) << 32);
}

float q8_fb_load_f32(const uint8_t *p) {
  uint32_t bits = q8_fb_load_u32(p);
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

void q8_fb_set_where(q8_fb *fb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(fb->where, sizeof fb->where, fmt, ap);
  va_end(ap);
}

q8_status q8_fb_fail(q8_fb *fb, q8_status status, size_t pos, const char *field,
                     const char *fmt, ...) {
  if (fb->error == NULL) return status;
  char what[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  const char *dot = field[0] != '\0' && fb->where[0] != '\0' ? "." : "";
  return q8_fail(fb->error, status, "file offset %zu: %s%s%s: %s", pos, fb->where, dot, field,
                 what);
}

/* True when [pos, pos + n) lies in the file; 64-bit sums cannot wrap for u32 inputs. */
static bool in_file(const q8_fb *fb, uint64_t pos, uint64_t n) {
  return pos <= fb->size && n <= fb->size - pos;
}

static void observe(q8_fb *fb, q8_fb_span_kind kind, size_t pos, size_t size, size_t elem_size,
                    const char *name) {
  if (fb->observe != NULL) fb->observe(fb->observe_ctx, kind, pos, size, elem_size, name);
}

static q8_status past_end(q8_fb *fb, size_t at, const char *field, const char *what,
                          uint64_t pos, uint64_t n) {
  return q8_fb_fail(fb, Q8_ERROR_MALFORMED, at, field,
                    "%s of %llu bytes at 0x%llx runs past the end of the %zu-byte file", what,
                    (unsigned long long)n, (unsigned long long)pos, fb->size);
}

static q8_status misaligned(q8_fb *fb, uint64_t pos, const char *field, const char *what,
                            unsigned align) {
  return q8_fb_fail(fb, Q8_ERROR_MALFORMED, (size_t)pos, field,
                    "%s at 0x%llx is not aligned to %u bytes", what, (unsigned long long)pos,
                    align);
}

q8_status q8_fb_root(q8_fb *fb, const char identifier[4], q8_fb_table *root) {
  if (fb->size < 8) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, 0, "",
                      "file of %zu bytes is too small for a flatbuffer (root offset and "
                      "identifier need 8)", fb->size);
  }
  if (memcmp(fb->data + 4, identifier, 4) != 0) {
    char found[20];
    const uint8_t *id = fb->data + 4;
    bool printable = true;
    for (int i = 0; i < 4; i++) printable = printable && id[i] >= 0x20 && id[i] < 0x7f;
    if (printable) {
      snprintf(found, sizeof found, "'%c%c%c%c'", id[0], id[1], id[2], id[3]);
    } else {
      snprintf(found, sizeof found, "%02x %02x %02x %02x", id[0], id[1], id[2], id[3]);
    }
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, 4, "",
                      "file identifier is %s, expected '%.4s' (not a TFLite model?)", found,
                      identifier);
  }
  uint32_t off = q8_fb_load_u32(fb->data);
  if (off < 8 || off > FB_MAX_OFFSET || !in_file(fb, off, 4)) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, 0, "",
                      "root table offset %u is outside the %zu-byte file (after the 8-byte "
                      "header)", off, fb->size);
  }
  return q8_fb_table_at(fb, off, "root", root);
}

q8_status q8_fb_table_at(q8_fb *fb, size_t pos, const char *field, q8_fb_table *table) {
  if (!in_file(fb, pos, 4)) return past_end(fb, pos, field, "table", pos, 4);
  if (pos % 4 != 0) return misaligned(fb, pos, field, "table", 4);
  int32_t soff = (int32_t)q8_fb_load_u32(fb->data + pos);
  int64_t vt = (int64_t)pos - (int64_t)soff;
  if (vt < 0 || !in_file(fb, (uint64_t)vt, 4)) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, pos, field,
                      "table's vtable offset %d points to %lld, outside the %zu-byte file",
                      soff, (long long)vt, fb->size);
  }
  if (vt % 2 != 0) return misaligned(fb, (uint64_t)vt, field, "vtable", 2);
  uint16_t vt_size = q8_fb_load_u16(fb->data + vt);
  uint16_t t_size = q8_fb_load_u16(fb->data + vt + 2);
  if (vt_size < 4 || vt_size % 2 != 0) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, (size_t)vt, field,
                      "vtable size %u is not an even number >= 4", vt_size);
  }
  if (!in_file(fb, (uint64_t)vt, vt_size)) {
    return past_end(fb, (size_t)vt, field, "vtable", (uint64_t)vt, vt_size);
  }
  if (t_size < 4) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, (size_t)vt, field,
                      "vtable gives the table %u bytes, less than its 4-byte header", t_size);
  }
  if (!in_file(fb, pos, t_size)) return past_end(fb, pos, field, "table", pos, t_size);
  observe(fb, Q8_FB_SPAN_VTABLE, (size_t)vt, vt_size, 2, field);
  observe(fb, Q8_FB_SPAN_TABLE, pos, t_size, 1, field);
  table->pos = pos;
  table->vtable = (size_t)vt;
  table->n_fields = (uint16_t)((vt_size - 4) / 2);
  table->table_size = t_size;
  return Q8_OK;
}

q8_status q8_fb_field(q8_fb *fb, const q8_fb_table *t, int index, size_t size, const char *name,
                      bool *present, size_t *pos) {
  *present = false;
  *pos = 0;
  if (index < 0 || index >= t->n_fields) return Q8_OK;
  uint16_t off = q8_fb_load_u16(fb->data + t->vtable + 4 + 2 * (size_t)index);
  if (off == 0) return Q8_OK;
  if (off < 4 || (size_t)off + size > t->table_size) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, t->pos, name,
                      "field at table offset %u (%zu bytes) lies outside the %u-byte table", off,
                      size, t->table_size);
  }
  size_t p = t->pos + off;
  if (p % size != 0) return misaligned(fb, p, name, "field", (unsigned)size);
  observe(fb, Q8_FB_SPAN_FIELD, p, size, size, name);
  *present = true;
  *pos = p;
  return Q8_OK;
}

#define FB_SCALAR_GETTER(fn, type, size, load)                                               \
  q8_status fn(q8_fb *fb, const q8_fb_table *t, int index, const char *name, type def,      \
               type *out) {                                                                 \
    bool present;                                                                           \
    size_t pos;                                                                             \
    q8_status s = q8_fb_field(fb, t, index, size, name, &present, &pos);                    \
    if (s != Q8_OK) return s;                                                               \
    *out = present ? (type)(load) : def;                                                    \
    return Q8_OK;                                                                           \
  }

FB_SCALAR_GETTER(q8_fb_u8, uint8_t, 1, fb->data[pos])
FB_SCALAR_GETTER(q8_fb_i8, int8_t, 1, (int8_t)fb->data[pos])
FB_SCALAR_GETTER(q8_fb_bool, bool, 1, fb->data[pos] != 0)
FB_SCALAR_GETTER(q8_fb_i32, int32_t, 4, (int32_t)q8_fb_load_u32(fb->data + pos))
FB_SCALAR_GETTER(q8_fb_u32, uint32_t, 4, q8_fb_load_u32(fb->data + pos))
FB_SCALAR_GETTER(q8_fb_u64, uint64_t, 8, q8_fb_load_u64(fb->data + pos))
FB_SCALAR_GETTER(q8_fb_f32, float, 4, q8_fb_load_f32(fb->data + pos))

/* Follows the uoffset at pos (already in the file) to its target, checking it as the
   flatbuffers verifier does: non-zero, below 2^31, inside the file. */
static q8_status follow(q8_fb *fb, size_t pos, const char *name, size_t *target) {
  uint32_t off = q8_fb_load_u32(fb->data + pos);
  uint64_t to = (uint64_t)pos + off;
  if (off == 0 || off > FB_MAX_OFFSET || !in_file(fb, to, 1)) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, pos, name,
                      "offset %u points to 0x%llx, outside the %zu-byte file", off,
                      (unsigned long long)to, fb->size);
  }
  observe(fb, Q8_FB_SPAN_OFFSET, pos, 4, 4, name);
  *target = (size_t)to;
  return Q8_OK;
}

/* Finds the uoffset field and its target; *present false when absent. */
static q8_status offset_field(q8_fb *fb, const q8_fb_table *t, int index, const char *name,
                              bool *present, size_t *target) {
  size_t pos;
  q8_status s = q8_fb_field(fb, t, index, 4, name, present, &pos);
  if (s != Q8_OK || !*present) return s;
  return follow(fb, pos, name, target);
}

q8_status q8_fb_subtable(q8_fb *fb, const q8_fb_table *t, int index, const char *name,
                         bool *present, q8_fb_table *out) {
  size_t target = 0;
  q8_status s = offset_field(fb, t, index, name, present, &target);
  if (s != Q8_OK || !*present) return s;
  return q8_fb_table_at(fb, target, name, out);
}

/* Checks the vector (length field and elements) at pos. */
static q8_status vector_at(q8_fb *fb, size_t pos, size_t elem_size, const char *name,
                           q8_fb_vector *out) {
  if (!in_file(fb, pos, 4)) return past_end(fb, pos, name, "vector length", pos, 4);
  if (pos % 4 != 0) return misaligned(fb, pos, name, "vector", 4);
  uint32_t length = q8_fb_load_u32(fb->data + pos);
  uint64_t bytes = (uint64_t)length * elem_size;
  if (!in_file(fb, (uint64_t)pos + 4, bytes)) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, pos, name,
                      "vector of %u elements at 0x%zx runs past the end of the %zu-byte file",
                      length, pos, fb->size);
  }
  observe(fb, Q8_FB_SPAN_VECTOR, pos, 4 + (size_t)bytes, elem_size, name);
  out->pos = pos;
  out->length = length;
  out->present = true;
  return Q8_OK;
}

q8_status q8_fb_vector_field(q8_fb *fb, const q8_fb_table *t, int index, size_t elem_size,
                             const char *name, q8_fb_vector *out) {
  out->pos = 0;
  out->length = 0;
  out->present = false;
  bool present;
  size_t target = 0;
  q8_status s = offset_field(fb, t, index, name, &present, &target);
  if (s != Q8_OK || !present) return s;
  return vector_at(fb, target, elem_size, name, out);
}

q8_status q8_fb_string_field(q8_fb *fb, const q8_fb_table *t, int index, const char *name,
                             q8_fb_string *out) {
  out->bytes = NULL;
  out->length = 0;
  out->pos = 0;
  q8_fb_vector v;
  q8_status s = q8_fb_vector_field(fb, t, index, 1, name, &v);
  if (s != Q8_OK || !v.present) return s;
  uint64_t nul = (uint64_t)v.pos + 4 + v.length;
  if (!in_file(fb, nul, 1) || fb->data[nul] != 0) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, v.pos, name,
                      "string of %u bytes at 0x%zx is not NUL-terminated", v.length, v.pos);
  }
  out->bytes = fb->data + v.pos + 4;
  out->length = v.length;
  out->pos = v.pos;
  return Q8_OK;
}

const uint8_t *q8_fb_element(const q8_fb *fb, const q8_fb_vector *v, uint32_t i,
                             size_t elem_size) {
  return fb->data + v->pos + 4 + (size_t)i * elem_size;
}

int32_t q8_fb_vector_i32(const q8_fb *fb, const q8_fb_vector *v, uint32_t i) {
  return (int32_t)q8_fb_load_u32(q8_fb_element(fb, v, i, 4));
}

q8_status q8_fb_vector_table(q8_fb *fb, const q8_fb_vector *v, uint32_t i, const char *name,
                             q8_fb_table *out) {
  size_t pos = v->pos + 4 + (size_t)i * 4;
  size_t target = 0;
  q8_status s = follow(fb, pos, name, &target);
  if (s != Q8_OK) return s;
  return q8_fb_table_at(fb, target, name, out);
}

void q8_fb_printable(const q8_fb_string *s, char *buf, size_t buf_size) {
  if (buf_size == 0) return;
  size_t n = 0;
  if (s->bytes != NULL) {
    for (; n < s->length && n + 1 < buf_size; n++) {
      uint8_t c = s->bytes[n];
      buf[n] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
  }
  buf[n] = '\0';
}
