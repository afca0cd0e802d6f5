/* Quantization-aware training (src/train/qat.h, op-fake-quant.c, op-conv-bn-folded.c):
   - the rewrite of the reference models (node kinds, fake quantization exactly on the exported
     activations, the export of the prepared graph runs);
   - folding: with fake quantization off, the prepared graph in inference equals the float graph
     in inference, and in training equals it too (batch statistics), moving statistics alike;
   - the folded node's gradients against finite differences (fake quantization off; batch
     statistics, inference statistics, and training after the freeze step), and the folded
     weights bit for bit as the export folds them;
   - the fake-quant node: forward equals range.h's q8_fake_quant on the node's grid, the
     straight-through mask at the nudged range's ends, the EMA of batch ranges against a hand
     computation, the quantization delay, the range and batch-norm freezes, per-channel and
     per-tensor weight grids against range.h on the same weights, the clock, and the pooled
     features truncated as the integer MEAN truncates;
   - parameters, momentum and state tensors are the whole state: a run resumed from them
     continues bit for bit;
   - the folding, gradient and resume checks again with batch statistics from the folded layer
     (Q8T_BN_STATISTICS_FOLDED, PyTorch's): the unfolded layers do not run (running flags, and
     layer passes counted: one per layer and step instead of two), z' equals the unfolded
     output with fake quantization off, and gamma at or near 0 gives finite values, channels
     without live folded weights keeping their moving statistics;
   - option and graph refusals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant/range.h"
#include "train/build.h"
#include "train/convert.h"
#include "train/graph.h"
#include "train/models.h"
#include "train/ops.h"
#include "train/optimizer.h"
#include "train/qat.h"
#include "util/test-util.h"

static q8t_graph *new_graph(int32_t batch, int32_t threads) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = batch, .threads = threads};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) {
    printf("graph init: %s\n", err.message);
    exit(1);
  }
  return g;
}

static q8t_window win(int32_t k, int32_t s) { return (q8t_window){k, k, s, s, Q8_PADDING_SAME}; }

static double uniform(t_rng *rng, double lo, double hi) { return lo + (hi - lo) * t_rng_unit(rng); }

/* Options with fake quantization off: the rewritten graph must then be the float one. */
static q8t_qat_options float_options(void) {
  q8t_qat_options o = q8t_qat_defaults();
  o.quant_delay = Q8T_QAT_NEVER;
  return o;
}

static void prepare(q8t_graph *g, const q8t_qat_options *o) {
  q8_error err;
  T_CHECK(q8t_qat_prepare(g, o, &err) == Q8_OK, "prepare: %s", err.message);
}

static int32_t count_nodes(const q8t_graph *g, q8t_op op, int kind) {
  int32_t n = 0;
  for (int32_t i = 0; i < g->n_nodes; i++)
    n += g->nodes[i].op == op && (kind < 0 || (int)g->nodes[i].attrs.qat.fq_kind == kind);
  return n;
}

/* Fills every input with [-1, 1] (labels in range). */
static void fill_inputs(q8t_graph *g, t_rng *rng, double lo, double hi) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    if (t->role != Q8T_ROLE_INPUT) continue;
    for (size_t j = 0; j < q8t_tensor_count(t); j++) {
      if (t->type == Q8_TYPE_INT32) {
        t->i32[j] = (int32_t)t_rng_range(rng, 0, g->tensors[g->logits].dims[1] - 1);
      } else {
        t->data[j] = (float)uniform(rng, lo, hi);
      }
    }
  }
}

/* Batch norms with statistics far from the identity; the same draws for graphs that share
   names (the float graph and its rewrite). */
static void perturb_batch_norms(q8t_graph *g, uint64_t seed) {
  t_rng rng = {seed};
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    const char *what = strrchr(t->name, '/');
    if (what == NULL || t->data == NULL) continue;
    for (size_t j = 0; j < q8t_tensor_count(t); j++) {
      if (!strcmp(what, "/gamma")) t->data[j] = (float)uniform(&rng, 0.5, 1.5);
      if (!strcmp(what, "/beta")) t->data[j] = (float)uniform(&rng, -0.5, 0.5);
      if (!strcmp(what, "/moving_mean")) t->data[j] = (float)uniform(&rng, -0.5, 0.5);
      if (!strcmp(what, "/moving_variance")) t->data[j] = (float)uniform(&rng, 0.2, 2.0);
      if (!strcmp(what, "/bias")) t->data[j] = (float)uniform(&rng, -0.3, 0.3);
    }
  }
}

/* ---- the rewrite of the reference models ---- */

static void reference_models(void) {
  for (int m = 0; q8t_model_names[m] != NULL; m++) {
    const char *name = q8t_model_names[m];
    q8t_graph *g = new_graph(4, 2);
    int32_t logits;
    q8_error err;
    T_CHECK(q8t_model_build(g, name, &logits, &err) == Q8_OK, "%s: %s", name, err.message);
    T_CHECK(q8t_graph_allocate(g) == Q8_OK, "%s: %s", name, g->error.message);
    q8t_graph_init_parameters(g, 5);
    q8t_export_plan plan;
    T_CHECK(q8t_export_plan_init(g, &plan, &err) == Q8_OK, "%s plan: %s", name, err.message);
    int32_t weighted = 0, batch_norms = count_nodes(g, Q8T_OP_BATCH_NORM, -1);
    for (int32_t i = 0; i < plan.n_ops; i++)
      weighted += plan.ops[i].kind == Q8_OP_CONV_2D ||
                  plan.ops[i].kind == Q8_OP_DEPTHWISE_CONV_2D ||
                  plan.ops[i].kind == Q8_OP_FULLY_CONNECTED;
    const int32_t ranged = plan.n_ranged;
    q8t_export_plan_free(&plan);
    prepare(g, &(q8t_qat_options){q8t_qat_defaults().scheme, 8, 8, 0.999f, 0, Q8T_QAT_NEVER,
                                  Q8T_QAT_NEVER, false, Q8T_BN_STATISTICS_UNFOLDED});
    T_CHECK(q8t_qat_prepared(g), "%s: not prepared", name);
    /* Every batch norm folded; every weight fake-quantized; one EMA range per ranged tensor
       of the export; the pooled features tied to their input's range. */
    T_CHECK(count_nodes(g, Q8T_OP_BATCH_NORM, -1) == 0, "%s: batch norms left", name);
    T_CHECK(count_nodes(g, Q8T_OP_CONV_BN_FOLDED, -1) == batch_norms, "%s: folded %d of %d", name,
            (int)count_nodes(g, Q8T_OP_CONV_BN_FOLDED, -1), (int)batch_norms);
    T_CHECK(count_nodes(g, Q8T_OP_FOLD_WEIGHTS, -1) == batch_norms, "%s: fold nodes", name);
    T_CHECK(count_nodes(g, Q8T_OP_FAKE_QUANT, Q8T_FQ_WEIGHTS) == weighted, "%s: weight fq %d of %d",
            name, (int)count_nodes(g, Q8T_OP_FAKE_QUANT, Q8T_FQ_WEIGHTS), (int)weighted);
    T_CHECK(count_nodes(g, Q8T_OP_FAKE_QUANT, Q8T_FQ_ACTIVATION) == ranged,
            "%s: activation fq %d, the export ranges %d", name,
            (int)count_nodes(g, Q8T_OP_FAKE_QUANT, Q8T_FQ_ACTIVATION), (int)ranged);
    T_CHECK(count_nodes(g, Q8T_OP_FAKE_QUANT, Q8T_FQ_TIED) == 1, "%s: tied fq (gap)", name);
    T_CHECK(!strcmp(g->tensors[g->logits].name, "fc/fq"), "%s: logits are '%s'", name,
            g->tensors[g->logits].name);
    q8t_qat_options again = q8t_qat_defaults();
    T_CHECK(q8t_qat_prepare(g, &again, &err) == Q8_ERROR_STATE, "%s: prepared twice", name);
    /* Nodes in execution order: each reads only earlier outputs. */
    bool ordered = true;
    for (int32_t n = 0; n < g->n_nodes; n++)
      for (int32_t i = 0; i < g->nodes[n].n_inputs; i++) {
        const int32_t t = g->nodes[n].inputs[i];
        if (t >= 0 && g->tensors[t].producer >= n) ordered = false;
      }
    T_CHECK(ordered, "%s: a node reads a later output", name);
    /* One training step, then the export of the prepared graph runs in q8's runtime. */
    t_rng rng = {(uint64_t)m + 1};
    fill_inputs(g, &rng, 0.0, 1.0);
    T_CHECK(q8t_graph_forward(g, true) == Q8_OK, "%s: forward: %s", name, g->error.message);
    T_CHECK(q8t_graph_backward(g) == Q8_OK, "%s: backward: %s", name, g->error.message);
    q8t_ranges ranges;
    q8t_ranges_init(g, &ranges, &err);
    T_CHECK(q8t_qat_ranges(g, &ranges, &err) == Q8_OK, "%s: ranges: %s", name, err.message);
    q8_graph *out = NULL;
    q8t_export_report report;
    const q8t_export_options eo = q8t_qat_export_options(g);
    T_CHECK(q8t_export(g, &ranges, &eo, &out, &report, &err) == Q8_OK, "%s: export: %s", name,
            err.message);
    if (out != NULL) {
      T_CHECK(q8t_export_check(out, NULL, NULL, &err) == Q8_OK, "%s: check: %s", name, err.message);
      T_CHECK(report.handed_over_grids == weighted, "%s: %d weight grids handed over, %d layers",
              name, (int)report.handed_over_grids, (int)weighted);
      bool named = false;
      for (int32_t t = 0; t < out->n_tensors; t++) named |= !strcmp(out->tensors[t].name, "fc/fq");
      T_CHECK(named, "%s: the exported logits are not named after their fake quantization", name);
    }
    q8_graph_free(out);
    q8t_ranges_free(&ranges);
    q8t_graph_free(g);
  }
}

/* ---- folding equals the float graph (fake quantization off) ---- */

/* A network with every kind the rewrite handles: conv + BN + ReLU6, depthwise + BN, a conv with
   its own bias before its BN, a residual block whose ReLU6 is a node of its own, max pooling,
   global average pooling, fully connected + BN, and the logits. */
static q8t_graph *varied_network(int32_t batch, uint64_t seed) {
  q8t_graph *g = new_graph(batch, 2);
  int32_t x = q8t_input(g, "input", 9, 9, 2);
  x = q8t_batch_norm(g, "conv1/bn", q8t_conv(g, "conv1", x, 6, win(3, 1), false, Q8_ACT_NONE),
                     Q8_ACT_RELU6);
  x = q8t_batch_norm(g, "dw2/bn", q8t_depthwise_conv(g, "dw2", x, 2, win(3, 2), false, Q8_ACT_NONE),
                     Q8_ACT_RELU6);
  x = q8t_batch_norm(g, "pw3/bn", q8t_conv(g, "pw3", x, 8, win(1, 1), true, Q8_ACT_NONE),
                     Q8_ACT_RELU);
  int32_t y = q8t_batch_norm(
      g, "b/conv1/bn", q8t_conv(g, "b/conv1", x, 8, win(3, 1), false, Q8_ACT_NONE), Q8_ACT_RELU6);
  y = q8t_batch_norm(g, "b/conv2/bn", q8t_conv(g, "b/conv2", y, 8, win(3, 1), false, Q8_ACT_NONE),
                     Q8_ACT_NONE);
  x = q8t_activation(g, "b/relu", q8t_add(g, "b/add", y, x, Q8_ACT_NONE), Q8_ACT_RELU6);
  x = q8t_max_pool(g, "pool", x, win(2, 2));
  x = q8t_global_avg_pool(g, "gap", x);
  x = q8t_batch_norm(g, "fc1/bn", q8t_fully_connected(g, "fc1", x, 12, false, Q8_ACT_NONE),
                     Q8_ACT_RELU);
  q8t_softmax_cross_entropy(g, "loss", q8t_fully_connected(g, "fc", x, 5, true, Q8_ACT_NONE));
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  q8t_graph_init_parameters(g, seed);
  perturb_batch_norms(g, seed + 1);
  return g;
}

/* Largest |a - b| over every activation both graphs have and computed in the last pass,
   relative to the largest |a|. */
static double worst_difference(const q8t_graph *a, const q8t_graph *b, const char **where,
                               int32_t *compared) {
  double worst = 0.0;
  *compared = 0;
  for (int32_t i = 0; i < a->n_tensors; i++) {
    const q8t_tensor *ta = &a->tensors[i];
    if (ta->role != Q8T_ROLE_ACTIVATION && ta->role != Q8T_ROLE_STATE) continue;
    const int32_t j = q8t_graph_find_tensor(b, ta->name);
    if (j < 0) continue;
    const q8t_tensor *tb = &b->tensors[j];
    if (tb->producer >= 0 && !b->running[tb->producer]) continue; /* not computed in b */
    double peak = 1.0, diff = 0.0;
    for (size_t k = 0; k < q8t_tensor_count(ta); k++) {
      peak = fmax(peak, fabs(ta->data[k]));
      diff = fmax(diff, fabs((double)ta->data[k] - tb->data[k]));
    }
    (*compared)++;
    if (diff / peak > worst) {
      worst = diff / peak;
      *where = ta->name;
    }
  }
  return worst;
}

/* Layer passes (convolution, depthwise, fully connected), counted by a copy of the graph's
   table whose layer entries count and call the real ones. */
static int32_t layer_forwards, layer_backwards;
static const q8t_op_impl *real_impls[Q8T_OP_COUNT];
static q8t_op_impl counting_impls[Q8T_OP_COUNT];
static const q8t_op_impl *counting_table[Q8T_OP_COUNT];

static void counted_forward(q8t_graph *g, q8t_node *node) {
  layer_forwards++;
  real_impls[node->op]->forward(g, node);
}
static void counted_backward(q8t_graph *g, q8t_node *node) {
  layer_backwards++;
  real_impls[node->op]->backward(g, node);
}

static bool is_layer(int32_t op) {
  return op == Q8T_OP_CONV || op == Q8T_OP_DEPTHWISE_CONV || op == Q8T_OP_FULLY_CONNECTED;
}

static void count_layer_passes(q8t_graph *g) {
  for (int32_t op = 0; op < Q8T_OP_COUNT; op++) {
    real_impls[op] = counting_table[op] = g->ops[op];
    if (!is_layer(op)) continue;
    counting_impls[op] = *g->ops[op];
    counting_impls[op].forward = counted_forward;
    counting_impls[op].backward = counted_backward;
    counting_table[op] = &counting_impls[op];
  }
  g->ops = counting_table;
}

/* Statistics from the folded layer keep the unfolded layer's output tensor for z' = c / s + b,
   which equals the unfolded output up to rounding with fake quantization off. */
static void check_rescaled_outputs(const q8t_graph *f, const q8t_graph *q) {
  for (int32_t n = 0; n < q->n_nodes; n++) {
    if (q->nodes[n].op != Q8T_OP_CONV_BN_FOLDED) continue;
    const q8t_tensor *zq = &q->tensors[q->nodes[n].inputs[Q8T_IN_X]];
    const q8t_tensor *zf = &f->tensors[q8t_graph_find_tensor(f, zq->name)];
    double peak = 1.0, diff = 0.0;
    for (size_t k = 0; k < q8t_tensor_count(zf); k++) {
      peak = fmax(peak, fabs(zf->data[k]));
      diff = fmax(diff, fabs((double)zf->data[k] - zq->data[k]));
    }
    T_CHECK(diff / peak <= 1e-5, "%s: z' differs from the unfolded output by %g", zq->name,
            diff / peak);
  }
}

static void folding_equivalence(uint64_t seed, q8t_bn_statistics stats) {
  q8t_graph *f = varied_network(6, seed), *q = varied_network(6, seed);
  q8t_qat_options o = float_options();
  o.bn_statistics = stats;
  const bool from_folded = stats == Q8T_BN_STATISTICS_FOLDED;
  prepare(q, &o);
  t_rng rng = {seed};
  fill_inputs(f, &rng, 0.0, 1.0);
  memcpy(q->tensors[q->input].data, f->tensors[f->input].data,
         q8t_tensor_count(&f->tensors[f->input]) * sizeof(float));
  memcpy(q->tensors[q->labels].i32, f->tensors[f->labels].i32, 6 * sizeof(int32_t));
  const char *where = "";
  int32_t compared;
  /* Inference: moving statistics; the folded weights and shift against conv + BN. */
  q8t_graph_forward(f, false);
  q8t_graph_forward(q, false);
  double worst = worst_difference(f, q, &where, &compared);
  T_CHECK(compared >= 20 && worst <= 1e-5,
          "inference: folded differs from conv + BN by %g at %s "
          "(%d tensors)",
          worst, where, (int)compared);
  /* Without batch statistics the unfolded layers' nodes do not run; in training they do. */
  const int32_t conv1 = q8t_graph_find_node(q, "conv1");
  T_CHECK(!q->running[conv1] && q->running[q8t_graph_find_node(q, "conv1/bn")],
          "inference ran the unfolded conv1");
  /* Training: batch statistics, the correction, moving statistics updated alike (3 steps);
     from the folded layer the unfolded ones never run (their outputs are not compared). */
  for (int step = 0; step < 3; step++) {
    q8t_graph_forward(f, true);
    q8t_graph_forward(q, true);
  }
  T_CHECK(q->running[conv1] == !from_folded, "training %s the unfolded conv1 (%s statistics)",
          q->running[conv1] ? "ran" : "skipped", q8t_bn_statistics_name(stats));
  worst = worst_difference(f, q, &where, &compared);
  T_CHECK(compared >= (from_folded ? 24 : 30) && worst <= 2e-5,
          "training, %s statistics: folded differs from conv + BN by %g at %s (%d tensors)",
          q8t_bn_statistics_name(stats), worst, where, (int)compared);
  if (from_folded) check_rescaled_outputs(f, q);
  /* One training step runs each folded layer once (from the folded layer) or twice, forward
     and backward; inference once. */
  int32_t layers = 0, folded = count_nodes(q, Q8T_OP_CONV_BN_FOLDED, -1);
  for (int32_t n = 0; n < q->n_nodes; n++) layers += is_layer(q->nodes[n].op);
  count_layer_passes(q);
  layer_forwards = layer_backwards = 0;
  q8t_graph_forward(q, true);
  q8t_graph_backward(q);
  const int32_t expected = from_folded ? layers : layers + folded;
  T_CHECK(layer_forwards == expected && layer_backwards == expected,
          "%s statistics: a training step ran %d layer forwards and %d backwards for %d layers, "
          "%d folded (expected %d)",
          q8t_bn_statistics_name(stats), (int)layer_forwards, (int)layer_backwards, (int)layers,
          (int)folded, (int)expected);
  layer_forwards = 0;
  q8t_graph_forward(q, false);
  T_CHECK(layer_forwards == layers, "inference ran %d layer forwards for %d layers",
          (int)layer_forwards, (int)layers);
  q8t_graph_free(f);
  q8t_graph_free(q);
}

/* ---- gradients of the folded node, fake quantization off ---- */

enum { FD_ELEMENTS = 24 };
static const double H = 1e-2, RTOL = 1e-2, ATOL = 2e-3;

static double objective(q8t_graph *g, int32_t out, const float *r, bool training) {
  T_CHECK(q8t_graph_forward(g, training) == Q8_OK, "forward: %s", g->error.message);
  const q8t_tensor *y = &g->tensors[out];
  double sum = 0.0;
  for (size_t i = 0; i < q8t_tensor_count(y); i++) sum += (double)r[i] * y->data[i];
  return sum;
}

static void fd_check(const char *what, q8t_graph *g, int32_t out, bool training, t_rng *rng) {
  const q8t_tensor *y = &g->tensors[out];
  const size_t ny = q8t_tensor_count(y);
  float *r = malloc(ny * sizeof *r);
  for (size_t i = 0; i < ny; i++) r[i] = (float)uniform(rng, -1, 1);
  objective(g, out, r, training);
  memcpy(g->tensors[out].grad, r, ny * sizeof *r);
  T_CHECK(q8t_graph_backward(g) == Q8_OK, "%s: backward: %s", what, g->error.message);
  int32_t checked = 0;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    if (t->grad == NULL || (t->role != Q8T_ROLE_PARAMETER && t->role != Q8T_ROLE_INPUT)) continue;
    const size_t n = q8t_tensor_count(t);
    float *analytic = malloc(n * sizeof *analytic);
    memcpy(analytic, t->grad, n * sizeof *analytic);
    int failed = 0;
    for (size_t c = 0; c < n && c < FD_ELEMENTS; c++) {
      const size_t k = n <= FD_ELEMENTS ? c : (size_t)t_rng_range(rng, 0, (int64_t)n - 1);
      const float v = t->data[k];
      t->data[k] = (float)(v + H);
      const double plus = objective(g, out, r, training);
      t->data[k] = (float)(v - H);
      const double minus = objective(g, out, r, training);
      t->data[k] = v;
      const double numeric = (plus - minus) / (2 * H);
      const double tol = RTOL * fmax(fabs(analytic[k]), fabs(numeric)) + ATOL;
      if (fabs(analytic[k] - numeric) > tol && failed++ < 3) {
        T_CHECK(0, "%s: d/d %s[%zu]: analytic %.6g, numeric %.6g", what, t->name, k,
                (double)analytic[k], numeric);
      }
    }
    T_CHECK(failed == 0, "%s: %s: %d mismatches", what, t->name, failed);
    free(analytic);
    checked++;
  }
  T_CHECK(checked >= 4, "%s: %d tensors checked", what, (int)checked);
  free(r);
}

typedef enum stats_mode { BATCH_STATS, INFERENCE, FROZEN_STEP } stats_mode;

static void folded_gradients(t_rng *rng, q8t_bn_statistics stats) {
  static const char *const modes[] = {"batch statistics", "inference statistics",
                                      "training after the freeze step"};
  static const struct {
    const char *what;
    q8t_op layer;
    bool bias;
    int32_t stride;
  } layers[] = {{"conv 3x3 s2", Q8T_OP_CONV, false, 2},
                {"conv 3x3 with bias", Q8T_OP_CONV, true, 1},
                {"depthwise 3x3 multiplier 2", Q8T_OP_DEPTHWISE_CONV, false, 1},
                {"fully connected", Q8T_OP_FULLY_CONNECTED, true, 1}};
  for (int m = BATCH_STATS; m <= FROZEN_STEP; m++) {
    for (size_t l = 0; l < sizeof layers / sizeof *layers; l++) {
      q8t_graph *g = new_graph(3, 2);
      int32_t x = q8t_input(g, "x", 5, 4, 2);
      g->tensors[x].grad_wanted = true;
      int32_t z;
      if (layers[l].layer == Q8T_OP_CONV) {
        z = q8t_conv(g, "layer", x, 3, win(3, layers[l].stride), layers[l].bias, Q8_ACT_NONE);
      } else if (layers[l].layer == Q8T_OP_DEPTHWISE_CONV) {
        z = q8t_depthwise_conv(g, "layer", x, 2, win(3, 1), false, Q8_ACT_NONE);
      } else {
        z = q8t_fully_connected(g, "layer", x, 4, true, Q8_ACT_NONE);
      }
      const int32_t y = q8t_batch_norm(g, "layer/bn", z, Q8_ACT_NONE);
      /* Momentum 0: no drift between forwards. From the folded layer, epsilon 0.5, large beside
         the variances, so that the gamma gradient's epsilon term shows. */
      q8t_batch_norm_settings(g, y, 0.0f, stats == Q8T_BN_STATISTICS_FOLDED ? 0.5f : 1e-3f);
      T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
      q8t_graph_init_parameters(g, 3);
      for (int32_t i = 0; i < g->n_tensors; i++) {
        q8t_tensor *t = &g->tensors[i];
        if (t->role == Q8T_ROLE_PARAMETER) {
          for (size_t k = 0; k < q8t_tensor_count(t); k++) t->data[k] = (float)uniform(rng, -1, 1);
        }
      }
      perturb_batch_norms(g, 11);
      q8t_qat_options o = float_options();
      if (m == FROZEN_STEP) o.bn_freeze_step = 0;
      o.bn_statistics = stats;
      prepare(g, &o);
      fill_inputs(g, rng, -1.0, 1.0);
      char what[160];
      snprintf(what, sizeof what, "folded %s, %s, statistics from the %s layer", layers[l].what,
               modes[m], q8t_bn_statistics_name(stats));
      fd_check(what, g, g->n_tensors > 0 ? q8t_graph_find_tensor(g, "layer/bn/fq") : -1,
               m != INFERENCE, rng);
      q8t_graph_free(g);
    }
  }
}

/* ---- fake quantization ---- */

/* x [N, 1, 1, C] -> depthwise 1x1 (weights 1, no bias) -> fake quant: the activation node sees
   the input itself (weights stay unquantized with the delay, or quantize 1 to 1 exactly). */
static q8t_graph *pass_through(int32_t batch, int32_t channels, const q8t_qat_options *o) {
  q8t_graph *g = new_graph(batch, 2);
  const int32_t x = q8t_input(g, "x", 1, 1, channels);
  g->tensors[x].grad_wanted = true;
  q8t_depthwise_conv(g, "dw", x, 1, win(1, 1), false, Q8_ACT_NONE);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  prepare(g, o);
  q8t_tensor *w = &g->tensors[q8t_graph_find_tensor(g, "dw/weights")];
  for (size_t i = 0; i < q8t_tensor_count(w); i++) w->data[i] = 1.0f;
  return g;
}

static q8t_node *node_named(q8t_graph *g, const char *name) {
  const int32_t n = q8t_graph_find_node(g, name);
  T_CHECK(n >= 0, "no node %s", name);
  return n >= 0 ? &g->nodes[n] : NULL;
}

static float *range_of(q8t_graph *g, const char *fq) {
  return g->tensors[node_named(g, fq)->state[Q8T_FQ_RANGE]].data;
}

/* Sets the batch's input to values (count each image's channels). */
static void set_input(q8t_graph *g, const float *values, size_t count) {
  memcpy(g->tensors[g->input].data, values, count * sizeof *values);
}

static void ema_ranges(void) {
  q8t_qat_options o = float_options();
  o.ema_decay = 0.75f;
  o.range_freeze_step = 3;
  q8t_graph *g = pass_through(2, 3, &o);
  /* Batch ranges: [-0.5, 2], [0.25, 1] (widened to [0, 1]), [-3, 0.5], then after the
     freeze [-10, 10]. */
  static const float batches[4][6] = {{-0.5f, 2.0f, 1.0f, 0.0f, 0.5f, 0.25f},
                                      {0.25f, 1.0f, 0.5f, 0.5f, 0.75f, 0.3f},
                                      {-3.0f, 0.5f, 0.0f, 0.1f, -1.0f, 0.2f},
                                      {-10.0f, 10.0f, 0.0f, 0.0f, 0.0f, 0.0f}};
  float lo = 0.0f, hi = 0.0f;
  const float d = o.ema_decay;
  for (int b = 0; b < 4; b++) {
    set_input(g, batches[b], 6);
    q8t_graph_forward(g, true);
    float bmin = 0.0f, bmax = 0.0f;
    for (int i = 0; i < 6; i++) {
      bmin = fminf(bmin, batches[b][i]);
      bmax = fmaxf(bmax, batches[b][i]);
    }
    if (b == 0) {
      lo = bmin;
      hi = bmax;
    } else if (b < 3) {
      lo -= (1.0f - d) * (lo - bmin);
      hi -= (1.0f - d) * (hi - bmax);
    }
    const float *r = range_of(g, "dw/fq");
    T_CHECK(r[2] == 1.0f && fabsf(r[0] - lo) <= 1e-6f && fabsf(r[1] - hi) <= 1e-6f,
            "EMA after batch %d: [%.7g, %.7g], by hand [%.7g, %.7g]", b, (double)r[0], (double)r[1],
            (double)lo, (double)hi);
  }
  /* Identity before the delay (never here): outputs are the inputs. */
  const q8t_tensor *y = &g->tensors[q8t_graph_find_tensor(g, "dw/fq")];
  T_CHECK(!memcmp(y->data, batches[3], sizeof batches[3]), "quantized before the delay");
  /* Inference never moves the range. */
  const float before[2] = {range_of(g, "dw/fq")[0], range_of(g, "dw/fq")[1]};
  q8t_graph_forward(g, false);
  T_CHECK(range_of(g, "dw/fq")[0] == before[0] && range_of(g, "dw/fq")[1] == before[1],
          "inference moved the range");
  q8t_graph_free(g);
}

/* Forward on the node's grid and the STE mask, at and just past the nudged ends: the graph's
   fake-quant node run on chosen inputs (written where its producer put them). */
static void ste_at_range_ends(void) {
  q8t_qat_options o = q8t_qat_defaults();
  o.range_freeze_step = 0; /* the range set by hand stays */
  o.activation_bits = 4;
  q8t_graph *g = pass_through(1, 8, &o);
  float *r = range_of(g, "dw/fq");
  r[0] = -0.9f;
  r[1] = 2.3f;
  r[2] = 1.0f;
  q8_quant_grid grid;
  q8_error err;
  T_CHECK(q8_quant_grid_from_range(-0.9f, 2.3f, 4, false, &grid, &err) == Q8_OK, "%s", err.message);
  const float x[8] = {grid.nudged_min,
                      grid.nudged_max,
                      nextafterf(grid.nudged_max, 9.0f),
                      nextafterf(grid.nudged_min, -9.0f),
                      0.4f,
                      -5.0f,
                      7.0f,
                      1.1f};
  q8t_graph_forward(g, true);
  q8t_node *fq = node_named(g, "dw/fq");
  q8t_tensor *in = &g->tensors[fq->inputs[Q8T_IN_X]];
  q8t_tensor *y = &g->tensors[fq->output];
  memcpy(in->data, x, sizeof x);
  g->ops[fq->op]->forward(g, fq);
  for (int i = 0; i < 8; i++) {
    T_CHECK(y->data[i] == q8_fake_quant(&grid, x[i]), "forward[%d] %.9g: %.9g, range.h %.9g", i,
            (double)x[i], (double)y->data[i], (double)q8_fake_quant(&grid, x[i]));
  }
  for (int i = 0; i < 8; i++) y->grad[i] = (float)(i + 1);
  g->ops[fq->op]->backward(g, fq);
  static const bool inside[8] = {true, true, false, false, true, false, false, true};
  for (int i = 0; i < 8; i++) {
    T_CHECK(in->grad[i] == (inside[i] ? (float)(i + 1) : 0.0f), "STE[%d] at %.9g: %g, expected %g",
            i, (double)x[i], (double)in->grad[i], inside[i] ? (double)(i + 1) : 0.0);
  }
  q8t_graph_free(g);
}

static void quant_delay(void) {
  q8t_qat_options o = q8t_qat_defaults();
  o.quant_delay = 2;
  o.activation_bits = 2;
  q8t_graph *g = pass_through(1, 4, &o);
  const float x[4] = {-1.0f, 0.3f, 1.7f, 3.0f};
  const int32_t out = q8t_graph_find_tensor(g, "dw/fq");
  for (int step = 0; step < 4; step++) {
    if (step == 3) {
      const float wide[4] = {-1.0f, 0.3f, 1.7f, 8.0f}; /* 8 lies past the learned range */
      set_input(g, wide, 4);
    } else {
      set_input(g, x, 4);
    }
    q8t_graph_forward(g, true);
    const q8t_tensor *y = &g->tensors[out];
    const float *in = g->tensors[g->input].data;
    bool same = !memcmp(y->data, in, sizeof x);
    T_CHECK(same == (step < 2), "step %d: output %s the input", step, same ? "is" : "is not");
    for (int i = 0; i < 4; i++) g->tensors[out].grad[i] = 1.0f;
    q8t_graph_backward(g);
    /* Before the delay every gradient passes, even outside the range. */
    const float *dx = g->tensors[g->input].grad;
    if (step < 2) T_CHECK(dx[3] == 1.0f, "step %d: gradient stopped before the delay", step);
    if (step == 3) T_CHECK(dx[3] == 0.0f, "step %d: gradient passed outside the range", step);
  }
  T_CHECK(q8t_qat_step_count(g) == 4, "clock %lld after 4 steps", (long long)q8t_qat_step_count(g));
  q8_error err;
  T_CHECK(q8t_qat_set_step(g, 1, &err) == Q8_OK, "%s", err.message);
  set_input(g, x, 4);
  q8t_graph_forward(g, false);
  T_CHECK(!memcmp(g->tensors[out].data, x, sizeof x), "inference before the delay quantized");
  T_CHECK(q8t_qat_set_step(g, -2, &err) == Q8_ERROR_INVALID_ARGUMENT, "step -2 accepted");
  q8t_graph_free(g);
}

/* The batch norm freeze: from the step on, moving statistics stay and the output is the
   inference one. */
static void bn_freeze(uint64_t seed) {
  q8t_graph *g = varied_network(4, seed);
  q8t_qat_options o = float_options();
  o.bn_freeze_step = 2;
  prepare(g, &o);
  t_rng rng = {seed};
  fill_inputs(g, &rng, 0.0, 1.0);
  const q8t_node *conv_bn = node_named(g, "conv1/bn");
  const q8t_tensor *mean = &g->tensors[conv_bn->state[Q8T_BN_MOVING_MEAN]];
  float before[6], after[6];
  for (int step = 0; step < 4; step++) {
    memcpy(before, mean->data, sizeof before);
    q8t_graph_forward(g, true);
    memcpy(after, mean->data, sizeof after);
    const bool moved = memcmp(before, after, sizeof before) != 0;
    T_CHECK(moved == (step < 2), "step %d: moving mean %s", step, moved ? "moved" : "stayed");
  }
  const q8t_tensor *y = &g->tensors[q8t_graph_find_tensor(g, "fc/fq")];
  float train[20];
  memcpy(train, y->data, sizeof train);
  q8t_graph_forward(g, false);
  T_CHECK(!memcmp(train, y->data, sizeof train), "frozen training differs from inference");
  q8t_graph_free(g);
}

/* Weight fake quantization against range.h on the same (folded) weights. */
static void weight_grids(uint64_t seed) {
  for (int scheme = 0; scheme < 2; scheme++) {
    for (int bits = 8; bits >= 4; bits -= 4) {
      q8t_graph *g = varied_network(2, seed + (uint64_t)bits);
      q8t_qat_options o = q8t_qat_defaults();
      o.scheme = scheme == 0 ? Q8T_SCHEME_INT8 : Q8T_SCHEME_UINT8;
      o.weight_bits = bits;
      prepare(g, &o);
      t_rng rng = {seed};
      fill_inputs(g, &rng, 0.0, 1.0);
      q8t_graph_forward(g, true);
      /* In inference: a training forward moves the statistics after folding with them. */
      q8t_graph_forward(g, false);
      static const struct {
        const char *layer, *bn;
        bool depthwise, fc;
      } cases[] = {{"conv1", "conv1/bn", false, false},
                   {"dw2", "dw2/bn", true, false},
                   {"fc1", "fc1/bn", false, true},
                   {"fc", NULL, false, true}};
      for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char name[80];
        const int32_t layer = q8t_graph_find_node(g, cases[c].layer);
        const q8t_tensor *w = &g->tensors[g->nodes[layer].inputs[Q8T_IN_WEIGHTS]];
        const q8t_tensor *raw = w;
        if (cases[c].bn != NULL) {
          snprintf(name, sizeof name, "%s/folded_weights", cases[c].layer);
          w = &g->tensors[q8t_graph_find_tensor(g, name)];
          /* The folded weights are the export's, bit for bit. */
          float *folded = malloc(q8t_tensor_count(w) * sizeof(float)), bias[16];
          q8_error err;
          T_CHECK(q8t_fold_batch_norm(g, layer, q8t_graph_find_node(g, cases[c].bn), folded, bias,
                                      &err) == Q8_OK,
                  "%s", err.message);
          T_CHECK(!memcmp(folded, w->data, q8t_tensor_count(w) * sizeof(float)),
                  "%s: folded weights differ from q8t_fold_batch_norm", cases[c].layer);
          free(folded);
          snprintf(name, sizeof name, "%s/folded_weights/fq", cases[c].layer);
        } else {
          raw = &g->tensors[q8t_graph_find_tensor(g, "fc/weights")];
          w = raw;
          snprintf(name, sizeof name, "fc/weights/fq");
        }
        const q8t_tensor *fq = &g->tensors[q8t_graph_find_tensor(g, name)];
        const size_t n = q8t_tensor_count(w);
        const int32_t channels = cases[c].depthwise ? w->dims[3] : w->dims[0];
        q8_quant_grid grids[64];
        q8_error err;
        int32_t n_grids = 1;
        float lo, hi;
        q8_quant_minmax(w->data, n, &lo, &hi, &err);
        if (o.scheme == Q8T_SCHEME_UINT8) {
          q8_quant_grid_from_range(lo, hi, bits, true, &grids[0], &err);
        } else if (cases[c].fc) {
          q8_quant_grid_symmetric(fmaxf(-lo, hi), bits, &grids[0], &err);
        } else {
          const size_t per = n / (size_t)channels;
          q8_quant_grids_symmetric_per_channel(
              w->data, (size_t)channels, per, cases[c].depthwise ? 1 : per,
              cases[c].depthwise ? (size_t)channels : 1, bits, grids, &err);
          n_grids = channels;
        }
        size_t differ = 0;
        for (size_t i = 0; i < n; i++) {
          const size_t ch = n_grids == 1         ? 0
                            : cases[c].depthwise ? i % (size_t)channels
                                                 : i / (n / (size_t)channels);
          differ += fq->data[i] != q8_fake_quant(&grids[ch], w->data[i]);
        }
        T_CHECK(differ == 0, "%s %d bits %s: %zu of %zu weights differ from range.h",
                q8t_scheme_name(o.scheme), bits, cases[c].layer, differ, n);
        (void)raw;
      }
      q8t_graph_free(g);
    }
  }
}

/* After a global average pool exported as MEAN, the tied fake quantization truncates the mean
   of the codes as the integer MEAN does: towards zero on the container's codes (int8: codes
   minus 128), so down in uint8 and towards code 128 in int8. */
static void mean_truncation(void) {
  for (int scheme = 0; scheme < 2; scheme++) {
    q8t_graph *g = new_graph(1, 1);
    const int32_t x = q8t_input(g, "x", 2, 2, 2);
    q8t_global_avg_pool(g, "gap", q8t_depthwise_conv(g, "dw", x, 1, win(1, 1), false, Q8_ACT_NONE));
    T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
    q8t_qat_options o = q8t_qat_defaults();
    o.scheme = scheme == 0 ? Q8T_SCHEME_INT8 : Q8T_SCHEME_UINT8;
    o.range_freeze_step = 0;
    prepare(g, &o);
    T_CHECK(node_named(g, "gap/fq")->attrs.qat.mean_count == 4, "mean count %d",
            (int)node_named(g, "gap/fq")->attrs.qat.mean_count);
    float *r = range_of(g, "dw/fq");
    r[0] = 0.0f;
    r[1] = 2.55f; /* scale 0.01, codes 0..255 */
    r[2] = 1.0f;
    q8_quant_grid grid;
    q8_error err;
    q8_quant_grid_from_range(0.0f, 2.55f, 8, false, &grid, &err);
    /* Channel 0: codes 10, 11, 11, 11 (mean 10.75); channel 1: 200, 201, 201, 201 (200.75). */
    const int32_t codes[2][4] = {{10, 11, 11, 11}, {200, 201, 201, 201}};
    q8t_graph_forward(g, false);
    q8t_node *dw = node_named(g, "dw/fq");
    q8t_tensor *in = &g->tensors[dw->output];
    for (int c = 0; c < 2; c++)
      for (int p = 0; p < 4; p++) in->data[p * 2 + c] = (float)codes[c][p] * grid.scale;
    for (int32_t n = q8t_graph_find_node(g, "gap"); n < g->n_nodes; n++)
      g->ops[g->nodes[n].op]->forward(g, &g->nodes[n]);
    const float *y = g->tensors[node_named(g, "gap/fq")->output].data;
    /* uint8: floor -> 10, 200. int8: codes -118, 73 (means -117.25, 72.75) -> -117, 72, that
       is 11 and 200. */
    const int32_t want[2][2] = {{11, 200}, {10, 200}};
    for (int c = 0; c < 2; c++) {
      const float expect = (float)want[scheme][c] * grid.scale + grid.nudged_min;
      T_CHECK(y[c] == expect, "%s MEAN channel %d: %.9g, expected code %d (%.9g)",
              scheme == 0 ? "int8" : "uint8", c, (double)y[c], (int)want[scheme][c],
              (double)expect);
    }
    q8t_graph_free(g);
  }
}

/* ---- statistics from the folded layer with gamma at or near 0 ---- */

static bool all_finite(const float *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i])) return false;
  return true;
}

/* conv (4 channels, bias) + BN, gammas 0, 1e-30, 1e-7 and 1, other parameters random; the
   twin in the default mode. */
static q8t_graph *tiny_gamma_layer(uint64_t seed, const q8t_qat_options *o) {
  q8t_graph *g = new_graph(3, 2);
  const int32_t x = q8t_input(g, "x", 5, 4, 2);
  g->tensors[x].grad_wanted = true;
  q8t_batch_norm(g, "layer/bn", q8t_conv(g, "layer", x, 4, win(3, 1), true, Q8_ACT_NONE),
                 Q8_ACT_NONE);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  q8t_graph_init_parameters(g, seed);
  perturb_batch_norms(g, seed + 1);
  static const float gammas[4] = {0.0f, 1e-30f, 1e-7f, 1.0f};
  memcpy(g->tensors[q8t_graph_find_tensor(g, "layer/bn/gamma")].data, gammas, sizeof gammas);
  prepare(g, o);
  t_rng rng = {seed};
  fill_inputs(g, &rng, -1.0, 1.0);
  return g;
}

/* PyTorch divides by gamma / sigma_mv (0 / 0 at gamma 0). Here: every value finite; a channel
   whose fake-quantized folded weights are all zero (gamma 0; with fake quantization also 1e-30
   and 1e-7, whose weights round to 0) keeps its moving statistics and outputs beta, with a
   gamma gradient that lets it leave 0; the others use z' = c / s + b, which recovers the
   unfolded output even at gamma 1e-30 (fake quantization off: the output then equals the
   default mode's, which is batch norm's). */
static void folded_statistics_near_zero_gamma(uint64_t seed) {
  for (int quantized = 0; quantized < 2; quantized++) {
    q8t_qat_options o = quantized ? q8t_qat_defaults() : float_options();
    q8t_graph *twin = tiny_gamma_layer(seed, &o);
    o.bn_statistics = Q8T_BN_STATISTICS_FOLDED;
    q8t_graph *g = tiny_gamma_layer(seed, &o);
    const q8t_node *bn = node_named(g, "layer/bn");
    const float *mm = g->tensors[bn->state[Q8T_BN_MOVING_MEAN]].data;
    const float *mv = g->tensors[bn->state[Q8T_BN_MOVING_VAR]].data;
    float mm0[4], mv0[4];
    memcpy(mm0, mm, sizeof mm0);
    memcpy(mv0, mv, sizeof mv0);
    q8t_graph_forward(twin, true);
    T_CHECK(q8t_graph_forward(g, true) == Q8_OK, "forward: %s", g->error.message);
    const q8t_tensor *y = &g->tensors[bn->output], *z = &g->tensors[bn->inputs[Q8T_IN_X]];
    const size_t ny = q8t_tensor_count(y);
    t_rng rng = {seed + 7};
    const q8t_tensor *out = &g->tensors[q8t_graph_find_tensor(g, "layer/bn/fq")];
    for (size_t i = 0; i < q8t_tensor_count(out); i++) out->grad[i] = (float)uniform(&rng, -1, 1);
    T_CHECK(q8t_graph_backward(g) == Q8_OK, "backward: %s", g->error.message);
    const char *mode = quantized ? "fake-quantized" : "float";
    T_CHECK(all_finite(y->data, ny) && all_finite(z->data, ny) && all_finite(mm, 4) &&
                all_finite(mv, 4),
            "%s: a value is not finite", mode);
    for (int32_t i = 0; i < g->n_tensors; i++) {
      const q8t_tensor *t = &g->tensors[i];
      if (t->grad != NULL && t->role != Q8T_ROLE_ACTIVATION)
        T_CHECK(all_finite(t->grad, q8t_tensor_count(t)), "%s: d %s not finite", mode, t->name);
    }
    const float *beta = g->tensors[q8t_graph_find_tensor(g, "layer/bn/beta")].data;
    const float *dgamma = g->tensors[q8t_graph_find_tensor(g, "layer/bn/gamma")].grad;
    const bool live[2][4] = {{false, true, true, true}, {false, false, false, true}};
    for (int c = 0; c < 4; c++) {
      const bool kept = mm[c] == mm0[c] && mv[c] == mv0[c];
      T_CHECK(kept == !live[quantized][c], "%s: channel %d %s its moving statistics", mode, c,
              kept ? "kept" : "updated");
    }
    bool beta_out = true;
    for (size_t k = 0; k < ny; k += 4) beta_out &= y->data[k] == beta[0];
    T_CHECK(beta_out && dgamma[0] != 0.0f, "%s: gamma 0: output beta %d, d gamma %g", mode,
            (int)beta_out, (double)dgamma[0]);
    if (!quantized) {
      const q8t_tensor *yt = &twin->tensors[node_named(twin, "layer/bn")->output];
      const q8t_tensor *zt = &twin->tensors[q8t_graph_find_tensor(twin, "layer")];
      double dy = 0.0, dz = 0.0;
      for (size_t k = 0; k < ny; k++) {
        dy = fmax(dy, fabs((double)y->data[k] - yt->data[k]));
        if (k % 4 != 0) dz = fmax(dz, fabs((double)z->data[k] - zt->data[k]));
      }
      T_CHECK(dy <= 1e-5 && dz <= 1e-5, "float: output %g, z' %g from the default mode's", dy, dz);
    }
    q8t_graph_free(twin);
    q8t_graph_free(g);
  }
}

/* ---- the state a checkpoint keeps is the whole state ---- */

/* One SGD step on batch `step` (inputs drawn from its own seed). */
static void train_step(q8t_graph *g, int step) {
  t_rng rng = {(uint64_t)step * 7919 + 1};
  fill_inputs(g, &rng, 0.0, 1.0);
  q8t_graph_forward(g, true);
  q8t_graph_backward(g);
  const q8t_sgd sgd = {.momentum = 0.9f, .weight_decay = 5e-4f};
  q8t_sgd_step(g, &sgd, 0.05f);
}

static void copy_checkpointed(const q8t_graph *from, q8t_graph *to) {
  for (int32_t i = 0; i < from->n_tensors; i++) {
    const q8t_tensor *t = &from->tensors[i];
    if (t->role != Q8T_ROLE_PARAMETER && t->role != Q8T_ROLE_STATE) continue;
    q8t_tensor *u = &to->tensors[q8t_graph_find_tensor(to, t->name)];
    memcpy(u->data, t->data, q8t_tensor_count(t) * sizeof(float));
    if (t->momentum != NULL) memcpy(u->momentum, t->momentum, q8t_tensor_count(t) * sizeof(float));
  }
}

/* Parameters, momentum and state tensors (ranges, clocks, moving statistics) are everything a
   QAT run carries from step to step: a graph given them continues bit for bit, across the
   delay and both freezes. */
static void resume_from_state(uint64_t seed, q8t_bn_statistics stats) {
  q8t_qat_options o = q8t_qat_defaults();
  o.bn_statistics = stats;
  o.quant_delay = 2;
  o.bn_freeze_step = 4;
  o.range_freeze_step = 5;
  o.ema_decay = 0.9f;
  q8t_graph *a = varied_network(4, seed), *b = varied_network(4, seed);
  prepare(a, &o);
  prepare(b, &o);
  for (int step = 0; step < 7; step++) train_step(a, step);
  for (int step = 0; step < 3; step++) train_step(b, step);
  q8t_graph *c = varied_network(4, seed + 99); /* other parameters, overwritten */
  prepare(c, &o);
  copy_checkpointed(b, c);
  T_CHECK(q8t_qat_step_count(c) == 3, "clock %lld", (long long)q8t_qat_step_count(c));
  for (int step = 3; step < 7; step++) train_step(c, step);
  size_t differ = 0;
  for (int32_t i = 0; i < a->n_tensors; i++) {
    const q8t_tensor *t = &a->tensors[i];
    if (t->role != Q8T_ROLE_PARAMETER && t->role != Q8T_ROLE_STATE && t != &a->tensors[a->logits])
      continue;
    const q8t_tensor *u = &c->tensors[q8t_graph_find_tensor(c, t->name)];
    differ += memcmp(t->data, u->data, q8t_tensor_count(t) * sizeof(float)) != 0;
  }
  T_CHECK(differ == 0, "%zu tensors differ after resuming from the saved state (%s statistics)",
          differ, q8t_bn_statistics_name(stats));
  q8t_graph_free(a);
  q8t_graph_free(b);
  q8t_graph_free(c);
}

static void option_refusals(void) {
  q8t_graph *g = new_graph(2, 1);
  q8t_fully_connected(g, "fc", q8t_input(g, "x", 1, 1, 3), 2, true, Q8_ACT_NONE);
  q8t_graph_allocate(g);
  q8_error err;
  q8t_qat_options o = q8t_qat_defaults();
  o.weight_bits = 9;
  T_CHECK(q8t_qat_prepare(g, &o, &err) == Q8_ERROR_INVALID_ARGUMENT && strstr(err.message, "9"),
          "9 bits: %s", err.message);
  o = q8t_qat_defaults();
  o.ema_decay = 1.5f;
  T_CHECK(q8t_qat_prepare(g, &o, &err) == Q8_ERROR_INVALID_ARGUMENT, "decay 1.5 accepted");
  o = q8t_qat_defaults();
  o.bn_freeze_step = (int64_t)1 << 30;
  T_CHECK(q8t_qat_prepare(g, &o, &err) == Q8_ERROR_INVALID_ARGUMENT, "freeze 2^30 accepted");
  o = q8t_qat_defaults();
  o.bn_statistics = (q8t_bn_statistics)2;
  T_CHECK(q8t_qat_prepare(g, &o, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "batch-norm statistics 2"),
          "batch-norm statistics 2: %s", err.message);
  T_CHECK(!q8t_qat_prepared(g), "a refused prepare changed the graph");
  q8t_graph_free(g);
  /* A batch norm the export cannot fold: refused with the converter's message. */
  g = new_graph(2, 1);
  q8t_batch_norm(g, "bn", q8t_input(g, "x", 2, 2, 3), Q8_ACT_NONE);
  q8t_graph_allocate(g);
  o = q8t_qat_defaults();
  T_CHECK(q8t_qat_prepare(g, &o, &err) == Q8_ERROR_UNSUPPORTED && strstr(err.message, "bn"),
          "lone batch norm: %s", err.message);
  q8t_graph_free(g);
}

int main(void) {
  const uint64_t seed = t_seed(0x9a7);
  t_rng rng = {seed};
  reference_models();
  for (int stats = Q8T_BN_STATISTICS_UNFOLDED; stats <= Q8T_BN_STATISTICS_FOLDED; stats++) {
    folding_equivalence(seed, (q8t_bn_statistics)stats);
    folded_gradients(&rng, (q8t_bn_statistics)stats);
    resume_from_state(seed, (q8t_bn_statistics)stats);
  }
  folded_statistics_near_zero_gamma(seed);
  ema_ranges();
  ste_at_range_ends();
  quant_delay();
  bn_freeze(seed);
  weight_grids(seed);
  mean_truncation();
  option_refusals();
  return t_finish();
}
