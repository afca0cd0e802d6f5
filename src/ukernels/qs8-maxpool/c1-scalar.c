/* Portable 8-bit max pooling, one channel at a time (contract: qs8-maxpool.h). */
#include <stdbool.h>

#include "ukernels/qs8-maxpool/qs8-maxpool.h"

static inline void maxpool(size_t taps, size_t channels, const void *const *input, void *output,
                           const q8_pool_params *p, bool is_signed) {
  uint8_t *out = output;
  for (size_t c = 0; c < channels; c++) {
    int32_t acc = is_signed ? -128 : 0;
    for (size_t t = 0; t < taps; t++) {
      const int32_t v = is_signed ? (int32_t)((const int8_t *)input[t])[c]
                                  : (int32_t)((const uint8_t *)input[t])[c];
      acc = v > acc ? v : acc;
    }
    acc = acc < p->output_min ? p->output_min : acc > p->output_max ? p->output_max : acc;
    out[c] = (uint8_t)acc;
  }
}

void q8_qs8_maxpool_minmax_ukernel_c1__scalar(size_t taps, size_t channels,
                                              const void *const *input, void *output,
                                              const q8_pool_params *params) {
  maxpool(taps, channels, input, output, params, true);
}
void q8_qu8_maxpool_minmax_ukernel_c1__scalar(size_t taps, size_t channels,
                                              const void *const *input, void *output,
                                              const q8_pool_params *params) {
  maxpool(taps, channels, input, output, params, false);
}
