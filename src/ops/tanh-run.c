/* TANH at run time (integer only). */
#include "ops/tanh.h"

void q8_run_tanh(const void *params, const void *const *inputs, void *const *outputs,
                 void *scratch) {
  (void)scratch;
  const q8_tanh_plan *plan = params;
  if (plan->is_signed)
    q8_ref_tanh_qs8(&plan->params, plan->elements, inputs[0], outputs[0]);
  else
    q8_ref_tanh_qu8(&plan->params, plan->elements, inputs[0], outputs[0]);
}
