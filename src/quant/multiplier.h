/* Prepare-time (floating-point) quantization helpers: multipliers, radii, activation clamps.
   Never called while a model runs. Sources: doc/numerics.md. */
#ifndef Q8_QUANT_MULTIPLIER_H
#define Q8_QUANT_MULTIPLIER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/graph.h"

/* TFLite QuantizeMultiplier (kernels/internal/quantization_util.cc, double-rounding build):
   real = multiplier * 2^(shift - 31), multiplier a Q31 value in [2^30, 2^31).
   q, shift = frexp(real); multiplier = round(q * 2^31) (half away from zero). Edge cases:
   - real == 0 (either sign): multiplier 0, shift 0.
   - real exactly 1: frexp gives 0.5 * 2^1, so multiplier 2^30, shift 1.
   - q so close to 1 that round(q * 2^31) == 2^31 (real just below a power of two, e.g.
     1 - 2^-40): multiplier 2^30 and shift + 1 (the value is the next power of two).
   - real > 1 (e.g. 2.5 -> 0.625 * 2^2): shift > 0, a left shift applied before the Q31
     multiply by q8_multiply_by_quantized_multiplier.
   - real < 2^-32 or so, where shift would be below -31: multiplier 0, shift 0 ("flush to
     zero", as TFLite does; every product then becomes 0).
   Returns 0 on success, -1 (outputs 0, 0) when real is negative, NaN or infinite, or so
   large that shift exceeds 30 (real >= 2^30 roughly), which no shift of int32 can apply. */
int q8_quantize_multiplier(double real, int32_t *multiplier, int *shift);

/* The real multiplier of a convolution-like operator's output stage, formed as TFLite forms it:
   per channel (int8 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED with per-channel weights)
   double(in_scale) * double(w_scale) / double(out_scale); per tensor (uint8, int8
   FULLY_CONNECTED with one weight scale: GetQuantizedConvolutionMultipler) the product is
   rounded to float first. One definition for the runtime's prepare and the training engine's
   emulation of the exported arithmetic. */
double q8_conv_real_multiplier(bool per_tensor, float in_scale, float w_scale, float out_scale);

/* TFLite QuantizeMultiplierSmallerThanOneExp: as q8_quantize_multiplier for 0 < real < 1,
   with *left_shift = shift <= 0. Returns -1 when real is outside (0, 1) or rounds up to 1
   (shift would be 1, which TFLite's check rejects). */
int q8_quantize_multiplier_smaller_than_one_exp(double real, int32_t *multiplier,
                                                int *left_shift);

/* TFLite QuantizeMultiplierGreaterThanOne: as q8_quantize_multiplier for real > 1, with
   *left_shift = shift in [0, 31] (31 is accepted here: softmax's capped multiplier 2^31 - 1
   gives it, and q8_multiply_by_quantized_multiplier_greater_than_one handles it). Returns
   -1 when real <= 1, is not finite, or needs a shift above 31. */
int q8_quantize_multiplier_greater_than_one(double real, int32_t *multiplier,
                                            int *left_shift);

/* The LOGISTIC/TANH prepare idiom of TFLM (logistic_common.cc, tanh.cc): q, shift =
   frexp(real); multiplier = round(q * 2^31), with neither QuantizeMultiplier's 2^31 fix-up
   nor its flush to zero nor any shift limit. For real = float_scale * 2^k, q has at most 24
   significant bits, so q * 2^31 is an exact integer below 2^31 and this equals
   q8_quantize_multiplier wherever that accepts real. Returns -1 (outputs 0, 0) when real is
   not finite and > 0, or when round(q * 2^31) reaches 2^31 (a double real with more than 31
   significant bits just below a power of two, never a float scale). */
int q8_frexp_multiplier(double real, int32_t *multiplier, int *shift);

/* TFLite PreprocessSoftmaxScaling (double-rounding build): the multiplier that takes an
   input difference (in input-scale units) to Q(input_integer_bits) after multiplying by
   beta: real = min(beta * input_scale * 2^(31 - input_integer_bits), 2^31 - 1), quantized
   by QuantizeMultiplierGreaterThanOne. Returns -1 when real <= 1 (TFLite aborts there),
   when beta or input_scale is negative/NaN, or input_integer_bits is outside [0, 30]. */
int q8_preprocess_softmax_scaling(double beta, double input_scale, int input_integer_bits,
                                  int32_t *quantized_multiplier, int *left_shift);

/* TFLite CalculateInputRadius: floor((2^input_integer_bits - 1) *
   2^(total_signed_bits - input_integer_bits) / 2^input_left_shift), the largest input
   magnitude that, multiplied into Q(input_integer_bits), stays representable (softmax's
   -diff_min, logistic's and tanh's saturation bound). total_signed_bits is 31 for the int32
   paths. Computed exactly (powers of two); a negative input_left_shift (tiny scales, where
   TFLite's 1 << shift is undefined) is handled as a division by 2^shift all the same, and
   results above INT32_MAX saturate to INT32_MAX. input_integer_bits in [0, 30],
   total_signed_bits in [input_integer_bits, 62]. */
int32_t q8_calculate_input_radius(int input_integer_bits, int input_left_shift,
                                  int total_signed_bits);

/* TFLite CalculateActivationRangeQuantized (kernels/kernel_util.cc): the clamp
   [*act_min, *act_max] of a fused activation for an output with the given scale and zero
   point, within [qmin, qmax]. quantize(f) = zero_point + round(f / scale), with f / scale
   computed in float and round() half away from zero (TfLiteRound):
     NONE:          [qmin, qmax]
     RELU:          [max(qmin, quantize(0)), qmax]
     RELU6:         [max(qmin, quantize(0)), min(qmax, quantize(6))]
     RELU_N1_TO_1:  [max(qmin, quantize(-1)), min(qmax, quantize(1))]
   With an extreme zero point the clamp may be empty (act_min > act_max), as in TFLite.
   Returns 0, or -1 (outputs qmin, qmax) when round(f / scale) does not fit int32 (TFLite's
   "no integer overflow from quantization" check; scale <= 0 or NaN fails it too) or the
   activation is unknown. */
int q8_activation_range(q8_activation act, float scale, int32_t zero_point, int32_t qmin,
                        int32_t qmax, int32_t *act_min, int32_t *act_max);

#endif
