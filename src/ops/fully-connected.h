/* FULLY_CONNECTED's prepared plan, shared by its prepare and run files. Internal to src/ops. */
#ifndef Q8_OPS_FULLY_CONNECTED_H
#define Q8_OPS_FULLY_CONNECTED_H

#include "ref/fully-connected.h"

typedef struct q8_fully_connected_plan {
  q8_fully_connected_params params;
  const int32_t *folded_bias; /* [units]: bias plus the constant zero-point terms */
} q8_fully_connected_plan;

void q8_run_fully_connected_qs8(const void *plan, const void *const *inputs,
                                void *const *outputs, void *scratch);
void q8_run_fully_connected_qu8(const void *plan, const void *const *inputs,
                                void *const *outputs, void *scratch);

#endif
