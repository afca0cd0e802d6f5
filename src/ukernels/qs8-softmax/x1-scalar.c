/* Portable 8-bit SOFTMAX through the prepared tables, one element at a time (contract:
   qs8-softmax.h). */
#include <stdbool.h>

#include "quant/fixedpoint.h"
#include "ukernels/qs8-softmax/qs8-softmax.h"

enum { ACCUMULATION_INTEGER_BITS = 12 }; /* the sum of exps: Q12.19, as the reference */

/* Elements as 0..255 (uint8, or int8 + 128): k = max - x is the same either way. */
static inline int32_t load_biased(const void *row, size_t i, bool is_signed) {
  return is_signed ? (int32_t)((const int8_t *)row)[i] + 128
                   : (int32_t)((const uint8_t *)row)[i];
}

/* The reference's RoundingDivideByPOT for exponents past [0, 31] (src/ref/softmax.c). */
static inline int32_t divide_by_pot(int32_t x, int exponent) {
  if (exponent > 31) return 0;
  return q8_rounding_divide_by_pot(x, exponent < 0 ? 0 : exponent);
}

static inline void softmax_row(size_t depth, const void *in, uint8_t *out,
                               const q8_softmax_table *t, bool is_signed) {
  int32_t max = 0;
  for (size_t i = 0; i < depth; i++) {
    const int32_t v = load_biased(in, i, is_signed);
    max = v > max ? v : max;
  }
  uint32_t sum = 0;
  for (size_t i = 0; i < depth; i++)
    sum += (uint32_t)t->sum_term[max - load_biased(in, i, is_signed)];
  int bits_over_unit = 0;
  const int32_t reciprocal =
      q8_get_reciprocal((int32_t)sum, ACCUMULATION_INTEGER_BITS, &bits_over_unit);
  const int exponent = bits_over_unit + 31 - 8; /* output has 8 bits */
  for (size_t i = 0; i < depth; i++) {
    const int32_t e = t->exp[max - load_biased(in, i, is_signed)];
    int32_t v = divide_by_pot(q8_sat_rounding_doubling_high_mul(reciprocal, e), exponent);
    v = v > 255 ? 255 : v < 0 ? 0 : v; /* above the type's minimum, biased */
    out[i] = (uint8_t)(is_signed ? v - 128 : v);
  }
}

static inline void softmax(size_t rows, size_t depth, const void *input, void *output,
                           const q8_softmax_table *table, bool is_signed) {
  for (size_t r = 0; r < rows; r++)
    softmax_row(depth, (const uint8_t *)input + r * depth, (uint8_t *)output + r * depth, table,
                is_signed);
}

void q8_qs8_softmax_ukernel_x1__scalar(size_t rows, size_t depth, const void *input,
                                       void *output, const q8_softmax_table *table) {
  softmax(rows, depth, input, output, table, true);
}
void q8_qu8_softmax_ukernel_x1__scalar(size_t rows, size_t depth, const void *input,
                                       void *output, const q8_softmax_table *table) {
  softmax(rows, depth, input, output, table, false);
}
