/* SOFTMAX at run time (integer only): the reference operator, or the table kernel over
   fixed groups of rows (tasks), so the bytes never depend on the thread count. */
#include "core/threadpool.h"
#include "ops/softmax.h"

typedef struct softmax_job {
  const q8_softmax_plan *plan;
  const uint8_t *input;
  uint8_t *output;
} softmax_job;

static void softmax_task(void *context, int32_t task, int32_t thread) {
  (void)thread;
  const softmax_job *job = context;
  const q8_softmax_plan *p = job->plan;
  const size_t first = (size_t)task * p->rows_per_task;
  const size_t rows = p->rows - first < p->rows_per_task ? p->rows - first : p->rows_per_task;
  const size_t offset = first * p->depth;
  p->kernel(rows, p->depth, job->input + offset, job->output + offset, p->table);
}

void q8_run_softmax_kernel(const void *params, const void *const *inputs, void *const *outputs,
                           void *scratch) {
  (void)scratch;
  const q8_softmax_plan *p = params;
  softmax_job job = {p, inputs[0], outputs[0]};
  const size_t tasks = (p->rows + p->rows_per_task - 1) / p->rows_per_task;
  q8_threadpool_run(p->pool, softmax_task, &job, (int32_t)tasks);
}

void q8_run_softmax(const void *params, const void *const *inputs, void *const *outputs,
                    void *scratch) {
  (void)scratch;
  const q8_softmax_plan *plan = params;
  if (plan->is_signed)
    q8_ref_softmax_qs8(&plan->params, plan->rows, plan->depth, inputs[0], outputs[0]);
  else
    q8_ref_softmax_qu8(&plan->params, plan->rows, plan->depth, inputs[0], outputs[0]);
}
