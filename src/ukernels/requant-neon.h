/* TFLite's per-channel output stage on AArch64 Advanced SIMD, four int32 lanes at a time,
   bit-exact with quant/fixedpoint.h's q8_multiply_by_quantized_multiplier:
   - the left shift (shift > 0) wraps modulo 2^32 (SSHL, as TFLite's x * (1 << left));
   - SQRDMULH is gemmlowp's SaturatingRoundingDoublingHighMul exactly: (ab + 2^30) >> 31
     rounded down equals (ab +- nudge) / 2^31 truncated for either sign, and it saturates the
     one overflow case (INT32_MIN * INT32_MIN) the same way;
   - SRSHL by -exponent alone rounds ties up (-2.5 -> -2) where RoundingDivideByPOT rounds
     them away from zero (-3): negative lanes are first lowered by one (saturating, so
     INT32_MIN stays put, which rounds the same), and only when exponent > 0 (the right
     shift vector is then negative, so x & right has x's sign bit).
   Included by the NEON kernel files only. */
#ifndef Q8_UKERNELS_REQUANT_NEON_H
#define Q8_UKERNELS_REQUANT_NEON_H

#include <arm_neon.h>

/* RoundingDivideByPOT by exponent = -right (right in [-31, 0] per lane). */
static inline int32x4_t q8_neon_rounding_divide_by_pot(int32x4_t x, int32x4_t right) {
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(x, right), 31);
  return vrshlq_s32(vqaddq_s32(x, fixup), right);
}

/* left = max(shift, 0), right = min(shift, 0) per lane. */
static inline int32x4_t q8_neon_requant(int32x4_t acc, int32x4_t multiplier, int32x4_t left,
                                        int32x4_t right) {
  return q8_neon_rounding_divide_by_pot(vqrdmulhq_s32(vshlq_s32(acc, left), multiplier), right);
}

/* Output zero point (wrapping add), clamp, and the low bytes of 8 lanes. */
static inline uint8x8_t q8_neon_requant_store8(int32x4_t lo, int32x4_t hi, int32x4_t zero_point,
                                               int32x4_t out_min, int32x4_t out_max) {
  lo = vminq_s32(vmaxq_s32(vaddq_s32(lo, zero_point), out_min), out_max);
  hi = vminq_s32(vmaxq_s32(vaddq_s32(hi, zero_point), out_min), out_max);
  return vmovn_u16(vreinterpretq_u16_s16(vcombine_s16(vmovn_s32(lo), vmovn_s32(hi))));
}

#endif
