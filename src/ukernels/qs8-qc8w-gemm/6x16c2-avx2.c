/* 8-bit GEMM tile for AVX2 over the int16 (c2) layout, 6 rows x 16 columns. Weights were
   widened to int16 at prepare and activations by the packer, so the inner loop is per pair
   of K: two 32-byte weight loads (16 columns x 2 int16), then per row one 4-byte broadcast
   (a load, no shuffle) and two vpmaddwd + vpaddd into 12 ymm accumulators: 8 loads per 12
   vpmaddwd, no widening, no horizontal fold (vpmaddwd sums the pair). Pair sums are at most
   2 * 255 * 255: exact. Output stage: requant-avx2.h. Contract in qs8-qc8w-gemm-c2.h. */
#include <immintrin.h>
#include <string.h>

#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm-c2.h"
#include "ukernels/requant-avx2.h"

enum { MR = 6, NR = 16 };

static inline __m256i load_w(const uint8_t *p) {
  return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

static inline __m256i pair_at(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return _mm256_set1_epi32(v);
}

/* Output stage constants of one panel. */
typedef struct panel_stage {
  __m256i bias0, bias1, zero_point, out_min, out_max, low_byte;
  q8_avx2_requant requant0, requant1;
} panel_stage;

static void init_stage(panel_stage *s, const uint8_t *panel, const uint8_t *tail,
                       const q8_qs8_gemm_params *params) {
  s->bias0 = _mm256_loadu_si256((const __m256i *)(const void *)panel);
  s->bias1 = _mm256_loadu_si256((const __m256i *)(const void *)(panel + 32));
  const uint8_t *shift = tail + NR * sizeof(int32_t);
  s->requant0 = q8_avx2_requant_init(_mm256_loadu_si256((const __m256i *)(const void *)tail),
                                     _mm256_loadu_si256((const __m256i *)(const void *)shift));
  s->requant1 =
      q8_avx2_requant_init(_mm256_loadu_si256((const __m256i *)(const void *)(tail + 32)),
                           _mm256_loadu_si256((const __m256i *)(const void *)(shift + 32)));
  s->zero_point = _mm256_set1_epi32(params->output_zero_point);
  s->out_min = _mm256_set1_epi32(params->output_min);
  s->out_max = _mm256_set1_epi32(params->output_max);
  s->low_byte = _mm256_set1_epi16(0xFF);
}

/* One row's 16 output bytes. The clamped values fit int16, so vpackssdw is exact; the lane
   permute puts the columns in order and the mask keeps each low byte for vpackuswb. Not
   inlined: GCC 12 would otherwise spill accumulators in the K loop for the stage's
   constants. */
static __attribute__((noinline)) __m128i row_bytes(__m256i c0, __m256i c1,
                                                   const panel_stage *s) {
  const __m256i v0 = q8_avx2_output_stage_requant(_mm256_add_epi32(c0, s->bias0), &s->requant0,
                                                  s->zero_point, s->out_min, s->out_max);
  const __m256i v1 = q8_avx2_output_stage_requant(_mm256_add_epi32(c1, s->bias1), &s->requant1,
                                                  s->zero_point, s->out_min, s->out_max);
  const __m256i halves = _mm256_and_si256(
      _mm256_permute4x64_epi64(_mm256_packs_epi32(v0, v1), _MM_SHUFFLE(3, 1, 2, 0)),
      s->low_byte);
  return _mm_packus_epi16(_mm256_castsi256_si128(halves), _mm256_extracti128_si256(halves, 1));
}

static void store_row(uint8_t *c, __m128i bytes, size_t nc) {
  if (nc == NR) {
    _mm_storeu_si128((__m128i *)(void *)c, bytes);
  } else {
    uint8_t tmp[NR];
    _mm_storeu_si128((__m128i *)(void *)tmp, bytes);
    memcpy(c, tmp, nc);
  }
}

/* A single row (a FULLY_CONNECTED on one image): even and odd pairs in separate
   accumulators (independent adds). */
static void one_row(size_t nc, size_t kc, const uint8_t *a, const uint8_t *panel, uint8_t *c,
                    const q8_qs8_gemm_params *params) {
  const uint8_t *weights = panel + NR * sizeof(int32_t);
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, d0 = c0, d1 = c0;
  size_t k = 0;
  for (; k + 4 <= kc; k += 4, weights += 2 * NR * 4) {
    const __m256i x0 = pair_at(a + 2 * k), x1 = pair_at(a + 2 * k + 4);
    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x0, load_w(weights)));
    c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x0, load_w(weights + 32)));
    d0 = _mm256_add_epi32(d0, _mm256_madd_epi16(x1, load_w(weights + 64)));
    d1 = _mm256_add_epi32(d1, _mm256_madd_epi16(x1, load_w(weights + 96)));
  }
  if (k < kc) {
    const __m256i x0 = pair_at(a + 2 * k);
    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x0, load_w(weights)));
    c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x0, load_w(weights + 32)));
  }
  panel_stage stage;
  init_stage(&stage, panel, panel + NR * sizeof(int32_t) + NR * kc * 2, params);
  store_row(c, row_bytes(_mm256_add_epi32(c0, d0), _mm256_add_epi32(c1, d1), &stage), nc);
}

#define ROW_POINTER(i) const uint8_t *a##i = a + (i < mr ? i : mr - 1) * a_stride
#define ROW_DOT(i)                                                  \
  do {                                                              \
    const __m256i x = pair_at(a##i);                                \
    a##i += 4;                                                      \
    c##i##0 = _mm256_add_epi32(c##i##0, _mm256_madd_epi16(x, w0));  \
    c##i##1 = _mm256_add_epi32(c##i##1, _mm256_madd_epi16(x, w1));  \
  } while (0)

void q8_qs8_qc8w_gemm_minmax_ukernel_6x16c2__avx2(size_t mr, size_t nc, size_t kc,
                                                  const uint8_t *a, size_t a_stride,
                                                  const void *w, const int32_t *row_terms,
                                                  void *c, size_t c_stride,
                                                  const q8_qs8_gemm_params *params) {
  (void)row_terms;
  const uint8_t *panel = w;
  if (mr == 1) {
    one_row(nc, kc, a, panel, c, params);
    return;
  }
  /* Rows past mr repeat the last one: computed, never stored. */
  ROW_POINTER(0);
  ROW_POINTER(1);
  ROW_POINTER(2);
  ROW_POINTER(3);
  ROW_POINTER(4);
  ROW_POINTER(5);
  const uint8_t *weights = panel + NR * sizeof(int32_t);
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (size_t k = 0; k < kc; k += 2, weights += NR * 2 * sizeof(int16_t)) {
    const __m256i w0 = load_w(weights), w1 = load_w(weights + 32);
    ROW_DOT(0);
    ROW_DOT(1);
    ROW_DOT(2);
    ROW_DOT(3);
    ROW_DOT(4);
    ROW_DOT(5);
  }
  panel_stage stage;
  init_stage(&stage, panel, weights, params);
  __m128i bytes[MR];
  bytes[0] = row_bytes(c00, c01, &stage);
  bytes[1] = row_bytes(c10, c11, &stage);
  bytes[2] = row_bytes(c20, c21, &stage);
  bytes[3] = row_bytes(c30, c31, &stage);
  bytes[4] = row_bytes(c40, c41, &stage);
  bytes[5] = row_bytes(c50, c51, &stage);
  for (size_t i = 0; i < mr; i++) store_row((uint8_t *)c + i * c_stride, bytes[i], nc);
}
