/* LOGISTIC at run time (integer only; int8 only). */
#include "ops/logistic.h"

void q8_run_logistic(const void *params, const void *const *inputs, void *const *outputs,
                     void *scratch) {
  (void)scratch;
  const q8_logistic_plan *plan = params;
  q8_ref_logistic_qs8(&plan->params, plan->elements, inputs[0], outputs[0]);
}
