/* AVX2 8-bit average pooling, 32 channels per step in four int32 accumulators (contract:
   qs8-avgpool.h). The reference's truncating division (|sum| + taps/2) / taps is an exact
   multiply-shift (Granlund-Montgomery): with l = ceil(log2 taps) and m = ceil(2^(31+l) /
   taps) < 2^32, floor(x * m / 2^(31+l)) = floor(x / taps) for every 0 <= x < 2^31. The last
   channels % 32 go through 32-byte stack copies so that nothing past a row is read. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "ukernels/qs8-avgpool/qs8-avgpool.h"

typedef struct divisor {
  __m256i multiplier, half;
  __m128i shift;
} divisor;

static divisor divisor_init(size_t taps) {
  uint32_t l = 0;
  while (((uint64_t)1 << l) < taps) l++;
  const uint64_t m = (((uint64_t)1 << (31 + l)) + taps - 1) / taps;
  divisor d = {_mm256_set1_epi64x((int64_t)m), _mm256_set1_epi32((int32_t)(taps / 2)),
               _mm_cvtsi32_si128((int)(31 + l))};
  return d;
}

/* Rounded average per lane (the sign of sum applied to the quotient of |sum| + half). */
static inline __m256i divide(__m256i sum, const divisor *d) {
  const __m256i x = _mm256_add_epi32(_mm256_abs_epi32(sum), d->half);
  const __m256i even = _mm256_srl_epi64(_mm256_mul_epu32(x, d->multiplier), d->shift);
  const __m256i odd = _mm256_srl_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), d->multiplier),
                                       d->shift);
  const __m256i q = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  /* sum == 0 gives q == 0 (half < taps), so sign's zeroing changes nothing. */
  return _mm256_sign_epi32(q, sum);
}

static inline __m256i widen(__m128i v8, bool is_signed) {
  return is_signed ? _mm256_cvtepi8_epi32(v8) : _mm256_cvtepu8_epi32(v8);
}

/* Channels [c, c + n) (n < 32: through stack copies) as 32 clamped bytes. */
static inline __m256i block_average(size_t taps, const void *const *input, size_t c, size_t n,
                                    const divisor *d, __m256i lo, __m256i hi, bool is_signed) {
  __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                    _mm256_setzero_si256()};
  for (size_t t = 0; t < taps; t++) {
    const uint8_t *row = (const uint8_t *)input[t] + c;
    uint8_t buf[32] = {0};
    if (n < 32) {
      memcpy(buf, row, n);
      row = buf;
    }
    for (int g = 0; g < 4; g++)
      acc[g] = _mm256_add_epi32(
          acc[g], widen(_mm_loadl_epi64((const __m128i *)(row + 8 * g)), is_signed));
  }
  const __m256i w01 = _mm256_packs_epi32(divide(acc[0], d), divide(acc[1], d));
  const __m256i w23 = _mm256_packs_epi32(divide(acc[2], d), divide(acc[3], d));
  __m256i b = is_signed ? _mm256_packs_epi16(w01, w23) : _mm256_packus_epi16(w01, w23);
  /* The in-lane packs leave 4-byte groups in the order 0 2 4 6 1 3 5 7. */
  b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  /* Averages lie inside the type's range: the saturating packs changed nothing. */
  if (is_signed) return _mm256_min_epi8(_mm256_max_epi8(b, lo), hi);
  return _mm256_min_epu8(_mm256_max_epu8(b, lo), hi);
}

static inline void avgpool(size_t taps, size_t channels, const void *const *input, void *output,
                           const q8_pool_params *p, bool is_signed) {
  const divisor d = divisor_init(taps > 0 ? taps : 1);
  const __m256i lo = _mm256_set1_epi8((char)(uint8_t)p->output_min);
  const __m256i hi = _mm256_set1_epi8((char)(uint8_t)p->output_max);
  uint8_t *out = output;
  size_t c = 0;
  for (; c + 32 <= channels; c += 32)
    _mm256_storeu_si256((__m256i *)(out + c),
                        block_average(taps, input, c, 32, &d, lo, hi, is_signed));
  if (c < channels) {
    uint8_t buf[32];
    _mm256_storeu_si256((__m256i *)buf,
                        block_average(taps, input, c, channels - c, &d, lo, hi, is_signed));
    memcpy(out + c, buf, channels - c);
  }
}

void q8_qs8_avgpool_minmax_ukernel_c32__avx2(size_t taps, size_t channels,
                                             const void *const *input, void *output,
                                             const q8_pool_params *params) {
  avgpool(taps, channels, input, output, params, true);
}
void q8_qu8_avgpool_minmax_ukernel_c32__avx2(size_t taps, size_t channels,
                                             const void *const *input, void *output,
                                             const q8_pool_params *params) {
  avgpool(taps, channels, input, output, params, false);
}
