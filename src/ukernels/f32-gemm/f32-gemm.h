/* Float32 GEMM micro-kernels for the float inference path (CONV_2D, FULLY_CONNECTED):
   C[m][n] = clamp(bias[n] + sum_k A[m][k] * W[n][k], min, max) with W packed at prepare. */
#ifndef Q8_UKERNELS_F32_GEMM_H
#define Q8_UKERNELS_F32_GEMM_H

#include <stddef.h>

/* Output clamp of the fused activation (NONE: -inf/+inf, RELU: 0/+inf, RELU6: 0/6). */
typedef struct q8_f32_minmax_params {
  float min, max;
} q8_f32_minmax_params;

/* Packed weights, one panel per nr output columns (the last panel padded with zeros):
   nr biases, then for k in [0, kc): the nr weights W[n0 .. n0+nr)[k]. A panel is
   (kc + 1) * nr floats. w is [n][kc] row-major (TFLite's [O,H,W,I] filter or [units, depth]
   FC weights); bias may be NULL (zeros). */
size_t q8_f32_gemm_packed_floats(size_t n, size_t kc, size_t nr);
void q8_f32_gemm_pack_weights(size_t n, size_t kc, size_t nr, const float *w, const float *bias,
                              float *packed);

/* One tile: mr rows (1 <= mr <= MR) of A, each kc floats at a + i * a_stride bytes, times one
   packed panel of nr columns, of which the first nc (1 <= nc <= NR) are stored to
   c + i * c_stride bytes. Reads only mr rows and nc columns of C memory. */
typedef void (*q8_f32_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, const float *a,
                                       size_t a_stride, const float *w, float *c,
                                       size_t c_stride, const q8_f32_minmax_params *params);

/* The portable kernel (the scalar path and ISAs without a float kernel): MR 4, NR 32. */
void q8_f32_gemm_minmax_ukernel_4x32__scalar(size_t mr, size_t nc, size_t kc, const float *a,
                                             size_t a_stride, const float *w, float *c,
                                             size_t c_stride,
                                             const q8_f32_minmax_params *params);
/* AVX-512F with FMA (the avx512vnni path; uses no VNNI): MR 8, NR 32. */
void q8_f32_gemm_minmax_ukernel_8x32__avx512vnni(size_t mr, size_t nc, size_t kc,
                                                 const float *a, size_t a_stride,
                                                 const float *w, float *c, size_t c_stride,
                                                 const q8_f32_minmax_params *params);
/* AVX2 with FMA: MR 6, NR 16. */
void q8_f32_gemm_minmax_ukernel_6x16__avx2(size_t mr, size_t nc, size_t kc, const float *a,
                                           size_t a_stride, const float *w, float *c,
                                           size_t c_stride, const q8_f32_minmax_params *params);
/* AArch64 Advanced SIMD (the neon and neondot paths): MR 4, NR 16. */
void q8_f32_gemm_minmax_ukernel_4x16__neon(size_t mr, size_t nc, size_t kc, const float *a,
                                           size_t a_stride, const float *w, float *c,
                                           size_t c_stride, const q8_f32_minmax_params *params);

#endif
