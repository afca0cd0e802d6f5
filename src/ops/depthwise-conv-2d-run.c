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

/* Pointers for output row oy of image b: [ox][ky][kx]. */
static void build_indirection(const q8_depthwise_conv_2d_plan *plan, const uint8_t *image,
                              int32_t oy, const void **out) {
  const q8_depthwise_conv_2d_params *p = &plan->params;
  const size_t pixel_bytes = (size_t)p->in_c;
  for (int32_t ox = 0; ox < p->out_w; ox++) {
    const int32_t x0 = ox * p->stride_w - p->pad_left;
    for (int32_t ky = 0; ky < p->kernel_h; ky++) {
      const int32_t y = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
      const bool row_inside = y >= 0 && y < p->in_h;
      const uint8_t *row = image + (size_t)(row_inside ? y : 0) * (size_t)p->in_w * pixel_bytes;
      for (int32_t kx = 0; kx < p->kernel_w; kx++) {
        const int32_t x = x0 + kx * p->dilation_w;
        const bool inside = row_inside && x >= 0 && x < p->in_w;
        *out++ = inside ? (const void *)(row + (size_t)x * pixel_bytes) : plan->zero_points;
      }
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
