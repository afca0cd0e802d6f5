/* FULLY_CONNECTED's prepared plan, shared by its prepare and run files. Internal to src/ops. */
#ifndef Q8_OPS_FULLY_CONNECTED_H
#define Q8_OPS_FULLY_CONNECTED_H

#include "ops/quant-gemm.h"
#include "ref/fully-connected.h"

typedef struct q8_fully_connected_plan {
  q8_fully_connected_params params;
  const int32_t *folded_bias; /* [units]: bias plus the constant zero-point terms */
  q8_quant_gemm gemm;         /* the packed path (every kernel path but ref) */
} q8_fully_connected_plan;

void q8_run_fully_connected_qs8(const void *plan, const void *const *inputs,
                                void *const *outputs, void *scratch);
void q8_run_fully_connected_qu8(const void *plan, const void *const *inputs,
                                void *const *outputs, void *scratch);
/* The packed GEMM path, int8 and uint8 alike. */
void q8_run_fully_connected_gemm(const void *plan, const void *const *inputs,
                                 void *const *outputs, void *scratch);

#endif
