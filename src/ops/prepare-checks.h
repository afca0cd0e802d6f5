/* Checks shared by the prepare functions of the 8-bit operators: tensor roles, types,
   per-tensor quantization and shapes, each failing with a message that names the tensor
   and the expected vs found value. Prepare-time only. */
#ifndef Q8_OPS_PREPARE_CHECKS_H
#define Q8_OPS_PREPARE_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/op.h"

/* Fails unless the node has n_inputs in [min_inputs, max_inputs] and exactly n_outputs. */
q8_status q8_check_io_count(q8_prepare_ctx *ctx, const q8_node *node, int32_t min_inputs,
                            int32_t max_inputs, int32_t n_outputs);

/* The tensor of input (or output) slot k; fails for an absent one. role names it in
   messages ("input 0"). */
q8_status q8_get_input(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors, int32_t k,
                       q8_tensor **t);
q8_status q8_get_output(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                        int32_t k, q8_tensor **t);

/* An int8 or uint8 tensor with per-tensor quantization: a finite scale > 0 and a zero point
   within the type's range. */
q8_status q8_check_quantized_8bit(q8_prepare_ctx *ctx, const q8_tensor *t, const char *role);

/* Fails unless b has the type of a. */
q8_status q8_check_same_type(q8_prepare_ctx *ctx, const q8_tensor *a, const char *role_a,
                             const q8_tensor *b, const char *role_b);

/* Fails unless a and b (both per-tensor quantized) have the same zero point and scales that
   differ by at most 1e-6 (absolute, in double: TFLM pooling_common.cc's tolerance). */
q8_status q8_check_same_quant(q8_prepare_ctx *ctx, const q8_tensor *a, const char *role_a,
                              const q8_tensor *b, const char *role_b);

/* Range of an 8-bit type: [-128, 127] for int8, [0, 255] for uint8. */
int32_t q8_type_qmin(q8_type type);
int32_t q8_type_qmax(q8_type type);

/* "[1,2,3]" into buf (always NUL-terminated). Returns buf. */
const char *q8_format_shape(char *buf, size_t size, int32_t rank, const int32_t *dims);

/* Reads a constant int32 1-D (or scalar) tensor; fails when it is not constant, not int32,
   or has more than max_count elements. */
q8_status q8_read_const_int32(q8_prepare_ctx *ctx, const q8_tensor *t, const char *role,
                              int32_t max_count, int32_t *values, int32_t *count);

#endif
