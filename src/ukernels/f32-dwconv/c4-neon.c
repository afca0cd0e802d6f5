/* Float32 depthwise pixel for AArch64 Advanced SIMD: 16 channels per step in four
   accumulators, then 4, then one at a time. Contract in f32-dwconv.h. */
#include <arm_neon.h>

#include "ukernels/f32-dwconv/f32-dwconv.h"

static float32x4_t clamp(float32x4_t v, const q8_f32_minmax_params *params) {
  return vminq_f32(vmaxq_f32(v, vdupq_n_f32(params->min)), vdupq_n_f32(params->max));
}

void q8_f32_dwconv_minmax_ukernel_c4__neon(size_t channels, size_t taps,
                                           const float *const *input, const float *weights,
                                           const float *bias, float *output,
                                           const q8_f32_minmax_params *params) {
  size_t c = 0;
  for (; c + 16 <= channels; c += 16) {
    float32x4_t acc0 = vld1q_f32(bias + c), acc1 = vld1q_f32(bias + c + 4);
    float32x4_t acc2 = vld1q_f32(bias + c + 8), acc3 = vld1q_f32(bias + c + 12);
    for (size_t t = 0; t < taps; t++) {
      const float *x = input[t] + c, *k = weights + t * channels + c;
      acc0 = vfmaq_f32(acc0, vld1q_f32(x), vld1q_f32(k));
      acc1 = vfmaq_f32(acc1, vld1q_f32(x + 4), vld1q_f32(k + 4));
      acc2 = vfmaq_f32(acc2, vld1q_f32(x + 8), vld1q_f32(k + 8));
      acc3 = vfmaq_f32(acc3, vld1q_f32(x + 12), vld1q_f32(k + 12));
    }
    vst1q_f32(output + c, clamp(acc0, params));
    vst1q_f32(output + c + 4, clamp(acc1, params));
    vst1q_f32(output + c + 8, clamp(acc2, params));
    vst1q_f32(output + c + 12, clamp(acc3, params));
  }
  for (; c + 4 <= channels; c += 4) {
    float32x4_t acc = vld1q_f32(bias + c);
    for (size_t t = 0; t < taps; t++)
      acc = vfmaq_f32(acc, vld1q_f32(input[t] + c), vld1q_f32(weights + t * channels + c));
    vst1q_f32(output + c, clamp(acc, params));
  }
  for (; c < channels; c++) {
    float acc = bias[c];
    for (size_t t = 0; t < taps; t++) acc += input[t][c] * weights[t * channels + c];
    acc = acc < params->min ? params->min : acc;
    output[c] = acc > params->max ? params->max : acc;
  }
}
