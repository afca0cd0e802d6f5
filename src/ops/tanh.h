/* TANH: the prepared plan shared by tanh-prepare.c and tanh-run.c. */
#ifndef Q8_OPS_TANH_H
#define Q8_OPS_TANH_H

#include <stdbool.h>
#include <stddef.h>

#include "ops/op.h"
#include "ref/tanh.h"

typedef struct q8_tanh_plan {
  q8_ref_tanh_params params;
  size_t elements;
  bool is_signed;
} q8_tanh_plan;

void q8_run_tanh(const void *params, const void *const *inputs, void *const *outputs,
                 void *scratch);

#endif
