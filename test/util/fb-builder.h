/* A minimal flatbuffer builder for tests: hand-made (and deliberately broken) .tflite files. */
#ifndef Q8_TEST_FB_BUILDER_H
#define Q8_TEST_FB_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Like the official builder, it writes back to front: children first, then the tables that
   refer to them (uoffsets only point forward). A reference (fbb_ref) is an object's distance
   from the END of the buffer, so it stays valid while the buffer grows; in the finished file
   of n bytes the object starts at n - ref (fbb_pos). Scalars are aligned to their size,
   vectors and strings to 4 (8 for 8-byte elements), the finished size to 8.
   One table may be open at a time; field indices follow schema order (a union takes two). */
typedef uint32_t fbb_ref;

#define FBB_MAX_FIELDS 32

typedef struct fbb {
  uint8_t *buf; /* the data is buf[cap - used, cap) */
  size_t cap, used;
  bool failed; /* out of memory: finish returns NULL */
  size_t table_start;
  uint32_t field_at[FBB_MAX_FIELDS]; /* distance from the end of each field; 0 = absent */
  bool in_table;
} fbb;

void fbb_init(fbb *b);
void fbb_free(fbb *b);

fbb_ref fbb_string(fbb *b, const char *s);
fbb_ref fbb_vector_u8(fbb *b, const uint8_t *v, uint32_t n);
fbb_ref fbb_vector_i32(fbb *b, const int32_t *v, uint32_t n);
fbb_ref fbb_vector_i64(fbb *b, const int64_t *v, uint32_t n);
fbb_ref fbb_vector_f32(fbb *b, const float *v, uint32_t n);
fbb_ref fbb_vector_refs(fbb *b, const fbb_ref *v, uint32_t n);

void fbb_table_begin(fbb *b);
void fbb_add_u8(fbb *b, int field, uint8_t v);
void fbb_add_i32(fbb *b, int field, int32_t v);
void fbb_add_u32(fbb *b, int field, uint32_t v);
void fbb_add_u64(fbb *b, int field, uint64_t v);
void fbb_add_f32(fbb *b, int field, float v);
void fbb_add_ref(fbb *b, int field, fbb_ref ref);
fbb_ref fbb_table_end(fbb *b);

/* Writes the 4-byte identifier and the root offset; returns a malloc'd copy of the file
   (NULL when out of memory) and its size. */
uint8_t *fbb_finish(fbb *b, fbb_ref root, const char identifier[4], size_t *size);

/* Position in the finished file of the object with this reference. */
static inline size_t fbb_pos(size_t file_size, fbb_ref ref) { return file_size - ref; }

#ifdef __cplusplus
}
#endif
#endif
