/* Portable float32 GEMM tile, 4 rows x 32 columns (see f32-gemm.h for the contract). */
#include "ukernels/f32-gemm/f32-gemm.h"

#include <stdint.h>

enum { MR = 4, NR = 32 };

void q8_f32_gemm_minmax_ukernel_4x32__scalar(size_t mr, size_t nc, size_t kc, const float *a,
                                             size_t a_stride, const float *w, float *c,
                                             size_t c_stride,
                                             const q8_f32_minmax_params *params) {
  const float *rows[MR];
  for (size_t i = 0; i < MR; i++)
    rows[i] = (const float *)((const uint8_t *)a + (i < mr ? i : mr - 1) * a_stride);
  float acc[MR][NR];
  for (size_t i = 0; i < MR; i++)
    for (size_t j = 0; j < NR; j++) acc[i][j] = w[j];
  w += NR;
  for (size_t k = 0; k < kc; k++, w += NR) {
    for (size_t i = 0; i < MR; i++) {
      const float x = rows[i][k];
      for (size_t j = 0; j < NR; j++) acc[i][j] += x * w[j];
    }
  }
  for (size_t i = 0; i < mr; i++) {
    float *out = (float *)((uint8_t *)c + i * c_stride);
    for (size_t j = 0; j < nc; j++) {
      float v = acc[i][j] < params->min ? params->min : acc[i][j];
      out[j] = v > params->max ? params->max : v;
    }
  }
}
