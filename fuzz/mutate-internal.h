/* Shared by the two mutators (byte-level field edits in mutate.c, graph edits in
   mutate-graph.c): a seeded RNG and interesting values for each kind of model field. */
#ifndef Q8_FUZZ_MUTATE_INTERNAL_H
#define Q8_FUZZ_MUTATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct q8_fz_rng {
  uint64_t state;
} q8_fz_rng;

uint64_t q8_fz_next(q8_fz_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
uint64_t q8_fz_below(q8_fz_rng *r, uint64_t n);
bool q8_fz_chance(q8_fz_rng *r, unsigned percent);

/* A float32 from its bits and back (fields hold bits; edits are made on values). */
static inline float q8_fz_float(uint64_t bits) {
  uint32_t b = (uint32_t)bits;
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

static inline uint32_t q8_fz_float_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

/* Values as raw bits of the field's size (the caller stores the low bytes). */
uint64_t q8_fz_generic_value(q8_fz_rng *r, uint64_t cur, size_t size);
uint64_t q8_fz_dimension_value(q8_fz_rng *r, uint64_t cur);   /* int32 shape entries */
uint64_t q8_fz_option_value(q8_fz_rng *r, uint64_t cur);      /* strides, axes, sizes */
uint64_t q8_fz_scale_value(q8_fz_rng *r, uint64_t cur);       /* float32 bits */
uint64_t q8_fz_zero_point_value(q8_fz_rng *r, uint64_t cur);  /* int64 */
uint64_t q8_fz_index_value(q8_fz_rng *r, uint64_t cur, uint32_t count, bool allow_absent);

/* Graph-level mutation (mutate-graph.c): decode with q8_tflite_read, edit q8's graph
   (quantization, shapes, types, options, node tensors and kinds, node order, graph inputs
   and outputs, constants), encode with q8_tflite_write. Returns the new size, or 0 when the
   model does not decode or the result does not fit max_size (data is then unchanged). */
size_t q8_fz_mutate_graph(uint8_t *data, size_t size, size_t max_size, q8_fz_rng *r);

#endif
