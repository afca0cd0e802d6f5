/* Baseline AArch64 Advanced SIMD 8-bit GEMM tile (no dot product), 4 rows x 8 columns over
   the shared c4 packing: the paper's appendix technique. Activations are flipped back to
   signed x = u - 128; SMULL multiplies 8 signed byte pairs into int16, SMLAL adds the pairs of
   the next 4 bytes of K into the same int16 lanes, SADALP adds adjacent int16 lanes into the
   int32 accumulators. Two products per int16 lane stay in range only while no weight is -128
   (|x * s| <= 128 * 127, twice that < 2^15; two (-128) * (-128) would be 2^15): the caller
   checks the weights at prepare and uses another kernel otherwise (q8_quant_gemm_prepare).
   u * s = x * s + 128 * s: the panel's column sums of s (SADDLP/SADALP per weight vector) are
   added shifted left by 7 at the end. Contract in qs8-qc8w-gemm.h, with that restriction on
   the weights. The last step is out8-neon.h's. */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"
#include "ukernels/qs8-qc8w-gemm/out8-neon.h"

enum { MR = 4, NR = 8, KR = Q8_QS8_GEMM_KR };

/* 4 bytes of K of a row (lane 0 or 1 of x) repeated into 16 bytes. */
#define BROADCAST_K4(x, lane) vreinterpretq_s8_s32(vdupq_lane_s32(vreinterpret_s32_s8(x), lane))

void q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__neon(size_t mr, size_t nc, size_t kc,
                                                 const uint8_t *a, size_t a_stride,
                                                 const void *packed, const int32_t *row_terms,
                                                 void *c, size_t c_stride,
                                                 const q8_qs8_gemm_params *params) {
  const uint8_t *rows[MR];
  for (size_t i = 0; i < MR; i++) rows[i] = a + (i < mr ? i : mr - 1) * a_stride;
  const int8_t *w = (const int8_t *)packed + NR * sizeof(int32_t);
  const uint8x8_t flip = vdup_n_u8(0x80);
  /* acc[i][p]: columns 2p and 2p+1 of row i, two int32 lanes each (summed at the end). */
  int32x4_t acc[MR][4], wsum0 = vdupq_n_s32(0), wsum1 = vdupq_n_s32(0);
  for (size_t i = 0; i < MR; i++)
    for (size_t p = 0; p < 4; p++) acc[i][p] = vdupq_n_s32(0);
  size_t k = 0;
  for (; k + 2 * KR <= kc; k += 2 * KR) {
    const int8x16_t wa0 = vld1q_s8(w), wa1 = vld1q_s8(w + 16);
    const int8x16_t wb0 = vld1q_s8(w + 32), wb1 = vld1q_s8(w + 48);
    w += 2 * NR * KR;
    wsum0 = vpadalq_s16(wsum0, vpadalq_s8(vpaddlq_s8(wa0), wb0));
    wsum1 = vpadalq_s16(wsum1, vpadalq_s8(vpaddlq_s8(wa1), wb1));
    for (size_t i = 0; i < MR; i++) {
      const int8x8_t x = vreinterpret_s8_u8(veor_u8(vld1_u8(rows[i] + k), flip));
      const int8x16_t xa = BROADCAST_K4(x, 0), xb = BROADCAST_K4(x, 1);
      int16x8_t p0 = vmull_s8(vget_low_s8(wa0), vget_low_s8(xa));
      int16x8_t p1 = vmull_high_s8(wa0, xa);
      int16x8_t p2 = vmull_s8(vget_low_s8(wa1), vget_low_s8(xa));
      int16x8_t p3 = vmull_high_s8(wa1, xa);
      p0 = vmlal_s8(p0, vget_low_s8(wb0), vget_low_s8(xb));
      p1 = vmlal_high_s8(p1, wb0, xb);
      p2 = vmlal_s8(p2, vget_low_s8(wb1), vget_low_s8(xb));
      p3 = vmlal_high_s8(p3, wb1, xb);
      acc[i][0] = vpadalq_s16(acc[i][0], p0);
      acc[i][1] = vpadalq_s16(acc[i][1], p1);
      acc[i][2] = vpadalq_s16(acc[i][2], p2);
      acc[i][3] = vpadalq_s16(acc[i][3], p3);
    }
  }
  if (k < kc) { /* kc is a multiple of KR: one group of 4 left */
    const int8x16_t wa0 = vld1q_s8(w), wa1 = vld1q_s8(w + 16);
    w += NR * KR;
    wsum0 = vpadalq_s16(wsum0, vpaddlq_s8(wa0));
    wsum1 = vpadalq_s16(wsum1, vpaddlq_s8(wa1));
    for (size_t i = 0; i < MR; i++) {
      uint32_t v;
      memcpy(&v, rows[i] + k, sizeof v);
      const int8x16_t xa = vreinterpretq_s8_u32(vdupq_n_u32(v ^ UINT32_C(0x80808080)));
      acc[i][0] = vpadalq_s16(acc[i][0], vmull_s8(vget_low_s8(wa0), vget_low_s8(xa)));
      acc[i][1] = vpadalq_s16(acc[i][1], vmull_high_s8(wa0, xa));
      acc[i][2] = vpadalq_s16(acc[i][2], vmull_s8(vget_low_s8(wa1), vget_low_s8(xa)));
      acc[i][3] = vpadalq_s16(acc[i][3], vmull_high_s8(wa1, xa));
    }
  }
  const q8_neon_out8 out = q8_neon_out8_init(packed, (const uint8_t *)w, wsum0, wsum1, params);
  for (size_t i = 0; i < mr; i++)
    q8_neon_out8_store(&out, vpaddq_s32(acc[i][0], acc[i][1]), vpaddq_s32(acc[i][2], acc[i][3]),
                       row_terms != NULL ? row_terms[i] : 0, (uint8_t *)c + i * c_stride, nc);
}
