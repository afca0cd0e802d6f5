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
  /* Named accumulators: an array indexed after the loop made GCC keep them in memory. */
  const __m512 bias0 = _mm512_loadu_ps(w), bias1 = _mm512_loadu_ps(w + 16);
  __m512 c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
  __m512 c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
  __m512 c60 = bias0, c61 = bias1, c70 = bias0, c71 = bias1;
  const float *a0 = rows[0], *a1 = rows[1], *a2 = rows[2], *a3 = rows[3], *a4 = rows[4],
              *a5 = rows[5], *a6 = rows[6], *a7 = rows[7];
  w += NR;
  for (size_t k = 0; k < kc; k++, w += NR) {
    const __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16);
    __m512 x = _mm512_set1_ps(a0[k]);
    c00 = _mm512_fmadd_ps(x, w0, c00);
    c01 = _mm512_fmadd_ps(x, w1, c01);
    x = _mm512_set1_ps(a1[k]);
    c10 = _mm512_fmadd_ps(x, w0, c10);
    c11 = _mm512_fmadd_ps(x, w1, c11);
    x = _mm512_set1_ps(a2[k]);
    c20 = _mm512_fmadd_ps(x, w0, c20);
    c21 = _mm512_fmadd_ps(x, w1, c21);
    x = _mm512_set1_ps(a3[k]);
    c30 = _mm512_fmadd_ps(x, w0, c30);
    c31 = _mm512_fmadd_ps(x, w1, c31);
    x = _mm512_set1_ps(a4[k]);
    c40 = _mm512_fmadd_ps(x, w0, c40);
    c41 = _mm512_fmadd_ps(x, w1, c41);
    x = _mm512_set1_ps(a5[k]);
    c50 = _mm512_fmadd_ps(x, w0, c50);
    c51 = _mm512_fmadd_ps(x, w1, c51);
    x = _mm512_set1_ps(a6[k]);
    c60 = _mm512_fmadd_ps(x, w0, c60);
    c61 = _mm512_fmadd_ps(x, w1, c61);
    x = _mm512_set1_ps(a7[k]);
    c70 = _mm512_fmadd_ps(x, w0, c70);
    c71 = _mm512_fmadd_ps(x, w1, c71);
  }
  const __m512 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                             {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
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
