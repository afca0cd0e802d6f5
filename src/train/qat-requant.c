/* The exported output stage of a layer, for the fake quantization that follows it (see
   qat-requant.h). The parameters come from the converter's own code (q8t_quantize_weights: the
   folded weights' grids, the bias-safe rule, the int32 bias) and src/quant's multiplier rule, so
   that they are the exported model's. */
#include "train/qat-requant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "quant/multiplier.h"
#include "train/convert-internal.h"
#include "train/qat-internal.h"

/* The layer behind a fake-quant node's input, in the exported operator's terms. */
typedef struct layer_ref {
  int32_t layer;   /* the weighted node (conv, depthwise, fully connected) */
  int32_t bn;      /* its folded batch norm (CONV_BN_FOLDED), or -1 */
  int32_t x;       /* the layer's input tensor */
  q8_activation activation;
} layer_ref;

static bool is_weighted(q8t_op op) {
  return op == Q8T_OP_CONV || op == Q8T_OP_DEPTHWISE_CONV || op == Q8T_OP_FULLY_CONNECTED;
}

/* Finds the layer whose output (through a fused activation node) t holds; false when t is not
   such an output, or the layer is not in its exported form in this pass. */
static bool find_layer(const q8t_graph *g, int32_t t, layer_ref *ref) {
  int32_t p = g->tensors[t].producer;
  if (p < 0) return false;
  ref->activation = Q8_ACT_NONE;
  if (g->nodes[p].op == Q8T_OP_ACTIVATION) {
    ref->activation = g->nodes[p].attrs.activation;
    p = g->tensors[g->nodes[p].inputs[Q8T_IN_X]].producer;
    if (p < 0) return false;
  }
  const q8t_node *node = &g->nodes[p];
  if (ref->activation == Q8_ACT_NONE) ref->activation = node->attrs.activation;
  if (node->op == Q8T_OP_CONV_BN_FOLDED) {
    if (q8t_qat_batch_statistics(g, node, g->training, false)) return false;
    ref->bn = p;
    ref->layer = g->tensors[node->inputs[Q8T_IN_X]].producer;
    ref->x = node->inputs[Q8T_FOLDED_LAYER_X];
    return ref->layer >= 0 && is_weighted(g->nodes[ref->layer].op);
  }
  if (!is_weighted(node->op)) return false;
  ref->layer = p;
  ref->bn = -1;
  ref->x = node->inputs[Q8T_IN_X];
  return true;
}

/* The exported scale of the layer's input: the image input's fixed one, or the grid of the
   fake-quant node that produces it; false when it is neither or has no grid. */
static bool input_scale(const q8t_graph *g, int32_t x, q8_type type, float *scale) {
  if (x == g->input) {
    *scale = q8t_export_input_params(type).scale;
    return true;
  }
  const q8t_node *fq = q8t_qat_fake_quant_of(g, x);
  if (fq == NULL || fq->attrs.qat.fq_kind == Q8T_FQ_WEIGHTS || fq->attrs.qat.bits != Q8_QUANT_MAX_BITS)
    return false;
  const float *state = g->tensors[fq->state[Q8T_FQ_RANGE]].data;
  const q8_range_tracker range = {state[0], state[1], state[2] != 0.0f};
  q8_quant_grid grid;
  q8_quant_params params;
  int32_t offset;
  q8_error ignored;
  if (!range.initialized ||
      q8_range_tracker_grid(&range, Q8_QUANT_MAX_BITS, false, &grid, &ignored) != Q8_OK ||
      q8_quant_grid_storage(&grid, type, &params, &offset, &ignored) != Q8_OK)
    return false;
  *scale = params.scale;
  return true;
}

void q8t_requant_free(q8t_requant *rq) {
  free(rq->bias);
  free(rq->inv_acc_scale);
  free(rq->bias_code);
  free(rq->multiplier);
  free(rq->shift);
  free(rq->band);
  memset(rq, 0, sizeof *rq);
}

static bool alloc_requant(q8t_requant *rq, int32_t channels) {
  const size_t n = (size_t)channels;
  rq->channels = channels;
  rq->bias = malloc(n * sizeof *rq->bias);
  rq->inv_acc_scale = malloc(n * sizeof *rq->inv_acc_scale);
  rq->bias_code = malloc(n * sizeof *rq->bias_code);
  rq->multiplier = malloc(n * sizeof *rq->multiplier);
  rq->shift = malloc(n * sizeof *rq->shift);
  rq->band = malloc(n * sizeof *rq->band);
  return rq->bias && rq->inv_acc_scale && rq->bias_code && rq->multiplier && rq->shift &&
         rq->band;
}

/* The output side: zero point, clamp codes, grid. */
static q8_status output_stage(const q8_quant_grid *grid, q8_type type, q8_activation act,
                              q8t_requant *rq, float *out_scale, q8_error *error) {
  q8_quant_params params;
  int32_t offset;
  q8_status s = q8_quant_grid_storage(grid, type, &params, &offset, error);
  if (s != Q8_OK) return s;
  const int32_t qmin = type == Q8_TYPE_INT8 ? -128 : 0, qmax = type == Q8_TYPE_INT8 ? 127 : 255;
  if (q8_activation_range(act, params.scale, params.zero_point, qmin, qmax, &rq->act_min,
                          &rq->act_max) != 0)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "fused %s at scale %g does not fit",
                   q8_activation_name(act), (double)params.scale);
  rq->zero_point = params.zero_point;
  rq->to_container = grid->quant_min + offset;
  rq->grid = *grid;
  rq->act_low = act == Q8_ACT_NONE ? -INFINITY : act == Q8_ACT_RELU_N1_TO_1 ? -1.0f : 0.0f;
  rq->act_high = act == Q8_ACT_RELU6 ? 6.0f : act == Q8_ACT_RELU_N1_TO_1 ? 1.0f : INFINITY;
  *out_scale = params.scale;
  return Q8_OK;
}

/* Multipliers and accumulator scales from the quantized layer, as the runtime prepares them
   (ops/conv-quant-prepare.c: per tensor for uint8 and a fully connected layer with one weight
   scale). */
static q8_status channel_stage(const q8t_quantized *qz, q8_type type, float in_scale,
                               float out_scale, q8t_requant *rq, q8_error *error) {
  const bool per_tensor = type == Q8_TYPE_UINT8 ||
                          (qz->op == Q8T_OP_FULLY_CONNECTED && qz->grid_count == 1);
  for (int32_t c = 0; c < rq->channels; c++) {
    const float w_scale = qz->weight_scale[qz->grid_count == 1 ? 0 : c];
    const double real = q8_conv_real_multiplier(per_tensor, in_scale, w_scale, out_scale);
    int shift = 0;
    if (q8_quantize_multiplier(real, &rq->multiplier[c], &shift) != 0)
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                     "channel %d: effective scale %g has no Q31 multiplier", (int)c, real);
    rq->shift[c] = shift;
    const int right_shift = shift < 0 ? -shift : 0;
    rq->band[c] = (float)(0.5 * real + ldexp(0.5, -right_shift) + 1e-3);
    if (rq->band[c] > rq->widest_band) rq->widest_band = rq->band[c];
    rq->bias_code[c] = qz->bias[c];
    rq->inv_acc_scale[c] = 1.0 / ((double)in_scale * (double)w_scale);
  }
  return Q8_OK;
}

/* The converter's quantization of the layer (weights, int32 bias) and its float bias. */
static q8_status quantize_layer(const q8t_graph *g, const layer_ref *ref, const q8t_node *wfq,
                                float in_scale, q8_type type, q8t_quantized *qz, float *bias,
                                q8_error *error) {
  const int32_t channels = q8t_convert_weight_channels(g, ref->layer);
  const size_t count = q8t_convert_weight_count(g, ref->layer);
  memset(qz, 0, sizeof *qz);
  qz->codes = malloc(count);
  qz->weight_scale = malloc((size_t)channels * sizeof(float));
  qz->weight_zero_point = malloc((size_t)channels * sizeof(int32_t));
  qz->bias = malloc((size_t)channels * sizeof(int32_t));
  qz->bias_scale = malloc((size_t)channels * sizeof(float));
  qz->folded_bias = bias;
  q8_status s = Q8_OK;
  if (!qz->codes || !qz->weight_scale || !qz->weight_zero_point || !qz->bias || !qz->bias_scale)
    s = q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  const q8t_convert_setup setup = {.scheme = (q8t_scheme)wfq->attrs.qat.scheme,
                                   .type = type,
                                   .weight_bits = wfq->attrs.qat.bits};
  if (s == Q8_OK) s = q8t_quantize_weights(g, ref->layer, ref->bn, in_scale, &setup, qz, error);
  return s;
}

static void free_quantized(q8t_quantized *qz) {
  free(qz->codes);
  free(qz->weight_scale);
  free(qz->weight_zero_point);
  free(qz->bias);
  free(qz->bias_scale);
}

/* The fake-quant node on the layer's weights (folded or not), or NULL. */
static const q8t_node *weights_fq(const q8t_graph *g, const layer_ref *ref) {
  return q8t_qat_fake_quant_of(g, ref->bn >= 0 ? g->nodes[ref->bn].inputs[Q8T_FOLDED_WEIGHTS]
                                               : g->nodes[ref->layer].inputs[Q8T_IN_WEIGHTS]);
}

q8_status q8t_requant_plan(const q8t_graph *g, const q8t_node *fq, const q8_quant_grid *out_grid,
                           q8t_requant *rq, bool *applies, q8_error *error) {
  memset(rq, 0, sizeof *rq);
  *applies = false;
  layer_ref ref;
  if (out_grid->bits != Q8_QUANT_MAX_BITS || !find_layer(g, fq->inputs[Q8T_IN_X], &ref))
    return Q8_OK;
  const q8t_node *wfq = weights_fq(g, &ref);
  if (wfq == NULL) return Q8_OK;
  const q8_type type = q8t_scheme_type((q8t_scheme)wfq->attrs.qat.scheme);
  float in_scale, out_scale = 0.0f;
  if (!input_scale(g, ref.x, type, &in_scale)) return Q8_OK;
  const q8t_tensor *out = &g->tensors[fq->inputs[Q8T_IN_X]];
  const int32_t channels = out->dims[out->rank - 1];
  if (channels != q8t_convert_weight_channels(g, ref.layer)) return Q8_OK;
  if (!alloc_requant(rq, channels)) {
    q8t_requant_free(rq);
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  q8t_quantized qz;
  q8_status s = quantize_layer(g, &ref, wfq, in_scale, type, &qz, rq->bias, error);
  if (s == Q8_OK) s = output_stage(out_grid, type, ref.activation, rq, &out_scale, error);
  if (s == Q8_OK) s = channel_stage(&qz, type, in_scale, out_scale, rq, error);
  free_quantized(&qz);
  if (s != Q8_OK) {
    q8t_requant_free(rq);
    return s;
  }
  *applies = true;
  return Q8_OK;
}
