/* Test helper: tiny classifiers with a known ranking (see classifier-models.h). */
#include "classifier-models.h"

#include <stdlib.h>
#include <string.h>

enum { INPUT, WEIGHTS, BIAS, SCORES, PROBS, RESHAPED };

int32_t t_classifier_pixel(int32_t c) { return c * 78 + 39; }

static void set_tensor(t_classifier *m, int t, const char *name, q8_type type, int32_t rank,
                       const int32_t *dims, float scale, int32_t zero_point) {
  q8_tensor *x = &m->tensors[t];
  memset(x, 0, sizeof *x);
  x->name = name;
  x->type = type;
  x->rank = rank;
  memcpy(x->dims, dims, sizeof(int32_t) * (size_t)rank);
  m->scales[t] = scale;
  m->zero_points[t] = zero_point;
  x->quant = (q8_quant){1, &m->scales[t], &m->zero_points[t], 0};
}

static void set_node(t_classifier *m, int n, q8_op_kind kind, int32_t in, int32_t out) {
  q8_node *node = &m->nodes[n];
  memset(node, 0, sizeof *node);
  node->kind = kind;
  m->lists[n][0][0] = in;
  m->lists[n][1][0] = out;
  node->n_inputs = 1;
  node->inputs = m->lists[n][0];
  node->n_outputs = 1;
  node->outputs = m->lists[n][1];
}

static void add_layers(t_classifier *m, const t_classifier_spec *spec) {
  const bool is_int8 = spec->type == Q8_TYPE_INT8;
  const int32_t act_zp = is_int8 ? -128 : 0, classes = spec->classes;
  const int32_t scores_dims[2] = {1, classes};
  set_tensor(m, SCORES, "scores", spec->type, 2, scores_dims, 1.0f / 255, act_zp);
  set_node(m, 0, Q8_OP_FULLY_CONNECTED, INPUT, SCORES);
  m->nodes[0].n_inputs = 3;
  m->lists[0][0][1] = WEIGHTS;
  m->lists[0][0][2] = BIAS;
  m->graph.n_nodes = 1;
  m->graph.n_tensors = SCORES + 1;
  m->graph_output = SCORES;
  if (spec->softmax) {
    set_tensor(m, PROBS, "probabilities", spec->type, 2, scores_dims, 1.0f / 256, act_zp);
    set_node(m, 1, Q8_OP_SOFTMAX, SCORES, PROBS);
    m->nodes[1].opt.softmax.beta = 1.0f;
    m->graph.n_nodes = 2;
    m->graph.n_tensors = PROBS + 1;
    m->graph_output = PROBS;
  }
  if (spec->softmax && spec->reshape_after) {
    set_tensor(m, RESHAPED, "reshaped", spec->type, 1, &classes, 1.0f / 256, act_zp);
    set_node(m, 2, Q8_OP_RESHAPE, PROBS, RESHAPED);
    m->nodes[2].opt.reshape.has_new_shape = true;
    m->nodes[2].opt.reshape.rank = 1;
    m->nodes[2].opt.reshape.new_shape[0] = classes;
    m->graph.n_nodes = 3;
    m->graph.n_tensors = RESHAPED + 1;
    m->graph_output = RESHAPED;
  }
}

int t_classifier_build(t_classifier *m, const t_classifier_spec *spec) {
  memset(m, 0, sizeof *m);
  const bool is_int8 = spec->type == Q8_TYPE_INT8;
  const int32_t pixels = spec->pixels, classes = spec->classes;
  m->weights = malloc((size_t)classes * (size_t)pixels);
  m->bias = calloc((size_t)classes, sizeof(int32_t));
  if (m->weights == NULL || m->bias == NULL) {
    t_classifier_free(m);
    return -1;
  }
  /* int8 weights are symmetric (zero point 0); uint8 ones carry zero point 128. */
  const uint8_t zero = is_int8 ? 0 : 128;
  memset(m->weights, zero, (size_t)classes * (size_t)pixels);
  for (int32_t c = 0; c < classes; c++)
    if (t_classifier_pixel(c) < pixels) m->weights[(size_t)c * pixels + t_classifier_pixel(c)] = zero + 127;
  const int32_t image_dims[4] = {1, 28, 28, 1}, flat_dims[2] = {1, pixels};
  const int32_t weight_dims[2] = {classes, pixels};
  if (spec->image_input)
    set_tensor(m, INPUT, "image", spec->type, 4, image_dims, 1.0f / 255, is_int8 ? -128 : 0);
  else
    set_tensor(m, INPUT, "image", spec->type, 2, flat_dims, 1.0f / 255, is_int8 ? -128 : 0);
  set_tensor(m, WEIGHTS, "weights", spec->type, 2, weight_dims, 1.0f / 127, zero);
  m->tensors[WEIGHTS].data = m->weights;
  m->tensors[WEIGHTS].data_size = (size_t)classes * (size_t)pixels;
  set_tensor(m, BIAS, "bias", Q8_TYPE_INT32, 1, &classes, m->scales[INPUT] * m->scales[WEIGHTS], 0);
  m->tensors[BIAS].data = m->bias;
  m->tensors[BIAS].data_size = (size_t)classes * sizeof(int32_t);
  add_layers(m, spec);
  m->graph_input = INPUT;
  m->graph.tensors = m->tensors;
  m->graph.nodes = m->nodes;
  m->graph.n_inputs = 1;
  m->graph.inputs = &m->graph_input;
  m->graph.n_outputs = 1;
  m->graph.outputs = &m->graph_output;
  return 0;
}

void t_classifier_free(t_classifier *m) {
  free(m->weights);
  free(m->bias);
  m->weights = NULL;
  m->bias = NULL;
}
