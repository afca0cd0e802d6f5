/* MEAN at run time (integer only). */
#include "ops/mean.h"

void q8_run_mean(const void *params, const void *const *inputs, void *const *outputs,
                 void *scratch) {
  (void)scratch;
  const q8_mean_plan *plan = params;
  if (plan->is_signed)
    q8_ref_mean_hw_qs8(&plan->params, inputs[0], outputs[0]);
  else
    q8_ref_mean_hw_qu8(&plan->params, inputs[0], outputs[0]);
}
