/* Float32 GEMM tile for AVX-512F + FMA, 8 rows x 32 columns: 16 zmm accumulators, two weight
   vectors and one broadcast per row and k step (the float path of the avx512vnni ISA; no
   VNNI instruction is used). Contract in f32-gemm.h. */
#include <immintrin.h>
#include <stdint.h>

#include "ukernels/f32-gemm/f32-gemm.h"

enum { MR = 8, NR = 32 };

void q8_f32_gemm_minmax_ukernel_8x32__avx512vnni(size_t mr, size_t nc, size_t kc,
                                                 const float *a, size_t a_stride,
                                                 const float *w, float *c, size_t c_stride,
                                                 const q8_f32_minmax_params *params) {
  /* Rows past mr repeat the last one: computed, never stored. */
  const float *rows[MR];
  for (size_t i = 0; i < MR; i++)
    rows[i] = (const float *)((const uint8_t *)a + (i < mr ? i : mr - 1) * a_stride);
  __m512 acc[MR][2];
  const __m512 bias0 = _mm512_loadu_ps(w), bias1 = _mm512_loadu_ps(w + 16);
  for (size_t i = 0; i < MR; i++) {
    acc[i][0] = bias0;
    acc[i][1] = bias1;
  }
  w += NR;
  for (size_t k = 0; k < kc; k++, w += NR) {
    const __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16);
    for (size_t i = 0; i < MR; i++) {
      const __m512 x = _mm512_set1_ps(rows[i][k]);
      acc[i][0] = _mm512_fmadd_ps(x, w0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(x, w1, acc[i][1]);
    }
  }
  const __m512 lo = _mm512_set1_ps(params->min), hi = _mm512_set1_ps(params->max);
  const __mmask16 m0 = nc >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nc) - 1);
  const __mmask16 m1 = nc >= 32 ? (__mmask16)0xFFFF
                       : nc > 16 ? (__mmask16)((1u << (nc - 16)) - 1)
                                 : (__mmask16)0;
  for (size_t i = 0; i < mr; i++) {
    float *out = (float *)((uint8_t *)c + i * c_stride);
    _mm512_mask_storeu_ps(out, m0, _mm512_min_ps(_mm512_max_ps(acc[i][0], lo), hi));
    _mm512_mask_storeu_ps(out + 16, m1, _mm512_min_ps(_mm512_max_ps(acc[i][1], lo), hi));
  }
}
