/* QUANTIZE between 8-bit tensors at run time (integer only). */
#include "ops/quantize.h"

void q8_run_requantize(const void *params, const void *const *inputs, void *const *outputs,
                       void *scratch) {
  (void)scratch;
  const q8_requantize_plan *plan = params;
  q8_ref_requantize_x8(&plan->params, plan->count, inputs[0], outputs[0]);
}
