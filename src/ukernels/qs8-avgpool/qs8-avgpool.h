/* 8-bit average pooling micro-kernels (int8 qs8, uint8 qu8), one output pixel per call:
   with sum = sum over t of input[t][c] (the taps inside the input only, taps >= 1),
   output[c] = clamp((sum +- taps / 2) / taps), the sign that of sum and the division
   truncating, as src/ref/pooling.c. taps <= Q8_AVGPOOL_MAX_TAPS. Kernels read exactly
   channels bytes per tap. */
#ifndef Q8_UKERNELS_QS8_AVGPOOL_H
#define Q8_UKERNELS_QS8_AVGPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "ukernels/qs8-maxpool/qs8-maxpool.h" /* q8_pool_params, q8_pool_ukernel_fn */

/* Keeps |sum| + taps / 2 below 2^31 (the vector division's range): 2^23 taps. */
#define Q8_AVGPOOL_MAX_TAPS (INT32_C(1) << 23)

void q8_qs8_avgpool_minmax_ukernel_c1__scalar(size_t taps, size_t channels,
                                              const void *const *input, void *output,
                                              const q8_pool_params *params);
void q8_qu8_avgpool_minmax_ukernel_c1__scalar(size_t taps, size_t channels,
                                              const void *const *input, void *output,
                                              const q8_pool_params *params);
void q8_qs8_avgpool_minmax_ukernel_c32__avx2(size_t taps, size_t channels,
                                             const void *const *input, void *output,
                                             const q8_pool_params *params);
void q8_qu8_avgpool_minmax_ukernel_c32__avx2(size_t taps, size_t channels,
                                             const void *const *input, void *output,
                                             const q8_pool_params *params);

#endif
