/* AArch64 Advanced SIMD depthwise kernels (int8 and uint8), any number of taps, depth
   multiplier 1, on the scalar kernel's xp1c packing (int32 bias, multiplier, shift per
   channel, then int32 weights w - w_zp [taps][channels]). Per block of 16 channels and output
   pixel: each tap's 16 input bytes widened to int32 (SXTL/UXTL twice) and multiplied into 4
   accumulators with MLA against the weights; |w - w_zp| <= 255 and |x| <= 255, so products
   are exact and the adds wrap modulo 2^32 like the reference's sum. Then requant-neon.h's
   output stage. A last partial block goes through stack copies (nothing read or written past
   the channel count). Contract: qs8-qc8w-dwconv.h. */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "ukernels/qs8-qc8w-dwconv/qs8-qc8w-dwconv.h"
#include "ukernels/requant-neon.h"

enum { BLOCK = 16 };

/* 16 int32 from p (n valid: the rest zeros when n < 16). */
static inline void load_block_i32(const int32_t *p, size_t n, int32x4_t v[4]) {
  if (n == BLOCK) {
    for (int i = 0; i < 4; i++) v[i] = vld1q_s32(p + 4 * i);
    return;
  }
  int32_t copy[BLOCK] = {0};
  memcpy(copy, p, n * sizeof(int32_t));
  for (int i = 0; i < 4; i++) v[i] = vld1q_s32(copy + 4 * i);
}

/* 16 input bytes widened to int32 (n valid when n < 16). */
static inline void load_input(const uint8_t *p, size_t n, bool is_signed, int32x4_t x[4]) {
  uint8x16_t bytes;
  if (n == BLOCK) {
    bytes = vld1q_u8(p);
  } else {
    uint8_t copy[BLOCK] = {0};
    memcpy(copy, p, n);
    bytes = vld1q_u8(copy);
  }
  int16x8_t lo, hi;
  if (is_signed) {
    lo = vmovl_s8(vget_low_s8(vreinterpretq_s8_u8(bytes)));
    hi = vmovl_high_s8(vreinterpretq_s8_u8(bytes));
  } else {
    lo = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(bytes)));
    hi = vreinterpretq_s16_u16(vmovl_high_u8(bytes));
  }
  x[0] = vmovl_s16(vget_low_s16(lo));
  x[1] = vmovl_high_s16(lo);
  x[2] = vmovl_s16(vget_low_s16(hi));
  x[3] = vmovl_high_s16(hi);
}

static inline void dwconv_xp16c(size_t pixels, size_t channels, size_t taps,
                                const void *const *input, const void *packed, void *output,
                                size_t output_stride, const q8_qs8_dwconv_params *params,
                                bool is_signed) {
  const int32_t *bias = packed, *multipliers = bias + channels, *shifts = multipliers + channels;
  const int32_t *weights = shifts + channels;
  const int32x4_t zero = vdupq_n_s32(0), zp = vdupq_n_s32(params->output_zero_point);
  const int32x4_t lo = vdupq_n_s32(params->output_min), hi = vdupq_n_s32(params->output_max);
  for (size_t c = 0; c < channels; c += BLOCK) {
    const size_t n = channels - c < BLOCK ? channels - c : BLOCK;
    int32x4_t b[4], m[4], s[4], left[4], right[4];
    load_block_i32(bias + c, n, b);
    load_block_i32(multipliers + c, n, m);
    load_block_i32(shifts + c, n, s);
    for (int i = 0; i < 4; i++) {
      left[i] = vmaxq_s32(s[i], zero);
      right[i] = vminq_s32(s[i], zero);
    }
    for (size_t px = 0; px < pixels; px++) {
      const void *const *in = input + px * taps;
      int32x4_t acc[4] = {b[0], b[1], b[2], b[3]};
      for (size_t t = 0; t < taps; t++) {
        int32x4_t x[4], w[4];
        load_input((const uint8_t *)in[t] + c, n, is_signed, x);
        load_block_i32(weights + t * channels + c, n, w);
        for (int i = 0; i < 4; i++) acc[i] = vmlaq_s32(acc[i], x[i], w[i]);
      }
      int16x4_t q[4];
      for (int i = 0; i < 4; i++) {
        const int32x4_t v = vaddq_s32(q8_neon_requant(acc[i], m[i], left[i], right[i]), zp);
        q[i] = vmovn_s32(vminq_s32(vmaxq_s32(v, lo), hi));
      }
      const uint8x16_t bytes = vreinterpretq_u8_s8(
          vcombine_s8(vmovn_s16(vcombine_s16(q[0], q[1])), vmovn_s16(vcombine_s16(q[2], q[3]))));
      uint8_t *out = (uint8_t *)output + px * output_stride + c;
      if (n == BLOCK) {
        vst1q_u8(out, bytes);
      } else {
        uint8_t copy[BLOCK];
        vst1q_u8(copy, bytes);
        memcpy(out, copy, n);
      }
    }
  }
}

void q8_qs8_qc8w_dwconv_minmax_ukernel_xp16c__neon(size_t pixels, size_t channels, size_t taps,
                                                   const void *const *input, const void *packed,
                                                   void *output, size_t output_stride,
                                                   const q8_qs8_dwconv_params *params) {
  dwconv_xp16c(pixels, channels, taps, input, packed, output, output_stride, params, true);
}

void q8_qu8_dwconv_minmax_ukernel_xp16c__neon(size_t pixels, size_t channels, size_t taps,
                                              const void *const *input, const void *packed,
                                              void *output, size_t output_stride,
                                              const q8_qs8_dwconv_params *params) {
  dwconv_xp16c(pixels, channels, taps, input, packed, output, output_stride, params, false);
}
