/* ARMv8.2 dot-product 8-bit GEMM tile, 8 rows x 8 columns over the shared c4 packing: 16
   q-register accumulators, one SDOT (lane-indexed: 4 bytes of one row against 4 columns x 4
   bytes of K) per 16 multiply-accumulates. Contract in qs8-qc8w-gemm.h.
   The packing hands unsigned activations u and signed weights s (VNNI's form); baseline
   AArch64 dot products are signed x signed (USDOT needs i8mm), so each activation is flipped
   back to x = u - 128 (one EOR per 16 bytes of a row) and u * s = x * s + 128 * s: the panel's
   column sums of s are taken by one SDOT against ones per weight vector (2 per 16 SDOTs of
   the tile) and added shifted left by 7 at the end. Sums are modulo 2^32 like the scalar
   twin's. The last step is out8-neon.h's. */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"
#include "ukernels/qs8-qc8w-gemm/out8-neon.h"

enum { MR = 8, NR = 8, KR = Q8_QS8_GEMM_KR };

void q8_qs8_qc8w_gemm_minmax_ukernel_8x8c4__neondot(size_t mr, size_t nc, size_t kc,
                                                    const uint8_t *a, size_t a_stride,
                                                    const void *packed,
                                                    const int32_t *row_terms, void *c,
                                                    size_t c_stride,
                                                    const q8_qs8_gemm_params *params) {
  /* Rows past mr repeat the last one (computed, never stored). */
  const uint8_t *rows[MR];
  for (size_t i = 0; i < MR; i++) rows[i] = a + (i < mr ? i : mr - 1) * a_stride;
  const int8_t *w = (const int8_t *)packed + NR * sizeof(int32_t);
  const int8x16_t ones = vdupq_n_s8(1);
  const uint8x16_t flip = vdupq_n_u8(0x80);
  int32x4_t acc[MR][2], wsum0 = vdupq_n_s32(0), wsum1 = vdupq_n_s32(0);
  for (size_t i = 0; i < MR; i++) acc[i][0] = acc[i][1] = vdupq_n_s32(0);
  /* 16 bytes of K per step: the 8 weight vectors stay in registers while the rows pass one
     at a time (16 accumulators + 8 weights + 1 row + 2 sums + 2 constants: 29 of 32). */
  size_t k = 0;
  for (; k + 16 <= kc; k += 16, w += 4 * NR * KR) {
    int8x16_t wv[4][2];
    for (size_t g = 0; g < 4; g++) {
      wv[g][0] = vld1q_s8(w + g * NR * KR);
      wv[g][1] = vld1q_s8(w + g * NR * KR + 16);
      wsum0 = vdotq_s32(wsum0, wv[g][0], ones);
      wsum1 = vdotq_s32(wsum1, wv[g][1], ones);
    }
    for (size_t i = 0; i < MR; i++) {
      const int8x16_t x = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(rows[i] + k), flip));
      acc[i][0] = vdotq_laneq_s32(acc[i][0], wv[0][0], x, 0);
      acc[i][1] = vdotq_laneq_s32(acc[i][1], wv[0][1], x, 0);
      acc[i][0] = vdotq_laneq_s32(acc[i][0], wv[1][0], x, 1);
      acc[i][1] = vdotq_laneq_s32(acc[i][1], wv[1][1], x, 1);
      acc[i][0] = vdotq_laneq_s32(acc[i][0], wv[2][0], x, 2);
      acc[i][1] = vdotq_laneq_s32(acc[i][1], wv[2][1], x, 2);
      acc[i][0] = vdotq_laneq_s32(acc[i][0], wv[3][0], x, 3);
      acc[i][1] = vdotq_laneq_s32(acc[i][1], wv[3][1], x, 3);
    }
  }
  for (; k < kc; k += KR, w += NR * KR) {
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
    wsum0 = vdotq_s32(wsum0, w0, ones);
    wsum1 = vdotq_s32(wsum1, w1, ones);
    for (size_t i = 0; i < MR; i++) {
      uint32_t v;
      memcpy(&v, rows[i] + k, sizeof v);
      const int8x16_t x = vreinterpretq_s8_u32(vdupq_n_u32(v ^ UINT32_C(0x80808080)));
      acc[i][0] = vdotq_s32(acc[i][0], w0, x);
      acc[i][1] = vdotq_s32(acc[i][1], w1, x);
    }
  }
  const q8_neon_out8 out = q8_neon_out8_init(packed, (const uint8_t *)w, wsum0, wsum1, params);
  for (size_t i = 0; i < mr; i++)
    q8_neon_out8_store(&out, acc[i][0], acc[i][1], row_terms != NULL ? row_terms[i] : 0,
                       (uint8_t *)c + i * c_stride, nc);
}
