/* The converter's export: turns the plan (convert-plan.c) into q8's inference graph, with
   activation parameters from the ranges table and weights quantized by convert-quant.c; checks
   that q8's runtime prepares the result; writes it; and the post-training quantization flow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "tflite/writer.h"
#include "train/convert-internal.h"

typedef struct emitter {
  const q8t_graph *g;
  const q8t_export_plan *plan;
  q8t_convert_setup setup;
  q8_graph *out;
  int32_t cap_tensors;
  int32_t *exported;    /* training tensor -> exported tensor, -1 */
  int32_t *op_output;   /* plan operator -> its exported output tensor */
  q8t_export_report *report;
  q8_error *error;
} emitter;

static q8_status out_of_memory(emitter *e) {
  return q8_fail(e->error, Q8_ERROR_OUT_OF_MEMORY, "out of memory building the exported graph");
}

static void *pool_alloc(emitter *e, size_t size) { return q8_pool_alloc(&e->out->pool, size); }

/* A new tensor (no quantization yet); -1 when out of memory. */
static int32_t new_tensor(emitter *e, const char *name, q8_type type, int32_t rank,
                          const int32_t *dims) {
  if (e->out->n_tensors == e->cap_tensors) return -1;
  const int32_t index = e->out->n_tensors;
  q8_tensor *t = &e->out->tensors[index];
  memset(t, 0, sizeof *t);
  t->name = q8_pool_dup(&e->out->pool, name, strlen(name) + 1);
  if (t->name == NULL) return -1;
  t->type = type;
  t->rank = rank;
  memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
  e->out->n_tensors++;
  return index;
}

/* Per-tensor (count 1) or per-channel parameters along axis; arrays copied into the pool. */
static bool set_quant(emitter *e, int32_t t, int32_t count, const float *scales,
                      const int32_t *zero_points, int32_t axis) {
  float *s = q8_pool_dup(&e->out->pool, scales, (size_t)count * sizeof *s);
  int32_t *z = q8_pool_dup(&e->out->pool, zero_points, (size_t)count * sizeof *z);
  if (s == NULL || z == NULL) return false;
  e->out->tensors[t].quant = (q8_quant){count, s, z, axis};
  return true;
}

static bool set_params(emitter *e, int32_t t, q8_quant_params p) {
  return set_quant(e, t, 1, &p.scale, &p.zero_point, 0);
}

static q8_quant_params params_of(const emitter *e, int32_t exported) {
  const q8_quant *q = &e->out->tensors[exported].quant;
  return (q8_quant_params){q->scale[0], q->zero_point[0]};
}

/* An activation of the exported graph: the training tensor's name and shape at batch 1. */
static q8_status activation_tensor(emitter *e, int32_t train, q8_quant_params p,
                                   int32_t *exported) {
  const q8t_tensor *x = &e->g->tensors[train];
  int32_t dims[Q8T_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  if (x->batched) dims[0] = 1;
  *exported = new_tensor(e, x->name, e->setup.type, x->rank, dims);
  if (*exported < 0 || !set_params(e, *exported, p)) return out_of_memory(e);
  e->exported[train] = *exported;
  return Q8_OK;
}

/* The scale and zero point of a ranged activation, on its 8-bit grid. */
static q8_status range_params(emitter *e, int32_t train, q8_quant_params *p) {
  const q8_range_tracker *r =
      e->setup.ranges != NULL && train < e->setup.ranges->n_tensors
          ? &e->setup.ranges->activation[train] : NULL;
  if (r == NULL || !r->initialized)
    return q8_fail(e->error, Q8_ERROR_STATE,
                   "no range for '%s': calibrate (q8t_calibrate) or set it (q8t_ranges_set)",
                   e->g->tensors[train].name);
  q8_quant_grid grid;
  int32_t offset;
  q8_status s = q8_range_tracker_grid(r, Q8_QUANT_MAX_BITS, false, &grid, e->error);
  if (s == Q8_OK) s = q8_quant_grid_storage(&grid, e->setup.type, p, &offset, e->error);
  if (s != Q8_OK) q8_error_prefix(e->error, "range of '%s'", e->g->tensors[train].name);
  return s;
}

static q8_node *new_node(emitter *e, q8_op_kind kind, int32_t n_inputs, const int32_t *inputs,
                         int32_t output) {
  q8_node *node = &e->out->nodes[e->out->n_nodes];
  int32_t *in = q8_pool_dup(&e->out->pool, inputs, (size_t)n_inputs * sizeof *in);
  int32_t *out = q8_pool_dup(&e->out->pool, &output, sizeof *out);
  if (in == NULL || out == NULL) return NULL;
  memset(node, 0, sizeof *node);
  node->kind = kind;
  node->n_inputs = n_inputs;
  node->inputs = in;
  node->n_outputs = 1;
  node->outputs = out;
  e->out->n_nodes++;
  return node;
}

/* "<node>/<what>" for the tensors the export adds. */
static void join_name(char *buf, size_t size, const char *node, const char *what) {
  snprintf(buf, size, "%s/%s", node, what);
}

/* Pool arrays for a quantized layer. */
static bool alloc_quantized(emitter *e, int32_t node, q8t_quantized *qz) {
  memset(qz, 0, sizeof *qz);
  const size_t channels = (size_t)q8t_convert_weight_channels(e->g, node);
  qz->codes = pool_alloc(e, q8t_convert_weight_count(e->g, node));
  qz->weight_scale = pool_alloc(e, channels * sizeof(float));
  qz->weight_zero_point = pool_alloc(e, channels * sizeof(int32_t));
  qz->bias = pool_alloc(e, channels * sizeof(int32_t));
  qz->bias_scale = pool_alloc(e, channels * sizeof(float));
  return qz->codes && qz->weight_scale && qz->weight_zero_point && qz->bias && qz->bias_scale;
}

/* Weights [as in training] and bias [channels] tensors of a quantized layer. */
static q8_status weight_tensors(emitter *e, const q8t_quantized *qz, int32_t *w, int32_t *b) {
  const q8t_node *n = &e->g->nodes[qz->node];
  const q8t_tensor *wt = &e->g->tensors[q8t_convert_weight_tensor(e->g, qz->node)];
  char name[2 * Q8T_NAME_MAX];
  const int32_t axis = qz->op == Q8T_OP_DEPTHWISE_CONV ? 3 : 0;
  *w = new_tensor(e, wt->name, e->setup.type, wt->rank, wt->dims);
  if (*w < 0 || !set_quant(e, *w, qz->grid_count, qz->weight_scale, qz->weight_zero_point, axis))
    return out_of_memory(e);
  e->out->tensors[*w].data = qz->codes;
  e->out->tensors[*w].data_size = qz->count;
  join_name(name, sizeof name, n->name, "bias");
  const int32_t bias_dims[1] = {qz->channels};
  *b = new_tensor(e, name, Q8_TYPE_INT32, 1, bias_dims);
  int32_t *zeros = pool_alloc(e, (size_t)qz->grid_count * sizeof *zeros);
  if (*b < 0 || zeros == NULL || !set_quant(e, *b, qz->grid_count, qz->bias_scale, zeros, 0))
    return out_of_memory(e);
  e->out->tensors[*b].data = qz->bias;
  e->out->tensors[*b].data_size = (size_t)qz->channels * sizeof(int32_t);
  return Q8_OK;
}

static void count_quantized(emitter *e, const q8t_quantized *qz) {
  if (e->report == NULL) return;
  e->report->weight_tensors++;
  e->report->min_scale_channels += qz->min_scale;
  e->report->bias_adjusted_channels += qz->bias_adjusted;
  e->report->handed_over_grids += qz->handed_over;
}

static void set_conv_options(q8_node *node, const q8t_node *n, q8_activation act) {
  node->opt.conv.padding = n->attrs.padding;
  node->opt.conv.stride_h = n->attrs.stride_h;
  node->opt.conv.stride_w = n->attrs.stride_w;
  node->opt.conv.dilation_h = 1;
  node->opt.conv.dilation_w = 1;
  node->opt.conv.depth_multiplier = n->op == Q8T_OP_DEPTHWISE_CONV ? n->attrs.depth_multiplier : 0;
  node->opt.conv.activation = act;
}

static q8_status emit_weighted(emitter *e, const q8t_export_op *op, int32_t in, int32_t *out) {
  q8t_quantized qz;
  if (!alloc_quantized(e, op->node, &qz)) return out_of_memory(e);
  q8_status s = q8t_quantize_weights(e->g, op->node, op->batch_norm, params_of(e, in).scale,
                                     &e->setup, &qz, e->error);
  if (s != Q8_OK) return s;
  count_quantized(e, &qz);
  int32_t w = -1, b = -1;
  q8_quant_params p;
  s = weight_tensors(e, &qz, &w, &b);
  if (s == Q8_OK) s = range_params(e, op->output, &p);
  if (s == Q8_OK) s = activation_tensor(e, op->output, p, out);
  if (s != Q8_OK) return s;
  const int32_t inputs[3] = {in, w, b};
  q8_node *node = new_node(e, op->kind, 3, inputs, *out);
  if (node == NULL) return out_of_memory(e);
  const q8t_node *n = &e->g->nodes[op->node];
  if (op->kind == Q8_OP_FULLY_CONNECTED) {
    node->opt.fully_connected.activation = op->activation;
    node->opt.fully_connected.keep_num_dims = false;
  } else {
    set_conv_options(node, n, op->activation);
  }
  return Q8_OK;
}

static q8_status emit_add(emitter *e, const q8t_export_op *op, int32_t a, int32_t b,
                          int32_t *out) {
  q8_quant_params p;
  q8_status s = range_params(e, op->output, &p);
  if (s == Q8_OK) s = activation_tensor(e, op->output, p, out);
  if (s != Q8_OK) return s;
  const int32_t inputs[2] = {a, b};
  q8_node *node = new_node(e, Q8_OP_ADD, 2, inputs, *out);
  if (node == NULL) return out_of_memory(e);
  node->opt.add.activation = op->activation;
  return Q8_OK;
}

/* MEAN over axes [1, 2] (keep_dims false) and the pools: output parameters equal the input's
   (TFLite requires it of the pools; for MEAN it makes the integer op a plain mean). */
static q8_status emit_same_quant(emitter *e, const q8t_export_op *op, int32_t in, int32_t *out) {
  const q8t_node *n = &e->g->nodes[op->node];
  q8_status s = activation_tensor(e, op->output, params_of(e, in), out);
  if (s != Q8_OK) return s;
  if (op->kind != Q8_OP_MEAN) {
    const int32_t inputs[1] = {in};
    q8_node *node = new_node(e, op->kind, 1, inputs, *out);
    if (node == NULL) return out_of_memory(e);
    node->opt.pool.padding = n->attrs.padding;
    node->opt.pool.stride_h = n->attrs.stride_h;
    node->opt.pool.stride_w = n->attrs.stride_w;
    node->opt.pool.filter_h = n->attrs.kernel_h;
    node->opt.pool.filter_w = n->attrs.kernel_w;
    node->opt.pool.activation = Q8_ACT_NONE;
    return Q8_OK;
  }
  char name[2 * Q8T_NAME_MAX];
  join_name(name, sizeof name, n->name, "axes");
  static const int32_t axes[2] = {1, 2};
  const int32_t axes_dims[1] = {2};
  const int32_t a = new_tensor(e, name, Q8_TYPE_INT32, 1, axes_dims);
  if (a < 0) return out_of_memory(e);
  e->out->tensors[a].data = q8_pool_dup(&e->out->pool, axes, sizeof axes);
  e->out->tensors[a].data_size = sizeof axes;
  const int32_t inputs[2] = {in, a};
  q8_node *node = new_node(e, Q8_OP_MEAN, 2, inputs, *out);
  if (node == NULL || e->out->tensors[a].data == NULL) return out_of_memory(e);
  node->opt.reduce.keep_dims = false;
  return Q8_OK;
}

/* SOFTMAX: output scale 1/256 with zero point -128 (int8) or 0 (uint8), TFLite's rule. */
static q8_status emit_softmax(emitter *e, int32_t in, int32_t *out) {
  const q8_tensor *logits = &e->out->tensors[in];
  *out = new_tensor(e, "probabilities", e->setup.type, logits->rank, logits->dims);
  const q8_quant_params p = {1.0f / 256.0f, e->setup.type == Q8_TYPE_INT8 ? -128 : 0};
  if (*out < 0 || !set_params(e, *out, p)) return out_of_memory(e);
  const int32_t inputs[1] = {in};
  q8_node *node = new_node(e, Q8_OP_SOFTMAX, 1, inputs, *out);
  if (node == NULL) return out_of_memory(e);
  node->opt.softmax.beta = 1.0f;
  return Q8_OK;
}

static q8_status emit_op(emitter *e, int32_t i) {
  const q8t_export_op *op = &e->plan->ops[i];
  const int32_t in = e->exported[op->inputs[0]];
  int32_t *out = &e->op_output[i];
  switch (op->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D:
    case Q8_OP_FULLY_CONNECTED: return emit_weighted(e, op, in, out);
    case Q8_OP_ADD: return emit_add(e, op, in, e->exported[op->inputs[1]], out);
    case Q8_OP_SOFTMAX: return emit_softmax(e, in, out);
    default: return emit_same_quant(e, op, in, out);
  }
}

static q8_status emit_io(emitter *e) {
  const q8t_export_plan *plan = e->plan;
  /* The input is not learned: [0, 1] in 8 bits, scale 1/255, zero point 0 or -128. */
  const q8_quant_params p = q8t_export_input_params(e->setup.type);
  int32_t input;
  q8_status s = activation_tensor(e, plan->input, p, &input);
  int32_t *inputs = pool_alloc(e, sizeof *inputs);
  int32_t *outputs = pool_alloc(e, (size_t)plan->n_outputs * sizeof *outputs);
  if (s == Q8_OK && (inputs == NULL || outputs == NULL)) s = out_of_memory(e);
  if (s != Q8_OK) return s;
  inputs[0] = input;
  e->out->n_inputs = 1;
  e->out->inputs = inputs;
  for (int32_t i = 0; i < plan->n_ops && s == Q8_OK; i++) s = emit_op(e, i);
  if (s != Q8_OK) return s;
  for (int32_t k = 0; k < plan->n_outputs; k++) outputs[k] = e->op_output[plan->outputs[k]];
  e->out->n_outputs = plan->n_outputs;
  e->out->outputs = outputs;
  return Q8_OK;
}

static q8_status check_options(const q8t_export_options *o, q8t_convert_setup *setup,
                               q8_error *error) {
  if (o == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "no export options");
  const int wbits = o->weight_bits == 0 ? 8 : o->weight_bits;
  const int abits = o->activation_bits == 0 ? 8 : o->activation_bits;
  if (o->scheme != Q8T_SCHEME_INT8 && o->scheme != Q8T_SCHEME_UINT8)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "unknown scheme %d (int8 or uint8)",
                   (int)o->scheme);
  if (wbits < Q8_QUANT_MIN_BITS || wbits > 8 || abits < Q8_QUANT_MIN_BITS || abits > 8)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "bit widths: weights %d, activations %d (each 2 to 8)", wbits, abits);
  setup->scheme = o->scheme;
  setup->type = q8t_scheme_type(o->scheme);
  setup->weight_bits = wbits;
  return Q8_OK;
}

static void write_notes(q8t_export_report *r, const q8t_export_options *o) {
  const int abits = o->activation_bits == 0 ? 8 : o->activation_bits;
  const int wbits = o->weight_bits == 0 ? 8 : o->weight_bits;
  r->approximated = abits < 8;
  size_t used = 0;
  char *buf = r->notes;
  const size_t size = sizeof r->notes;
#define NOTE(...) \
  used += (size_t)snprintf(buf + used, used < size ? size - used : 0, __VA_ARGS__)
  if (wbits < 8)
    NOTE("weights stored on their %d-bit grids in 8-bit containers; ", wbits);
  if (r->approximated)
    NOTE("activations trained at %d bits are exported at 8 bits over the same ranges: the "
         "file approximates the fake-quantized model; ", abits);
  if (r->min_scale_channels > 0)
    NOTE("%d weight channel(s) all (nearly) zero got the minimum scale 2^-16; ",
         (int)r->min_scale_channels);
  if (r->bias_adjusted_channels > 0)
    NOTE("%d weight channel(s) had their scale raised so that the bias fits int32; ",
         (int)r->bias_adjusted_channels);
  if (r->handed_over_grids > 0)
    NOTE("%d weight tensor(s) quantized on handed-over grids; ", (int)r->handed_over_grids);
#undef NOTE
  used = strlen(buf);
  if (used >= 2) buf[used - 2] = 0; /* the last "; " */
}

static q8_status emit_all(emitter *e, int32_t n_train_tensors) {
  const int32_t cap_nodes = e->plan->n_ops;
  e->cap_tensors = 1 + 4 * e->plan->n_ops;
  e->out->tensors = pool_alloc(e, (size_t)e->cap_tensors * sizeof *e->out->tensors);
  e->out->nodes = pool_alloc(e, (size_t)(cap_nodes + 1) * sizeof *e->out->nodes);
  e->exported = pool_alloc(e, (size_t)(n_train_tensors + 1) * sizeof *e->exported);
  e->op_output = pool_alloc(e, (size_t)(e->plan->n_ops + 1) * sizeof *e->op_output);
  if (!e->out->tensors || !e->out->nodes || !e->exported || !e->op_output)
    return out_of_memory(e);
  for (int32_t t = 0; t < n_train_tensors; t++) e->exported[t] = -1;
  return emit_io(e);
}

q8_status q8t_export(const q8t_graph *g, const q8t_ranges *ranges,
                     const q8t_export_options *options, q8_graph **out,
                     q8t_export_report *report, q8_error *error) {
  *out = NULL;
  q8t_export_report local;
  if (report == NULL) report = &local;
  memset(report, 0, sizeof *report);
  emitter e = {.g = g, .report = report, .error = error};
  q8_status s = check_options(options, &e.setup, error);
  if (s != Q8_OK) return s;
  e.setup.ranges = ranges;
  if (ranges != NULL && ranges->n_tensors != g->n_tensors)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "the ranges table has %d tensors, the graph %d (made for another graph)",
                   (int)ranges->n_tensors, (int)g->n_tensors);
  q8t_export_plan plan;
  s = q8t_export_plan_init(g, &plan, error);
  if (s != Q8_OK) return s;
  e.plan = &plan;
  e.out = calloc(1, sizeof *e.out);
  s = e.out == NULL ? q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory") : emit_all(&e, g->n_tensors);
  q8t_export_plan_free(&plan);
  if (s != Q8_OK) {
    q8_graph_free(e.out);
    return s;
  }
  report->operators = e.out->n_nodes;
  write_notes(report, options);
  *out = e.out;
  return Q8_OK;
}

q8_status q8t_export_check(const q8_graph *graph, uint8_t **data, size_t *size, q8_error *error) {
  uint8_t *bytes = NULL;
  size_t n = 0;
  q8_status s = q8_tflite_write(graph, &bytes, &n, error);
  q8_model *model = NULL;
  q8_interp *interp = NULL;
  if (s == Q8_OK) s = q8_model_load_memory(bytes, n, 0, &model, error);
  if (s == Q8_OK) s = q8_interp_init(model, NULL, &interp, error);
  if (s != Q8_OK) q8_error_prefix(error, "the exported model does not run in q8's runtime");
  q8_interp_free(interp);
  q8_model_free(model);
  if (s == Q8_OK && data != NULL) {
    *data = bytes;
    bytes = NULL;
  }
  if (size != NULL) *size = s == Q8_OK ? n : 0;
  free(bytes);
  return s;
}

q8_status q8t_export_file(const q8t_graph *g, const q8t_ranges *ranges,
                          const q8t_export_options *options, const char *path,
                          q8t_export_report *report, q8_error *error) {
  if (path == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "no output path");
  q8_graph *out = NULL;
  uint8_t *bytes = NULL;
  size_t size = 0;
  q8_status s = q8t_export(g, ranges, options, &out, report, error);
  if (s == Q8_OK) s = q8t_export_check(out, &bytes, &size, error);
  if (s == Q8_OK) {
    /* The bytes the runtime just prepared are the ones written. */
    const void *parts[1] = {bytes};
    s = q8_file_write_atomic(path, parts, &size, 1, error);
  }
  if (s == Q8_OK && report != NULL) report->bytes = size;
  free(bytes);
  q8_graph_free(out);
  return s;
}

q8_status q8t_ptq_export(q8t_graph *g, const q8t_images *data, int64_t count,
                         const q8t_export_options *options, const char *path,
                         q8t_export_report *report, q8_error *error) {
  q8t_ranges ranges;
  q8_status s = q8t_ranges_init(g, &ranges, error);
  if (s == Q8_OK) s = q8t_calibrate(g, data, count, &ranges, error);
  if (s == Q8_OK) s = q8t_export_file(g, &ranges, options, path, report, error);
  q8t_ranges_free(&ranges);
  return s;
}
