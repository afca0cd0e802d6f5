/* A flatbuffer builder: the writer's encoder, also used by tests to make (broken) files. */
#ifndef Q8_TFLITE_FB_BUILDER_H
#define Q8_TFLITE_FB_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Like the official builder, it writes back to front: children first, then the tables that
   refer to them (uoffsets only point forward). A reference (q8_fbb_ref) is an object's
   distance from the END of the buffer, so it stays valid while the buffer grows; in the
   finished file of n bytes the object starts at n - ref (q8_fbb_pos). Scalars are aligned to
   their size, vectors and strings to 4 (8 for 8-byte elements, more on request); finish pads
   the file to the largest alignment used, so distances from the end and positions from the
   start have the same alignment. Identical vtables are shared, as flatc's builder does.
   One table may be open at a time; field indices follow schema order (a union takes two).
   Errors (out of memory, a field index out of range, a table inside a table) are sticky:
   q8_fbb_finish then returns NULL. */
typedef uint32_t q8_fbb_ref;

#define Q8_FBB_MAX_FIELDS 32

typedef struct q8_fbb {
  uint8_t *buf; /* the data is buf[cap - used, cap) */
  size_t cap, used;
  bool failed;
  bool out_of_memory; /* why failed is set, when it is */
  size_t max_align;
  size_t table_start;
  uint32_t field_at[Q8_FBB_MAX_FIELDS]; /* distance from the end of each field; 0 = absent */
  bool in_table;
  q8_fbb_ref *vtables; /* every vtable written, for sharing */
  size_t n_vtables, cap_vtables;
} q8_fbb;

void q8_fbb_init(q8_fbb *b);
void q8_fbb_free(q8_fbb *b);

/* Marks the build failed for lack of memory (the caller's own allocation failed): finish then
   returns NULL and out_of_memory says why. */
void q8_fbb_fail_out_of_memory(q8_fbb *b);

q8_fbb_ref q8_fbb_string(q8_fbb *b, const char *s);
/* Bytes whose first element is aligned to `align` (a power of two, 4 or more) in the file. */
q8_fbb_ref q8_fbb_vector_bytes(q8_fbb *b, const void *v, uint32_t n, size_t align);
q8_fbb_ref q8_fbb_vector_u8(q8_fbb *b, const uint8_t *v, uint32_t n);
q8_fbb_ref q8_fbb_vector_i32(q8_fbb *b, const int32_t *v, uint32_t n);
q8_fbb_ref q8_fbb_vector_i64(q8_fbb *b, const int64_t *v, uint32_t n);
q8_fbb_ref q8_fbb_vector_f32(q8_fbb *b, const float *v, uint32_t n);
q8_fbb_ref q8_fbb_vector_refs(q8_fbb *b, const q8_fbb_ref *v, uint32_t n);

void q8_fbb_table_begin(q8_fbb *b);
void q8_fbb_add_u8(q8_fbb *b, int field, uint8_t v);
void q8_fbb_add_i32(q8_fbb *b, int field, int32_t v);
void q8_fbb_add_u32(q8_fbb *b, int field, uint32_t v);
void q8_fbb_add_u64(q8_fbb *b, int field, uint64_t v);
void q8_fbb_add_f32(q8_fbb *b, int field, float v);
void q8_fbb_add_ref(q8_fbb *b, int field, q8_fbb_ref ref);
q8_fbb_ref q8_fbb_table_end(q8_fbb *b);

/* Writes the 4-byte identifier and the root offset; returns a malloc'd copy of the file
   (NULL after an error) and its size. */
uint8_t *q8_fbb_finish(q8_fbb *b, q8_fbb_ref root, const char identifier[4], size_t *size);

/* Position in the finished file of the object with this reference. */
static inline size_t q8_fbb_pos(size_t file_size, q8_fbb_ref ref) { return file_size - ref; }

#ifdef __cplusplus
}
#endif
#endif
