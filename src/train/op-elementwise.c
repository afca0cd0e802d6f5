/* Elementwise layers, forward and backward: ReLU / ReLU6 as a node of their own, and the
   residual addition with its fused activation. Threads take equal slices of the elements. */
#include "train/ops.h"

typedef struct elementwise_ctx {
  q8t_graph *g;
  const q8t_node *node;
  size_t count;
} elementwise_ctx;

static elementwise_ctx context(q8t_graph *g, const q8t_node *node) {
  return (elementwise_ctx){g, node, q8t_tensor_count(q8t_output_tensor(g, node))};
}

static void slice(const elementwise_ctx *c, int32_t t, int32_t nt, size_t *begin, size_t *n) {
  int64_t b, e;
  q8t_split((int64_t)c->count, t, nt, &b, &e);
  *begin = (size_t)b;
  *n = (size_t)(e - b);
}

static void activation_forward_task(void *arg, int32_t t, int32_t nt) {
  const elementwise_ctx *c = arg;
  size_t at, n;
  slice(c, t, nt, &at, &n);
  const float *x = q8t_input_tensor(c->g, c->node, Q8T_IN_X)->data + at;
  float *y = q8t_output_tensor(c->g, c->node)->data + at;
  for (size_t i = 0; i < n; i++) y[i] = q8t_activate(c->node->attrs.activation, x[i]);
}

static void activation_backward_task(void *arg, int32_t t, int32_t nt) {
  const elementwise_ctx *c = arg;
  size_t at, n;
  slice(c, t, nt, &at, &n);
  const q8t_tensor *yt = q8t_output_tensor(c->g, c->node);
  float *dy = yt->grad + at;
  q8t_activation_grad_span(c->node->attrs.activation, yt->data + at, dy, n);
  q8t_store_grad(q8t_input_tensor(c->g, c->node, Q8T_IN_X)->grad + at, dy, n,
                 c->node->accumulate[Q8T_IN_X]);
}

static void activation_forward(q8t_graph *g, q8t_node *node) {
  elementwise_ctx c = context(g, node);
  q8t_parallel(g, activation_forward_task, &c);
}

static void activation_backward(q8t_graph *g, q8t_node *node) {
  elementwise_ctx c = context(g, node);
  q8t_parallel(g, activation_backward_task, &c);
}

static void add_forward_task(void *arg, int32_t t, int32_t nt) {
  const elementwise_ctx *c = arg;
  size_t at, n;
  slice(c, t, nt, &at, &n);
  const float *a = q8t_input_tensor(c->g, c->node, Q8T_ADD_A)->data + at;
  const float *b = q8t_input_tensor(c->g, c->node, Q8T_ADD_B)->data + at;
  float *y = q8t_output_tensor(c->g, c->node)->data + at;
  for (size_t i = 0; i < n; i++) y[i] = a[i] + b[i];
  q8t_activate_span(c->node->attrs.activation, y, n);
}

/* Slot A first, then slot B: when both are the same tensor, B adds to what A wrote. */
static void add_backward_task(void *arg, int32_t t, int32_t nt) {
  const elementwise_ctx *c = arg;
  size_t at, n;
  slice(c, t, nt, &at, &n);
  const q8t_tensor *yt = q8t_output_tensor(c->g, c->node);
  float *dy = yt->grad + at;
  q8t_activation_grad_span(c->node->attrs.activation, yt->data + at, dy, n);
  for (int slot = Q8T_ADD_A; slot <= Q8T_ADD_B; slot++) {
    const q8t_tensor *in = q8t_input_tensor(c->g, c->node, slot);
    if (in->grad != NULL) q8t_store_grad(in->grad + at, dy, n, c->node->accumulate[slot]);
  }
}

static void add_forward(q8t_graph *g, q8t_node *node) {
  elementwise_ctx c = context(g, node);
  q8t_parallel(g, add_forward_task, &c);
}

static void add_backward(q8t_graph *g, q8t_node *node) {
  elementwise_ctx c = context(g, node);
  q8t_parallel(g, add_backward_task, &c);
}

const q8t_op_impl Q8T_ISA_NAME(q8t_activation_impl) = {"activation", activation_forward,
                                                       activation_backward, NULL};
const q8t_op_impl Q8T_ISA_NAME(q8t_add_impl) = {"add", add_forward, add_backward, NULL};
