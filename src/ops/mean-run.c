/* MEAN at run time (integer only): the reference operator, or the kernel path, whose tasks
   (an image's block of channels each) sum the columns with the kernel and turn each sum into
   its output as the reference does. Tasks are fixed blocks: the bytes never depend on the
   thread count. */
#include "core/threadpool.h"
#include "ops/mean.h"

typedef struct mean_job {
  const q8_mean_plan *plan;
  const uint8_t *input;
  uint8_t *output;
  int32_t blocks; /* channel blocks per image */
} mean_job;

static void mean_task(void *context, int32_t task, int32_t thread) {
  (void)thread;
  const mean_job *job = context;
  const q8_mean_plan *plan = job->plan;
  const q8_ref_mean_params *p = &plan->params;
  const size_t C = (size_t)p->channels, plane = (size_t)p->height * (size_t)p->width;
  const size_t b = (size_t)(task / job->blocks);
  const size_t c0 = (size_t)(task % job->blocks) * Q8_MEAN_TASK_CHANNELS;
  const size_t n = C - c0 < Q8_MEAN_TASK_CHANNELS ? C - c0 : Q8_MEAN_TASK_CHANNELS;
  uint32_t sums[Q8_MEAN_TASK_CHANNELS];
  plan->kernel(plane, n, C, job->input + b * plane * C + c0, sums);
  uint8_t *out = job->output + b * C + c0;
  for (size_t c = 0; c < n; c++) out[c] = (uint8_t)q8_ref_mean_of_sum(p, sums[c], plan->is_signed);
}

void q8_run_mean_kernel(const void *params, const void *const *inputs, void *const *outputs,
                        void *scratch) {
  (void)scratch;
  const q8_mean_plan *p = params;
  const int32_t blocks =
      (p->params.channels + Q8_MEAN_TASK_CHANNELS - 1) / Q8_MEAN_TASK_CHANNELS;
  mean_job job = {p, inputs[0], outputs[0], blocks};
  q8_threadpool_run(p->pool, mean_task, &job, p->params.batches * blocks);
}

void q8_run_mean(const void *params, const void *const *inputs, void *const *outputs,
                 void *scratch) {
  (void)scratch;
  const q8_mean_plan *plan = params;
  if (plan->is_signed)
    q8_ref_mean_hw_qs8(&plan->params, inputs[0], outputs[0]);
  else
    q8_ref_mean_hw_qu8(&plan->params, inputs[0], outputs[0]);
}
