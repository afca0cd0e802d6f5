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

const q8_op_prepare_fn q8_op_prepare_table[Q8_OP_COUNT] = {
    [Q8_OP_ADD] = q8_prepare_add,
    [Q8_OP_AVERAGE_POOL_2D] = q8_prepare_average_pool_2d,
    [Q8_OP_CONCATENATION] = q8_prepare_concatenation,
    [Q8_OP_CONV_2D] = q8_prepare_conv_2d,
    [Q8_OP_DEPTHWISE_CONV_2D] = q8_prepare_depthwise_conv_2d,
#ifndef Q8_INTEGER_ONLY
    /* DEQUANTIZE always produces float32: the integer-only build has no such operator. */
    [Q8_OP_DEQUANTIZE] = q8_prepare_dequantize,
#endif
    [Q8_OP_FULLY_CONNECTED] = q8_prepare_fully_connected,
    [Q8_OP_LOGISTIC] = q8_prepare_logistic,
    [Q8_OP_MAX_POOL_2D] = q8_prepare_max_pool_2d,
    [Q8_OP_MEAN] = q8_prepare_mean,
    [Q8_OP_PAD] = q8_prepare_pad,
    [Q8_OP_QUANTIZE] = q8_prepare_quantize,
    [Q8_OP_RESHAPE] = q8_prepare_reshape,
    [Q8_OP_SOFTMAX] = q8_prepare_softmax,
    [Q8_OP_SQUEEZE] = q8_prepare_squeeze,
    [Q8_OP_TANH] = q8_prepare_tanh,
};
