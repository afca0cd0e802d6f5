/* TFLite reader, model level: Model, OperatorCode, SubGraph, Tensor, Buffer, quantization. */
#include "tflite/reader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tflite/reader-internal.h"
#include "tflite/schema-fields.h"
#include "tflite/schema-names.h"

/* Last QuantizationDetails union member (MultiAxisQuantization). */
#define QUANT_DETAILS_LAST 3
/* Tensors of more bytes than this are refused: kernels index them with int32. */
#define MAX_TENSOR_BYTES ((uint64_t)INT32_MAX)

static q8_status out_of_memory(q8_tfl_reader *r, const char *what) {
  return q8_fail(r->fb.error, Q8_ERROR_OUT_OF_MEMORY, "out of memory allocating %s", what);
}

/* ---- operator codes ---- */

static q8_status read_opcode(q8_tfl_reader *r, uint32_t i, q8_tfl_opcode *op,
                             const q8_fb_vector *codes) {
  q8_fb *fb = &r->fb;
  q8_fb_set_where(fb, "OperatorCode %u", i);
  q8_fb_table t;
  q8_status s = q8_fb_vector_table(fb, codes, i, "", &t);
  int8_t deprecated = 0;
  int32_t builtin = 0;
  if (s == Q8_OK) {
    s = q8_fb_i8(fb, &t, OPCODE_DEPRECATED_BUILTIN_CODE, "deprecated_builtin_code", 0,
                 &deprecated);
  }
  if (s == Q8_OK) s = q8_fb_i32(fb, &t, OPCODE_BUILTIN_CODE, "builtin_code", 0, &builtin);
  if (s == Q8_OK) s = q8_fb_i32(fb, &t, OPCODE_VERSION, "version", 1, &op->version);
  if (s == Q8_OK) s = q8_fb_string_field(fb, &t, OPCODE_CUSTOM_CODE, "custom_code", &op->custom_code);
  if (s != Q8_OK) return s;
  op->pos = t.pos;
  /* Files written before builtin_code existed leave it 0 (ADD) and keep the real code in
     the byte-sized deprecated field; newer files set both (the byte saturates at 127,
     PLACEHOLDER_FOR_GREATER_OP_CODES). TFLite takes the larger of the two. */
  op->builtin_code = builtin > deprecated ? builtin : deprecated;
  return Q8_OK;
}

static q8_status read_opcodes(q8_tfl_reader *r, const q8_fb_table *model) {
  q8_fb_vector codes;
  q8_fb_set_where(&r->fb, "Model");
  q8_status s = q8_fb_vector_field(&r->fb, model, MODEL_OPERATOR_CODES, 4, "operator_codes", &codes);
  if (s != Q8_OK) return s;
  r->n_opcodes = codes.length;
  r->opcodes = q8_pool_alloc(&r->graph->pool, (size_t)codes.length * sizeof *r->opcodes);
  if (r->opcodes == NULL) return out_of_memory(r, "operator codes");
  for (uint32_t i = 0; i < codes.length && s == Q8_OK; i++) {
    s = read_opcode(r, i, &r->opcodes[i], &codes);
  }
  return s;
}

/* ---- tensors ---- */

static q8_status map_type(q8_fb *fb, size_t pos, int8_t tfl_type, q8_type *type) {
  switch (tfl_type) {
    case Q8_TFL_TYPE_FLOAT32: *type = Q8_TYPE_FLOAT32; return Q8_OK;
    case Q8_TFL_TYPE_INT32: *type = Q8_TYPE_INT32; return Q8_OK;
    case Q8_TFL_TYPE_UINT8: *type = Q8_TYPE_UINT8; return Q8_OK;
    case Q8_TFL_TYPE_INT8: *type = Q8_TYPE_INT8; return Q8_OK;
    default: break;
  }
  const char *name = q8_tfl_tensor_type_name(tfl_type);
  if (name == NULL) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, pos, "type",
                      "tensor type %d is not a TensorType of the schema", tfl_type);
  }
  return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, pos, "type",
                    "tensor type %s (%d) is not supported; q8 runs INT8, UINT8, INT32 and FLOAT32",
                    name, tfl_type);
}

static q8_status read_shape(q8_tfl_reader *r, const q8_fb_table *t, q8_tensor *tensor) {
  q8_fb *fb = &r->fb;
  q8_fb_vector shape;
  q8_status s = q8_fb_vector_field(fb, t, TENSOR_SHAPE, 4, "shape", &shape);
  if (s != Q8_OK) return s;
  if (shape.length > Q8_MAX_RANK) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, shape.pos, "shape",
                      "rank %u exceeds q8's maximum of %d", shape.length, Q8_MAX_RANK);
  }
  tensor->rank = (int32_t)shape.length;
  uint64_t bytes = q8_type_size(tensor->type); /* the type is decoded before the shape */
  for (uint32_t d = 0; d < shape.length; d++) {
    int32_t dim = q8_fb_vector_i32(fb, &shape, d);
    if (dim < 0) {
      return q8_fb_fail(fb, Q8_ERROR_MALFORMED, shape.pos, "shape",
                        "dimension %u is %d (unknown dimensions belong in shape_signature)", d,
                        dim);
    }
    if (dim == 0) {
      return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, shape.pos, "shape",
                        "dimension %u is 0: empty tensors are not supported", d);
    }
    tensor->dims[d] = dim;
    bytes *= (uint64_t)dim; /* <= 2^31 * MAX_TENSOR_BYTES: no overflow before the check */
    if (bytes > MAX_TENSOR_BYTES) {
      return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, shape.pos, "shape",
                        "more than %llu bytes (dimensions up to %u): too large",
                        (unsigned long long)MAX_TENSOR_BYTES, d);
    }
  }
  return Q8_OK;
}

/* Range of a zero point of each type. */
static void zero_point_range(q8_type type, int64_t *lo, int64_t *hi) {
  switch (type) {
    case Q8_TYPE_INT8: *lo = INT8_MIN; *hi = INT8_MAX; return;
    case Q8_TYPE_UINT8: *lo = 0; *hi = UINT8_MAX; return;
    case Q8_TYPE_INT32:
    case Q8_TYPE_FLOAT32: break;
  }
  *lo = INT32_MIN;
  *hi = INT32_MAX;
}

static q8_status check_axis(q8_tfl_reader *r, size_t pos, q8_tensor *t, int32_t qdim) {
  /* 1-D tensors (biases) have a single axis; converters copy the filter's
     quantized_dimension (3 on depthwise layers) onto them, and TFLite ignores it there. */
  int32_t axis = t->rank == 1 ? 0 : qdim;
  if (axis < 0 || axis >= t->rank) {
    return q8_fb_fail(&r->fb, Q8_ERROR_MALFORMED, pos, "quantization.quantized_dimension",
                      "%d is not a dimension of this rank-%d tensor", qdim, t->rank);
  }
  if (t->dims[axis] != t->quant.count) {
    return q8_fb_fail(&r->fb, Q8_ERROR_MALFORMED, pos, "quantization.scale",
                      "%d per-channel scales, but dimension %d (quantized_dimension) has %d "
                      "channels", t->quant.count, axis, t->dims[axis]);
  }
  t->quant.axis = axis;
  return Q8_OK;
}

static q8_status read_quant_values(q8_tfl_reader *r, const q8_fb_vector *scale,
                                   const q8_fb_vector *zp, q8_tensor *t) {
  q8_fb *fb = &r->fb;
  uint32_t n = scale->length;
  float *scales = q8_pool_alloc(&r->graph->pool, (size_t)n * sizeof *scales);
  int32_t *zps = q8_pool_alloc(&r->graph->pool, (size_t)n * sizeof *zps);
  if (scales == NULL || zps == NULL) return out_of_memory(r, "quantization parameters");
  int64_t lo, hi;
  zero_point_range(t->type, &lo, &hi);
  for (uint32_t i = 0; i < n; i++) {
    scales[i] = q8_fb_load_f32(q8_fb_element(fb, scale, i, 4));
    if (!isfinite(scales[i]) || !(scales[i] > 0.0f)) {
      return q8_fb_fail(fb, Q8_ERROR_INVALID_MODEL, scale->pos, "quantization.scale",
                        "scale[%u] is %g; scales must be finite and > 0", i, (double)scales[i]);
    }
    int64_t z = (int64_t)q8_fb_load_u64(q8_fb_element(fb, zp, i, 8));
    if (z < lo || z > hi) {
      return q8_fb_fail(fb, Q8_ERROR_INVALID_MODEL, zp->pos, "quantization.zero_point",
                        "zero_point[%u] is %lld, outside the %s range [%lld, %lld]", i,
                        (long long)z, q8_type_name(t->type), (long long)lo, (long long)hi);
    }
    zps[i] = (int32_t)z;
  }
  t->quant.scale = scales;
  t->quant.zero_point = zps;
  return Q8_OK;
}

static q8_status read_quant(q8_tfl_reader *r, const q8_fb_table *q, q8_tensor *t) {
  q8_fb *fb = &r->fb;
  uint8_t details = 0;
  int32_t qdim = 0;
  q8_fb_vector scale, zp;
  q8_status s = q8_fb_u8(fb, q, QUANT_DETAILS_TYPE, "quantization.details_type", 0, &details);
  if (s == Q8_OK) s = q8_fb_vector_field(fb, q, QUANT_SCALE, 4, "quantization.scale", &scale);
  if (s == Q8_OK) s = q8_fb_vector_field(fb, q, QUANT_ZERO_POINT, 8, "quantization.zero_point", &zp);
  if (s == Q8_OK) {
    s = q8_fb_i32(fb, q, QUANT_QUANTIZED_DIMENSION, "quantization.quantized_dimension", 0, &qdim);
  }
  if (s != Q8_OK) return s;
  if (details > QUANT_DETAILS_LAST) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, q->pos, "quantization.details_type",
                      "union type %u is not a QuantizationDetails member", details);
  }
  if (details != 0) {
    static const char *const names[] = {"", "CustomQuantization", "BlockwiseQuantization",
                                        "MultiAxisQuantization"};
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, q->pos, "quantization.details",
                      "%s quantization is not supported", names[details]);
  }
  /* No scales: not quantized (min/max alone are only for re-import into TensorFlow). */
  if (scale.length == 0) return Q8_OK;
  if (zp.length != scale.length) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, q->pos, "quantization",
                      "%u scales but %u zero points", scale.length, zp.length);
  }
  if (scale.length > (uint32_t)INT32_MAX) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, scale.pos, "quantization.scale",
                      "%u scales", scale.length);
  }
  t->quant.count = (int32_t)scale.length;
  if (t->quant.count > 1) {
    s = check_axis(r, q->pos, t, qdim);
    if (s != Q8_OK) return s;
  }
  return read_quant_values(r, &scale, &zp, t);
}

/* Constant data: a buffer with bytes makes the tensor constant (TFLite's rule, whatever the
   index; buffer 0 is by convention the empty sentinel that activations refer to). */
static q8_status read_tensor_data(q8_tfl_reader *r, size_t pos, uint32_t index, q8_tensor *t) {
  q8_fb *fb = &r->fb;
  if (index >= r->buffers.length) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, pos, "buffer",
                      "buffer index %u is out of range (the model has %u buffers)", index,
                      r->buffers.length);
  }
  char where[sizeof fb->where];
  memcpy(where, fb->where, sizeof where);
  q8_fb_set_where(fb, "%s.buffer -> Buffer %u", where, index);
  q8_fb_table b;
  q8_fb_vector data;
  uint64_t offset = 0;
  q8_status s = q8_fb_vector_table(fb, &r->buffers, index, "", &b);
  if (s == Q8_OK) {
    r->layout.reading_data = true; /* the vector below is data, not metadata */
    s = q8_fb_vector_field(fb, &b, BUFFER_DATA, 1, "data", &data);
    r->layout.reading_data = false;
  }
  if (s == Q8_OK) s = q8_fb_u64(fb, &b, BUFFER_OFFSET, "offset", 0, &offset);
  if (s != Q8_OK) return s;
  if (offset > 1) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, b.pos, "offset",
                      "data stored outside the flatbuffer (offset %llu, models over 2 GiB) is "
                      "not supported", (unsigned long long)offset);
  }
  if (data.length > 0) {
    q8_tfl_layout_add_data(&r->layout, fb->where, data.pos, 4 + (size_t)data.length, index);
  }
  memcpy(fb->where, where, sizeof where);
  if (data.length == 0) return Q8_OK;
  uint64_t expected = (uint64_t)q8_tensor_elements(t) * q8_type_size(t->type);
  if (data.length != expected) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, data.pos, "buffer",
                      "constant data of Buffer %u has %u bytes, expected %llu (%zu elements of %s)",
                      index, data.length, (unsigned long long)expected, q8_tensor_elements(t),
                      q8_type_name(t->type));
  }
  t->data = fb->data + data.pos + 4;
  t->data_size = data.length;
  return Q8_OK;
}

static q8_status read_tensor_name(q8_tfl_reader *r, const q8_fb_table *t, q8_tensor *tensor,
                                  uint32_t i) {
  q8_fb_string name;
  q8_status s = q8_fb_string_field(&r->fb, t, TENSOR_NAME, "name", &name);
  if (s != Q8_OK) return s;
  char *copy = q8_pool_alloc(&r->graph->pool, (size_t)name.length + 1);
  if (copy == NULL) return out_of_memory(r, "a tensor name");
  if (name.length > 0) memcpy(copy, name.bytes, name.length);
  tensor->name = copy;
  char shown[64];
  q8_fb_printable(&name, shown, sizeof shown);
  q8_fb_set_where(&r->fb, "Tensor %u ('%s')", i, shown);
  return Q8_OK;
}

/* Fields q8 cannot honour: variables, sparsity, external buffers. */
static q8_status refuse_tensor_features(q8_tfl_reader *r, const q8_fb_table *t) {
  q8_fb *fb = &r->fb;
  bool variable = false, sparse = false;
  uint32_t external = 0;
  q8_fb_table sparsity;
  q8_status s = q8_fb_bool(fb, t, TENSOR_IS_VARIABLE, "is_variable", false, &variable);
  if (s == Q8_OK) s = q8_fb_subtable(fb, t, TENSOR_SPARSITY, "sparsity", &sparse, &sparsity);
  if (s == Q8_OK) s = q8_fb_u32(fb, t, TENSOR_EXTERNAL_BUFFER, "external_buffer", 0, &external);
  if (s != Q8_OK) return s;
  if (variable) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, t->pos, "is_variable",
                      "variable tensors (state kept between invocations) are not supported");
  }
  if (sparse) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, sparsity.pos, "sparsity",
                      "sparse tensor: sparsity parameters are not supported");
  }
  if (external != 0) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, t->pos, "external_buffer",
                      "external buffer %u: data outside the model file is not supported",
                      external);
  }
  return Q8_OK;
}

static q8_status read_tensor(q8_tfl_reader *r, const q8_fb_vector *tensors, uint32_t i) {
  q8_fb *fb = &r->fb;
  q8_tensor *tensor = &r->graph->tensors[i];
  q8_fb_set_where(fb, "Tensor %u", i);
  q8_fb_table t, q;
  bool has_quant = false, has_type = false;
  int8_t type = 0;
  uint32_t buffer = 0;
  size_t type_pos = 0;
  q8_status s = q8_fb_vector_table(fb, tensors, i, "", &t);
  if (s == Q8_OK) s = read_tensor_name(r, &t, tensor, i);
  if (s == Q8_OK) s = q8_fb_i8(fb, &t, TENSOR_TYPE, "type", 0, &type);
  if (s == Q8_OK) s = q8_fb_field(fb, &t, TENSOR_TYPE, 1, "type", &has_type, &type_pos);
  if (s == Q8_OK) s = map_type(fb, has_type ? type_pos : t.pos, type, &tensor->type);
  if (s == Q8_OK) s = refuse_tensor_features(r, &t);
  if (s == Q8_OK) s = read_shape(r, &t, tensor);
  if (s == Q8_OK) s = q8_fb_subtable(fb, &t, TENSOR_QUANTIZATION, "quantization", &has_quant, &q);
  if (s == Q8_OK && has_quant) s = read_quant(r, &q, tensor);
  if (s == Q8_OK) s = q8_fb_u32(fb, &t, TENSOR_BUFFER, "buffer", 0, &buffer);
  if (s == Q8_OK) s = read_tensor_data(r, t.pos, buffer, tensor);
  return s;
}

static q8_status read_tensors(q8_tfl_reader *r, const q8_fb_table *subgraph) {
  q8_fb_vector tensors;
  q8_fb_set_where(&r->fb, "SubGraph 0");
  q8_status s = q8_fb_vector_field(&r->fb, subgraph, SUBGRAPH_TENSORS, 4, "tensors", &tensors);
  if (s != Q8_OK) return s;
  if (tensors.length > (uint32_t)INT32_MAX) {
    return q8_fb_fail(&r->fb, Q8_ERROR_MALFORMED, tensors.pos, "tensors", "%u tensors",
                      tensors.length);
  }
  q8_graph *g = r->graph;
  g->n_tensors = (int32_t)tensors.length;
  g->tensors = q8_pool_alloc(&g->pool, (size_t)tensors.length * sizeof *g->tensors);
  if (g->tensors == NULL) return out_of_memory(r, "tensors");
  for (uint32_t i = 0; i < tensors.length && s == Q8_OK; i++) s = read_tensor(r, &tensors, i);
  return s;
}

/* SubGraph.inputs / outputs: tensor indices, all present. */
static q8_status read_io(q8_tfl_reader *r, const q8_fb_table *subgraph, int field,
                         const char *name, int32_t *count, const int32_t **indices) {
  q8_fb *fb = &r->fb;
  q8_fb_vector v;
  q8_fb_set_where(fb, "SubGraph 0");
  q8_status s = q8_fb_vector_field(fb, subgraph, field, 4, name, &v);
  if (s != Q8_OK) return s;
  int32_t *out = q8_pool_alloc(&r->graph->pool, (size_t)v.length * sizeof *out);
  if (out == NULL) return out_of_memory(r, name);
  for (uint32_t i = 0; i < v.length; i++) {
    out[i] = q8_fb_vector_i32(fb, &v, i);
    if (out[i] < 0 || out[i] >= r->graph->n_tensors) {
      return q8_fb_fail(fb, Q8_ERROR_MALFORMED, v.pos, name,
                        "entry %u is tensor index %d, out of range (%d tensors)", i, out[i],
                        r->graph->n_tensors);
    }
  }
  *count = (int32_t)v.length;
  *indices = out;
  return Q8_OK;
}

static q8_status read_subgraph(q8_tfl_reader *r, const q8_fb_table *model) {
  q8_fb *fb = &r->fb;
  q8_fb_vector subgraphs, operators;
  q8_fb_table sg;
  q8_fb_string name;
  q8_fb_set_where(fb, "Model");
  q8_status s = q8_fb_vector_field(fb, model, MODEL_SUBGRAPHS, 4, "subgraphs", &subgraphs);
  if (s != Q8_OK) return s;
  if (subgraphs.length == 0) {
    return q8_fb_fail(fb, Q8_ERROR_MALFORMED, subgraphs.present ? subgraphs.pos : model->pos,
                      "subgraphs", "the model has no subgraph");
  }
  if (subgraphs.length > 1) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, subgraphs.pos, "subgraphs",
                      "multi-subgraph model: %u subgraphs (q8 runs models with exactly one)",
                      subgraphs.length);
  }
  q8_fb_set_where(fb, "SubGraph 0");
  s = q8_fb_vector_table(fb, &subgraphs, 0, "", &sg);
  if (s == Q8_OK) s = q8_fb_string_field(fb, &sg, SUBGRAPH_NAME, "name", &name);
  if (s == Q8_OK) s = read_tensors(r, &sg);
  q8_graph *g = r->graph;
  if (s == Q8_OK) s = read_io(r, &sg, SUBGRAPH_INPUTS, "inputs", &g->n_inputs, &g->inputs);
  if (s == Q8_OK) s = read_io(r, &sg, SUBGRAPH_OUTPUTS, "outputs", &g->n_outputs, &g->outputs);
  if (s == Q8_OK) {
    q8_fb_set_where(fb, "SubGraph 0");
    s = q8_fb_vector_field(fb, &sg, SUBGRAPH_OPERATORS, 4, "operators", &operators);
  }
  if (s == Q8_OK) s = q8_tfl_read_operators(r, &operators);
  return s;
}

static q8_status read_model(q8_tfl_reader *r) {
  q8_fb *fb = &r->fb;
  q8_fb_table model;
  uint32_t version = 0;
  q8_fb_string description;
  q8_fb_set_where(fb, "Model");
  q8_status s = q8_fb_root(fb, "TFL3", &model);
  if (s == Q8_OK) s = q8_fb_u32(fb, &model, MODEL_VERSION, "version", 0, &version);
  if (s != Q8_OK) return s;
  if (version != Q8_TFL_SCHEMA_VERSION) {
    return q8_fb_fail(fb, Q8_ERROR_UNSUPPORTED, model.pos, "version",
                      "schema version %u; q8 reads version %d", version, Q8_TFL_SCHEMA_VERSION);
  }
  s = q8_fb_string_field(fb, &model, MODEL_DESCRIPTION, "description", &description);
  if (s == Q8_OK) s = q8_fb_vector_field(fb, &model, MODEL_BUFFERS, 4, "buffers", &r->buffers);
  if (s == Q8_OK) s = read_opcodes(r, &model);
  if (s == Q8_OK) s = read_subgraph(r, &model);
  return s;
}

/* The decoder's observer: records the file's layout (reader-layout.c), then tells the
   caller's observer, if any, exactly what it would have been told without this one. */
static void record_span(void *ctx, q8_fb_span_kind kind, size_t pos, size_t size,
                        size_t elem_size, const char *name) {
  q8_tfl_reader *r = ctx;
  q8_tfl_layout_observe(&r->layout, r->fb.where, kind, pos, size, elem_size, name);
  if (r->forward != NULL) r->forward(r->forward_ctx, kind, pos, size, elem_size, name);
}

q8_status q8_tflite_read(const uint8_t *data, size_t size, q8_graph **graph, q8_error *error) {
  return q8_tflite_read_observed(data, size, NULL, NULL, graph, error);
}

q8_status q8_tflite_read_observed(const uint8_t *data, size_t size, q8_fb_observer observe,
                                  void *observe_ctx, q8_graph **graph, q8_error *error) {
  if (graph == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "graph pointer is NULL");
  *graph = NULL;
  if (data == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "model data is NULL");
  q8_tfl_reader r;
  memset(&r, 0, sizeof r);
  r.fb.data = data;
  r.fb.size = size;
  r.fb.error = error;
  r.fb.observe = record_span;
  r.fb.observe_ctx = &r;
  r.forward = observe;
  r.forward_ctx = observe_ctx;
  q8_tfl_layout_init(&r.layout);
  r.graph = calloc(1, sizeof *r.graph);
  q8_status s = r.graph == NULL ? q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory")
                                : read_model(&r);
  if (s == Q8_OK) s = q8_tfl_layout_check(&r.layout, error);
  q8_tfl_layout_free(&r.layout);
  if (s != Q8_OK) {
    q8_graph_free(r.graph);
    return s;
  }
  *graph = r.graph;
  return Q8_OK;
}
