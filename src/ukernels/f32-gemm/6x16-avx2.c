/* Float32 GEMM tile for AVX2 + FMA, 6 rows x 16 columns: 12 ymm accumulators, two weight
   vectors and one broadcast per row and k step. Contract in f32-gemm.h. */
#include <immintrin.h>
#include <stdint.h>

#include "ukernels/f32-gemm/f32-gemm.h"

enum { MR = 6, NR = 16 };

/* Stores the first n (< 8) lanes of v. */
static void store_partial(float *out, __m256 v, size_t n) {
  float tmp[8];
  _mm256_storeu_ps(tmp, v);
  for (size_t j = 0; j < n; j++) out[j] = tmp[j];
}

void q8_f32_gemm_minmax_ukernel_6x16__avx2(size_t mr, size_t nc, size_t kc, const float *a,
                                           size_t a_stride, const float *w, float *c,
                                           size_t c_stride, const q8_f32_minmax_params *params) {
  const float *rows[MR];
  for (size_t i = 0; i < MR; i++)
    rows[i] = (const float *)((const uint8_t *)a + (i < mr ? i : mr - 1) * a_stride);
  /* Named accumulators: an array indexed after the loop made GCC keep them in memory. */
  const __m256 bias0 = _mm256_loadu_ps(w), bias1 = _mm256_loadu_ps(w + 8);
  __m256 c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
  __m256 c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
  const float *a0 = rows[0], *a1 = rows[1], *a2 = rows[2], *a3 = rows[3], *a4 = rows[4],
              *a5 = rows[5];
  w += NR;
  for (size_t k = 0; k < kc; k++, w += NR) {
    const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
    __m256 x = _mm256_broadcast_ss(a0 + k);
    c00 = _mm256_fmadd_ps(x, w0, c00);
    c01 = _mm256_fmadd_ps(x, w1, c01);
    x = _mm256_broadcast_ss(a1 + k);
    c10 = _mm256_fmadd_ps(x, w0, c10);
    c11 = _mm256_fmadd_ps(x, w1, c11);
    x = _mm256_broadcast_ss(a2 + k);
    c20 = _mm256_fmadd_ps(x, w0, c20);
    c21 = _mm256_fmadd_ps(x, w1, c21);
    x = _mm256_broadcast_ss(a3 + k);
    c30 = _mm256_fmadd_ps(x, w0, c30);
    c31 = _mm256_fmadd_ps(x, w1, c31);
    x = _mm256_broadcast_ss(a4 + k);
    c40 = _mm256_fmadd_ps(x, w0, c40);
    c41 = _mm256_fmadd_ps(x, w1, c41);
    x = _mm256_broadcast_ss(a5 + k);
    c50 = _mm256_fmadd_ps(x, w0, c50);
    c51 = _mm256_fmadd_ps(x, w1, c51);
  }
  const __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                             {c30, c31}, {c40, c41}, {c50, c51}};
  const __m256 lo = _mm256_set1_ps(params->min), hi = _mm256_set1_ps(params->max);
  for (size_t i = 0; i < mr; i++) {
    float *out = (float *)((uint8_t *)c + i * c_stride);
    const __m256 v0 = _mm256_min_ps(_mm256_max_ps(acc[i][0], lo), hi);
    const __m256 v1 = _mm256_min_ps(_mm256_max_ps(acc[i][1], lo), hi);
    if (nc >= 16) {
      _mm256_storeu_ps(out, v0);
      _mm256_storeu_ps(out + 8, v1);
    } else if (nc >= 8) {
      _mm256_storeu_ps(out, v0);
      store_partial(out + 8, v1, nc - 8);
    } else {
      store_partial(out, v0, nc);
    }
  }
}
