/* The body of the p16c AVX2 depthwise kernels (9p16c, xp16c): per block of 16 channels,
   per output pixel, taps in pairs: both taps' 16 bytes widened to int16 (sign or zero
   extension), interleaved per channel (vpunpcklwd/hwd) and multiplied by the packed int16
   weight pairs with vpmaddwd into two int32 accumulators. Products are below 2^16 in
   magnitude, so vpmaddwd never saturates and the adds wrap like the reference's
   modulo-2^32 sum. A last partial block goes through stack copies (no reads or writes
   past the channel count). Include only from *-avx2.c files. */
#ifndef Q8_UKERNELS_QS8_QC8W_DWCONV_P16C_AVX2_H
#define Q8_UKERNELS_QS8_QC8W_DWCONV_P16C_AVX2_H

#include <immintrin.h>
#include <string.h>

#include "ukernels/qs8-qc8w-dwconv/qs8-qc8w-dwconv.h"
#include "ukernels/requant-avx2.h"

enum { P16C_MAX_REGISTER_PAIRS = 5 };

typedef struct p16c_block {
  __m256i bias_lo, bias_hi;
  q8_avx2_requant requant_lo, requant_hi;
  /* From the params, in locals: the output's byte stores could alias *params. */
  __m256i zero_point, out_min, out_max;
} p16c_block;

/* The block's bias and requantization constants (computed once per block and call). */
static inline p16c_block p16c_load_block(const int32_t *header,
                                         const q8_qs8_dwconv_params *params) {
  p16c_block b;
  b.zero_point = _mm256_set1_epi32(params->output_zero_point);
  b.out_min = _mm256_set1_epi32(params->output_min);
  b.out_max = _mm256_set1_epi32(params->output_max);
  b.bias_lo = _mm256_loadu_si256((const __m256i *)header);
  b.bias_hi = _mm256_loadu_si256((const __m256i *)(header + 8));
  b.requant_lo = q8_avx2_requant_init(_mm256_loadu_si256((const __m256i *)(header + 16)),
                                        _mm256_loadu_si256((const __m256i *)(header + 32)));
  b.requant_hi = q8_avx2_requant_init(_mm256_loadu_si256((const __m256i *)(header + 24)),
                                        _mm256_loadu_si256((const __m256i *)(header + 40)));
  return b;
}

/* 16 channels from c (n of them valid when n < 16: copied, the rest zeros). */
static inline __m256i p16c_load_widened(const void *row, size_t c, size_t n, bool is_signed) {
  const uint8_t *src = (const uint8_t *)row + c;
  __m128i bytes;
  if (n >= 16) {
    bytes = _mm_loadu_si128((const __m128i *)src);
  } else {
    uint8_t copy[16] = {0};
    memcpy(copy, src, n);
    bytes = _mm_loadu_si128((const __m128i *)copy);
  }
  return is_signed ? _mm256_cvtepi8_epi16(bytes) : _mm256_cvtepu8_epi16(bytes);
}

/* One output pixel of one block; weights[t] / weights[t + 1]: the pair of taps t, t + 1,
   lo / hi half. */
static inline __attribute__((always_inline)) void p16c_pixel(
    const void *const *in, size_t taps, const __m256i *weights, const p16c_block *b, size_t c,
    size_t n, uint8_t *out, bool is_signed) {
  __m256i acc_lo = b->bias_lo, acc_hi = b->bias_hi;
  for (size_t t = 0; t < taps; t += 2) {
    const __m256i x0 = p16c_load_widened(in[t], c, n, is_signed);
    /* An odd last tap pairs with itself: its packed partner weight is 0. */
    const __m256i x1 = t + 1 < taps ? p16c_load_widened(in[t + 1], c, n, is_signed) : x0;
    acc_lo = _mm256_add_epi32(acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), weights[t]));
    acc_hi = _mm256_add_epi32(acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), weights[t + 1]));
  }
  const __m256i lo = q8_avx2_output_stage_requant(acc_lo, &b->requant_lo, b->zero_point,
                                                  b->out_min, b->out_max);
  const __m256i hi = q8_avx2_output_stage_requant(acc_hi, &b->requant_hi, b->zero_point,
                                                  b->out_min, b->out_max);
  /* Clamped into the 8-bit range, so the saturating packs keep every value; packssdw puts
     the channels back in order. */
  const __m256i words = _mm256_packs_epi32(lo, hi);
  const __m128i w0 = _mm256_castsi256_si128(words), w1 = _mm256_extracti128_si256(words, 1);
  const __m128i bytes = is_signed ? _mm_packs_epi16(w0, w1) : _mm_packus_epi16(w0, w1);
  if (n >= 16) {
    _mm_storeu_si128((__m128i *)(out + c), bytes);
  } else {
    uint8_t copy[16];
    _mm_storeu_si128((__m128i *)copy, bytes);
    memcpy(out + c, copy, n);
  }
}

static inline size_t p16c_block_bytes(size_t taps) {
  return 48 * sizeof(int32_t) + (taps + 1) / 2 * 64;
}

/* register_weights: copy the block's weights into locals (taps is a constant <= 10 then),
   so that the output's byte stores, which could alias packed memory, do not reload them. */
static inline __attribute__((always_inline)) void p16c_dwconv(
    size_t pixels, size_t channels, size_t taps, const void *const *input, const void *packed,
    void *output, size_t output_stride, const q8_qs8_dwconv_params *params, bool is_signed,
    bool register_weights) {
  const size_t block_bytes = p16c_block_bytes(taps);
  for (size_t c = 0; c < channels; c += 16) {
    const uint8_t *block = (const uint8_t *)packed + c / 16 * block_bytes;
    const p16c_block b = p16c_load_block((const int32_t *)block, params);
    const __m256i *packed_weights = (const __m256i *)(block + 48 * sizeof(int32_t));
    __m256i local[2 * P16C_MAX_REGISTER_PAIRS];
    const __m256i *weights = packed_weights;
    if (register_weights) {
      for (size_t i = 0; i < 2 * ((taps + 1) / 2); i++)
        local[i] = _mm256_loadu_si256(packed_weights + i);
      weights = local;
    }
    const size_t n = channels - c;
    if (n >= 16) {
      for (size_t px = 0; px < pixels; px++)
        p16c_pixel(input + px * taps, taps, weights, &b, c, 16,
                   (uint8_t *)output + px * output_stride, is_signed);
    } else {
      for (size_t px = 0; px < pixels; px++)
        p16c_pixel(input + px * taps, taps, weights, &b, c, n,
                   (uint8_t *)output + px * output_stride, is_signed);
    }
  }
}

#endif
