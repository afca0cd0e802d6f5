/* 8-bit GEMM tile for AVX-512 VNNI, 8 rows x 32 columns: per 4 bytes of K, two 64-byte weight
   vectors (16 columns x 4 bytes each), one 4-byte broadcast per row and 16 vpdpbusd into 16
   zmm accumulators (unsigned activations x signed weights). The output stage is
   requant-avx512.h's, bit-exact with fixedpoint.h (doc/kernels.md).
   Contract in qs8-qc8w-gemm.h. */
#include <immintrin.h>
#include <string.h>

#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"
#include "ukernels/requant-avx512.h"

enum { MR = 8, NR = 32, KR = Q8_QS8_GEMM_KR };

/* Per-column constants of the output stage for 16 columns (loaded once per tile). */
typedef struct column_stage {
  __m512i multiplier, left_shift, right_shift;
} column_stage;

static inline column_stage column_stage_load(const uint8_t *multiplier, const uint8_t *shift) {
  const __m512i raw = _mm512_loadu_si512(shift), zero = _mm512_setzero_si512();
  column_stage s = {_mm512_loadu_si512(multiplier), _mm512_max_epi32(raw, zero),
                    _mm512_max_epi32(_mm512_sub_epi32(zero, raw), zero)};
  return s;
}

static inline __m128i output_bytes(__m512i acc, const column_stage *s,
                                   const q8_qs8_gemm_params *params) {
  const __m512i v = q8_avx512_output_stage(
      acc, s->multiplier, s->left_shift, s->right_shift,
      _mm512_set1_epi32(params->output_zero_point), _mm512_set1_epi32(params->output_min),
      _mm512_set1_epi32(params->output_max));
  return _mm512_cvtepi32_epi8(v); /* the low byte: int8 and uint8 alike after the clamp */
}

/* acc + the 4-byte dot products of u (unsigned) and s (signed) per lane. GCC 12 copies
   every accumulator between registers around the intrinsic on each K step (its tied operand);
   the same instruction in inline assembly keeps them in place. The test build on emulated
   intrinsics (test/ukernels/avx512-emulation.h) takes the intrinsic. */
static inline __m512i dot4(__m512i acc, __m512i u, __m512i s) {
#if defined(__GNUC__) && !defined(__clang__) && !defined(Q8_TEST_AVX512_EMULATION_H)
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
  return acc;
#else
  return _mm512_dpbusd_epi32(acc, u, s);
#endif
}

static inline __m512i broadcast4(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(v);
}

/* Store mask of the first n (any n) of 16 columns. */
static inline __mmask16 column_mask(size_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}

static inline void store_row(uint8_t *out, size_t nc, __m512i ca, __m512i cb,
                             const uint8_t *tail, const q8_qs8_gemm_params *params) {
  const column_stage s0 = column_stage_load(tail, tail + NR * sizeof(int32_t));
  const column_stage s1 = column_stage_load(tail + 64, tail + NR * sizeof(int32_t) + 64);
  const __mmask16 m0 = column_mask(nc), m1 = column_mask(nc > 16 ? nc - 16 : 0);
  _mm_mask_storeu_epi8(out, m0, output_bytes(ca, &s0, params));
  _mm_mask_storeu_epi8(out + 16, m1, output_bytes(cb, &s1, params));
}

/* A single row (a FULLY_CONNECTED on one image): the 8-row tile would compute it 8 times.
   Even and odd K steps go to separate accumulators so that consecutive vpdpbusd do not wait
   on each other; their sums are added at the end (modulo 2^32, any order). */
static void one_row(size_t nc, size_t kc, const uint8_t *a, const uint8_t *panel,
                    const int32_t *row_terms, uint8_t *c, const q8_qs8_gemm_params *params) {
  const __m512i t = row_terms != NULL ? _mm512_set1_epi32(row_terms[0]) : _mm512_setzero_si512();
  __m512i ca0 = _mm512_add_epi32(_mm512_loadu_si512(panel), t);
  __m512i cb0 = _mm512_add_epi32(_mm512_loadu_si512(panel + 64), t);
  __m512i ca1 = _mm512_setzero_si512(), cb1 = _mm512_setzero_si512();
  const uint8_t *weights = panel + NR * sizeof(int32_t);
  size_t k = 0;
  for (; k + 2 * KR <= kc; k += 2 * KR, weights += 2 * NR * KR) {
    const __m512i x0 = broadcast4(a + k), x1 = broadcast4(a + k + KR);
    ca0 = dot4(ca0, x0, _mm512_loadu_si512(weights));
    cb0 = dot4(cb0, x0, _mm512_loadu_si512(weights + 64));
    ca1 = dot4(ca1, x1, _mm512_loadu_si512(weights + 128));
    cb1 = dot4(cb1, x1, _mm512_loadu_si512(weights + 192));
  }
  if (k < kc) {
    const __m512i x0 = broadcast4(a + k);
    ca0 = dot4(ca0, x0, _mm512_loadu_si512(weights));
    cb0 = dot4(cb0, x0, _mm512_loadu_si512(weights + 64));
  }
  store_row(c, nc, _mm512_add_epi32(ca0, ca1), _mm512_add_epi32(cb0, cb1),
            panel + NR * sizeof(int32_t) + NR * kc, params);
}

/* The 16 accumulators are named variables, not an array: GCC and Clang otherwise keep an
   array of them in memory or copy them between registers on every K step. */
#define ROW_POINTERS(i) const uint8_t *a##i = a + (i < mr ? i : mr - 1) * a_stride
#define ROW_INIT(i)                                                              \
  const __m512i t##i = row_terms != NULL ? _mm512_set1_epi32(row_terms[i < mr ? i : mr - 1]) \
                                         : _mm512_setzero_si512();               \
  __m512i c##i##a = _mm512_add_epi32(bias0, t##i), c##i##b = _mm512_add_epi32(bias1, t##i)
#define ROW_DOT(i)                                   \
  do {                                               \
    const __m512i x = broadcast4(a##i + k);          \
    c##i##a = dot4(c##i##a, x, w0);                  \
    c##i##b = dot4(c##i##b, x, w1);                  \
  } while (0)
#define ROW_OUT(i)                                     \
  bytes[i][0] = output_bytes(c##i##a, &s0, params);    \
  bytes[i][1] = output_bytes(c##i##b, &s1, params)

void q8_qs8_qc8w_gemm_minmax_ukernel_8x32c4__avx512vnni(size_t mr, size_t nc, size_t kc,
                                                        const uint8_t *a, size_t a_stride,
                                                        const void *w,
                                                        const int32_t *row_terms, void *c,
                                                        size_t c_stride,
                                                        const q8_qs8_gemm_params *params) {
  if (mr == 1) {
    one_row(nc, kc, a, w, row_terms, c, params);
    return;
  }
  /* Rows past mr repeat the last one: computed, never stored. */
  ROW_POINTERS(0);
  ROW_POINTERS(1);
  ROW_POINTERS(2);
  ROW_POINTERS(3);
  ROW_POINTERS(4);
  ROW_POINTERS(5);
  ROW_POINTERS(6);
  ROW_POINTERS(7);
  const uint8_t *panel = w;
  const __m512i bias0 = _mm512_loadu_si512(panel), bias1 = _mm512_loadu_si512(panel + 64);
  ROW_INIT(0);
  ROW_INIT(1);
  ROW_INIT(2);
  ROW_INIT(3);
  ROW_INIT(4);
  ROW_INIT(5);
  ROW_INIT(6);
  ROW_INIT(7);
  const uint8_t *weights = panel + NR * sizeof(int32_t);
  for (size_t k = 0; k < kc; k += KR, weights += NR * KR) {
    const __m512i w0 = _mm512_loadu_si512(weights), w1 = _mm512_loadu_si512(weights + 64);
    ROW_DOT(0);
    ROW_DOT(1);
    ROW_DOT(2);
    ROW_DOT(3);
    ROW_DOT(4);
    ROW_DOT(5);
    ROW_DOT(6);
    ROW_DOT(7);
  }
  const uint8_t *tail = weights;
  const column_stage s0 = column_stage_load(tail, tail + NR * sizeof(int32_t));
  const column_stage s1 = column_stage_load(tail + 64, tail + NR * sizeof(int32_t) + 64);
  __m128i bytes[MR][2];
  ROW_OUT(0);
  ROW_OUT(1);
  ROW_OUT(2);
  ROW_OUT(3);
  ROW_OUT(4);
  ROW_OUT(5);
  ROW_OUT(6);
  ROW_OUT(7);
  const __mmask16 m0 = column_mask(nc), m1 = column_mask(nc > 16 ? nc - 16 : 0);
  for (size_t i = 0; i < mr; i++) {
    uint8_t *out = (uint8_t *)c + i * c_stride;
    _mm_mask_storeu_epi8(out, m0, bytes[i][0]);
    _mm_mask_storeu_epi8(out + 16, m1, bytes[i][1]);
  }
}
