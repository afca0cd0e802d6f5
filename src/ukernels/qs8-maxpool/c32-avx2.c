/* AVX2 8-bit max pooling, 32 channels per step (contract: qs8-maxpool.h). The last
   channels % 32 go through 32-byte stack copies so that nothing past a row is read. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "ukernels/qs8-maxpool/qs8-maxpool.h"

static inline __m256i vmax(__m256i a, __m256i b, bool is_signed) {
  return is_signed ? _mm256_max_epi8(a, b) : _mm256_max_epu8(a, b);
}
static inline __m256i vmin(__m256i a, __m256i b, bool is_signed) {
  return is_signed ? _mm256_min_epi8(a, b) : _mm256_min_epu8(a, b);
}

/* Channels [c, c + n), n <= 32 (n < 32: through stack copies). */
static inline __m256i block_max(size_t taps, const void *const *input, size_t c, size_t n,
                                bool is_signed) {
  __m256i acc = _mm256_set1_epi8(is_signed ? (char)-128 : 0);
  for (size_t t = 0; t < taps; t++) {
    const uint8_t *row = (const uint8_t *)input[t] + c;
    __m256i v;
    if (n == 32) {
      v = _mm256_loadu_si256((const __m256i *)row);
    } else {
      uint8_t buf[32] = {0};
      memcpy(buf, row, n);
      v = _mm256_loadu_si256((const __m256i *)buf);
    }
    acc = vmax(acc, v, is_signed);
  }
  return acc;
}

static inline void maxpool(size_t taps, size_t channels, const void *const *input, void *output,
                           const q8_pool_params *p, bool is_signed) {
  const __m256i lo = _mm256_set1_epi8((char)(uint8_t)p->output_min);
  const __m256i hi = _mm256_set1_epi8((char)(uint8_t)p->output_max);
  uint8_t *out = output;
  size_t c = 0;
  for (; c + 32 <= channels; c += 32) {
    const __m256i m = vmin(vmax(block_max(taps, input, c, 32, is_signed), lo, is_signed), hi,
                           is_signed);
    _mm256_storeu_si256((__m256i *)(out + c), m);
  }
  if (c < channels) {
    const size_t n = channels - c;
    uint8_t buf[32];
    const __m256i m = vmin(vmax(block_max(taps, input, c, n, is_signed), lo, is_signed), hi,
                           is_signed);
    _mm256_storeu_si256((__m256i *)buf, m);
    memcpy(out + c, buf, n);
  }
}

void q8_qs8_maxpool_minmax_ukernel_c32__avx2(size_t taps, size_t channels,
                                             const void *const *input, void *output,
                                             const q8_pool_params *params) {
  maxpool(taps, channels, input, output, params, true);
}
void q8_qu8_maxpool_minmax_ukernel_c32__avx2(size_t taps, size_t channels,
                                             const void *const *input, void *output,
                                             const q8_pool_params *params) {
  maxpool(taps, channels, input, output, params, false);
}
