/* Float32 depthwise convolution micro-kernels (depth multiplier 1): one output pixel,
   out[c] = clamp(bias[c] + sum_t input[t][c] * weights[t * channels + c], min, max). */
#ifndef Q8_UKERNELS_F32_DWCONV_H
#define Q8_UKERNELS_F32_DWCONV_H

#include <stddef.h>

#include "ukernels/f32-gemm/f32-gemm.h" /* q8_f32_minmax_params */

/* input: taps pointers, each to `channels` floats (a tap in the padding points at zeros);
   weights: [taps][channels], TFLite's [1,H,W,C] filter as it is; bias: [channels]. */
typedef void (*q8_f32_dwconv_ukernel_fn)(size_t channels, size_t taps,
                                         const float *const *input, const float *weights,
                                         const float *bias, float *output,
                                         const q8_f32_minmax_params *params);

void q8_f32_dwconv_minmax_ukernel_c1__scalar(size_t channels, size_t taps,
                                             const float *const *input, const float *weights,
                                             const float *bias, float *output,
                                             const q8_f32_minmax_params *params);
/* AVX-512F + FMA, 16 channels per vector (masked for the remainder). */
void q8_f32_dwconv_minmax_ukernel_c16__avx512vnni(size_t channels, size_t taps,
                                                  const float *const *input,
                                                  const float *weights, const float *bias,
                                                  float *output,
                                                  const q8_f32_minmax_params *params);

/* AVX2 + FMA, 8 channels per vector (masked for the remainder). */
void q8_f32_dwconv_minmax_ukernel_c8__avx2(size_t channels, size_t taps,
                                           const float *const *input, const float *weights,
                                           const float *bias, float *output,
                                           const q8_f32_minmax_params *params);
/* AArch64 Advanced SIMD, 4 channels per vector. */
void q8_f32_dwconv_minmax_ukernel_c4__neon(size_t channels, size_t taps,
                                           const float *const *input, const float *weights,
                                           const float *bias, float *output,
                                           const q8_f32_minmax_params *params);

#endif
