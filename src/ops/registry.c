/* Table from operator kind to its prepare function. */
#include "ops/op.h"

q8_status q8_prepare_add(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_average_pool_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_concatenation(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_conv_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_depthwise_conv_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_dequantize(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_fully_connected(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_logistic(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_max_pool_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_mean(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_pad(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_quantize(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_reshape(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_softmax(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_squeeze(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_tanh(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

#ifdef Q8_INTEGER_ONLY
#define FLOAT_OR_INT(name) q8_prepare_##name
#else
#include "ops/float-ops.h"

/* The float inference path: an operator whose first input is float32 is prepared by its
   float32 twin (ops/float-ops.h), every other one by its 8-bit prepare. */
static bool first_input_is_float(const q8_node *node, const q8_tensor *tensors) {
  return node->n_inputs > 0 && node->inputs[0] >= 0 &&
         tensors[node->inputs[0]].type == Q8_TYPE_FLOAT32;
}

#define FLOAT_OR_INT(name)                                                                \
  static q8_status prepare_##name##_by_type(q8_prepare_ctx *ctx, const q8_node *node,     \
                                            q8_tensor *tensors, q8_op_plan *plan) {       \
    if (first_input_is_float(node, tensors))                                              \
      return q8_prepare_##name##_float(ctx, node, tensors, plan);                         \
    return q8_prepare_##name(ctx, node, tensors, plan);                                   \
  }
FLOAT_OR_INT(add)
FLOAT_OR_INT(average_pool_2d)
FLOAT_OR_INT(conv_2d)
FLOAT_OR_INT(depthwise_conv_2d)
FLOAT_OR_INT(fully_connected)
FLOAT_OR_INT(max_pool_2d)
FLOAT_OR_INT(mean)
FLOAT_OR_INT(pad)
FLOAT_OR_INT(softmax)
#undef FLOAT_OR_INT
#define FLOAT_OR_INT(name) prepare_##name##_by_type
#endif

const q8_op_prepare_fn q8_op_prepare_table[Q8_OP_COUNT] = {
    [Q8_OP_ADD] = FLOAT_OR_INT(add),
    [Q8_OP_AVERAGE_POOL_2D] = FLOAT_OR_INT(average_pool_2d),
    [Q8_OP_CONCATENATION] = q8_prepare_concatenation,
    [Q8_OP_CONV_2D] = FLOAT_OR_INT(conv_2d),
    [Q8_OP_DEPTHWISE_CONV_2D] = FLOAT_OR_INT(depthwise_conv_2d),
#ifndef Q8_INTEGER_ONLY
    /* DEQUANTIZE always produces float32: the integer-only build has no such operator. */
    [Q8_OP_DEQUANTIZE] = q8_prepare_dequantize,
#endif
    [Q8_OP_FULLY_CONNECTED] = FLOAT_OR_INT(fully_connected),
    [Q8_OP_LOGISTIC] = q8_prepare_logistic,
    [Q8_OP_MAX_POOL_2D] = FLOAT_OR_INT(max_pool_2d),
    [Q8_OP_MEAN] = FLOAT_OR_INT(mean),
    [Q8_OP_PAD] = FLOAT_OR_INT(pad),
    [Q8_OP_QUANTIZE] = q8_prepare_quantize,
    [Q8_OP_RESHAPE] = q8_prepare_reshape,
    [Q8_OP_SOFTMAX] = FLOAT_OR_INT(softmax),
    [Q8_OP_SQUEEZE] = q8_prepare_squeeze,
    [Q8_OP_TANH] = q8_prepare_tanh,
};
