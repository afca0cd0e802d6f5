/* CONV_2D's prepared plan, shared by its prepare and run files. Internal to src/ops. */
#ifndef Q8_OPS_CONV_2D_H
#define Q8_OPS_CONV_2D_H

#include "ops/quant-gemm.h"
#include "ref/conv-2d.h"

typedef struct q8_conv_2d_plan {
  q8_conv_2d_params params;
  const int32_t *folded_bias; /* [out_c]: bias plus the constant zero-point terms */
  q8_quant_gemm gemm;         /* the packed path (every kernel path but ref) */
} q8_conv_2d_plan;

/* Run functions (inputs: input, filter[, bias]; outputs: output). */
void q8_run_conv_2d_qs8(const void *plan, const void *const *inputs, void *const *outputs,
                        void *scratch);
void q8_run_conv_2d_qu8(const void *plan, const void *const *inputs, void *const *outputs,
                        void *scratch);
/* The packed GEMM path, int8 and uint8 alike. */
void q8_run_conv_2d_gemm(const void *plan, const void *const *inputs, void *const *outputs,
                         void *scratch);

#endif
