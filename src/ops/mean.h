/* MEAN: the prepared plan shared by mean-prepare.c and mean-run.c. */
#ifndef Q8_OPS_MEAN_H
#define Q8_OPS_MEAN_H

#include <stdbool.h>

#include "ops/op.h"
#include "ref/mean.h"

typedef struct q8_mean_plan {
  q8_ref_mean_params params;
  bool is_signed;
} q8_mean_plan;

/* Accepts axes that resolve to exactly {1, 2} (also for the float MEAN). */
q8_status q8_mean_check_axes(q8_prepare_ctx *ctx, const q8_tensor *axis_tensor);

/* [N,1,1,C] with keep_dims, else [N,C], for an NHWC input (also for the float MEAN). */
q8_status q8_mean_set_output_shape(q8_prepare_ctx *ctx, const q8_node *node,
                                   const q8_tensor *in, q8_tensor *out);

void q8_run_mean(const void *params, const void *const *inputs, void *const *outputs,
                 void *scratch);

#endif
