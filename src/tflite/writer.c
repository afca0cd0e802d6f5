/* TFLite writer, model level: checks the graph, numbers operator codes and buffers, and
   encodes Model, SubGraph, Tensor and Buffer tables (operators: writer-ops.c). */
#include "tflite/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"
#include "tflite/schema-fields.h"
#include "tflite/schema-names.h"
#include "tflite/writer-internal.h"

/* Constant data starts on 16 bytes in the file, so a reader that maps the file can use it in
   place with aligned vector loads (TFLite's converter aligns buffers the same way). */
#define DATA_ALIGNMENT 16

static int8_t tfl_type(q8_type type) {
  switch (type) {
    case Q8_TYPE_FLOAT32: return Q8_TFL_TYPE_FLOAT32;
    case Q8_TYPE_INT32: return Q8_TFL_TYPE_INT32;
    case Q8_TYPE_UINT8: return Q8_TFL_TYPE_UINT8;
    case Q8_TYPE_INT8: return Q8_TFL_TYPE_INT8;
  }
  return -1;
}

/* ---- checks: the graph must be one the format (and q8's reader) can express ---- */

static q8_status check_quant(const q8_tensor *t, int32_t i, q8_error *error) {
  const q8_quant *q = &t->quant;
  if (q->count < 0 || (q->count > 0 && (q->scale == NULL || q->zero_point == NULL)))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "tensor %d '%s': %d quantization parameters without their arrays", (int)i,
                   t->name, (int)q->count);
  /* 1-D tensors (biases) have one axis whatever the graph says (converters copy the
     filter's), and that is what the file will say. */
  int32_t axis = t->rank == 1 ? 0 : q->axis;
  if (q->count > 1 && (axis < 0 || axis >= t->rank || t->dims[axis] != q->count))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "tensor %d '%s': %d per-channel parameters along axis %d, which does not have "
                   "that many channels", (int)i, t->name, (int)q->count, (int)q->axis);
  return Q8_OK;
}

static q8_status check_tensor(const q8_tensor *t, int32_t i, q8_error *error) {
  if (t->name == NULL)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "tensor %d has a NULL name", (int)i);
  if (tfl_type(t->type) < 0)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "tensor %d '%s': type %d is not a q8_type",
                   (int)i, t->name, (int)t->type);
  if (t->rank < 0 || t->rank > Q8_MAX_RANK)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "tensor %d '%s': rank %d (0..%d)", (int)i,
                   t->name, (int)t->rank, Q8_MAX_RANK);
  if (t->data != NULL) {
    size_t expected = q8_tensor_elements(t) * q8_type_size(t->type);
    if (t->data_size != expected || expected == 0 || expected > UINT32_MAX)
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                     "tensor %d '%s': %zu bytes of constant data, expected %zu", (int)i, t->name,
                     t->data_size, expected);
  }
  return check_quant(t, i, error);
}

/* what: "graph inputs" or "inputs of operator 3", for messages. */
static q8_status check_indices(const q8_graph *g, const int32_t *v, int32_t n, bool allow_absent,
                               const char *what, q8_error *error) {
  if (n < 0 || (n > 0 && v == NULL))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "%s: %d entries", what, (int)n);
  for (int32_t k = 0; k < n; k++) {
    bool absent_ok = allow_absent && v[k] == -1;
    if (!absent_ok && (v[k] < 0 || v[k] >= g->n_tensors))
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                     "%s: entry %d is tensor %d, out of range (%d tensors)", what, (int)k,
                     (int)v[k], (int)g->n_tensors);
  }
  return Q8_OK;
}

static q8_status check_node(const q8_graph *g, int32_t n, q8_error *error) {
  const q8_node *node = &g->nodes[n];
  if (q8_tfl_op_by_kind(node->kind) == NULL)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "operator %d: kind %d is not a TFLite operator q8 writes", (int)n,
                   (int)node->kind);
  if (node->n_inputs > Q8_MAX_NODE_INPUTS || node->n_outputs > Q8_MAX_NODE_INPUTS)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "operator %d: %d inputs and %d outputs, more than q8's maximum of %d", (int)n,
                   (int)node->n_inputs, (int)node->n_outputs, Q8_MAX_NODE_INPUTS);
  char what[64];
  snprintf(what, sizeof what, "inputs of operator %d", (int)n);
  q8_status s = check_indices(g, node->inputs, node->n_inputs, true, what, error);
  snprintf(what, sizeof what, "outputs of operator %d", (int)n);
  if (s == Q8_OK) s = check_indices(g, node->outputs, node->n_outputs, false, what, error);
  return s;
}

static q8_status check_graph(const q8_graph *g, q8_error *error) {
  if (g->n_tensors < 0 || g->n_nodes < 0 || (g->n_tensors > 0 && g->tensors == NULL) ||
      (g->n_nodes > 0 && g->nodes == NULL))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "graph arrays are inconsistent");
  q8_status s = Q8_OK;
  for (int32_t i = 0; i < g->n_tensors && s == Q8_OK; i++) s = check_tensor(&g->tensors[i], i, error);
  if (s == Q8_OK) s = check_indices(g, g->inputs, g->n_inputs, false, "graph inputs", error);
  if (s == Q8_OK) s = check_indices(g, g->outputs, g->n_outputs, false, "graph outputs", error);
  for (int32_t n = 0; n < g->n_nodes && s == Q8_OK; n++) s = check_node(g, n, error);
  return s;
}

/* ---- numbering: operator codes in order of first use, one buffer per distinct constant ---- */

static q8_status number_buffers(q8_tfl_writer *w) {
  const q8_graph *g = w->graph;
  w->buffer_of = calloc((size_t)g->n_tensors + 1, sizeof *w->buffer_of);
  w->tensor_of_buffer = calloc((size_t)g->n_tensors + 1, sizeof *w->tensor_of_buffer);
  if (w->buffer_of == NULL || w->tensor_of_buffer == NULL)
    return q8_fail(w->error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  w->n_buffers = 1; /* buffer 0: the empty sentinel of every activation */
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8_tensor *t = &g->tensors[i];
    if (t->data == NULL) continue;
    /* Tensors sharing the same bytes share a buffer, as the file they came from did. */
    uint32_t b = 1;
    for (; b < w->n_buffers; b++) {
      const q8_tensor *o = &g->tensors[w->tensor_of_buffer[b]];
      if (o->data == t->data && o->data_size == t->data_size) break;
    }
    if (b == w->n_buffers) w->tensor_of_buffer[w->n_buffers++] = i;
    w->buffer_of[i] = b;
  }
  return Q8_OK;
}

static void number_opcodes(q8_tfl_writer *w) {
  for (int k = 0; k < Q8_OP_COUNT; k++) w->opcode_of_kind[k] = -1;
  for (int32_t n = 0; n < w->graph->n_nodes; n++) {
    const q8_node *node = &w->graph->nodes[n];
    int32_t version = q8_tfl_operator_version(w->graph, node);
    int32_t *index = &w->opcode_of_kind[node->kind];
    if (*index < 0) {
      *index = w->n_opcodes;
      w->kind_of_opcode[w->n_opcodes] = node->kind;
      w->version_of_opcode[w->n_opcodes] = version;
      w->n_opcodes++;
    } else if (version > w->version_of_opcode[*index]) {
      w->version_of_opcode[*index] = version;
    }
  }
}

/* ---- encoding, back to front: buffers first, so that the constant data ends the file ---- */

static q8_fbb_ref encode_buffers(q8_tfl_writer *w) {
  q8_fbb *b = &w->b;
  /* refs: the Buffer tables; data: their data vectors (one allocation for both). */
  q8_fbb_ref *refs = malloc(2 * (size_t)w->n_buffers * sizeof *refs);
  if (refs == NULL) {
    q8_fbb_fail_out_of_memory(b);
    return 0;
  }
  q8_fbb_ref *data = refs + w->n_buffers;
  /* Data vectors from the last buffer to the first: buffer 1's data comes first in the file. */
  for (uint32_t i = w->n_buffers; i-- > 1;) {
    const q8_tensor *t = &w->graph->tensors[w->tensor_of_buffer[i]];
    data[i] = q8_fbb_vector_bytes(b, t->data, (uint32_t)t->data_size, DATA_ALIGNMENT);
  }
  for (uint32_t i = w->n_buffers; i-- > 0;) {
    q8_fbb_table_begin(b);
    if (i > 0) q8_fbb_add_ref(b, BUFFER_DATA, data[i]);
    refs[i] = q8_fbb_table_end(b);
  }
  q8_fbb_ref v = q8_fbb_vector_refs(b, refs, w->n_buffers);
  free(refs);
  return v;
}

static q8_fbb_ref encode_quant(q8_tfl_writer *w, const q8_tensor *t) {
  q8_fbb *b = &w->b;
  const q8_quant *q = &t->quant;
  int64_t zp[64];
  int64_t *zps = q->count <= 64 ? zp : malloc((size_t)q->count * sizeof *zps);
  if (zps == NULL) {
    q8_fbb_fail_out_of_memory(b);
    return 0;
  }
  for (int32_t c = 0; c < q->count; c++) zps[c] = q->zero_point[c];
  q8_fbb_ref zero_points = q8_fbb_vector_i64(b, zps, (uint32_t)q->count);
  if (zps != zp) free(zps);
  q8_fbb_ref scales = q8_fbb_vector_f32(b, q->scale, (uint32_t)q->count);
  q8_fbb_table_begin(b);
  q8_fbb_add_ref(b, QUANT_SCALE, scales);
  q8_fbb_add_ref(b, QUANT_ZERO_POINT, zero_points);
  /* 1-D tensors (biases) have one axis: 0, whatever the filter's axis was (TFLite's rule). */
  int32_t axis = q->count > 1 && t->rank > 1 ? q->axis : 0;
  if (axis != 0) q8_fbb_add_i32(b, QUANT_QUANTIZED_DIMENSION, axis);
  return q8_fbb_table_end(b);
}

static q8_fbb_ref encode_tensor(q8_tfl_writer *w, int32_t i) {
  q8_fbb *b = &w->b;
  const q8_tensor *t = &w->graph->tensors[i];
  q8_fbb_ref quant = t->quant.count > 0 ? encode_quant(w, t) : 0;
  q8_fbb_ref name = q8_fbb_string(b, t->name);
  q8_fbb_ref shape = q8_fbb_vector_i32(b, t->dims, (uint32_t)t->rank);
  q8_fbb_table_begin(b);
  q8_fbb_add_ref(b, TENSOR_SHAPE, shape);
  q8_fbb_add_u8(b, TENSOR_TYPE, (uint8_t)tfl_type(t->type));
  if (w->buffer_of[i] != 0) q8_fbb_add_u32(b, TENSOR_BUFFER, w->buffer_of[i]);
  q8_fbb_add_ref(b, TENSOR_NAME, name);
  if (quant != 0) q8_fbb_add_ref(b, TENSOR_QUANTIZATION, quant);
  return q8_fbb_table_end(b);
}

/* A vector of tables made one by one from the last to the first (so the file holds them in
   order), through encode(w, index). */
static q8_fbb_ref encode_table_vector(q8_tfl_writer *w, int32_t n,
                                      q8_fbb_ref (*encode)(q8_tfl_writer *, int32_t)) {
  q8_fbb_ref *refs = malloc(((size_t)n + 1) * sizeof *refs);
  if (refs == NULL) {
    q8_fbb_fail_out_of_memory(&w->b);
    return 0;
  }
  for (int32_t i = n; i-- > 0;) refs[i] = encode(w, i);
  q8_fbb_ref v = q8_fbb_vector_refs(&w->b, refs, (uint32_t)n);
  free(refs);
  return v;
}

static q8_fbb_ref encode_subgraph(q8_tfl_writer *w) {
  q8_fbb *b = &w->b;
  const q8_graph *g = w->graph;
  q8_fbb_ref name = q8_fbb_string(b, "main");
  q8_fbb_ref operators = encode_table_vector(w, g->n_nodes, q8_tfl_encode_operator);
  q8_fbb_ref outputs = q8_fbb_vector_i32(b, g->outputs, (uint32_t)g->n_outputs);
  q8_fbb_ref inputs = q8_fbb_vector_i32(b, g->inputs, (uint32_t)g->n_inputs);
  q8_fbb_ref tensors = encode_table_vector(w, g->n_tensors, encode_tensor);
  q8_fbb_table_begin(b);
  q8_fbb_add_ref(b, SUBGRAPH_TENSORS, tensors);
  q8_fbb_add_ref(b, SUBGRAPH_INPUTS, inputs);
  q8_fbb_add_ref(b, SUBGRAPH_OUTPUTS, outputs);
  q8_fbb_add_ref(b, SUBGRAPH_OPERATORS, operators);
  q8_fbb_add_ref(b, SUBGRAPH_NAME, name);
  q8_fbb_ref subgraph = q8_fbb_table_end(b);
  return q8_fbb_vector_refs(b, &subgraph, 1);
}

static q8_fbb_ref encode_opcode(q8_tfl_writer *w, int32_t i) {
  q8_fbb *b = &w->b;
  int32_t code = q8_tfl_op_by_kind(w->kind_of_opcode[i])->code;
  q8_fbb_table_begin(b);
  /* Codes above 127 do not fit the old byte: it then holds 127
     (PLACEHOLDER_FOR_GREATER_OP_CODES) and readers take the larger of the two fields. */
  q8_fbb_add_u8(b, OPCODE_DEPRECATED_BUILTIN_CODE, (uint8_t)(code < 127 ? code : 127));
  q8_fbb_add_i32(b, OPCODE_VERSION, w->version_of_opcode[i]);
  q8_fbb_add_i32(b, OPCODE_BUILTIN_CODE, code);
  return q8_fbb_table_end(b);
}

static q8_fbb_ref encode_model(q8_tfl_writer *w) {
  q8_fbb *b = &w->b;
  q8_fbb_ref buffers = encode_buffers(w);
  q8_fbb_ref subgraphs = encode_subgraph(w);
  char description[64];
  snprintf(description, sizeof description, "q8 %s", q8_version_string());
  q8_fbb_ref description_ref = q8_fbb_string(b, description);
  q8_fbb_ref opcodes = encode_table_vector(w, w->n_opcodes, encode_opcode);
  q8_fbb_table_begin(b);
  q8_fbb_add_u32(b, MODEL_VERSION, Q8_TFL_SCHEMA_VERSION);
  q8_fbb_add_ref(b, MODEL_OPERATOR_CODES, opcodes);
  q8_fbb_add_ref(b, MODEL_SUBGRAPHS, subgraphs);
  q8_fbb_add_ref(b, MODEL_DESCRIPTION, description_ref);
  q8_fbb_add_ref(b, MODEL_BUFFERS, buffers);
  return q8_fbb_table_end(b);
}

q8_status q8_tflite_write(const q8_graph *graph, uint8_t **data, size_t *size, q8_error *error) {
  if (data == NULL || size == NULL)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "output pointer is NULL");
  *data = NULL;
  *size = 0;
  if (graph == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "graph is NULL");
  q8_status s = check_graph(graph, error);
  if (s != Q8_OK) return s;
  q8_tfl_writer w;
  memset(&w, 0, sizeof w);
  w.graph = graph;
  w.error = error;
  q8_fbb_init(&w.b);
  s = number_buffers(&w);
  if (s == Q8_OK) {
    number_opcodes(&w);
    q8_fbb_ref root = encode_model(&w);
    *data = q8_fbb_finish(&w.b, root, "TFL3", size);
    if (*data == NULL) {
      s = w.b.out_of_memory
              ? q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory encoding the model")
              : q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                        "the model does not fit a flatbuffer (2 GiB at most)");
    }
  }
  q8_fbb_free(&w.b);
  free(w.buffer_of);
  free(w.tensor_of_buffer);
  return s;
}

q8_status q8_tflite_write_file(const q8_graph *graph, const char *path, q8_error *error) {
  if (path == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "path is NULL");
  uint8_t *data = NULL;
  size_t size = 0;
  q8_status s = q8_tflite_write(graph, &data, &size, error);
  if (s != Q8_OK) return s;
  const void *parts[1] = {data};
  s = q8_file_write_atomic(path, parts, &size, 1, error);
  free(data);
  return s;
}
