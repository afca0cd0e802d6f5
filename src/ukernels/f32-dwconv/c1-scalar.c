/* Portable float32 depthwise pixel (see f32-dwconv.h for the contract). */
#include "ukernels/f32-dwconv/f32-dwconv.h"

void q8_f32_dwconv_minmax_ukernel_c1__scalar(size_t channels, size_t taps,
                                             const float *const *input, const float *weights,
                                             const float *bias, float *output,
                                             const q8_f32_minmax_params *params) {
  for (size_t c = 0; c < channels; c++) {
    float acc = bias[c];
    for (size_t t = 0; t < taps; t++) acc += input[t][c] * weights[t * channels + c];
    acc = acc < params->min ? params->min : acc;
    output[c] = acc > params->max ? params->max : acc;
  }
}
