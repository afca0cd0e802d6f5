/* TFLite's output stage on 16 int32 lanes (AVX-512F): MultiplyByQuantizedMultiplier in its
   double-rounding form, then the output zero point and the clamp. Bit-exact with
   src/quant/fixedpoint.h (tested exhaustively on edge values by
   test/ukernels/test-requant.c through q8_qs32_requant_ukernel_x16__avx512vnni). Include
   only from files compiled with the avx512vnni flags. */
#ifndef Q8_UKERNELS_REQUANT_AVX512_H
#define Q8_UKERNELS_REQUANT_AVX512_H

#include <immintrin.h>

/* gemmlowp SaturatingRoundingDoublingHighMul per lane. (a*b + nudge) / 2^31 truncated toward
   zero equals floor((a*b + 2^30) / 2^31) for both signs of a*b (for a*b < 0 the nudge
   1 - 2^30 plus the truncation's 2^31 - 1 is the same 2^30), so the result is bits 31..62
   of a*b + 2^30: a logical shift serves as well as an arithmetic one. a == b == INT32_MIN
   saturates to INT32_MAX. */
static inline __m512i q8_avx512_srdhm(__m512i a, __m512i b) {
  const __m512i nudge = _mm512_set1_epi64(INT64_C(1) << 30);
  const __m512i even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(a, b), nudge), 31);
  const __m512i odd_a = _mm512_srli_epi64(a, 32), odd_b = _mm512_srli_epi64(b, 32);
  /* Odd lanes: bits 31..62 moved to the high half by one left shift. */
  const __m512i odd = _mm512_slli_epi64(_mm512_add_epi64(_mm512_mul_epi32(odd_a, odd_b), nudge), 1);
  const __m512i high = _mm512_mask_blend_epi32(0xAAAA, even, odd);
  /* Only a == b == INT32_MIN gives 2^31, wrapped to INT32_MIN (no other product rounds to
     INT32_MIN): adding -1 there gives INT32_MAX. */
  const __mmask16 overflow = _mm512_cmpeq_epi32_mask(high, _mm512_set1_epi32(INT32_MIN));
  return _mm512_mask_add_epi32(high, overflow, high, _mm512_set1_epi32(-1));
}

/* gemmlowp RoundingDivideByPOT per lane, exponent in [0, 31], with the exponent's constants
   precomputed (per channel at prepare): mask = 2^exponent - 1, half = mask >> 1. Ties away
   from zero: round up when the remainder exceeds half + (x < 0). */
static inline __m512i q8_avx512_rounding_divide_by_pot(__m512i x, __m512i exponent,
                                                       __m512i mask, __m512i half) {
  const __m512i remainder = _mm512_and_si512(x, mask);
  const __m512i threshold = _mm512_sub_epi32(half, _mm512_srai_epi32(x, 31));
  const __mmask16 round_up = _mm512_cmpgt_epi32_mask(remainder, threshold);
  const __m512i shifted = _mm512_srav_epi32(x, exponent);
  return _mm512_mask_add_epi32(shifted, round_up, shifted, _mm512_set1_epi32(1));
}

/* Per-channel requantization constants as the kernels keep them. */
typedef struct q8_avx512_requant {
  __m512i multiplier, left_shift, right_shift, rounding_mask, rounding_half;
} q8_avx512_requant;

/* The constants for shifts in [-31, 30]. */
static inline q8_avx512_requant q8_avx512_requant_init(__m512i multiplier, __m512i shift) {
  const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
  q8_avx512_requant r;
  r.multiplier = multiplier;
  r.left_shift = _mm512_max_epi32(shift, zero);
  r.right_shift = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero);
  r.rounding_mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, r.right_shift), one);
  r.rounding_half = _mm512_srli_epi32(r.rounding_mask, 1);
  return r;
}

/* MultiplyByQuantizedMultiplier (left shift wrapping, then the two roundings), + the
   output zero point (wrapping), clamped to [out_min, out_max] (inside the 8-bit range, so
   later narrowing never saturates). */
static inline __m512i q8_avx512_output_stage_requant(__m512i acc, const q8_avx512_requant *r,
                                                     __m512i zero_point, __m512i out_min,
                                                     __m512i out_max) {
  const __m512i high = q8_avx512_srdhm(_mm512_sllv_epi32(acc, r->left_shift), r->multiplier);
  const __m512i scaled = q8_avx512_rounding_divide_by_pot(high, r->right_shift,
                                                          r->rounding_mask, r->rounding_half);
  const __m512i v = _mm512_add_epi32(scaled, zero_point);
  return _mm512_min_epi32(_mm512_max_epi32(v, out_min), out_max);
}

/* The same from the split shifts (left_shift = max(shift, 0), right_shift = max(-shift,
   0)); the rounding constants are derived here on every call. */
static inline __m512i q8_avx512_output_stage(__m512i acc, __m512i multiplier, __m512i left_shift,
                                             __m512i right_shift, __m512i zero_point,
                                             __m512i out_min, __m512i out_max) {
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right_shift), one);
  const q8_avx512_requant r = {multiplier, left_shift, right_shift, mask,
                               _mm512_srli_epi32(mask, 1)};
  return q8_avx512_output_stage_requant(acc, &r, zero_point, out_min, out_max);
}

#endif
