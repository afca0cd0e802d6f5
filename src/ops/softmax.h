/* SOFTMAX: the prepared plan shared by softmax-prepare.c and softmax-run.c. */
#ifndef Q8_OPS_SOFTMAX_H
#define Q8_OPS_SOFTMAX_H

#include <stdbool.h>
#include <stddef.h>

#include "ops/op.h"
#include "ref/softmax.h"

typedef struct q8_softmax_plan {
  q8_ref_softmax_params params;
  size_t rows;  /* product of all dimensions but the last */
  size_t depth; /* the last dimension, along which softmax normalises */
  bool is_signed;
} q8_softmax_plan;

void q8_run_softmax(const void *params, const void *const *inputs, void *const *outputs,
                    void *scratch);

#endif
