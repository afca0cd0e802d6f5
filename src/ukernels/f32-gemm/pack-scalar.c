/* Packing of float32 GEMM weights into nr-column panels with the bias first (prepare time). */
#include "ukernels/f32-gemm/f32-gemm.h"

size_t q8_f32_gemm_packed_floats(size_t n, size_t kc, size_t nr) {
  const size_t panels = (n + nr - 1) / nr;
  return panels * (kc + 1) * nr;
}

void q8_f32_gemm_pack_weights(size_t n, size_t kc, size_t nr, const float *w, const float *bias,
                              float *packed) {
  for (size_t n0 = 0; n0 < n; n0 += nr) {
    for (size_t j = 0; j < nr; j++)
      *packed++ = (n0 + j < n && bias != NULL) ? bias[n0 + j] : 0.0f;
    for (size_t k = 0; k < kc; k++)
      for (size_t j = 0; j < nr; j++) *packed++ = n0 + j < n ? w[(n0 + j) * kc + k] : 0.0f;
  }
}
