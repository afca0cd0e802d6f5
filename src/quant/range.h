/* Quantization ranges shared by training and export: choosing scale and zero point from a real
   range (TensorFlow's zero-point nudging), symmetric per-channel weight grids, fake quantization
   with its straight-through gradient, and moving-average range trackers. Floating point, used
   at training and conversion time only: range-float.c is left out of the integer-only build.
   The training engine's fake quantization and the converter both call these functions, so the
   integer model holds exactly the codes that training simulated. Rules: doc/numerics.md,
   "Fake quantization and ranges". */
#ifndef Q8_QUANT_RANGE_H
#define Q8_QUANT_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "q8/q8.h"

/* Bit widths a grid may have (the paper's ablation goes down to 2; containers are 8-bit). */
#define Q8_QUANT_MIN_BITS 2
#define Q8_QUANT_MAX_BITS 8

/* The smallest scale any grid gets: 2^-16 (about 1.5e-5). A range narrower than
   (quant_max - quant_min) * Q8_QUANT_MIN_SCALE (an all-zero or nearly zero weight channel, an
   activation that was always 0) is widened to it. Why: a zero scale makes every multiplier
   that divides by it infinite and every bias whose scale is input_scale * weight_scale
   overflow int32 (TFLite files may not even hold a zero scale). With this floor the bias of
   an all-zero channel stays inside the middle half of int32 (|bias_q| <= 2^30, TFLite's own
   margin) as long as |bias| <= 2^14 * input_scale, e.g. 64 for an input scale of 1/255;
   larger biases are caught by q8_quant_bias_safe_weight_scale. Other channels are not
   touched unless max|w| < 127 * 2^-16 (about 0.0019) at 8 bits; their step becomes 2^-16.
   A power of two, so nudged ends k * 2^-16 are exact. */
#define Q8_QUANT_MIN_SCALE 1.52587890625e-05f

/* A quantization grid: the reals scale * (q - zero_point) for integer codes q in
   [quant_min, quant_max]. Two families:
   - asymmetric (symmetric == false), TensorFlow's fake-quant "quint" view: codes
     [0, 2^bits - 1], or [1, 2^bits - 1] with narrow_range; zero_point inside that interval;
   - symmetric (symmetric == true), TFLite's int8 weight spec: codes
     [-(2^(bits-1) - 1), 2^(bits-1) - 1], zero_point 0, narrow_range true.
   nudged_min = (quant_min - zero_point) * scale and nudged_max = (quant_max - zero_point) *
   scale (float products) are the reals of the end codes; nudged_min <= 0 <= nudged_max and
   0.0 is exactly code zero_point. scale is finite and >= Q8_QUANT_MIN_SCALE. */
typedef struct q8_quant_grid {
  float scale;
  int32_t zero_point;
  int32_t quant_min;
  int32_t quant_max;
  float nudged_min;
  float nudged_max;
  int bits;          /* Q8_QUANT_MIN_BITS .. Q8_QUANT_MAX_BITS */
  bool narrow_range; /* the lowest code of the full range is never used */
  bool symmetric;
} q8_quant_grid;

/* TensorFlow's Nudge (core/kernels/fake_quant_ops_functor.h), in float as TensorFlow computes
   it, for an observed range [min, max]:
     1. widen to include 0: min = min(min, 0), max = max(max, 0) (TF's QAT rewriter does this
        before its moving averages; 0 must be representable for zero padding and ReLU);
     2. scale = (max - min) / (quant_max - quant_min), raised to Q8_QUANT_MIN_SCALE if below;
     3. zero_point = round(quant_min - min / scale) (half away from zero), clamped to
        [quant_min, quant_max];
     4. nudged_min/max from the zero point (see q8_quant_grid).
   quant_min is 1 when narrow_range, else 0; quant_max = 2^bits - 1. Refused with
   Q8_ERROR_INVALID_ARGUMENT (grid left zeroed, message in err when not NULL): bits outside
   [2, 8], min or max NaN or infinite, min > max, a range so wide that its width or the
   nudged ends overflow float. min == max == 0 gives the Q8_QUANT_MIN_SCALE grid with
   zero_point = quant_min (range [0, (quant_max - quant_min) * Q8_QUANT_MIN_SCALE], 0.0039 at
   8 bits): inputs <= 2^-17 give 0, as TF's special case for a zero range gives 0 always. */
q8_status q8_quant_grid_from_range(float min, float max, int bits, bool narrow_range,
                                   q8_quant_grid *grid, q8_error *err);

/* TFLite's symmetric weight grid for one channel (or tensor): scale = max_abs /
   (2^(bits-1) - 1), at least Q8_QUANT_MIN_SCALE; zero_point 0; codes +-(2^(bits-1) - 1).
   Whenever that scale is above the minimum, equal (scale, nudged ends, fake-quantized values;
   codes shifted by 2^(bits-1)) to q8_quant_grid_from_range(-max_abs, max_abs, bits, true).
   Refused (Q8_ERROR_INVALID_ARGUMENT): bits outside [2, 8], max_abs
   negative, NaN or infinite. max_abs == 0 (an all-zero channel) gets Q8_QUANT_MIN_SCALE. */
q8_status q8_quant_grid_symmetric(float max_abs, int bits, q8_quant_grid *grid, q8_error *err);

/* Per-channel symmetric grids for a weight tensor: channel c's elements are
   weights[c * channel_stride + i * element_stride] for i in [0, per_channel). Covers
   TFLite's OHWI conv filters (channel_stride = H*W*I, element_stride 1) and 1HWO depthwise
   filters (channel_stride 1, element_stride = O). grids has channels entries. Refused
   (Q8_ERROR_INVALID_ARGUMENT, naming channel and element): NULL pointers with a non-zero
   count, per_channel == 0, a NaN or infinite weight, bad bits. */
q8_status q8_quant_grids_symmetric_per_channel(const float *weights, size_t channels,
                                               size_t per_channel, size_t channel_stride,
                                               size_t element_stride, int bits,
                                               q8_quant_grid *grids, q8_error *err);

/* Where a grid's codes go in an 8-bit container: storage value = code + *code_offset, and
   params = {grid scale, zero_point + *code_offset}. Asymmetric grids are uint8 as they are
   (offset 0) and int8 shifted by -128 (TFLite's int8 activations: zero point = uint8's - 128);
   symmetric grids are int8 as they are (zero point 0, as TFLite's spec requires) and uint8
   shifted by +128. A grid below 8 bits keeps its narrower codes inside the container.
   Refused (Q8_ERROR_INVALID_ARGUMENT): a type other than Q8_TYPE_UINT8 / Q8_TYPE_INT8, or a
   grid whose codes would not fit the container (not made by these functions). */
q8_status q8_quant_grid_storage(const q8_quant_grid *grid, q8_type type,
                                q8_quant_params *params, int32_t *code_offset, q8_error *err);

/* Fake quantization of one value, as TensorFlow's FakeQuantWithMinMaxVars computes it (the
   paper's eq. 12 with its rounding made exact):
     clamped = min(max(x, nudged_min), nudged_max)
     steps   = floor((clamped - nudged_min) / scale + 0.5)
     result  = steps * scale + nudged_min
   clamped - nudged_min is >= 0, so floor(v + 0.5) rounds ties away from zero there, which is
   ties towards +infinity relative to the zero point (x = -0.25 on a 0.5 grid gives 0.0, not
   -0.5 as round-half-away of x / scale would). Infinities clamp to the ends; NaN stays NaN. */
float q8_fake_quant(const q8_quant_grid *grid, float x);

/* The integer code that q8_fake_quant's result represents: quant_min + steps, always in
   [quant_min, quant_max]; q8_fake_quant(x) == (code - quant_min) * scale + nudged_min. This is
   what the converter stores (plus the container offset), so exported weights are exactly the
   ones training used. NaN gives zero_point (callers that care refuse NaN first). */
int32_t q8_quant_grid_code(const q8_quant_grid *grid, float x);

/* Fake-quantizes n values: out[i] = q8_fake_quant(grid, in[i]); out may equal in. */
void q8_fake_quant_forward(const q8_quant_grid *grid, const float *in, float *out, size_t n);

/* Straight-through estimator: grad_in[i] = grad_out[i] where nudged_min <= in[i] <= nudged_max
   (both ends inside), else 0 (NaN inputs too). grad_in may equal grad_out. No gradient for
   min and max: ranges are moving averages of observed batches (q8_range_tracker), not learned
   parameters, as in TensorFlow's quantize rewriter, so nothing consumes one. */
void q8_fake_quant_backward(const q8_quant_grid *grid, const float *in, const float *grad_out,
                            float *grad_in, size_t n);

/* Minimum and maximum of n values. Refused (Q8_ERROR_INVALID_ARGUMENT, naming the index):
   n == 0, NULL pointers, a NaN or infinite value (a diverged training step should stop, not
   poison a range). */
q8_status q8_quant_minmax(const float *x, size_t n, float *min, float *max, q8_error *err);

/* A range learned from batches. The state is plain data, so checkpoints save it as it is. */
typedef struct q8_range_tracker {
  float min;
  float max;
  bool initialized; /* false until the first batch */
} q8_range_tracker;

/* Sets an empty tracker: not initialized, min = max = 0. */
void q8_range_tracker_init(q8_range_tracker *tracker);

/* Training mode. The batch range is first widened to include 0 (as TF's rewriter does before
   its moving average). The first batch sets the range; later ones move it by an exponential
   moving average, computed as TensorFlow's assign_moving_average does:
   value -= (1 - decay) * (value - batch), for min and max separately. decay in [0, 1]
   (0.999 is the default; 0 follows the last batch, 1 freezes after the first).
   Refused (Q8_ERROR_INVALID_ARGUMENT, tracker unchanged): a NaN or infinite bound,
   batch_min > batch_max, decay outside [0, 1] or NaN. */
q8_status q8_range_tracker_update_ema(q8_range_tracker *tracker, float batch_min,
                                      float batch_max, float decay, q8_error *err);

/* Calibration mode (post-training quantization, or the pass that starts a QAT range): the
   plain union of all batch ranges, widened to include 0. Same refusals as the EMA update. */
q8_status q8_range_tracker_update_minmax(q8_range_tracker *tracker, float batch_min,
                                         float batch_max, q8_error *err);

/* The asymmetric grid of a tracker's current range (q8_quant_grid_from_range). Refused with
   Q8_ERROR_STATE before the first batch. */
q8_status q8_range_tracker_grid(const q8_range_tracker *tracker, int bits, bool narrow_range,
                                q8_quant_grid *grid, q8_error *err);

/* Export helper for a weight channel's scale, TFLite's AdjustWeightsForBiasScale rule: a bias
   must quantize (bias_q = bias / (input_scale * weight_scale)) inside the middle half of int32,
   |bias_q| <= 2^30, leaving room for the accumulated products. Returns in *adjusted
   weight_scale, or, when |bias| needs it, the smallest float scale that satisfies the rule.
   Raising a scale changes the codes of that channel's non-zero weights, so the converter
   should report when it happens (with Q8_QUANT_MIN_SCALE it only can for tiny channels with
   biases above 2^14 * input_scale). Refused (Q8_ERROR_INVALID_ARGUMENT): a non-finite value,
   input_scale or weight_scale <= 0, or a needed scale that overflows float. */
q8_status q8_quant_bias_safe_weight_scale(float weight_scale, float bias, float input_scale,
                                          float *adjusted, q8_error *err);

#endif
