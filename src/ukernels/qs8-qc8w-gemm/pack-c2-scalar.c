/* Packing for the int16 (c2) layout of the 8-bit GEMM (portable): weight panels at prepare,
   activation rows widened to int16 at run time. */
#include <string.h>

#include "ukernels/qs8-qc8w-gemm/im2col-pixel.h"
#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm-c2.h"

size_t q8_qs8_gemm_c2_panel_bytes(size_t kc, size_t nr) {
  return nr * (3 * sizeof(int32_t) + kc * sizeof(int16_t));
}

void q8_qs8_gemm_c2_pack_weights(size_t n, size_t k, size_t nr, const uint8_t *w,
                                 bool is_signed, int32_t weight_zero_point, const int32_t *bias,
                                 const int32_t *multiplier, const int32_t *shift, void *packed) {
  const size_t kc = (k + Q8_QS8_GEMM_C2_KR - 1) / Q8_QS8_GEMM_C2_KR * Q8_QS8_GEMM_C2_KR;
  uint8_t *panel = packed;
  for (size_t n0 = 0; n0 < n; n0 += nr, panel += q8_qs8_gemm_c2_panel_bytes(kc, nr)) {
    const size_t cols = n - n0 < nr ? n - n0 : nr;
    uint8_t *weights = panel + nr * sizeof(int32_t);
    uint8_t *tail = weights + nr * kc * sizeof(int16_t);
    for (size_t j = 0; j < cols; j++) {
      memcpy(panel + j * sizeof(int32_t), &bias[n0 + j], sizeof(int32_t));
      memcpy(tail + j * sizeof(int32_t), &multiplier[n0 + j], sizeof(int32_t));
      memcpy(tail + (nr + j) * sizeof(int32_t), &shift[n0 + j], sizeof(int32_t));
      const uint8_t *row = w + (n0 + j) * k;
      for (size_t kk = 0; kk < k; kk++) {
        const int32_t value = is_signed ? (int32_t)(int8_t)row[kk] : (int32_t)row[kk];
        const int16_t v = (int16_t)(value - weight_zero_point);
        const size_t pair = kk / Q8_QS8_GEMM_C2_KR, lane = kk % Q8_QS8_GEMM_C2_KR;
        memcpy(weights + ((pair * nr + j) * Q8_QS8_GEMM_C2_KR + lane) * sizeof(int16_t), &v,
               sizeof v);
      }
    }
  }
}

/* n values (x ^ flip) - flip: a plain loop the compiler vectorizes. */
static void widen(int16_t *restrict dst, const uint8_t *restrict src, size_t n, uint8_t flip) {
  for (size_t i = 0; i < n; i++) dst[i] = (int16_t)((int32_t)(uint8_t)(src[i] ^ flip) - flip);
}

static void fill(int16_t *dst, int16_t value, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] = value;
}

static void pack_row_c2(const q8_qs8_im2col *g, const uint8_t *input, size_t m, int16_t *row) {
  const q8_im2col_pixel px = q8_im2col_pixel_at(g, input, m);
  const uint8_t *image = px.image;
  const size_t in_c = (size_t)g->in_c;
  const int16_t pad = (int16_t)((int32_t)g->pad_byte - g->flip);
  const size_t window_row = (size_t)g->kernel_w * in_c;
  const int32_t x0 = px.x0;
  /* The taps of one window row are consecutive pixels when undilated and inside the image:
     one widening pass over them (the first convolution's 3-channel taps are 3 bytes each). */
  const bool row_inside = g->dilation_w == 1 && x0 >= 0 && x0 + g->kernel_w <= g->in_w;
  for (int32_t ky = 0; ky < g->kernel_h; ky++) {
    const int32_t y = px.y0 + ky * g->dilation_h;
    if (y < 0 || y >= g->in_h || row_inside) {
      if (y < 0 || y >= g->in_h)
        fill(row, pad, window_row);
      else
        widen(row, image + ((size_t)y * (size_t)g->in_w + (size_t)x0) * in_c, window_row,
              g->flip);
      row += window_row;
      continue;
    }
    for (int32_t kx = 0; kx < g->kernel_w; kx++, row += in_c) {
      const int32_t x = x0 + kx * g->dilation_w;
      if (y < 0 || y >= g->in_h || x < 0 || x >= g->in_w)
        fill(row, pad, in_c);
      else
        widen(row, image + ((size_t)y * (size_t)g->in_w + (size_t)x) * in_c, in_c, g->flip);
    }
  }
}

void q8_qs8_im2col_pack_c2(const q8_qs8_im2col *g, size_t kc, const uint8_t *input, size_t m0,
                           size_t rows, int16_t *a) {
  const size_t k = (size_t)g->kernel_h * (size_t)g->kernel_w * (size_t)g->in_c;
  const bool one_by_one = g->kernel_h == 1 && g->kernel_w == 1 && g->stride_h == 1 &&
                          g->stride_w == 1 && g->pad_top == 0 && g->pad_left == 0 &&
                          (size_t)g->out_h == (size_t)g->in_h &&
                          (size_t)g->out_w == (size_t)g->in_w;
  if (one_by_one && kc == k) { /* the rows are consecutive pixels: one widening pass */
    widen(a, input + m0 * k, rows * k, g->flip);
    return;
  }
  for (size_t r = 0; r < rows; r++) {
    int16_t *row = a + r * kc;
    pack_row_c2(g, input, m0 + r, row);
    if (kc > k) row[k] = 0; /* kc - k < 2: a store, not a call to memset */
  }
}
