/* Tests of the prepare-time helpers in src/quant/multiplier.c: multiplier decomposition
   edge cases and reconstruction, softmax scaling, input radius, activation clamps. */
#include <math.h>
#include <stdlib.h>

#include "quant/fixedpoint.h"
#include "quant/multiplier.h"
#include "util/test-util.h"

static t_rng rng;

static void expect_quantized(double real, int want_status, int32_t want_m, int want_shift) {
  int32_t m = -7;
  int shift = -7;
  const int status = q8_quantize_multiplier(real, &m, &shift);
  T_CHECK(status == want_status && m == want_m && shift == want_shift,
          "QuantizeMultiplier(%.17g): got status %d m %d shift %d, want %d %d %d", real, status,
          (int)m, shift, want_status, (int)want_m, want_shift);
}

static void test_quantize_multiplier_edges(void) {
  expect_quantized(0.0, 0, 0, 0);
  expect_quantized(-0.0, 0, 0, 0);
  expect_quantized(1.0, 0, INT32_C(1) << 30, 1);        /* 0.5 * 2^1 */
  expect_quantized(0.5, 0, INT32_C(1) << 30, 0);
  expect_quantized(0.75, 0, 3 * (INT32_C(1) << 29), 0);
  expect_quantized(2.5, 0, 1342177280, 2);               /* 0.625 * 2^2 */
  expect_quantized(1000.0, 0, 2097152000, 10);           /* 0.9765625 * 2^10 */
  /* Just below 1 (and below 0.5): q * 2^31 rounds to 2^31, so it becomes 2^30, shift + 1. */
  expect_quantized(1.0 - ldexp(1.0, -40), 0, INT32_C(1) << 30, 1);
  expect_quantized(0.5 - ldexp(1.0, -41), 0, INT32_C(1) << 30, 0);
  /* q = 1 - 2^-31 is the largest q that stays below 2^31 (q * 2^31 = 2^31 - 1); q = 1 - 2^-32
     gives the tie 2^31 - 0.5, which rounds away from zero to 2^31 and so to the next power. */
  expect_quantized(1.0 - ldexp(1.0, -31), 0, INT32_MAX, 0);
  expect_quantized(1.0 - ldexp(1.0, -32), 0, INT32_C(1) << 30, 1);
  /* Tiny: shift below -31 flushes to zero. */
  expect_quantized(1e-12, 0, 0, 0);
  expect_quantized(ldexp(1.0, -32), 0, INT32_C(1) << 30, -31); /* 0.5 * 2^-31: kept */
  expect_quantized(ldexp(1.0, -33), 0, 0, 0);                  /* 0.5 * 2^-32: flushed */
  expect_quantized(1e-300, 0, 0, 0);
  /* Refused: negative, NaN, infinite, shift above 30. */
  expect_quantized(-0.5, -1, 0, 0);
  expect_quantized(-1e-20, -1, 0, 0);
  expect_quantized(NAN, -1, 0, 0);
  expect_quantized(INFINITY, -1, 0, 0);
  expect_quantized(-INFINITY, -1, 0, 0);
  expect_quantized(ldexp(1.0, 29), 0, INT32_C(1) << 30, 30);
  expect_quantized(ldexp(1.0, 30), -1, 0, 0);
  expect_quantized(1e12, -1, 0, 0);
}

/* Reconstruction: m in [2^30, 2^31) and |m * 2^(shift - 31) - real| <= half a Q31 step,
   i.e. |m - real * 2^(31 - shift)| <= 0.5, for reals spread over every usable exponent. */
static void test_quantize_multiplier_reconstruction(int n) {
  int worst_failures = 0;
  for (int i = 0; i < n; i++) {
    const double mantissa = 0.5 + 0.5 * t_rng_unit(&rng);
    const int exponent = (int)t_rng_range(&rng, -31, 30);
    const double real = ldexp(mantissa, exponent);
    int32_t m = 0;
    int shift = 0;
    const int status = q8_quantize_multiplier(real, &m, &shift);
    const double scaled = ldexp(real, 31 - shift);
    const int ok = status == 0 && m >= (INT32_C(1) << 30) && shift >= -31 && shift <= 30 &&
                   fabs((double)m - scaled) <= 0.5;
    if (!ok && worst_failures++ > 5) continue;
    T_CHECK(ok, "reconstruct %.17g: status %d m %d shift %d (|m - real*2^(31-shift)| = %g)",
            real, status, (int)m, shift, fabs((double)m - scaled));
  }
}

static void test_smaller_and_greater(void) {
  int32_t m = 0;
  int s = 0;
  T_CHECK(q8_quantize_multiplier_smaller_than_one_exp(0.5, &m, &s) == 0 &&
              m == (INT32_C(1) << 30) && s == 0,
          "SmallerThanOneExp(0.5): m %d s %d", (int)m, s);
  T_CHECK(q8_quantize_multiplier_smaller_than_one_exp(0.1, &m, &s) == 0 && s == -3 &&
              m == 1717986918,
          "SmallerThanOneExp(0.1): m %d s %d", (int)m, s);
  T_CHECK(q8_quantize_multiplier_smaller_than_one_exp(1.0, &m, &s) == -1, "1.0 refused");
  T_CHECK(q8_quantize_multiplier_smaller_than_one_exp(0.0, &m, &s) == -1, "0 refused");
  T_CHECK(q8_quantize_multiplier_smaller_than_one_exp(1.0 - ldexp(1.0, -40), &m, &s) == -1,
          "a value rounding up to 1 is refused (shift would be 1)");
  T_CHECK(q8_quantize_multiplier_greater_than_one(2.5, &m, &s) == 0 && m == 1342177280 && s == 2,
          "GreaterThanOne(2.5): m %d s %d", (int)m, s);
  T_CHECK(q8_quantize_multiplier_greater_than_one(1.0, &m, &s) == -1, "GreaterThanOne(1) refused");
  T_CHECK(q8_quantize_multiplier_greater_than_one(2147483647.0, &m, &s) == 0 && m == INT32_MAX &&
              s == 31,
          "GreaterThanOne(2^31 - 1): m %d s %d", (int)m, s);
}

static void test_softmax_scaling(void) {
  int32_t m = 0;
  int s = 0;
  /* beta 1, scale 0.1, 5 integer bits: real = 0.1 * 2^26 = 6710886.4 = 0.8 * 2^23. */
  T_CHECK(q8_preprocess_softmax_scaling(1.0, 0.1, 5, &m, &s) == 0 && s == 23 &&
              m == (int32_t)llround(0.8 * 2147483648.0),
          "softmax scaling(1, 0.1, 5): m %d s %d", (int)m, s);
  /* The cap 2^31 - 1: m = 2^31 - 1, shift 31. */
  T_CHECK(q8_preprocess_softmax_scaling(1.0, 1000.0, 5, &m, &s) == 0 && m == INT32_MAX && s == 31,
          "softmax scaling capped: m %d s %d", (int)m, s);
  T_CHECK(q8_preprocess_softmax_scaling(1.0, 1e-9, 5, &m, &s) == -1,
          "real multiplier below 1 refused (TFLite aborts)");
  T_CHECK(q8_preprocess_softmax_scaling(-1.0, 0.1, 5, &m, &s) == -1, "negative beta refused");
  /* Random: reconstruction of min(beta * scale * 2^26, 2^31 - 1). */
  for (int i = 0; i < 10000; i++) {
    const double beta = ldexp(0.5 + t_rng_unit(&rng), (int)t_rng_range(&rng, -3, 3));
    const double scale = ldexp(0.5 + t_rng_unit(&rng), (int)t_rng_range(&rng, -12, 2));
    double real = beta * scale * 67108864.0;
    if (real > 2147483647.0) real = 2147483647.0;
    const int status = q8_preprocess_softmax_scaling(beta, scale, 5, &m, &s);
    const double err = fabs((double)m - ldexp(real, 31 - s));
    T_CHECK(status == 0 && s >= 0 && m >= (INT32_C(1) << 30) && err <= 0.5,
            "softmax scaling beta %.9g scale %.9g: status %d m %d s %d err %g", beta, scale,
            status, (int)m, s, err);
  }
}

/* Straightforward formula: floor((2^ib - 1) * 2^(tsb - ib) / 2^shift) in long double. */
static void test_input_radius(void) {
  for (int tsb = 15; tsb <= 31; tsb += 16) {
    for (int ib = 0; ib <= 12 && ib <= tsb; ib++) {
      for (int shift = -8; shift <= 45; shift++) {
        const long double v = (long double)((1LL << ib) - 1) * powl(2.0L, tsb - ib) /
                              powl(2.0L, shift);
        long double want = floorl(v);
        if (want > 2147483647.0L) want = 2147483647.0L;
        const int32_t got = q8_calculate_input_radius(ib, shift, tsb);
        T_CHECK((long double)got == want, "CalculateInputRadius(%d, %d, %d) = %d, want %.0Lf", ib,
                shift, tsb, (int)got, want);
      }
    }
  }
  /* Known values: softmax's diff_min for left shift 23 (5 integer bits) is -248; logistic
     and tanh (4 integer bits) with scale 0.0625 (shift 24) have radius 120. */
  T_CHECK(q8_calculate_input_radius(5, 23, 31) == 248, "radius(5, 23) = %d",
          (int)q8_calculate_input_radius(5, 23, 31));
  T_CHECK(q8_calculate_input_radius(4, 24, 31) == 120, "radius(4, 24) = %d",
          (int)q8_calculate_input_radius(4, 24, 31));
}

static void expect_range(q8_activation act, float scale, int32_t zp, int32_t qmin, int32_t qmax,
                         int want_status, int32_t want_min, int32_t want_max) {
  int32_t lo = 12345, hi = 12345;
  const int status = q8_activation_range(act, scale, zp, qmin, qmax, &lo, &hi);
  T_CHECK(status == want_status && lo == want_min && hi == want_max,
          "activation %s scale %.9g zp %d [%d, %d]: got %d [%d, %d], want %d [%d, %d]",
          q8_activation_name(act), (double)scale, (int)zp, (int)qmin, (int)qmax, status, (int)lo,
          (int)hi, want_status, (int)want_min, (int)want_max);
}

static void test_activation_range_cases(void) {
  const float s8_255 = 8.0f / 255.0f; /* 6 / s = 191.25 */
  expect_range(Q8_ACT_NONE, 0.1f, 5, -128, 127, 0, -128, 127);
  expect_range(Q8_ACT_RELU6, s8_255, -96, -128, 127, 0, -96, 95);
  expect_range(Q8_ACT_RELU6, s8_255, 32, 0, 255, 0, 32, 223);
  expect_range(Q8_ACT_RELU, 0.05f, -10, -128, 127, 0, -10, 127);
  /* Zero points at the extremes. */
  expect_range(Q8_ACT_RELU, 0.05f, 127, -128, 127, 0, 127, 127);
  expect_range(Q8_ACT_RELU, 0.05f, -128, -128, 127, 0, -128, 127);
  expect_range(Q8_ACT_RELU6, 0.05f, 127, -128, 127, 0, 127, 127);
  expect_range(Q8_ACT_RELU6, 0.05f, -128, -128, 127, 0, -128, -8); /* 6 / 0.05 = 120 */
  expect_range(Q8_ACT_RELU6, 0.05f, 255, 0, 255, 0, 255, 255);
  expect_range(Q8_ACT_RELU6, 0.05f, 0, 0, 255, 0, 0, 120);
  expect_range(Q8_ACT_RELU_N1_TO_1, 1.0f / 128.0f, -128, -128, 127, 0, -128, 0);
  expect_range(Q8_ACT_RELU_N1_TO_1, 1.0f / 128.0f, 0, -128, 127, 0, -128, 127);
  expect_range(Q8_ACT_RELU_N1_TO_1, 1.0f / 128.0f, 127, -128, 127, 0, -1, 127);
  expect_range(Q8_ACT_RELU_N1_TO_1, 0.01f, 128, 0, 255, 0, 28, 228);
  /* A zero point beyond the range: an empty clamp, as TFLite computes it. */
  expect_range(Q8_ACT_RELU, 0.05f, 300, 0, 255, 0, 300, 255);
  /* Ties round half away from zero: 1 / 2 = 0.5 -> 1, -1 / 2 -> -1, 6 / 4 = 1.5 -> 2. */
  expect_range(Q8_ACT_RELU_N1_TO_1, 2.0f, 0, -128, 127, 0, -1, 1);
  expect_range(Q8_ACT_RELU6, 4.0f, 0, -128, 127, 0, 0, 2);
  expect_range(Q8_ACT_RELU6, 2.4f, 0, -128, 127, 0, 0, 3); /* 6 / 2.4 = 2.5 in float */
  /* Overflow of round(f / scale) and invalid scales are refused. */
  expect_range(Q8_ACT_RELU6, 1e-30f, 0, -128, 127, -1, -128, 127);
  expect_range(Q8_ACT_RELU, 0.0f, 0, -128, 127, -1, -128, 127);
  expect_range(Q8_ACT_RELU6, NAN, 0, -128, 127, -1, -128, 127);
  expect_range(Q8_ACT_NONE, 0.0f, 0, -128, 127, 0, -128, 127);
}

/* Random scales and zero points against the formula written out in float. */
static void test_activation_range_random(int n) {
  static const q8_activation acts[] = {Q8_ACT_NONE, Q8_ACT_RELU, Q8_ACT_RELU6,
                                       Q8_ACT_RELU_N1_TO_1};
  for (int i = 0; i < n; i++) {
    const int is_signed = (int)(t_rng_next(&rng) & 1);
    const int32_t qmin = is_signed ? -128 : 0, qmax = is_signed ? 127 : 255;
    const int32_t zp = (int32_t)t_rng_range(&rng, qmin, qmax);
    const float scale = (float)ldexp(0.5 + 0.5 * t_rng_unit(&rng), (int)t_rng_range(&rng, -10, 2));
    const q8_activation act = acts[t_rng_next(&rng) % 4];
    float lo_real = -INFINITY, hi_real = INFINITY;
    if (act == Q8_ACT_RELU || act == Q8_ACT_RELU6) lo_real = 0.0f;
    if (act == Q8_ACT_RELU6) hi_real = 6.0f;
    if (act == Q8_ACT_RELU_N1_TO_1) lo_real = -1.0f, hi_real = 1.0f;
    int32_t want_min = qmin, want_max = qmax;
    if (isfinite(lo_real)) {
      const int32_t q = zp + (int32_t)roundf(lo_real / scale);
      if (q > want_min) want_min = q;
    }
    if (isfinite(hi_real)) {
      const int32_t q = zp + (int32_t)roundf(hi_real / scale);
      if (q < want_max) want_max = q;
    }
    int32_t lo = 0, hi = 0;
    const int status = q8_activation_range(act, scale, zp, qmin, qmax, &lo, &hi);
    T_CHECK(status == 0 && lo == want_min && hi == want_max,
            "random activation %s scale %.9g zp %d: got %d [%d, %d], want [%d, %d]",
            q8_activation_name(act), (double)scale, (int)zp, status, (int)lo, (int)hi,
            (int)want_min, (int)want_max);
  }
}

int main(void) {
  rng.state = t_seed(20240607);
  test_quantize_multiplier_edges();
  test_quantize_multiplier_reconstruction(200000);
  test_smaller_and_greater();
  test_softmax_scaling();
  test_input_radius();
  test_activation_range_cases();
  test_activation_range_random(100000);
  return t_finish();
}
