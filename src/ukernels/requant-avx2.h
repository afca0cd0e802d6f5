/* TFLite's output stage on 8 int32 lanes (AVX2): the arithmetic of requant-avx512.h (see
   there for why one 64-bit add and a logical shift give gemmlowp's rounding). Bit-exact
   with src/quant/fixedpoint.h (tested on edge values by test/ukernels/test-requant.c through
   q8_qs32_requant_ukernel_x8__avx2). Include only from files compiled with the avx2 flags. */
#ifndef Q8_UKERNELS_REQUANT_AVX2_H
#define Q8_UKERNELS_REQUANT_AVX2_H

#include <immintrin.h>

static inline __m256i q8_avx2_srdhm(__m256i a, __m256i b) {
  const __m256i nudge = _mm256_set1_epi64x(INT64_C(1) << 30);
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(a, b), nudge), 31);
  const __m256i odd_a = _mm256_srli_epi64(a, 32), odd_b = _mm256_srli_epi64(b, 32);
  const __m256i odd = _mm256_slli_epi64(_mm256_add_epi64(_mm256_mul_epi32(odd_a, odd_b), nudge), 1);
  const __m256i high = _mm256_blend_epi32(even, odd, 0xAA);
  /* Only a == b == INT32_MIN gives 2^31, wrapped to INT32_MIN (no other product rounds to
     INT32_MIN): adding the comparison's -1 turns it into INT32_MAX. */
  return _mm256_add_epi32(high, _mm256_cmpeq_epi32(high, _mm256_set1_epi32(INT32_MIN)));
}

/* RoundingDivideByPOT per lane, exponent in [0, 31], with the exponent's constants
   precomputed (per channel at prepare): mask = 2^exponent - 1, half = mask >> 1. Ties away
   from zero: round up when the remainder exceeds half + (x < 0). */
static inline __m256i q8_avx2_rounding_divide_by_pot(__m256i x, __m256i exponent, __m256i mask,
                                                     __m256i half) {
  const __m256i remainder = _mm256_and_si256(x, mask);
  const __m256i threshold = _mm256_sub_epi32(half, _mm256_srai_epi32(x, 31));
  /* The comparison is -1 where the quotient rounds up. */
  return _mm256_sub_epi32(_mm256_srav_epi32(x, exponent), _mm256_cmpgt_epi32(remainder, threshold));
}

/* Per-channel requantization constants as the kernels keep them. */
typedef struct q8_avx2_requant {
  __m256i multiplier, left_shift, right_shift, rounding_mask, rounding_half;
} q8_avx2_requant;

/* The constants for shifts in [-31, 30]. */
static inline q8_avx2_requant q8_avx2_requant_init(__m256i multiplier, __m256i shift) {
  const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1);
  q8_avx2_requant r;
  r.multiplier = multiplier;
  r.left_shift = _mm256_max_epi32(shift, zero);
  r.right_shift = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
  r.rounding_mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, r.right_shift), one);
  r.rounding_half = _mm256_srli_epi32(r.rounding_mask, 1);
  return r;
}

/* MultiplyByQuantizedMultiplier (left shift wrapping, then the two roundings), + the
   output zero point (wrapping), clamped to [out_min, out_max]. */
static inline __m256i q8_avx2_output_stage_requant(__m256i acc, const q8_avx2_requant *r,
                                                   __m256i zero_point, __m256i out_min,
                                                   __m256i out_max) {
  const __m256i high = q8_avx2_srdhm(_mm256_sllv_epi32(acc, r->left_shift), r->multiplier);
  const __m256i scaled = q8_avx2_rounding_divide_by_pot(high, r->right_shift, r->rounding_mask,
                                                        r->rounding_half);
  const __m256i v = _mm256_add_epi32(scaled, zero_point);
  return _mm256_min_epi32(_mm256_max_epi32(v, out_min), out_max);
}

#endif
