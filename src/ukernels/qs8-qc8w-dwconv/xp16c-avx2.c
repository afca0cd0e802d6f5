/* 8-bit depthwise kernels for any number of taps (weights read from the packed block).
   Body and contract: p16c-avx2.h, qs8-qc8w-dwconv.h. */
#include "ukernels/qs8-qc8w-dwconv/p16c-avx2.h"

void q8_qs8_qc8w_dwconv_minmax_ukernel_xp16c__avx2(size_t pixels, size_t channels,
                                                         size_t taps, const void *const *input,
                                                         const void *packed, void *output,
                                                         size_t output_stride,
                                                         const q8_qs8_dwconv_params *params) {
  p16c_dwconv(pixels, channels, taps, input, packed, output, output_stride, params, true,
              false);
}

void q8_qu8_dwconv_minmax_ukernel_xp16c__avx2(size_t pixels, size_t channels,
                                                    size_t taps, const void *const *input,
                                                    const void *packed, void *output,
                                                    size_t output_stride,
                                                    const q8_qs8_dwconv_params *params) {
  p16c_dwconv(pixels, channels, taps, input, packed, output, output_stride, params, false,
              false);
}
