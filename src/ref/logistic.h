/* Reference int8 LOGISTIC (TFLite reference_integer_ops::Logistic in
   kernels/internal/reference/integer_ops/logistic.h). Integer only. uint8 has no reference
   kernel at the pinned tflite-micro commit, so q8 has none either. */
#ifndef Q8_REF_LOGISTIC_H
#define Q8_REF_LOGISTIC_H

#include <stddef.h>
#include <stdint.h>

/* Filled by prepare (TFLM logistic_common.cc): q, input_left_shift = frexp(input_scale *
   2^27); input_multiplier = round(q * 2^31); input_range_radius = CalculateInputRadius(4,
   input_left_shift, 31). */
typedef struct q8_ref_logistic_params {
  int32_t input_zero_point;
  int32_t input_range_radius; /* >= 0 */
  int32_t input_multiplier;   /* Q31 */
  int32_t input_left_shift;   /* MultiplyByQuantizedMultiplier shift; <= 30 when radius > 0 */
} q8_ref_logistic_params;

/* x = in - zp; x <= -radius -> -128, x >= radius -> 127, otherwise
   clamp(RoundingDivideByPOT(logistic_Q4(MultiplyByQuantizedMultiplier(x)), 23) - 128)
   (output scale 1/256, zero point -128). */
void q8_ref_logistic_qs8(const q8_ref_logistic_params *p, size_t n, const int8_t *in,
                         int8_t *out);

#endif
