/* Plain-C stand-ins for the AVX-512F float intrinsics of the float32 GEMM and depthwise
   kernels, from the instruction definitions in Intel's manual (VFMADD231PS rounds once:
   fmaf; VMAXPS/VMINPS return the second operand unless the first is greater/smaller).
   A test includes this, then a kernel's own source, so that the AVX-512 float kernels are
   checked on machines without AVX-512. Include before anything that includes
   <immintrin.h> (this header takes its include guards). */
#ifndef Q8_TEST_F32_AVX512_EMULATION_H
#define Q8_TEST_F32_AVX512_EMULATION_H

#if defined(_IMMINTRIN_H_INCLUDED) || defined(__IMMINTRIN_H)
#error "f32-avx512-emulation.h must come before any <immintrin.h>"
#endif
#define _IMMINTRIN_H_INCLUDED /* GCC's guard */
#define __IMMINTRIN_H         /* Clang's guard */

#include <math.h>
#include <stdint.h>

typedef struct {
  float f[16];
} __m512;
typedef uint16_t __mmask16;

#define EMU_LANES(expr)                          \
  __m512 r;                                      \
  for (int i = 0; i < 16; i++) r.f[i] = (expr); \
  return r

static inline __m512 _mm512_loadu_ps(const float *p) { EMU_LANES(p[i]); }
static inline __m512 _mm512_maskz_loadu_ps(__mmask16 m, const float *p) {
  EMU_LANES((m >> i) & 1 ? p[i] : 0.0f); /* masked-off lanes are not read */
}
static inline __m512 _mm512_set1_ps(float v) { EMU_LANES(v); }
static inline __m512 _mm512_fmadd_ps(__m512 a, __m512 b, __m512 c) {
  EMU_LANES(fmaf(a.f[i], b.f[i], c.f[i]));
}
static inline __m512 _mm512_max_ps(__m512 a, __m512 b) { EMU_LANES(a.f[i] > b.f[i] ? a.f[i] : b.f[i]); }
static inline __m512 _mm512_min_ps(__m512 a, __m512 b) { EMU_LANES(a.f[i] < b.f[i] ? a.f[i] : b.f[i]); }
static inline void _mm512_storeu_ps(float *p, __m512 v) {
  for (int i = 0; i < 16; i++) p[i] = v.f[i];
}
static inline void _mm512_mask_storeu_ps(float *p, __mmask16 m, __m512 v) {
  for (int i = 0; i < 16; i++)
    if ((m >> i) & 1) p[i] = v.f[i];
}

#undef EMU_LANES
#endif
