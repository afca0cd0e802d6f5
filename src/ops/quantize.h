/* QUANTIZE: plans shared by quantize-prepare.c, quantize-run.c and quantize-float.c. */
#ifndef Q8_OPS_QUANTIZE_H
#define Q8_OPS_QUANTIZE_H

#include <stddef.h>

#include "ops/op.h"
#include "ref/quantize.h"

typedef struct q8_requantize_plan {
  q8_ref_requantize_params params;
  size_t count;
} q8_requantize_plan;

void q8_run_requantize(const void *params, const void *const *inputs, void *const *outputs,
                       void *scratch);

#ifndef Q8_INTEGER_ONLY
/* float32 -> int8/uint8 (quantize-float.c): TFLite AffineQuantize. */
q8_status q8_prepare_quantize_from_float(q8_prepare_ctx *ctx, const q8_tensor *in,
                                         const q8_tensor *out, q8_op_plan *plan);
#endif

#endif
