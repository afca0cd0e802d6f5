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

/* TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (left_shift <= 0). */
static inline int32_t q8_multiply_by_quantized_multiplier_smaller_than_one_exp(
    int32_t x, int32_t multiplier, int left_shift) {
  return q8_rounding_divide_by_pot(q8_sat_rounding_doubling_high_mul(x, multiplier),
                                   -left_shift);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT: x * 2^exponent, saturating when exponent > 0,
   rounding (ties away from zero) when exponent < 0. exponent in [-31, 31]. */
int32_t q8_saturating_rounding_multiply_by_pot(int32_t x, int exponent);

/* Fixed-point transcendentals on raw int32 values. "Qm" below means gemmlowp's
   FixedPoint<int32_t, m>: m integer bits, 31 - m fractional bits. integer_bits in [0, 31]
   where the function is defined for it (gemmlowp's template parameter, here at run time). */

/* exp(a) for a in [-1/4, 0), a and result in Q0. */
int32_t q8_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a);
/* exp(a) for a <= 0, a in Q(integer_bits), result in Q0 (exp(0) saturates to INT32_MAX). */
int32_t q8_exp_on_negative_values(int32_t a, int integer_bits);
/* 1 / (1 + a) for a in [0, 1), a and result in Q0. */
int32_t q8_one_over_one_plus_x_for_x_in_0_1(int32_t a);
/* logistic(a), a in Q(integer_bits), result in Q0. */
int32_t q8_logistic(int32_t a, int integer_bits);
/* tanh(a), a in Q(integer_bits), result in Q0. */
int32_t q8_tanh(int32_t a, int integer_bits);
/* TFLite GetReciprocal: reciprocal of x given in Q(x_integer_digits) as used by softmax;
   returns Q0 and stores the number of bits by which x exceeds one. */
int32_t q8_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit);

#endif
