/* Plain-C stand-ins for the AVX-512 intrinsics the 8-bit GEMM kernel uses, written from the
   instruction definitions in Intel's manual: a test compiles the kernel's own source against
   them so that its algorithm is checked bit for bit on every machine, including those without
   AVX-512 (the native kernel is tested too where the CPU runs it). Include before the kernel
   source, instead of <immintrin.h> (whose include guards this header takes). */
#ifndef Q8_TEST_AVX512_EMULATION_H
#define Q8_TEST_AVX512_EMULATION_H

#if defined(_IMMINTRIN_H_INCLUDED) || defined(__IMMINTRIN_H)
#error "avx512-emulation.h must come before any <immintrin.h>"
#endif
#define _IMMINTRIN_H_INCLUDED /* GCC's guard */
#define __IMMINTRIN_H         /* Clang's guard */

#include <stdint.h>
#include <string.h>

typedef union {
  uint8_t u8[64];
  int8_t i8[64];
  int32_t i32[16];
  uint32_t u32[16];
  int64_t i64[8];
  uint64_t u64[8];
} __m512i;
typedef union {
  uint8_t u8[16];
} __m128i;
typedef uint16_t __mmask16;

#define EMU_LANES32(expr)                        \
  __m512i r;                                     \
  for (int i = 0; i < 16; i++) r.u32[i] = (expr); \
  return r

static inline __m512i _mm512_loadu_si512(const void *p) {
  __m512i r;
  memcpy(&r, p, sizeof r);
  return r;
}
static inline __m512i _mm512_setzero_si512(void) { EMU_LANES32(0); }
static inline __m512i _mm512_set1_epi32(int32_t v) { EMU_LANES32((uint32_t)v); }
static inline __m512i _mm512_set1_epi64(int64_t v) {
  __m512i r;
  for (int i = 0; i < 8; i++) r.i64[i] = v;
  return r;
}
static inline __m512i _mm512_add_epi32(__m512i a, __m512i b) { EMU_LANES32(a.u32[i] + b.u32[i]); }
static inline __m512i _mm512_sub_epi32(__m512i a, __m512i b) { EMU_LANES32(a.u32[i] - b.u32[i]); }
static inline __m512i _mm512_and_si512(__m512i a, __m512i b) { EMU_LANES32(a.u32[i] & b.u32[i]); }
static inline __m512i _mm512_max_epi32(__m512i a, __m512i b) {
  EMU_LANES32((uint32_t)(a.i32[i] > b.i32[i] ? a.i32[i] : b.i32[i]));
}
static inline __m512i _mm512_min_epi32(__m512i a, __m512i b) {
  EMU_LANES32((uint32_t)(a.i32[i] < b.i32[i] ? a.i32[i] : b.i32[i]));
}
/* VPSLLVD: counts above 31 give 0. */
static inline __m512i _mm512_sllv_epi32(__m512i a, __m512i count) {
  EMU_LANES32(count.u32[i] > 31 ? 0 : a.u32[i] << count.u32[i]);
}
/* VPSRAVD: counts above 31 fill with the sign bit. */
static inline __m512i _mm512_srav_epi32(__m512i a, __m512i count) {
  EMU_LANES32(a.i32[i] < 0 ? ~(~a.u32[i] >> (count.u32[i] > 31 ? 31 : count.u32[i]))
                           : a.u32[i] >> (count.u32[i] > 31 ? 31 : count.u32[i]));
}
static inline __m512i _mm512_srli_epi32(__m512i a, unsigned imm) {
  EMU_LANES32(imm > 31 ? 0 : a.u32[i] >> imm);
}
static inline __m512i _mm512_srai_epi32(__m512i a, unsigned imm) {
  const unsigned n = imm > 31 ? 31 : imm;
  EMU_LANES32(a.i32[i] < 0 ? ~(~a.u32[i] >> n) : a.u32[i] >> n);
}
static inline __m512i _mm512_srai_epi64(__m512i a, unsigned imm) {
  const unsigned n = imm > 63 ? 63 : imm;
  __m512i r;
  for (int i = 0; i < 8; i++) r.u64[i] = a.i64[i] < 0 ? ~(~a.u64[i] >> n) : a.u64[i] >> n;
  return r;
}
static inline __m512i _mm512_add_epi64(__m512i a, __m512i b) {
  __m512i r;
  for (int i = 0; i < 8; i++) r.u64[i] = a.u64[i] + b.u64[i];
  return r;
}
static inline __m512i _mm512_srli_epi64(__m512i a, unsigned imm) {
  __m512i r;
  for (int i = 0; i < 8; i++) r.u64[i] = imm > 63 ? 0 : a.u64[i] >> imm;
  return r;
}
static inline __m512i _mm512_slli_epi64(__m512i a, unsigned imm) {
  __m512i r;
  for (int i = 0; i < 8; i++) r.u64[i] = imm > 63 ? 0 : a.u64[i] << imm;
  return r;
}
/* VPMULDQ: the signed low doublewords of each quadword, multiplied into the quadword. */
static inline __m512i _mm512_mul_epi32(__m512i a, __m512i b) {
  __m512i r;
  for (int i = 0; i < 8; i++) r.i64[i] = (int64_t)a.i32[2 * i] * (int64_t)b.i32[2 * i];
  return r;
}
/* Lanes whose mask bit is set take b, the others a. */
static inline __m512i _mm512_mask_blend_epi32(__mmask16 k, __m512i a, __m512i b) {
  EMU_LANES32(((k >> i) & 1) ? b.u32[i] : a.u32[i]);
}
static inline __m512i _mm512_mask_mov_epi32(__m512i src, __mmask16 k, __m512i a) {
  EMU_LANES32(((k >> i) & 1) ? a.u32[i] : src.u32[i]);
}
static inline __m512i _mm512_mask_add_epi32(__m512i src, __mmask16 k, __m512i a, __m512i b) {
  EMU_LANES32(((k >> i) & 1) ? a.u32[i] + b.u32[i] : src.u32[i]);
}
static inline __mmask16 _mm512_cmpeq_epi32_mask(__m512i a, __m512i b) {
  __mmask16 k = 0;
  for (int i = 0; i < 16; i++) k |= (__mmask16)((a.i32[i] == b.i32[i]) << i);
  return k;
}
static inline __mmask16 _mm512_cmpgt_epi32_mask(__m512i a, __m512i b) {
  __mmask16 k = 0;
  for (int i = 0; i < 16; i++) k |= (__mmask16)((a.i32[i] > b.i32[i]) << i);
  return k;
}
/* VPMOVDB: each doubleword truncated to its low byte. */
static inline __m128i _mm512_cvtepi32_epi8(__m512i a) {
  __m128i r;
  for (int i = 0; i < 16; i++) r.u8[i] = (uint8_t)a.u32[i];
  return r;
}
/* VPDPBUSD: per doubleword, four unsigned bytes of a times the four signed bytes of b, added
   to src without saturation (modulo 2^32). */
static inline __m512i _mm512_dpbusd_epi32(__m512i src, __m512i a, __m512i b) {
  __m512i r;
  for (int i = 0; i < 16; i++) {
    uint32_t sum = src.u32[i];
    for (int j = 0; j < 4; j++)
      sum += (uint32_t)((int32_t)a.u8[4 * i + j] * (int32_t)b.i8[4 * i + j]);
    r.u32[i] = sum;
  }
  return r;
}
static inline void _mm_mask_storeu_epi8(void *p, __mmask16 k, __m128i a) {
  for (int i = 0; i < 16; i++)
    if ((k >> i) & 1) ((uint8_t *)p)[i] = a.u8[i];
}

#undef EMU_LANES32
#endif
