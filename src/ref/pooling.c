/* Reference 8-bit pooling: plain loops over the clipped window of each output cell. */
#include "ref/pooling.h"

#include <stdbool.h>
#include <stddef.h>

#include "ref/ref-common.h"

typedef struct window {
  int32_t y0, y1, x0, x1; /* input rows [y0, y1) and columns [x0, x1) */
} window;

/* The part of the output cell's window that lies inside the input. */
static window clip_window(const q8_ref_pool_params *p, int32_t oy, int32_t ox) {
  const int32_t iy = oy * p->stride_h - p->pad_top;
  const int32_t ix = ox * p->stride_w - p->pad_left;
  window w;
  w.y0 = iy > 0 ? iy : 0;
  w.x0 = ix > 0 ? ix : 0;
  w.y1 = iy + p->filter_h < p->input_h ? iy + p->filter_h : p->input_h;
  w.x1 = ix + p->filter_w < p->input_w ? ix + p->filter_w : p->input_w;
  return w;
}

static int32_t clamp(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static void pool(const q8_ref_pool_params *p, const void *in, void *out, bool is_signed,
                 bool is_max) {
  const size_t C = (size_t)p->channels;
  size_t o = 0;
  for (int32_t b = 0; b < p->batches; b++) {
    const size_t batch_base = (size_t)b * (size_t)p->input_h * (size_t)p->input_w * C;
    for (int32_t oy = 0; oy < p->output_h; oy++)
      for (int32_t ox = 0; ox < p->output_w; ox++) {
        const window w = clip_window(p, oy, ox);
        for (size_t c = 0; c < C; c++) {
          int32_t acc = is_max ? (is_signed ? -128 : 0) : 0;
          int32_t count = 0;
          for (int32_t y = w.y0; y < w.y1; y++)
            for (int32_t x = w.x0; x < w.x1; x++) {
              const size_t idx = batch_base + ((size_t)y * (size_t)p->input_w + (size_t)x) * C + c;
              const int32_t v = q8_ref_load(in, idx, is_signed);
              if (is_max)
                acc = v > acc ? v : acc;
              else
                acc += v;
              count++;
            }
          /* Prepare guarantees count > 0 (SAME/VALID windows always meet the input). */
          if (!is_max && count > 0)
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          q8_ref_store(out, o++, clamp(acc, p->act_min, p->act_max), is_signed);
        }
      }
  }
}

void q8_ref_average_pool_qs8(const q8_ref_pool_params *p, const int8_t *in, int8_t *out) {
  pool(p, in, out, true, false);
}
void q8_ref_average_pool_qu8(const q8_ref_pool_params *p, const uint8_t *in, uint8_t *out) {
  pool(p, in, out, false, false);
}
void q8_ref_max_pool_qs8(const q8_ref_pool_params *p, const int8_t *in, int8_t *out) {
  pool(p, in, out, true, true);
}
void q8_ref_max_pool_qu8(const q8_ref_pool_params *p, const uint8_t *in, uint8_t *out) {
  pool(p, in, out, false, true);
}
