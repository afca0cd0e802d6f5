/* 8-bit depthwise convolution micro-kernels: int8 activations with int8 per-channel weights
   (qs8_qc8w) and uint8 activations with uint8 weights and a weight zero point (qu8), one
   packed format per tile for both. Bit-exact with src/ref/depthwise-conv-2d.c.

   A kernel computes `pixels` output pixels of `channels` output channels. input holds
   pixels * taps pointers: input[p * taps + t] points at channel 0 of the input pixel under
   tap t of output pixel p, or at a buffer of at least the input's channels of zero points
   (kernels read nothing past the channel count) where the tap falls in the padding. Taps
   run in the filter's order (ky, kx).
   Output pixel p is written at output + p * output_stride bytes.

   Packing (prepare, once): the weights become w - weight_zero_point and the bias absorbs
   the input zero point, bias - input_zero_point * sum_t (w_t - weight_zero_point), so a
   kernel sums (w - w_zp) * x modulo 2^32; that equals the reference's folded form. */
#ifndef Q8_UKERNELS_QS8_QC8W_DWCONV_H
#define Q8_UKERNELS_QS8_QC8W_DWCONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct q8_qs8_dwconv_params {
  int32_t output_zero_point;
  int32_t output_min, output_max; /* the activation clamp, inside the 8-bit range */
  int32_t depth_multiplier;       /* c1 tiles: output channel c reads input channel c / it;
                                     the c32 tiles require 1 */
} q8_qs8_dwconv_params;

typedef void (*q8_qs8_dwconv_ukernel_fn)(size_t pixels, size_t channels, size_t taps,
                                         const void *const *input, const void *packed,
                                         void *output, size_t output_stride,
                                         const q8_qs8_dwconv_params *params);

/* What packing reads: the TFLite filter [1, kh, kw, channels] (int8 or uint8), the bias
   (NULL: zero) and the per-channel Q31 multipliers and shifts. */
typedef struct q8_dwconv_pack_source {
  size_t channels, taps;
  const void *filter;
  bool is_signed;
  int32_t input_zero_point, weight_zero_point;
  const int32_t *bias, *multiplier, *shift;
} q8_dwconv_pack_source;

/* xp1c (scalar): int32 bias[channels], multiplier[channels], shift[channels], then
   weights[taps][channels]. */
size_t q8_dwconv_packed_size_c1(size_t channels, size_t taps);
void q8_dwconv_pack_c1(const q8_dwconv_pack_source *src, void *packed);

/* Tap-pair tiles (p16c AVX2, p32c AVX-512; block = 16 or 32 channels): per block, int32
   bias, multiplier and shift (block each), then per pair of taps 2 * block
   int16 (w_t, w_t+1) in the order the kernels' unpack produces (see pack-scalar.c); an odd
   last tap pairs with a zero weight. */
size_t q8_dwconv_packed_size_pairs(size_t channels, size_t taps, size_t block);
void q8_dwconv_pack_pairs(const q8_dwconv_pack_source *src, size_t block, void *packed);

void q8_qs8_qc8w_dwconv_minmax_ukernel_xp1c__scalar(size_t pixels, size_t channels,
                                                    size_t taps, const void *const *input,
                                                    const void *packed, void *output,
                                                    size_t output_stride,
                                                    const q8_qs8_dwconv_params *params);
void q8_qu8_dwconv_minmax_ukernel_xp1c__scalar(size_t pixels, size_t channels, size_t taps,
                                               const void *const *input, const void *packed,
                                               void *output, size_t output_stride,
                                               const q8_qs8_dwconv_params *params);

/* AVX2 (vpmaddwd on int16 pairs of taps, 16 channels per step): 9p for exactly 9 taps,
   xp for any number. Depth multiplier 1. */
void q8_qs8_qc8w_dwconv_minmax_ukernel_9p16c__avx2(size_t pixels, size_t channels,
                                                   size_t taps, const void *const *input,
                                                   const void *packed, void *output,
                                                   size_t output_stride,
                                                   const q8_qs8_dwconv_params *params);
void q8_qu8_dwconv_minmax_ukernel_9p16c__avx2(size_t pixels, size_t channels, size_t taps,
                                              const void *const *input, const void *packed,
                                              void *output, size_t output_stride,
                                              const q8_qs8_dwconv_params *params);
void q8_qs8_qc8w_dwconv_minmax_ukernel_xp16c__avx2(size_t pixels, size_t channels,
                                                   size_t taps, const void *const *input,
                                                   const void *packed, void *output,
                                                   size_t output_stride,
                                                   const q8_qs8_dwconv_params *params);
void q8_qu8_dwconv_minmax_ukernel_xp16c__avx2(size_t pixels, size_t channels, size_t taps,
                                              const void *const *input, const void *packed,
                                              void *output, size_t output_stride,
                                              const q8_qs8_dwconv_params *params);

/* AArch64 Advanced SIMD (MLA on int32-widened bytes, 16 channels per step) on the xp1c
   packing: any number of taps, depth multiplier 1. */
void q8_qs8_qc8w_dwconv_minmax_ukernel_xp16c__neon(size_t pixels, size_t channels, size_t taps,
                                                   const void *const *input, const void *packed,
                                                   void *output, size_t output_stride,
                                                   const q8_qs8_dwconv_params *params);
void q8_qu8_dwconv_minmax_ukernel_xp16c__neon(size_t pixels, size_t channels, size_t taps,
                                              const void *const *input, const void *packed,
                                              void *output, size_t output_stride,
                                              const q8_qs8_dwconv_params *params);

/* AVX-512BW + VNNI (vpdpwssd on int16 pairs of taps, 32 channels per step): 9p for
   exactly 9 taps (3x3 at any stride and dilation, weights held in registers), xp for any
   number of taps. Depth multiplier 1. */
void q8_qs8_qc8w_dwconv_minmax_ukernel_9p32c__avx512vnni(size_t pixels, size_t channels,
                                                         size_t taps, const void *const *input,
                                                         const void *packed, void *output,
                                                         size_t output_stride,
                                                         const q8_qs8_dwconv_params *params);
void q8_qu8_dwconv_minmax_ukernel_9p32c__avx512vnni(size_t pixels, size_t channels,
                                                    size_t taps, const void *const *input,
                                                    const void *packed, void *output,
                                                    size_t output_stride,
                                                    const q8_qs8_dwconv_params *params);
void q8_qs8_qc8w_dwconv_minmax_ukernel_xp32c__avx512vnni(size_t pixels, size_t channels,
                                                         size_t taps, const void *const *input,
                                                         const void *packed, void *output,
                                                         size_t output_stride,
                                                         const q8_qs8_dwconv_params *params);
void q8_qu8_dwconv_minmax_ukernel_xp32c__avx512vnni(size_t pixels, size_t channels,
                                                    size_t taps, const void *const *input,
                                                    const void *packed, void *output,
                                                    size_t output_stride,
                                                    const q8_qs8_dwconv_params *params);

#endif
