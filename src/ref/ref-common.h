/* Small helpers shared by the reference operators in src/ref (integer only). */
#ifndef Q8_REF_REF_COMMON_H
#define Q8_REF_REF_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "quant/fixedpoint.h"

/* One 8-bit element as int32: int8 when is_signed, uint8 otherwise. Callers pass a constant
   is_signed, so each public entry point compiles to a loop over one element type. */
static inline int32_t q8_ref_load(const void *base, size_t index, bool is_signed) {
  return is_signed ? (int32_t)((const int8_t *)base)[index]
                   : (int32_t)((const uint8_t *)base)[index];
}

static inline void q8_ref_store(void *base, size_t index, int32_t value, bool is_signed) {
  if (is_signed)
    ((int8_t *)base)[index] = (int8_t)value;
  else
    ((uint8_t *)base)[index] = (uint8_t)value;
}

/* TFLite's output stage of every quantized conv/FC kernel: scale the int32 accumulator,
   add the output zero point, clamp to [act_min, act_max] (already within the 8-bit range). */
static inline int32_t q8_ref_output_stage(int32_t acc, int32_t multiplier, int32_t shift,
                                          int32_t output_zero_point, int32_t act_min,
                                          int32_t act_max) {
  const int32_t scaled = q8_multiply_by_quantized_multiplier(acc, multiplier, (int)shift);
  /* TFLite adds in int32; near INT32_MAX (multipliers above 1) that would overflow, so wrap
     as its two's-complement hardware does instead of invoking undefined behaviour. */
  int32_t v = (int32_t)((uint32_t)scaled + (uint32_t)output_zero_point);
  if (v < act_min) v = act_min;
  if (v > act_max) v = act_max;
  return v;
}

#endif
