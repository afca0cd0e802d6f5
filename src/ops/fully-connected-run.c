/* FULLY_CONNECTED at run time (integer only): the reference operator on the plan. */
#include "ops/fully-connected.h"

void q8_run_fully_connected_qs8(const void *plan, const void *const *inputs,
                                void *const *outputs, void *scratch) {
  const q8_fully_connected_plan *p = plan;
  (void)scratch;
  q8_ref_fully_connected_qs8(&p->params, inputs[0], inputs[1], p->folded_bias, outputs[0]);
}

void q8_run_fully_connected_qu8(const void *plan, const void *const *inputs,
                                void *const *outputs, void *scratch) {
  const q8_fully_connected_plan *p = plan;
  (void)scratch;
  q8_ref_fully_connected_qu8(&p->params, inputs[0], inputs[1], p->folded_bias, outputs[0]);
}

void q8_run_fully_connected_gemm(const void *plan, const void *const *inputs,
                                 void *const *outputs, void *scratch) {
  const q8_fully_connected_plan *p = plan;
  q8_quant_gemm_run(&p->gemm, inputs[0], outputs[0], scratch);
}
