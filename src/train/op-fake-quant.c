/* Fake quantization node, forward and backward. Forward rounds its input onto a grid with
   src/quant's q8_fake_quant (TensorFlow's FakeQuantWithMinMaxVars); backward is the
   straight-through estimator (q8_fake_quant_backward: the gradient passes where the input lies
   inside the nudged range, zero outside). The grid comes from, by attrs.qat.fq_kind:
   - ACTIVATION: the node's range state, in training first moved towards the batch's min/max
     (q8_range_tracker_update_ema; the first batch sets it) until the freeze step;
   - TIED: another node's range state, read only (pools and MEAN keep their input's grid);
     after a global average pool exported as MEAN (attrs.qat.mean_count values averaged) the
     mean of the codes is truncated as the integer MEAN does (doc/numerics.md: TFLM's
     reference Mean with equal input and output parameters divides the int32 sum of the
     container's codes, rounding towards zero), so that the float model holds the exported
     model's pooled features instead of a systematic half step away from them;
   - WEIGHTS: q8t_weight_grids of the current values (the one definition the export uses too).
   An activation after a weighted layer in its exported form takes the exported operator's
   integer requantization instead of the float rounding, unless attrs.qat.float_rounding
   (train/qat-requant.h).
   Before the quantization delay the node is the identity both ways; in training every forward
   advances the node's clock. */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "quant/range.h"
#include "train/convert.h"
#include "train/ops.h"
#include "train/qat-internal.h"
#include "train/qat-requant.h"

/* The range state [3]: min, max, and 1 once a batch (or calibration) has set them. */
static q8_range_tracker load_range(const float *state) {
  return (q8_range_tracker){state[0], state[1], state[2] != 0.0f};
}

static void store_range(float *state, const q8_range_tracker *r) {
  state[0] = r->min;
  state[1] = r->max;
  state[2] = r->initialized ? 1.0f : 0.0f;
}

/* Scratch: thread t's batch min, max and a flag for a value q8_quant_minmax refused; thread 0
   also holds the weight grids after them. */
enum { PARTIAL_MIN, PARTIAL_MAX, PARTIAL_BAD, GRIDS_AT = 16 };

static size_t fq_scratch(const q8t_graph *g, const q8t_node *node) {
  if (node->attrs.qat.fq_kind != Q8T_FQ_WEIGHTS) return GRIDS_AT;
  const q8t_tensor *w = &g->tensors[node->inputs[Q8T_IN_X]];
  const size_t channels = (size_t)q8t_weight_channels((q8t_op)node->attrs.qat.layer_op, w->dims);
  return GRIDS_AT + q8t_align_floats((channels * sizeof(q8_quant_grid) + 3) / sizeof(float));
}

typedef struct fq_ctx {
  q8t_graph *g;
  const q8t_node *node;
  size_t count;
  const q8_quant_grid *grids; /* one, or one per channel (weights) */
  int32_t n_grids;
  size_t per_channel;  /* element i's grid: i / per_channel (conv, fully connected) ... */
  bool depthwise;      /* ... or i % n_grids (depthwise weights: the channel is last) */
  int32_t code_offset; /* MEAN: the container's code = grid code + offset */
  bool requant;        /* the exported requantization (rq) instead of the float rounding */
  q8t_requant rq;
} fq_ctx;

static void slice(const fq_ctx *c, int32_t t, int32_t nt, size_t *begin, size_t *n) {
  int64_t b, e;
  q8t_split((int64_t)c->count, t, nt, &b, &e);
  *begin = (size_t)b;
  *n = (size_t)(e - b);
}

static void minmax_task(void *arg, int32_t t, int32_t nt) {
  const fq_ctx *c = arg;
  size_t at, n;
  slice(c, t, nt, &at, &n);
  float *partial = c->g->scratch[t];
  const float *x = q8t_input_tensor(c->g, c->node, Q8T_IN_X)->data;
  q8_error ignored;
  partial[PARTIAL_BAD] = 0.0f;
  if (n == 0) {
    partial[PARTIAL_MIN] = partial[PARTIAL_MAX] = x[0]; /* neutral: part of the batch */
    return;
  }
  if (q8_quant_minmax(x + at, n, &partial[PARTIAL_MIN], &partial[PARTIAL_MAX], &ignored) != Q8_OK) {
    partial[PARTIAL_BAD] = 1.0f;
  }
}

/* Moves the node's range towards the batch's (training, before the freeze step). */
static void update_range(q8t_graph *g, const q8t_node *node, fq_ctx *c) {
  q8t_parallel(g, minmax_task, c);
  const int32_t nt = q8t_threads_count(g->threads);
  float lo = g->scratch[0][PARTIAL_MIN], hi = g->scratch[0][PARTIAL_MAX];
  bool bad = false;
  for (int32_t t = 0; t < nt; t++) {
    const float *p = g->scratch[t];
    bad = bad || p[PARTIAL_BAD] != 0.0f;
    lo = p[PARTIAL_MIN] < lo ? p[PARTIAL_MIN] : lo;
    hi = p[PARTIAL_MAX] > hi ? p[PARTIAL_MAX] : hi;
  }
  q8_error error;
  q8_status st = Q8_OK;
  if (bad) { /* again on the whole tensor, for the message naming the element */
    st = q8_quant_minmax(q8t_input_tensor(g, node, Q8T_IN_X)->data, c->count, &lo, &hi, &error);
  }
  float *state = q8t_state_tensor(g, node, Q8T_FQ_RANGE)->data;
  q8_range_tracker range = load_range(state);
  if (st == Q8_OK)
    st = q8_range_tracker_update_ema(&range, lo, hi, node->attrs.qat.ema_decay, &error);
  if (st != Q8_OK) {
    q8t_qat_record_error(g, node, st, &error);
    return;
  }
  store_range(state, &range);
}

/* The grid of an activation node (its own or its tied range); false when there is none yet. */
static bool activation_grid(q8t_graph *g, const q8t_node *node, q8_quant_grid *grid) {
  const q8_range_tracker range = load_range(q8t_state_tensor(g, node, Q8T_FQ_RANGE)->data);
  if (!range.initialized) return false;
  q8_error error;
  const q8_status st = q8_range_tracker_grid(&range, node->attrs.qat.bits, false, grid, &error);
  if (st != Q8_OK) q8t_qat_record_error(g, node, st, &error);
  return st == Q8_OK;
}

/* The grids of a weights node from its input's current values (in thread 0's scratch). */
static bool weight_grids(q8t_graph *g, const q8t_node *node, fq_ctx *c) {
  const q8t_tensor *w = q8t_input_tensor(g, node, Q8T_IN_X);
  const q8t_op layer = (q8t_op)node->attrs.qat.layer_op;
  q8_quant_grid *grids = (q8_quant_grid *)(g->scratch[0] + GRIDS_AT);
  q8_error error;
  const q8_status st =
      q8t_weight_grids(layer, w->rank, w->dims, w->data, (q8t_scheme)node->attrs.qat.scheme,
                       node->attrs.qat.bits, grids, &c->n_grids, &error);
  if (st != Q8_OK) {
    q8t_qat_record_error(g, node, st, &error);
    return false;
  }
  c->grids = grids;
  c->depthwise = layer == Q8T_OP_DEPTHWISE_CONV;
  c->per_channel = c->count / (size_t)q8t_weight_channels(layer, w->dims);
  return true;
}

static const q8_quant_grid *grid_of(const fq_ctx *c, size_t i) {
  if (c->n_grids == 1) return &c->grids[0];
  const size_t channel = c->depthwise ? i % (size_t)c->n_grids : i / c->per_channel;
  return &c->grids[channel];
}

/* The value whose container code is the integer MEAN of the n codes x averages: the sum of
   the codes recovered exactly (x is their float mean), divided as C divides. */
static float truncated_mean(const q8_quant_grid *grid, int32_t n, int32_t code_offset, float x) {
  const double mean = ((double)x - grid->nudged_min) / grid->scale; /* of codes - quant_min */
  const int64_t to_container = (int64_t)grid->quant_min + code_offset;
  const int64_t sum = llround(mean * n) + (int64_t)n * to_container;
  const int64_t code = sum / n - to_container;
  return (float)code * grid->scale + grid->nudged_min;
}

static void forward_task(void *arg, int32_t t, int32_t nt) {
  const fq_ctx *c = arg;
  size_t at, n;
  slice(c, t, nt, &at, &n);
  const float *x = q8t_input_tensor(c->g, c->node, Q8T_IN_X)->data + at;
  float *y = q8t_output_tensor(c->g, c->node)->data + at;
  const int32_t mean_count = c->node->attrs.qat.mean_count;
  if (c->grids == NULL) {
    memcpy(y, x, n * sizeof *y);
  } else if (c->requant) {
    q8_fake_quant_forward(&c->grids[0], x, y, n);
    q8t_requant_fix(&c->rq, (int32_t)(at % (size_t)c->rq.channels), x, y, n);
  } else if (mean_count > 0) {
    for (size_t i = 0; i < n; i++) {
      y[i] = truncated_mean(&c->grids[0], mean_count, c->code_offset, x[i]);
    }
  } else if (c->n_grids == 1) {
    q8_fake_quant_forward(&c->grids[0], x, y, n);
  } else {
    for (size_t i = 0; i < n; i++) y[i] = q8_fake_quant(grid_of(c, at + i), x[i]);
  }
}

/* The output gradient masked in place, then stored to the input's. */
static void backward_task(void *arg, int32_t t, int32_t nt) {
  const fq_ctx *c = arg;
  size_t at, n;
  slice(c, t, nt, &at, &n);
  const q8t_tensor *xt = q8t_input_tensor(c->g, c->node, Q8T_IN_X);
  float *dy = q8t_output_tensor(c->g, c->node)->grad + at;
  const float *x = xt->data + at;
  if (c->grids != NULL && c->n_grids == 1) {
    q8_fake_quant_backward(&c->grids[0], x, dy, dy, n);
  } else if (c->grids != NULL) {
    for (size_t i = 0; i < n; i++)
      q8_fake_quant_backward(grid_of(c, at + i), x + i, dy + i, dy + i, 1);
  }
  q8t_store_grad(xt->grad + at, dy, n, c->node->accumulate[Q8T_IN_X]);
}

/* Decides the pass's grids: NULL when the node is the identity. */
static fq_ctx plan(q8t_graph *g, q8t_node *node, q8_quant_grid *single, bool in_backward) {
  fq_ctx c = {.g = g, .node = node, .count = q8t_tensor_count(q8t_output_tensor(g, node))};
  const q8t_qat_attrs *qat = &node->attrs.qat;
  const bool training_forward = g->training && !in_backward;
  if (training_forward && qat->fq_kind == Q8T_FQ_ACTIVATION &&
      q8t_qat_step(g, node, Q8T_FQ_STEP, false) < qat->freeze_step) {
    update_range(g, node, &c);
  }
  if (q8t_qat_step(g, node, Q8T_FQ_STEP, in_backward) < qat->quant_delay) return c;
  if (qat->fq_kind == Q8T_FQ_WEIGHTS) {
    if (!weight_grids(g, node, &c)) c.grids = NULL;
    return c;
  }
  if (activation_grid(g, node, single)) {
    c.grids = single;
    c.n_grids = 1;
  }
  if (c.grids != NULL && qat->fq_kind == Q8T_FQ_ACTIVATION && !qat->float_rounding &&
      !in_backward) {
    q8_error error;
    const q8_status st = q8t_requant_plan(g, node, single, &c.rq, &c.requant, &error);
    if (st != Q8_OK) {
      q8t_qat_record_error(g, node, st, &error);
      c.grids = NULL;
    }
  }
  if (c.grids != NULL && qat->mean_count > 0) {
    q8_quant_params params;
    q8_error error;
    const q8_type type = q8t_scheme_type((q8t_scheme)qat->scheme);
    const q8_status st = q8_quant_grid_storage(single, type, &params, &c.code_offset, &error);
    if (st != Q8_OK) {
      q8t_qat_record_error(g, node, st, &error);
      c.grids = NULL;
    }
  }
  return c;
}

static void fq_forward(q8t_graph *g, q8t_node *node) {
  q8_quant_grid single;
  fq_ctx c = plan(g, node, &single, false);
  q8t_parallel(g, forward_task, &c);
  q8t_requant_free(&c.rq);
  q8t_qat_advance(g, node, Q8T_FQ_STEP);
}

static void fq_backward(q8t_graph *g, q8t_node *node) {
  if (q8t_input_tensor(g, node, Q8T_IN_X)->grad == NULL) return;
  q8_quant_grid single;
  fq_ctx c = plan(g, node, &single, true);
  q8t_parallel(g, backward_task, &c);
}

const q8t_op_impl Q8T_ISA_NAME(q8t_fake_quant_impl) = {"fake_quant", fq_forward, fq_backward,
                                                       fq_scratch};
