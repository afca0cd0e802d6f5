/* Quantization-aware training (qat.h): the rewrite of a float graph into its fake-quantized
   form, driven by the converter's export plan (so fake quantization sits exactly on the
   tensors the exported graph has), the clocks, calibration, and the hand-over to the export. */
#include "train/qat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "train/build-internal.h"
#include "train/qat-internal.h"

q8t_qat_options q8t_qat_defaults(void) {
  return (q8t_qat_options){.scheme = Q8T_SCHEME_INT8,
                           .weight_bits = 8,
                           .activation_bits = 8,
                           .ema_decay = 0.999f,
                           .quant_delay = 0,
                           .bn_freeze_step = Q8T_QAT_NEVER,
                           .range_freeze_step = Q8T_QAT_NEVER};
}

const char *q8t_bn_statistics_name(q8t_bn_statistics statistics) {
  return statistics == Q8T_BN_STATISTICS_UNFOLDED ? "unfolded"
         : statistics == Q8T_BN_STATISTICS_FOLDED ? "folded"
                                                  : "unknown";
}

static bool is_qat_node(const q8t_node *node) {
  return node->op == Q8T_OP_FAKE_QUANT || node->op == Q8T_OP_FOLD_WEIGHTS ||
         node->op == Q8T_OP_CONV_BN_FOLDED;
}

bool q8t_qat_prepared(const q8t_graph *g) {
  for (int32_t n = 0; n < g->n_nodes; n++)
    if (is_qat_node(&g->nodes[n])) return true;
  return false;
}

/* ---- options ---- */

static q8_status check_step(const char *what, int64_t step, q8_error *error) {
  if (step == Q8T_QAT_NEVER || (step >= 0 && step < Q8T_QAT_MAX_STEPS)) return Q8_OK;
  return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "QAT %s %lld: expected -1 (never) or 0 to %d",
                 what, (long long)step, Q8T_QAT_MAX_STEPS - 1);
}

/* The options with defaults filled in, checked. */
static q8_status normalize(const q8t_qat_options *in, q8t_qat_options *o, q8_error *error) {
  if (in == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "no QAT options");
  *o = *in;
  if (o->weight_bits == 0) o->weight_bits = 8;
  if (o->activation_bits == 0) o->activation_bits = 8;
  if (o->scheme != Q8T_SCHEME_INT8 && o->scheme != Q8T_SCHEME_UINT8)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "QAT scheme %d: expected int8 or uint8",
                   (int)o->scheme);
  if (o->weight_bits < Q8_QUANT_MIN_BITS || o->weight_bits > Q8_QUANT_MAX_BITS ||
      o->activation_bits < Q8_QUANT_MIN_BITS || o->activation_bits > Q8_QUANT_MAX_BITS)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "QAT bit widths: weights %d, activations %d (each 2 to 8)", o->weight_bits,
                   o->activation_bits);
  if (o->bn_statistics != Q8T_BN_STATISTICS_UNFOLDED &&
      o->bn_statistics != Q8T_BN_STATISTICS_FOLDED)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "QAT batch-norm statistics %d: expected Q8T_BN_STATISTICS_UNFOLDED (0) or "
                   "Q8T_BN_STATISTICS_FOLDED (1)",
                   (int)o->bn_statistics);
  if (!(o->ema_decay >= 0.0f && o->ema_decay <= 1.0f))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "QAT EMA decay %g: expected 0 to 1",
                   (double)o->ema_decay);
  q8_status s = check_step("quantization delay", o->quant_delay, error);
  if (s == Q8_OK) s = check_step("batch-norm freeze step", o->bn_freeze_step, error);
  if (s == Q8_OK) s = check_step("range freeze step", o->range_freeze_step, error);
  return s;
}

/* A schedule's step as the nodes compare it: never is past every step. */
static int64_t node_step(int64_t step) { return step == Q8T_QAT_NEVER ? INT64_MAX : step; }

/* ---- the rewrite ---- */

typedef struct rewriter {
  q8t_graph *g;
  q8t_qat_options o;
  int32_t n_original; /* nodes before the rewrite */
  int32_t *anchor;    /* per new node: the original node it goes next to */
  bool *after;        /* per new node: after its anchor (else before) */
  int32_t *range_of;  /* per original tensor: the range state its fake quantization uses */
  int32_t n_new, cap_new;
} rewriter;

/* "<a>/<b>", or an error naming both when it does not fit a tensor name. */
static bool join_name(rewriter *r, char *out, const char *a, const char *b) {
  const int len = snprintf(out, Q8T_NAME_MAX, "%s/%s", a, b);
  if (len > 0 && len < Q8T_NAME_MAX) return true;
  if (r->g->status == Q8_OK) {
    r->g->status =
        q8_fail(&r->g->error, Q8_ERROR_INVALID_ARGUMENT,
                "QAT: name '%s/%s' is longer than %d characters", a, b, Q8T_NAME_MAX - 1);
  }
  return false;
}

/* A new node shaped like tensor like, placed next to an original node. Returns its index. */
static int32_t new_node(rewriter *r, q8t_op op, const char *name, int32_t like, int32_t anchor,
                        bool after) {
  q8t_graph *g = r->g;
  if (g->status != Q8_OK) return -1;
  if (r->n_new == r->cap_new) {
    const int32_t cap = r->cap_new < 16 ? 16 : 2 * r->cap_new;
    int32_t *a = realloc(r->anchor, (size_t)cap * sizeof *a);
    if (a != NULL) r->anchor = a;
    bool *b = realloc(r->after, (size_t)cap * sizeof *b);
    if (b != NULL) r->after = b;
    if (a == NULL || b == NULL) {
      g->status = q8_fail(&g->error, Q8_ERROR_OUT_OF_MEMORY, "QAT: out of memory");
      return -1;
    }
    r->cap_new = cap;
  }
  const q8t_tensor shape = g->tensors[like];
  if (q8t_build_node(g, op, name, shape.rank, shape.dims, shape.batched) == NULL) return -1;
  r->anchor[r->n_new] = anchor;
  r->after[r->n_new] = after;
  r->n_new++;
  return g->n_nodes - 1;
}

static int32_t state_tensor(rewriter *r, const char *node, const char *what, q8t_role role,
                            int32_t count) {
  const int32_t id = q8t_build_tensor(r->g, node, what, role, 1, &count, false);
  if (id >= 0) r->g->tensors[id].init = Q8T_INIT_ZERO;
  return id;
}

/* A fake-quant node reading x, placed before (weights) or after (activations) anchor; tied
   nodes use range (another node's state). Returns its output tensor, -1 on error. */
static int32_t add_fake_quant(rewriter *r, int32_t x, q8t_fq_kind kind, int32_t layer_op,
                              int32_t range, int32_t anchor) {
  q8t_graph *g = r->g;
  char name[Q8T_NAME_MAX];
  if (!join_name(r, name, g->tensors[x].name, "fq")) return -1;
  const int32_t n = new_node(r, Q8T_OP_FAKE_QUANT, name, x, anchor, kind != Q8T_FQ_WEIGHTS);
  const int32_t step = state_tensor(r, name, "step", Q8T_ROLE_STATE, 1);
  if (kind == Q8T_FQ_ACTIVATION) range = state_tensor(r, name, "range", Q8T_ROLE_STATE, 3);
  if (g->status != Q8_OK) return -1;
  q8t_node *node = &g->nodes[n];
  node->n_inputs = 1;
  node->inputs[Q8T_IN_X] = x;
  node->n_state = kind == Q8T_FQ_WEIGHTS ? 1 : 2;
  node->state[Q8T_FQ_STEP] = step;
  node->state[Q8T_FQ_RANGE] = kind == Q8T_FQ_WEIGHTS ? -1 : range;
  node->attrs.qat =
      (q8t_qat_attrs){.fq_kind = kind,
                      .bits = kind == Q8T_FQ_WEIGHTS ? r->o.weight_bits : r->o.activation_bits,
                      .layer_op = layer_op,
                      .scheme = (int32_t)r->o.scheme,
                      .ema_decay = r->o.ema_decay,
                      .quant_delay = node_step(r->o.quant_delay),
                      .freeze_step = node_step(r->o.range_freeze_step),
                      .float_rounding = r->o.float_rounding};
  return node->output;
}

/* Readers of t (but the node skip) read with instead; so do the graph's logits. */
static void rewire(rewriter *r, int32_t t, int32_t with, int32_t skip) {
  q8t_graph *g = r->g;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    if (n == skip) continue;
    q8t_node *node = &g->nodes[n];
    for (int32_t i = 0; i < node->n_inputs; i++)
      if (node->inputs[i] == t) node->inputs[i] = with;
  }
  if (g->logits == t) g->logits = with;
}

/* The batch norm bn, reading layer's output, becomes a folded node; fold_weights and the
   weights' fake quantization go before it. */
static void fold(rewriter *r, int32_t layer, int32_t bn) {
  q8t_graph *g = r->g;
  const q8t_node conv = g->nodes[layer];
  const int32_t w = conv.inputs[Q8T_IN_WEIGHTS];
  char name[Q8T_NAME_MAX];
  if (!join_name(r, name, conv.name, "folded_weights")) return;
  const int32_t f = new_node(r, Q8T_OP_FOLD_WEIGHTS, name, w, bn, false);
  if (f < 0) return;
  q8t_node *fold_node = &g->nodes[f];
  const q8t_node *norm = &g->nodes[bn];
  fold_node->n_inputs = 3;
  fold_node->inputs[0] = w;
  fold_node->inputs[Q8T_FOLD_GAMMA] = norm->inputs[Q8T_BN_GAMMA];
  fold_node->inputs[Q8T_FOLD_MOVING_VAR] = norm->state[Q8T_BN_MOVING_VAR];
  fold_node->attrs.qat.layer_op = conv.op;
  fold_node->attrs.bn_epsilon = norm->attrs.bn_epsilon;
  const int32_t wq = add_fake_quant(r, fold_node->output, Q8T_FQ_WEIGHTS, conv.op, -1, bn);
  const int32_t correction = state_tensor(r, g->nodes[bn].name, "correction", Q8T_ROLE_SAVED,
                                          g->tensors[g->nodes[bn].inputs[Q8T_BN_GAMMA]].dims[0]);
  const int32_t step = state_tensor(r, g->nodes[bn].name, "step", Q8T_ROLE_STATE, 1);
  if (g->status != Q8_OK) return;
  q8t_node *node = &g->nodes[bn];
  const q8t_attrs bn_attrs = node->attrs;
  node->op = Q8T_OP_CONV_BN_FOLDED;
  node->n_inputs = 6;
  node->inputs[Q8T_FOLDED_LAYER_X] = conv.inputs[Q8T_IN_X];
  node->inputs[Q8T_FOLDED_WEIGHTS] = wq;
  node->inputs[Q8T_FOLDED_BIAS] = conv.inputs[Q8T_IN_BIAS];
  node->n_state = 6;
  node->state[Q8T_FOLDED_CORRECTION] = correction;
  node->state[Q8T_FOLDED_STEP] = step;
  /* The layer's geometry, the batch norm's activation and settings. */
  node->attrs = conv.attrs;
  node->attrs.activation = bn_attrs.activation;
  node->attrs.bn_momentum = bn_attrs.bn_momentum;
  node->attrs.bn_epsilon = bn_attrs.bn_epsilon;
  node->attrs.qat = (q8t_qat_attrs){.layer_op = conv.op,
                                    .freeze_step = node_step(r->o.bn_freeze_step),
                                    .bn_statistics = (int32_t)r->o.bn_statistics};
}

/* A weighted layer without a batch norm reads its weights through fake quantization. */
static void quantize_weights(rewriter *r, int32_t layer) {
  const q8t_node conv = r->g->nodes[layer];
  const int32_t wq =
      add_fake_quant(r, conv.inputs[Q8T_IN_WEIGHTS], Q8T_FQ_WEIGHTS, conv.op, -1, layer);
  if (wq >= 0) r->g->nodes[layer].inputs[Q8T_IN_WEIGHTS] = wq;
}

/* Fake quantization on exported activation t: its own range, or tied to its input's (mean:
   an exported MEAN, see op-fake-quant.c). */
static void quantize_activation(rewriter *r, int32_t t, int32_t tied_to, bool mean) {
  q8t_graph *g = r->g;
  int32_t range = -1;
  if (tied_to >= 0) {
    range = r->range_of[tied_to];
    if (range < 0) return; /* a pool of the image input: already on the input's fixed grid */
  }
  const int32_t producer = g->tensors[t].producer;
  const int32_t out =
      add_fake_quant(r, t, tied_to >= 0 ? Q8T_FQ_TIED : Q8T_FQ_ACTIVATION, -1, range, producer);
  if (out < 0) return;
  const int32_t fq = g->tensors[out].producer;
  r->range_of[t] = g->nodes[fq].state[Q8T_FQ_RANGE];
  if (mean) {
    const q8t_tensor *x = &g->tensors[g->nodes[producer].inputs[Q8T_IN_X]];
    g->nodes[fq].attrs.qat.mean_count = x->dims[1] * x->dims[2];
  }
  rewire(r, t, out, fq);
}

static void rewrite_op(rewriter *r, const q8t_export_op *op) {
  const bool weighted = op->kind == Q8_OP_CONV_2D || op->kind == Q8_OP_DEPTHWISE_CONV_2D ||
                        op->kind == Q8_OP_FULLY_CONNECTED;
  if (weighted && op->batch_norm >= 0) fold(r, op->node, op->batch_norm);
  if (weighted && op->batch_norm < 0) quantize_weights(r, op->node);
  if (op->output < 0) return; /* SOFTMAX */
  if (op->output_has_range) {
    quantize_activation(r, op->output, -1, false);
  } else {
    quantize_activation(r, op->output, op->inputs[0], op->kind == Q8_OP_MEAN);
  }
}

/* Puts the new nodes next to their anchors; producers follow. */
static q8_status reorder(rewriter *r) {
  q8t_graph *g = r->g;
  const int32_t total = g->n_nodes;
  int32_t *order = malloc((size_t)total * sizeof *order);
  int32_t *position = malloc((size_t)total * sizeof *position);
  q8t_node *nodes = malloc((size_t)total * sizeof *nodes);
  if (order == NULL || position == NULL || nodes == NULL) {
    free(order);
    free(position);
    free(nodes);
    return q8_fail(&g->error, Q8_ERROR_OUT_OF_MEMORY, "QAT: out of memory");
  }
  int32_t k = 0;
  for (int32_t n = 0; n < r->n_original; n++) {
    for (int32_t i = 0; i < r->n_new; i++)
      if (r->anchor[i] == n && !r->after[i]) order[k++] = r->n_original + i;
    order[k++] = n;
    for (int32_t i = 0; i < r->n_new; i++)
      if (r->anchor[i] == n && r->after[i]) order[k++] = r->n_original + i;
  }
  for (int32_t i = 0; i < total; i++) {
    nodes[i] = g->nodes[order[i]];
    position[order[i]] = i;
  }
  memcpy(g->nodes, nodes, (size_t)total * sizeof *nodes);
  for (int32_t t = 0; t < g->n_tensors; t++)
    if (g->tensors[t].producer >= 0) g->tensors[t].producer = position[g->tensors[t].producer];
  free(order);
  free(position);
  free(nodes);
  return Q8_OK;
}

static q8_status rewrite(rewriter *r, q8_error *error) {
  q8t_graph *g = r->g;
  q8t_export_plan plan;
  q8_status s = q8t_export_plan_init(g, &plan, error);
  if (s != Q8_OK) {
    q8_error_prefix(error, "QAT prepare");
    return s;
  }
  r->range_of = malloc((size_t)g->n_tensors * sizeof *r->range_of);
  if (r->range_of == NULL) s = q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "QAT: out of memory");
  for (int32_t t = 0; s == Q8_OK && t < g->n_tensors; t++) r->range_of[t] = -1;
  for (int32_t i = 0; s == Q8_OK && i < plan.n_ops && g->status == Q8_OK; i++) {
    rewrite_op(r, &plan.ops[i]);
  }
  q8t_export_plan_free(&plan);
  if (s == Q8_OK && g->status == Q8_OK) s = reorder(r);
  if (s == Q8_OK && g->status != Q8_OK) {
    s = g->status;
    *error = g->error;
  }
  return s;
}

q8_status q8t_qat_prepare(q8t_graph *g, const q8t_qat_options *options, q8_error *error) {
  if (g == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "QAT prepare: no graph");
  rewriter r = {.g = g, .n_original = g->n_nodes};
  q8_status s = normalize(options, &r.o, error);
  if (s != Q8_OK) return s;
  if (q8t_qat_prepared(g))
    return q8_fail(error, Q8_ERROR_STATE, "QAT prepare: the graph is prepared already");
  const bool was_allocated = g->allocated;
  s = rewrite(&r, error);
  free(r.anchor);
  free(r.after);
  free(r.range_of);
  if (s == Q8_OK && was_allocated) {
    s = q8t_graph_allocate(g);
    if (s != Q8_OK) *error = g->error;
  }
  return s;
}

/* ---- clocks ---- */

static int32_t clock_slot(const q8t_node *node) {
  if (node->op == Q8T_OP_FAKE_QUANT) return Q8T_FQ_STEP;
  if (node->op == Q8T_OP_CONV_BN_FOLDED) return Q8T_FOLDED_STEP;
  return -1;
}

q8_status q8t_qat_set_step(q8t_graph *g, int64_t step, q8_error *error) {
  if (!g->allocated) return q8_fail(error, Q8_ERROR_STATE, "QAT step: the graph is not allocated");
  if (step < 0 || step >= Q8T_QAT_MAX_STEPS)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "QAT step %lld: expected 0 to %d",
                   (long long)step, Q8T_QAT_MAX_STEPS - 1);
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const int32_t slot = clock_slot(&g->nodes[n]);
    if (slot >= 0) g->tensors[g->nodes[n].state[slot]].data[0] = (float)step;
  }
  return Q8_OK;
}

int64_t q8t_qat_step_count(const q8t_graph *g) {
  for (int32_t n = 0; g->allocated && n < g->n_nodes; n++) {
    const int32_t slot = clock_slot(&g->nodes[n]);
    if (slot >= 0) return (int64_t)g->tensors[g->nodes[n].state[slot]].data[0];
  }
  return -1;
}

/* ---- calibration ---- */

static bool owns_range(const q8t_node *node) {
  return node->op == Q8T_OP_FAKE_QUANT && node->attrs.qat.fq_kind == Q8T_FQ_ACTIVATION;
}

static q8_status check_images(const q8t_graph *g, const q8t_images *data, int64_t count,
                              q8_error *error) {
  if (!g->allocated) return q8_fail(error, Q8_ERROR_STATE, "QAT calibration: graph not allocated");
  if (g->input < 0) return q8_fail(error, Q8_ERROR_STATE, "QAT calibration: no image input");
  const q8t_tensor *x = &g->tensors[g->input];
  if (data == NULL || data->pixels == NULL || count < 1 || count > data->count)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "QAT calibration: %lld images asked, %lld available", (long long)count,
                   data != NULL ? (long long)data->count : 0LL);
  if (g->labels >= 0 && data->labels == NULL)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "QAT calibration: the images have no labels");
  if (data->height != x->dims[1] || data->width != x->dims[2] || data->channels != x->dims[3])
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "QAT calibration images are %dx%dx%d, the input '%s' takes %dx%dx%d",
                   (int)data->height, (int)data->width, (int)data->channels, x->name,
                   (int)x->dims[1], (int)x->dims[2], (int)x->dims[3]);
  return Q8_OK;
}

static q8_status calibrate_batch(q8t_graph *g, q8_range_tracker *ranges, q8_error *error) {
  q8_status s = q8t_graph_forward(g, false);
  if (s != Q8_OK) {
    *error = g->error;
    return s;
  }
  for (int32_t n = 0; n < g->n_nodes && s == Q8_OK; n++) {
    if (!owns_range(&g->nodes[n])) continue;
    const q8t_tensor *x = &g->tensors[g->nodes[n].inputs[Q8T_IN_X]];
    float lo, hi;
    s = q8_quant_minmax(x->data, q8t_tensor_count(x), &lo, &hi, error);
    if (s == Q8_OK) s = q8_range_tracker_update_minmax(&ranges[n], lo, hi, error);
    if (s != Q8_OK) q8_error_prefix(error, "QAT calibration of '%s'", x->name);
  }
  return s;
}

q8_status q8t_qat_calibrate(q8t_graph *g, const q8t_images *data, int64_t count, q8_error *error) {
  q8_status s = check_images(g, data, count, error);
  if (s != Q8_OK) return s;
  q8_range_tracker *ranges = calloc((size_t)g->n_nodes, sizeof *ranges);
  if (ranges == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "QAT: out of memory");
  for (int32_t n = 0; n < g->n_nodes; n++) {
    q8_range_tracker_init(&ranges[n]);
    if (owns_range(&g->nodes[n]))
      memset(g->tensors[g->nodes[n].state[Q8T_FQ_RANGE]].data, 0, 3 * sizeof(float));
  }
  for (int64_t first = 0; s == Q8_OK && first < count; first += g->options.batch) {
    const int64_t left = count - first;
    const int32_t n = left < g->options.batch ? (int32_t)left : g->options.batch;
    s = q8t_load_batch(g, data, NULL, first, n, error);
    if (s == Q8_OK) s = calibrate_batch(g, ranges, error);
  }
  for (int32_t n = 0; s == Q8_OK && n < g->n_nodes; n++) {
    if (!owns_range(&g->nodes[n])) continue;
    float *state = g->tensors[g->nodes[n].state[Q8T_FQ_RANGE]].data;
    state[0] = ranges[n].min;
    state[1] = ranges[n].max;
    state[2] = 1.0f;
  }
  free(ranges);
  return s;
}

/* ---- hand-over to the converter ---- */

static q8_status hand_over_grids(const q8t_graph *g, int32_t layer, int32_t bn, const q8t_node *fq,
                                 q8t_ranges *ranges, q8_error *error) {
  const q8t_node *node = &g->nodes[layer];
  const int32_t wt = node->inputs[Q8T_IN_WEIGHTS];
  const q8t_tensor *w = &g->tensors[wt];
  const size_t count = q8t_tensor_count(w);
  const int32_t channels = q8t_weight_channels(node->op, w->dims);
  float *folded = malloc(count * sizeof *folded);
  float *bias = malloc((size_t)channels * sizeof *bias);
  q8_quant_grid *grids = malloc((size_t)channels * sizeof *grids);
  int32_t n_grids = 0;
  q8_status s =
      folded && bias && grids ? Q8_OK : q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  if (s == Q8_OK) s = q8t_fold_batch_norm(g, layer, bn, folded, bias, error);
  if (s == Q8_OK)
    s = q8t_weight_grids(node->op, w->rank, w->dims, folded, (q8t_scheme)fq->attrs.qat.scheme,
                         fq->attrs.qat.bits, grids, &n_grids, error);
  if (s == Q8_OK) s = q8t_ranges_set_weight_grids(ranges, wt, grids, n_grids, error);
  if (s != Q8_OK) q8_error_prefix(error, "QAT weight grids of '%s'", w->name);
  free(folded);
  free(bias);
  free(grids);
  return s;
}

/* Layer nodes read raw weights (folded) or a fake-quant output; the grids are keyed by the
   parameter, as the converter looks them up. */
static q8_status hand_over_layer(const q8t_graph *g, int32_t n, q8t_ranges *ranges,
                                 q8_error *error) {
  const q8t_node *node = &g->nodes[n];
  if (node->op == Q8T_OP_CONV_BN_FOLDED) {
    const int32_t layer = g->tensors[node->inputs[Q8T_IN_X]].producer;
    const q8t_node *fq = q8t_qat_fake_quant_of(g, node->inputs[Q8T_FOLDED_WEIGHTS]);
    return fq != NULL ? hand_over_grids(g, layer, n, fq, ranges, error) : Q8_OK;
  }
  if (node->op != Q8T_OP_FAKE_QUANT || node->attrs.qat.fq_kind != Q8T_FQ_WEIGHTS) return Q8_OK;
  const int32_t w = node->inputs[Q8T_IN_X];
  if (g->tensors[w].producer >= 0) return Q8_OK; /* folded weights: their batch norm's turn */
  const q8t_tensor *wt = &g->tensors[w];
  const int32_t channels = q8t_weight_channels((q8t_op)node->attrs.qat.layer_op, wt->dims);
  q8_quant_grid *grids = malloc((size_t)channels * sizeof *grids);
  int32_t count = 0;
  q8_status s = grids != NULL ? Q8_OK : q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  if (s == Q8_OK)
    s = q8t_weight_grids((q8t_op)node->attrs.qat.layer_op, wt->rank, wt->dims, wt->data,
                         (q8t_scheme)node->attrs.qat.scheme, node->attrs.qat.bits, grids, &count,
                         error);
  if (s == Q8_OK) s = q8t_ranges_set_weight_grids(ranges, w, grids, count, error);
  if (s != Q8_OK) q8_error_prefix(error, "QAT weight grids of '%s'", wt->name);
  free(grids);
  return s;
}

q8_status q8t_qat_ranges(const q8t_graph *g, q8t_ranges *ranges, q8_error *error) {
  if (ranges == NULL || ranges->n_tensors != g->n_tensors)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "QAT ranges: the table was not made for this graph (q8t_ranges_init)");
  if (!g->allocated) return q8_fail(error, Q8_ERROR_STATE, "QAT ranges: graph not allocated");
  q8_status s = Q8_OK;
  for (int32_t n = 0; n < g->n_nodes && s == Q8_OK; n++) {
    const q8t_node *node = &g->nodes[n];
    s = hand_over_layer(g, n, ranges, error);
    if (s != Q8_OK || !owns_range(node)) continue;
    const float *range = g->tensors[node->state[Q8T_FQ_RANGE]].data;
    if (range[2] == 0.0f)
      return q8_fail(error, Q8_ERROR_STATE,
                     "QAT ranges: '%s' has no range yet (train a step or q8t_qat_calibrate)",
                     g->tensors[node->output].name);
    s = q8t_ranges_set(ranges, node->output, range[0], range[1], error);
  }
  return s;
}

q8t_export_options q8t_qat_export_options(const q8t_graph *g) {
  q8t_export_options o = {.scheme = Q8T_SCHEME_INT8, .weight_bits = 8, .activation_bits = 8};
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const q8t_node *node = &g->nodes[n];
    if (node->op != Q8T_OP_FAKE_QUANT) continue;
    if (node->attrs.qat.fq_kind == Q8T_FQ_WEIGHTS) {
      o.scheme = (q8t_scheme)node->attrs.qat.scheme;
      o.weight_bits = node->attrs.qat.bits;
    } else {
      o.activation_bits = node->attrs.qat.bits;
    }
  }
  return o;
}
