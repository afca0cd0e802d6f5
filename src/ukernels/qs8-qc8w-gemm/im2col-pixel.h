/* Where an output pixel's window starts in the input: shared by the byte (pack-scalar.c) and
   int16 (pack-c2-scalar.c) activation packers. */
#ifndef Q8_UKERNELS_QS8_QC8W_GEMM_IM2COL_PIXEL_H
#define Q8_UKERNELS_QS8_QC8W_GEMM_IM2COL_PIXEL_H

#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"

typedef struct q8_im2col_pixel {
  const uint8_t *image; /* the pixel's batch image (NHWC) */
  int32_t y0, x0;       /* input row and column of the window's first tap (may be outside) */
} q8_im2col_pixel;

/* Output pixel m = (b * out_h + oy) * out_w + ox. */
static inline q8_im2col_pixel q8_im2col_pixel_at(const q8_qs8_im2col *g, const uint8_t *input,
                                                 size_t m) {
  const size_t pixels = (size_t)g->out_h * (size_t)g->out_w;
  const size_t b = m / pixels, pixel = m % pixels;
  const int32_t oy = (int32_t)(pixel / (size_t)g->out_w), ox = (int32_t)(pixel % (size_t)g->out_w);
  return (q8_im2col_pixel){input + b * (size_t)g->in_h * (size_t)g->in_w * (size_t)g->in_c,
                           oy * g->stride_h - g->pad_top, ox * g->stride_w - g->pad_left};
}

#endif
