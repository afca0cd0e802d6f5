/* MEAN: the prepared plan shared by mean-prepare.c and mean-run.c. */
#ifndef Q8_OPS_MEAN_H
#define Q8_OPS_MEAN_H

#include <stdbool.h>

#include "ops/op.h"
#include "ref/mean.h"
#include "ukernels/qs8-rsum/qs8-rsum.h"

typedef struct q8_mean_plan {
  q8_ref_mean_params params;
  bool is_signed;
  /* Kernel path (NULL kernel: the reference operator, Q8_ISA_REF): per task, the column sums
     of Q8_MEAN_TASK_CHANNELS channels of one image, then the reference's per-sum output. */
  q8_rsum_ukernel_fn kernel;
  struct q8_threadpool *pool;
} q8_mean_plan;

enum { Q8_MEAN_TASK_CHANNELS = 256 };

void q8_run_mean_kernel(const void *params, const void *const *inputs, void *const *outputs,
                        void *scratch);

/* Accepts axes that resolve to exactly {1, 2} (also for the float MEAN). */
q8_status q8_mean_check_axes(q8_prepare_ctx *ctx, const q8_tensor *axis_tensor);

/* [N,1,1,C] with keep_dims, else [N,C], for an NHWC input (also for the float MEAN). */
q8_status q8_mean_set_output_shape(q8_prepare_ctx *ctx, const q8_node *node,
                                   const q8_tensor *in, q8_tensor *out);

void q8_run_mean(const void *params, const void *const *inputs, void *const *outputs,
                 void *scratch);

#endif
