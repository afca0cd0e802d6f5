/* TFLite reader, operators: operator codes to q8 kinds, tensor indices, builtin options. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "tflite/reader-internal.h"
#include "tflite/schema-fields.h"
#include "tflite/schema-names.h"

/* A table without fields: every option takes its schema default. */
static const q8_fb_table no_options = {0, 0, 0, 0};

/* Finds the q8 kind of the operator code the operator uses, or refuses it by name. */
static q8_status resolve_opcode(q8_tfl_reader *r, uint32_t op_index, uint32_t opcode_index,
                                const q8_tfl_op_entry **entry) {
  q8_fb *fb = &r->fb;
  const q8_tfl_opcode *oc = &r->opcodes[opcode_index];
  int32_t code = oc->builtin_code;
  if (code == Q8_TFL_OP_CUSTOM) {
    char name[64];
    q8_fb_printable(&oc->custom_code, name, sizeof name);
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, oc->pos, "opcode_index",
                      "operator %u uses custom operator '%s' (OperatorCode %u), which q8 does "
                      "not support", op_index, name, opcode_index);
  }
  *entry = q8_tfl_op_by_code(code);
  if (*entry != NULL) return Q8_OK;
  const char *name = q8_tfl_builtin_operator_name(code);
  if (name == NULL) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, oc->pos, "opcode_index",
                      "operator %u uses builtin code %d (OperatorCode %u), unknown to the TFLite "
                      "schema q8 knows", op_index, code, opcode_index);
  }
  return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, oc->pos, "opcode_index",
                    "operator %u uses %s (builtin code %d), which q8 does not support", op_index,
                    name, code);
}

/* ---- enums inside options ---- */

static q8_status read_activation(q8_tfl_reader *r, const q8_fb_table *t, int index,
                                 q8_activation *act) {
  int8_t v = 0;
  q8_status s = q8_fb_i8(&r->fb, t, index, "fused_activation_function", 0, &v);
  if (s != Q8_OK) return s;
  switch (v) {
    case 0: *act = Q8_ACT_NONE; return Q8_OK;
    case 1: *act = Q8_ACT_RELU; return Q8_OK;
    case 2: *act = Q8_ACT_RELU_N1_TO_1; return Q8_OK;
    case 3: *act = Q8_ACT_RELU6; return Q8_OK;
    case 4:
    case 5:
      return q8_fb_fail(&r->fb, Q8_ERROR_UNSUPPORTED, t->pos, "fused_activation_function",
                        "fused activation %s is not supported", v == 4 ? "TANH" : "SIGN_BIT");
    default:
      return q8_fb_fail(&r->fb, Q8_ERROR_MALFORMED, t->pos, "fused_activation_function",
                        "%d is not an ActivationFunctionType", v);
  }
}

static q8_status read_padding(q8_tfl_reader *r, const q8_fb_table *t, int index,
                              q8_padding *padding) {
  int8_t v = 0;
  q8_status s = q8_fb_i8(&r->fb, t, index, "padding", 0, &v);
  if (s != Q8_OK) return s;
  if (v != 0 && v != 1) {
    return q8_fb_fail(&r->fb, Q8_ERROR_MALFORMED, t->pos, "padding",
                      "%d is not a Padding (SAME 0, VALID 1)", v);
  }
  *padding = v == 0 ? Q8_PADDING_SAME : Q8_PADDING_VALID;
  return Q8_OK;
}

/* quantized_bias_type (CONV_2D v8, FULLY_CONNECTED v11): 0 when unset; q8 has int32 biases. */
static q8_status check_bias_type(q8_tfl_reader *r, const q8_fb_table *t, int index) {
  int8_t v = 0;
  q8_status s = q8_fb_i8(&r->fb, t, index, "quantized_bias_type", 0, &v);
  if (s != Q8_OK || v == 0 || v == Q8_TFL_TYPE_INT32) return s;
  const char *name = q8_tfl_tensor_type_name(v);
  return q8_fb_fail(&r->fb, Q8_ERROR_UNSUPPORTED, t->pos, "quantized_bias_type",
                    "bias type %s (%d) is not supported (int32 only)", name ? name : "?", v);
}

/* ---- options tables ---- */

static q8_status read_conv_options(q8_tfl_reader *r, const q8_fb_table *t, q8_node *node) {
  q8_fb *fb = &r->fb;
  node->opt.conv.depth_multiplier = 0;
  q8_status s = read_padding(r, t, CONV_PADDING, &node->opt.conv.padding);
  if (s == Q8_OK) s = q8_fb_i32(fb, t, CONV_STRIDE_W, "stride_w", 0, &node->opt.conv.stride_w);
  if (s == Q8_OK) s = q8_fb_i32(fb, t, CONV_STRIDE_H, "stride_h", 0, &node->opt.conv.stride_h);
  if (s == Q8_OK) s = read_activation(r, t, CONV_ACTIVATION, &node->opt.conv.activation);
  if (s == Q8_OK) {
    s = q8_fb_i32(fb, t, CONV_DILATION_W, "dilation_w_factor", 1, &node->opt.conv.dilation_w);
  }
  if (s == Q8_OK) {
    s = q8_fb_i32(fb, t, CONV_DILATION_H, "dilation_h_factor", 1, &node->opt.conv.dilation_h);
  }
  if (s == Q8_OK) s = check_bias_type(r, t, CONV_QUANTIZED_BIAS_TYPE);
  return s;
}

static q8_status read_depthwise_options(q8_tfl_reader *r, const q8_fb_table *t, q8_node *node) {
  q8_fb *fb = &r->fb;
  q8_status s = read_padding(r, t, DW_PADDING, &node->opt.conv.padding);
  if (s == Q8_OK) s = q8_fb_i32(fb, t, DW_STRIDE_W, "stride_w", 0, &node->opt.conv.stride_w);
  if (s == Q8_OK) s = q8_fb_i32(fb, t, DW_STRIDE_H, "stride_h", 0, &node->opt.conv.stride_h);
  if (s == Q8_OK) {
    s = q8_fb_i32(fb, t, DW_DEPTH_MULTIPLIER, "depth_multiplier", 0,
                  &node->opt.conv.depth_multiplier);
  }
  if (s == Q8_OK) s = read_activation(r, t, DW_ACTIVATION, &node->opt.conv.activation);
  if (s == Q8_OK) {
    s = q8_fb_i32(fb, t, DW_DILATION_W, "dilation_w_factor", 1, &node->opt.conv.dilation_w);
  }
  if (s == Q8_OK) {
    s = q8_fb_i32(fb, t, DW_DILATION_H, "dilation_h_factor", 1, &node->opt.conv.dilation_h);
  }
  return s;
}

static q8_status read_pool_options(q8_tfl_reader *r, const q8_fb_table *t, q8_node *node) {
  q8_fb *fb = &r->fb;
  q8_status s = read_padding(r, t, POOL_PADDING, &node->opt.pool.padding);
  if (s == Q8_OK) s = q8_fb_i32(fb, t, POOL_STRIDE_W, "stride_w", 0, &node->opt.pool.stride_w);
  if (s == Q8_OK) s = q8_fb_i32(fb, t, POOL_STRIDE_H, "stride_h", 0, &node->opt.pool.stride_h);
  if (s == Q8_OK) s = q8_fb_i32(fb, t, POOL_FILTER_W, "filter_width", 0, &node->opt.pool.filter_w);
  if (s == Q8_OK) {
    s = q8_fb_i32(fb, t, POOL_FILTER_H, "filter_height", 0, &node->opt.pool.filter_h);
  }
  if (s == Q8_OK) s = read_activation(r, t, POOL_ACTIVATION, &node->opt.pool.activation);
  return s;
}

static q8_status read_fc_options(q8_tfl_reader *r, const q8_fb_table *t, q8_node *node) {
  q8_fb *fb = &r->fb;
  int8_t format = 0;
  bool asymmetric = false;
  q8_status s = read_activation(r, t, FC_ACTIVATION, &node->opt.fully_connected.activation);
  if (s == Q8_OK) s = q8_fb_i8(fb, t, FC_WEIGHTS_FORMAT, "weights_format", 0, &format);
  if (s == Q8_OK) {
    s = q8_fb_bool(fb, t, FC_KEEP_NUM_DIMS, "keep_num_dims", false,
                   &node->opt.fully_connected.keep_num_dims);
  }
  if (s == Q8_OK) {
    s = q8_fb_bool(fb, t, FC_ASYMMETRIC_QUANTIZE_INPUTS, "asymmetric_quantize_inputs", false,
                   &asymmetric);
  }
  if (s == Q8_OK) s = check_bias_type(r, t, FC_QUANTIZED_BIAS_TYPE);
  if (s != Q8_OK) return s;
  if (format == 1) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, t->pos, "weights_format",
                      "shuffled weights (SHUFFLED4x16INT8) are not supported");
  }
  if (format != 0) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, t->pos, "weights_format",
                      "%d is not a FullyConnectedOptionsWeightsFormat", format);
  }
  if (asymmetric) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, t->pos, "asymmetric_quantize_inputs",
                      "hybrid operator (float inputs quantized at run time) is not supported");
  }
  return Q8_OK;
}

/* A vector of at most Q8_MAX_RANK int32 into dims; *present says whether the field exists. */
static q8_status read_small_i32_vector(q8_tfl_reader *r, const q8_fb_table *t, int index,
                                       const char *name, bool *present, int32_t *count,
                                       int32_t *dims) {
  q8_fb_vector v;
  q8_status s = q8_fb_vector_field(&r->fb, t, index, 4, name, &v);
  if (s != Q8_OK) return s;
  if (v.length > Q8_MAX_RANK) {
    return q8_fb_fail(&r->fb, Q8_ERROR_UNSUPPORTED, v.pos, name,
                      "%u entries, more than q8's maximum rank %d", v.length, Q8_MAX_RANK);
  }
  for (uint32_t i = 0; i < v.length; i++) dims[i] = q8_fb_vector_i32(&r->fb, &v, i);
  *count = (int32_t)v.length;
  *present = v.present;
  return Q8_OK;
}

static q8_status read_options(q8_tfl_reader *r, const q8_fb_table *t, q8_node *node) {
  q8_fb *fb = &r->fb;
  bool present;
  switch (node->kind) {
    case Q8_OP_CONV_2D: return read_conv_options(r, t, node);
    case Q8_OP_DEPTHWISE_CONV_2D: return read_depthwise_options(r, t, node);
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D: return read_pool_options(r, t, node);
    case Q8_OP_FULLY_CONNECTED: return read_fc_options(r, t, node);
    case Q8_OP_ADD: return read_activation(r, t, ADD_ACTIVATION, &node->opt.add.activation);
    case Q8_OP_CONCATENATION: {
      q8_status s = q8_fb_i32(fb, t, CONCAT_AXIS, "axis", 0, &node->opt.concatenation.axis);
      if (s != Q8_OK) return s;
      return read_activation(r, t, CONCAT_ACTIVATION, &node->opt.concatenation.activation);
    }
    case Q8_OP_SOFTMAX: return q8_fb_f32(fb, t, SOFTMAX_BETA, "beta", 0.0f, &node->opt.softmax.beta);
    case Q8_OP_MEAN:
      return q8_fb_bool(fb, t, REDUCER_KEEP_DIMS, "keep_dims", false, &node->opt.reduce.keep_dims);
    case Q8_OP_RESHAPE:
      return read_small_i32_vector(r, t, RESHAPE_NEW_SHAPE, "new_shape",
                                   &node->opt.reshape.has_new_shape, &node->opt.reshape.rank,
                                   node->opt.reshape.new_shape);
    case Q8_OP_SQUEEZE:
      return read_small_i32_vector(r, t, SQUEEZE_DIMS, "squeeze_dims", &present,
                                   &node->opt.squeeze.n_dims, node->opt.squeeze.dims);
    case Q8_OP_DEQUANTIZE:
    case Q8_OP_LOGISTIC:
    case Q8_OP_PAD:
    case Q8_OP_QUANTIZE:
    case Q8_OP_TANH:
    case Q8_OP_COUNT: break;
  }
  return Q8_OK;
}

/* The union's type must be NONE or the operator's own options table. */
static q8_status read_options_union(q8_tfl_reader *r, const q8_fb_table *op,
                                    const q8_tfl_op_entry *entry, q8_node *node) {
  q8_fb *fb = &r->fb;
  uint8_t type = 0;
  bool present = false;
  q8_fb_table t = no_options;
  q8_status s = q8_fb_u8(fb, op, OPERATOR_OPTIONS_TYPE, "builtin_options_type", 0, &type);
  if (s != Q8_OK) return s;
  if (type > Q8_TFL_OPTIONS_LAST) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, op->pos, "builtin_options_type",
                      "union type %u is not a BuiltinOptions member", type);
  }
  if (type != Q8_TFL_OPTIONS_NONE && type != entry->options) {
    const char *expected = entry->options == Q8_TFL_OPTIONS_NONE
                               ? "none"
                               : q8_tfl_builtin_options_name(entry->options);
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, op->pos, "builtin_options_type",
                      "%s carries %s, expected %s", q8_op_name(entry->kind),
                      q8_tfl_builtin_options_name(type), expected);
  }
  if (type != Q8_TFL_OPTIONS_NONE) {
    s = q8_fb_subtable(fb, op, OPERATOR_OPTIONS, "builtin_options", &present, &t);
    if (s != Q8_OK) return s;
    if (!present) t = no_options;
  }
  char where[sizeof fb->where];
  memcpy(where, fb->where, sizeof where);
  q8_fb_set_where(fb, "%s.builtin_options (%s)", where,
                  q8_tfl_builtin_options_name(entry->options));
  s = read_options(r, &t, node);
  memcpy(fb->where, where, sizeof where);
  return s;
}

/* Operator.inputs / outputs: tensor indices; -1 (absent optional input) only in inputs. */
static q8_status read_tensor_list(q8_tfl_reader *r, const q8_fb_table *op, int field,
                                  const char *name, bool allow_absent, int32_t *count,
                                  const int32_t **indices) {
  q8_fb *fb = &r->fb;
  q8_fb_vector v;
  q8_status s = q8_fb_vector_field(fb, op, field, 4, name, &v);
  if (s != Q8_OK) return s;
  if (v.length > Q8_MAX_NODE_INPUTS) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, v.pos, name,
                      "%u tensors, more than q8's maximum of %d", v.length, Q8_MAX_NODE_INPUTS);
  }
  int32_t *out = q8_pool_alloc(&r->graph->pool, (size_t)v.length * sizeof *out);
  if (out == NULL) return q8_fail(fb->error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  int32_t n_tensors = r->graph->n_tensors;
  for (uint32_t i = 0; i < v.length; i++) {
    out[i] = q8_fb_vector_i32(fb, &v, i);
    bool absent_ok = allow_absent && out[i] == -1;
    if (!absent_ok && (out[i] < 0 || out[i] >= n_tensors)) {
      return q8_fb_fail(fb, Q8_ERROR_MALFORMED, v.pos, name,
                        "entry %u is tensor index %d, out of range (%d tensors%s)", i, out[i],
                        n_tensors, allow_absent ? "; -1 marks an absent input" : "");
    }
  }
  *count = (int32_t)v.length;
  *indices = out;
  return Q8_OK;
}

/* Hybrid operators (float activations, 8-bit weights dequantized at run time) are not
   integer inference. */
static q8_status refuse_hybrid(q8_tfl_reader *r, const q8_fb_table *op, const q8_node *node) {
  if (node->kind != Q8_OP_CONV_2D && node->kind != Q8_OP_DEPTHWISE_CONV_2D &&
      node->kind != Q8_OP_FULLY_CONNECTED) {
    return Q8_OK;
  }
  if (node->n_inputs < 2 || node->inputs[0] < 0 || node->inputs[1] < 0) return Q8_OK;
  const q8_tensor *in = &r->graph->tensors[node->inputs[0]];
  const q8_tensor *w = &r->graph->tensors[node->inputs[1]];
  if (in->type == Q8_TYPE_FLOAT32 && (w->type == Q8_TYPE_INT8 || w->type == Q8_TYPE_UINT8)) {
    return q8_fb_fail(&r->fb, Q8_ERROR_UNSUPPORTED, op->pos, "inputs",
                      "hybrid operator: float32 input '%s' with %s weights '%s' is not supported "
                      "(q8 runs fully quantized models)", in->name, q8_type_name(w->type),
                      w->name);
  }
  return Q8_OK;
}

static q8_status read_operator(q8_tfl_reader *r, const q8_fb_vector *operators, uint32_t i) {
  q8_fb *fb = &r->fb;
  q8_node *node = &r->graph->nodes[i];
  q8_fb_table op;
  uint32_t opcode_index = 0;
  const q8_tfl_op_entry *entry = NULL;
  q8_fb_set_where(fb, "Operator %u", i);
  q8_status s = q8_fb_vector_table(fb, operators, i, "", &op);
  if (s == Q8_OK) s = q8_fb_u32(fb, &op, OPERATOR_OPCODE_INDEX, "opcode_index", 0, &opcode_index);
  if (s != Q8_OK) return s;
  if (opcode_index >= r->n_opcodes) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, op.pos, "opcode_index",
                      "%u is out of range (the model has %u operator codes)", opcode_index,
                      r->n_opcodes);
  }
  s = resolve_opcode(r, i, opcode_index, &entry);
  if (s != Q8_OK) return s;
  node->kind = entry->kind;
  node->version = r->opcodes[opcode_index].version;
  q8_fb_set_where(fb, "Operator %u (%s)", i, q8_op_name(node->kind));
  s = read_tensor_list(r, &op, OPERATOR_INPUTS, "inputs", true, &node->n_inputs, &node->inputs);
  if (s == Q8_OK) {
    s = read_tensor_list(r, &op, OPERATOR_OUTPUTS, "outputs", false, &node->n_outputs,
                         &node->outputs);
  }
  if (s == Q8_OK) s = read_options_union(r, &op, entry, node);
  if (s == Q8_OK) s = refuse_hybrid(r, &op, node);
  return s;
}

q8_status q8_tfl_read_operators(q8_tfl_reader *r, const q8_fb_vector *operators) {
  q8_graph *g = r->graph;
  if (operators->length > (uint32_t)INT32_MAX) {
    return q8_fb_fail(&r->fb, Q8_ERROR_MALFORMED, operators->pos, "operators", "%u operators",
                      operators->length);
  }
  g->n_nodes = (int32_t)operators->length;
  g->nodes = q8_pool_alloc(&g->pool, (size_t)operators->length * sizeof *g->nodes);
  if (g->nodes == NULL) return q8_fail(r->fb.error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  q8_status s = Q8_OK;
  for (uint32_t i = 0; i < operators->length && s == Q8_OK; i++) s = read_operator(r, operators, i);
  return s;
}
