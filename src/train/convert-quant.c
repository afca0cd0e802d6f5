/* The converter's numbers: batch-norm folding with the moving statistics, the weight grids of
   each scheme (the one definition that fake quantization shares), and quantizing a weight
   tensor and its bias on them. Grids, codes and scales come from src/quant/range.h only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "train/convert-internal.h"

const char *q8t_scheme_name(q8t_scheme scheme) {
  return scheme == Q8T_SCHEME_UINT8 ? "uint8" : scheme == Q8T_SCHEME_INT8 ? "int8" : "unknown";
}

q8_type q8t_scheme_type(q8t_scheme scheme) {
  return scheme == Q8T_SCHEME_INT8 ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
}

q8_quant_params q8t_export_input_params(q8_type type) {
  return (q8_quant_params){1.0f / 255.0f, type == Q8_TYPE_INT8 ? -128 : 0};
}

/* Output channels of a weight tensor and the channel of element i (TFLite's layouts). */
int32_t q8t_weight_channels(q8t_op op, const int32_t *dims) {
  return op == Q8T_OP_DEPTHWISE_CONV ? dims[3] : dims[0];
}

static size_t weight_count(q8t_op op, const int32_t *dims) {
  return op == Q8T_OP_FULLY_CONNECTED ? (size_t)dims[0] * (size_t)dims[1]
                                      : (size_t)dims[0] * dims[1] * dims[2] * dims[3];
}

static int32_t channel_of(q8t_op op, const int32_t *dims, size_t i) {
  if (op == Q8T_OP_DEPTHWISE_CONV) return (int32_t)(i % (size_t)dims[3]);
  return (int32_t)(i / (weight_count(op, dims) / (size_t)dims[0]));
}

static bool has_weights(q8t_op op) {
  return op == Q8T_OP_CONV || op == Q8T_OP_DEPTHWISE_CONV || op == Q8T_OP_FULLY_CONNECTED;
}

int32_t q8t_convert_weight_tensor(const q8t_graph *g, int32_t node) {
  const int32_t w = g->nodes[node].inputs[Q8T_IN_WEIGHTS];
  const int32_t p = g->tensors[w].producer;
  return p >= 0 && g->nodes[p].op == Q8T_OP_FAKE_QUANT ? g->nodes[p].inputs[Q8T_IN_X] : w;
}

int32_t q8t_convert_weight_channels(const q8t_graph *g, int32_t node) {
  return q8t_weight_channels(g->nodes[node].op, g->tensors[q8t_convert_weight_tensor(g, node)].dims);
}

size_t q8t_convert_weight_count(const q8t_graph *g, int32_t node) {
  return weight_count(g->nodes[node].op, g->tensors[q8t_convert_weight_tensor(g, node)].dims);
}

static q8_status check_fold(const q8t_graph *g, int32_t node, int32_t bn, q8_error *error) {
  if (g == NULL || node < 0 || node >= g->n_nodes || !has_weights(g->nodes[node].op))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "fold: node %d is not a convolution or fully connected layer", (int)node);
  if (bn < 0) return Q8_OK;
  if (bn >= g->n_nodes ||
      (g->nodes[bn].op != Q8T_OP_BATCH_NORM && g->nodes[bn].op != Q8T_OP_CONV_BN_FOLDED) ||
      g->nodes[bn].inputs[Q8T_IN_X] != g->nodes[node].output)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "fold: node %d is not a batch norm reading '%s'", (int)bn,
                   g->nodes[node].name);
  if (!g->allocated)
    return q8_fail(error, Q8_ERROR_STATE, "fold: the graph has no values (not allocated)");
  return Q8_OK;
}

q8_status q8t_fold_batch_norm(const q8t_graph *g, int32_t node, int32_t bn, float *weights,
                              float *bias, q8_error *error) {
  q8_status s = check_fold(g, node, bn, error);
  if (s != Q8_OK) return s;
  const q8t_node *n = &g->nodes[node];
  const q8t_tensor *w = &g->tensors[q8t_convert_weight_tensor(g, node)];
  const float *b = n->inputs[Q8T_IN_BIAS] >= 0 ? g->tensors[n->inputs[Q8T_IN_BIAS]].data : NULL;
  const int32_t channels = q8t_weight_channels(n->op, w->dims);
  const size_t count = weight_count(n->op, w->dims);
  if (bn < 0) {
    memcpy(weights, w->data, count * sizeof *weights);
    for (int32_t c = 0; c < channels; c++) bias[c] = b != NULL ? b[c] : 0.0f;
    return Q8_OK;
  }
  const q8t_node *norm = &g->nodes[bn];
  const float *gamma = g->tensors[norm->inputs[Q8T_BN_GAMMA]].data;
  const float *beta = g->tensors[norm->inputs[Q8T_BN_BETA]].data;
  const float *mean = g->tensors[norm->state[Q8T_BN_MOVING_MEAN]].data;
  const float *var = g->tensors[norm->state[Q8T_BN_MOVING_VAR]].data;
  float *k = malloc((size_t)channels * sizeof *k);
  if (k == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory folding");
  /* The inference forward's own float steps (op-batch-norm.c), one rounding per statement. */
  for (int32_t c = 0; c < channels; c++) {
    const float inv_std = (float)(1.0 / sqrt((double)var[c] + norm->attrs.bn_epsilon));
    k[c] = gamma[c] * inv_std;
    const float product = mean[c] * k[c];
    const float shift = beta[c] - product;
    const float scaled_bias = b != NULL ? b[c] * k[c] : 0.0f;
    bias[c] = scaled_bias + shift;
  }
  for (size_t i = 0; i < count; i++) weights[i] = w->data[i] * k[channel_of(n->op, w->dims, i)];
  free(k);
  return Q8_OK;
}

q8_status q8t_weight_grids(q8t_op op, int32_t rank, const int32_t *dims, const float *values,
                           q8t_scheme scheme, int bits, q8_quant_grid *grids, int32_t *count,
                           q8_error *error) {
  *count = 0;
  if (!has_weights(op) || rank != (op == Q8T_OP_FULLY_CONNECTED ? 2 : 4))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "weight grids: a %s node with rank-%d weights has none", q8t_op_name(op),
                   (int)rank);
  const size_t n = weight_count(op, dims);
  const int32_t channels = q8t_weight_channels(op, dims);
  if (scheme == Q8T_SCHEME_UINT8) {
    float lo, hi;
    q8_status s = q8_quant_minmax(values, n, &lo, &hi, error);
    if (s == Q8_OK) s = q8_quant_grid_from_range(lo, hi, bits, true, &grids[0], error);
    if (s == Q8_OK) *count = 1;
    return s;
  }
  if (op == Q8T_OP_FULLY_CONNECTED) {
    float lo, hi;
    q8_status s = q8_quant_minmax(values, n, &lo, &hi, error);
    if (s == Q8_OK) s = q8_quant_grid_symmetric(fmaxf(-lo, hi), bits, &grids[0], error);
    if (s == Q8_OK) *count = 1;
    return s;
  }
  const size_t per = n / (size_t)channels;
  const q8_status s =
      op == Q8T_OP_CONV
          ? q8_quant_grids_symmetric_per_channel(values, channels, per, per, 1, bits, grids, error)
          : q8_quant_grids_symmetric_per_channel(values, channels, per, 1, channels, bits, grids,
                                                 error);
  if (s == Q8_OK) *count = channels;
  return s;
}

/* The grid with the smallest scale >= wanted that keeps grid's kind, bits and (roughly) its
   ends: the bias-safe rule raised the scale. */
static q8_status widen_grid(q8_quant_grid *grid, float wanted, q8_error *error) {
  const q8_quant_grid old = *grid;
  float factor = wanted / old.scale;
  for (int attempt = 0; attempt < 64; attempt++) {
    const q8_status s =
        old.symmetric
            ? q8_quant_grid_symmetric(wanted * (float)old.quant_max, old.bits, grid, error)
            : q8_quant_grid_from_range(old.nudged_min * factor, old.nudged_max * factor, old.bits,
                                       old.narrow_range, grid, error);
    if (s != Q8_OK) return s;
    if (grid->scale >= wanted) return Q8_OK;
    wanted = nextafterf(wanted, INFINITY);
    factor = nextafterf(factor, INFINITY);
  }
  return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "no weight grid reaches scale %g",
                 (double)wanted);
}

/* Raises grid scales until every bias quantizes inside the middle half of int32. */
static q8_status make_bias_safe(const q8t_quantized *qz, q8_quant_grid *grids, float input_scale,
                                const float *bias, int32_t *adjusted, q8_error *error) {
  for (int32_t j = 0; j < qz->grid_count; j++) {
    float worst = 0.0f;
    for (int32_t c = 0; c < qz->channels; c++)
      if ((qz->grid_count == 1 || c == j) && fabsf(bias[c]) > fabsf(worst)) worst = bias[c];
    float safe;
    q8_status s = q8_quant_bias_safe_weight_scale(grids[j].scale, worst, input_scale, &safe, error);
    if (s == Q8_OK && safe > grids[j].scale) {
      s = widen_grid(&grids[j], safe, error);
      *adjusted += qz->grid_count == 1 ? qz->channels : 1;
    }
    if (s != Q8_OK) return s;
  }
  return Q8_OK;
}

static q8_status store_weights(q8t_quantized *qz, const q8_quant_grid *grids, const float *w,
                               q8_type type, q8_error *error) {
  int32_t offsets[1] = {0};
  int32_t *offset = qz->grid_count == 1 ? offsets : malloc((size_t)qz->grid_count * sizeof *offset);
  if (offset == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  q8_status s = Q8_OK;
  for (int32_t j = 0; j < qz->grid_count && s == Q8_OK; j++) {
    q8_quant_params p;
    s = q8_quant_grid_storage(&grids[j], type, &p, &offset[j], error);
    qz->weight_scale[j] = p.scale;
    qz->weight_zero_point[j] = p.zero_point;
  }
  for (size_t i = 0; i < qz->count && s == Q8_OK; i++) {
    const int32_t j = qz->grid_count == 1 ? 0 : channel_of(qz->op, qz->dims, i);
    const int32_t v = q8_quant_grid_code(&grids[j], w[i]) + offset[j];
    if (type == Q8_TYPE_INT8) {
      ((int8_t *)qz->codes)[i] = (int8_t)v;
    } else {
      ((uint8_t *)qz->codes)[i] = (uint8_t)v;
    }
  }
  if (offset != offsets) free(offset);
  return s;
}

/* Bias codes: bias_c / (input_scale * weight_scale_c), rounded half away from zero. */
static void store_bias(q8t_quantized *qz, float input_scale, const float *bias) {
  for (int32_t c = 0; c < qz->channels; c++) {
    const int32_t j = qz->grid_count == 1 ? 0 : c;
    const float scale = input_scale * qz->weight_scale[j];
    if (c == j) qz->bias_scale[j] = scale;
    double q = round((double)bias[c] / (double)scale);
    if (q > INT32_MAX) q = INT32_MAX;
    if (q < -INT32_MAX) q = -INT32_MAX;
    qz->bias[c] = (int32_t)q;
  }
}

static q8_status check_handed_over(const q8t_quantized *qz, const q8t_grid_set *h,
                                   q8t_scheme scheme, const char *name, q8_error *error) {
  if (h->count != 1 && h->count != qz->channels)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "'%s': %d weight grids handed over, expected 1 or %d", name, (int)h->count,
                   (int)qz->channels);
  if (scheme == Q8T_SCHEME_UINT8 && h->count != 1)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "'%s': %d weight grids handed over; uint8 weights have one per tensor", name,
                   (int)h->count);
  for (int32_t j = 0; j < h->count; j++)
    if (scheme == Q8T_SCHEME_INT8 && !h->grids[j].symmetric)
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                     "'%s': weight grid %d is asymmetric; int8 weights are symmetric", name,
                     (int)j);
  return Q8_OK;
}

static q8_status choose_grids(const q8t_graph *g, q8t_quantized *qz, const float *w,
                              const q8t_convert_setup *setup, q8_quant_grid *grids,
                              q8_error *error) {
  const q8t_node *n = &g->nodes[qz->node];
  const int32_t wt = q8t_convert_weight_tensor(g, qz->node);
  const q8t_grid_set *h = setup->ranges != NULL ? &setup->ranges->weights[wt] : NULL;
  if (h != NULL && h->count > 0) {
    const q8_status s = check_handed_over(qz, h, setup->scheme, g->tensors[wt].name, error);
    if (s != Q8_OK) return s;
    memcpy(grids, h->grids, (size_t)h->count * sizeof *grids);
    qz->grid_count = h->count;
    qz->handed_over = true;
    return Q8_OK;
  }
  const q8_status s = q8t_weight_grids(n->op, g->tensors[wt].rank, qz->dims, w, setup->scheme,
                                       setup->weight_bits, grids, &qz->grid_count, error);
  if (s != Q8_OK) q8_error_prefix(error, "weights '%s'", g->tensors[wt].name);
  return s;
}

q8_status q8t_quantize_weights(const q8t_graph *g, int32_t node, int32_t bn, float input_scale,
                               const q8t_convert_setup *setup, q8t_quantized *qz,
                               q8_error *error) {
  const q8t_node *n = &g->nodes[node];
  const q8t_tensor *wt = &g->tensors[q8t_convert_weight_tensor(g, node)];
  qz->node = node;
  qz->op = n->op;
  memcpy(qz->dims, wt->dims, sizeof qz->dims);
  qz->channels = q8t_weight_channels(n->op, wt->dims);
  qz->count = weight_count(n->op, wt->dims);
  float *w = malloc(qz->count * sizeof *w);
  float *b = malloc((size_t)qz->channels * sizeof *b);
  q8_quant_grid *grids = malloc((size_t)qz->channels * sizeof *grids);
  q8_status s = Q8_OK;
  if (w == NULL || b == NULL || grids == NULL)
    s = q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory quantizing '%s'", n->name);
  if (s == Q8_OK) s = q8t_fold_batch_norm(g, node, bn, w, b, error);
  if (s == Q8_OK) s = choose_grids(g, qz, w, setup, grids, error);
  for (int32_t j = 0; s == Q8_OK && j < qz->grid_count; j++)
    qz->min_scale += grids[j].scale <= Q8_QUANT_MIN_SCALE;
  if (s == Q8_OK) s = make_bias_safe(qz, grids, input_scale, b, &qz->bias_adjusted, error);
  if (s == Q8_OK) s = store_weights(qz, grids, w, setup->type, error);
  if (s == Q8_OK) store_bias(qz, input_scale, b);
  if (s == Q8_OK && qz->folded_bias != NULL)
    memcpy(qz->folded_bias, b, (size_t)qz->channels * sizeof *b);
  if (s != Q8_OK) q8_error_prefix(error, "%s", n->name);
  free(w);
  free(b);
  free(grids);
  return s;
}
