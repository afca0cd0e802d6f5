/* Portable 8-bit depthwise kernel: one output channel at a time, any number of taps and any
   depth multiplier. Packed layout (xp1c) and contract: qs8-qc8w-dwconv.h. */
#include "quant/fixedpoint.h"
#include "ukernels/qs8-qc8w-dwconv/qs8-qc8w-dwconv.h"

static inline int32_t load8(const void *row, size_t channel, bool is_signed) {
  return is_signed ? (int32_t)((const int8_t *)row)[channel]
                   : (int32_t)((const uint8_t *)row)[channel];
}

static inline int32_t output_stage(uint32_t acc, const int32_t *header,
                                   const q8_qs8_dwconv_params *params) {
  const int32_t scaled = q8_multiply_by_quantized_multiplier((int32_t)acc, header[1],
                                                             (int)header[2]);
  /* Wrapping add, as TFLite's int32 add on its hardware (see q8_ref_output_stage). */
  int32_t v = (int32_t)((uint32_t)scaled + (uint32_t)params->output_zero_point);
  if (v < params->output_min) v = params->output_min;
  if (v > params->output_max) v = params->output_max;
  return v;
}

static inline void dwconv_xp1c(size_t pixels, size_t channels, size_t taps,
                               const void *const *input, const void *packed, void *output,
                               size_t output_stride, const q8_qs8_dwconv_params *params,
                               bool is_signed) {
  const size_t multiplier = (size_t)params->depth_multiplier;
  for (size_t px = 0; px < pixels; px++) {
    const void *const *in = input + px * taps;
    uint8_t *out = (uint8_t *)output + px * output_stride;
    const int32_t *w = packed;
    for (size_t ic = 0, oc = 0; oc < channels; ic++) {
      for (size_t m = 0; m < multiplier; m++, oc++, w += 4 + taps) {
        uint32_t acc = (uint32_t)w[0];
        for (size_t t = 0; t < taps; t++)
          acc += (uint32_t)(w[4 + t] * load8(in[t], ic, is_signed));
        out[oc] = (uint8_t)output_stage(acc, w, params);
      }
    }
  }
}

void q8_qs8_qc8w_dwconv_minmax_ukernel_xp1c__scalar(size_t pixels, size_t channels,
                                                    size_t taps, const void *const *input,
                                                    const void *packed, void *output,
                                                    size_t output_stride,
                                                    const q8_qs8_dwconv_params *params) {
  dwconv_xp1c(pixels, channels, taps, input, packed, output, output_stride, params, true);
}

void q8_qu8_dwconv_minmax_ukernel_xp1c__scalar(size_t pixels, size_t channels, size_t taps,
                                               const void *const *input, const void *packed,
                                               void *output, size_t output_stride,
                                               const q8_qs8_dwconv_params *params) {
  dwconv_xp1c(pixels, channels, taps, input, packed, output, output_stride, params, false);
}
