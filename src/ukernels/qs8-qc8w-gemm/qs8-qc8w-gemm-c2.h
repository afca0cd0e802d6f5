/* The int16 ("c2") layout of the 8-bit GEMM: weights widened to int16 at prepare and
   activations widened to int16 by the packer, so that an AVX2 kernel multiplies with one
   vpmaddwd per 16 products and no widening in its inner loop. Exact for both model kinds
   without any flip or row term: weights are stored as w - z_w (in [-255, 255]) and
   activations as their value (int8 sign-extended, uint8 zero-extended), so a pair sum is at
   most 2 * 255 * 255 in magnitude and

     acc = folded[n] + sum_k (w[n][k] - z_w) x[m][k]   (mod 2^32)

   is the reference's sum itself; the bias is the folded bias. doc/kernels.md. */
#ifndef Q8_UKERNELS_QS8_QC8W_GEMM_C2_H
#define Q8_UKERNELS_QS8_QC8W_GEMM_C2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"

/* Elements of K per step: kc (in elements) is K rounded up to it. */
enum { Q8_QS8_GEMM_C2_KR = 2 };

/* Packed weights: one panel per nr output columns (the last padded with zero columns):
     int32 bias[nr]
     for each pair g of K (kc / 2 pairs): for each column j: int16 W'[j][2g], W'[j][2g + 1]
     int32 multiplier[nr], int32 shift[nr]
   with W' = w - weight_zero_point (w read as int8 when is_signed, else as uint8). */
size_t q8_qs8_gemm_c2_panel_bytes(size_t kc, size_t nr);
void q8_qs8_gemm_c2_pack_weights(size_t n, size_t k, size_t nr, const uint8_t *w,
                                 bool is_signed, int32_t weight_zero_point, const int32_t *bias,
                                 const int32_t *multiplier, const int32_t *shift, void *packed);

/* Kernels of this layout have the type q8_qs8_gemm_ukernel_fn with: a pointing at int16
   rows (a_stride in bytes), kc in elements (a multiple of 2), row_terms ignored (pass NULL).
   Reads mr rows of kc int16 and one panel; writes mr rows of nc bytes. */

/* The portable twin of the c2 kernels: 6 rows x 16 columns. */
void q8_qs8_qc8w_gemm_minmax_ukernel_6x16c2__scalar(size_t mr, size_t nc, size_t kc,
                                                    const uint8_t *a, size_t a_stride,
                                                    const void *w, const int32_t *row_terms,
                                                    void *c, size_t c_stride,
                                                    const q8_qs8_gemm_params *params);
/* AVX2: per pair of K, two 32-byte weight loads, one 4-byte broadcast per row and two
   vpmaddwd per row into 12 ymm accumulators. */
void q8_qs8_qc8w_gemm_minmax_ukernel_6x16c2__avx2(size_t mr, size_t nc, size_t kc,
                                                  const uint8_t *a, size_t a_stride,
                                                  const void *w, const int32_t *row_terms,
                                                  void *c, size_t c_stride,
                                                  const q8_qs8_gemm_params *params);

/* Packs output pixels [m0, m0 + rows) like q8_qs8_im2col_pack but as int16 values: each
   element is (x ^ g->flip) - g->flip read as unsigned bytes, i.e. the signed value for int8
   models (flip 0x80) and the byte for uint8 ones (flip 0); padding taps read
   g->pad_byte the same way; zeros from K up to kc. Rows are kc int16 apart. */
void q8_qs8_im2col_pack_c2(const q8_qs8_im2col *g, size_t kc, const uint8_t *input, size_t m0,
                           size_t rows, int16_t *a);

#endif
