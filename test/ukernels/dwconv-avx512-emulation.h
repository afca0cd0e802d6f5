/* The AVX-512 intrinsics the depthwise kernels (src/ukernels/qs8-qc8w-dwconv/p32c-avx512.h)
   and the output-stage kernel use beyond test/ukernels/avx512-emulation.h's set, in plain C
   from the instruction definitions in Intel's manual, so that those kernels' own source is
   tested bit for bit on machines without AVX-512. Include instead of <immintrin.h>. */
#ifndef Q8_TEST_DWCONV_AVX512_EMULATION_H
#define Q8_TEST_DWCONV_AVX512_EMULATION_H

#include "ukernels/avx512-emulation.h"

typedef union {
  uint8_t u8[32];
  int8_t i8[32];
} __m256i;
typedef uint32_t __mmask32;

static inline int16_t emu_get16(const __m512i *a, int i) {
  return (int16_t)(uint16_t)(a->u8[2 * i] | (a->u8[2 * i + 1] << 8));
}

static inline void emu_set16(__m512i *a, int i, int32_t v) {
  a->u8[2 * i] = (uint8_t)((uint32_t)v & 0xFF);
  a->u8[2 * i + 1] = (uint8_t)(((uint32_t)v >> 8) & 0xFF);
}

/* vmovdqu8 with a zeroing mask: masked-off bytes are not read. */
static inline __m256i _mm256_maskz_loadu_epi8(__mmask32 k, const void *p) {
  __m256i r;
  for (int i = 0; i < 32; i++) r.u8[i] = ((k >> i) & 1) ? ((const uint8_t *)p)[i] : 0;
  return r;
}

static inline void _mm256_mask_storeu_epi8(void *p, __mmask32 k, __m256i a) {
  for (int i = 0; i < 32; i++)
    if ((k >> i) & 1) ((uint8_t *)p)[i] = a.u8[i];
}

static inline __m512i _mm512_cvtepi8_epi16(__m256i a) {
  __m512i r;
  for (int i = 0; i < 32; i++) emu_set16(&r, i, a.i8[i]);
  return r;
}

static inline __m512i _mm512_cvtepu8_epi16(__m256i a) {
  __m512i r;
  for (int i = 0; i < 32; i++) emu_set16(&r, i, a.u8[i]);
  return r;
}

/* vpunpck[lh]wd: per 128-bit lane, words 0-3 (lo) or 4-7 (hi) of a and b interleaved. */
static inline __m512i emu_unpack_epi16(__m512i a, __m512i b, int high) {
  __m512i r;
  for (int lane = 0; lane < 4; lane++)
    for (int j = 0; j < 4; j++) {
      emu_set16(&r, 8 * lane + 2 * j, emu_get16(&a, 8 * lane + 4 * high + j));
      emu_set16(&r, 8 * lane + 2 * j + 1, emu_get16(&b, 8 * lane + 4 * high + j));
    }
  return r;
}
static inline __m512i _mm512_unpacklo_epi16(__m512i a, __m512i b) {
  return emu_unpack_epi16(a, b, 0);
}
static inline __m512i _mm512_unpackhi_epi16(__m512i a, __m512i b) {
  return emu_unpack_epi16(a, b, 1);
}

/* vpdpwssd: src + a[2i] * b[2i] + a[2i+1] * b[2i+1] per int32 lane, wrapping. */
static inline __m512i _mm512_dpwssd_epi32(__m512i src, __m512i a, __m512i b) {
  __m512i r;
  for (int i = 0; i < 16; i++) {
    const int32_t p0 = (int32_t)emu_get16(&a, 2 * i) * emu_get16(&b, 2 * i);
    const int32_t p1 = (int32_t)emu_get16(&a, 2 * i + 1) * emu_get16(&b, 2 * i + 1);
    r.u32[i] = src.u32[i] + (uint32_t)p0 + (uint32_t)p1;
  }
  return r;
}

static inline int32_t emu_saturate16(int32_t v) {
  return v < INT16_MIN ? INT16_MIN : v > INT16_MAX ? INT16_MAX : v;
}

/* vpackssdw: per 128-bit lane, a's 4 dwords then b's, saturated to int16. */
static inline __m512i _mm512_packs_epi32(__m512i a, __m512i b) {
  __m512i r;
  for (int lane = 0; lane < 4; lane++)
    for (int j = 0; j < 4; j++) {
      emu_set16(&r, 8 * lane + j, emu_saturate16(a.i32[4 * lane + j]));
      emu_set16(&r, 8 * lane + 4 + j, emu_saturate16(b.i32[4 * lane + j]));
    }
  return r;
}

/* vpmovwb: truncation of each word to its low byte. */
static inline __m256i _mm512_cvtepi16_epi8(__m512i a) {
  __m256i r;
  for (int i = 0; i < 32; i++) r.u8[i] = a.u8[2 * i];
  return r;
}

static inline __m512i _mm512_maskz_loadu_epi32(__mmask16 k, const void *p) {
  __m512i r;
  for (int i = 0; i < 16; i++) {
    r.u32[i] = 0;
    if ((k >> i) & 1) memcpy(&r.u32[i], (const uint8_t *)p + 4 * i, 4);
  }
  return r;
}

static inline void _mm512_mask_storeu_epi32(void *p, __mmask16 k, __m512i a) {
  for (int i = 0; i < 16; i++)
    if ((k >> i) & 1) memcpy((uint8_t *)p + 4 * i, &a.u32[i], 4);
}

#endif
