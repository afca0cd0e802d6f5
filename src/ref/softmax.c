/* Reference 8-bit SOFTMAX: TFLite's fixed-point softmax, element by element (integer only). */
#include "ref/softmax.h"

#include <stdbool.h>

#include "quant/fixedpoint.h"
#include "ref/ref-common.h"

enum {
  SCALED_DIFF_INTEGER_BITS = 5, /* exp() input format: Q5.26 */
  ACCUMULATION_INTEGER_BITS = 12 /* sum of exps: Q12.19 */
};

int32_t q8_ref_softmax_exp_of_diff(const q8_ref_softmax_params *p, int32_t diff) {
  const int32_t scaled = q8_multiply_by_quantized_multiplier_greater_than_one(
      diff, p->input_multiplier, p->input_left_shift);
  return q8_exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS);
}

int32_t q8_ref_softmax_divide_by_pot(int32_t x, int exponent) {
  if (exponent < 0) exponent = 0; /* unreachable: the row maximum alone contributes 2^19 */
  if (exponent > 31) return 0;
  return q8_rounding_divide_by_pot(x, exponent);
}

static void softmax_row(const q8_ref_softmax_params *p, size_t depth, const void *in, void *out,
                        bool is_signed) {
  const int32_t type_min = is_signed ? -128 : 0;
  const int32_t type_max = is_signed ? 127 : 255;
  int32_t max_in_row = type_min;
  for (size_t c = 0; c < depth; c++) {
    const int32_t v = q8_ref_load(in, c, is_signed);
    if (v > max_in_row) max_in_row = v;
  }

  /* The Q12 sum wraps modulo 2^32 like TFLite's int32 addition (only past 4096 maxima). */
  uint32_t sum_of_exps = 0;
  for (size_t c = 0; c < depth; c++) {
    const int32_t diff = q8_ref_load(in, c, is_signed) - max_in_row;
    if (diff >= p->diff_min)
      sum_of_exps += (uint32_t)q8_rescale(q8_ref_softmax_exp_of_diff(p, diff), 0,
                                          ACCUMULATION_INTEGER_BITS);
  }

  int num_bits_over_unit = 0;
  const int32_t reciprocal =
      q8_get_reciprocal((int32_t)sum_of_exps, ACCUMULATION_INTEGER_BITS, &num_bits_over_unit);
  const int exponent = num_bits_over_unit + 31 - 8; /* output has 8 bits */

  for (size_t c = 0; c < depth; c++) {
    const int32_t diff = q8_ref_load(in, c, is_signed) - max_in_row;
    int32_t value = type_min;
    if (diff >= p->diff_min) {
      const int32_t exp_value = q8_ref_softmax_exp_of_diff(p, diff);
      const int32_t unsat = q8_ref_softmax_divide_by_pot(
          q8_sat_rounding_doubling_high_mul(reciprocal, exp_value), exponent);
      value = unsat + type_min;
      if (value > type_max) value = type_max;
      if (value < type_min) value = type_min;
    }
    q8_ref_store(out, c, value, is_signed);
  }
}

void q8_ref_softmax_qs8(const q8_ref_softmax_params *p, size_t rows, size_t depth,
                        const int8_t *in, int8_t *out) {
  for (size_t r = 0; r < rows; r++) softmax_row(p, depth, in + r * depth, out + r * depth, true);
}

void q8_ref_softmax_qu8(const q8_ref_softmax_params *p, size_t rows, size_t depth,
                        const uint8_t *in, uint8_t *out) {
  for (size_t r = 0; r < rows; r++) softmax_row(p, depth, in + r * depth, out + r * depth, false);
}
