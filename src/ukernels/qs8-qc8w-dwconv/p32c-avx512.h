/* The body of the p32c AVX-512 depthwise kernels (9p32c, xp32c): per block of 32 channels,
   per output pixel, taps in pairs: both taps' 32 bytes widened to int16 (sign or zero
   extension), interleaved per channel (vpunpcklwd/hwd) and multiplied by the packed int16
   weight pairs with vpdpwssd into two int32 accumulators. Products are below 2^16 in
   magnitude and vpdpwssd wraps like the reference's modulo-2^32 sum. Include only from
   *-avx512vnni.c files. */
#ifndef Q8_UKERNELS_QS8_QC8W_DWCONV_P32C_AVX512_H
#define Q8_UKERNELS_QS8_QC8W_DWCONV_P32C_AVX512_H

#include <immintrin.h>

#include "ukernels/qs8-qc8w-dwconv/qs8-qc8w-dwconv.h"
#include "ukernels/requant-avx512.h"

enum { P32C_MAX_REGISTER_PAIRS = 5 };

static inline __m512i p32c_load_widened(const void *row, size_t c, __mmask32 mask,
                                        bool is_signed) {
  const __m256i bytes = _mm256_maskz_loadu_epi8(mask, (const uint8_t *)row + c);
  return is_signed ? _mm512_cvtepi8_epi16(bytes) : _mm512_cvtepu8_epi16(bytes);
}

typedef struct p32c_block {
  __m512i bias_lo, bias_hi;
  q8_avx512_requant requant_lo, requant_hi;
  /* From the params, in locals: the output's byte stores could alias *params. */
  __m512i zero_point, out_min, out_max;
} p32c_block;

/* The block's bias and requantization constants (computed once per block and call). */
static inline p32c_block p32c_load_block(const int32_t *header,
                                         const q8_qs8_dwconv_params *params) {
  p32c_block b;
  b.zero_point = _mm512_set1_epi32(params->output_zero_point);
  b.out_min = _mm512_set1_epi32(params->output_min);
  b.out_max = _mm512_set1_epi32(params->output_max);
  b.bias_lo = _mm512_loadu_si512(header);
  b.bias_hi = _mm512_loadu_si512(header + 16);
  b.requant_lo = q8_avx512_requant_init(_mm512_loadu_si512(header + 32),
                                        _mm512_loadu_si512(header + 64));
  b.requant_hi = q8_avx512_requant_init(_mm512_loadu_si512(header + 48),
                                        _mm512_loadu_si512(header + 80));
  return b;
}

/* One output pixel of one block; weights[2p] / weights[2p + 1]: pair p, lo / hi half. */
static inline __attribute__((always_inline)) void p32c_pixel(
    const void *const *in, size_t taps, const __m512i *weights, const p32c_block *b, size_t c,
    __mmask32 mask, uint8_t *out, bool is_signed) {
  __m512i acc_lo = b->bias_lo, acc_hi = b->bias_hi;
  for (size_t t = 0; t < taps; t += 2) {
    const __m512i x0 = p32c_load_widened(in[t], c, mask, is_signed);
    /* An odd last tap pairs with itself: its packed partner weight is 0. */
    const __m512i x1 = t + 1 < taps ? p32c_load_widened(in[t + 1], c, mask, is_signed) : x0;
    acc_lo = _mm512_dpwssd_epi32(acc_lo, _mm512_unpacklo_epi16(x0, x1), weights[t]);
    acc_hi = _mm512_dpwssd_epi32(acc_hi, _mm512_unpackhi_epi16(x0, x1), weights[t + 1]);
  }
  const __m512i lo = q8_avx512_output_stage_requant(acc_lo, &b->requant_lo, b->zero_point,
                                                  b->out_min, b->out_max);
  const __m512i hi = q8_avx512_output_stage_requant(acc_hi, &b->requant_hi, b->zero_point,
                                                  b->out_min, b->out_max);
  /* Values are clamped into the 8-bit range: the saturating pack and the truncating
     narrowing keep them, and the pack puts channels back in order. */
  _mm256_mask_storeu_epi8(out + c, mask, _mm512_cvtepi16_epi8(_mm512_packs_epi32(lo, hi)));
}

static inline __mmask32 p32c_mask(size_t channels, size_t c) {
  const size_t n = channels - c;
  return n >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((UINT32_C(1) << n) - 1);
}

static inline size_t p32c_block_bytes(size_t taps) {
  return 96 * sizeof(int32_t) + (taps + 1) / 2 * 128;
}

/* register_weights: copy the block's weights into locals (taps is a constant <= 10 then,
   so they stay in registers: the output's byte stores could alias packed memory). */
static inline __attribute__((always_inline)) void p32c_dwconv(
    size_t pixels, size_t channels, size_t taps, const void *const *input, const void *packed,
    void *output, size_t output_stride, const q8_qs8_dwconv_params *params, bool is_signed,
    bool register_weights) {
  const size_t block_bytes = p32c_block_bytes(taps);
  for (size_t c = 0; c < channels; c += 32) {
    const uint8_t *block = (const uint8_t *)packed + c / 32 * block_bytes;
    const p32c_block b = p32c_load_block((const int32_t *)block, params);
    const __m512i *packed_weights = (const __m512i *)(block + 96 * sizeof(int32_t));
    __m512i local[2 * P32C_MAX_REGISTER_PAIRS];
    const __m512i *weights = packed_weights;
    if (register_weights) {
      for (size_t i = 0; i < 2 * ((taps + 1) / 2); i++)
        local[i] = _mm512_loadu_si512(packed_weights + i);
      weights = local;
    }
    const __mmask32 mask = p32c_mask(channels, c);
    for (size_t px = 0; px < pixels; px++)
      p32c_pixel(input + px * taps, taps, weights, &b, c, mask,
                 (uint8_t *)output + px * output_stride, is_signed);
  }
}

#endif
