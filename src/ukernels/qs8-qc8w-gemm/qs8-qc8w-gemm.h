/* 8-bit GEMM micro-kernels for CONV_2D and FULLY_CONNECTED (int8 and uint8 models):
   C[m][n] = requantize(bias[n] + row_term[m] + sum_k A[m][k] * W[n][k]) with A unsigned bytes,
   W signed bytes packed at prepare, and TFLite's exact output stage. doc/kernels.md has the
   algebra that maps both model kinds onto this one form. */
#ifndef Q8_UKERNELS_QS8_QC8W_GEMM_H
#define Q8_UKERNELS_QS8_QC8W_GEMM_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of K per dot-product step: the packed K (kc) is a multiple of it. */
enum { Q8_QS8_GEMM_KR = 4 };

/* The output stage after the per-column multiplier and shift: + output zero point (wrapping
   like TFLite's int32 add), clamp to [output_min, output_max] (inside the output type), and
   the low byte stored (int8 or uint8 alike). */
typedef struct q8_qs8_gemm_params {
  int32_t output_zero_point;
  int32_t output_min, output_max;
} q8_qs8_gemm_params;

/* Packed weights: one panel per nr output columns (the last padded with zero columns):
     int32 bias[nr]
     for each group g of KR bytes of K (kc / KR groups): for each column j: W[j][KR*g .. +KR)
     int32 multiplier[nr]   (Q31, any int32)
     int32 shift[nr]        (> 0 shifts left first, < 0 rounds right last; in [-31, 30])
   A panel has q8_qs8_gemm_panel_bytes(kc, nr) bytes; kc is K rounded up to KR. */
size_t q8_qs8_gemm_panel_bytes(size_t kc, size_t nr);

/* Packs w ([n][k] row-major, signed bytes after adding weight_offset modulo 256: 0 for int8
   weights, 128 for uint8 ones) with bias[n], multiplier[n], shift[n] into
   ceil(n / nr) panels at packed (zero-initialised by the caller). */
void q8_qs8_gemm_pack_weights(size_t n, size_t k, size_t nr, const uint8_t *w,
                              uint8_t weight_offset, const int32_t *bias,
                              const int32_t *multiplier, const int32_t *shift, void *packed);

/* One tile: mr rows (1 <= mr <= MR) of A, each kc bytes at a + i * a_stride, times one packed
   panel of NR columns; the first nc (1 <= nc <= NR) columns of each row go to
   c + i * c_stride (bytes). row_terms: mr int32 added to every column of their row, or NULL.
   Reads exactly mr rows of kc bytes and one panel; writes mr rows of nc bytes. */
typedef void (*q8_qs8_gemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                       size_t a_stride, const void *w, const int32_t *row_terms,
                                       void *c, size_t c_stride,
                                       const q8_qs8_gemm_params *params);

/* The portable kernel (the scalar path, and paths without a variant of their own). */
void q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__scalar(size_t mr, size_t nc, size_t kc,
                                                   const uint8_t *a, size_t a_stride,
                                                   const void *w, const int32_t *row_terms,
                                                   void *c, size_t c_stride,
                                                   const q8_qs8_gemm_params *params);
/* AVX2 (vpmaddwd on int16-extended bytes): 4 rows x 8 columns, the scalar kernel's packing. */
void q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__avx2(size_t mr, size_t nc, size_t kc,
                                                 const uint8_t *a, size_t a_stride,
                                                 const void *w, const int32_t *row_terms,
                                                 void *c, size_t c_stride,
                                                 const q8_qs8_gemm_params *params);
/* AVX-512 VNNI (vpdpbusd): 8 rows x 32 columns, 16 zmm accumulators. */
void q8_qs8_qc8w_gemm_minmax_ukernel_8x32c4__avx512vnni(size_t mr, size_t nc, size_t kc,
                                                        const uint8_t *a, size_t a_stride,
                                                        const void *w,
                                                        const int32_t *row_terms, void *c,
                                                        size_t c_stride,
                                                        const q8_qs8_gemm_params *params);

/* AArch64 Advanced SIMD without dot product (SMULL/SMLAL into int16, SADALP into int32): 4 rows
   x 8 columns. Valid only when no packed weight is -128 (two int16 products would overflow):
   src/ops/quant-gemm-prepare.c checks and falls back. */
void q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__neon(size_t mr, size_t nc, size_t kc,
                                                 const uint8_t *a, size_t a_stride,
                                                 const void *w, const int32_t *row_terms,
                                                 void *c, size_t c_stride,
                                                 const q8_qs8_gemm_params *params);
/* ARMv8.2 dot product (SDOT, signed x signed after flipping activations back): 8 x 8. */
void q8_qs8_qc8w_gemm_minmax_ukernel_8x8c4__neondot(size_t mr, size_t nc, size_t kc,
                                                    const uint8_t *a, size_t a_stride,
                                                    const void *w, const int32_t *row_terms,
                                                    void *c, size_t c_stride,
                                                    const q8_qs8_gemm_params *params);

/* The activation side: rows of A packed from an NHWC input for a convolution window (a
   fully connected layer is the 1x1 case with in_h = in_w = 1). */
typedef struct q8_qs8_im2col {
  int32_t in_h, in_w, in_c;
  int32_t out_h, out_w;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
  int32_t pad_top, pad_left;
  uint8_t flip;         /* XORed into every byte: 0x80 turns int8 into the kernel's uint8 */
  uint8_t pad_byte;     /* what padding taps read: the input zero point, already flipped */
  int32_t row_factor;   /* row_terms[m] = row_factor * sum of row m's bytes; 0: none */
} q8_qs8_im2col;

/* Packs output pixels [m0, m0 + rows) (m = (b * out_h + oy) * out_w + ox) of input into
   rows of kc bytes at a (K = kernel_h * kernel_w * in_c real bytes, then zeros up to kc) and,
   when g->row_factor != 0, their row terms (mod 2^32) into row_terms. */
void q8_qs8_im2col_pack(const q8_qs8_im2col *g, size_t kc, const uint8_t *input, size_t m0,
                        size_t rows, uint8_t *a, int32_t *row_terms);

#endif
