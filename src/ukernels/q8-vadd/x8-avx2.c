/* 8-bit ADD, 8 elements per step in int32 lanes: the output stage's SRDHM and rounding
   shift of src/ukernels/requant-avx2.h applied three times. A broadcast input is one
   vector for the whole run; the last partial step goes through stack copies. Contract:
   q8-vadd.h. */
#include <stdbool.h>
#include <string.h>

#include "ukernels/q8-vadd/q8-vadd.h"
#include "ukernels/requant-avx2.h"

typedef struct vadd_constants {
  __m256i a_offset, b_offset, output_offset, left_shift, output_min, output_max;
  q8_avx2_requant a, b, output; /* left shifts 0 (the shifts are <= 0) */
} vadd_constants;

static inline __m256i scale(__m256i x, const q8_avx2_requant *r) {
  return q8_avx2_rounding_divide_by_pot(q8_avx2_srdhm(x, r->multiplier), r->right_shift,
                                        r->rounding_mask, r->rounding_half);
}

static inline __m256i load8(const uint8_t *p, size_t count, bool is_signed) {
  uint8_t copy[8] = {0};
  __m128i bytes;
  if (count == 8) {
    bytes = _mm_loadl_epi64((const __m128i *)p);
  } else {
    memcpy(copy, p, count);
    bytes = _mm_loadl_epi64((const __m128i *)copy);
  }
  return is_signed ? _mm256_cvtepi8_epi32(bytes) : _mm256_cvtepu8_epi32(bytes);
}

static inline __m256i add8(__m256i x, __m256i y, const vadd_constants *k) {
  const __m256i a = _mm256_sllv_epi32(_mm256_add_epi32(x, k->a_offset), k->left_shift);
  const __m256i b = _mm256_sllv_epi32(_mm256_add_epi32(y, k->b_offset), k->left_shift);
  const __m256i sum = _mm256_add_epi32(scale(a, &k->a), scale(b, &k->b));
  const __m256i v = _mm256_add_epi32(scale(sum, &k->output), k->output_offset);
  return _mm256_min_epi32(_mm256_max_epi32(v, k->output_min), k->output_max);
}

static inline void store8(uint8_t *out, __m256i v, size_t count, bool is_signed) {
  /* Clamped into the 8-bit range: the saturating packs keep the values. */
  const __m128i words =
      _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i bytes = is_signed ? _mm_packs_epi16(words, words) : _mm_packus_epi16(words, words);
  if (count == 8) {
    _mm_storel_epi64((__m128i *)out, bytes);
  } else {
    uint8_t copy[16];
    _mm_storeu_si128((__m128i *)copy, bytes);
    memcpy(out, copy, count);
  }
}

static vadd_constants constants(const q8_vadd_params *p) {
  vadd_constants k;
  k.a_offset = _mm256_set1_epi32(p->a_offset);
  k.b_offset = _mm256_set1_epi32(p->b_offset);
  k.output_offset = _mm256_set1_epi32(p->output_offset);
  k.left_shift = _mm256_set1_epi32(p->left_shift);
  k.output_min = _mm256_set1_epi32(p->output_min);
  k.output_max = _mm256_set1_epi32(p->output_max);
  k.a = q8_avx2_requant_init(_mm256_set1_epi32(p->a_multiplier), _mm256_set1_epi32(p->a_shift));
  k.b = q8_avx2_requant_init(_mm256_set1_epi32(p->b_multiplier), _mm256_set1_epi32(p->b_shift));
  k.output = q8_avx2_requant_init(_mm256_set1_epi32(p->output_multiplier),
                                  _mm256_set1_epi32(p->output_shift));
  return k;
}

static inline __attribute__((always_inline)) void vadd(size_t n, const void *a, size_t a_inc,
                                                       const void *b, size_t b_inc, void *out,
                                                       const q8_vadd_params *params,
                                                       bool is_signed) {
  const vadd_constants k = constants(params);
  const uint8_t *pa = a, *pb = b;
  uint8_t *po = out;
  const __m256i a_once = load8(pa, 1, is_signed), b_once = load8(pb, 1, is_signed);
  const __m256i a_broadcast = _mm256_permutevar8x32_epi32(a_once, _mm256_setzero_si256());
  const __m256i b_broadcast = _mm256_permutevar8x32_epi32(b_once, _mm256_setzero_si256());
  for (size_t i = 0; i < n; i += 8) {
    const size_t count = n - i < 8 ? n - i : 8;
    const __m256i x = a_inc ? load8(pa + i, count, is_signed) : a_broadcast;
    const __m256i y = b_inc ? load8(pb + i, count, is_signed) : b_broadcast;
    store8(po + i, add8(x, y, &k), count, is_signed);
  }
}

void q8_qs8_vadd_minmax_ukernel_x8__avx2(size_t n, const void *a, size_t a_inc, const void *b,
                                         size_t b_inc, void *out,
                                         const q8_vadd_params *params) {
  vadd(n, a, a_inc, b, b_inc, out, params, true);
}

void q8_qu8_vadd_minmax_ukernel_x8__avx2(size_t n, const void *a, size_t a_inc, const void *b,
                                         size_t b_inc, void *out,
                                         const q8_vadd_params *params) {
  vadd(n, a, a_inc, b, b_inc, out, params, false);
}
