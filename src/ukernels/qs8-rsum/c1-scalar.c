/* Portable 8-bit column sums, one channel at a time (contract: qs8-rsum.h). */
#include <stdbool.h>

#include "ukernels/qs8-rsum/qs8-rsum.h"

static inline void rsum(size_t rows, size_t channels, size_t stride, const void *input,
                        uint32_t *sums, bool is_signed) {
  for (size_t c = 0; c < channels; c++) {
    uint32_t sum = 0;
    for (size_t r = 0; r < rows; r++) {
      const size_t i = r * stride + c;
      sum += is_signed ? (uint32_t)(int32_t)((const int8_t *)input)[i]
                       : (uint32_t)((const uint8_t *)input)[i];
    }
    sums[c] = sum;
  }
}

void q8_qs8_rsum_ukernel_c1__scalar(size_t rows, size_t channels, size_t stride,
                                    const void *input, uint32_t *sums) {
  rsum(rows, channels, stride, input, sums, true);
}
void q8_qu8_rsum_ukernel_c1__scalar(size_t rows, size_t channels, size_t stride,
                                    const void *input, uint32_t *sums) {
  rsum(rows, channels, stride, input, sums, false);
}
