/* SOFTMAX at run time (integer only). */
#include "ops/softmax.h"

void q8_run_softmax(const void *params, const void *const *inputs, void *const *outputs,
                    void *scratch) {
  (void)scratch;
  const q8_softmax_plan *plan = params;
  if (plan->is_signed)
    q8_ref_softmax_qs8(&plan->params, plan->rows, plan->depth, inputs[0], outputs[0]);
  else
    q8_ref_softmax_qu8(&plan->params, plan->rows, plan->depth, inputs[0], outputs[0]);
}
