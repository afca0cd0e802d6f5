/* ADD at run time (integer only): the reference operator on the prepared plan, or the
   kernel path: tasks of consecutive output elements (flat) or of rows of the innermost
   dimension, each row one kernel call with the inputs' strides 1 or 0 (broadcast).
   Elementwise, so the bytes never depend on the split or the thread count. */
#include "core/threadpool.h"
#include "ops/add.h"

void q8_run_add(const void *params, const void *const *inputs, void *const *outputs,
                void *scratch) {
  (void)scratch;
  const q8_add_plan *plan = params;
  if (plan->is_signed)
    q8_ref_add_qs8(&plan->params, &plan->broadcast, inputs[0], inputs[1], outputs[0]);
  else
    q8_ref_add_qu8(&plan->params, &plan->broadcast, inputs[0], inputs[1], outputs[0]);
}

typedef struct add_job {
  const q8_add_plan *plan;
  const uint8_t *in1, *in2;
  uint8_t *out;
} add_job;

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void run_flat(void *context, int32_t task, int32_t thread) {
  (void)thread;
  const add_job *job = context;
  const q8_add_plan *p = job->plan;
  const int64_t total = p->rows * p->broadcast.dims[Q8_REF_ADD_MAX_RANK - 1];
  const int64_t start = (int64_t)task * p->per_task;
  const size_t n = (size_t)min64(p->per_task, total - start);
  p->kernel(n, job->in1 + start, 1, job->in2 + start, 1, job->out + start, &p->kernel_params);
}

/* Element offset of row `row` (an index over the 5 outer dimensions) in an input. */
static int64_t row_base(const q8_ref_broadcast *bc, int64_t row, const int64_t *strides) {
  int64_t base = 0;
  for (int32_t i = Q8_REF_ADD_MAX_RANK - 2; i >= 0; i--) {
    base += row % bc->dims[i] * strides[i];
    row /= bc->dims[i];
  }
  return base;
}

static void run_rows(void *context, int32_t task, int32_t thread) {
  (void)thread;
  const add_job *job = context;
  const q8_add_plan *p = job->plan;
  const q8_ref_broadcast *bc = &p->broadcast;
  const int32_t last = Q8_REF_ADD_MAX_RANK - 1;
  const int64_t inner = bc->dims[last];
  const int64_t first = (int64_t)task * p->per_task, end = min64(first + p->per_task, p->rows);
  for (int64_t row = first; row < end; row++)
    p->kernel((size_t)inner, job->in1 + row_base(bc, row, bc->strides1),
              (size_t)bc->strides1[last], job->in2 + row_base(bc, row, bc->strides2),
              (size_t)bc->strides2[last], job->out + row * inner, &p->kernel_params);
}

void q8_run_add_kernel(const void *params, const void *const *inputs, void *const *outputs,
                       void *scratch) {
  (void)scratch;
  const q8_add_plan *p = params;
  add_job job = {p, inputs[0], inputs[1], outputs[0]};
  const int64_t total = p->rows * p->broadcast.dims[Q8_REF_ADD_MAX_RANK - 1];
  if (total == 0) return;
  if (p->flat)
    q8_threadpool_run(p->pool, run_flat, &job, (int32_t)((total + p->per_task - 1) / p->per_task));
  else
    q8_threadpool_run(p->pool, run_rows, &job, (int32_t)((p->rows + p->per_task - 1) / p->per_task));
}
