/* The builders of build.h: tensors and nodes recorded with their shapes, names and
   attributes; geometry through q8_conv_out_size, so training pads exactly as inference. */
#include "train/build.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ops/op.h"

/* Records the graph's first error; builders return its -1. */
Q8_PRINTF(3, 4) static int32_t build_fail(q8t_graph *g, q8_status status, const char *fmt, ...) {
  if (g->status != Q8_OK) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g->error.message, sizeof g->error.message, fmt, ap);
  va_end(ap);
  g->status = status;
  return -1;
}

static bool grow(void **items, int32_t *cap, int32_t need, size_t item_size) {
  if (need <= *cap) return true;
  const int32_t new_cap = *cap < 16 ? 16 : *cap * 2;
  void *p = realloc(*items, (size_t)new_cap * item_size);
  if (p == NULL) return false;
  memset((char *)p + (size_t)*cap * item_size, 0, (size_t)(new_cap - *cap) * item_size);
  *items = p;
  *cap = new_cap;
  return true;
}

/* A new tensor "<node>" (what == NULL) or "<node>/<what>"; dims[0] is the batch when batched. */
static int32_t add_tensor(q8t_graph *g, const char *node, const char *what, q8t_role role,
                          int32_t rank, const int32_t *dims, bool batched) {
  if (g->status != Q8_OK) return -1;
  char name[Q8T_NAME_MAX];
  const int len = what == NULL ? snprintf(name, sizeof name, "%s", node)
                               : snprintf(name, sizeof name, "%s/%s", node, what);
  if (len <= 0 || len >= (int)sizeof name) {
    return build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "tensor name '%s%s%s': 1 to %d characters",
                      node, what ? "/" : "", what ? what : "", Q8T_NAME_MAX - 1);
  }
  if (q8t_graph_find_tensor(g, name) >= 0) {
    return build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "tensor name '%s' is already used", name);
  }
  for (int32_t d = 0; d < rank; d++) {
    if (dims[d] < 1) {
      return build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "tensor %s: dimension %d is %d", name, (int)d,
                        (int)dims[d]);
    }
  }
  if (!grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof *g->tensors)) {
    return build_fail(g, Q8_ERROR_OUT_OF_MEMORY, "tensor %s", name);
  }
  q8t_tensor *t = &g->tensors[g->n_tensors];
  memset(t, 0, sizeof *t);
  memcpy(t->name, name, (size_t)len + 1);
  t->role = role;
  t->type = Q8_TYPE_FLOAT32;
  t->rank = rank;
  memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
  t->batched = batched;
  if (batched) t->dims[0] = g->batch;
  t->producer = -1;
  g->allocated = false;
  return g->n_tensors++;
}

static int32_t add_parameter(q8t_graph *g, const char *node, const char *what, int32_t rank,
                             const int32_t *dims, q8t_init init, int32_t fan_in, bool decay) {
  const int32_t id = add_tensor(g, node, what, Q8T_ROLE_PARAMETER, rank, dims, false);
  if (id < 0) return -1;
  g->tensors[id].init = init;
  g->tensors[id].fan_in = fan_in;
  g->tensors[id].decay = decay;
  return id;
}

static int32_t add_vector(q8t_graph *g, const char *node, const char *what, q8t_role role,
                          int32_t channels, q8t_init init) {
  const int32_t id = add_tensor(g, node, what, role, 1, &channels, false);
  if (id >= 0) g->tensors[id].init = init;
  return id;
}

/* A new node whose output is a new activation tensor named like the node. */
static q8t_node *add_node(q8t_graph *g, q8t_op op, const char *name, int32_t rank,
                          const int32_t *out_dims, bool batched) {
  if (g->status != Q8_OK) return NULL;
  if (q8t_graph_find_node(g, name) >= 0) {
    build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "node name '%s' is already used", name);
    return NULL;
  }
  const int32_t out = add_tensor(g, name, NULL, Q8T_ROLE_ACTIVATION, rank, out_dims, batched);
  if (out < 0) return NULL;
  if (!grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes)) {
    build_fail(g, Q8_ERROR_OUT_OF_MEMORY, "node %s", name);
    return NULL;
  }
  q8t_node *node = &g->nodes[g->n_nodes];
  memset(node, 0, sizeof *node);
  node->op = op;
  snprintf(node->name, sizeof node->name, "%s", name);
  node->output = out;
  for (int i = 0; i < Q8T_MAX_INPUTS; i++) node->inputs[i] = -1;
  node->attrs.activation = Q8_ACT_NONE;
  g->tensors[out].producer = g->n_nodes++;
  return node;
}

static void set_inputs(q8t_node *node, int32_t n, const int32_t *inputs) {
  node->n_inputs = n;
  memcpy(node->inputs, inputs, (size_t)n * sizeof *inputs);
}

static void add_state(q8t_node *node, int32_t tensor) { node->state[node->n_state++] = tensor; }

/* x must be a float tensor computed per image (an input or a node's output) of that rank. */
static bool check_activation(q8t_graph *g, const char *name, int32_t x, int32_t rank) {
  if (g->status != Q8_OK) return false;
  if (x < 0 || x >= g->n_tensors) {
    build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: input tensor %d does not exist", name, (int)x);
    return false;
  }
  const q8t_tensor *t = &g->tensors[x];
  if (!t->batched || t->type != Q8_TYPE_FLOAT32) {
    build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: input %s is not a float activation", name,
               t->name);
    return false;
  }
  if (rank > 0 && t->rank != rank) {
    build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: input %s has rank %d, expected %d%s", name,
               t->name, (int)t->rank, (int)rank, rank == 4 ? " (NHWC)" : "");
    return false;
  }
  return true;
}

static bool check_activation_kind(q8t_graph *g, const char *name, q8_activation act) {
  if (act == Q8_ACT_NONE || act == Q8_ACT_RELU || act == Q8_ACT_RELU6) return true;
  build_fail(g, Q8_ERROR_UNSUPPORTED, "%s: activation %s (expected NONE, RELU or RELU6)", name,
             q8_activation_name(act));
  return false;
}

int32_t q8t_input(q8t_graph *g, const char *name, int32_t height, int32_t width, int32_t channels) {
  const int32_t dims[4] = {g->batch, height, width, channels};
  const int32_t id = add_tensor(g, name, NULL, Q8T_ROLE_INPUT, 4, dims, true);
  if (id >= 0 && g->input < 0) g->input = id;
  return id;
}

/* Output height and width of a window over x, with the leading pads, as TFLite computes them. */
static bool window_geometry(q8t_graph *g, const char *name, const q8t_tensor *x, q8t_window *w,
                            q8t_attrs *attrs, int32_t *out_h, int32_t *out_w) {
  if (w->stride_h == 0) w->stride_h = 1;
  if (w->stride_w == 0) w->stride_w = 1;
  if (w->kernel_h < 1 || w->kernel_w < 1 || w->stride_h < 1 || w->stride_w < 1 ||
      (w->padding != Q8_PADDING_SAME && w->padding != Q8_PADDING_VALID)) {
    build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: window %dx%d stride %dx%d padding %d", name,
               (int)w->kernel_h, (int)w->kernel_w, (int)w->stride_h, (int)w->stride_w,
               (int)w->padding);
    return false;
  }
  *out_h = q8_conv_out_size(w->padding, x->dims[1], w->kernel_h, w->stride_h, 1, &attrs->pad_top);
  *out_w = q8_conv_out_size(w->padding, x->dims[2], w->kernel_w, w->stride_w, 1, &attrs->pad_left);
  if (*out_h <= 0 || *out_w <= 0) {
    build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: %dx%d %s window does not fit input %s (%dx%d)",
               name, (int)w->kernel_h, (int)w->kernel_w,
               w->padding == Q8_PADDING_SAME ? "SAME" : "VALID", x->name, (int)x->dims[1],
               (int)x->dims[2]);
    return false;
  }
  attrs->kernel_h = w->kernel_h;
  attrs->kernel_w = w->kernel_w;
  attrs->stride_h = w->stride_h;
  attrs->stride_w = w->stride_w;
  attrs->padding = w->padding;
  return true;
}

/* Shared by convolution and depthwise convolution. */
static int32_t add_conv_node(q8t_graph *g, q8t_op op, const char *name, int32_t x,
                             int32_t out_channels, int32_t multiplier, q8t_window window, bool bias,
                             q8_activation activation) {
  if (!check_activation(g, name, x, 4) || !check_activation_kind(g, name, activation)) return -1;
  if (out_channels < 1) {
    return build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: %d output channels", name,
                      (int)out_channels);
  }
  q8t_attrs attrs = {0};
  int32_t oh, ow;
  const q8t_tensor xt = g->tensors[x]; /* a copy: adding tensors may move the array */
  if (!window_geometry(g, name, &xt, &window, &attrs, &oh, &ow)) return -1;
  attrs.depth_multiplier = multiplier;
  attrs.activation = activation;
  const int32_t in_c = xt.dims[3];
  int32_t w;
  if (op == Q8T_OP_CONV) {
    const int32_t dims[4] = {out_channels, window.kernel_h, window.kernel_w, in_c};
    w = add_parameter(g, name, "weights", 4, dims, Q8T_INIT_FAN_IN_UNIFORM,
                      window.kernel_h * window.kernel_w * in_c, true);
  } else {
    const int32_t dims[4] = {1, window.kernel_h, window.kernel_w, out_channels};
    w = add_parameter(g, name, "weights", 4, dims, Q8T_INIT_FAN_IN_UNIFORM,
                      window.kernel_h * window.kernel_w, true);
  }
  const int32_t b =
      bias ? add_vector(g, name, "bias", Q8T_ROLE_PARAMETER, out_channels, Q8T_INIT_ZERO) : -1;
  const int32_t out_dims[4] = {g->batch, oh, ow, out_channels};
  q8t_node *node = add_node(g, op, name, 4, out_dims, true);
  if (node == NULL) return -1;
  set_inputs(node, 3, (const int32_t[]){x, w, b});
  node->attrs = attrs;
  return node->output;
}

int32_t q8t_conv(q8t_graph *g, const char *name, int32_t x, int32_t filters, q8t_window window,
                 bool bias, q8_activation activation) {
  return add_conv_node(g, Q8T_OP_CONV, name, x, filters, 1, window, bias, activation);
}

int32_t q8t_depthwise_conv(q8t_graph *g, const char *name, int32_t x, int32_t multiplier,
                           q8t_window window, bool bias, q8_activation activation) {
  if (!check_activation(g, name, x, 4)) return -1;
  if (multiplier < 1) {
    return build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: depth multiplier %d", name,
                      (int)multiplier);
  }
  return add_conv_node(g, Q8T_OP_DEPTHWISE_CONV, name, x, g->tensors[x].dims[3] * multiplier,
                       multiplier, window, bias, activation);
}

int32_t q8t_fully_connected(q8t_graph *g, const char *name, int32_t x, int32_t units, bool bias,
                            q8_activation activation) {
  if (!check_activation(g, name, x, 0) || !check_activation_kind(g, name, activation)) return -1;
  if (units < 1) return build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: %d units", name, (int)units);
  const size_t in = q8t_tensor_per_image(&g->tensors[x]);
  if (in > INT32_MAX) {
    return build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: %zu inputs per image", name, in);
  }
  const int32_t wdims[2] = {units, (int32_t)in};
  const int32_t w =
      add_parameter(g, name, "weights", 2, wdims, Q8T_INIT_FAN_IN_UNIFORM, (int32_t)in, true);
  const int32_t b =
      bias ? add_vector(g, name, "bias", Q8T_ROLE_PARAMETER, units, Q8T_INIT_ZERO) : -1;
  const int32_t out_dims[2] = {g->batch, units};
  q8t_node *node = add_node(g, Q8T_OP_FULLY_CONNECTED, name, 2, out_dims, true);
  if (node == NULL) return -1;
  set_inputs(node, 3, (const int32_t[]){x, w, b});
  node->attrs.activation = activation;
  return node->output;
}

int32_t q8t_batch_norm(q8t_graph *g, const char *name, int32_t x, q8_activation activation) {
  if (!check_activation(g, name, x, 0) || !check_activation_kind(g, name, activation)) return -1;
  const q8t_tensor xt = g->tensors[x];
  const int32_t c = xt.dims[xt.rank - 1];
  const int32_t gamma = add_vector(g, name, "gamma", Q8T_ROLE_PARAMETER, c, Q8T_INIT_ONE);
  const int32_t beta = add_vector(g, name, "beta", Q8T_ROLE_PARAMETER, c, Q8T_INIT_ZERO);
  const int32_t mean = add_vector(g, name, "moving_mean", Q8T_ROLE_STATE, c, Q8T_INIT_ZERO);
  const int32_t var = add_vector(g, name, "moving_variance", Q8T_ROLE_STATE, c, Q8T_INIT_ONE);
  const int32_t bmean = add_vector(g, name, "batch_mean", Q8T_ROLE_SAVED, c, Q8T_INIT_ZERO);
  const int32_t binv = add_vector(g, name, "batch_inv_std", Q8T_ROLE_SAVED, c, Q8T_INIT_ZERO);
  q8t_node *node = add_node(g, Q8T_OP_BATCH_NORM, name, xt.rank, xt.dims, true);
  if (node == NULL) return -1;
  set_inputs(node, 3, (const int32_t[]){x, gamma, beta});
  add_state(node, mean);
  add_state(node, var);
  add_state(node, bmean);
  add_state(node, binv);
  node->attrs.activation = activation;
  node->attrs.bn_momentum = 0.1f;
  node->attrs.bn_epsilon = 1e-5f;
  return node->output;
}

q8_status q8t_batch_norm_settings(q8t_graph *g, int32_t output, float momentum, float epsilon) {
  const int32_t n = output >= 0 && output < g->n_tensors ? g->tensors[output].producer : -1;
  if (n < 0 || g->nodes[n].op != Q8T_OP_BATCH_NORM) {
    return q8_fail(&g->error, Q8_ERROR_INVALID_ARGUMENT, "tensor %d is not a batch norm's output",
                   (int)output);
  }
  if (!(momentum >= 0.0f && momentum <= 1.0f) || !(epsilon > 0.0f)) {
    return q8_fail(&g->error, Q8_ERROR_INVALID_ARGUMENT,
                   "%s: momentum %g (expected [0, 1]), epsilon %g (expected > 0)", g->nodes[n].name,
                   momentum, epsilon);
  }
  g->nodes[n].attrs.bn_momentum = momentum;
  g->nodes[n].attrs.bn_epsilon = epsilon;
  return Q8_OK;
}

int32_t q8t_activation(q8t_graph *g, const char *name, int32_t x, q8_activation activation) {
  if (!check_activation(g, name, x, 0)) return -1;
  if (activation != Q8_ACT_RELU && activation != Q8_ACT_RELU6) {
    return build_fail(g, Q8_ERROR_UNSUPPORTED, "%s: activation %s (expected RELU or RELU6)", name,
                      q8_activation_name(activation));
  }
  const q8t_tensor xt = g->tensors[x];
  q8t_node *node = add_node(g, Q8T_OP_ACTIVATION, name, xt.rank, xt.dims, true);
  if (node == NULL) return -1;
  set_inputs(node, 1, &x);
  node->attrs.activation = activation;
  return node->output;
}

int32_t q8t_add(q8t_graph *g, const char *name, int32_t a, int32_t b, q8_activation activation) {
  if (!check_activation(g, name, a, 0) || !check_activation(g, name, b, 0) ||
      !check_activation_kind(g, name, activation)) {
    return -1;
  }
  const q8t_tensor at = g->tensors[a], bt = g->tensors[b];
  bool same = at.rank == bt.rank;
  for (int32_t d = 0; same && d < at.rank; d++) same = at.dims[d] == bt.dims[d];
  if (!same) {
    return build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: shapes of %s and %s differ", name, at.name,
                      bt.name);
  }
  q8t_node *node = add_node(g, Q8T_OP_ADD, name, at.rank, at.dims, true);
  if (node == NULL) return -1;
  set_inputs(node, 2, (const int32_t[]){a, b});
  node->attrs.activation = activation;
  return node->output;
}

int32_t q8t_global_avg_pool(q8t_graph *g, const char *name, int32_t x) {
  if (!check_activation(g, name, x, 4)) return -1;
  const int32_t dims[2] = {g->batch, g->tensors[x].dims[3]};
  q8t_node *node = add_node(g, Q8T_OP_GLOBAL_AVG_POOL, name, 2, dims, true);
  if (node == NULL) return -1;
  set_inputs(node, 1, &x);
  return node->output;
}

static int32_t add_pool(q8t_graph *g, q8t_op op, const char *name, int32_t x, q8t_window window) {
  if (!check_activation(g, name, x, 4)) return -1;
  q8t_attrs attrs = {0};
  int32_t oh, ow;
  const q8t_tensor xt = g->tensors[x];
  if (!window_geometry(g, name, &xt, &window, &attrs, &oh, &ow)) return -1;
  attrs.activation = Q8_ACT_NONE;
  const int32_t dims[4] = {g->batch, oh, ow, xt.dims[3]};
  q8t_node *node = add_node(g, op, name, 4, dims, true);
  if (node == NULL) return -1;
  set_inputs(node, 1, &x);
  node->attrs = attrs;
  return node->output;
}

int32_t q8t_max_pool(q8t_graph *g, const char *name, int32_t x, q8t_window window) {
  return add_pool(g, Q8T_OP_MAX_POOL, name, x, window);
}

int32_t q8t_avg_pool(q8t_graph *g, const char *name, int32_t x, q8t_window window) {
  return add_pool(g, Q8T_OP_AVG_POOL, name, x, window);
}

int32_t q8t_softmax_cross_entropy(q8t_graph *g, const char *name, int32_t logits) {
  if (!check_activation(g, name, logits, 2)) return -1;
  if (g->labels >= 0) {
    return build_fail(g, Q8_ERROR_INVALID_ARGUMENT, "%s: the graph already has a loss", name);
  }
  const q8t_tensor lt = g->tensors[logits];
  const int32_t label_dims[1] = {g->batch};
  const int32_t labels = add_tensor(g, "labels", NULL, Q8T_ROLE_INPUT, 1, label_dims, true);
  if (labels < 0) return -1;
  g->tensors[labels].type = Q8_TYPE_INT32;
  const int32_t probs = add_tensor(g, name, "probabilities", Q8T_ROLE_SAVED, 2, lt.dims, true);
  const int32_t one = 1;
  q8t_node *node = add_node(g, Q8T_OP_SOFTMAX_CROSS_ENTROPY, name, 1, &one, false);
  if (node == NULL) return -1;
  set_inputs(node, 2, (const int32_t[]){logits, labels});
  add_state(node, probs);
  g->logits = logits;
  g->labels = labels;
  g->loss = node->output;
  return node->output;
}

/* ---- for graph transformations in other files (build-internal.h) ---- */

int32_t q8t_build_tensor(q8t_graph *g, const char *node, const char *what, q8t_role role,
                         int32_t rank, const int32_t *dims, bool batched) {
  return add_tensor(g, node, what, role, rank, dims, batched);
}

q8t_node *q8t_build_node(q8t_graph *g, q8t_op op, const char *name, int32_t rank,
                         const int32_t *out_dims, bool batched) {
  return add_node(g, op, name, rank, out_dims, batched);
}
