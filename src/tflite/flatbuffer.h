/* Bounds-checked flatbuffer decoding (tables, vtables, vectors, strings) without a library. */
#ifndef Q8_TFLITE_FLATBUFFER_H
#define Q8_TFLITE_FLATBUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Binary layout (all little endian, positions are byte offsets from the start of the file):
   - the root is a uoffset (u32) at 0; a file identifier may follow at 4..7;
   - a uoffset stored at position p refers to p + value (always forward, never 0);
   - a table starts with an soffset (i32) s; its vtable is at table - s and holds
     [vtable bytes u16, table bytes u16, one u16 per field: offset from the table start, 0 = absent];
   - a vector is a u32 element count followed by the elements; a vector of tables holds
     uoffsets; a string is a u32 byte count, the bytes and a NUL.
   Every read below checks the position against the file size (sums in 64 bits, so a u32
   offset near 4 GiB cannot wrap around) and the alignment the flatbuffers verifier requires,
   and never reads outside [data, data + size). */

/* What a decoded byte range holds, as reported to an observer. */
typedef enum q8_fb_span_kind {
  Q8_FB_SPAN_TABLE,  /* a table's inline part (soffset and fields) */
  Q8_FB_SPAN_VTABLE, /* a vtable */
  Q8_FB_SPAN_FIELD,  /* one field inside a table (scalar or uoffset) */
  Q8_FB_SPAN_OFFSET, /* a uoffset that was followed (a field or an element of a vector) */
  Q8_FB_SPAN_VECTOR  /* a vector or string: length word and elements (NUL excluded) */
} q8_fb_span_kind;

/* Called for every range the decoder has checked, before it is used: the reader uses it to
   find constant data overlapping the tables, the fuzzer's mutator to find fields to edit.
   elem_size: element size for vectors (1 for strings), field size otherwise. */
typedef void (*q8_fb_observer)(void *ctx, q8_fb_span_kind kind, size_t pos, size_t size,
                               size_t elem_size, const char *name);

/* Decoding state: the file, where errors go, and the object being decoded (for messages). */
typedef struct q8_fb {
  const uint8_t *data;
  size_t size;
  q8_error *error;
  char where[192]; /* "Tensor 5 ('conv1/weights')": prefix of every field name in messages */
  q8_fb_observer observe; /* optional */
  void *observe_ctx;
} q8_fb;

typedef struct q8_fb_table {
  size_t pos;          /* start of the table (its soffset) */
  size_t vtable;       /* start of its vtable */
  uint16_t n_fields;   /* fields the vtable describes */
  uint16_t table_size; /* bytes of the table's inline part, soffset included */
} q8_fb_table;

typedef struct q8_fb_vector {
  size_t pos;      /* of the length field; elements start at pos + 4 */
  uint32_t length; /* number of elements; 0 when the field is absent */
  bool present;
} q8_fb_vector;

typedef struct q8_fb_string {
  const uint8_t *bytes; /* points into the file, NUL-terminated there; NULL when absent */
  uint32_t length;
  size_t pos;
} q8_fb_string;

/* Little-endian loads from bytes the caller has already bounds-checked. */
uint16_t q8_fb_load_u16(const uint8_t *p);
uint32_t q8_fb_load_u32(const uint8_t *p);
uint64_t q8_fb_load_u64(const uint8_t *p);
float q8_fb_load_f32(const uint8_t *p);

/* Sets where (printf-style) for the messages of the following reads. */
void q8_fb_set_where(q8_fb *fb, const char *fmt, ...) Q8_PRINTF(2, 3);

/* Records "file offset <pos>: <where>.<field>: <message>" and returns status. */
q8_status q8_fb_fail(q8_fb *fb, q8_status status, size_t pos, const char *field,
                     const char *fmt, ...) Q8_PRINTF(5, 6);

/* Checks the file size and identifier (4 bytes at 4) and decodes the root table. */
q8_status q8_fb_root(q8_fb *fb, const char identifier[4], q8_fb_table *root);

/* Decodes the table at pos; field names the reference that led there (for messages). */
q8_status q8_fb_table_at(q8_fb *fb, size_t pos, const char *field, q8_fb_table *table);

/* Position of field index (0-based, schema order; a union takes two indices: type, value)
   with its size checked against the table; false when absent. */
q8_status q8_fb_field(q8_fb *fb, const q8_fb_table *t, int index, size_t size, const char *name,
                      bool *present, size_t *pos);

/* Scalar fields: def when absent. */
q8_status q8_fb_u8(q8_fb *fb, const q8_fb_table *t, int index, const char *name, uint8_t def,
                   uint8_t *out);
q8_status q8_fb_i8(q8_fb *fb, const q8_fb_table *t, int index, const char *name, int8_t def,
                   int8_t *out);
q8_status q8_fb_bool(q8_fb *fb, const q8_fb_table *t, int index, const char *name, bool def,
                     bool *out);
q8_status q8_fb_i32(q8_fb *fb, const q8_fb_table *t, int index, const char *name, int32_t def,
                    int32_t *out);
q8_status q8_fb_u32(q8_fb *fb, const q8_fb_table *t, int index, const char *name, uint32_t def,
                    uint32_t *out);
q8_status q8_fb_u64(q8_fb *fb, const q8_fb_table *t, int index, const char *name, uint64_t def,
                    uint64_t *out);
q8_status q8_fb_f32(q8_fb *fb, const q8_fb_table *t, int index, const char *name, float def,
                    float *out);

/* Follows the uoffset field to a sub-table; *present false when the field is absent. */
q8_status q8_fb_subtable(q8_fb *fb, const q8_fb_table *t, int index, const char *name,
                         bool *present, q8_fb_table *out);

/* Follows the uoffset field to a vector of elem_size-byte elements, checking that all of
   it lies in the file. Absent: length 0, present false. */
q8_status q8_fb_vector_field(q8_fb *fb, const q8_fb_table *t, int index, size_t elem_size,
                             const char *name, q8_fb_vector *out);

/* Follows the uoffset field to a NUL-terminated string; absent: bytes NULL. */
q8_status q8_fb_string_field(q8_fb *fb, const q8_fb_table *t, int index, const char *name,
                             q8_fb_string *out);

/* Element i of a checked vector (i < length). */
const uint8_t *q8_fb_element(const q8_fb *fb, const q8_fb_vector *v, uint32_t i,
                             size_t elem_size);
int32_t q8_fb_vector_i32(const q8_fb *fb, const q8_fb_vector *v, uint32_t i);

/* Table number i of a checked vector of tables. */
q8_status q8_fb_vector_table(q8_fb *fb, const q8_fb_vector *v, uint32_t i, const char *name,
                             q8_fb_table *out);

/* Copies a string for a message: at most max bytes, non-printable bytes as '?'. */
void q8_fb_printable(const q8_fb_string *s, char *buf, size_t buf_size);

#endif
