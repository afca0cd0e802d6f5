/* Portable 8-bit average pooling, one channel at a time (contract: qs8-avgpool.h). */
#include <stdbool.h>

#include "ukernels/qs8-avgpool/qs8-avgpool.h"

static inline void avgpool(size_t taps, size_t channels, const void *const *input, void *output,
                           const q8_pool_params *p, bool is_signed) {
  uint8_t *out = output;
  /* taps == 0 (a window outside the input, which prepare rules out) gives clamp(0). */
  const int32_t count = taps > 0 ? (int32_t)taps : 1, half = count / 2;
  for (size_t c = 0; c < channels; c++) {
    int32_t acc = 0;
    for (size_t t = 0; t < taps; t++)
      acc += is_signed ? (int32_t)((const int8_t *)input[t])[c]
                       : (int32_t)((const uint8_t *)input[t])[c];
    acc = acc > 0 ? (acc + half) / count : (acc - half) / count;
    acc = acc < p->output_min ? p->output_min : acc > p->output_max ? p->output_max : acc;
    out[c] = (uint8_t)acc;
  }
}

void q8_qs8_avgpool_minmax_ukernel_c1__scalar(size_t taps, size_t channels,
                                              const void *const *input, void *output,
                                              const q8_pool_params *params) {
  avgpool(taps, channels, input, output, params, true);
}
void q8_qu8_avgpool_minmax_ukernel_c1__scalar(size_t taps, size_t channels,
                                              const void *const *input, void *output,
                                              const q8_pool_params *params) {
  avgpool(taps, channels, input, output, params, false);
}
