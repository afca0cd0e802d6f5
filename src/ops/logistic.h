/* LOGISTIC: the prepared plan shared by logistic-prepare.c and logistic-run.c. */
#ifndef Q8_OPS_LOGISTIC_H
#define Q8_OPS_LOGISTIC_H

#include <stddef.h>

#include "ops/op.h"
#include "ref/logistic.h"

typedef struct q8_logistic_plan {
  q8_ref_logistic_params params;
  size_t elements;
} q8_logistic_plan;

void q8_run_logistic(const void *params, const void *const *inputs, void *const *outputs,
                     void *scratch);

#endif
