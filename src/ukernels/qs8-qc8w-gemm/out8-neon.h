/* The NEON GEMM kernels' last step for a panel of 8 columns: bias + 128 * the panel's column
   sums of s (the kernels multiply x = u - 128, so u * s = x * s + 128 * s), each row's term,
   then requant-neon.h's output stage and the row's nc bytes. Sums wrap modulo 2^32 like the
   scalar twin's. Included by the NEON kernel files only. */
#ifndef Q8_UKERNELS_QS8_QC8W_GEMM_OUT8_NEON_H
#define Q8_UKERNELS_QS8_QC8W_GEMM_OUT8_NEON_H

#include <arm_neon.h>
#include <string.h>

#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"
#include "ukernels/requant-neon.h"

typedef struct q8_neon_out8 {
  int32x4_t base[2], multiplier[2], left[2], right[2];
  int32x4_t zero_point, out_min, out_max;
} q8_neon_out8;

static inline int32x4_t q8_neon_load_i32x4(const uint8_t *p) {
  return vreinterpretq_s32_u8(vld1q_u8(p));
}

/* panel: the panel's start (bias); tail: just past its weights (multipliers, shifts). */
static inline q8_neon_out8 q8_neon_out8_init(const void *panel, const uint8_t *tail,
                                             int32x4_t wsum0, int32x4_t wsum1,
                                             const q8_qs8_gemm_params *params) {
  const uint8_t *bias = panel;
  const int32x4_t zero = vdupq_n_s32(0);
  q8_neon_out8 o;
  for (int h = 0; h < 2; h++) {
    const int32x4_t shift = q8_neon_load_i32x4(tail + 32 + 16 * h);
    o.multiplier[h] = q8_neon_load_i32x4(tail + 16 * h);
    o.left[h] = vmaxq_s32(shift, zero);
    o.right[h] = vminq_s32(shift, zero);
  }
  o.base[0] = vaddq_s32(q8_neon_load_i32x4(bias), vshlq_n_s32(wsum0, 7));
  o.base[1] = vaddq_s32(q8_neon_load_i32x4(bias + 16), vshlq_n_s32(wsum1, 7));
  o.zero_point = vdupq_n_s32(params->output_zero_point);
  o.out_min = vdupq_n_s32(params->output_min);
  o.out_max = vdupq_n_s32(params->output_max);
  return o;
}

/* Columns 0-3 in v0 and 4-7 in v1 (sums of x * s), row_term added, nc bytes to dst. */
static inline void q8_neon_out8_store(const q8_neon_out8 *o, int32x4_t v0, int32x4_t v1,
                                      int32_t row_term, uint8_t *dst, size_t nc) {
  const int32x4_t row = vdupq_n_s32(row_term);
  v0 = vaddq_s32(vaddq_s32(v0, o->base[0]), row);
  v1 = vaddq_s32(vaddq_s32(v1, o->base[1]), row);
  const uint8x8_t out = q8_neon_requant_store8(
      q8_neon_requant(v0, o->multiplier[0], o->left[0], o->right[0]),
      q8_neon_requant(v1, o->multiplier[1], o->left[1], o->right[1]), o->zero_point,
      o->out_min, o->out_max);
  if (nc == 8) {
    vst1_u8(dst, out);
  } else {
    uint8_t bytes[8];
    vst1_u8(bytes, out);
    memcpy(dst, bytes, nc);
  }
}

#endif
