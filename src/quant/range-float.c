/* Quantization ranges for training and export (float): TensorFlow's zero-point nudging,
   symmetric weight grids, fake quantization and its straight-through gradient, range
   trackers. Left out of the integer-only build. Contract: src/quant/range.h.

   Every float formula below is written one operation per statement where TensorFlow's result
   depends on it: C allows a compiler to fuse a * b + c within one expression into a single
   fused multiply-add (clang does by default on aarch64), which rounds once instead of twice
   and would move results off TensorFlow's by an ulp. Statement boundaries forbid that. */
#include "quant/range.h"

#include <math.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/error.h"

static q8_status check_bits(int bits, q8_error *err) {
  if (bits < Q8_QUANT_MIN_BITS || bits > Q8_QUANT_MAX_BITS) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "quantization bit width %d, expected %d to %d", bits, Q8_QUANT_MIN_BITS,
                   Q8_QUANT_MAX_BITS);
  }
  return Q8_OK;
}

/* The real range's bounds must be finite and ordered; the message says which rule failed. */
static q8_status check_range(float min, float max, const char *what, q8_error *err) {
  if (!isfinite(min) || !isfinite(max)) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "%s [%g, %g]: bounds must be finite (a NaN or infinity usually means the "
                   "training diverged)", what, (double)min, (double)max);
  }
  if (min > max) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT, "%s [%g, %g]: min is above max", what,
                   (double)min, (double)max);
  }
  return Q8_OK;
}

/* nudged_min/max from the zero point, as TensorFlow's Nudge: (quant_min - zp) * scale. The
   integer differences are exact in float (|d| <= 255). */
static q8_status finish_grid(q8_quant_grid *grid, q8_error *err) {
  const float below = (float)(grid->quant_min - grid->zero_point);
  const float above = (float)(grid->quant_max - grid->zero_point);
  grid->nudged_min = below * grid->scale;
  grid->nudged_max = above * grid->scale;
  if (!isfinite(grid->nudged_min) || !isfinite(grid->nudged_max)) {
    const float scale = grid->scale;
    memset(grid, 0, sizeof *grid);
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "quantization range too wide: scale %g puts the end codes beyond float",
                   (double)scale);
  }
  return Q8_OK;
}

q8_status q8_quant_grid_from_range(float min, float max, int bits, bool narrow_range,
                                   q8_quant_grid *grid, q8_error *err) {
  memset(grid, 0, sizeof *grid);
  q8_status status = check_bits(bits, err);
  if (status == Q8_OK) status = check_range(min, max, "quantization range", err);
  if (status != Q8_OK) return status;
  /* 0.0 must be a code (zero padding, ReLU): widen first, as TF's rewriter does. */
  if (min > 0.0f) min = 0.0f;
  if (max < 0.0f) max = 0.0f;
  const int32_t quant_min = narrow_range ? 1 : 0;
  const int32_t quant_max = (INT32_C(1) << bits) - 1;
  const float quant_min_float = (float)quant_min;
  const float quant_max_float = (float)quant_max;
  const float width = max - min;
  if (!isfinite(width)) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "quantization range [%g, %g]: its width overflows float", (double)min,
                   (double)max);
  }
  float scale = width / (quant_max_float - quant_min_float);
  if (scale < Q8_QUANT_MIN_SCALE) scale = Q8_QUANT_MIN_SCALE;
  const float min_in_steps = min / scale;
  const float zero_point_from_min = quant_min_float - min_in_steps;
  int32_t zero_point;
  if (zero_point_from_min < quant_min_float) {
    zero_point = quant_min;
  } else if (zero_point_from_min > quant_max_float) {
    zero_point = quant_max;
  } else {
    zero_point = (int32_t)roundf(zero_point_from_min); /* half away from zero, as std::round */
  }
  grid->scale = scale;
  grid->zero_point = zero_point;
  grid->quant_min = quant_min;
  grid->quant_max = quant_max;
  grid->bits = bits;
  grid->narrow_range = narrow_range;
  grid->symmetric = false;
  return finish_grid(grid, err);
}

q8_status q8_quant_grid_symmetric(float max_abs, int bits, q8_quant_grid *grid, q8_error *err) {
  memset(grid, 0, sizeof *grid);
  q8_status status = check_bits(bits, err);
  if (status != Q8_OK) return status;
  if (!isfinite(max_abs) || max_abs < 0.0f) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "symmetric quantization: max |w| is %g, expected finite and >= 0",
                   (double)max_abs);
  }
  const int32_t quant_max = (INT32_C(1) << (bits - 1)) - 1;
  float scale = max_abs / (float)quant_max;
  if (scale < Q8_QUANT_MIN_SCALE) scale = Q8_QUANT_MIN_SCALE;
  grid->scale = scale;
  grid->zero_point = 0;
  grid->quant_min = -quant_max;
  grid->quant_max = quant_max;
  grid->bits = bits;
  grid->narrow_range = true;
  grid->symmetric = true;
  return finish_grid(grid, err);
}

q8_status q8_quant_grids_symmetric_per_channel(const float *weights, size_t channels,
                                               size_t per_channel, size_t channel_stride,
                                               size_t element_stride, int bits,
                                               q8_quant_grid *grids, q8_error *err) {
  q8_status status = check_bits(bits, err);
  if (status != Q8_OK) return status;
  if (channels == 0) return Q8_OK;
  if (weights == NULL || grids == NULL || per_channel == 0) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "per-channel quantization: %zu channels of %zu weights (weights %s, grids "
                   "%s): expected weights and grids and at least one weight per channel",
                   channels, per_channel, weights ? "set" : "NULL", grids ? "set" : "NULL");
  }
  for (size_t c = 0; c < channels; c++) {
    float max_abs = 0.0f;
    for (size_t i = 0; i < per_channel; i++) {
      const float w = weights[c * channel_stride + i * element_stride];
      if (!isfinite(w)) {
        return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                       "per-channel quantization: channel %zu, weight %zu is %g, expected a "
                       "finite value", c, i, (double)w);
      }
      const float a = fabsf(w);
      if (a > max_abs) max_abs = a;
    }
    status = q8_quant_grid_symmetric(max_abs, bits, &grids[c], err);
    if (status != Q8_OK) {
      q8_error_prefix(err, "per-channel quantization: channel %zu", c);
      return status;
    }
  }
  return Q8_OK;
}

q8_status q8_quant_grid_storage(const q8_quant_grid *grid, q8_type type,
                                q8_quant_params *params, int32_t *code_offset, q8_error *err) {
  int32_t lowest, highest, offset;
  if (type == Q8_TYPE_UINT8) {
    lowest = 0;
    highest = 255;
    offset = grid->symmetric ? 128 : 0;
  } else if (type == Q8_TYPE_INT8) {
    lowest = -128;
    highest = 127;
    offset = grid->symmetric ? 0 : -128;
  } else {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "quantized storage type %s, expected uint8 or int8", q8_type_name(type));
  }
  if (grid->quant_min + offset < lowest || grid->quant_max + offset > highest ||
      grid->zero_point < grid->quant_min || grid->zero_point > grid->quant_max) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "quantization grid codes [%d, %d] with zero point %d do not fit %s",
                   (int)grid->quant_min, (int)grid->quant_max, (int)grid->zero_point,
                   q8_type_name(type));
  }
  params->scale = grid->scale;
  params->zero_point = grid->zero_point + offset;
  *code_offset = offset;
  return Q8_OK;
}

/* floor(v) for v in [0, 2^22], or NaN for NaN: v + 2^23 rounds v to an integer (floats there
   are 1 apart) and taking 2^23 away again is exact, so one comparison finds the floor. Exact,
   with neither a library call nor a branch: the fake-quantization loops vectorize. */
static inline float floor_nonnegative(float v) {
  const float two_pow_23 = 8388608.0f;
  const float rounded = (v + two_pow_23) - two_pow_23;
  return rounded > v ? rounded - 1.0f : rounded;
}

/* The number of grid steps above nudged_min that x rounds to (TF: floor(v / scale + 0.5) on
   the clamped, shifted value). A float integer in [0, quant_max - quant_min], or NaN (which
   no comparison moves). */
static inline float steps_above_min(const q8_quant_grid *grid, float x) {
  float clamped = x < grid->nudged_min ? grid->nudged_min : x;
  clamped = clamped > grid->nudged_max ? grid->nudged_max : clamped;
  const float shifted = clamped - grid->nudged_min;
  const float in_steps = shifted / grid->scale;
  const float biased = in_steps + 0.5f;
  return floor_nonnegative(biased);
}

/* Two statements, so that no compiler contracts them into one fused multiply-add. */
static inline float fake_quant(const q8_quant_grid *grid, float x) {
  const float steps = steps_above_min(grid, x);
  const float above_min = steps * grid->scale;
  return above_min + grid->nudged_min;
}

float q8_fake_quant(const q8_quant_grid *grid, float x) { return fake_quant(grid, x); }

int32_t q8_quant_grid_code(const q8_quant_grid *grid, float x) {
  const float steps = steps_above_min(grid, x);
  if (isnan(steps)) return grid->zero_point;
  return grid->quant_min + (int32_t)steps;
}

/* The loops below copy the grid first (out may alias it, as far as the compiler knows) and
   avoid branches, so that they vectorize (range-float.c is built with -fno-trapping-math,
   which lets GCC if-convert float comparisons; results are IEEE's either way). */
void q8_fake_quant_forward(const q8_quant_grid *grid, const float *in, float *out, size_t n) {
  const q8_quant_grid g = *grid;
  for (size_t i = 0; i < n; i++) out[i] = fake_quant(&g, in[i]);
}

void q8_fake_quant_backward(const q8_quant_grid *grid, const float *in, const float *grad_out,
                            float *grad_in, size_t n) {
  const float lo = grid->nudged_min, hi = grid->nudged_max;
  for (size_t i = 0; i < n; i++) {
    const float g = grad_out[i];
    const bool inside = (in[i] >= lo) & (in[i] <= hi);
    grad_in[i] = inside ? g : 0.0f;
  }
}

/* One pass without an exit, so that it runs at the speed of the comparisons; x - x is 0 for
   every finite x, NaN for infinities and NaN (the caller looks for the refused value after).
   lo and hi come in as x[0]. GCC does not turn `x < lo ? x : lo` into a vector minimum (it may
   not, for NaN and signed zeros), so SSE2 does it by hand: MINPS(a, b) is exactly a < b ? a :
   b, lane by lane. Zeros of either sign compare equal and the lanes meet them in another order
   than one scalar pass, so a zero result is made +0: the same bits on every path. */
static void minmax_pass(const float *x, size_t n, float *lo, float *hi, int *not_finite) {
  size_t i = 0;
#if defined(__SSE2__)
  if (n >= 8) {
    __m128 lo4 = _mm_set1_ps(*lo), hi4 = lo4, bad4 = _mm_setzero_ps();
    const __m128 zero = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4) {
      const __m128 v = _mm_loadu_ps(x + i);
      lo4 = _mm_min_ps(v, lo4);
      hi4 = _mm_max_ps(v, hi4);
      bad4 = _mm_or_ps(bad4, _mm_cmpneq_ps(_mm_sub_ps(v, v), zero));
    }
    float l[4], h[4];
    _mm_storeu_ps(l, lo4);
    _mm_storeu_ps(h, hi4);
    *not_finite |= _mm_movemask_ps(bad4) != 0;
    for (int k = 0; k < 4; k++) {
      *lo = l[k] < *lo ? l[k] : *lo;
      *hi = h[k] > *hi ? h[k] : *hi;
    }
  }
#endif
  for (; i < n; i++) {
    *lo = x[i] < *lo ? x[i] : *lo;
    *hi = x[i] > *hi ? x[i] : *hi;
    *not_finite |= !(x[i] - x[i] == 0.0f);
  }
  if (*lo == 0.0f) *lo = 0.0f;
  if (*hi == 0.0f) *hi = 0.0f;
}

q8_status q8_quant_minmax(const float *x, size_t n, float *min, float *max, q8_error *err) {
  if (x == NULL || n == 0) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "range of %zu values (%s): expected at least one value", n,
                   x ? "set" : "NULL");
  }
  float lo = x[0], hi = x[0];
  int not_finite = 0;
  minmax_pass(x, n, &lo, &hi, &not_finite);
  for (size_t i = 0; not_finite && i < n; i++) {
    if (!isfinite(x[i])) {
      return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                     "range of %zu values: value %zu is %g, expected finite (the training "
                     "step diverged?)", n, i, (double)x[i]);
    }
  }
  *min = lo;
  *max = hi;
  return Q8_OK;
}

void q8_range_tracker_init(q8_range_tracker *tracker) {
  tracker->min = 0.0f;
  tracker->max = 0.0f;
  tracker->initialized = false;
}

/* TF's assign_moving_average: value -= (1 - decay) * (value - batch). */
static float moving_average(float value, float batch, float decay) {
  const float keep_complement = 1.0f - decay;
  const float difference = value - batch;
  const float delta = difference * keep_complement;
  return value - delta;
}

q8_status q8_range_tracker_update_ema(q8_range_tracker *tracker, float batch_min,
                                      float batch_max, float decay, q8_error *err) {
  q8_status status = check_range(batch_min, batch_max, "batch range", err);
  if (status != Q8_OK) return status;
  if (!(decay >= 0.0f && decay <= 1.0f)) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "range moving-average decay %g, expected 0 to 1", (double)decay);
  }
  if (batch_min > 0.0f) batch_min = 0.0f;
  if (batch_max < 0.0f) batch_max = 0.0f;
  if (!tracker->initialized) {
    tracker->min = batch_min;
    tracker->max = batch_max;
    tracker->initialized = true;
    return Q8_OK;
  }
  tracker->min = moving_average(tracker->min, batch_min, decay);
  tracker->max = moving_average(tracker->max, batch_max, decay);
  return Q8_OK;
}

q8_status q8_range_tracker_update_minmax(q8_range_tracker *tracker, float batch_min,
                                         float batch_max, q8_error *err) {
  q8_status status = check_range(batch_min, batch_max, "batch range", err);
  if (status != Q8_OK) return status;
  if (batch_min > 0.0f) batch_min = 0.0f;
  if (batch_max < 0.0f) batch_max = 0.0f;
  if (!tracker->initialized || batch_min < tracker->min) tracker->min = batch_min;
  if (!tracker->initialized || batch_max > tracker->max) tracker->max = batch_max;
  tracker->initialized = true;
  return Q8_OK;
}

q8_status q8_range_tracker_grid(const q8_range_tracker *tracker, int bits, bool narrow_range,
                                q8_quant_grid *grid, q8_error *err) {
  if (!tracker->initialized) {
    memset(grid, 0, sizeof *grid);
    return q8_fail(err, Q8_ERROR_STATE,
                   "range tracker has seen no batch yet: no quantization range to use");
  }
  return q8_quant_grid_from_range(tracker->min, tracker->max, bits, narrow_range, grid, err);
}

q8_status q8_quant_bias_safe_weight_scale(float weight_scale, float bias, float input_scale,
                                          float *adjusted, q8_error *err) {
  *adjusted = weight_scale;
  if (!isfinite(weight_scale) || !isfinite(bias) || !isfinite(input_scale) ||
      !(weight_scale > 0.0f) || !(input_scale > 0.0f)) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "bias %g with input scale %g and weight scale %g: expected finite values "
                   "and positive scales", (double)bias, (double)input_scale,
                   (double)weight_scale);
  }
  /* Exact in double: float products of two floats and a power of two. */
  const double limit = 1073741824.0; /* 2^30: the middle half of int32 */
  const double magnitude = fabs((double)bias);
  if (magnitude <= (double)input_scale * (double)weight_scale * limit) return Q8_OK;
  const double needed = magnitude / ((double)input_scale * limit);
  float raised = (float)needed;
  /* The division rounded: step up until the rule holds for the float scale itself. */
  while (isfinite(raised) && magnitude > (double)input_scale * (double)raised * limit) {
    raised = nextafterf(raised, INFINITY);
  }
  if (!isfinite(raised)) {
    return q8_fail(err, Q8_ERROR_INVALID_ARGUMENT,
                   "bias %g with input scale %g needs a weight scale beyond float",
                   (double)bias, (double)input_scale);
  }
  *adjusted = raised;
  return Q8_OK;
}
