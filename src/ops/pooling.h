/* AVERAGE_POOL_2D and MAX_POOL_2D: the prepared plan shared by pooling-prepare.c and
   pooling-run.c. */
#ifndef Q8_OPS_POOLING_H
#define Q8_OPS_POOLING_H

#include <stdbool.h>

#include "ops/op.h"
#include "ref/pooling.h"
#include "ukernels/qs8-avgpool/qs8-avgpool.h"

typedef struct q8_pool_plan {
  q8_ref_pool_params params;
  bool is_signed;
  /* Kernel path (NULL kernel: the reference operator, Q8_ISA_REF): one task per output row,
     one kernel call per output pixel on the window's taps inside the input. */
  q8_pool_ukernel_fn kernel;
  q8_pool_params kernel_params;
  struct q8_threadpool *pool;
  size_t taps_per_thread; /* scratch pointers per thread: filter_h * filter_w */
} q8_pool_plan;

/* Any kernel path (average or max: the plan's kernel decides). */
void q8_run_pool_2d_kernel(const void *params, const void *const *inputs, void *const *outputs,
                           void *scratch);

void q8_run_average_pool_2d(const void *params, const void *const *inputs, void *const *outputs,
                            void *scratch);
void q8_run_max_pool_2d(const void *params, const void *const *inputs, void *const *outputs,
                        void *scratch);

#endif
