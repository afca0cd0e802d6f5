/* Output stage over arrays, 16 lanes per step (masked remainder). Contract: qs32-requant.h. */
#include "ukernels/qs32-requant/qs32-requant.h"
#include "ukernels/requant-avx512.h"

void q8_qs32_requant_ukernel_x16__avx512vnni(size_t n, const int32_t *acc,
                                             const int32_t *multiplier, const int32_t *shift,
                                             int32_t zero_point, int32_t out_min,
                                             int32_t out_max, int32_t *out) {
  const __m512i zp = _mm512_set1_epi32(zero_point);
  const __m512i lo = _mm512_set1_epi32(out_min), hi = _mm512_set1_epi32(out_max);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
    const q8_avx512_requant r = q8_avx512_requant_init(
        _mm512_maskz_loadu_epi32(m, multiplier + i), _mm512_maskz_loadu_epi32(m, shift + i));
    const __m512i v = q8_avx512_output_stage_requant(_mm512_maskz_loadu_epi32(m, acc + i), &r, zp, lo, hi);
    _mm512_mask_storeu_epi32(out + i, m, v);
  }
}
