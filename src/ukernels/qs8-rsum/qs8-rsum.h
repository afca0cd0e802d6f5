/* 8-bit column sums (MEAN over height and width of NHWC data: the rows are the H * W pixels,
   the columns the channels): sums[c] = sum over r < rows of input[r * stride + c], in
   int32 wrapping modulo 2^32 as TFLite's sum, for c < channels; int8 (qs8) or uint8 (qu8)
   input. Kernels read exactly rows * channels bytes. */
#ifndef Q8_UKERNELS_QS8_RSUM_H
#define Q8_UKERNELS_QS8_RSUM_H

#include <stddef.h>
#include <stdint.h>

/* channels: the row length summed; stride: bytes between rows (>= channels). */
typedef void (*q8_rsum_ukernel_fn)(size_t rows, size_t channels, size_t stride,
                                   const void *input, uint32_t *sums);

void q8_qs8_rsum_ukernel_c1__scalar(size_t rows, size_t channels, size_t stride,
                                    const void *input, uint32_t *sums);
void q8_qu8_rsum_ukernel_c1__scalar(size_t rows, size_t channels, size_t stride,
                                    const void *input, uint32_t *sums);
void q8_qs8_rsum_ukernel_c32__avx2(size_t rows, size_t channels, size_t stride,
                                   const void *input, uint32_t *sums);
void q8_qu8_rsum_ukernel_c32__avx2(size_t rows, size_t channels, size_t stride,
                                   const void *input, uint32_t *sums);

#endif
