/* AVX2 8-bit column sums, 32 channels per step in four int32 accumulators (contract:
   qs8-rsum.h); the last channels % 32 go through a 32-byte stack copy per row so that
   nothing past a row is read. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "ukernels/qs8-rsum/qs8-rsum.h"

static inline __m256i widen(const uint8_t *p, bool is_signed) {
  const __m128i v = _mm_loadl_epi64((const __m128i *)p);
  return is_signed ? _mm256_cvtepi8_epi32(v) : _mm256_cvtepu8_epi32(v);
}

/* Channels [c, c + n), n <= 32, into sums. */
static inline void block(size_t rows, size_t n, size_t stride, const uint8_t *in,
                         uint32_t *sums, bool is_signed) {
  __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                    _mm256_setzero_si256()};
  for (size_t r = 0; r < rows; r++) {
    const uint8_t *row = in + r * stride;
    uint8_t buf[32] = {0};
    if (n < 32) {
      memcpy(buf, row, n);
      row = buf;
    }
    for (int g = 0; g < 4; g++) acc[g] = _mm256_add_epi32(acc[g], widen(row + 8 * g, is_signed));
  }
  uint32_t all[32];
  for (int g = 0; g < 4; g++) _mm256_storeu_si256((__m256i *)(all + 8 * g), acc[g]);
  memcpy(sums, all, n * sizeof *sums);
}

static inline void rsum(size_t rows, size_t channels, size_t stride, const void *input,
                        uint32_t *sums, bool is_signed) {
  const uint8_t *in = input;
  size_t c = 0;
  for (; c + 32 <= channels; c += 32) block(rows, 32, stride, in + c, sums + c, is_signed);
  if (c < channels) block(rows, channels - c, stride, in + c, sums + c, is_signed);
}

void q8_qs8_rsum_ukernel_c32__avx2(size_t rows, size_t channels, size_t stride,
                                   const void *input, uint32_t *sums) {
  rsum(rows, channels, stride, input, sums, true);
}
void q8_qu8_rsum_ukernel_c32__avx2(size_t rows, size_t channels, size_t stride,
                                   const void *input, uint32_t *sums) {
  rsum(rows, channels, stride, input, sums, false);
}
