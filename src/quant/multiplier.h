/* Prepare-time (floating-point) quantization helpers: multipliers, radii, activation clamps.
   Never called while a model runs. Sources: doc/numerics.md. */
#ifndef Q8_QUANT_MULTIPLIER_H
#define Q8_QUANT_MULTIPLIER_H

#include <stdint.h>

#include "core/graph.h"

/* TFLite QuantizeMultiplier: real = multiplier * 2^(shift - 31) with multiplier a Q31 value
   in [2^30, 2^31), or multiplier 0 and shift 0 for real == 0. A real so small that shift
   would go below -31 gives multiplier 0, shift 0 (TFLite does the same). Returns 0 on
   success, -1 when real is negative, NaN or infinite, or so large that shift exceeds 30. */
int q8_quantize_multiplier(double real, int32_t *multiplier, int *shift);

/* TFLite QuantizeMultiplierSmallerThanOneExp: as q8_quantize_multiplier, for 0 < real < 1,
   with left_shift <= 0. Returns -1 when real is outside (0, 1). */
int q8_quantize_multiplier_smaller_than_one_exp(double real, int32_t *multiplier,
                                                int *left_shift);

/* TFLite PreprocessSoftmaxScaling. */
void q8_preprocess_softmax_scaling(double beta, double input_scale, int input_integer_bits,
                                   int32_t *quantized_multiplier, int *left_shift);

/* TFLite CalculateInputRadius (total_signed_bits is 31 for the int32 paths). */
int32_t q8_calculate_input_radius(int input_integer_bits, int input_left_shift,
                                  int total_signed_bits);

/* TFLite CalculateActivationRangeQuantized: the clamp [*act_min, *act_max] of a fused
   activation for an output with the given scale and zero point, within [qmin, qmax]. */
void q8_activation_range(q8_activation act, float scale, int32_t zero_point, int32_t qmin,
                         int32_t qmax, int32_t *act_min, int32_t *act_max);

#endif
