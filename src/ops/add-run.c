/* ADD at run time: the reference kernel on the prepared plan (integer only). */
#include "ops/add.h"

void q8_run_add(const void *params, const void *const *inputs, void *const *outputs,
                void *scratch) {
  (void)scratch;
  const q8_add_plan *plan = params;
  if (plan->is_signed)
    q8_ref_add_qs8(&plan->params, &plan->broadcast, inputs[0], inputs[1], outputs[0]);
  else
    q8_ref_add_qu8(&plan->params, &plan->broadcast, inputs[0], inputs[1], outputs[0]);
}
