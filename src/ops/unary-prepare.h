/* Prepare-time checks shared by the 8-bit elementwise operators with a fixed-point
   transcendental inside (SOFTMAX, LOGISTIC, TANH). */
#ifndef Q8_OPS_UNARY_PREPARE_H
#define Q8_OPS_UNARY_PREPARE_H

#include "ops/op.h"

/* One input and one output, both int8 or uint8 with per-tensor quantization, of the same
   type; rank in [min_rank, Q8_MAX_RANK]; the output's shape is set to the input's. */
q8_status q8_prepare_unary_8bit(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                int32_t min_rank, q8_tensor **in, q8_tensor **out);

/* The kernels compute their output in a fixed format: refuses any other output scale (exact
   float comparison, as TFLM's softmax does) or zero point, naming the tensor, the expected
   and the found values. scale_name is the expected scale as a fraction ("1/256"). */
q8_status q8_check_fixed_output_quant(q8_prepare_ctx *ctx, const q8_tensor *out,
                                      float scale, const char *scale_name, int32_t zero_point);

/* Number of elements as size_t (0 for an empty tensor). */
size_t q8_unary_elements(const q8_tensor *t);

#endif
