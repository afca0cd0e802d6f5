/* TFLite writer, operators: versions, tensor lists and builtin options tables. */
#include "tflite/schema-fields.h"
#include "tflite/schema-names.h"
#include "tflite/writer-internal.h"

/* ---- versions ---- */

static q8_type tensor_type(const q8_graph *g, const q8_node *node, int32_t k, bool output) {
  const int32_t *list = output ? node->outputs : node->inputs;
  int32_t n = output ? node->n_outputs : node->n_inputs;
  if (k >= n || list[k] < 0) return Q8_TYPE_FLOAT32;
  return g->tensors[list[k]].type;
}

static bool per_channel(const q8_graph *g, const q8_node *node, int32_t k, bool output) {
  const int32_t *list = output ? node->outputs : node->inputs;
  int32_t n = output ? node->n_outputs : node->n_inputs;
  return k < n && list[k] >= 0 && g->tensors[list[k]].quant.count > 1;
}

/* Input, filter and output all int8: the "full integer" kernels of TFLite's spec. */
static bool all_int8(const q8_graph *g, const q8_node *node) {
  return tensor_type(g, node, 0, false) == Q8_TYPE_INT8 &&
         tensor_type(g, node, 1, false) == Q8_TYPE_INT8 &&
         tensor_type(g, node, 0, true) == Q8_TYPE_INT8;
}

int32_t q8_tfl_operator_version(const q8_graph *g, const q8_node *node) {
  bool int8_input = tensor_type(g, node, 0, false) == Q8_TYPE_INT8;
  switch (node->kind) {
    case Q8_OP_CONV_2D: return all_int8(g, node) ? 3 : 1;
    case Q8_OP_DEPTHWISE_CONV_2D:
      if (all_int8(g, node)) return 3;
      return node->opt.conv.dilation_h != 1 || node->opt.conv.dilation_w != 1 ? 2 : 1;
    case Q8_OP_FULLY_CONNECTED:
      if (node->n_inputs == 2) return 6;
      if (node->opt.fully_connected.keep_num_dims) return 5;
      return all_int8(g, node) ? 4 : 1;
    case Q8_OP_DEQUANTIZE:
      if (!int8_input) return 1;
      return per_channel(g, node, 0, false) ? 5 : 2;
    case Q8_OP_QUANTIZE: return per_channel(g, node, 0, true) ? 3 : 1;
    case Q8_OP_ADD:
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_CONCATENATION:
    case Q8_OP_LOGISTIC:
    case Q8_OP_MAX_POOL_2D:
    case Q8_OP_MEAN:
    case Q8_OP_PAD:
    case Q8_OP_SOFTMAX:
    case Q8_OP_TANH: return int8_input ? 2 : 1;
    case Q8_OP_RESHAPE:
    case Q8_OP_SQUEEZE:
    case Q8_OP_COUNT: break;
  }
  return 1;
}

/* ---- options ---- */

static uint8_t tfl_activation(q8_activation act) {
  switch (act) {
    case Q8_ACT_NONE: return 0;
    case Q8_ACT_RELU: return 1;
    case Q8_ACT_RELU_N1_TO_1: return 2;
    case Q8_ACT_RELU6: return 3;
  }
  return 0;
}

static uint8_t tfl_padding(q8_padding padding) { return padding == Q8_PADDING_VALID ? 1 : 0; }

static void add_conv_fields(q8_fbb *b, const q8_node *node) {
  q8_fbb_add_u8(b, CONV_PADDING, tfl_padding(node->opt.conv.padding));
  q8_fbb_add_i32(b, CONV_STRIDE_W, node->opt.conv.stride_w);
  q8_fbb_add_i32(b, CONV_STRIDE_H, node->opt.conv.stride_h);
  q8_fbb_add_u8(b, CONV_ACTIVATION, tfl_activation(node->opt.conv.activation));
  q8_fbb_add_i32(b, CONV_DILATION_W, node->opt.conv.dilation_w);
  q8_fbb_add_i32(b, CONV_DILATION_H, node->opt.conv.dilation_h);
}

static void add_depthwise_fields(q8_fbb *b, const q8_node *node) {
  q8_fbb_add_u8(b, DW_PADDING, tfl_padding(node->opt.conv.padding));
  q8_fbb_add_i32(b, DW_STRIDE_W, node->opt.conv.stride_w);
  q8_fbb_add_i32(b, DW_STRIDE_H, node->opt.conv.stride_h);
  q8_fbb_add_i32(b, DW_DEPTH_MULTIPLIER, node->opt.conv.depth_multiplier);
  q8_fbb_add_u8(b, DW_ACTIVATION, tfl_activation(node->opt.conv.activation));
  q8_fbb_add_i32(b, DW_DILATION_W, node->opt.conv.dilation_w);
  q8_fbb_add_i32(b, DW_DILATION_H, node->opt.conv.dilation_h);
}

static void add_pool_fields(q8_fbb *b, const q8_node *node) {
  q8_fbb_add_u8(b, POOL_PADDING, tfl_padding(node->opt.pool.padding));
  q8_fbb_add_i32(b, POOL_STRIDE_W, node->opt.pool.stride_w);
  q8_fbb_add_i32(b, POOL_STRIDE_H, node->opt.pool.stride_h);
  q8_fbb_add_i32(b, POOL_FILTER_W, node->opt.pool.filter_w);
  q8_fbb_add_i32(b, POOL_FILTER_H, node->opt.pool.filter_h);
  q8_fbb_add_u8(b, POOL_ACTIVATION, tfl_activation(node->opt.pool.activation));
}

/* Vectors an options table refers to come before the table (builder rule); 0 when none. */
static q8_fbb_ref options_vector(q8_fbb *b, const q8_node *node) {
  if (node->kind == Q8_OP_RESHAPE && node->opt.reshape.has_new_shape)
    return q8_fbb_vector_i32(b, node->opt.reshape.new_shape, (uint32_t)node->opt.reshape.rank);
  if (node->kind == Q8_OP_SQUEEZE && node->opt.squeeze.n_dims > 0)
    return q8_fbb_vector_i32(b, node->opt.squeeze.dims, (uint32_t)node->opt.squeeze.n_dims);
  return 0;
}

static void add_option_fields(q8_fbb *b, const q8_node *node, q8_fbb_ref vector) {
  switch (node->kind) {
    case Q8_OP_CONV_2D: add_conv_fields(b, node); break;
    case Q8_OP_DEPTHWISE_CONV_2D: add_depthwise_fields(b, node); break;
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D: add_pool_fields(b, node); break;
    case Q8_OP_FULLY_CONNECTED:
      q8_fbb_add_u8(b, FC_ACTIVATION, tfl_activation(node->opt.fully_connected.activation));
      q8_fbb_add_u8(b, FC_KEEP_NUM_DIMS, node->opt.fully_connected.keep_num_dims ? 1 : 0);
      break;
    case Q8_OP_ADD: q8_fbb_add_u8(b, ADD_ACTIVATION, tfl_activation(node->opt.add.activation)); break;
    case Q8_OP_CONCATENATION:
      q8_fbb_add_i32(b, CONCAT_AXIS, node->opt.concatenation.axis);
      q8_fbb_add_u8(b, CONCAT_ACTIVATION, tfl_activation(node->opt.concatenation.activation));
      break;
    case Q8_OP_SOFTMAX: q8_fbb_add_f32(b, SOFTMAX_BETA, node->opt.softmax.beta); break;
    case Q8_OP_MEAN: q8_fbb_add_u8(b, REDUCER_KEEP_DIMS, node->opt.reduce.keep_dims ? 1 : 0); break;
    case Q8_OP_RESHAPE:
      if (vector != 0) q8_fbb_add_ref(b, RESHAPE_NEW_SHAPE, vector);
      break;
    case Q8_OP_SQUEEZE:
      if (vector != 0) q8_fbb_add_ref(b, SQUEEZE_DIMS, vector);
      break;
    case Q8_OP_DEQUANTIZE:
    case Q8_OP_LOGISTIC:
    case Q8_OP_PAD:
    case Q8_OP_QUANTIZE:
    case Q8_OP_TANH:
    case Q8_OP_COUNT: break;
  }
}

/* The options table (even an empty one, as TFLite's converter writes), or 0 when the
   operator has no options table in the schema. */
static q8_fbb_ref encode_options(q8_fbb *b, const q8_node *node, uint8_t options_type) {
  if (options_type == Q8_TFL_OPTIONS_NONE) return 0;
  q8_fbb_ref vector = options_vector(b, node);
  q8_fbb_table_begin(b);
  add_option_fields(b, node, vector);
  return q8_fbb_table_end(b);
}

q8_fbb_ref q8_tfl_encode_operator(q8_tfl_writer *w, int32_t i) {
  q8_fbb *b = &w->b;
  const q8_node *node = &w->graph->nodes[i];
  uint8_t options_type = q8_tfl_op_by_kind(node->kind)->options;
  q8_fbb_ref options = encode_options(b, node, options_type);
  q8_fbb_ref outputs = q8_fbb_vector_i32(b, node->outputs, (uint32_t)node->n_outputs);
  q8_fbb_ref inputs = q8_fbb_vector_i32(b, node->inputs, (uint32_t)node->n_inputs);
  q8_fbb_table_begin(b);
  int32_t opcode = w->opcode_of_kind[node->kind];
  if (opcode != 0) q8_fbb_add_u32(b, OPERATOR_OPCODE_INDEX, (uint32_t)opcode);
  q8_fbb_add_ref(b, OPERATOR_INPUTS, inputs);
  q8_fbb_add_ref(b, OPERATOR_OUTPUTS, outputs);
  if (options != 0) {
    q8_fbb_add_u8(b, OPERATOR_OPTIONS_TYPE, options_type);
    q8_fbb_add_ref(b, OPERATOR_OPTIONS, options);
  }
  return q8_fbb_table_end(b);
}
