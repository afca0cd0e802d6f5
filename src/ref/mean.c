/* Reference 8-bit MEAN over height and width: sum each channel, then divide (truncating) or
   requantize with the count folded into the multiplier, as TFLite's reduce.h does. */
#include "ref/mean.h"

#include <stddef.h>

#include "ref/ref-common.h"

void q8_ref_mean_fold_count(int32_t multiplier, int32_t shift, int64_t count,
                            int32_t *folded_multiplier, int32_t *folded_shift) {
  int32_t s = 0;
  while (s < 62 && (INT64_C(1) << (s + 1)) <= count) s++; /* floor(log2(count)) */
  if (s > 32) s = 32;
  if (s > 31 + shift) s = 31 + shift;
  *folded_multiplier = (int32_t)(((int64_t)multiplier * (INT64_C(1) << s)) / count);
  *folded_shift = shift - s;
}

int32_t q8_ref_mean_of_sum(const q8_ref_mean_params *p, uint32_t sum, bool is_signed) {
  const int64_t count = (int64_t)p->height * p->width;
  const int32_t qmin = is_signed ? -128 : 0, qmax = is_signed ? 127 : 255;
  if (count == 0) return 0; /* TFLite leaves the zero-initialised output */
  if (!p->requantize) return (int32_t)sum / (int32_t)count;
  const int64_t shifted = (int64_t)(int32_t)sum - (int64_t)p->input_zero_point * count;
  const int32_t x = (int32_t)(uint32_t)(uint64_t)shifted; /* TFLite's cast to int32 */
  int32_t v = q8_multiply_by_quantized_multiplier(x, p->multiplier, p->shift);
  v = (int32_t)((uint32_t)v + (uint32_t)p->output_zero_point);
  return v < qmin ? qmin : v > qmax ? qmax : v;
}

static void mean_hw(const q8_ref_mean_params *p, const void *in, void *out, bool is_signed) {
  const size_t C = (size_t)p->channels;
  const size_t plane = (size_t)p->height * (size_t)p->width;
  for (size_t b = 0; b < (size_t)p->batches; b++)
    for (size_t c = 0; c < C; c++) {
      /* TFLite sums in int32 with wrap-around (AddTensorValuesWithExpectedOverflow). */
      uint32_t sum = 0;
      for (size_t i = 0; i < plane; i++)
        sum += (uint32_t)q8_ref_load(in, (b * plane + i) * C + c, is_signed);
      q8_ref_store(out, b * C + c, q8_ref_mean_of_sum(p, sum, is_signed), is_signed);
    }
}

void q8_ref_mean_hw_qs8(const q8_ref_mean_params *p, const int8_t *in, int8_t *out) {
  mean_hw(p, in, out, true);
}
void q8_ref_mean_hw_qu8(const q8_ref_mean_params *p, const uint8_t *in, uint8_t *out) {
  mean_hw(p, in, out, false);
}
