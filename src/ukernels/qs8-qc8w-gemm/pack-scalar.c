/* Packing for the 8-bit GEMM kernels (portable): weight panels at prepare, activation rows
   (im2col with the int8 -> uint8 flip and the uint8 models' row sums) at run time. */
#include <string.h>

#include "ukernels/qs8-qc8w-gemm/im2col-pixel.h"
#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"

size_t q8_qs8_gemm_panel_bytes(size_t kc, size_t nr) {
  return nr * (3 * sizeof(int32_t) + kc);
}

void q8_qs8_gemm_pack_weights(size_t n, size_t k, size_t nr, const uint8_t *w,
                              uint8_t weight_offset, const int32_t *bias,
                              const int32_t *multiplier, const int32_t *shift, void *packed) {
  const size_t kc = (k + Q8_QS8_GEMM_KR - 1) / Q8_QS8_GEMM_KR * Q8_QS8_GEMM_KR;
  uint8_t *panel = packed;
  for (size_t n0 = 0; n0 < n; n0 += nr, panel += q8_qs8_gemm_panel_bytes(kc, nr)) {
    const size_t cols = n - n0 < nr ? n - n0 : nr;
    uint8_t *weights = panel + nr * sizeof(int32_t);
    uint8_t *tail = weights + nr * kc;
    for (size_t j = 0; j < cols; j++) {
      memcpy(panel + j * sizeof(int32_t), &bias[n0 + j], sizeof(int32_t));
      memcpy(tail + j * sizeof(int32_t), &multiplier[n0 + j], sizeof(int32_t));
      memcpy(tail + (nr + j) * sizeof(int32_t), &shift[n0 + j], sizeof(int32_t));
      const uint8_t *row = w + (n0 + j) * k;
      for (size_t kk = 0; kk < k; kk++) {
        const size_t group = kk / Q8_QS8_GEMM_KR, lane = kk % Q8_QS8_GEMM_KR;
        weights[(group * nr + j) * Q8_QS8_GEMM_KR + lane] = (uint8_t)(row[kk] + weight_offset);
      }
    }
  }
}

/* Copies n bytes XORing each with flip. A plain byte loop: compilers vectorize it with the
   baseline SIMD (SSE2 on x86-64, Advanced SIMD on AArch64), several times faster than eight
   bytes at a time in a general register. */
static void copy_flipped(uint8_t *restrict dst, const uint8_t *restrict src, size_t n,
                         uint8_t flip) {
  if (flip == 0) {
    memcpy(dst, src, n);
    return;
  }
  for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(src[i] ^ flip);
}

/* Sum of n bytes modulo 2^32: eight bytes per step, in 16-bit lanes flushed before they can
   overflow (255 * 2 * 128 < 2^16). */
static uint32_t byte_sum(const uint8_t *p, size_t n) {
  const uint64_t even = UINT64_C(0x00FF00FF00FF00FF);
  uint32_t total = 0;
  size_t i = 0;
  while (i + 8 <= n) {
    uint64_t lanes = 0;
    for (int step = 0; step < 128 && i + 8 <= n; step++, i += 8) {
      uint64_t v;
      memcpy(&v, p + i, 8);
      lanes += (v & even) + ((v >> 8) & even);
    }
    for (int lane = 0; lane < 4; lane++) total += (uint32_t)((lanes >> (16 * lane)) & 0xFFFF);
  }
  for (; i < n; i++) total += p[i];
  return total;
}

static void pack_row(const q8_qs8_im2col *g, const uint8_t *input, size_t m, uint8_t *row) {
  const q8_im2col_pixel px = q8_im2col_pixel_at(g, input, m);
  const uint8_t *image = px.image;
  const size_t in_c = (size_t)g->in_c;
  for (int32_t ky = 0; ky < g->kernel_h; ky++) {
    const int32_t y = px.y0 + ky * g->dilation_h;
    for (int32_t kx = 0; kx < g->kernel_w; kx++, row += in_c) {
      const int32_t x = px.x0 + kx * g->dilation_w;
      if (y < 0 || y >= g->in_h || x < 0 || x >= g->in_w)
        memset(row, g->pad_byte, in_c);
      else
        copy_flipped(row, image + ((size_t)y * (size_t)g->in_w + (size_t)x) * in_c, in_c,
                     g->flip);
    }
  }
}

void q8_qs8_im2col_pack(const q8_qs8_im2col *g, size_t kc, const uint8_t *input, size_t m0,
                        size_t rows, uint8_t *a, int32_t *row_terms) {
  const size_t k = (size_t)g->kernel_h * (size_t)g->kernel_w * (size_t)g->in_c;
  for (size_t r = 0; r < rows; r++) {
    uint8_t *row = a + r * kc;
    pack_row(g, input, m0 + r, row);
    memset(row + k, 0, kc - k);
    if (g->row_factor != 0)
      row_terms[r] = (int32_t)((uint32_t)g->row_factor * byte_sum(row, k));
  }
}
