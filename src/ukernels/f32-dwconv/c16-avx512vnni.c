/* Float32 depthwise pixel for AVX-512F + FMA: 64 channels per step in four accumulators,
   then 16, then a masked remainder. Contract in
   f32-dwconv.h. */
#include <immintrin.h>

#include "ukernels/f32-dwconv/f32-dwconv.h"

static __m512 clamp(__m512 v, const q8_f32_minmax_params *params) {
  return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(params->min)),
                       _mm512_set1_ps(params->max));
}

void q8_f32_dwconv_minmax_ukernel_c16__avx512vnni(size_t channels, size_t taps,
                                                  const float *const *input,
                                                  const float *weights, const float *bias,
                                                  float *output,
                                                  const q8_f32_minmax_params *params) {
  size_t c = 0;
  /* Four independent FMA chains: with two, a 3x3 kernel's nine dependent FMAs per chain left
     the FMA units waiting on latency. */
  for (; c + 64 <= channels; c += 64) {
    __m512 acc0 = _mm512_loadu_ps(bias + c), acc1 = _mm512_loadu_ps(bias + c + 16);
    __m512 acc2 = _mm512_loadu_ps(bias + c + 32), acc3 = _mm512_loadu_ps(bias + c + 48);
    for (size_t t = 0; t < taps; t++) {
      const float *x = input[t] + c, *k = weights + t * channels + c;
      acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(x), _mm512_loadu_ps(k), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 16), _mm512_loadu_ps(k + 16), acc1);
      acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 32), _mm512_loadu_ps(k + 32), acc2);
      acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 48), _mm512_loadu_ps(k + 48), acc3);
    }
    _mm512_storeu_ps(output + c, clamp(acc0, params));
    _mm512_storeu_ps(output + c + 16, clamp(acc1, params));
    _mm512_storeu_ps(output + c + 32, clamp(acc2, params));
    _mm512_storeu_ps(output + c + 48, clamp(acc3, params));
  }
  for (; c < channels; c += 16) {
    const size_t n = channels - c < 16 ? channels - c : 16;
    const __mmask16 m = (__mmask16)((1u << n) - 1);
    __m512 acc = _mm512_maskz_loadu_ps(m, bias + c);
    for (size_t t = 0; t < taps; t++)
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, input[t] + c),
                            _mm512_maskz_loadu_ps(m, weights + t * channels + c), acc);
    _mm512_mask_storeu_ps(output + c, m, clamp(acc, params));
  }
}
