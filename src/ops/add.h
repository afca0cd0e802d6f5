/* ADD: the prepared plan shared by add-prepare.c and add-run.c. */
#ifndef Q8_OPS_ADD_H
#define Q8_OPS_ADD_H

#include <stdbool.h>

#include "ops/op.h"
#include "ref/add.h"
#include "ukernels/q8-vadd/q8-vadd.h"

typedef struct q8_add_plan {
  q8_ref_add_params params;
  q8_ref_broadcast broadcast;
  bool is_signed; /* int8 (true) or uint8 */
  /* Kernel path (NULL kernel: the reference operator, Q8_ISA_REF). Runs of the innermost
     dimension (the whole tensor when no input is broadcast) go to the kernel, split into
     tasks of about Q8_ADD_TASK_ELEMENTS on the pool. */
  q8_vadd_ukernel_fn kernel;
  q8_vadd_params kernel_params;
  struct q8_threadpool *pool;
  bool flat;       /* both inputs have the output's shape */
  int64_t rows;    /* product of the 5 outer dimensions of the broadcast space */
  int64_t per_task; /* elements (flat) or rows per task */
} q8_add_plan;

enum { Q8_ADD_TASK_ELEMENTS = 16384 };

/* Chooses the kernel for the interpreter's path and fills the kernel fields (p->params,
   p->broadcast and p->is_signed already set); sets plan's run function. */
void q8_add_plan_kernels(q8_prepare_ctx *ctx, q8_add_plan *p, q8_op_plan *plan);

/* The broadcast description of in1 + in2 and the output's shape (also for the float ADD);
   fails naming both shapes when they do not broadcast. */
q8_status q8_add_broadcast_shape(q8_prepare_ctx *ctx, const q8_tensor *in1,
                                 const q8_tensor *in2, q8_tensor *out, q8_ref_broadcast *bc);

void q8_run_add(const void *params, const void *const *inputs, void *const *outputs,
                void *scratch);
void q8_run_add_kernel(const void *params, const void *const *inputs, void *const *outputs,
                       void *scratch);

#endif
