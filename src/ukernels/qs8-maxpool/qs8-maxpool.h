/* 8-bit max pooling micro-kernels (int8 qs8, uint8 qu8), one output pixel per call:
   output[c] = clamp(max over t of input[t][c]) for c < channels, where input[t] points at
   channel 0 of the t-th input pixel inside the window (taps >= 1; padding cells are not
   passed). Bit-exact with src/ref/pooling.c. Kernels read exactly channels bytes per tap. */
#ifndef Q8_UKERNELS_QS8_MAXPOOL_H
#define Q8_UKERNELS_QS8_MAXPOOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct q8_pool_params {
  int32_t output_min, output_max; /* the activation clamp, inside the 8-bit range */
} q8_pool_params;

typedef void (*q8_pool_ukernel_fn)(size_t taps, size_t channels, const void *const *input,
                                   void *output, const q8_pool_params *params);

void q8_qs8_maxpool_minmax_ukernel_c1__scalar(size_t taps, size_t channels,
                                              const void *const *input, void *output,
                                              const q8_pool_params *params);
void q8_qu8_maxpool_minmax_ukernel_c1__scalar(size_t taps, size_t channels,
                                              const void *const *input, void *output,
                                              const q8_pool_params *params);
void q8_qs8_maxpool_minmax_ukernel_c32__avx2(size_t taps, size_t channels,
                                             const void *const *input, void *output,
                                             const q8_pool_params *params);
void q8_qu8_maxpool_minmax_ukernel_c32__avx2(size_t taps, size_t channels,
                                             const void *const *input, void *output,
                                             const q8_pool_params *params);

#endif
