/* Reference 8-bit TANH: fixed-point tanh on a Q4 input (integer only). */
#include "ref/tanh.h"

#include "quant/fixedpoint.h"

enum {
  INPUT_INTEGER_BITS = 4,
  OUTPUT_FRACTIONAL_BITS = 7 /* Q0.31 -> 1/128 steps: shift right by 31 - 7 */
};

static int8_t tanh_qs8_one(const q8_ref_tanh_params *p, int8_t x_q) {
  const int32_t x = (int32_t)x_q - p->input_zero_point;
  if (x <= -p->input_range_radius) return INT8_MIN;
  if (x >= p->input_range_radius) return INT8_MAX;
  const int32_t x_q4 =
      q8_multiply_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift);
  int32_t y = q8_rounding_divide_by_pot(q8_tanh(x_q4, INPUT_INTEGER_BITS),
                                        31 - OUTPUT_FRACTIONAL_BITS);
  if (y < INT8_MIN) y = INT8_MIN;
  if (y > INT8_MAX) y = INT8_MAX;
  return (int8_t)y;
}

static uint8_t tanh_qu8_one(const q8_ref_tanh_params *p, uint8_t x_q) {
  const int32_t x = (int32_t)x_q - p->input_zero_point;
  if (x <= -p->input_range_radius) return 0;
  if (x >= p->input_range_radius) return 255;
  const int32_t x_q4 = q8_multiply_by_quantized_multiplier_greater_than_one(
      x, p->input_multiplier, p->input_left_shift);
  int32_t y = q8_rounding_divide_by_pot(q8_tanh(x_q4, INPUT_INTEGER_BITS),
                                        31 - OUTPUT_FRACTIONAL_BITS) +
              128;
  if (y == 256) y = 255; /* tanh rounds up to +1 only; -1 maps to 0 exactly */
  return (uint8_t)y;
}

void q8_ref_tanh_qs8(const q8_ref_tanh_params *p, size_t n, const int8_t *in, int8_t *out) {
  for (size_t i = 0; i < n; i++) out[i] = tanh_qs8_one(p, in[i]);
}

void q8_ref_tanh_qu8(const q8_ref_tanh_params *p, size_t n, const uint8_t *in, uint8_t *out) {
  for (size_t i = 0; i < n; i++) out[i] = tanh_qu8_one(p, in[i]);
}
