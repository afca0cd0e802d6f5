/* Reference CONV_2D (int8 per-channel and uint8 per-tensor), bit-exact with TFLite's
   reference/integer_ops/conv.h ConvPerChannel and reference/conv.h Conv (uint8). */
#ifndef Q8_REF_CONV_2D_H
#define Q8_REF_CONV_2D_H

#include <stdint.h>

/* Shapes and quantization of one CONV_2D. Layouts (row-major, NHWC):
   input  [batch, in_h, in_w, in_c]
   filter [out_c, kernel_h, kernel_w, in_c]
   output [batch, out_h, out_w, out_c]
   Taps outside the input (padding) contribute nothing, exactly as TFLite skips them; that is
   the same as reading the input zero point there, which is how the reference counts them. */
typedef struct q8_conv_2d_params {
  int32_t batch, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;     /* >= 1 */
  int32_t dilation_h, dilation_w; /* >= 1 */
  int32_t pad_top, pad_left;      /* padding before; the rest of SAME's padding goes after */
  int32_t input_zero_point;       /* int8: [-128, 127]; uint8: [0, 255] */
  int32_t weight_zero_point;      /* int8: 0 (symmetric weights); uint8: [0, 255] */
  int32_t output_zero_point;
  const int32_t *multiplier; /* [out_c] Q31 multipliers (a per-tensor one is replicated) */
  const int32_t *shift;      /* [out_c] exponents: > 0 shifts left, < 0 rounds right */
  int32_t act_min, act_max;  /* output clamp in the output's own quantized domain */
} q8_conv_2d_params;

/* Folds the constant zero-point terms of paper eq. 7 into the bias:
   folded[c] = bias[c] - in_zp * sum(w[c]) + K * w_zp * in_zp, K = kernel_h*kernel_w*in_c,
   computed modulo 2^32 (bias may be NULL: zero). folded has out_c entries. */
void q8_ref_conv_2d_fold_bias_qs8(const q8_conv_2d_params *p, const int8_t *filter,
                                  const int32_t *bias, int32_t *folded);
void q8_ref_conv_2d_fold_bias_qu8(const q8_conv_2d_params *p, const uint8_t *filter,
                                  const int32_t *bias, int32_t *folded);

/* output = clamp(zp_out + MultiplyByQuantizedMultiplier(sum (w - w_zp)(x - in_zp) + bias)),
   evaluated as folded[c] + sum w*x - w_zp * sum x over the receptive field (padding reads
   in_zp). folded comes from the matching fold function above. */
void q8_ref_conv_2d_qs8(const q8_conv_2d_params *p, const int8_t *input, const int8_t *filter,
                        const int32_t *folded, int8_t *output);
void q8_ref_conv_2d_qu8(const q8_conv_2d_params *p, const uint8_t *input,
                        const uint8_t *filter, const int32_t *folded, uint8_t *output);

#endif
