/* Portable 8-bit GEMM tile, 4 rows x 8 columns over the packed c4 layout: the scalar path's
   production kernel and the twin every SIMD variant is tested against. Contract in
   qs8-qc8w-gemm.h; the output stage is fixedpoint.h's, called per element. */
#include <string.h>

#include "quant/fixedpoint.h"
#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"

enum { MR = 4, NR = 8, KR = Q8_QS8_GEMM_KR };

static int32_t load_i32(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static int32_t output_stage(uint32_t acc, int32_t multiplier, int32_t shift,
                            const q8_qs8_gemm_params *params) {
  const int32_t scaled = q8_multiply_by_quantized_multiplier((int32_t)acc, multiplier, (int)shift);
  int32_t v = (int32_t)((uint32_t)scaled + (uint32_t)params->output_zero_point);
  if (v < params->output_min) v = params->output_min;
  if (v > params->output_max) v = params->output_max;
  return v;
}

void q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__scalar(size_t mr, size_t nc, size_t kc,
                                                   const uint8_t *a, size_t a_stride,
                                                   const void *w, const int32_t *row_terms,
                                                   void *c, size_t c_stride,
                                                   const q8_qs8_gemm_params *params) {
  const uint8_t *panel = w;
  const uint8_t *weights = panel + NR * sizeof(int32_t);
  const uint8_t *tail = weights + NR * kc;
  /* Sums modulo 2^32, as the reference takes them. */
  uint32_t acc[MR][NR];
  for (size_t i = 0; i < mr; i++) {
    const uint32_t row = row_terms != NULL ? (uint32_t)row_terms[i] : 0;
    for (size_t j = 0; j < NR; j++) acc[i][j] = (uint32_t)load_i32(panel + 4 * j) + row;
  }
  for (size_t k = 0; k < kc; k += KR, weights += NR * KR) {
    for (size_t i = 0; i < mr; i++) {
      const uint8_t *x = a + i * a_stride + k;
      for (size_t j = 0; j < NR; j++) {
        const int8_t *wj = (const int8_t *)weights + j * KR;
        int32_t dot = 0;
        for (size_t l = 0; l < KR; l++) dot += (int32_t)x[l] * (int32_t)wj[l];
        acc[i][j] += (uint32_t)dot;
      }
    }
  }
  for (size_t i = 0; i < mr; i++) {
    uint8_t *out = (uint8_t *)c + i * c_stride;
    for (size_t j = 0; j < nc; j++) {
      const int32_t v = output_stage(acc[i][j], load_i32(tail + 4 * j),
                                     load_i32(tail + 4 * (NR + j)), params);
      out[j] = (uint8_t)v;
    }
  }
}
