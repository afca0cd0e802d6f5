/* AVERAGE_POOL_2D and MAX_POOL_2D at run time (integer only): the reference operators, or
   the kernel path: one task per output row; per output pixel the pointers to the window's
   input pixels inside the input (the clipped window, as the reference counts it) go to the
   kernel. Rows are independent, so the bytes never depend on the thread count. */
#include "core/threadpool.h"
#include "ops/pooling.h"

typedef struct pool_job {
  const q8_pool_plan *plan;
  const uint8_t *input;
  uint8_t *output;
  const void **taps; /* threads x taps_per_thread */
} pool_job;

static int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }

static void run_row(void *context, int32_t task, int32_t thread) {
  const pool_job *job = context;
  const q8_pool_plan *plan = job->plan;
  const q8_ref_pool_params *p = &plan->params;
  const int32_t b = task / p->output_h, oy = task % p->output_h;
  const size_t C = (size_t)p->channels;
  const uint8_t *image = job->input + (size_t)b * (size_t)p->input_h * (size_t)p->input_w * C;
  uint8_t *out = job->output + (size_t)task * (size_t)p->output_w * C;
  const void **taps = job->taps + (size_t)thread * plan->taps_per_thread;
  const int32_t iy = oy * p->stride_h - p->pad_top;
  const int32_t y0 = max32(iy, 0), y1 = min32(iy + p->filter_h, p->input_h);
  for (int32_t ox = 0; ox < p->output_w; ox++) {
    const int32_t ix = ox * p->stride_w - p->pad_left;
    const int32_t x0 = max32(ix, 0), x1 = min32(ix + p->filter_w, p->input_w);
    size_t n = 0;
    for (int32_t y = y0; y < y1; y++)
      for (int32_t x = x0; x < x1; x++)
        taps[n++] = image + ((size_t)y * (size_t)p->input_w + (size_t)x) * C;
    plan->kernel(n, C, (const void *const *)taps, out + (size_t)ox * C, &plan->kernel_params);
  }
}

void q8_run_pool_2d_kernel(const void *params, const void *const *inputs, void *const *outputs,
                           void *scratch) {
  const q8_pool_plan *p = params;
  pool_job job = {p, inputs[0], outputs[0], scratch};
  q8_threadpool_run(p->pool, run_row, &job, p->params.batches * p->params.output_h);
}

void q8_run_average_pool_2d(const void *params, const void *const *inputs, void *const *outputs,
                            void *scratch) {
  (void)scratch;
  const q8_pool_plan *plan = params;
  if (plan->is_signed)
    q8_ref_average_pool_qs8(&plan->params, inputs[0], outputs[0]);
  else
    q8_ref_average_pool_qu8(&plan->params, inputs[0], outputs[0]);
}

void q8_run_max_pool_2d(const void *params, const void *const *inputs, void *const *outputs,
                        void *scratch) {
  (void)scratch;
  const q8_pool_plan *plan = params;
  if (plan->is_signed)
    q8_ref_max_pool_qs8(&plan->params, inputs[0], outputs[0]);
  else
    q8_ref_max_pool_qu8(&plan->params, inputs[0], outputs[0]);
}
