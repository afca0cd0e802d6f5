/* AVERAGE_POOL_2D and MAX_POOL_2D: the prepared plan shared by pooling-prepare.c and
   pooling-run.c. */
#ifndef Q8_OPS_POOLING_H
#define Q8_OPS_POOLING_H

#include <stdbool.h>

#include "ops/op.h"
#include "ref/pooling.h"

typedef struct q8_pool_plan {
  q8_ref_pool_params params;
  bool is_signed;
} q8_pool_plan;

void q8_run_average_pool_2d(const void *params, const void *const *inputs, void *const *outputs,
                            void *scratch);
void q8_run_max_pool_2d(const void *params, const void *const *inputs, void *const *outputs,
                        void *scratch);

#endif
