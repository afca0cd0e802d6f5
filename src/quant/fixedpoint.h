/* THE fixed-point numerics of q8 (integer only): gemmlowp's rounding multiply and shift,
   TFLite's MultiplyByQuantizedMultiplier, and the fixed-point transcendentals.
   Semantics and sources: doc/numerics.md. SIMD code specialises these, never redefines them. */
#ifndef Q8_QUANT_FIXEDPOINT_H
#define Q8_QUANT_FIXEDPOINT_H

#include <stdint.h>

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties away from zero
   (the "+ (1 << 30)" nudge is applied to |a*b| in sign), saturating the one overflow case
   a == b == INT32_MIN to INT32_MAX. */
static inline int32_t q8_sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int64_t nudge = ab >= 0 ? (INT64_C(1) << 30) : (1 - (INT64_C(1) << 30));
  int64_t sum = ab + nudge;
  /* Division truncating toward zero, as gemmlowp does (not an arithmetic shift). */
  return (int32_t)(sum / (INT64_C(1) << 31));
}

/* gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
   exponent must be in [0, 31]. */
static inline int32_t q8_rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)((UINT32_C(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  /* x >> exponent is an arithmetic shift on every compiler q8 supports (GCC, Clang). */
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier, double-rounding form (TFLITE_SINGLE_ROUNDING off):
   x * multiplier * 2^shift / 2^31 with shift > 0 a left shift applied first (wrapping as
   TFLite's int32 multiply does) and shift < 0 a rounding right shift applied last. */
static inline int32_t q8_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier,
                                                          int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  /* Unsigned arithmetic reproduces TFLite's x * (1 << left_shift) without signed overflow. */
  const int32_t shifted = (int32_t)((uint32_t)x * (UINT32_C(1) << left_shift));
  return q8_rounding_divide_by_pot(q8_sat_rounding_doubling_high_mul(shifted, multiplier),
                                   right_shift);
}

/* TFLite MultiplyByQuantizedMultiplierGreaterThanOne (double-rounding build): the left
   shift (left_shift in [0, 31]) wraps modulo 2^32 exactly like TFLite's int32
   x * (1 << left_shift), then the Q31 multiply rounds once. Used by softmax and uint8 tanh. */
static inline int32_t q8_multiply_by_quantized_multiplier_greater_than_one(
    int32_t x, int32_t multiplier, int left_shift) {
  const int32_t shifted = (int32_t)((uint32_t)x * (UINT32_C(1) << left_shift));
  return q8_sat_rounding_doubling_high_mul(shifted, multiplier);
}

/* TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (left_shift <= 0). */
static inline int32_t q8_multiply_by_quantized_multiplier_smaller_than_one_exp(
    int32_t x, int32_t multiplier, int left_shift) {
  return q8_rounding_divide_by_pot(q8_sat_rounding_doubling_high_mul(x, multiplier),
                                   -left_shift);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT: x * 2^exponent, saturating when exponent > 0,
   rounding (ties away from zero) when exponent < 0. exponent in [-31, 31]. */
int32_t q8_saturating_rounding_multiply_by_pot(int32_t x, int exponent);

/* gemmlowp Rescale<dst_integer_bits>(FixedPoint<int32_t, src_integer_bits>): the same
   real value with a different number of integer bits, i.e. multiply_by_pot by
   src - dst (saturating when gaining fractional bits, rounding when losing them). */
static inline int32_t q8_rescale(int32_t x, int src_integer_bits, int dst_integer_bits) {
  return q8_saturating_rounding_multiply_by_pot(x, src_integer_bits - dst_integer_bits);
}

/* Fixed-point transcendentals on raw int32 values. "Qm" below means gemmlowp's
   FixedPoint<int32_t, m>: m integer bits, 31 - m fractional bits. integer_bits in [0, 31]
   where the function is defined for it (gemmlowp's template parameter, here at run time). */

/* Domains below are gemmlowp's: inside them the result is bit-exact with gemmlowp (tested
   against it). Outside them gemmlowp overflows int32 (undefined behaviour in C++); q8 wraps
   modulo 2^32 instead, so the result is defined but meaningless. Every operator stays inside. */

/* exp(a) for a in [-1/4, 0) (raw [-2^29, 0]), a and result in Q0. */
int32_t q8_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a);
/* exp(a) for a <= 0 (any raw value <= 0, INT32_MIN included), a in Q(integer_bits) with
   integer_bits in [0, 29], result in Q0 (exp(0) saturates to INT32_MAX). For
   integer_bits > 5, a < -32 gives exactly 0. */
int32_t q8_exp_on_negative_values(int32_t a, int integer_bits);
/* 1 / (1 + a) for a in [0, 1) (raw >= 0), a and result in Q0. */
int32_t q8_one_over_one_plus_x_for_x_in_0_1(int32_t a);
/* (1 - a) / (1 + a) for a in [0, 1) (raw >= 0), a and result in Q0 (tanh's helper). */
int32_t q8_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a);
/* logistic(a), a in Q(integer_bits), integer_bits in [0, 29], raw a != INT32_MIN; result
   in Q0 (logistic(0) is exactly 1 << 30). */
int32_t q8_logistic(int32_t a, int integer_bits);
/* tanh(a), a in Q(integer_bits), integer_bits in [0, 28], raw a != INT32_MIN; result in
   Q0 (tanh(0) is exactly 0). */
int32_t q8_tanh(int32_t a, int integer_bits);
/* TFLite GetReciprocal (kernels/internal/common.h): x > 0 in Q(x_integer_digits) as used by
   softmax (the sum of exps in Q12). With h = clz(x), x * 2^h lies in [1, 2) as Q0 + 1;
   returns 1 / (x * 2^h) in Q0 (via one_over_one_plus_x of x * 2^h - 1) and stores
   x_integer_digits - h in *num_bits_over_unit. x <= 0 is outside the domain. */
int32_t q8_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit);

#endif
