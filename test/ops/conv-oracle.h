/* Test-side oracle pieces for the conv-like reference operators, written independently of
   src/quant and src/ref: requantization in int64 sign-magnitude form, TFLite's activation
   clamps, multipliers from real scales, and random quantization parameters. */
#ifndef Q8_TEST_OPS_CONV_ORACLE_H
#define Q8_TEST_OPS_CONV_ORACLE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/graph.h"
#include "util/test-util.h"

/* TFLite MultiplyByQuantizedMultiplier (double rounding), restated:
   1. x times 2^left wraps like an int32 multiply;
   2. the doubling high multiply is floor((x*m + 2^30) / 2^31), i.e. round half up, with
      INT32_MIN * INT32_MIN saturating to INT32_MAX;
   3. the right shift rounds to nearest with ties away from zero, computed on |v|. */
static inline int32_t oracle_mbqm(int32_t x, int32_t m, int shift) {
  const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const int32_t xs = (int32_t)(uint32_t)((uint64_t)(int64_t)x << left);
  int32_t hi;
  if (xs == INT32_MIN && m == INT32_MIN)
    hi = INT32_MAX;
  else
    hi = (int32_t)(((int64_t)xs * m + (INT64_C(1) << 30)) >> 31);
  if (right == 0) return hi;
  const int64_t mag = hi < 0 ? -(int64_t)hi : (int64_t)hi;
  const int64_t q = (mag + (INT64_C(1) << (right - 1))) >> right;
  return (int32_t)(hi < 0 ? -q : q);
}

/* acc (must fit int32, as TFLite's accumulator) -> output code. */
static inline int32_t oracle_output(int64_t acc, int32_t m, int shift, int32_t zp, int32_t lo,
                                    int32_t hi) {
  int64_t v = (int64_t)oracle_mbqm((int32_t)acc, m, shift) + zp;
  /* TFLite adds the zero point in int32; the wrap only matters at the very edge. */
  v = (int32_t)(uint32_t)(uint64_t)v;
  return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

/* TFLite QuantizeMultiplier semantics via frexp: real = m * 2^(shift - 31). */
static inline void oracle_multiplier(double real, int32_t *m, int32_t *shift) {
  int e = 0;
  const double f = frexp(real, &e);
  int64_t q = llround(f * 2147483648.0);
  if (q == INT64_C(2147483648)) {
    q /= 2;
    e++;
  }
  if (e < -31) {
    q = 0;
    e = 0;
  }
  *m = (int32_t)q;
  *shift = e;
}

/* TFLite CalculateActivationRangeQuantized: zp + round(f / scale) in float, clamped. */
static inline void oracle_act_range(q8_activation act, float scale, int32_t zp, int32_t qmin,
                                    int32_t qmax, int32_t *lo, int32_t *hi) {
  float a = 0, b = 0;
  *lo = qmin;
  *hi = qmax;
  switch (act) {
    case Q8_ACT_NONE: return;
    case Q8_ACT_RELU: a = 0.0f; b = INFINITY; break;
    case Q8_ACT_RELU6: a = 0.0f; b = 6.0f; break;
    case Q8_ACT_RELU_N1_TO_1: a = -1.0f; b = 1.0f; break;
  }
  const int32_t qa = zp + (int32_t)roundf(a / scale);
  if (qa > *lo) *lo = qa;
  if (isfinite(b)) {
    const int32_t qb = zp + (int32_t)roundf(b / scale);
    if (qb < *hi) *hi = qb;
  }
}

/* A zero point at either end of the range half of the time, else anywhere in it. */
static inline int32_t oracle_zero_point(t_rng *rng, int32_t qmin, int32_t qmax) {
  switch (t_rng_range(rng, 0, 3)) {
    case 0: return qmin;
    case 1: return qmax;
    default: return (int32_t)t_rng_range(rng, qmin, qmax);
  }
}

/* 10^u with u uniform in [lo_exp, hi_exp]: scales spanning decades. */
static inline double oracle_decades(t_rng *rng, double lo_exp, double hi_exp) {
  return pow(10.0, lo_exp + (hi_exp - lo_exp) * t_rng_unit(rng));
}

/* Per channel: the real multiplier that maps the channel's largest |acc| to about 64..512
   codes (some clamping), or one above 1 (positive shift) now and then, or a multiplier from
   scales that span decades (in_scale * w_scale[c] / out_scale). */
static inline void oracle_channel_multipliers(t_rng *rng, int32_t channels,
                                              const int64_t *max_abs_acc, int32_t *m,
                                              int32_t *shift) {
  const int mode = (int)t_rng_range(rng, 0, 2);
  const double in_scale = oracle_decades(rng, -3, 0);
  const double out_scale = oracle_decades(rng, -3, 0);
  for (int32_t c = 0; c < channels; c++) {
    double real;
    const double peak = max_abs_acc[c] > 0 ? (double)max_abs_acc[c] : 1.0;
    if (t_rng_range(rng, 0, 9) == 0)
      real = 1.0 + 7.0 * t_rng_unit(rng); /* multiplier above 1 */
    else if (mode == 0)
      real = in_scale * oracle_decades(rng, -4, -1) / out_scale;
    else
      real = (64.0 + 448.0 * t_rng_unit(rng)) / peak;
    oracle_multiplier(real, &m[c], &shift[c]);
  }
}

static inline q8_activation oracle_activation(t_rng *rng) {
  static const q8_activation acts[] = {Q8_ACT_NONE, Q8_ACT_RELU, Q8_ACT_RELU6,
                                       Q8_ACT_RELU_N1_TO_1};
  return acts[t_rng_range(rng, 0, 3)];
}

/* Fills n random 8-bit values; extremes (all qmin or all qmax) when mode says so. */
static inline void oracle_fill(t_rng *rng, int32_t *v, size_t n, int32_t qmin, int32_t qmax,
                               int mode) {
  for (size_t i = 0; i < n; i++)
    v[i] = mode == 1 ? qmin : mode == 2 ? qmax : (int32_t)t_rng_range(rng, qmin, qmax);
}

#endif
