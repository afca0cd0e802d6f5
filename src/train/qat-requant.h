/* The exported operator's output stage, emulated in the fake quantization of a layer's output
   (quantization-aware training, doc/training.md "Integer requantization").

   The float model rounds a layer's output once, to the nearest step of its grid. The exported
   CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED adds an int32 bias (the float bias rounded to
   the input * weight scale) and requantizes with TFLite's MultiplyByQuantizedMultiplier, which
   rounds twice. Both differ from the float rounding by one step on a few outputs per thousand,
   and those differences add up through the layers. With the emulation on, the fake-quant node
   after such a layer recovers the int32 accumulator from the float output (it is an integer
   multiple of input scale * weight scale, up to float rounding) and computes the exported
   operator's code from it: the float model then holds the integer model's values.

   It applies where the layer is in its exported form: always for a layer without batch norm,
   and for a folded batch norm once its statistics are frozen (and in inference). It needs 8-bit
   activations (the export requantizes narrower ones at 8 bits) and an input on a known grid
   (the image input, or a fake-quant node's output). */
#ifndef Q8_TRAIN_QAT_REQUANT_H
#define Q8_TRAIN_QAT_REQUANT_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "quant/fixedpoint.h"
#include "quant/range.h"
#include "train/graph.h"

typedef struct q8t_requant {
  int32_t channels;        /* the output's last axis */
  float *bias;             /* [channels]: the float bias the layer adds (folded) */
  double *inv_acc_scale;   /* [channels]: 1 / (input scale * weight scale) */
  int32_t *bias_code;      /* [channels]: the exported int32 bias */
  int32_t *multiplier;     /* [channels]: Q31 */
  int32_t *shift;          /* [channels] */
  int32_t zero_point;      /* the output's, in the container */
  int32_t act_min, act_max; /* container codes the fused activation clamps to */
  float act_low, act_high; /* the fused activation's float bounds (infinite without) */
  int32_t to_container;    /* container code - grid code offset: grid value index */
  q8_quant_grid grid;      /* the node's own: the float rounding */
  float *band;             /* [channels]: how far from a half step the two roundings can differ */
  float widest_band;
} q8t_requant;

/* Fills rq for the fake-quant node fq whose output grid is out_grid, when its input is the
   output of a weighted layer in its exported form; *applies false (and Q8_OK) otherwise.
   Errors: out of memory, a multiplier the runtime could not represent. */
q8_status q8t_requant_plan(const q8t_graph *g, const q8t_node *fq, const q8_quant_grid *out_grid,
                           q8t_requant *rq, bool *applies, q8_error *error);

void q8t_requant_free(q8t_requant *rq);

/* The exported operator's output, as a value of the fake-quant grid, for the float output x
   (after the fused activation) of channel c. */
static inline float q8t_requant_exact(const q8t_requant *rq, int32_t c, float x) {
  int32_t code;
  if (x <= rq->act_low) {
    code = rq->act_min;
  } else if (x >= rq->act_high) {
    code = rq->act_max;
  } else {
    double acc = (double)(x - rq->bias[c]) * rq->inv_acc_scale[c];
    acc = acc > INT32_MAX ? INT32_MAX : acc < -INT32_MAX ? -INT32_MAX : acc;
    /* To the nearest integer by adding and subtracting 1.5 * 2^52 (exact for |acc| < 2^51):
       llround is a library call, and the accumulator is an integer up to float error, so any
       rounding to nearest recovers it. */
    const double rounder = 6755399441055744.0;
    int64_t total = (int64_t)((acc + rounder) - rounder) + rq->bias_code[c];
    total = total > INT32_MAX ? INT32_MAX : total < INT32_MIN ? INT32_MIN : total;
    code = q8_multiply_by_quantized_multiplier((int32_t)total, rq->multiplier[c], rq->shift[c]) +
           rq->zero_point;
    code = code < rq->act_min ? rq->act_min : code > rq->act_max ? rq->act_max : code;
  }
  return (float)(code - rq->to_container) * rq->grid.scale + rq->grid.nudged_min;
}

/* Bit i set when x[i] (i < 8) lies within band of a half step. */
#if defined(__AVX__)
static inline int q8t_requant_near_half8(const float *x, float min, float inv_scale, float band) {
  const __m256 steps =
      _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x), _mm256_set1_ps(min)),
                    _mm256_set1_ps(inv_scale));
  const __m256 from_half =
      _mm256_sub_ps(_mm256_sub_ps(steps, _mm256_floor_ps(steps)), _mm256_set1_ps(0.5f));
  const __m256 distance = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), from_half);
  return _mm256_movemask_ps(_mm256_cmp_ps(distance, _mm256_set1_ps(band), _CMP_LE_OQ));
}
#else
static inline int q8t_requant_near_half8(const float *x, float min, float inv_scale, float band) {
  int near = 0;
  for (int i = 0; i < 8; i++) {
    const float steps = (x[i] - min) * inv_scale;
    near |= (fabsf(steps - floorf(steps) - 0.5f) <= band) << i;
  }
  return near;
}
#endif

/* Whether x, of channel c, lies within that channel's band of a half step. */
static inline bool q8t_requant_near_half(const q8t_requant *rq, int32_t c, float x,
                                         float inv_scale) {
  const float steps = (x - rq->grid.nudged_min) * inv_scale;
  const float from_half = steps - floorf(steps) - 0.5f;
  return from_half <= rq->band[c] && from_half >= -rq->band[c];
}

/* Replaces, in y = the float rounding of x (n values from channel `channel` on), the values
   where the exported rounding can differ from it. They differ only within band[c] of a half
   step: the int32 bias moves the output by up to half of the multiplier, the first of the two
   roundings by up to 2^-(right shift + 1) of a step, and ties round differently; band adds
   10^-3 of a step for the float error of x (and of the reciprocal scale here). Groups of 8
   values are screened with the widest band first; only the values it flags are looked at
   again, with their channel's band. */
static inline void q8t_requant_fix(const q8t_requant *rq, int32_t channel, const float *x,
                                   float *y, size_t n) {
  const float min = rq->grid.nudged_min, inv_scale = 1.0f / rq->grid.scale;
  const size_t channels = (size_t)rq->channels;
  for (size_t at = 0; at < n; at += 8) {
    int near = n - at >= 8 ? q8t_requant_near_half8(x + at, min, inv_scale, rq->widest_band)
                           : (1 << (n - at)) - 1;
    if (near == 0) continue;
    const size_t first_channel = ((size_t)channel + at) % channels;
    for (; near != 0; near &= near - 1) {
      const size_t i = at + (size_t)__builtin_ctz((unsigned)near);
      const int32_t c = (int32_t)((first_channel + (i - at)) % channels);
      if (q8t_requant_near_half(rq, c, x[i], inv_scale)) y[i] = q8t_requant_exact(rq, c, x[i]);
    }
  }
}

#endif
