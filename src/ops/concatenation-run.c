/* CONCATENATION at run time (integer only); the plan is a q8_ref_concat_params. */
#include "ops/op.h"
#include "ref/concatenation.h"

void q8_run_concatenation(const void *params, const void *const *inputs, void *const *outputs,
                          void *scratch);

void q8_run_concatenation(const void *params, const void *const *inputs, void *const *outputs,
                          void *scratch) {
  (void)scratch;
  q8_ref_concatenation(params, inputs, outputs[0]);
}
