/* CONV_2D at run time (integer only): the reference operator on the prepared plan. */
#include "ops/conv-2d.h"

void q8_run_conv_2d_qs8(const void *plan, const void *const *inputs, void *const *outputs,
                        void *scratch) {
  const q8_conv_2d_plan *p = plan;
  (void)scratch;
  q8_ref_conv_2d_qs8(&p->params, inputs[0], inputs[1], p->folded_bias, outputs[0]);
}

void q8_run_conv_2d_qu8(const void *plan, const void *const *inputs, void *const *outputs,
                        void *scratch) {
  const q8_conv_2d_plan *p = plan;
  (void)scratch;
  q8_ref_conv_2d_qu8(&p->params, inputs[0], inputs[1], p->folded_bias, outputs[0]);
}

void q8_run_conv_2d_gemm(const void *plan, const void *const *inputs, void *const *outputs,
                         void *scratch) {
  const q8_conv_2d_plan *p = plan;
  q8_quant_gemm_run(&p->gemm, inputs[0], outputs[0], scratch);
}
