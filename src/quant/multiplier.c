/* Prepare-time quantization helpers (double precision), as TFLite's quantization_util.cc and
   kernel_util.cc compute them. Never linked into a run path. */
#include "quant/multiplier.h"

#include <math.h>

/* frexp + round as TFLite does, without the final shift-range check: shift may be up to
   31 (softmax's capped multiplier 2^31 - 1 needs it) or more. */
static int quantize_multiplier_any_shift(double real, int32_t *multiplier, int *shift) {
  *multiplier = 0;
  *shift = 0;
  if (isnan(real) || isinf(real) || real < 0.0) return -1;
  if (real == 0.0) return 0;
  int exponent = 0;
  const double q = frexp(real, &exponent); /* real = q * 2^exponent, q in [0.5, 1) */
  int64_t q_fixed = (int64_t)round(q * 2147483648.0);
  if (q_fixed == (INT64_C(1) << 31)) { /* q rounded up to 1: use the next power of two */
    q_fixed /= 2;
    exponent++;
  }
  if (exponent < -31) return 0; /* flushed to zero, as TFLite does */
  *multiplier = (int32_t)q_fixed;
  *shift = exponent;
  return 0;
}

int q8_quantize_multiplier(double real, int32_t *multiplier, int *shift) {
  if (quantize_multiplier_any_shift(real, multiplier, shift) != 0 || *shift > 30) {
    *multiplier = 0;
    *shift = 0;
    return -1;
  }
  return 0;
}

int q8_quantize_multiplier_smaller_than_one_exp(double real, int32_t *multiplier,
                                                int *left_shift) {
  *multiplier = 0;
  *left_shift = 0;
  if (!(real > 0.0 && real < 1.0)) return -1;
  int shift = 0;
  if (q8_quantize_multiplier(real, multiplier, &shift) != 0 || shift > 0) {
    *multiplier = 0;
    return -1;
  }
  *left_shift = shift;
  return 0;
}

int q8_quantize_multiplier_greater_than_one(double real, int32_t *multiplier,
                                            int *left_shift) {
  *multiplier = 0;
  *left_shift = 0;
  if (!(real > 1.0)) return -1;
  int shift = 0;
  if (quantize_multiplier_any_shift(real, multiplier, &shift) != 0 || shift < 0 || shift > 31) {
    *multiplier = 0;
    return -1;
  }
  *left_shift = shift;
  return 0;
}

int q8_frexp_multiplier(double real, int32_t *multiplier, int *shift) {
  *multiplier = 0;
  *shift = 0;
  if (!(real > 0.0) || isinf(real)) return -1;
  int exponent = 0;
  const double q = frexp(real, &exponent);
  const int64_t q_fixed = (int64_t)round(q * 2147483648.0);
  if (q_fixed > INT32_MAX) return -1;
  *multiplier = (int32_t)q_fixed;
  *shift = exponent;
  return 0;
}

int q8_preprocess_softmax_scaling(double beta, double input_scale, int input_integer_bits,
                                  int32_t *quantized_multiplier, int *left_shift) {
  *quantized_multiplier = 0;
  *left_shift = 0;
  if (!(beta >= 0.0) || !(input_scale >= 0.0) || input_integer_bits < 0 ||
      input_integer_bits > 30)
    return -1;
  /* A large multiplier can be capped: any input difference of at least one step then
     rounds exp() to zero anyway. */
  const double max_real_multiplier = 2147483647.0; /* 2^31 - 1 */
  double real = beta * input_scale * (double)(INT64_C(1) << (31 - input_integer_bits));
  if (real > max_real_multiplier) real = max_real_multiplier;
  return q8_quantize_multiplier_greater_than_one(real, quantized_multiplier, left_shift);
}

int32_t q8_calculate_input_radius(int input_integer_bits, int input_left_shift,
                                  int total_signed_bits) {
  /* Every factor is a power of two or a small integer, so the double is exact and floor()
     is the floor of the true quotient. */
  const double max_input_rescaled =
      (double)((INT64_C(1) << input_integer_bits) - 1) *
      ldexp(1.0, total_signed_bits - input_integer_bits - input_left_shift);
  const double radius = floor(max_input_rescaled);
  if (radius >= 2147483647.0) return INT32_MAX;
  return (int32_t)radius;
}

/* zero_point + round(f / scale), in float as TFLite's lambda does; -1 when it overflows. */
static int quantize_activation_bound(float f, float scale, int32_t zero_point, int32_t *q) {
  const float quotient = f / scale;
  const float rounded = roundf(quotient);
  /* TFLite accepts tmp <= (float)INT32_MAX, i.e. 2^31, whose conversion is undefined; q8
     refuses it too. NaN fails both comparisons. */
  if (!(rounded >= -2147483648.0f && rounded < 2147483648.0f)) return -1;
  const int64_t sum = (int64_t)zero_point + (int64_t)(int32_t)rounded;
  if (sum < INT32_MIN || sum > INT32_MAX) return -1;
  *q = (int32_t)sum;
  return 0;
}

double q8_conv_real_multiplier(bool per_tensor, float in_scale, float w_scale, float out_scale) {
  if (per_tensor) {
    const float product = in_scale * w_scale; /* float multiply, as TFLite */
    return (double)product / (double)out_scale;
  }
  return (double)in_scale * (double)w_scale / (double)out_scale;
}

static int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

int q8_activation_range(q8_activation act, float scale, int32_t zero_point, int32_t qmin,
                        int32_t qmax, int32_t *act_min, int32_t *act_max) {
  *act_min = qmin;
  *act_max = qmax;
  int32_t lo = 0, hi = 0;
  switch (act) {
    case Q8_ACT_NONE:
      return 0;
    case Q8_ACT_RELU:
      if (quantize_activation_bound(0.0f, scale, zero_point, &lo) != 0) return -1;
      *act_min = max_i32(qmin, lo);
      return 0;
    case Q8_ACT_RELU6:
      if (quantize_activation_bound(0.0f, scale, zero_point, &lo) != 0 ||
          quantize_activation_bound(6.0f, scale, zero_point, &hi) != 0)
        return -1;
      *act_min = max_i32(qmin, lo);
      *act_max = min_i32(qmax, hi);
      return 0;
    case Q8_ACT_RELU_N1_TO_1:
      if (quantize_activation_bound(-1.0f, scale, zero_point, &lo) != 0 ||
          quantize_activation_bound(1.0f, scale, zero_point, &hi) != 0)
        return -1;
      *act_min = max_i32(qmin, lo);
      *act_max = min_i32(qmax, hi);
      return 0;
  }
  return -1;
}
