/* Short names for tests that hand-make (and deliberately break) .tflite files with the
   library's flatbuffer builder (src/tflite/fb-builder.h). */
#ifndef Q8_TEST_FB_BUILDER_H
#define Q8_TEST_FB_BUILDER_H

#include "tflite/fb-builder.h"

typedef q8_fbb fbb;
typedef q8_fbb_ref fbb_ref;

#define fbb_init q8_fbb_init
#define fbb_free q8_fbb_free
#define fbb_string q8_fbb_string
#define fbb_vector_u8 q8_fbb_vector_u8
#define fbb_vector_i32 q8_fbb_vector_i32
#define fbb_vector_i64 q8_fbb_vector_i64
#define fbb_vector_f32 q8_fbb_vector_f32
#define fbb_vector_refs q8_fbb_vector_refs
#define fbb_table_begin q8_fbb_table_begin
#define fbb_add_u8 q8_fbb_add_u8
#define fbb_add_i32 q8_fbb_add_i32
#define fbb_add_u32 q8_fbb_add_u32
#define fbb_add_u64 q8_fbb_add_u64
#define fbb_add_f32 q8_fbb_add_f32
#define fbb_add_ref q8_fbb_add_ref
#define fbb_table_end q8_fbb_table_end
#define fbb_finish q8_fbb_finish
#define fbb_pos q8_fbb_pos

#endif
