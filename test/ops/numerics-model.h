/* Plain 64-bit restatements of TFLite's integer rules, for the operator tests to compare the
   reference kernels with (written independently of src/quant's bit tricks). */
#ifndef Q8_TEST_OPS_NUMERICS_MODEL_H
#define Q8_TEST_OPS_NUMERICS_MODEL_H

#include <math.h>
#include <stdint.h>

/* x / 2^e rounded to nearest, ties away from zero (RoundingDivideByPOT), e in [0, 62]. */
static inline int64_t m_round_shift(int64_t x, int e) {
  if (e == 0) return x;
  const int64_t half = INT64_C(1) << (e - 1);
  return x >= 0 ? (x + half) >> e : -((-x + half) >> e);
}

/* round(a * b / 2^31), ties away from zero, saturating the single overflow case. */
static inline int32_t m_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  return (int32_t)m_round_shift((int64_t)a * b, 31);
}

/* MultiplyByQuantizedMultiplier (double rounding): the left shift first (inputs here never
   overflow it), then the Q31 product, then the rounding right shift. */
static inline int32_t m_mbqm(int32_t x, int32_t m, int shift) {
  const int64_t shifted = shift > 0 ? (int64_t)x * (INT64_C(1) << shift) : x;
  return (int32_t)m_round_shift(m_srdhm((int32_t)shifted, m), shift > 0 ? 0 : -shift);
}

/* TFLM's logistic/tanh prepare written out: frexp(scale * 2^27), round(q * 2^31). */
static inline void m_frexp_multiplier(double real, int32_t *m, int *shift) {
  const double q = frexp(real, shift);
  *m = (int32_t)llround(q * 2147483648.0);
}

/* floor((2^ib - 1) * 2^(31 - ib) / 2^shift), saturated to int32. */
static inline int32_t m_input_radius(int ib, int shift) {
  const double r = floor((double)((1 << ib) - 1) * pow(2.0, 31 - ib - shift));
  return r > 2147483647.0 ? INT32_MAX : (int32_t)r;
}

#endif
