/* DEPTHWISE_CONV_2D at run time (integer only): the reference operator on the plan, or the
   kernel path: one task per output row, which builds that row's indirection (a pointer per
   output pixel and tap, padding taps pointing at the zero-point buffer) in its thread's
   scratch and hands the row to the kernel. Rows are independent, so the bytes never depend
   on the thread count. */
#include "core/threadpool.h"
#include "ops/depthwise-conv-2d.h"

void q8_run_depthwise_conv_2d_qs8(const void *plan, const void *const *inputs,
                                  void *const *outputs, void *scratch) {
  const q8_depthwise_conv_2d_plan *p = plan;
  (void)scratch;
  q8_ref_depthwise_conv_2d_qs8(&p->params, inputs[0], inputs[1], p->folded_bias, outputs[0]);
}

void q8_run_depthwise_conv_2d_qu8(const void *plan, const void *const *inputs,
                                  void *const *outputs, void *scratch) {
  const q8_depthwise_conv_2d_plan *p = plan;
  (void)scratch;
  q8_ref_depthwise_conv_2d_qu8(&p->params, inputs[0], inputs[1], p->folded_bias, outputs[0]);
}

typedef struct row_job {
  const q8_depthwise_conv_2d_plan *plan;
  const uint8_t *input;
  uint8_t *output;
  const void **indirection; /* threads x indirection_per_thread */
} row_job;

/* First output column whose tap at input column offset `offset` (kx * dilation - pad_left)
   lands at or past input column `x` (a ceiling division, for either sign), within
   [0, out_w]. */
static int32_t first_column_at(int64_t x, int64_t offset, int64_t stride, int32_t out_w) {
  /* In 64 bits: stride, dilation and padding may each be near INT32_MAX (prepare bounds only
     their combined extent), and num + stride - 1 must not overflow. */
  const int64_t num = x - offset;
  const int64_t ox = num <= 0 ? -((-num) / stride) : (num + stride - 1) / stride;
  return (int32_t)(ox < 0 ? 0 : ox > out_w ? out_w : ox);
}

/* Pointers for output row oy of image b: [ox][ky][kx]. Per tap, the columns inside the
   input form one range (computed, not tested per pixel); the others read the zero points. */
static void build_indirection(const q8_depthwise_conv_2d_plan *plan, const uint8_t *image,
                              int32_t oy, const void **out) {
  const q8_depthwise_conv_2d_params *p = &plan->params;
  const size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w;
  const size_t pixel_bytes = (size_t)p->in_c, step = (size_t)p->stride_w * pixel_bytes;
  for (int32_t ky = 0; ky < p->kernel_h; ky++) {
    const int64_t y = (int64_t)oy * p->stride_h - p->pad_top + (int64_t)ky * p->dilation_h;
    const bool row_inside = y >= 0 && y < p->in_h;
    for (int32_t kx = 0; kx < p->kernel_w; kx++) {
      const size_t t = (size_t)ky * (size_t)p->kernel_w + (size_t)kx;
      const int64_t offset = (int64_t)kx * p->dilation_w - p->pad_left;
      const int32_t lo = row_inside ? first_column_at(0, offset, p->stride_w, p->out_w) : p->out_w;
      const int32_t hi = row_inside ? first_column_at(p->in_w, offset, p->stride_w, p->out_w) : lo;
      int32_t ox = 0;
      for (; ox < lo; ox++) out[(size_t)ox * taps + t] = plan->zero_points;
      if (ox < hi) {
        const uint8_t *x = image + ((size_t)y * (size_t)p->in_w +
                                    (size_t)((int64_t)ox * p->stride_w + offset)) * pixel_bytes;
        for (; ox < hi; ox++, x += step) out[(size_t)ox * taps + t] = x;
      }
      for (; ox < p->out_w; ox++) out[(size_t)ox * taps + t] = plan->zero_points;
    }
  }
}

static void run_row(void *context, int32_t task, int32_t thread) {
  const row_job *job = context;
  const q8_depthwise_conv_2d_plan *plan = job->plan;
  const q8_depthwise_conv_2d_params *p = &plan->params;
  const int32_t b = task / p->out_h, oy = task % p->out_h;
  const void **indirection = job->indirection + (size_t)thread * plan->indirection_per_thread;
  const uint8_t *image = job->input + (size_t)b * (size_t)p->in_h * (size_t)p->in_w *
                                          (size_t)p->in_c;
  build_indirection(plan, image, oy, indirection);
  const size_t out_row = (size_t)task * (size_t)p->out_w * (size_t)p->out_c;
  plan->kernel((size_t)p->out_w, (size_t)p->out_c,
               (size_t)p->kernel_h * (size_t)p->kernel_w, (const void *const *)indirection,
               plan->packed, job->output + out_row, (size_t)p->out_c, &plan->kernel_params);
}

void q8_run_depthwise_conv_2d_kernel(const void *plan, const void *const *inputs,
                                     void *const *outputs, void *scratch) {
  const q8_depthwise_conv_2d_plan *p = plan;
  row_job job = {p, inputs[0], outputs[0], scratch};
  q8_threadpool_run(p->pool, run_row, &job, p->params.batch * p->params.out_h);
}
