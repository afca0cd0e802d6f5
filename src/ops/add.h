/* ADD: the prepared plan shared by add-prepare.c and add-run.c. */
#ifndef Q8_OPS_ADD_H
#define Q8_OPS_ADD_H

#include <stdbool.h>

#include "ops/op.h"
#include "ref/add.h"

typedef struct q8_add_plan {
  q8_ref_add_params params;
  q8_ref_broadcast broadcast;
  bool is_signed; /* int8 (true) or uint8 */
} q8_add_plan;

/* The broadcast description of in1 + in2 and the output's shape (also for the float ADD);
   fails naming both shapes when they do not broadcast. */
q8_status q8_add_broadcast_shape(q8_prepare_ctx *ctx, const q8_tensor *in1,
                                 const q8_tensor *in2, q8_tensor *out, q8_ref_broadcast *bc);

void q8_run_add(const void *params, const void *const *inputs, void *const *outputs,
                void *scratch);

#endif
