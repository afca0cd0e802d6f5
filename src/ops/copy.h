/* RESHAPE and SQUEEZE: operators that only relabel the shape; at run time they copy bytes. */
#ifndef Q8_OPS_COPY_H
#define Q8_OPS_COPY_H

#include <stddef.h>

#include "ops/op.h"

typedef struct q8_copy_plan {
  size_t bytes;
} q8_copy_plan;

void q8_run_reshape(const void *params, const void *const *inputs, void *const *outputs,
                    void *scratch);
void q8_run_squeeze(const void *params, const void *const *inputs, void *const *outputs,
                    void *scratch);

/* Shared prepare checks: input 0 and output 0 of the same type and (8-bit) quantization,
   the plan filled with the input's byte size. Used by reshape-prepare.c and
   squeeze-prepare.c. */
q8_status q8_prepare_copy_common(q8_prepare_ctx *ctx, const q8_tensor *in, const q8_tensor *out,
                                 q8_copy_plan **plan);

#endif
