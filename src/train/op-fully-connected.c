/* Fully connected layer, forward and backward, as matrix products over each thread's share
   of the batch: y = x W^T + b, dW = dy^T x, dx = dy W. */
#include <string.h>

#include "train/ops.h"

typedef struct fc_geom {
  int32_t batch, in, out;
} fc_geom;

/* Scratch: partial weight gradient [out * in], partial bias gradient [out], GEMM workspace. */
typedef struct fc_layout {
  size_t dw, db, workspace, total;
} fc_layout;

static fc_geom geometry(q8t_graph *g, const q8t_node *node) {
  const q8t_tensor *x = q8t_input_tensor(g, node, Q8T_IN_X);
  const q8t_tensor *y = q8t_output_tensor(g, node);
  return (fc_geom){x->dims[0], (int32_t)q8t_tensor_per_image(x), y->dims[1]};
}

static fc_layout layout(const q8t_graph *g, const fc_geom *geo) {
  fc_layout l;
  l.dw = 0;
  l.db = q8t_align_floats((size_t)geo->out * geo->in);
  l.workspace = l.db + q8t_align_floats((size_t)geo->out);
  l.total = l.workspace + q8t_gemm_workspace_floats(g);
  return l;
}

static size_t fc_scratch(const q8t_graph *g, const q8t_node *node) {
  const fc_geom geo = geometry((q8t_graph *)g, node);
  return layout(g, &geo).total;
}

typedef struct fc_ctx {
  q8t_graph *g;
  const q8t_node *node;
  fc_geom geo;
  fc_layout lay;
} fc_ctx;

static void fc_forward_task(void *arg, int32_t t, int32_t nt) {
  const fc_ctx *c = arg;
  const fc_geom *geo = &c->geo;
  const float *x = q8t_input_tensor(c->g, c->node, Q8T_IN_X)->data;
  const float *w = q8t_input_tensor(c->g, c->node, Q8T_IN_WEIGHTS)->data;
  const q8t_tensor *bias = q8t_input_tensor(c->g, c->node, Q8T_IN_BIAS);
  float *y = q8t_output_tensor(c->g, c->node)->data;
  int64_t n0, n1;
  q8t_split(geo->batch, t, nt, &n0, &n1);
  if (n0 == n1) return;
  float *out = y + (size_t)n0 * geo->out;
  if (bias != NULL) q8t_broadcast_rows(out, (size_t)(n1 - n0), (size_t)geo->out, bias->data);
  q8t_sgemm(c->g->options.gemm, false, true, (int32_t)(n1 - n0), geo->out, geo->in, 1.0f,
            x + (size_t)n0 * geo->in, geo->in, w, geo->in, bias != NULL ? 1.0f : 0.0f, out,
            geo->out, c->g->scratch[t] + c->lay.workspace);
  q8t_activate_span(c->node->attrs.activation, out, (size_t)(n1 - n0) * geo->out);
}

static void fc_forward(q8t_graph *g, q8t_node *node) {
  fc_ctx c = {g, node, geometry(g, node), {0}};
  c.lay = layout(g, &c.geo);
  q8t_parallel(g, fc_forward_task, &c);
}

static void fc_backward_task(void *arg, int32_t t, int32_t nt) {
  const fc_ctx *c = arg;
  const fc_geom *geo = &c->geo;
  const q8t_node *node = c->node;
  const q8t_tensor *xt = q8t_input_tensor(c->g, node, Q8T_IN_X);
  const float *w = q8t_input_tensor(c->g, node, Q8T_IN_WEIGHTS)->data;
  const q8t_tensor *yt = q8t_output_tensor(c->g, node);
  float *scratch = c->g->scratch[t];
  float *dw = scratch + c->lay.dw, *db = scratch + c->lay.db;
  float *workspace = scratch + c->lay.workspace;
  int64_t n0, n1;
  q8t_split(geo->batch, t, nt, &n0, &n1);
  memset(db, 0, (size_t)geo->out * sizeof *db);
  const int32_t rows = (int32_t)(n1 - n0);
  if (rows == 0) {
    memset(dw, 0, (size_t)geo->out * geo->in * sizeof *dw);
    return;
  }
  float *dy = yt->grad + (size_t)n0 * geo->out;
  q8t_activation_grad_span(node->attrs.activation, yt->data + (size_t)n0 * geo->out, dy,
                           (size_t)rows * geo->out);
  const float *x = xt->data + (size_t)n0 * geo->in;
  q8t_sgemm(c->g->options.gemm, true, false, geo->out, geo->in, rows, 1.0f, dy, geo->out, x,
            geo->in, 0.0f, dw, geo->in, workspace);
  for (int32_t i = 0; i < rows; i++) {
    for (int32_t o = 0; o < geo->out; o++) db[o] += dy[(size_t)i * geo->out + o];
  }
  if (xt->grad != NULL) {
    q8t_sgemm(c->g->options.gemm, false, false, rows, geo->in, geo->out, 1.0f, dy, geo->out, w,
              geo->in, node->accumulate[Q8T_IN_X] ? 1.0f : 0.0f, xt->grad + (size_t)n0 * geo->in,
              geo->in, workspace);
  }
}

static void fc_backward(q8t_graph *g, q8t_node *node) {
  fc_ctx c = {g, node, geometry(g, node), {0}};
  c.lay = layout(g, &c.geo);
  q8t_parallel(g, fc_backward_task, &c);
  q8t_reduce_partials(g, q8t_input_tensor(g, node, Q8T_IN_WEIGHTS)->grad,
                      (size_t)c.geo.out * c.geo.in, c.lay.dw, node->accumulate[Q8T_IN_WEIGHTS]);
  const q8t_tensor *bias = q8t_input_tensor(g, node, Q8T_IN_BIAS);
  if (bias != NULL) {
    q8t_reduce_partials(g, bias->grad, (size_t)c.geo.out, c.lay.db, node->accumulate[Q8T_IN_BIAS]);
  }
}

const q8t_op_impl Q8T_ISA_NAME(q8t_fully_connected_impl) = {"fully_connected", fc_forward,
                                                            fc_backward, fc_scratch};
