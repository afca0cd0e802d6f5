/* Reference int8 LOGISTIC: fixed-point logistic on a Q4 input (integer only). */
#include "ref/logistic.h"

#include "quant/fixedpoint.h"

enum {
  INPUT_INTEGER_BITS = 4,
  OUTPUT_INTEGER_BITS = 8 /* Q0.31 -> 1/256 steps: shift right by 31 - 8 */
};

static int8_t logistic_one(const q8_ref_logistic_params *p, int8_t x_q) {
  const int32_t x = (int32_t)x_q - p->input_zero_point;
  if (x <= -p->input_range_radius) return INT8_MIN;
  if (x >= p->input_range_radius) return INT8_MAX;
  const int32_t x_q4 =
      q8_multiply_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift);
  const int32_t y_q0 = q8_logistic(x_q4, INPUT_INTEGER_BITS);
  int32_t y = q8_rounding_divide_by_pot(y_q0, 31 - OUTPUT_INTEGER_BITS) - 128;
  if (y < INT8_MIN) y = INT8_MIN;
  if (y > INT8_MAX) y = INT8_MAX;
  return (int8_t)y;
}

void q8_ref_logistic_qs8(const q8_ref_logistic_params *p, size_t n, const int8_t *in,
                         int8_t *out) {
  for (size_t i = 0; i < n; i++) out[i] = logistic_one(p, in[i]);
}
