/* Reference 8-bit TANH: int8 as TFLite reference_integer_ops::Tanh
   (kernels/internal/reference/integer_ops/tanh.h), uint8 as reference_ops::Tanh for uint8
   (kernels/internal/reference/tanh.h). Integer only. */
#ifndef Q8_REF_TANH_H
#define Q8_REF_TANH_H

#include <stddef.h>
#include <stdint.h>

/* Filled by prepare (TFLM tanh.cc): q, input_left_shift = frexp(input_scale * 2^27);
   input_multiplier = round(q * 2^31); input_range_radius = CalculateInputRadius(4,
   input_left_shift, 31). */
typedef struct q8_ref_tanh_params {
  int32_t input_zero_point;
  int32_t input_range_radius; /* >= 0 */
  int32_t input_multiplier;   /* Q31 */
  int32_t input_left_shift;   /* <= 30 when radius > 0; uint8 needs >= 0 */
} q8_ref_tanh_params;

/* int8: x = in - zp; x <= -radius -> -128, x >= radius -> 127, otherwise
   clamp(RoundingDivideByPOT(tanh_Q4(MultiplyByQuantizedMultiplier(x)), 24), -128, 127)
   (output scale 1/128, zero point 0). */
void q8_ref_tanh_qs8(const q8_ref_tanh_params *p, size_t n, const int8_t *in, int8_t *out);

/* uint8: x = in - zp; x <= -radius -> 0, x >= radius -> 255, otherwise
   RoundingDivideByPOT(tanh_Q4(MultiplyByQuantizedMultiplierGreaterThanOne(x)), 24) + 128,
   with 256 mapped to 255 (output scale 1/128, zero point 128). */
void q8_ref_tanh_qu8(const q8_ref_tanh_params *p, size_t n, const uint8_t *in, uint8_t *out);

#endif
