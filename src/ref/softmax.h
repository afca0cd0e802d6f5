/* Reference 8-bit SOFTMAX over the last dimension (TFLite reference_ops::Softmax<T, T> in
   kernels/internal/reference/softmax.h, the fixed-point path). Integer only. */
#ifndef Q8_REF_SOFTMAX_H
#define Q8_REF_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

/* Filled by prepare (TFLM softmax_common.cc): input_multiplier / input_left_shift from
   PreprocessSoftmaxScaling(beta, input_scale, 5), diff_min = -CalculateInputRadius(5,
   input_left_shift). */
typedef struct q8_ref_softmax_params {
  int32_t input_multiplier; /* Q31, >= 2^30 */
  int32_t input_left_shift; /* [0, 31] */
  int32_t diff_min;         /* <= 0: differences from the row maximum below it give 0 */
} q8_ref_softmax_params;

/* rows rows of depth elements each (row-major), in and out of the same shape. For each row:
   diff = x - max(row); exp(diff * beta * scale) in Q0 via exp_on_negative_values on Q5 for
   diff >= diff_min; their sum in Q12; out = type_min + RoundingDivideByPOT(reciprocal * exp,
   num_bits_over_unit + 23), clamped to the type (int8 output scale 1/256 zp -128, uint8
   1/256 zp 0). Elements with diff < diff_min get type_min. */
/* exp(beta * scale * diff) in Q0 for an input difference diff >= diff_min (the fixed-point
   exp of diff rescaled to Q5.26). */
int32_t q8_ref_softmax_exp_of_diff(const q8_ref_softmax_params *p, int32_t diff);

/* RoundingDivideByPOT for an exponent TFLite checks to lie in [0, 31]. Above 31 (a sum of
   exps of 512 or more, where TFLite's TFLITE_CHECK aborts) the correctly rounded quotient of
   a value below 2^31 is 0. */
int32_t q8_ref_softmax_divide_by_pot(int32_t x, int exponent);

void q8_ref_softmax_qs8(const q8_ref_softmax_params *p, size_t rows, size_t depth,
                        const int8_t *in, int8_t *out);
void q8_ref_softmax_qu8(const q8_ref_softmax_params *p, size_t rows, size_t depth,
                        const uint8_t *in, uint8_t *out);

#endif
