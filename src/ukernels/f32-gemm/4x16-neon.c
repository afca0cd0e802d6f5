/* Float32 GEMM tile for AArch64 Advanced SIMD, 4 rows x 16 columns: 16 q-register
   accumulators, four weight vectors and one broadcast per row and k step. Contract in
   f32-gemm.h. */
#include <arm_neon.h>
#include <stdint.h>

#include "ukernels/f32-gemm/f32-gemm.h"

enum { MR = 4, NR = 16 };

static float32x4_t clamp(float32x4_t v, const q8_f32_minmax_params *params) {
  return vminq_f32(vmaxq_f32(v, vdupq_n_f32(params->min)), vdupq_n_f32(params->max));
}

void q8_f32_gemm_minmax_ukernel_4x16__neon(size_t mr, size_t nc, size_t kc, const float *a,
                                           size_t a_stride, const float *w, float *c,
                                           size_t c_stride, const q8_f32_minmax_params *params) {
  const float *rows[MR];
  for (size_t i = 0; i < MR; i++)
    rows[i] = (const float *)((const uint8_t *)a + (i < mr ? i : mr - 1) * a_stride);
  const float *a0 = rows[0], *a1 = rows[1], *a2 = rows[2], *a3 = rows[3];
  const float32x4_t b0 = vld1q_f32(w), b1 = vld1q_f32(w + 4), b2 = vld1q_f32(w + 8),
                    b3 = vld1q_f32(w + 12);
  float32x4_t c00 = b0, c01 = b1, c02 = b2, c03 = b3, c10 = b0, c11 = b1, c12 = b2, c13 = b3;
  float32x4_t c20 = b0, c21 = b1, c22 = b2, c23 = b3, c30 = b0, c31 = b1, c32 = b2, c33 = b3;
  w += NR;
  for (size_t k = 0; k < kc; k++, w += NR) {
    const float32x4_t w0 = vld1q_f32(w), w1 = vld1q_f32(w + 4), w2 = vld1q_f32(w + 8),
                      w3 = vld1q_f32(w + 12);
    float32x4_t x = vdupq_n_f32(a0[k]);
    c00 = vfmaq_f32(c00, x, w0);
    c01 = vfmaq_f32(c01, x, w1);
    c02 = vfmaq_f32(c02, x, w2);
    c03 = vfmaq_f32(c03, x, w3);
    x = vdupq_n_f32(a1[k]);
    c10 = vfmaq_f32(c10, x, w0);
    c11 = vfmaq_f32(c11, x, w1);
    c12 = vfmaq_f32(c12, x, w2);
    c13 = vfmaq_f32(c13, x, w3);
    x = vdupq_n_f32(a2[k]);
    c20 = vfmaq_f32(c20, x, w0);
    c21 = vfmaq_f32(c21, x, w1);
    c22 = vfmaq_f32(c22, x, w2);
    c23 = vfmaq_f32(c23, x, w3);
    x = vdupq_n_f32(a3[k]);
    c30 = vfmaq_f32(c30, x, w0);
    c31 = vfmaq_f32(c31, x, w1);
    c32 = vfmaq_f32(c32, x, w2);
    c33 = vfmaq_f32(c33, x, w3);
  }
  const float32x4_t acc[MR][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13},
                                  {c20, c21, c22, c23}, {c30, c31, c32, c33}};
  for (size_t i = 0; i < mr; i++) {
    float *out = (float *)((uint8_t *)c + i * c_stride);
    float tmp[NR];
    for (size_t q = 0; q < 4; q++) vst1q_f32(tmp + 4 * q, clamp(acc[i][q], params));
    if (nc == NR) {
      for (size_t q = 0; q < 4; q++) vst1q_f32(out + 4 * q, vld1q_f32(tmp + 4 * q));
    } else {
      for (size_t j = 0; j < nc; j++) out[j] = tmp[j];
    }
  }
}
