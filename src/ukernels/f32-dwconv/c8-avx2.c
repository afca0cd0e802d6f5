/* Float32 depthwise pixel for AVX2 + FMA: 32 channels per step in four accumulators, then 8,
   then a masked remainder (vmaskmovps reads and writes only the lanes it keeps). Contract in
   f32-dwconv.h. */
#include <immintrin.h>

#include "ukernels/f32-dwconv/f32-dwconv.h"

static __m256 clamp(__m256 v, const q8_f32_minmax_params *params) {
  return _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(params->min)),
                       _mm256_set1_ps(params->max));
}

void q8_f32_dwconv_minmax_ukernel_c8__avx2(size_t channels, size_t taps,
                                           const float *const *input, const float *weights,
                                           const float *bias, float *output,
                                           const q8_f32_minmax_params *params) {
  size_t c = 0;
  /* Four independent FMA chains: with two, a 3x3 kernel's nine dependent FMAs per chain left
     the FMA units waiting on latency. */
  for (; c + 32 <= channels; c += 32) {
    __m256 acc0 = _mm256_loadu_ps(bias + c), acc1 = _mm256_loadu_ps(bias + c + 8);
    __m256 acc2 = _mm256_loadu_ps(bias + c + 16), acc3 = _mm256_loadu_ps(bias + c + 24);
    for (size_t t = 0; t < taps; t++) {
      const float *x = input[t] + c, *k = weights + t * channels + c;
      acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(k), acc0);
      acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + 8), _mm256_loadu_ps(k + 8), acc1);
      acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + 16), _mm256_loadu_ps(k + 16), acc2);
      acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + 24), _mm256_loadu_ps(k + 24), acc3);
    }
    _mm256_storeu_ps(output + c, clamp(acc0, params));
    _mm256_storeu_ps(output + c + 8, clamp(acc1, params));
    _mm256_storeu_ps(output + c + 16, clamp(acc2, params));
    _mm256_storeu_ps(output + c + 24, clamp(acc3, params));
  }
  for (; c < channels; c += 8) {
    const int n = channels - c < 8 ? (int)(channels - c) : 8;
    const __m256i m =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 acc = _mm256_maskload_ps(bias + c, m);
    for (size_t t = 0; t < taps; t++)
      acc = _mm256_fmadd_ps(_mm256_maskload_ps(input[t] + c, m),
                            _mm256_maskload_ps(weights + t * channels + c, m), acc);
    _mm256_maskstore_ps(output + c, m, clamp(acc, params));
  }
}
