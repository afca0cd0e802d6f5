/* The converter's plan: which exported operator stands for which training nodes (batch norm
   folded into the convolution before it, ReLU nodes fused), and which training tensors need a
   quantization range. Structure only: no numbers. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "train/convert.h"

typedef struct planner {
  const q8t_graph *g;
  q8t_export_plan *plan;
  int32_t *readers;     /* per tensor: how many node inputs read it */
  int32_t *only_reader; /* per tensor: the node reading it, when readers == 1 */
  bool *absorbed;       /* per node: folded or fused into an earlier exported operator */
  bool *exported;       /* per tensor: an activation of the exported graph */
  bool *read;           /* per tensor: read by an exported operator */
  q8_error *error;
} planner;

static void count_readers(planner *p) {
  for (int32_t n = 0; n < p->g->n_nodes; n++) {
    const q8t_node *node = &p->g->nodes[n];
    for (int32_t i = 0; i < node->n_inputs; i++) {
      const int32_t t = node->inputs[i];
      if (t < 0) continue;
      p->readers[t]++;
      p->only_reader[t] = n;
    }
  }
}

/* The node that alone reads tensor t, if it is of kind op, else -1. */
static int32_t sole_reader(const planner *p, int32_t t, q8t_op op) {
  if (p->readers[t] != 1) return -1;
  const int32_t n = p->only_reader[t];
  return p->g->nodes[n].op == op ? n : -1;
}

static q8_status need_exported(planner *p, const q8t_node *node, int32_t t) {
  if (t >= 0 && p->exported[t]) return Q8_OK;
  return q8_fail(p->error, Q8_ERROR_UNSUPPORTED,
                 "%s '%s' reads '%s', which is not a tensor of the exported graph (the output "
                 "of a batch norm or activation that could not be fused, or a parameter)",
                 q8t_op_name(node->op), node->name, t >= 0 ? p->g->tensors[t].name : "(none)");
}

/* A ReLU node alone reading op's output becomes op's fused activation. */
static void fuse_activation(planner *p, q8t_export_op *op) {
  if (op->activation != Q8_ACT_NONE) return;
  const int32_t a = sole_reader(p, op->output, Q8T_OP_ACTIVATION);
  if (a < 0) return;
  op->activation_node = a;
  op->activation = p->g->nodes[a].attrs.activation;
  op->output = p->g->nodes[a].output;
  p->absorbed[a] = true;
}

/* Quantization-aware training (qat.h): a fake-quant node alone reading op's output holds the
   values the exported tensor will have; the tensor is named after it and keyed by it. */
static void absorb_fake_quant(planner *p, q8t_export_op *op) {
  const int32_t fq = op->output >= 0 ? sole_reader(p, op->output, Q8T_OP_FAKE_QUANT) : -1;
  if (fq < 0) return;
  op->output = p->g->nodes[fq].output;
  p->absorbed[fq] = true;
}

/* A batch norm, or the folded one quantization-aware training puts in its place. */
static int32_t batch_norm_reader(const planner *p, int32_t t) {
  const int32_t bn = sole_reader(p, t, Q8T_OP_BATCH_NORM);
  return bn >= 0 ? bn : sole_reader(p, t, Q8T_OP_CONV_BN_FOLDED);
}

/* Convolution, depthwise convolution or fully connected, with the batch norm that alone reads
   its output folded in. */
static q8_status plan_weighted(planner *p, int32_t n, q8t_export_op *op) {
  const q8t_node *node = &p->g->nodes[n];
  static const q8_op_kind kinds[] = {[Q8T_OP_CONV] = Q8_OP_CONV_2D,
                                     [Q8T_OP_DEPTHWISE_CONV] = Q8_OP_DEPTHWISE_CONV_2D,
                                     [Q8T_OP_FULLY_CONNECTED] = Q8_OP_FULLY_CONNECTED};
  op->kind = kinds[node->op];
  op->output_has_range = true;
  const int32_t bn = batch_norm_reader(p, node->output);
  if (bn >= 0 && node->attrs.activation != Q8_ACT_NONE)
    return q8_fail(p->error, Q8_ERROR_UNSUPPORTED,
                   "batch norm '%s' follows %s '%s', whose output has a fused %s: only a batch "
                   "norm before the activation can be folded into the weights",
                   p->g->nodes[bn].name, q8t_op_name(node->op), node->name,
                   q8_activation_name(node->attrs.activation));
  if (bn >= 0) {
    op->batch_norm = bn;
    op->activation = p->g->nodes[bn].attrs.activation;
    op->output = p->g->nodes[bn].output;
    p->absorbed[bn] = true;
  }
  fuse_activation(p, op);
  absorb_fake_quant(p, op);
  return need_exported(p, node, node->inputs[Q8T_IN_X]);
}

static q8_status refuse_leftover(planner *p, const q8t_node *node) {
  const int32_t x = node->inputs[Q8T_IN_X];
  const char *from = x >= 0 ? p->g->tensors[x].name : "(none)";
  if (node->op == Q8T_OP_BATCH_NORM || node->op == Q8T_OP_CONV_BN_FOLDED)
    return q8_fail(p->error, Q8_ERROR_UNSUPPORTED,
                   "batch norm '%s' reads '%s': the export folds a batch norm only into the "
                   "convolution or fully connected layer whose output it alone reads",
                   node->name, from);
  return q8_fail(p->error, Q8_ERROR_UNSUPPORTED,
                 "activation '%s' reads '%s': the export fuses a ReLU node only into the "
                 "convolution, fully connected layer, batch norm or add whose output it alone "
                 "reads and that has no activation of its own",
                 node->name, from);
}

/* One training node that starts an exported operator. Returns Q8_OK with op->kind ==
   Q8_OP_COUNT for nodes that export to nothing. */
static q8_status plan_node(planner *p, int32_t n, q8t_export_op *op) {
  const q8t_node *node = &p->g->nodes[n];
  *op = (q8t_export_op){.kind = Q8_OP_COUNT, .node = n, .batch_norm = -1,
                        .activation_node = -1, .activation = node->attrs.activation,
                        .inputs = {node->inputs[0], -1}, .output = node->output};
  switch (node->op) {
    case Q8T_OP_CONV:
    case Q8T_OP_DEPTHWISE_CONV:
    case Q8T_OP_FULLY_CONNECTED: return plan_weighted(p, n, op);
    case Q8T_OP_ADD: {
      op->kind = Q8_OP_ADD;
      op->inputs[1] = node->inputs[Q8T_ADD_B];
      op->output_has_range = true;
      fuse_activation(p, op);
      absorb_fake_quant(p, op);
      const q8_status s = need_exported(p, node, op->inputs[0]);
      return s == Q8_OK ? need_exported(p, node, op->inputs[1]) : s;
    }
    case Q8T_OP_GLOBAL_AVG_POOL: op->kind = Q8_OP_MEAN; break;
    case Q8T_OP_MAX_POOL: op->kind = Q8_OP_MAX_POOL_2D; break;
    case Q8T_OP_AVG_POOL: op->kind = Q8_OP_AVERAGE_POOL_2D; break;
    case Q8T_OP_SOFTMAX_CROSS_ENTROPY:
      op->kind = Q8_OP_SOFTMAX;
      op->output = -1; /* the probabilities: a tensor of the export's own */
      break;
    case Q8T_OP_BATCH_NORM:
    case Q8T_OP_CONV_BN_FOLDED:
    case Q8T_OP_ACTIVATION: return refuse_leftover(p, node);
    case Q8T_OP_FOLD_WEIGHTS: return Q8_OK; /* weights: the layer's export folds them */
    case Q8T_OP_FAKE_QUANT:
      if (node->attrs.qat.fq_kind == Q8T_FQ_WEIGHTS) return Q8_OK; /* the layer's grids */
      return q8_fail(p->error, Q8_ERROR_UNSUPPORTED,
                     "fake quantization '%s' reads '%s', which no exported operator writes",
                     node->name, p->g->tensors[node->inputs[Q8T_IN_X]].name);
    case Q8T_OP_COUNT: break;
  }
  if (op->kind == Q8_OP_MEAN || op->kind == Q8_OP_MAX_POOL_2D ||
      op->kind == Q8_OP_AVERAGE_POOL_2D)
    absorb_fake_quant(p, op);
  if (op->kind == Q8_OP_COUNT)
    return q8_fail(p->error, Q8_ERROR_UNSUPPORTED, "node '%s' (%s) has no exported form",
                   node->name, q8t_op_name(node->op));
  return need_exported(p, node, op->inputs[0]);
}

static q8_status find_input(planner *p) {
  const q8t_graph *g = p->g;
  int32_t found = -1;
  for (int32_t t = 0; t < g->n_tensors; t++) {
    const q8t_tensor *x = &g->tensors[t];
    if (x->role != Q8T_ROLE_INPUT || x->type != Q8_TYPE_FLOAT32) continue;
    if (found >= 0)
      return q8_fail(p->error, Q8_ERROR_UNSUPPORTED,
                     "the graph has two image inputs, '%s' and '%s'; the export takes one",
                     g->tensors[found].name, x->name);
    found = t;
  }
  if (found < 0 || g->tensors[found].rank != 4)
    return q8_fail(p->error, Q8_ERROR_UNSUPPORTED,
                   found < 0 ? "the graph has no image input"
                             : "the image input is not [N, H, W, C]");
  p->plan->input = found;
  p->exported[found] = true;
  return Q8_OK;
}

/* Graph outputs: the SOFTMAX's, else every exported tensor no exported operator reads. */
static q8_status find_outputs(planner *p) {
  q8t_export_plan *plan = p->plan;
  for (int32_t i = 0; i < plan->n_ops; i++) {
    const q8t_export_op *op = &plan->ops[i];
    for (int k = 0; k < 2; k++)
      if (op->inputs[k] >= 0) p->read[op->inputs[k]] = true;
  }
  plan->n_outputs = 0;
  for (int32_t i = 0; i < plan->n_ops; i++) {
    const q8t_export_op *op = &plan->ops[i];
    if (op->kind != Q8_OP_SOFTMAX && (op->output < 0 || p->read[op->output])) continue;
    if (plan->n_outputs == (int32_t)(sizeof plan->outputs / sizeof plan->outputs[0]))
      return q8_fail(p->error, Q8_ERROR_UNSUPPORTED, "the graph has more than %d outputs",
                     (int)(sizeof plan->outputs / sizeof plan->outputs[0]));
    plan->outputs[plan->n_outputs++] = i; /* operator index: SOFTMAX has no training tensor */
  }
  if (plan->n_outputs == 0)
    return q8_fail(p->error, Q8_ERROR_UNSUPPORTED, "the graph has no operator to export");
  return Q8_OK;
}

static q8_status plan_all(planner *p) {
  q8_status s = find_input(p);
  for (int32_t n = 0; n < p->g->n_nodes && s == Q8_OK; n++) {
    if (p->absorbed[n]) continue;
    q8t_export_op op;
    s = plan_node(p, n, &op);
    if (s != Q8_OK || op.kind == Q8_OP_COUNT) continue;
    q8t_export_plan *plan = p->plan;
    plan->ops[plan->n_ops++] = op;
    if (op.output >= 0) p->exported[op.output] = true;
    if (op.output_has_range) plan->ranged[plan->n_ranged++] = op.output;
  }
  return s == Q8_OK ? find_outputs(p) : s;
}

q8_status q8t_export_plan_init(const q8t_graph *g, q8t_export_plan *plan, q8_error *error) {
  memset(plan, 0, sizeof *plan);
  if (g == NULL || g->status != Q8_OK)
    return q8_fail(error, g == NULL ? Q8_ERROR_INVALID_ARGUMENT : g->status,
                   "no graph to export%s%s", g != NULL ? ": " : "",
                   g != NULL ? g->error.message : "");
  const size_t nt = (size_t)g->n_tensors + 1, nn = (size_t)g->n_nodes + 1;
  planner p = {.g = g, .plan = plan, .error = error};
  p.readers = calloc(nt, sizeof *p.readers);
  p.only_reader = calloc(nt, sizeof *p.only_reader);
  p.exported = calloc(nt, sizeof *p.exported);
  p.read = calloc(nt, sizeof *p.read);
  p.absorbed = calloc(nn, sizeof *p.absorbed);
  plan->ops = calloc(nn, sizeof *plan->ops);
  plan->ranged = calloc(nn, sizeof *plan->ranged);
  q8_status s = Q8_OK;
  if (!p.readers || !p.only_reader || !p.exported || !p.read || !p.absorbed || !plan->ops ||
      !plan->ranged) {
    s = q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory planning the export");
  } else {
    count_readers(&p);
    s = plan_all(&p);
  }
  free(p.readers);
  free(p.only_reader);
  free(p.exported);
  free(p.read);
  free(p.absorbed);
  if (s != Q8_OK) q8t_export_plan_free(plan);
  return s;
}

void q8t_export_plan_free(q8t_export_plan *plan) {
  if (plan == NULL) return;
  free(plan->ops);
  free(plan->ranged);
  memset(plan, 0, sizeof *plan);
}
