/* Portable 8-bit depthwise kernel: any number of taps and any depth multiplier. Per pixel,
   blocks of channels accumulate tap after tap over contiguous channels (a loop compilers
   vectorize where they may: the multiplier-1 case reads the input contiguously), then the
   output stage per channel. Packed layout (xp1c) and contract: qs8-qc8w-dwconv.h. */
#include "quant/fixedpoint.h"
#include "ukernels/qs8-qc8w-dwconv/qs8-qc8w-dwconv.h"

enum { BLOCK = 64 };

static inline int32_t load8(const void *row, size_t channel, bool is_signed) {
  return is_signed ? (int32_t)((const int8_t *)row)[channel]
                   : (int32_t)((const uint8_t *)row)[channel];
}

static inline int32_t output_stage(uint32_t acc, int32_t multiplier, int32_t shift,
                                   const q8_qs8_dwconv_params *params) {
  const int32_t scaled = q8_multiply_by_quantized_multiplier((int32_t)acc, multiplier, (int)shift);
  /* Wrapping add, as TFLite's int32 add on its hardware (see q8_ref_output_stage). */
  int32_t v = (int32_t)((uint32_t)scaled + (uint32_t)params->output_zero_point);
  if (v < params->output_min) v = params->output_min;
  if (v > params->output_max) v = params->output_max;
  return v;
}

/* acc[c] += w[c] * x[c0 + c] for one tap; input channel (c0 + c) / multiplier. */
static inline void accumulate(uint32_t *acc, size_t n, const int32_t *w, const void *row,
                              size_t c0, size_t multiplier, bool is_signed) {
  if (multiplier == 1) {
    for (size_t c = 0; c < n; c++) acc[c] += (uint32_t)(w[c] * load8(row, c0 + c, is_signed));
  } else {
    for (size_t c = 0; c < n; c++)
      acc[c] += (uint32_t)(w[c] * load8(row, (c0 + c) / multiplier, is_signed));
  }
}

static inline void dwconv_xp1c(size_t pixels, size_t channels, size_t taps,
                               const void *const *input, const void *packed, void *output,
                               size_t output_stride, const q8_qs8_dwconv_params *params,
                               bool is_signed) {
  const size_t multiplier = (size_t)params->depth_multiplier;
  const int32_t *bias = packed, *multipliers = bias + channels, *shifts = multipliers + channels;
  const int32_t *weights = shifts + channels;
  for (size_t px = 0; px < pixels; px++) {
    const void *const *in = input + px * taps;
    uint8_t *out = (uint8_t *)output + px * output_stride;
    for (size_t c0 = 0; c0 < channels; c0 += BLOCK) {
      const size_t n = channels - c0 < BLOCK ? channels - c0 : BLOCK;
      uint32_t acc[BLOCK];
      for (size_t c = 0; c < n; c++) acc[c] = (uint32_t)bias[c0 + c];
      for (size_t t = 0; t < taps; t++)
        accumulate(acc, n, weights + t * channels + c0, in[t], c0, multiplier, is_signed);
      for (size_t c = 0; c < n; c++)
        out[c0 + c] = (uint8_t)output_stage(acc[c], multipliers[c0 + c], shifts[c0 + c], params);
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
