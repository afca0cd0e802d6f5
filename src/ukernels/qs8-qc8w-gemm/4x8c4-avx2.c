/* 8-bit GEMM tile for AVX2 (no VNNI), 4 rows x 8 columns over the c4 layout the scalar kernel
   uses: per 4 bytes of K, the 8 columns' 32 weight bytes sign-extended to int16 (two ymm),
   each row's 4 activation bytes zero-extended and repeated (one vpshufb of a broadcast), and
   vpmaddwd, exact where vpmaddubsw would saturate. Each column accumulates in two int32
   lanes (k pairs) that one vphaddd folds at the end; sums wrap modulo 2^32 throughout.
   Output stage: requant-avx2.h. Contract in qs8-qc8w-gemm.h. */
#include <immintrin.h>
#include <string.h>

#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"
#include "ukernels/requant-avx2.h"

enum { MR = 4, NR = 8, KR = Q8_QS8_GEMM_KR };

/* 4 bytes at p as [x0, x1, x2, x3] in int16, repeated over the register. */
static inline __m256i activations(const uint8_t *p, __m256i spread) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm256_shuffle_epi8(_mm256_set1_epi32(v), spread);
}

/* The 32 weight bytes of a K step as int16: columns 0-3 (low half) or 4-7 (high half). */
static inline __m256i weights_low(__m256i wv) {
  return _mm256_cvtepi8_epi16(_mm256_castsi256_si128(wv));
}
static inline __m256i weights_high(__m256i wv) {
  return _mm256_cvtepi8_epi16(_mm256_extracti128_si256(wv, 1));
}

/* The accumulators are named variables, not an array: compilers otherwise keep an array of
   them in memory across the K loop. Each column has two int32 lanes (k pairs): c<i>a holds
   columns 0-3 of row i, c<i>b columns 4-7. */
#define ROW_POINTERS(i) const uint8_t *a##i = a + (i < mr ? i : mr - 1) * a_stride
#define ROW_DOT(i)                                                        \
  do {                                                                    \
    const __m256i x = activations(a##i + k, spread);                      \
    c##i##a = _mm256_add_epi32(c##i##a, _mm256_madd_epi16(x, w03));       \
    c##i##b = _mm256_add_epi32(c##i##b, _mm256_madd_epi16(x, w47));       \
  } while (0)
#define ROW_OUT(i) bytes[i] = row_bytes(c##i##a, c##i##b, row_terms, i < mr ? i : mr - 1, &stage)

/* Output stage constants of one panel. */
typedef struct panel_stage {
  __m256i bias, zero_point, out_min, out_max, low_bytes;
  q8_avx2_requant requant;
} panel_stage;

/* One row's 8 output bytes: vphaddd gives [c0 c1 c4 c5 | c2 c3 c6 c7], the permute puts the
   columns in order, then bias, row term and the output stage; the low byte of each int32.
   Not inlined: GCC 12 would otherwise spill accumulators inside the K loop to make room for
   the output stage's constants. */
static __attribute__((noinline)) uint64_t row_bytes(__m256i ca, __m256i cb,
                                                    const int32_t *row_terms, size_t row,
                                                    const panel_stage *s) {
  __m256i sum = _mm256_permute4x64_epi64(_mm256_hadd_epi32(ca, cb), _MM_SHUFFLE(3, 1, 2, 0));
  sum = _mm256_add_epi32(sum, s->bias);
  if (row_terms != NULL) sum = _mm256_add_epi32(sum, _mm256_set1_epi32(row_terms[row]));
  const __m256i v = _mm256_shuffle_epi8(
      q8_avx2_output_stage_requant(sum, &s->requant, s->zero_point, s->out_min, s->out_max),
      s->low_bytes);
  return (uint64_t)(uint32_t)_mm256_extract_epi32(v, 0) |
         (uint64_t)(uint32_t)_mm256_extract_epi32(v, 4) << 32;
}

static void init_stage(panel_stage *stage, const uint8_t *panel, const uint8_t *tail,
                       const q8_qs8_gemm_params *params) {
  stage->bias = _mm256_loadu_si256((const __m256i *)(const void *)panel);
  stage->requant = q8_avx2_requant_init(
      _mm256_loadu_si256((const __m256i *)(const void *)tail),
      _mm256_loadu_si256((const __m256i *)(const void *)(tail + NR * sizeof(int32_t))));
  stage->zero_point = _mm256_set1_epi32(params->output_zero_point);
  stage->out_min = _mm256_set1_epi32(params->output_min);
  stage->out_max = _mm256_set1_epi32(params->output_max);
  /* The low byte of each int32, gathered into the low 4 bytes of each 128-bit lane. */
  stage->low_bytes = _mm256_setr_epi8(0, 4, 8, 12, -128, -128, -128, -128, -128, -128, -128,
                                      -128, -128, -128, -128, -128, 0, 4, 8, 12, -128, -128,
                                      -128, -128, -128, -128, -128, -128, -128, -128, -128,
                                      -128);
}

/* A single row (a FULLY_CONNECTED on one image): the 4-row tile would compute it 4 times.
   Even and odd K steps accumulate apart (independent adds), summed at the end. */
static void one_row(size_t nc, size_t kc, const uint8_t *a, const uint8_t *panel,
                    const int32_t *row_terms, uint8_t *c, const q8_qs8_gemm_params *params,
                    __m256i spread) {
  const uint8_t *weights = panel + NR * sizeof(int32_t);
  __m256i ca0 = _mm256_setzero_si256(), cb0 = ca0, ca1 = ca0, cb1 = ca0;
  size_t k = 0;
  for (; k + 2 * KR <= kc; k += 2 * KR, weights += 2 * NR * KR) {
    const __m256i wv0 = _mm256_loadu_si256((const __m256i *)(const void *)weights);
    const __m256i wv1 = _mm256_loadu_si256((const __m256i *)(const void *)(weights + 32));
    const __m256i x0 = activations(a + k, spread), x1 = activations(a + k + KR, spread);
    ca0 = _mm256_add_epi32(ca0, _mm256_madd_epi16(x0, weights_low(wv0)));
    cb0 = _mm256_add_epi32(cb0, _mm256_madd_epi16(x0, weights_high(wv0)));
    ca1 = _mm256_add_epi32(ca1, _mm256_madd_epi16(x1, weights_low(wv1)));
    cb1 = _mm256_add_epi32(cb1, _mm256_madd_epi16(x1, weights_high(wv1)));
  }
  if (k < kc) {
    const __m256i wv0 = _mm256_loadu_si256((const __m256i *)(const void *)weights);
    const __m256i x0 = activations(a + k, spread);
    ca0 = _mm256_add_epi32(ca0, _mm256_madd_epi16(x0, weights_low(wv0)));
    cb0 = _mm256_add_epi32(cb0, _mm256_madd_epi16(x0, weights_high(wv0)));
  }
  panel_stage stage;
  init_stage(&stage, panel, panel + NR * sizeof(int32_t) + NR * kc, params);
  const uint64_t bytes = row_bytes(_mm256_add_epi32(ca0, ca1), _mm256_add_epi32(cb0, cb1),
                                   row_terms, 0, &stage);
  memcpy(c, &bytes, nc);
}

void q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__avx2(size_t mr, size_t nc, size_t kc,
                                                 const uint8_t *a, size_t a_stride,
                                                 const void *w, const int32_t *row_terms,
                                                 void *c, size_t c_stride,
                                                 const q8_qs8_gemm_params *params) {
  /* Byte b of each 8-byte group goes to int16 lane b (index 0x80: zero). */
  const __m256i spread = _mm256_setr_epi8(0, -128, 1, -128, 2, -128, 3, -128, 0, -128, 1, -128,
                                          2, -128, 3, -128, 0, -128, 1, -128, 2, -128, 3, -128,
                                          0, -128, 1, -128, 2, -128, 3, -128);
  if (mr == 1) {
    one_row(nc, kc, a, w, row_terms, c, params, spread);
    return;
  }
  /* Rows past mr repeat the last one: computed, never stored. */
  ROW_POINTERS(0);
  ROW_POINTERS(1);
  ROW_POINTERS(2);
  ROW_POINTERS(3);
  const uint8_t *panel = w;
  const uint8_t *weights = panel + NR * sizeof(int32_t);
  __m256i c0a = _mm256_setzero_si256(), c0b = c0a, c1a = c0a, c1b = c0a, c2a = c0a, c2b = c0a,
          c3a = c0a, c3b = c0a;
  for (size_t k = 0; k < kc; k += KR, weights += NR * KR) {
    const __m256i wv = _mm256_loadu_si256((const __m256i *)(const void *)weights);
    const __m256i w03 = weights_low(wv), w47 = weights_high(wv);
    ROW_DOT(0);
    ROW_DOT(1);
    ROW_DOT(2);
    ROW_DOT(3);
  }
  panel_stage stage;
  init_stage(&stage, panel, weights, params);
  uint64_t bytes[MR];
  ROW_OUT(0);
  ROW_OUT(1);
  ROW_OUT(2);
  ROW_OUT(3);
  for (size_t i = 0; i < mr; i++) memcpy((uint8_t *)c + i * c_stride, &bytes[i], nc);
}
