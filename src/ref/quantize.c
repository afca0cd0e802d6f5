/* Reference 8-bit requantization: the fixed-point rescale of each element. */
#include "ref/quantize.h"

#include "ref/ref-common.h"

void q8_ref_requantize_x8(const q8_ref_requantize_params *p, size_t n, const void *in,
                          void *out) {
  const int32_t qmin = p->output_signed ? -128 : 0, qmax = p->output_signed ? 127 : 255;
  for (size_t i = 0; i < n; i++) {
    const int32_t q = q8_ref_load(in, i, p->input_signed) - p->input_zero_point;
    int32_t v = q8_multiply_by_quantized_multiplier(q, p->multiplier, p->shift);
    v = (int32_t)((uint32_t)v + (uint32_t)p->output_zero_point);
    q8_ref_store(out, i, v < qmin ? qmin : v > qmax ? qmax : v, p->output_signed);
  }
}
