/* bench-peers --layers: one-operator models on the ImageNet networks' layer shapes (MobileNet v1
   depthwise and pointwise layers, ResNet-50 3x3 convolutions, the classifiers), built as q8
   graphs in memory with random values and written by q8's TFLite writer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "peers-layers.h"
#include "tflite/writer.h"

const peer_layer_shape peer_layer_shapes[] = {
    {"mobilenet_v1 conv0 3x3 3->32 s2 @224", Q8_OP_CONV_2D, 224, 3, 32, 3, 2},
    {"mobilenet_v1 dw 3x3 32 s1 @112", Q8_OP_DEPTHWISE_CONV_2D, 112, 32, 32, 3, 1},
    {"mobilenet_v1 pw 32->64 @112", Q8_OP_CONV_2D, 112, 32, 64, 1, 1},
    {"mobilenet_v1 dw 3x3 64 s2 @112", Q8_OP_DEPTHWISE_CONV_2D, 112, 64, 64, 3, 2},
    {"mobilenet_v1 pw 128->128 @56", Q8_OP_CONV_2D, 56, 128, 128, 1, 1},
    {"mobilenet_v1 dw 3x3 128 s1 @56", Q8_OP_DEPTHWISE_CONV_2D, 56, 128, 128, 3, 1},
    {"mobilenet_v1 pw 256->256 @28", Q8_OP_CONV_2D, 28, 256, 256, 1, 1},
    {"mobilenet_v1 dw 3x3 512 s1 @14", Q8_OP_DEPTHWISE_CONV_2D, 14, 512, 512, 3, 1},
    {"mobilenet_v1 pw 512->512 @14", Q8_OP_CONV_2D, 14, 512, 512, 1, 1},
    {"mobilenet_v1 dw 3x3 1024 s1 @7", Q8_OP_DEPTHWISE_CONV_2D, 7, 1024, 1024, 3, 1},
    {"mobilenet_v1 pw 1024->1024 @7", Q8_OP_CONV_2D, 7, 1024, 1024, 1, 1},
    {"mobilenet_v1 fc 1024->1000", Q8_OP_FULLY_CONNECTED, 1, 1024, 1000, 1, 1},
    {"resnet50 conv1 7x7 3->64 s2 @224", Q8_OP_CONV_2D, 224, 3, 64, 7, 2},
    {"resnet50 pw 256->64 @56", Q8_OP_CONV_2D, 56, 256, 64, 1, 1},
    {"resnet50 conv 3x3 64->64 @56", Q8_OP_CONV_2D, 56, 64, 64, 3, 1},
    {"resnet50 conv 3x3 128->128 @28", Q8_OP_CONV_2D, 28, 128, 128, 3, 1},
    {"resnet50 conv 3x3 256->256 @14", Q8_OP_CONV_2D, 14, 256, 256, 3, 1},
    {"resnet50 conv 3x3 512->512 @7", Q8_OP_CONV_2D, 7, 512, 512, 3, 1},
    {"resnet50 fc 2048->1000", Q8_OP_FULLY_CONNECTED, 1, 2048, 1000, 1, 1},
};
const int peer_layer_shape_count = (int)(sizeof peer_layer_shapes / sizeof peer_layer_shapes[0]);

/* Everything one graph points to. */
typedef struct layer_model {
  q8_graph graph;
  q8_tensor tensors[4];
  q8_node node;
  int32_t node_in[3], node_out[1], graph_in[1], graph_out[1];
  float in_scale, out_scale, *w_scales, *b_scales;
  int32_t zero, in_zp, out_zp, *w_zps, *b_zps;
  void *weights, *bias;
} layer_model;

static uint32_t next_random(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*state >> 33);
}
static double uniform(uint64_t *state) { return next_random(state) / 2147483648.0 - 1.0; }

static void set_tensor(q8_tensor *t, const char *name, q8_type type, int32_t rank,
                       const int32_t *dims) {
  memset(t, 0, sizeof *t);
  t->name = name, t->type = type, t->rank = rank;
  memcpy(t->dims, dims, sizeof(int32_t) * (size_t)rank);
}

static void free_model(layer_model *m) {
  free(m->w_scales), free(m->b_scales), free(m->w_zps), free(m->b_zps);
  free(m->weights), free(m->bias);
  free(m);
}

/* Quantization: input scale 1/32 with zero point -8 (real spread about 2.3); per-channel weight
   scales chosen so that outputs spread about 2 before the ReLU6 clamp; output 6/255 with zero point -128
   (TFLite's ReLU6 output range). Float: inputs in [-1, 1], weights +-1/sqrt(K). */
static bool fill_values(layer_model *m, bool is_float, size_t nw, int32_t channels, int32_t k_sum,
                        uint64_t *rng) {
  const size_t es = is_float ? 4 : 1;
  m->weights = malloc(nw * es), m->bias = malloc((size_t)channels * 4);
  m->w_scales = malloc(sizeof(float) * (size_t)channels);
  m->b_scales = malloc(sizeof(float) * (size_t)channels);
  m->w_zps = calloc((size_t)channels, sizeof(int32_t));
  m->b_zps = calloc((size_t)channels, sizeof(int32_t));
  if (!m->weights || !m->bias || !m->w_scales || !m->b_scales || !m->w_zps || !m->b_zps) return false;
  for (size_t i = 0; i < nw; i++) {
    if (is_float) ((float *)m->weights)[i] = (float)(uniform(rng) / sqrt((double)k_sum));
    else ((int8_t *)m->weights)[i] = (int8_t)(next_random(rng) % 255u - 127);
  }
  m->in_scale = 1.0f / 32, m->in_zp = -8, m->out_scale = 6.0f / 255, m->out_zp = -128;
  for (int32_t c = 0; c < channels; c++) {
    m->w_scales[c] = (float)((1.0 + 0.25 * uniform(rng)) * 2.0 / (2.3 * 73.0 * sqrt((double)k_sum)));
    m->b_scales[c] = m->in_scale * m->w_scales[c];
    if (is_float) ((float *)m->bias)[c] = (float)(0.1 * uniform(rng));
    else ((int32_t *)m->bias)[c] = (int32_t)(uniform(rng) * 0.1 / m->b_scales[c]);
  }
  return true;
}

static void quantize_tensors(layer_model *m, bool per_channel, int32_t channels, int32_t axis) {
  q8_tensor *t = m->tensors;
  t[0].quant = (q8_quant){1, &m->in_scale, &m->in_zp, 0};
  t[1].quant = per_channel ? (q8_quant){channels, m->w_scales, m->w_zps, axis}
                           : (q8_quant){1, m->w_scales, m->w_zps, 0};
  if (!per_channel) {
    for (int32_t c = 0; c < channels; c++) m->b_scales[c] = m->in_scale * m->w_scales[0];
    for (int32_t c = 0; c < channels; c++)
      ((int32_t *)m->bias)[c] = (int32_t)(((int32_t *)m->bias)[c] * (double)m->w_scales[c] / m->w_scales[0]);
  }
  t[2].quant = per_channel ? (q8_quant){channels, m->b_scales, m->b_zps, 0}
                           : (q8_quant){1, m->b_scales, m->b_zps, 0};
  t[3].quant = (q8_quant){1, &m->out_scale, &m->out_zp, 0};
}

q8_status peer_layer_model(const peer_layer_shape *s, bool is_float, uint8_t **file, size_t *size,
                           q8_error *error) {
  layer_model *m = calloc(1, sizeof *m);
  if (!m) return Q8_ERROR_OUT_OF_MEMORY;
  uint64_t rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)(s->h * 131 + s->c * 7 + s->oc);
  const q8_type at = is_float ? Q8_TYPE_FLOAT32 : Q8_TYPE_INT8;
  const bool fc = s->kind == Q8_OP_FULLY_CONNECTED, dw = s->kind == Q8_OP_DEPTHWISE_CONV_2D;
  const int32_t oh = (s->h + s->stride - 1) / s->stride;
  const int32_t in_dims[4] = {1, s->h, s->h, s->c}, out_dims[4] = {1, oh, oh, s->oc};
  const int32_t fc_in[2] = {1, s->c}, fc_out[2] = {1, s->oc}, fc_w[2] = {s->oc, s->c};
  const int32_t conv_w[4] = {s->oc, s->k, s->k, s->c}, dw_w[4] = {1, s->k, s->k, s->oc};
  const int32_t b_dims[1] = {s->oc};
  set_tensor(&m->tensors[0], "input", at, fc ? 2 : 4, fc ? fc_in : in_dims);
  set_tensor(&m->tensors[1], "weights", at, fc ? 2 : 4, fc ? fc_w : dw ? dw_w : conv_w);
  set_tensor(&m->tensors[2], "bias", is_float ? Q8_TYPE_FLOAT32 : Q8_TYPE_INT32, 1, b_dims);
  set_tensor(&m->tensors[3], "output", at, fc ? 2 : 4, fc ? fc_out : out_dims);
  const size_t nw = q8_tensor_elements(&m->tensors[1]);
  const int32_t k_sum = fc ? s->c : dw ? s->k * s->k : s->k * s->k * s->c;
  if (!fill_values(m, is_float, nw, s->oc, k_sum, &rng)) {
    free_model(m);
    return Q8_ERROR_OUT_OF_MEMORY;
  }
  if (!is_float) quantize_tensors(m, !fc, s->oc, dw ? 3 : 0);
  m->tensors[1].data = m->weights, m->tensors[1].data_size = nw * q8_type_size(at);
  m->tensors[2].data = m->bias, m->tensors[2].data_size = (size_t)s->oc * 4;
  m->node.kind = s->kind;
  m->node.n_inputs = 3, m->node.n_outputs = 1;
  m->node_in[0] = 0, m->node_in[1] = 1, m->node_in[2] = 2, m->node_out[0] = 3;
  m->node.inputs = m->node_in, m->node.outputs = m->node_out;
  if (fc) {
    m->node.opt.fully_connected.activation = Q8_ACT_NONE;
  } else {
    m->node.opt.conv.padding = Q8_PADDING_SAME;
    m->node.opt.conv.stride_h = m->node.opt.conv.stride_w = s->stride;
    m->node.opt.conv.dilation_h = m->node.opt.conv.dilation_w = 1;
    m->node.opt.conv.depth_multiplier = dw ? 1 : 0;
    m->node.opt.conv.activation = Q8_ACT_RELU6;
  }
  m->graph_in[0] = 0, m->graph_out[0] = 3;
  m->graph = (q8_graph){.n_tensors = 4, .tensors = m->tensors, .n_nodes = 1, .nodes = &m->node,
                        .n_inputs = 1, .inputs = m->graph_in, .n_outputs = 1,
                        .outputs = m->graph_out};
  const q8_status st = q8_tflite_write(&m->graph, file, size, error);
  free_model(m);
  return st;
}
