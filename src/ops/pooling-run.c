/* AVERAGE_POOL_2D and MAX_POOL_2D at run time (integer only). */
#include "ops/pooling.h"

void q8_run_average_pool_2d(const void *params, const void *const *inputs, void *const *outputs,
                            void *scratch) {
  (void)scratch;
  const q8_pool_plan *plan = params;
  if (plan->is_signed)
    q8_ref_average_pool_qs8(&plan->params, inputs[0], outputs[0]);
  else
    q8_ref_average_pool_qu8(&plan->params, inputs[0], outputs[0]);
}

void q8_run_max_pool_2d(const void *params, const void *const *inputs, void *const *outputs,
                        void *scratch) {
  (void)scratch;
  const q8_pool_plan *plan = params;
  if (plan->is_signed)
    q8_ref_max_pool_qs8(&plan->params, inputs[0], outputs[0]);
  else
    q8_ref_max_pool_qu8(&plan->params, inputs[0], outputs[0]);
}
