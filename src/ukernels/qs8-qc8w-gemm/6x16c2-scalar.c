/* Portable 8-bit GEMM tile over the int16 (c2) layout, 6 rows x 16 columns: the twin the
   AVX2 c2 kernel is tested against. Contract in qs8-qc8w-gemm-c2.h; the output stage is
   fixedpoint.h's, per element. */
#include <string.h>

#include "quant/fixedpoint.h"
#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm-c2.h"

enum { MR = 6, NR = 16 };

static int32_t load_i32(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static int32_t load_i16(const uint8_t *p) {
  int16_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

void q8_qs8_qc8w_gemm_minmax_ukernel_6x16c2__scalar(size_t mr, size_t nc, size_t kc,
                                                    const uint8_t *a, size_t a_stride,
                                                    const void *w, const int32_t *row_terms,
                                                    void *c, size_t c_stride,
                                                    const q8_qs8_gemm_params *params) {
  (void)row_terms;
  const uint8_t *panel = w;
  const uint8_t *weights = panel + NR * sizeof(int32_t);
  const uint8_t *tail = weights + NR * kc * sizeof(int16_t);
  /* Sums modulo 2^32, as the reference takes them. */
  uint32_t acc[MR][NR];
  for (size_t i = 0; i < mr; i++)
    for (size_t j = 0; j < NR; j++) acc[i][j] = (uint32_t)load_i32(panel + 4 * j);
  for (size_t k = 0; k < kc; k++) {
    const size_t pair = k / 2, lane = k % 2;
    for (size_t i = 0; i < mr; i++) {
      const int32_t x = load_i16(a + i * a_stride + k * sizeof(int16_t));
      for (size_t j = 0; j < NR; j++) {
        const int32_t wj = load_i16(weights + ((pair * NR + j) * 2 + lane) * sizeof(int16_t));
        acc[i][j] += (uint32_t)(x * wj);
      }
    }
  }
  for (size_t i = 0; i < mr; i++) {
    uint8_t *out = (uint8_t *)c + i * c_stride;
    for (size_t j = 0; j < nc; j++) {
      const int32_t scaled = q8_multiply_by_quantized_multiplier(
          (int32_t)acc[i][j], load_i32(tail + 4 * j), (int)load_i32(tail + 4 * (NR + j)));
      int32_t v = (int32_t)((uint32_t)scaled + (uint32_t)params->output_zero_point);
      if (v < params->output_min) v = params->output_min;
      if (v > params->output_max) v = params->output_max;
      out[j] = (uint8_t)v;
    }
  }
}
