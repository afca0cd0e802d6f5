/* The generator's q8 graph: one tensor per activation, with quantization parameters from the
   range of its group (src/quant/range.h's nudging, so zero is exact and a ReLU's output has
   its zero point at the bottom of the range); weights and biases per scheme; the operators'
   options as TFLite's converter writes them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "gen/net.h"
#include "quant/range.h"

typedef struct emitter {
  q8g_net *net;
  q8g_scheme scheme;
  q8_type type; /* activations and weights */
  q8_graph *g;
  int32_t cap_tensors;
  float *group_min, *group_max; /* by group root */
  q8_error *error;
} emitter;

static q8_status out_of_memory(emitter *e) {
  return q8_fail(e->error, Q8_ERROR_OUT_OF_MEMORY, "out of memory emitting the model");
}

static int32_t new_tensor(emitter *e, const char *name, q8_type type, int32_t rank,
                          const int32_t *dims) {
  if (e->g->n_tensors == e->cap_tensors) return -1;
  const int32_t index = e->g->n_tensors;
  q8_tensor *t = &e->g->tensors[index];
  memset(t, 0, sizeof *t);
  t->name = q8_pool_dup(&e->g->pool, name, strlen(name) + 1);
  if (t->name == NULL) return -1;
  t->type = type;
  t->rank = rank;
  memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
  e->g->n_tensors++;
  return index;
}

/* A constant "<layer>/<what>" holding size bytes of data (copied into the graph). */
static int32_t new_constant(emitter *e, const q8g_layer *l, const char *what, q8_type type,
                            int32_t rank, const int32_t *dims, const void *data, size_t size) {
  char name[2 * Q8G_NAME_MAX];
  snprintf(name, sizeof name, "%s/%s", l->name, what);
  const int32_t t = new_tensor(e, name, type, rank, dims);
  if (t < 0) return -1;
  e->g->tensors[t].data = q8_pool_dup(&e->g->pool, data, size);
  e->g->tensors[t].data_size = size;
  return e->g->tensors[t].data == NULL ? -1 : t;
}

static bool set_quant(emitter *e, int32_t t, int32_t count, const float *scales,
                      const int32_t *zero_points, int32_t axis) {
  float *s = q8_pool_dup(&e->g->pool, scales, (size_t)count * sizeof *s);
  int32_t *z = q8_pool_dup(&e->g->pool, zero_points, (size_t)count * sizeof *z);
  if (s == NULL || z == NULL) return false;
  e->g->tensors[t].quant = (q8_quant){count, s, z, axis};
  return true;
}

/* ---- activations ---- */

static q8_status range_params(emitter *e, float lo, float hi, q8_quant_params *p) {
  q8_quant_grid grid;
  int32_t offset;
  q8_status s = q8_quant_grid_from_range(lo, hi, 8, false, &grid, e->error);
  if (s == Q8_OK) s = q8_quant_grid_storage(&grid, e->type, p, &offset, e->error);
  return s;
}

/* Each group's range: the union of its members' (a concatenation's inputs and output, a
   pool's input and output, ...). */
static q8_status group_ranges(emitter *e) {
  q8g_net *net = e->net;
  e->group_min = malloc((size_t)net->n_tensors * sizeof *e->group_min);
  e->group_max = malloc((size_t)net->n_tensors * sizeof *e->group_max);
  if (e->group_min == NULL || e->group_max == NULL) return out_of_memory(e);
  for (int32_t t = 0; t < net->n_tensors; t++) {
    e->group_min[t] = INFINITY;
    e->group_max[t] = -INFINITY;
  }
  for (int32_t t = 0; t < net->n_tensors; t++) {
    const int32_t root = q8g_group_of(net, t);
    e->group_min[root] = fminf(e->group_min[root], net->tensors[t].min);
    e->group_max[root] = fmaxf(e->group_max[root], net->tensors[t].max);
  }
  return Q8_OK;
}

/* Net tensor t becomes graph tensor t (activations come first, in the net's order). */
static q8_status emit_activation(emitter *e, int32_t t, bool is_probabilities) {
  const q8g_tensor *x = &e->net->tensors[t];
  if (new_tensor(e, x->name, e->type, x->rank, x->dims) != t) return out_of_memory(e);
  if (e->scheme == Q8G_SCHEME_FLOAT32) return Q8_OK;
  q8_quant_params p = {1.0f / 256.0f, e->type == Q8_TYPE_INT8 ? -128 : 0}; /* TFLite's rule */
  if (!is_probabilities) {
    const int32_t root = q8g_group_of(e->net, t);
    const q8_status s = range_params(e, e->group_min[root], e->group_max[root], &p);
    if (s != Q8_OK) {
      q8_error_prefix(e->error, "range of '%s'", x->name);
      return s;
    }
  }
  return set_quant(e, t, 1, &p.scale, &p.zero_point, 0) ? Q8_OK : out_of_memory(e);
}

/* ---- weights ---- */

static int32_t weight_channels(const q8g_layer *l) {
  return l->kind == Q8_OP_DEPTHWISE_CONV_2D ? l->weight_dims[3] : l->weight_dims[0];
}

static int32_t channel_of(const q8g_layer *l, size_t i) {
  const int32_t channels = weight_channels(l);
  if (l->kind == Q8_OP_DEPTHWISE_CONV_2D) return (int32_t)(i % (size_t)channels);
  return (int32_t)(i / (l->weight_count / (size_t)channels));
}

/* int8: per-channel symmetric for convolutions, per-tensor symmetric for fully connected
   (TFLite's converter); uint8: per tensor over [min, max], narrow range (the paper's). */
static q8_status weight_grids(emitter *e, const q8g_layer *l, q8_quant_grid *grids,
                              int32_t *count) {
  const int32_t channels = weight_channels(l);
  float lo, hi;
  q8_status s = q8_quant_minmax(l->weights, l->weight_count, &lo, &hi, e->error);
  *count = 1;
  if (s != Q8_OK) return s;
  if (e->scheme == Q8G_SCHEME_UINT8) return q8_quant_grid_from_range(lo, hi, 8, true, grids, e->error);
  if (l->kind == Q8_OP_FULLY_CONNECTED)
    return q8_quant_grid_symmetric(fmaxf(-lo, hi), 8, grids, e->error);
  *count = channels;
  const size_t per = l->weight_count / (size_t)channels;
  return l->kind == Q8_OP_CONV_2D
             ? q8_quant_grids_symmetric_per_channel(l->weights, (size_t)channels, per, per, 1, 8,
                                                    grids, e->error)
             : q8_quant_grids_symmetric_per_channel(l->weights, (size_t)channels, per, 1,
                                                    (size_t)channels, 8, grids, e->error);
}

/* A layer's weights and bias quantized: count grids (1 or one per output channel). */
typedef struct layer_codes {
  int32_t count;
  q8_quant_grid *grids;  /* channels */
  float *weight_scale;   /* channels (count used), then the bias scales */
  float *bias_scale;
  int32_t *weight_zero;  /* channels each: weight zero points, storage offsets, bias codes */
  int32_t *offset;
  int32_t *bias;
  int32_t *bias_zero;    /* zeros */
  uint8_t *codes;        /* the layer's weight count */
} layer_codes;

static bool codes_alloc(layer_codes *c, size_t channels, size_t weights) {
  memset(c, 0, sizeof *c);
  c->grids = malloc(channels * sizeof *c->grids);
  c->weight_scale = malloc(2 * channels * sizeof *c->weight_scale);
  c->weight_zero = calloc(4 * channels, sizeof *c->weight_zero);
  c->codes = malloc(weights);
  if (c->grids == NULL || c->weight_scale == NULL || c->weight_zero == NULL || c->codes == NULL)
    return false;
  c->bias_scale = c->weight_scale + channels;
  c->offset = c->weight_zero + channels;
  c->bias = c->weight_zero + 2 * channels;
  c->bias_zero = c->weight_zero + 3 * channels;
  return true;
}

static void codes_free(layer_codes *c) {
  free(c->grids);
  free(c->weight_scale);
  free(c->weight_zero);
  free(c->codes);
}

/* Weight codes on the grids, and int32 bias codes bias / (input_scale * weight_scale),
   rounded half away from zero. */
static q8_status quantize_layer(emitter *e, const q8g_layer *l, float input_scale,
                                layer_codes *c) {
  for (int32_t j = 0; j < c->count; j++) {
    q8_quant_params p;
    const q8_status s = q8_quant_grid_storage(&c->grids[j], e->type, &p, &c->offset[j], e->error);
    if (s != Q8_OK) return s;
    c->weight_scale[j] = p.scale;
    c->weight_zero[j] = p.zero_point;
    c->bias_scale[j] = input_scale * p.scale;
  }
  for (size_t i = 0; i < l->weight_count; i++) {
    const int32_t j = c->count == 1 ? 0 : channel_of(l, i);
    c->codes[i] = (uint8_t)(q8_quant_grid_code(&c->grids[j], l->weights[i]) + c->offset[j]);
  }
  for (int32_t k = 0; k < weight_channels(l); k++) {
    const double q = round((double)l->bias[k] / (double)c->bias_scale[c->count == 1 ? 0 : k]);
    c->bias[k] = (int32_t)fmax(fmin(q, (double)INT32_MAX), -(double)INT32_MAX);
  }
  return Q8_OK;
}

/* The weights and bias tensors of a layer, quantized unless the scheme is float. */
static q8_status emit_weights(emitter *e, const q8g_layer *l, int32_t *w, int32_t *b) {
  const int32_t channels = weight_channels(l);
  const int32_t bias_dims[1] = {channels};
  if (e->scheme == Q8G_SCHEME_FLOAT32) {
    *w = new_constant(e, l, "weights", Q8_TYPE_FLOAT32, l->weight_rank, l->weight_dims,
                      l->weights, l->weight_count * sizeof(float));
    *b = new_constant(e, l, "bias", Q8_TYPE_FLOAT32, 1, bias_dims, l->bias,
                      (size_t)channels * sizeof(float));
    return *w < 0 || *b < 0 ? out_of_memory(e) : Q8_OK;
  }
  layer_codes c;
  q8_status s = codes_alloc(&c, (size_t)channels, l->weight_count) ? Q8_OK : out_of_memory(e);
  if (s == Q8_OK) s = weight_grids(e, l, c.grids, &c.count);
  if (s == Q8_OK) s = quantize_layer(e, l, e->g->tensors[l->inputs[0]].quant.scale[0], &c);
  if (s == Q8_OK) {
    *w = new_constant(e, l, "weights", e->type, l->weight_rank, l->weight_dims, c.codes,
                      l->weight_count);
    *b = new_constant(e, l, "bias", Q8_TYPE_INT32, 1, bias_dims, c.bias,
                      (size_t)channels * sizeof(int32_t));
    const int32_t axis = l->kind == Q8_OP_DEPTHWISE_CONV_2D ? 3 : 0;
    if (*w < 0 || *b < 0 || !set_quant(e, *w, c.count, c.weight_scale, c.weight_zero, axis) ||
        !set_quant(e, *b, c.count, c.bias_scale, c.bias_zero, 0))
      s = out_of_memory(e);
  }
  if (s != Q8_OK) q8_error_prefix(e->error, "weights of '%s'", l->name);
  codes_free(&c);
  return s;
}

/* ---- operators ---- */

static q8_node *new_node(emitter *e, const q8g_layer *l, int32_t n_inputs, const int32_t *inputs) {
  q8_node *node = &e->g->nodes[e->g->n_nodes];
  int32_t *in = q8_pool_dup(&e->g->pool, inputs, (size_t)n_inputs * sizeof *in);
  int32_t *out = q8_pool_dup(&e->g->pool, &l->output, sizeof *out);
  if (in == NULL || out == NULL) return NULL;
  memset(node, 0, sizeof *node);
  node->kind = l->kind;
  node->n_inputs = n_inputs;
  node->inputs = in;
  node->n_outputs = 1;
  node->outputs = out;
  e->g->n_nodes++;
  return node;
}

static q8_status emit_weighted(emitter *e, const q8g_layer *l) {
  int32_t inputs[3] = {l->inputs[0], -1, -1};
  q8_status s = emit_weights(e, l, &inputs[1], &inputs[2]);
  if (s != Q8_OK) return s;
  q8_node *node = new_node(e, l, 3, inputs);
  if (node == NULL) return out_of_memory(e);
  if (l->kind == Q8_OP_FULLY_CONNECTED) {
    node->opt.fully_connected.activation = l->activation;
    return Q8_OK;
  }
  node->opt.conv.padding = l->padding;
  node->opt.conv.stride_h = node->opt.conv.stride_w = l->stride;
  node->opt.conv.dilation_h = node->opt.conv.dilation_w = 1;
  node->opt.conv.depth_multiplier = l->kind == Q8_OP_DEPTHWISE_CONV_2D ? 1 : 0;
  node->opt.conv.activation = l->activation;
  return Q8_OK;
}

/* MEAN's axes, PAD's paddings, RESHAPE's shape: an int32 constant second input. */
static q8_status emit_with_ints(emitter *e, const q8g_layer *l) {
  const q8_tensor *out = &e->g->tensors[l->output];
  const int32_t paddings[8] = {0, 0, l->pads[0], l->pads[1], l->pads[2], l->pads[3], 0, 0};
  const int32_t axes[2] = {1, 2};
  const int32_t *values = l->kind == Q8_OP_PAD ? paddings : l->kind == Q8_OP_MEAN ? axes : out->dims;
  const int32_t dims[2] = {l->kind == Q8_OP_PAD ? 4 : 2, 2};
  const int32_t rank = l->kind == Q8_OP_PAD ? 2 : 1;
  const char *what = l->kind == Q8_OP_PAD ? "paddings" : l->kind == Q8_OP_MEAN ? "axes" : "shape";
  const size_t size = (size_t)(l->kind == Q8_OP_PAD ? 8 : 2) * sizeof(int32_t);
  const int32_t inputs[2] = {l->inputs[0], new_constant(e, l, what, Q8_TYPE_INT32, rank, dims,
                                                        values, size)};
  q8_node *node = inputs[1] < 0 ? NULL : new_node(e, l, 2, inputs);
  if (node == NULL) return out_of_memory(e);
  if (l->kind == Q8_OP_RESHAPE) {
    node->opt.reshape.has_new_shape = true;
    node->opt.reshape.rank = out->rank;
    memcpy(node->opt.reshape.new_shape, out->dims, (size_t)out->rank * sizeof *out->dims);
  }
  return Q8_OK; /* MEAN: keep_dims false, the zeroed default */
}

static q8_status emit_layer(emitter *e, const q8g_layer *l) {
  switch (l->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D:
    case Q8_OP_FULLY_CONNECTED: return emit_weighted(e, l);
    case Q8_OP_MEAN:
    case Q8_OP_PAD:
    case Q8_OP_RESHAPE: return emit_with_ints(e, l);
    default: break;
  }
  q8_node *node = new_node(e, l, l->n_inputs, l->inputs);
  if (node == NULL) return out_of_memory(e);
  if (l->kind == Q8_OP_ADD) node->opt.add.activation = l->activation;
  if (l->kind == Q8_OP_CONCATENATION) node->opt.concatenation.axis = 3;
  if (l->kind == Q8_OP_SOFTMAX) node->opt.softmax.beta = 1.0f;
  if (l->kind == Q8_OP_AVERAGE_POOL_2D || l->kind == Q8_OP_MAX_POOL_2D) {
    node->opt.pool.padding = l->padding;
    node->opt.pool.stride_h = node->opt.pool.stride_w = l->stride;
    node->opt.pool.filter_h = l->kernel_h;
    node->opt.pool.filter_w = l->kernel_w;
  }
  return Q8_OK;
}

static q8_status emit_all(emitter *e) {
  q8g_net *net = e->net;
  q8_graph *g = e->g;
  e->cap_tensors = net->n_tensors + 2 * net->n_layers;
  g->tensors = q8_pool_alloc(&g->pool, (size_t)e->cap_tensors * sizeof *g->tensors);
  g->nodes = q8_pool_alloc(&g->pool, (size_t)net->n_layers * sizeof *g->nodes);
  int32_t *io = q8_pool_alloc(&g->pool, 2 * sizeof *io);
  if (g->tensors == NULL || g->nodes == NULL || io == NULL) return out_of_memory(e);
  const q8g_layer *last = &net->layers[net->n_layers - 1];
  q8_status s = group_ranges(e);
  for (int32_t t = 0; t < net->n_tensors && s == Q8_OK; t++)
    s = emit_activation(e, t, last->kind == Q8_OP_SOFTMAX && t == last->output);
  for (int32_t l = 0; l < net->n_layers && s == Q8_OK; l++) s = emit_layer(e, &net->layers[l]);
  if (s != Q8_OK) return s;
  io[0] = 0; /* the input is the net's first tensor */
  io[1] = last->output;
  g->n_inputs = g->n_outputs = 1;
  g->inputs = &io[0];
  g->outputs = &io[1];
  return Q8_OK;
}

q8_status q8g_emit(q8g_net *net, q8g_scheme scheme, q8_graph **graph, q8_error *error) {
  *graph = NULL;
  if (net->n_layers == 0 || net->n_tensors == 0)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "the model has no layers");
  emitter e = {.net = net, .scheme = scheme, .error = error};
  e.type = scheme == Q8G_SCHEME_INT8    ? Q8_TYPE_INT8
           : scheme == Q8G_SCHEME_UINT8 ? Q8_TYPE_UINT8
                                        : Q8_TYPE_FLOAT32;
  e.g = calloc(1, sizeof *e.g);
  q8_status s = e.g == NULL ? out_of_memory(&e) : emit_all(&e);
  free(e.group_min);
  free(e.group_max);
  if (s != Q8_OK) {
    q8_graph_free(e.g);
    return s;
  }
  *graph = e.g;
  return Q8_OK;
}
