/* Output stage over arrays, 8 lanes per step (the remainder through a copy). Contract:
   qs32-requant.h. */
#include <string.h>

#include "ukernels/qs32-requant/qs32-requant.h"
#include "ukernels/requant-avx2.h"

void q8_qs32_requant_ukernel_x8__avx2(size_t n, const int32_t *acc, const int32_t *multiplier,
                                      const int32_t *shift, int32_t zero_point, int32_t out_min,
                                      int32_t out_max, int32_t *out) {
  const __m256i zp = _mm256_set1_epi32(zero_point);
  const __m256i lo = _mm256_set1_epi32(out_min), hi = _mm256_set1_epi32(out_max);
  for (size_t i = 0; i < n; i += 8) {
    const size_t count = n - i < 8 ? n - i : 8;
    int32_t a[8] = {0}, m[8] = {0}, s[8] = {0}, result[8];
    memcpy(a, acc + i, count * sizeof(int32_t));
    memcpy(m, multiplier + i, count * sizeof(int32_t));
    memcpy(s, shift + i, count * sizeof(int32_t));
    const q8_avx2_requant r = q8_avx2_requant_init(_mm256_loadu_si256((const __m256i *)m),
                                                   _mm256_loadu_si256((const __m256i *)s));
    const __m256i v = q8_avx2_output_stage_requant(_mm256_loadu_si256((const __m256i *)a), &r, zp, lo, hi);
    _mm256_storeu_si256((__m256i *)result, v);
    memcpy(out + i, result, count * sizeof(int32_t));
  }
}
