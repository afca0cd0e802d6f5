/* Names and small helpers of the in-memory graph. */
#include "core/graph.h"

#include <stdlib.h>

const char *q8_op_name(q8_op_kind kind) {
  static const char *const names[Q8_OP_COUNT] = {
      [Q8_OP_ADD] = "ADD",
      [Q8_OP_AVERAGE_POOL_2D] = "AVERAGE_POOL_2D",
      [Q8_OP_CONCATENATION] = "CONCATENATION",
      [Q8_OP_CONV_2D] = "CONV_2D",
      [Q8_OP_DEPTHWISE_CONV_2D] = "DEPTHWISE_CONV_2D",
      [Q8_OP_DEQUANTIZE] = "DEQUANTIZE",
      [Q8_OP_FULLY_CONNECTED] = "FULLY_CONNECTED",
      [Q8_OP_LOGISTIC] = "LOGISTIC",
      [Q8_OP_MAX_POOL_2D] = "MAX_POOL_2D",
      [Q8_OP_MEAN] = "MEAN",
      [Q8_OP_PAD] = "PAD",
      [Q8_OP_QUANTIZE] = "QUANTIZE",
      [Q8_OP_RESHAPE] = "RESHAPE",
      [Q8_OP_SOFTMAX] = "SOFTMAX",
      [Q8_OP_SQUEEZE] = "SQUEEZE",
      [Q8_OP_TANH] = "TANH",
  };
  if ((unsigned)kind >= Q8_OP_COUNT) return "UNKNOWN";
  return names[kind];
}

const char *q8_activation_name(q8_activation act) {
  switch (act) {
    case Q8_ACT_NONE: return "NONE";
    case Q8_ACT_RELU: return "RELU";
    case Q8_ACT_RELU_N1_TO_1: return "RELU_N1_TO_1";
    case Q8_ACT_RELU6: return "RELU6";
  }
  return "UNKNOWN";
}

const char *q8_type_name(q8_type type) {
  switch (type) {
    case Q8_TYPE_FLOAT32: return "float32";
    case Q8_TYPE_INT32: return "int32";
    case Q8_TYPE_UINT8: return "uint8";
    case Q8_TYPE_INT8: return "int8";
  }
  return "unknown";
}

size_t q8_type_size(q8_type type) {
  switch (type) {
    case Q8_TYPE_FLOAT32:
    case Q8_TYPE_INT32: return 4;
    case Q8_TYPE_UINT8:
    case Q8_TYPE_INT8: return 1;
  }
  return 0;
}

void q8_graph_free(q8_graph *graph) {
  if (graph == NULL) return;
  q8_pool_release(&graph->pool);
  free(graph);
}

size_t q8_tensor_elements(const q8_tensor *t) {
  size_t n = 1;
  for (int32_t i = 0; i < t->rank; i++) {
    if (t->dims[i] < 0) return 0;
    size_t d = (size_t)t->dims[i];
    if (d != 0 && n > (SIZE_MAX / 8) / d) return 0;
    n *= d;
  }
  return n;
}
