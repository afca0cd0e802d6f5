/* Portable 8-bit ADD kernel. Contract: q8-vadd.h. */
#include <stdbool.h>

#include "quant/fixedpoint.h"
#include "ukernels/q8-vadd/q8-vadd.h"

static inline int32_t load8(const void *base, size_t i, bool is_signed) {
  return is_signed ? (int32_t)((const int8_t *)base)[i] : (int32_t)((const uint8_t *)base)[i];
}

static inline int32_t add_one(const q8_vadd_params *p, int32_t x, int32_t y) {
  /* (q + offset) fits in 10 bits: the shift by 20 stays inside int32. */
  const int32_t a = (x + p->a_offset) * (1 << p->left_shift);
  const int32_t b = (y + p->b_offset) * (1 << p->left_shift);
  const int32_t sum =
      q8_multiply_by_quantized_multiplier_smaller_than_one_exp(a, p->a_multiplier, p->a_shift) +
      q8_multiply_by_quantized_multiplier_smaller_than_one_exp(b, p->b_multiplier, p->b_shift);
  const int32_t v = q8_multiply_by_quantized_multiplier_smaller_than_one_exp(
                        sum, p->output_multiplier, p->output_shift) +
                    p->output_offset;
  return v < p->output_min ? p->output_min : v > p->output_max ? p->output_max : v;
}

static inline void vadd(size_t n, const void *a, size_t a_inc, const void *b, size_t b_inc,
                        void *out, const q8_vadd_params *params, bool is_signed) {
  for (size_t i = 0; i < n; i++) {
    const int32_t v = add_one(params, load8(a, i * a_inc, is_signed), load8(b, i * b_inc, is_signed));
    ((uint8_t *)out)[i] = (uint8_t)v;
  }
}

void q8_qs8_vadd_minmax_ukernel__scalar(size_t n, const void *a, size_t a_inc, const void *b,
                                        size_t b_inc, void *out, const q8_vadd_params *params) {
  vadd(n, a, a_inc, b, b_inc, out, params, true);
}

void q8_qu8_vadd_minmax_ukernel__scalar(size_t n, const void *a, size_t a_inc, const void *b,
                                        size_t b_inc, void *out, const q8_vadd_params *params) {
  vadd(n, a, a_inc, b, b_inc, out, params, false);
}
