/* Batch norm folded into the layer before it, as TensorFlow's quantize rewriter trains it
   (fold_batch_norms.py; Krishnamoorthi 2018, section 3.2), in two nodes:

   fold_weights:   w_fold = w * gamma / sigma_mv, sigma_mv = sqrt(moving_variance + eps), per
                   output channel, in q8t_fold_batch_norm's float steps (the export folds the
                   same way, so the weights training fake-quantizes are the ones exported).
                   A fake-quant node on weights follows it (w_q = fq(w_fold)).
   conv_bn_folded: z = layer(x, w) is the unfolded layer's output (its own node, kept for the
                   batch statistics mu_B, sigma_B = sqrt(var_B + eps), biased variance), and
                     before the freeze step (training):
                       y = act(layer(x, w_q) * sigma_mv / sigma_B + beta + gamma * (b - mu_B) /
   sigma_B) moving statistics updated as a batch norm does (q8t_batch_norm_statistics) from the
   freeze step on, and in inference: y = act(layer(x, w_q) + beta + gamma * (b - mu_mv) / sigma_mv)
                       moving statistics unchanged.
                   b is the layer's own bias (0 without one; z includes it), as the export folds it.
   TensorFlow writes the same: its weights are w * correction_scale * gamma / sigma_B with
   correction_scale = sigma_B / sigma_mv, its output is multiplied by correction_recip =
   sigma_mv / sigma_B and offset by 0 before the freeze; after it correction_recip = 1 and
   correction_offset = gamma * (mu_B / sigma_B - mu_mv / sigma_mv), its bias beta - gamma * mu_B
   / sigma_B, which add up to the line above, and the moving averages' decay is 0. Weights are
   thus always folded with the slowly moving sigma_mv (their grid does not jump between
   batches) while, before the freeze, the output is normalised by the batch's statistics. With
   fake quantization off the output equals batch norm's in training: gamma * (z - mu_B) /
   sigma_B + beta. The moving statistics used are those before this batch updates them.

   Gradients: to beta, to gamma and b (through the shift here; gamma also through w_fold in
   fold_weights), to x and w_q (the layer's own backward, on dy * sigma_mv / sigma_B), and, before
   the freeze, to z through mu_B and sigma_B (TensorFlow's FoldFusedBatchNormGrad): with A =
   sum(dy), B = sum(dy * (y - beta)) per channel (dy after the activation's mask, where y is the
   value before it), d mu_B = -gamma * A / sigma_B, d sigma_B = -B / sigma_B, so dz = -(1 / (M
   sigma_B)) * (gamma * A + B * (z - mu_B) / sigma_B) over the M values of the channel. The layer
   itself runs through its own implementation (a node of its kind made on the spot), so convolution
   keeps no special case. Without batch statistics (after the freeze, in inference) nothing reads
   z, and graph.c skips the unfolded layer's node (ops.h, q8t_node_reads_input).

   Statistics from the folded layer (attrs.qat.bn_statistics Q8T_BN_STATISTICS_FOLDED, PyTorch
   1.13's ConvBn2d._forward): before the freeze the batch statistics are those of
   z' = c / s + b, c = layer(x, w_q) the folded layer's output and s = gamma / sigma_mv the
   factor fold_weights used (the same float), instead of z's. The unfolded layer never runs:
   z's buffer holds z' (PyTorch's conv_orig), which the batch norm's statistics read and the
   backward reuses. y is the formula above with mu_B, sigma_B of z', which is batch norm in
   training on z': gamma * (z' - mu_B) / sigma_B + beta. Gradients, with g = dy masked by the
   activation, xhat = (z' - mu_B) / sigma_B, A = sum(g), B = sum(g * xhat) per channel over its
   M values (batch norm's backward on z', then through z' = c / s + b, nothing divided by s):
     dc     = (sigma_mv / sigma_B) * (g - A / M - xhat * B / M)
     dbeta  = A;  db = 0 (z' - mu_B does not depend on b)
     dgamma = B * (1 - eps / sigma_B^2) here (B from batch norm, minus B * eps / sigma_B^2
              through the 1 / s of z'), plus fold_weights' share through w_q.
   With fake quantization off, z' = z up to rounding, so y and the moving statistics are batch
   norm's on the unfolded layer, as in the default mode.
   gamma at or near 0: a channel whose folded, fake-quantized weights are all zero (gamma = 0,
   so s = 0 and c / s would be 0 / 0; a tiny gamma whose folded weights round to 0 on the weight
   grid; a zero filter) has c = 0 whatever x is: nothing of z can be recovered from it, and
   PyTorch would produce NaN (s = 0) or drag the moving variance to 0. Such a channel
   normalises with its moving statistics for the batch, as after the freeze (correction 1,
   the frozen gradients), and leaves them unchanged. Any other channel has s != 0 and
   |c| <= 2 |s| sum |x| |w| (a fake-quantized weight is 0 or within half a step of a value at
   least half a step away from 0), so c / s stays finite however small s is. */
#include <math.h>
#include <string.h>

#include "train/ops.h"
#include "train/qat-internal.h"

/* ---- fold_weights ---- */

enum { FOLD_IN_WEIGHTS = 0 };

/* Output channels of a weight tensor and the channel of element i (TFLite's layouts). */
typedef struct channel_map {
  int32_t channels;
  size_t count, per_channel;
  bool last_axis; /* depthwise [1, KH, KW, C]: the channel is the fastest index */
} channel_map;

static channel_map map_of(const q8t_tensor *w, q8t_op layer) {
  channel_map m = {0};
  m.last_axis = layer == Q8T_OP_DEPTHWISE_CONV;
  m.channels = m.last_axis ? w->dims[w->rank - 1] : w->dims[0];
  m.count = q8t_tensor_count(w);
  m.per_channel = m.count / (size_t)m.channels;
  return m;
}

static size_t channel_of(const channel_map *m, size_t i) {
  return m->last_axis ? i % (size_t)m->channels : i / m->per_channel;
}

/* 1 / sigma_mv in q8t_fold_batch_norm's steps (double square root, one float rounding). */
static float moving_inv_std(float variance, float epsilon) {
  return (float)(1.0 / sqrt((double)variance + epsilon));
}

static size_t fold_scratch(const q8t_graph *g, const q8t_node *node) {
  return q8t_align_floats((size_t)g->tensors[node->inputs[Q8T_FOLD_GAMMA]].dims[0]);
}

static void fold_forward(q8t_graph *g, q8t_node *node) {
  const q8t_tensor *w = q8t_input_tensor(g, node, FOLD_IN_WEIGHTS);
  const float *gamma = q8t_input_tensor(g, node, Q8T_FOLD_GAMMA)->data;
  const float *var = q8t_input_tensor(g, node, Q8T_FOLD_MOVING_VAR)->data;
  const channel_map m = map_of(w, (q8t_op)node->attrs.qat.layer_op);
  float *k = g->scratch[0];
  for (int32_t c = 0; c < m.channels; c++) {
    k[c] = gamma[c] * moving_inv_std(var[c], node->attrs.bn_epsilon);
  }
  float *out = q8t_output_tensor(g, node)->data;
  for (size_t i = 0; i < m.count; i++) out[i] = w->data[i] * k[channel_of(&m, i)];
}

/* dw = dw_fold * gamma / sigma_mv; dgamma = sum over the channel of dw_fold * w / sigma_mv. */
static void fold_backward(q8t_graph *g, q8t_node *node) {
  const q8t_tensor *w = q8t_input_tensor(g, node, FOLD_IN_WEIGHTS);
  const q8t_tensor *gamma = q8t_input_tensor(g, node, Q8T_FOLD_GAMMA);
  const float *var = q8t_input_tensor(g, node, Q8T_FOLD_MOVING_VAR)->data;
  const float *dfold = q8t_output_tensor(g, node)->grad;
  const channel_map m = map_of(w, (q8t_op)node->attrs.qat.layer_op);
  float *dgamma = g->scratch[0];
  memset(dgamma, 0, (size_t)m.channels * sizeof *dgamma);
  const bool acc_w = node->accumulate[FOLD_IN_WEIGHTS];
  for (size_t i = 0; i < m.count; i++) {
    const size_t c = channel_of(&m, i);
    const float inv = moving_inv_std(var[c], node->attrs.bn_epsilon);
    dgamma[c] += dfold[i] * w->data[i] * inv;
    if (w->grad != NULL) {
      const float v = dfold[i] * gamma->data[c] * inv;
      w->grad[i] = acc_w ? w->grad[i] + v : v;
    }
  }
  if (gamma->grad != NULL) {
    q8t_store_grad(gamma->grad, dgamma, (size_t)m.channels, node->accumulate[Q8T_FOLD_GAMMA]);
  }
}

const q8t_op_impl Q8T_ISA_NAME(q8t_fold_weights_impl) = {"fold_weights", fold_forward,
                                                         fold_backward, fold_scratch};

/* ---- conv_bn_folded ---- */

/* The layer as a node of its own kind: input x, the folded fake-quantized weights, no bias, no
   activation, writing this node's output (and, in backward, reading its gradient). */
/* The layer as a node of its kind; batch_mode: before the freeze, in training (Winograd allowed
   on its fake-quantized weights: the integer requantization reads its output only from the
   freeze on, qat-requant.c). */
static q8t_node layer_node(const q8t_node *node, bool batch_mode) {
  q8t_node layer = *node;
  layer.op = (q8t_op)node->attrs.qat.layer_op;
  layer.n_inputs = 3;
  layer.inputs[Q8T_IN_X] = node->inputs[Q8T_FOLDED_LAYER_X];
  layer.inputs[Q8T_IN_WEIGHTS] = node->inputs[Q8T_FOLDED_WEIGHTS];
  layer.inputs[Q8T_IN_BIAS] = -1;
  layer.accumulate[Q8T_IN_X] = node->accumulate[Q8T_FOLDED_LAYER_X];
  layer.accumulate[Q8T_IN_WEIGHTS] = node->accumulate[Q8T_FOLDED_WEIGHTS];
  layer.accumulate[Q8T_IN_BIAS] = false;
  layer.n_state = 0;
  layer.attrs.activation = Q8_ACT_NONE;
  layer.attrs.winograd_quantized = batch_mode;
  return layer;
}

typedef struct folded_ctx {
  q8t_graph *g;
  q8t_node *node;
  int64_t rows; /* values per channel in the batch: every axis but the last */
  int32_t c;
  bool batch_mode; /* batch statistics and the correction (training before the freeze) */
  bool from_folded; /* batch mode with statistics from the folded layer (z' in z's buffer) */
} folded_ctx;

/* Thread t's scratch: two sums per channel (doubles); thread 0's holds per-channel
   coefficients after them. */
enum { COEF_SCALE, COEF_SHIFT, COEF_DZ_CONST, COEF_DZ_SLOPE, COEF_COUNT };

static size_t coef_offset(int32_t c) { return q8t_align_floats((size_t)c * 4); }

static float *coef(const folded_ctx *f, int which) {
  return f->g->scratch[0] + coef_offset(f->c) + (size_t)which * f->c;
}

static double *partials(const folded_ctx *f, int32_t t) { return (double *)f->g->scratch[t]; }

/* Statistics from the folded layer: per-channel arrays in thread 0's scratch, past both the
   coefficients and what the batch norm's statistics use (they run in between). */
enum { ARRAY_DIVISOR, ARRAY_OFFSET, ARRAY_KEPT_MEAN, ARRAY_KEPT_VAR, ARRAY_COUNT };

static size_t arrays_offset(const q8t_graph *g, const q8t_node *node, int32_t c) {
  const size_t coefs = coef_offset(c) + (size_t)COEF_COUNT * c;
  const size_t bn_floats = g->ops[Q8T_OP_BATCH_NORM]->scratch_floats(g, node);
  return q8t_align_floats(bn_floats > coefs ? bn_floats : coefs);
}

static float *array(const folded_ctx *f, int which) {
  return f->g->scratch[0] + arrays_offset(f->g, f->node, f->c) + (size_t)which * f->c;
}

static size_t folded_scratch(const q8t_graph *g, const q8t_node *node) {
  const q8t_node layer = layer_node(node, true); /* Winograd's scratch too, where it applies */
  const q8t_tensor *y = &g->tensors[node->output];
  const int32_t c = y->dims[y->rank - 1];
  size_t floats = arrays_offset(g, node, c) + (size_t)ARRAY_COUNT * c;
  const q8t_op_impl *impl = g->ops[layer.op];
  const size_t layer_floats = impl->scratch_floats ? impl->scratch_floats(g, &layer) : 0;
  return layer_floats > floats ? layer_floats : floats;
}

static folded_ctx context(q8t_graph *g, q8t_node *node, bool in_backward) {
  const q8t_tensor *y = q8t_output_tensor(g, node);
  const int32_t c = y->dims[y->rank - 1];
  const bool batch_mode = q8t_qat_batch_statistics(g, node, g->training, in_backward);
  return (folded_ctx){g, node, (int64_t)(q8t_tensor_count(y) / (size_t)c), c, batch_mode,
                      batch_mode && node->attrs.qat.bn_statistics == Q8T_BN_STATISTICS_FOLDED};
}

/* live[i] = 1 where channel i of the folded, fake-quantized weights has a value other than 0,
   else 0 (see the top: such a channel keeps its moving statistics). */
static void mark_live_channels(const folded_ctx *f, float *live) {
  const q8t_tensor *w = q8t_input_tensor(f->g, f->node, Q8T_FOLDED_WEIGHTS);
  const channel_map m = map_of(w, (q8t_op)f->node->attrs.qat.layer_op);
  for (int32_t i = 0; i < m.channels; i++) live[i] = 0.0f;
  if (m.last_axis) {
    for (size_t i = 0; i < m.count; i++)
      if (w->data[i] != 0.0f) live[i % (size_t)m.channels] = 1.0f;
    return;
  }
  for (int32_t ch = 0; ch < m.channels; ch++) {
    const float *v = w->data + (size_t)ch * m.per_channel;
    for (size_t i = 0; i < m.per_channel && live[ch] == 0.0f; i++) live[ch] = v[i] != 0.0f;
  }
}

/* z' = c / s + b into z's buffer; a channel without live weights has divisor infinity, so
   z' = b there (c is finite). */
static void rescale_task(void *arg, int32_t t, int32_t nt) {
  const folded_ctx *f = arg;
  const float *c = q8t_output_tensor(f->g, f->node)->data;
  float *z = q8t_input_tensor(f->g, f->node, Q8T_IN_X)->data;
  const float *divisor = array(f, ARRAY_DIVISOR), *offset = array(f, ARRAY_OFFSET);
  int64_t r0, r1;
  q8t_split(f->rows, t, nt, &r0, &r1);
  for (int64_t r = r0; r < r1; r++) {
    const size_t at = (size_t)r * f->c;
    for (int32_t i = 0; i < f->c; i++) z[at + i] = c[at + i] / divisor[i] + offset[i];
  }
}

/* The batch statistics of z' (the output holds c): batch norm's own code on z', moving
   statistics updated from them, but for channels without live weights, which keep theirs and
   use them as this batch's. correction holds 1 / sigma_mv on entry. */
static void folded_layer_statistics(folded_ctx *f) {
  q8t_graph *g = f->g;
  q8t_node *node = f->node;
  const float *gamma = q8t_input_tensor(g, node, Q8T_BN_GAMMA)->data;
  const q8t_tensor *bias = q8t_input_tensor(g, node, Q8T_FOLDED_BIAS);
  const float *inv_moving_std = q8t_state_tensor(g, node, Q8T_FOLDED_CORRECTION)->data;
  float *moving_mean = q8t_state_tensor(g, node, Q8T_BN_MOVING_MEAN)->data;
  float *moving_var = q8t_state_tensor(g, node, Q8T_BN_MOVING_VAR)->data;
  float *mean = q8t_state_tensor(g, node, Q8T_BN_BATCH_MEAN)->data;
  float *inv_std = q8t_state_tensor(g, node, Q8T_BN_BATCH_INV_STD)->data;
  float *divisor = array(f, ARRAY_DIVISOR), *offset = array(f, ARRAY_OFFSET);
  float *kept_mean = array(f, ARRAY_KEPT_MEAN), *kept_var = array(f, ARRAY_KEPT_VAR);
  mark_live_channels(f, divisor);
  for (int32_t i = 0; i < f->c; i++) {
    /* s as fold_weights computed it: gamma times the same 1 / sigma_mv. */
    divisor[i] = divisor[i] != 0.0f ? gamma[i] * inv_moving_std[i] : INFINITY;
    offset[i] = bias != NULL ? bias->data[i] : 0.0f;
  }
  q8t_parallel(g, rescale_task, f);
  memcpy(kept_mean, moving_mean, (size_t)f->c * sizeof *kept_mean);
  memcpy(kept_var, moving_var, (size_t)f->c * sizeof *kept_var);
  Q8T_ISA_NAME(q8t_batch_norm_statistics)(g, node);
  for (int32_t i = 0; i < f->c; i++) {
    if (divisor[i] != INFINITY) continue;
    moving_mean[i] = mean[i] = kept_mean[i];
    moving_var[i] = kept_var[i];
    inv_std[i] = inv_moving_std[i];
  }
}

/* The statistics of this pass into the saved mean and 1 / sigma slots, and the correction
   sigma_mv / sigma_B (1 without batch statistics). */
static void statistics(folded_ctx *f) {
  q8t_graph *g = f->g;
  q8t_node *node = f->node;
  float *mean = q8t_state_tensor(g, node, Q8T_BN_BATCH_MEAN)->data;
  float *inv_std = q8t_state_tensor(g, node, Q8T_BN_BATCH_INV_STD)->data;
  float *correction = q8t_state_tensor(g, node, Q8T_FOLDED_CORRECTION)->data;
  const float *moving_mean = q8t_state_tensor(g, node, Q8T_BN_MOVING_MEAN)->data;
  const float *moving_var = q8t_state_tensor(g, node, Q8T_BN_MOVING_VAR)->data;
  for (int32_t i = 0; i < f->c; i++) {
    /* 1 / sigma_mv before this batch moves it, as fold_weights used it. */
    correction[i] = moving_inv_std(moving_var[i], node->attrs.bn_epsilon);
    mean[i] = moving_mean[i];
    inv_std[i] = correction[i];
  }
  if (!f->batch_mode) {
    for (int32_t i = 0; i < f->c; i++) correction[i] = 1.0f;
    return;
  }
  if (f->from_folded) {
    folded_layer_statistics(f);
  } else {
    Q8T_ISA_NAME(q8t_batch_norm_statistics)(g, node);
  }
  for (int32_t i = 0; i < f->c; i++) correction[i] = inv_std[i] / correction[i];
}

static void output_task(void *arg, int32_t t, int32_t nt) {
  const folded_ctx *f = arg;
  float *y = q8t_output_tensor(f->g, f->node)->data;
  const float *scale = coef(f, COEF_SCALE), *shift = coef(f, COEF_SHIFT);
  int64_t r0, r1;
  q8t_split(f->rows, t, nt, &r0, &r1);
  for (int64_t r = r0; r < r1; r++) {
    float *out = y + (size_t)r * f->c;
    for (int32_t i = 0; i < f->c; i++) out[i] = out[i] * scale[i] + shift[i];
    q8t_activate_span(f->node->attrs.activation, out, (size_t)f->c);
  }
}

static void folded_forward(q8t_graph *g, q8t_node *node) {
  folded_ctx f = context(g, node, false);
  q8t_node layer = layer_node(node, f.batch_mode);
  g->ops[layer.op]->forward(g, &layer); /* first: the folded layer's statistics read it */
  statistics(&f);
  const float *gamma = q8t_input_tensor(g, node, Q8T_BN_GAMMA)->data;
  const float *beta = q8t_input_tensor(g, node, Q8T_BN_BETA)->data;
  const q8t_tensor *bias = q8t_input_tensor(g, node, Q8T_FOLDED_BIAS);
  const float *mean = q8t_state_tensor(g, node, Q8T_BN_BATCH_MEAN)->data;
  const float *inv_std = q8t_state_tensor(g, node, Q8T_BN_BATCH_INV_STD)->data;
  const float *correction = q8t_state_tensor(g, node, Q8T_FOLDED_CORRECTION)->data;
  float *scale = coef(&f, COEF_SCALE), *shift = coef(&f, COEF_SHIFT);
  for (int32_t i = 0; i < f.c; i++) {
    const float b = bias != NULL ? bias->data[i] : 0.0f;
    scale[i] = correction[i];
    shift[i] = beta[i] + gamma[i] * (b - mean[i]) * inv_std[i];
  }
  q8t_parallel(g, output_task, &f);
  q8t_qat_advance(g, node, Q8T_FOLDED_STEP);
}

/* Masks dy by the activation and sums dy per channel, with dy * (y - beta) (then scales dy by
   the correction: the gradient of the layer's output), or with statistics from the folded
   layer dy * xhat, xhat = (z' - mu_B) / sigma_B (dy's scaling needs these sums). */
static void grad_sums_task(void *arg, int32_t t, int32_t nt) {
  const folded_ctx *f = arg;
  const q8t_tensor *yt = q8t_output_tensor(f->g, f->node);
  const float *beta = q8t_input_tensor(f->g, f->node, Q8T_BN_BETA)->data;
  const float *correction = q8t_state_tensor(f->g, f->node, Q8T_FOLDED_CORRECTION)->data;
  const float *z = q8t_input_tensor(f->g, f->node, Q8T_IN_X)->data;
  const float *mean = q8t_state_tensor(f->g, f->node, Q8T_BN_BATCH_MEAN)->data;
  const float *inv_std = q8t_state_tensor(f->g, f->node, Q8T_BN_BATCH_INV_STD)->data;
  double *sum_dy = partials(f, t), *sum_dy_y = sum_dy + f->c;
  memset(sum_dy, 0, 2 * (size_t)f->c * sizeof *sum_dy);
  int64_t r0, r1;
  q8t_split(f->rows, t, nt, &r0, &r1);
  for (int64_t r = r0; r < r1; r++) {
    const size_t at = (size_t)r * f->c;
    float *dy = yt->grad + at;
    const float *y = yt->data + at;
    q8t_activation_grad_span(f->node->attrs.activation, y, dy, (size_t)f->c);
    if (f->from_folded) {
      for (int32_t i = 0; i < f->c; i++) {
        sum_dy[i] += dy[i];
        sum_dy_y[i] += (double)dy[i] * ((z[at + i] - mean[i]) * inv_std[i]);
      }
      continue;
    }
    for (int32_t i = 0; i < f->c; i++) {
      sum_dy[i] += dy[i];
      sum_dy_y[i] += (double)dy[i] * (y[i] - beta[i]);
      dy[i] *= correction[i];
    }
  }
}

/* Statistics from the folded layer: dc = correction * (dy - A / M - xhat * B / M), that is
   correction * (dy - k0 - xhat * k1) (k0 = k1 = 0 where the channel kept its moving
   statistics). */
static void folded_layer_grad_task(void *arg, int32_t t, int32_t nt) {
  const folded_ctx *f = arg;
  float *dy = q8t_output_tensor(f->g, f->node)->grad;
  const float *z = q8t_input_tensor(f->g, f->node, Q8T_IN_X)->data;
  const float *mean = q8t_state_tensor(f->g, f->node, Q8T_BN_BATCH_MEAN)->data;
  const float *inv_std = q8t_state_tensor(f->g, f->node, Q8T_BN_BATCH_INV_STD)->data;
  const float *correction = q8t_state_tensor(f->g, f->node, Q8T_FOLDED_CORRECTION)->data;
  const float *k0 = coef(f, COEF_DZ_CONST), *k1 = coef(f, COEF_DZ_SLOPE);
  int64_t r0, r1;
  q8t_split(f->rows, t, nt, &r0, &r1);
  for (int64_t r = r0; r < r1; r++) {
    const size_t at = (size_t)r * f->c;
    for (int32_t i = 0; i < f->c; i++) {
      const float xhat = (z[at + i] - mean[i]) * inv_std[i];
      dy[at + i] = correction[i] * (dy[at + i] - k0[i] - xhat * k1[i]);
    }
  }
}

/* dz = dz_const + dz_slope * (z - mu_B) per channel (zero without batch statistics). */
static void z_grad_task(void *arg, int32_t t, int32_t nt) {
  const folded_ctx *f = arg;
  const q8t_tensor *zt = q8t_input_tensor(f->g, f->node, Q8T_IN_X);
  const float *mean = q8t_state_tensor(f->g, f->node, Q8T_BN_BATCH_MEAN)->data;
  const float *k0 = coef(f, COEF_DZ_CONST), *k1 = coef(f, COEF_DZ_SLOPE);
  const bool accumulate = f->node->accumulate[Q8T_IN_X];
  int64_t r0, r1;
  q8t_split(f->rows, t, nt, &r0, &r1);
  for (int64_t r = r0; r < r1; r++) {
    const size_t at = (size_t)r * f->c;
    const float *z = zt->data + at;
    float *dz = zt->grad + at;
    for (int32_t i = 0; i < f->c; i++) {
      const float v = f->batch_mode ? k0[i] + k1[i] * (z[i] - mean[i]) : 0.0f;
      dz[i] = accumulate ? dz[i] + v : v;
    }
  }
}

/* Add (accumulate) or write v to a vector gradient's element i, when it has a buffer. */
static void store_element(const q8t_tensor *t, int32_t i, float v, bool accumulate) {
  if (t != NULL && t->grad != NULL) t->grad[i] = accumulate ? t->grad[i] + v : v;
}

/* The gradients of beta, gamma (through the shift; fold_weights adds the rest) and the layer's
   bias (through the shift; its own node adds the batch statistics' share), and the
   coefficients of dz, from the per-channel sums. */
static void parameter_grads(folded_ctx *f) {
  q8t_graph *g = f->g;
  q8t_node *node = f->node;
  const q8t_tensor *gamma = q8t_input_tensor(g, node, Q8T_BN_GAMMA);
  const q8t_tensor *beta = q8t_input_tensor(g, node, Q8T_BN_BETA);
  const q8t_tensor *bias = q8t_input_tensor(g, node, Q8T_FOLDED_BIAS);
  const float *mean = q8t_state_tensor(g, node, Q8T_BN_BATCH_MEAN)->data;
  const float *inv_std = q8t_state_tensor(g, node, Q8T_BN_BATCH_INV_STD)->data;
  float *k0 = coef(f, COEF_DZ_CONST), *k1 = coef(f, COEF_DZ_SLOPE);
  float *live = array(f, ARRAY_DIVISOR);
  if (f->from_folded) mark_live_channels(f, live);
  const int32_t nt = q8t_threads_count(g->threads);
  const double m = (double)f->rows, eps = node->attrs.bn_epsilon;
  for (int32_t i = 0; i < f->c; i++) {
    double a = 0.0, b = 0.0;
    for (int32_t t = 0; t < nt; t++) {
      a += partials(f, t)[i];
      b += partials(f, t)[f->c + i];
    }
    const double b_i = bias != NULL ? bias->data[i] : 0.0;
    store_element(beta, i, (float)a, node->accumulate[Q8T_BN_BETA]);
    if (f->from_folded && live[i] != 0.0f) {
      const double inv_var = (double)inv_std[i] * inv_std[i];
      store_element(gamma, i, (float)(b * (1.0 - eps * inv_var)), node->accumulate[Q8T_BN_GAMMA]);
      store_element(bias, i, 0.0f, node->accumulate[Q8T_FOLDED_BIAS]);
      k0[i] = (float)(a / m);
      k1[i] = (float)(b / m);
      continue;
    }
    store_element(gamma, i, (float)(a * (b_i - mean[i]) * inv_std[i]),
                  node->accumulate[Q8T_BN_GAMMA]);
    store_element(bias, i, (float)(a * gamma->data[i] * inv_std[i]),
                  node->accumulate[Q8T_FOLDED_BIAS]);
    if (f->from_folded) {
      k0[i] = k1[i] = 0.0f; /* moving statistics kept: the frozen gradient */
    } else {
      k0[i] = (float)(-(double)inv_std[i] * gamma->data[i] * a / m);
      k1[i] = (float)(-(double)inv_std[i] * inv_std[i] * b / m);
    }
  }
}

static void folded_backward(q8t_graph *g, q8t_node *node) {
  folded_ctx f = context(g, node, true);
  q8t_parallel(g, grad_sums_task, &f);
  parameter_grads(&f);
  /* Without batch statistics from it, z's layer did not run (graph.c) unless something else
     reads z. */
  const q8t_tensor *z = q8t_input_tensor(g, node, Q8T_IN_X);
  if (f.from_folded) {
    q8t_parallel(g, folded_layer_grad_task, &f);
  } else if (z->grad != NULL && (z->producer < 0 || g->running[z->producer])) {
    q8t_parallel(g, z_grad_task, &f);
  }
  /* The layer's backward last: it uses the scratch the coefficients were in. */
  q8t_node layer = layer_node(node, f.batch_mode);
  g->ops[layer.op]->backward(g, &layer);
}

const q8t_op_impl Q8T_ISA_NAME(q8t_conv_bn_folded_impl) = {"conv_bn_folded", folded_forward,
                                                           folded_backward, folded_scratch};
