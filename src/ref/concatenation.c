/* Reference CONCATENATION: for each outer index, each input's slice in turn, copied or
   rescaled with the fixed-point multiply. */
#include "ref/concatenation.h"

#include <string.h>

#include "ref/ref-common.h"

static void rescale_slice(const q8_ref_concat_params *p, const q8_ref_concat_input *in,
                          const void *src, void *dst) {
  const int32_t qmin = p->is_signed ? -128 : 0, qmax = p->is_signed ? 127 : 255;
  for (size_t j = 0; j < in->axis_bytes; j++) {
    const int32_t q = q8_ref_load(src, j, p->is_signed) - in->zero_point;
    int32_t v = q8_multiply_by_quantized_multiplier(q, in->multiplier, in->shift);
    v = (int32_t)((uint32_t)v + (uint32_t)p->output_zero_point);
    q8_ref_store(dst, j, v < qmin ? qmin : v > qmax ? qmax : v, p->is_signed);
  }
}

void q8_ref_concatenation(const q8_ref_concat_params *p, const void *const *inputs, void *out) {
  uint8_t *dst = out;
  for (size_t k = 0; k < p->outer; k++)
    for (int32_t i = 0; i < p->n_inputs; i++) {
      const q8_ref_concat_input *in = &p->inputs[i];
      const uint8_t *src = (const uint8_t *)inputs[i] + k * in->axis_bytes;
      if (in->rescale)
        rescale_slice(p, in, src, dst);
      else if (in->axis_bytes > 0)
        memcpy(dst, src, in->axis_bytes);
      dst += in->axis_bytes;
    }
}
