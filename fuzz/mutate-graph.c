/* Graph-level mutation: decode a model into q8's graph, change what it means (quantization,
   shapes, types, operator options, which tensors an operator reads and writes, operator
   kinds and order, graph inputs and outputs, constant values), and encode it again with the
   writer. Unlike byte edits, the result is always a well-formed flatbuffer, so every run
   reaches the semantic checks of the reader, prepare and the kernels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "fuzz/mutate-internal.h"
#include "tflite/reader.h"
#include "tflite/writer.h"

/* Output shapes are repaired (see repair_output_shapes) for models up to this size. */
#define REPAIR_MAX_BYTES (512 * 1024)

typedef q8_fz_rng rng;

static uint64_t below(rng *r, uint64_t n) { return q8_fz_below(r, n); }
static bool chance(rng *r, unsigned percent) { return q8_fz_chance(r, percent); }

/* Arrays of the decoded graph are const views into its pool: edits go to fresh copies. */
static void *dup_array(q8_graph *g, const void *src, size_t bytes) {
  void *p = q8_pool_alloc(&g->pool, bytes ? bytes : 1);
  if (p != NULL && bytes > 0) memcpy(p, src, bytes);
  return p;
}

static q8_tensor *random_tensor(rng *r, q8_graph *g) {
  return g->n_tensors > 0 ? &g->tensors[below(r, (uint64_t)g->n_tensors)] : NULL;
}

static q8_tensor *random_quantized(rng *r, q8_graph *g) {
  for (int tries = 0; tries < 16; tries++) {
    q8_tensor *t = random_tensor(r, g);
    if (t != NULL && t->quant.count > 0) return t;
  }
  return NULL;
}

static int32_t option(rng *r, int32_t cur) {
  return (int32_t)(uint32_t)q8_fz_option_value(r, (uint32_t)cur);
}

static float scale(rng *r, float cur) {
  return q8_fz_float(q8_fz_scale_value(r, q8_fz_float_bits(cur)));
}

static bool mutate_scale(rng *r, q8_graph *g) {
  q8_tensor *t = random_quantized(r, g);
  if (t == NULL) return false;
  float *scales = dup_array(g, t->quant.scale, sizeof(float) * (size_t)t->quant.count);
  if (scales == NULL) return false;
  int32_t c = (int32_t)below(r, (uint64_t)t->quant.count);
  scales[c] = scale(r, scales[c]);
  if (chance(r, 20)) /* every channel at once: per-tensor extremes of per-channel tensors */
    for (int32_t k = 0; k < t->quant.count; k++) scales[k] = scales[c];
  t->quant.scale = scales;
  return true;
}

static bool mutate_zero_point(rng *r, q8_graph *g) {
  q8_tensor *t = random_quantized(r, g);
  if (t == NULL) return false;
  int32_t *zp = dup_array(g, t->quant.zero_point, sizeof(int32_t) * (size_t)t->quant.count);
  if (zp == NULL) return false;
  int32_t c = (int32_t)below(r, (uint64_t)t->quant.count);
  zp[c] = (int32_t)(uint32_t)q8_fz_zero_point_value(r, (uint64_t)(int64_t)zp[c]);
  t->quant.zero_point = zp;
  return true;
}

/* Per-channel axis, or fewer parameters (per-tensor, none). */
static bool mutate_quant_shape(rng *r, q8_graph *g) {
  q8_tensor *t = random_quantized(r, g);
  if (t == NULL) return false;
  switch (below(r, 3)) {
    case 0: t->quant.count = 0; break;
    case 1: t->quant.count = 1; break;
    default: {
      /* Per-channel along another axis with as many channels: keep the arrays' length. */
      int32_t axis = (int32_t)below(r, (uint64_t)(t->rank > 0 ? t->rank : 1));
      if (t->rank > 1 && t->quant.count > 1 && t->dims[axis] == t->quant.count)
        t->quant.axis = axis;
      break;
    }
  }
  return true;
}

/* Activations take any shape; constants only a permutation (their data fixes the size). */
static bool mutate_shape(rng *r, q8_graph *g) {
  q8_tensor *t = random_tensor(r, g);
  if (t == NULL) return false;
  if (t->data != NULL || chance(r, 20)) {
    if (t->rank < 2) return false;
    int32_t a = (int32_t)below(r, (uint64_t)t->rank), b = (int32_t)below(r, (uint64_t)t->rank);
    int32_t tmp = t->dims[a];
    t->dims[a] = t->dims[b];
    t->dims[b] = tmp;
    return true;
  }
  switch (below(r, 4)) {
    case 0: /* one more or one fewer dimension */
      if (chance(r, 50) && t->rank < Q8_MAX_RANK) {
        memmove(t->dims + 1, t->dims, sizeof(int32_t) * (size_t)t->rank);
        t->dims[0] = 1;
        t->rank++;
      } else if (t->rank > 0) {
        t->rank--;
      }
      return true;
    default: {
      if (t->rank == 0) return false;
      int32_t d = (int32_t)below(r, (uint64_t)t->rank);
      t->dims[d] = (int32_t)(uint32_t)q8_fz_dimension_value(r, (uint32_t)t->dims[d]);
      return true;
    }
  }
}

static bool mutate_type(rng *r, q8_graph *g) {
  q8_tensor *t = random_tensor(r, g);
  if (t == NULL) return false;
  q8_type to = (q8_type)below(r, 4);
  /* A constant keeps its byte size: 1-byte types swap with each other, 4-byte ones too. */
  if (t->data != NULL && q8_type_size(to) != q8_type_size(t->type)) return false;
  t->type = to;
  return true;
}

static q8_node *random_node(rng *r, q8_graph *g) {
  return g->n_nodes > 0 ? &g->nodes[below(r, (uint64_t)g->n_nodes)] : NULL;
}

static void mutate_conv_options(rng *r, q8_node *n) {
  switch (below(r, 5)) {
    case 0: n->opt.conv.stride_h = option(r, n->opt.conv.stride_h); break;
    case 1: n->opt.conv.stride_w = option(r, n->opt.conv.stride_w); break;
    case 2: n->opt.conv.dilation_h = option(r, n->opt.conv.dilation_h); break;
    case 3: n->opt.conv.dilation_w = option(r, n->opt.conv.dilation_w); break;
    default: n->opt.conv.depth_multiplier = option(r, n->opt.conv.depth_multiplier); break;
  }
}

static void mutate_pool_options(rng *r, q8_node *n) {
  switch (below(r, 4)) {
    case 0: n->opt.pool.stride_h = option(r, n->opt.pool.stride_h); break;
    case 1: n->opt.pool.stride_w = option(r, n->opt.pool.stride_w); break;
    case 2: n->opt.pool.filter_h = option(r, n->opt.pool.filter_h); break;
    default: n->opt.pool.filter_w = option(r, n->opt.pool.filter_w); break;
  }
}

/* The fused activation and padding live at different places of the options union. */
static void mutate_activation(rng *r, q8_node *n) {
  q8_activation act = (q8_activation)below(r, 4);
  q8_padding pad = chance(r, 50) ? Q8_PADDING_SAME : Q8_PADDING_VALID;
  switch (n->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D: n->opt.conv.activation = act; n->opt.conv.padding = pad; break;
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D: n->opt.pool.activation = act; n->opt.pool.padding = pad; break;
    case Q8_OP_FULLY_CONNECTED:
      n->opt.fully_connected.activation = act;
      n->opt.fully_connected.keep_num_dims = chance(r, 50);
      break;
    case Q8_OP_ADD: n->opt.add.activation = act; break;
    case Q8_OP_CONCATENATION: n->opt.concatenation.activation = act; break;
    case Q8_OP_MEAN: n->opt.reduce.keep_dims = chance(r, 50); break;
    default: break;
  }
}

static bool mutate_options(rng *r, q8_graph *g) {
  q8_node *n = random_node(r, g);
  if (n == NULL) return false;
  if (chance(r, 25)) {
    mutate_activation(r, n);
    return true;
  }
  switch (n->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D: mutate_conv_options(r, n); break;
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D: mutate_pool_options(r, n); break;
    case Q8_OP_CONCATENATION:
      n->opt.concatenation.axis = option(r, n->opt.concatenation.axis);
      break;
    case Q8_OP_SOFTMAX:
      n->opt.softmax.beta = scale(r, n->opt.softmax.beta);
      break;
    case Q8_OP_RESHAPE:
      n->opt.reshape.has_new_shape = chance(r, 80);
      n->opt.reshape.rank = (int32_t)below(r, Q8_MAX_RANK + 1);
      for (int32_t d = 0; d < n->opt.reshape.rank; d++)
        if (chance(r, 30))
          n->opt.reshape.new_shape[d] = (int32_t)(uint32_t)q8_fz_dimension_value(r, 1);
      break;
    case Q8_OP_SQUEEZE:
      n->opt.squeeze.n_dims = (int32_t)below(r, Q8_MAX_RANK + 1);
      for (int32_t d = 0; d < n->opt.squeeze.n_dims; d++)
        n->opt.squeeze.dims[d] = option(r, n->opt.squeeze.dims[d]);
      break;
    default: mutate_activation(r, n); break;
  }
  return true;
}

/* One input or output of an operator becomes another tensor (or absent), or two swap. */
static bool mutate_node_tensors(rng *r, q8_graph *g) {
  q8_node *n = random_node(r, g);
  if (n == NULL || g->n_tensors == 0) return false;
  bool output = n->n_outputs > 0 && chance(r, 30);
  int32_t count = output ? n->n_outputs : n->n_inputs;
  if (count == 0) return false;
  int32_t *v = dup_array(g, output ? n->outputs : n->inputs, sizeof(int32_t) * (size_t)count);
  if (v == NULL) return false;
  int32_t k = (int32_t)below(r, (uint64_t)count);
  if (chance(r, 25) && count > 1) {
    int32_t j = (int32_t)below(r, (uint64_t)count), tmp = v[k];
    v[k] = v[j];
    v[j] = tmp;
  } else {
    v[k] = !output && chance(r, 15) ? -1 : (int32_t)below(r, (uint64_t)g->n_tensors);
  }
  if (output) n->outputs = v;
  else n->inputs = v;
  return true;
}

/* An input more or fewer (the optional bias, a third ADD input, an empty list). */
static bool mutate_node_arity(rng *r, q8_graph *g) {
  q8_node *n = random_node(r, g);
  if (n == NULL) return false;
  bool output = chance(r, 20);
  int32_t count = output ? n->n_outputs : n->n_inputs;
  const int32_t *old = output ? n->outputs : n->inputs;
  if (chance(r, 50) && count > 0) {
    count--;
  } else if (count < Q8_MAX_NODE_INPUTS && g->n_tensors > 0) {
    int32_t *v = q8_pool_alloc(&g->pool, sizeof(int32_t) * (size_t)(count + 1));
    if (v == NULL) return false;
    if (count > 0) memcpy(v, old, sizeof(int32_t) * (size_t)count);
    v[count] = !output && chance(r, 30) ? -1 : (int32_t)below(r, (uint64_t)g->n_tensors);
    count++;
    old = v;
  } else {
    return false;
  }
  if (output) {
    n->n_outputs = count;
    n->outputs = old;
  } else {
    n->n_inputs = count;
    n->inputs = old;
  }
  return true;
}

/* Another operator kind on the same tensors, with plausible options of its own (the old
   kind's union bytes would be invalid enums and booleans, which no decoded graph has). */
static bool mutate_node_kind(rng *r, q8_graph *g) {
  q8_node *n = random_node(r, g);
  if (n == NULL) return false;
  n->kind = (q8_op_kind)below(r, Q8_OP_COUNT);
  int32_t k = 1 + (int32_t)below(r, 3);
  memset(&n->opt, 0, sizeof n->opt);
  switch (n->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D:
      n->opt.conv.stride_h = n->opt.conv.stride_w = k;
      n->opt.conv.dilation_h = n->opt.conv.dilation_w = 1;
      n->opt.conv.depth_multiplier = 1;
      break;
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D:
      n->opt.pool.stride_h = n->opt.pool.stride_w = k;
      n->opt.pool.filter_h = n->opt.pool.filter_w = k + 1;
      break;
    case Q8_OP_CONCATENATION: n->opt.concatenation.axis = k; break;
    case Q8_OP_SOFTMAX: n->opt.softmax.beta = 1.0f; break;
    default: break;
  }
  mutate_activation(r, n);
  return true;
}

/* Two operators swap places, one disappears, or one runs twice. */
static bool mutate_node_order(rng *r, q8_graph *g) {
  if (g->n_nodes == 0) return false;
  int32_t a = (int32_t)below(r, (uint64_t)g->n_nodes), b = (int32_t)below(r, (uint64_t)g->n_nodes);
  switch (below(r, 3)) {
    case 0: {
      q8_node tmp = g->nodes[a];
      g->nodes[a] = g->nodes[b];
      g->nodes[b] = tmp;
      return true;
    }
    case 1:
      memmove(&g->nodes[a], &g->nodes[a + 1], sizeof(q8_node) * (size_t)(g->n_nodes - a - 1));
      g->n_nodes--;
      return true;
    default: {
      q8_node *nodes = q8_pool_alloc(&g->pool, sizeof(q8_node) * (size_t)(g->n_nodes + 1));
      if (nodes == NULL) return false;
      memcpy(nodes, g->nodes, sizeof(q8_node) * (size_t)(a + 1));
      memcpy(nodes + a + 1, g->nodes + a, sizeof(q8_node) * (size_t)(g->n_nodes - a));
      g->nodes = nodes;
      g->n_nodes++;
      return true;
    }
  }
}

/* A graph input or output replaced, dropped or added. */
static bool mutate_graph_io(rng *r, q8_graph *g) {
  if (g->n_tensors == 0) return false;
  bool output = chance(r, 50);
  int32_t count = output ? g->n_outputs : g->n_inputs;
  int32_t *v = q8_pool_alloc(&g->pool, sizeof(int32_t) * (size_t)(count + 1));
  if (v == NULL) return false;
  if (count > 0) memcpy(v, output ? g->outputs : g->inputs, sizeof(int32_t) * (size_t)count);
  int32_t pick = (int32_t)below(r, (uint64_t)g->n_tensors);
  unsigned how = (unsigned)below(r, 3);
  if (how == 0 && count > 0) count--;
  else if (how == 1 || count == 0) v[count++] = pick;
  else v[below(r, (uint64_t)count)] = pick;
  if (output) {
    g->n_outputs = count;
    g->outputs = v;
  } else {
    g->n_inputs = count;
    g->inputs = v;
  }
  return true;
}

/* One element of a constant: int32 extremes (biases, shapes, paddings, axes) or a byte. */
static bool mutate_constant(rng *r, q8_graph *g) {
  q8_tensor *t = NULL;
  for (int tries = 0; tries < 16 && t == NULL; tries++) {
    q8_tensor *c = random_tensor(r, g);
    if (c != NULL && c->data != NULL && c->data_size > 0) t = c;
  }
  if (t == NULL) return false;
  uint8_t *data = dup_array(g, t->data, t->data_size);
  if (data == NULL) return false;
  size_t size = q8_type_size(t->type);
  size_t at = below(r, t->data_size / size) * size;
  uint64_t cur = 0;
  memcpy(&cur, data + at, size);
  uint64_t v = size == 4 && chance(r, 50) ? q8_fz_option_value(r, cur)
                                          : q8_fz_generic_value(r, cur, size);
  memcpy(data + at, &v, size); /* little-endian host: the low bytes */
  t->data = data;
  return true;
}

static bool mutate_once(rng *r, q8_graph *g) {
  switch (below(r, 12)) {
    case 0: return mutate_scale(r, g);
    case 1: return mutate_zero_point(r, g);
    case 2: return mutate_quant_shape(r, g);
    case 3:
    case 4: return mutate_shape(r, g);
    case 5: return mutate_type(r, g);
    case 6:
    case 7: return mutate_options(r, g);
    case 8: return mutate_node_tensors(r, g);
    case 9: return chance(r, 50) ? mutate_node_arity(r, g) : mutate_node_kind(r, g);
    case 10: return chance(r, 50) ? mutate_node_order(r, g) : mutate_graph_io(r, g);
    default: return mutate_constant(r, g);
  }
}

/* When prepare refuses an output shape ("operator N (KIND): output tensor 'x' has shape [..]
   in the file, but the operator computes [a,b,..]"), the node's output tensor and the
   operator index are parsed from the message. Returns the operator index or -1. */
static int32_t computed_shape(const char *message, int32_t *rank, int32_t *dims) {
  int node = -1;
  const char *at = strstr(message, "but the operator computes [");
  if (at == NULL || sscanf(message, "operator %d (", &node) != 1 || node < 0) return -1;
  at += strlen("but the operator computes [");
  *rank = 0;
  while (*rank < Q8_MAX_RANK && *at != ']' && *at != '\0') {
    char *end;
    long v = strtol(at, &end, 10);
    if (end == at) return -1;
    dims[(*rank)++] = (int32_t)v;
    at = *end == ',' ? end + 1 : end;
  }
  return *at == ']' ? node : -1;
}

/* Edits of strides, shapes and kinds usually change what an operator computes, and prepare
   refuses a file whose output shape disagrees. So, a few times: encode, prepare (against a
   tiny arena: everything but the arena itself is checked), and take the shape prepare
   computed. Then the kernels run with the edited parameters instead of never. */
static void repair_output_shapes(q8_graph *g) {
  static _Alignas(64) uint8_t tiny_arena[64];
  for (int round = 0; round < 6; round++) {
    uint8_t *bytes = NULL;
    size_t n = 0;
    q8_error err;
    if (q8_tflite_write(g, &bytes, &n, &err) != Q8_OK) return;
    q8_model *model = NULL;
    q8_interp *it = NULL;
    q8_interp_options options = {.arena = tiny_arena, .arena_size = sizeof tiny_arena};
    err.message[0] = '\0';
    q8_status s = q8_model_load_memory(bytes, n, 0, &model, &err);
    if (s == Q8_OK) s = q8_interp_init(model, &options, &it, &err);
    q8_interp_free(it);
    q8_model_free(model);
    free(bytes);
    int32_t rank = 0, dims[Q8_MAX_RANK];
    int32_t node = s == Q8_OK ? -1 : computed_shape(err.message, &rank, dims);
    if (node < 0 || node >= g->n_nodes || g->nodes[node].n_outputs < 1) return;
    int32_t t = g->nodes[node].outputs[0];
    if (t < 0 || t >= g->n_tensors || g->tensors[t].data != NULL) return;
    g->tensors[t].rank = rank;
    memcpy(g->tensors[t].dims, dims, sizeof(int32_t) * (size_t)rank);
  }
}

size_t q8_fz_mutate_graph(uint8_t *data, size_t size, size_t max_size, q8_fz_rng *r) {
  q8_graph *g = NULL;
  q8_error err;
  if (q8_tflite_read(data, size, &g, &err) != Q8_OK) return 0;
  int edits = 1;
  while (edits < 4 && chance(r, 30)) edits++;
  bool changed = false;
  for (int i = 0; i < edits; i++) changed |= mutate_once(r, g);
  if (changed && size <= REPAIR_MAX_BYTES && chance(r, 80)) repair_output_shapes(g);
  uint8_t *out = NULL;
  size_t out_size = 0;
  size_t result = 0;
  if (changed && q8_tflite_write(g, &out, &out_size, &err) == Q8_OK && out_size <= max_size) {
    memcpy(data, out, out_size);
    result = out_size;
  }
  free(out);
  q8_graph_free(g);
  return result;
}
