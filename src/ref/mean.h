/* Reference 8-bit MEAN over height and width of NHWC data (TFLM reduce_common.cc:
   reference_ops::QuantizedMeanOrSum when the parameters differ, reference_ops::Mean when
   input and output share scale and zero point). Integer only. */
#ifndef Q8_REF_MEAN_H
#define Q8_REF_MEAN_H

#include <stdbool.h>
#include <stdint.h>

typedef struct q8_ref_mean_params {
  int32_t batches, height, width, channels;
  /* false: out = (sum of q) / (height * width), truncated toward zero (TFLite Mean<T, int32>,
     used when input and output quantization are equal). true: requantize as below. */
  bool requantize;
  int32_t input_zero_point, output_zero_point;
  /* in_scale / out_scale with 1 / (height * width) folded in (q8_ref_mean_fold_count). */
  int32_t multiplier, shift;
} q8_ref_mean_params;

/* TFLite QuantizedMeanOrSum's folding of 1/count into (multiplier, shift), integer only:
   s = min(floor(log2 count), 32, 31 + shift); multiplier' = (multiplier << s) / count;
   shift' = shift - s. count > 0; shift >= -31 as QuantizeMultiplier returns it. */
void q8_ref_mean_fold_count(int32_t multiplier, int32_t shift, int64_t count,
                            int32_t *folded_multiplier, int32_t *folded_shift);

/* One output value from its channel's int32 sum of the height * width inputs (wrapped
   modulo 2^32, as TFLite's sum): the truncating mean, or the requantized mean below. */
int32_t q8_ref_mean_of_sum(const q8_ref_mean_params *p, uint32_t sum, bool is_signed);

/* out[b][c] for in[b][h][w][c]; out holds batches * channels values. Requantized outputs are
   zp_out + MultiplyByQuantizedMultiplier(sum - zp_in * count, multiplier', shift'), clamped
   to the type's range. */
void q8_ref_mean_hw_qs8(const q8_ref_mean_params *p, const int8_t *in, int8_t *out);
void q8_ref_mean_hw_qu8(const q8_ref_mean_params *p, const uint8_t *in, uint8_t *out);

#endif
