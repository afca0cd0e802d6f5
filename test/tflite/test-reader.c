/* TFLite reader: the shared models against their READMEs, and hand-built models (valid and broken). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "tflite/reader.h"
#include "util/tflite-spec.h"
#include "util/test-util.h"

/* ======================================================================================
   Part 1: the shared models, checked against what the shared testdata READMEs state.
   ====================================================================================== */

static int count_kind(const q8_graph *g, q8_op_kind kind) {
  int n = 0;
  for (int32_t i = 0; i < g->n_nodes; i++) n += g->nodes[i].kind == kind;
  return n;
}

static bool dims_equal(const q8_tensor *t, int rank, const int32_t *dims) {
  if (t->rank != rank) return false;
  for (int i = 0; i < rank; i++) {
    if (t->dims[i] != dims[i]) return false;
  }
  return true;
}

static void check_io(const char *model, const q8_graph *g, const q8_tensor *t, const char *which,
                     q8_type type, int rank, const int32_t *dims, double scale, int32_t zp) {
  T_CHECK(t->type == type, "%s %s type %s", model, which, q8_type_name(t->type));
  T_CHECK(dims_equal(t, rank, dims), "%s %s shape rank %d [%d,%d,...]", model, which, t->rank,
          t->dims[0], t->dims[1]);
  T_CHECK(t->quant.count == 1, "%s %s quant count %d", model, which, t->quant.count);
  if (t->quant.count != 1) return;
  /* README values are printed rounded to 4 significant digits. */
  T_CHECK(fabs(t->quant.scale[0] - scale) <= scale * 5e-4, "%s %s scale %.9g vs %.9g", model,
          which, (double)t->quant.scale[0], scale);
  T_CHECK(t->quant.zero_point[0] == zp, "%s %s zero point %d vs %d", model, which,
          t->quant.zero_point[0], zp);
  T_CHECK(t->data == NULL, "%s %s is not constant", model, which);
  (void)g;
}

/* Per-channel layout rules the READMEs state: conv filters [O,H,W,I] axis 0, depthwise
   filters [1,H,W,C] axis 3, biases 1-D (axis 0 after the reader's normalisation) with as many
   scales as output channels; constants have exactly their bytes. */
static void check_weights(const char *model, const q8_graph *g, bool per_channel) {
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const q8_node *node = &g->nodes[n];
    if (node->kind != Q8_OP_CONV_2D && node->kind != Q8_OP_DEPTHWISE_CONV_2D) continue;
    T_CHECK(node->n_inputs == 3 && node->inputs[1] >= 0 && node->inputs[2] >= 0,
            "%s node %d has filter and bias", model, n);
    if (node->n_inputs != 3 || node->inputs[1] < 0 || node->inputs[2] < 0) continue;
    const q8_tensor *w = &g->tensors[node->inputs[1]];
    const q8_tensor *b = &g->tensors[node->inputs[2]];
    int axis = node->kind == Q8_OP_CONV_2D ? 0 : 3;
    int32_t channels = w->rank == 4 ? w->dims[axis] : -1;
    T_CHECK(w->data != NULL && w->data_size == q8_tensor_elements(w) * q8_type_size(w->type),
            "%s node %d filter constant with %zu bytes", model, n, w->data_size);
    T_CHECK(b->data != NULL && b->type == Q8_TYPE_INT32 && b->rank == 1 &&
                b->dims[0] == channels && b->data_size == 4 * (size_t)channels,
            "%s node %d bias int32 [%d] constant", model, n, channels);
    int32_t expect = per_channel ? channels : 1;
    T_CHECK(w->quant.count == expect && (expect == 1 || w->quant.axis == axis),
            "%s node %d filter '%s' quant count %d axis %d, expected %d axis %d", model, n,
            w->name, w->quant.count, w->quant.axis, expect, axis);
    T_CHECK(b->quant.count == expect && (expect == 1 || b->quant.axis == 0),
            "%s node %d bias '%s' quant count %d axis %d", model, n, b->name, b->quant.count,
            b->quant.axis);
    if (per_channel && w->quant.count == channels && b->quant.count == channels) {
      for (int32_t c = 0; c < channels; c++) {
        T_CHECK(w->quant.zero_point[c] == 0 && b->quant.zero_point[c] == 0,
                "%s node %d channel %d zero points 0", model, n, c);
      }
    }
  }
}

static void check_versions(const char *model, const q8_graph *g, const int32_t *version_by_kind) {
  for (int32_t n = 0; n < g->n_nodes; n++) {
    int32_t want = version_by_kind[g->nodes[n].kind];
    T_CHECK(g->nodes[n].version == want, "%s node %d (%s) version %d, expected %d", model, n,
            q8_op_name(g->nodes[n].kind), g->nodes[n].version, want);
  }
}

static q8_graph *load_model(const char *relative, uint8_t **bytes, size_t *size) {
  char path[1024];
  if (t_testdata_path(relative, path, sizeof path) == NULL) return NULL;
  *bytes = t_read_file(path, size);
  if (*bytes == NULL) return NULL;
  q8_graph *g = NULL;
  q8_error err = {{0}};
  q8_status s = q8_tflite_read(*bytes, *size, &g, &err);
  T_CHECK(s == Q8_OK && g != NULL, "%s: %s %s", relative, q8_status_name(s), err.message);
  return g;
}

/* Every constant tensor's data lies inside the file. */
static void check_constants_in_file(const char *model, const q8_graph *g, const uint8_t *bytes,
                                    size_t size) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8_tensor *t = &g->tensors[i];
    if (t->data == NULL) continue;
    const uint8_t *p = t->data;
    T_CHECK(p >= bytes && t->data_size <= size && (size_t)(p - bytes) <= size - t->data_size,
            "%s tensor %d data inside the file", model, i);
  }
}

static void test_person_detect(void) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  q8_graph *g = load_model("tflite/person_detect.tflite", &bytes, &size);
  if (g != NULL) {
    const char *m = "person_detect";
    T_CHECK(g->n_nodes == 31, "%s nodes %d", m, g->n_nodes);
    T_CHECK(count_kind(g, Q8_OP_DEPTHWISE_CONV_2D) == 14, "%s dwconv count", m);
    T_CHECK(count_kind(g, Q8_OP_CONV_2D) == 14, "%s conv count", m);
    T_CHECK(count_kind(g, Q8_OP_AVERAGE_POOL_2D) == 1, "%s avgpool count", m);
    T_CHECK(count_kind(g, Q8_OP_RESHAPE) == 1, "%s reshape count", m);
    T_CHECK(count_kind(g, Q8_OP_SOFTMAX) == 1, "%s softmax count", m);
    T_CHECK(g->nodes[0].kind == Q8_OP_DEPTHWISE_CONV_2D, "%s first layer is depthwise", m);
    T_CHECK(g->n_inputs == 1 && g->n_outputs == 1, "%s io counts", m);
    check_io(m, g, &g->tensors[g->inputs[0]], "input", Q8_TYPE_INT8, 4,
             (const int32_t[]){1, 96, 96, 1}, 0.007843, -1);
    check_io(m, g, &g->tensors[g->outputs[0]], "output", Q8_TYPE_INT8, 2,
             (const int32_t[]){1, 2}, 1.0 / 256, -128);
    T_CHECK(g->tensors[g->outputs[0]].quant.scale[0] == 1.0f / 256, "%s output scale exact", m);
    int32_t versions[Q8_OP_COUNT] = {0};
    versions[Q8_OP_AVERAGE_POOL_2D] = 2;
    versions[Q8_OP_CONV_2D] = 2;
    versions[Q8_OP_DEPTHWISE_CONV_2D] = 3;
    versions[Q8_OP_RESHAPE] = 1;
    versions[Q8_OP_SOFTMAX] = 2;
    check_versions(m, g, versions);
    check_weights(m, g, true);
    check_constants_in_file(m, g, bytes, size);
    /* The first depthwise layer: 1 input channel, multiplier 8, stride 2, RELU6 (flatc dump). */
    const q8_node *dw = &g->nodes[0];
    T_CHECK(dw->opt.conv.depth_multiplier == 8 && dw->opt.conv.stride_h == 2 &&
                dw->opt.conv.stride_w == 2 && dw->opt.conv.dilation_h == 1 &&
                dw->opt.conv.dilation_w == 1 && dw->opt.conv.activation == Q8_ACT_RELU6 &&
                dw->opt.conv.padding == Q8_PADDING_SAME,
            "%s first depthwise options", m);
    /* RESHAPE: data input plus a shape tensor, and ReshapeOptions.new_shape [1, 2]. */
    for (int32_t n = 0; n < g->n_nodes; n++) {
      const q8_node *r = &g->nodes[n];
      if (r->kind != Q8_OP_RESHAPE) continue;
      T_CHECK(r->n_inputs == 2 && r->n_outputs == 1, "%s reshape io", m);
      T_CHECK(r->opt.reshape.has_new_shape && r->opt.reshape.rank == 2 &&
                  r->opt.reshape.new_shape[0] == 1 && r->opt.reshape.new_shape[1] == 2,
              "%s reshape new_shape", m);
    }
    const q8_node *sm = &g->nodes[g->n_nodes - 1];
    T_CHECK(sm->kind == Q8_OP_SOFTMAX && sm->opt.softmax.beta == 1.0f, "%s softmax beta", m);
  }
  q8_graph_free(g);
  free(bytes);
}

static void test_mobilenet(void) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  q8_graph *g = load_model("tflite/mobilenet_v1_0.5_160_quant.tflite", &bytes, &size);
  if (g != NULL) {
    const char *m = "mobilenet";
    T_CHECK(g->n_nodes == 31, "%s nodes %d", m, g->n_nodes);
    T_CHECK(count_kind(g, Q8_OP_CONV_2D) == 15, "%s conv count", m);
    T_CHECK(count_kind(g, Q8_OP_DEPTHWISE_CONV_2D) == 13, "%s dwconv count", m);
    T_CHECK(count_kind(g, Q8_OP_AVERAGE_POOL_2D) == 1, "%s avgpool", m);
    T_CHECK(count_kind(g, Q8_OP_RESHAPE) == 1, "%s reshape", m);
    T_CHECK(count_kind(g, Q8_OP_SOFTMAX) == 1, "%s softmax", m);
    check_io(m, g, &g->tensors[g->inputs[0]], "input", Q8_TYPE_UINT8, 4,
             (const int32_t[]){1, 160, 160, 3}, 1.0 / 128, 128);
    check_io(m, g, &g->tensors[g->outputs[0]], "output", Q8_TYPE_UINT8, 2,
             (const int32_t[]){1, 1001}, 1.0 / 256, 0);
    int32_t versions[Q8_OP_COUNT];
    for (int k = 0; k < Q8_OP_COUNT; k++) versions[k] = 1;
    check_versions(m, g, versions);
    check_weights(m, g, false);
    check_constants_in_file(m, g, bytes, size);
    /* uint8 everywhere except int32 biases and the reshape's shape tensor. */
    for (int32_t i = 0; i < g->n_tensors; i++) {
      q8_type t = g->tensors[i].type;
      T_CHECK(t == Q8_TYPE_UINT8 || t == Q8_TYPE_INT32, "%s tensor %d type", m, i);
    }
    /* This RESHAPE has no ReshapeOptions at all (flatc dump): has_new_shape must be false. */
    for (int32_t n = 0; n < g->n_nodes; n++) {
      if (g->nodes[n].kind != Q8_OP_RESHAPE) continue;
      T_CHECK(!g->nodes[n].opt.reshape.has_new_shape && g->nodes[n].n_inputs == 2,
              "%s reshape without options", m);
    }
  }
  q8_graph_free(g);
  free(bytes);
}

static void test_hello_world(void) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  q8_graph *g = load_model("tflite/hello_world_int8.tflite", &bytes, &size);
  if (g != NULL) {
    const char *m = "hello_world";
    T_CHECK(g->n_nodes == 3 && count_kind(g, Q8_OP_FULLY_CONNECTED) == 3, "%s 3 FC", m);
    check_io(m, g, &g->tensors[g->inputs[0]], "input", Q8_TYPE_INT8, 2,
             (const int32_t[]){1, 1}, 0.02448, -128);
    check_io(m, g, &g->tensors[g->outputs[0]], "output", Q8_TYPE_INT8, 2,
             (const int32_t[]){1, 1}, 0.008291, 5);
    int32_t versions[Q8_OP_COUNT] = {0};
    versions[Q8_OP_FULLY_CONNECTED] = 4;
    check_versions(m, g, versions);
    /* RELU, RELU, NONE (flatc dump); every FC has weights and bias constants. */
    T_CHECK(g->nodes[0].opt.fully_connected.activation == Q8_ACT_RELU &&
                g->nodes[1].opt.fully_connected.activation == Q8_ACT_RELU &&
                g->nodes[2].opt.fully_connected.activation == Q8_ACT_NONE,
            "%s activations", m);
    for (int32_t n = 0; n < g->n_nodes; n++) {
      const q8_node *fc = &g->nodes[n];
      T_CHECK(fc->n_inputs == 3 && g->tensors[fc->inputs[1]].data != NULL &&
                  g->tensors[fc->inputs[2]].data != NULL && !fc->opt.fully_connected.keep_num_dims,
              "%s FC %d constants", m, n);
    }
    check_constants_in_file(m, g, bytes, size);
  }
  q8_graph_free(g);
  free(bytes);
}

static void test_micro_speech(void) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  q8_graph *g = load_model("tflite/micro_speech_quantized.tflite", &bytes, &size);
  if (g != NULL) {
    const char *m = "micro_speech";
    T_CHECK(g->n_nodes == 4, "%s nodes", m);
    if (g->n_nodes == 4) {
      T_CHECK(g->nodes[0].kind == Q8_OP_RESHAPE && g->nodes[1].kind == Q8_OP_DEPTHWISE_CONV_2D &&
                  g->nodes[2].kind == Q8_OP_FULLY_CONNECTED && g->nodes[3].kind == Q8_OP_SOFTMAX,
              "%s kinds in order", m);
      const q8_node *r = &g->nodes[0];
      T_CHECK(r->opt.reshape.has_new_shape && r->opt.reshape.rank == 4 &&
                  r->opt.reshape.new_shape[0] == -1 && r->opt.reshape.new_shape[1] == 49 &&
                  r->opt.reshape.new_shape[2] == 40 && r->opt.reshape.new_shape[3] == 1,
              "%s reshape new_shape [-1,49,40,1]", m);
      const q8_node *dw = &g->nodes[1];
      T_CHECK(dw->opt.conv.depth_multiplier == 8 && dw->opt.conv.stride_w == 2 &&
                  dw->opt.conv.activation == Q8_ACT_RELU,
              "%s depthwise options", m);
    }
    check_io(m, g, &g->tensors[g->inputs[0]], "input", Q8_TYPE_INT8, 2,
             (const int32_t[]){1, 1960}, 0.101716, -128);
    check_io(m, g, &g->tensors[g->outputs[0]], "output", Q8_TYPE_INT8, 2,
             (const int32_t[]){1, 4}, 1.0 / 256, -128);
    int32_t versions[Q8_OP_COUNT] = {0};
    versions[Q8_OP_DEPTHWISE_CONV_2D] = 3;
    versions[Q8_OP_FULLY_CONNECTED] = 4;
    versions[Q8_OP_RESHAPE] = 1;
    versions[Q8_OP_SOFTMAX] = 2;
    check_versions(m, g, versions);
    check_weights(m, g, true);
    check_constants_in_file(m, g, bytes, size);
  }
  q8_graph_free(g);
  free(bytes);
}

static void test_network_tester(void) {
  uint8_t *bytes = NULL;
  size_t size = 0;
  /* Its opcode table also lists QUANTIZE and DEQUANTIZE, which no operator uses. */
  q8_graph *g = load_model("tflite/network_tester_dwconv_int8.tflite", &bytes, &size);
  if (g != NULL) {
    const char *m = "network_tester";
    T_CHECK(g->n_nodes == 1 && g->nodes[0].kind == Q8_OP_DEPTHWISE_CONV_2D, "%s one dwconv", m);
    check_io(m, g, &g->tensors[g->inputs[0]], "input", Q8_TYPE_INT8, 4,
             (const int32_t[]){1, 8, 8, 16}, 0.007837, -1);
    check_io(m, g, &g->tensors[g->outputs[0]], "output", Q8_TYPE_INT8, 4,
             (const int32_t[]){1, 4, 4, 16}, 0.013114, -3);
    const q8_node *dw = &g->nodes[0];
    T_CHECK(dw->version == 3, "%s version %d", m, dw->version);
    T_CHECK(dw->n_inputs == 3 && dw->n_outputs == 1, "%s io", m);
    const q8_tensor *w = &g->tensors[dw->inputs[1]];
    T_CHECK(dims_equal(w, 4, (const int32_t[]){1, 2, 2, 16}) && w->type == Q8_TYPE_INT8,
            "%s filter [1,2,2,16] int8", m);
    T_CHECK(w->quant.count == 16 && w->quant.axis == 3, "%s filter per-channel %d axis %d", m,
            w->quant.count, w->quant.axis);
    T_CHECK(dw->opt.conv.stride_h == 2 && dw->opt.conv.stride_w == 2 &&
                dw->opt.conv.depth_multiplier == 1 && dw->opt.conv.dilation_h == 1 &&
                dw->opt.conv.activation == Q8_ACT_NONE && dw->opt.conv.padding == Q8_PADDING_SAME,
            "%s options", m);
    check_weights(m, g, true);
    check_constants_in_file(m, g, bytes, size);
  }
  q8_graph_free(g);
  free(bytes);
}

/* ---- ops/README.md "Cases" table ---- */

typedef struct labeled_shape {
  char label[16];
  int rank;
  int32_t dims[Q8_MAX_RANK];
} labeled_shape;

/* Collects every "[a,b,...]" of text with the word before it ("in", "f", "out", ...). */
static int parse_shapes(const char *text, labeled_shape *out, int max) {
  int n = 0;
  for (const char *p = text; *p != '\0' && n < max; p++) {
    if (*p != '[') continue;
    labeled_shape *s = &out[n];
    memset(s, 0, sizeof *s);
    const char *w = p;
    while (w > text && w[-1] == ' ') w--;
    const char *e = w;
    while (w > text && w[-1] != ' ') w--;
    size_t len = (size_t)(e - w) < sizeof s->label - 1 ? (size_t)(e - w) : sizeof s->label - 1;
    memcpy(s->label, w, len);
    const char *q = p + 1;
    while (*q != ']' && *q != '\0' && s->rank < Q8_MAX_RANK) {
      char *end;
      long v = strtol(q, &end, 10);
      if (end == q) break;
      s->dims[s->rank++] = (int32_t)v;
      q = end;
      if (*q == ',') q++;
    }
    n++;
  }
  return n;
}

static bool shape_is(const q8_tensor *t, const labeled_shape *s) {
  return dims_equal(t, s->rank, s->dims);
}

static q8_type type_of_word(const char *w) {
  if (strncmp(w, "int8", 4) == 0) return Q8_TYPE_INT8;
  if (strncmp(w, "uint8", 5) == 0) return Q8_TYPE_UINT8;
  if (strncmp(w, "float32", 7) == 0) return Q8_TYPE_FLOAT32;
  return (q8_type)-1;
}

/* Operator versions the README states ("versions as the TFLite converter assigns them"). */
static int32_t readme_version(q8_op_kind kind, bool is_uint8) {
  switch (kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D: return is_uint8 ? 1 : 3;
    case Q8_OP_FULLY_CONNECTED: return is_uint8 ? 1 : 4;
    case Q8_OP_RESHAPE:
    case Q8_OP_QUANTIZE: return 1;
    case Q8_OP_DEQUANTIZE: return 2;
    default: return is_uint8 ? 1 : 2;
  }
}

/* Value after a token such as "s2", "dil2", "mult2", "wzp 200", "axis 3"; def when absent. */
static long option_number(const char *options, const char *token, bool space, long def) {
  size_t n = strlen(token);
  for (const char *p = strstr(options, token); p != NULL; p = strstr(p + 1, token)) {
    bool word_start = p == options || p[-1] == ' ' || p[-1] == '(';
    const char *v = p + n;
    if (space) {
      if (*v != ' ') continue;
      v++;
    }
    if (word_start && *v >= '0' && *v <= '9') return strtol(v, NULL, 10);
  }
  return def;
}

static q8_activation option_activation(const char *options) {
  const char *a = strstr(options, "act ");
  if (a == NULL) return Q8_ACT_NONE;
  a += 4;
  if (strncmp(a, "RELU6", 5) == 0) return Q8_ACT_RELU6;
  if (strncmp(a, "RELU", 4) == 0) return Q8_ACT_RELU;
  return Q8_ACT_NONE;
}

static size_t tensor_bytes(const q8_tensor *t) { return q8_tensor_elements(t) * q8_type_size(t->type); }

static void check_data_file(const char *name, const char *file, const q8_tensor *t) {
  char rel[256], path[1024];
  snprintf(rel, sizeof rel, "ops/%s/%s", name, file);
  if (t_testdata_path(rel, path, sizeof path) == NULL) return;
  size_t size = 0;
  void *data = t_read_file(path, &size);
  T_CHECK(data != NULL && size == tensor_bytes(t), "%s: %s has %zu bytes, tensor '%s' needs %zu",
          name, file, size, t->name, tensor_bytes(t));
  free(data);
}

static void check_op_options(const char *name, const q8_node *node, const char *options,
                             const q8_graph *g) {
  bool same = strstr(options, "SAME") != NULL;
  q8_padding padding = same ? Q8_PADDING_SAME : Q8_PADDING_VALID;
  long stride = option_number(options, "s", false, 1);
  switch (node->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D:
      T_CHECK(node->opt.conv.padding == padding && node->opt.conv.stride_h == stride &&
                  node->opt.conv.stride_w == stride &&
                  node->opt.conv.dilation_h == option_number(options, "dil", false, 1) &&
                  node->opt.conv.dilation_w == option_number(options, "dil", false, 1) &&
                  node->opt.conv.activation == option_activation(options),
              "%s conv options (%s)", name, options);
      if (node->kind == Q8_OP_DEPTHWISE_CONV_2D) {
        T_CHECK(node->opt.conv.depth_multiplier == option_number(options, "mult", false, 1),
                "%s depth multiplier %d", name, node->opt.conv.depth_multiplier);
      }
      break;
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D: {
      long k = 0; /* "3x3 s2 SAME": the leading filter size */
      T_CHECK(sscanf(options, "%ldx", &k) == 1, "%s pool filter in '%s'", name, options);
      T_CHECK(node->opt.pool.padding == padding && node->opt.pool.stride_h == stride &&
                  node->opt.pool.stride_w == stride && node->opt.pool.filter_h == k &&
                  node->opt.pool.filter_w == k && node->opt.pool.activation == Q8_ACT_NONE,
              "%s pool options (%s)", name, options);
      break;
    }
    case Q8_OP_FULLY_CONNECTED:
      T_CHECK(node->opt.fully_connected.activation == option_activation(options) &&
                  !node->opt.fully_connected.keep_num_dims,
              "%s FC options", name);
      break;
    case Q8_OP_ADD:
      T_CHECK(node->opt.add.activation == option_activation(options), "%s add options", name);
      break;
    case Q8_OP_CONCATENATION:
      T_CHECK(node->opt.concatenation.axis == option_number(options, "axis", true, -99) &&
                  node->opt.concatenation.activation == Q8_ACT_NONE,
              "%s concat axis %d", name, node->opt.concatenation.axis);
      break;
    case Q8_OP_MEAN:
      T_CHECK(node->opt.reduce.keep_dims == (strstr(options, "keep_dims") != NULL),
              "%s keep_dims", name);
      T_CHECK(node->n_inputs == 2 && g->tensors[node->inputs[1]].data != NULL,
              "%s constant axis input", name);
      break;
    case Q8_OP_SOFTMAX:
      T_CHECK(strstr(options, "beta 1.0") != NULL && node->opt.softmax.beta == 1.0f,
              "%s beta %g", name, (double)node->opt.softmax.beta);
      break;
    case Q8_OP_RESHAPE: {
      /* "shape from const input [1,-1], no ReshapeOptions" */
      T_CHECK(!node->opt.reshape.has_new_shape && node->n_inputs == 2, "%s reshape form", name);
      const q8_tensor *shape = node->n_inputs == 2 ? &g->tensors[node->inputs[1]] : NULL;
      T_CHECK(shape != NULL && shape->type == Q8_TYPE_INT32 && shape->data_size == 8,
              "%s shape tensor", name);
      if (shape != NULL && shape->data_size == 8) {
        const uint8_t *d = shape->data;
        int32_t v0 = (int32_t)((uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 |
                               (uint32_t)d[3] << 24);
        int32_t v1 = (int32_t)((uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 |
                               (uint32_t)d[7] << 24);
        T_CHECK(v0 == 1 && v1 == -1, "%s shape data [%d,%d]", name, v0, v1);
      }
      break;
    }
    default: break;
  }
}

static void check_op_shapes(const char *name, const q8_node *node, const char *shapes,
                            const q8_graph *g) {
  labeled_shape s[12];
  int n = parse_shapes(shapes, s, 12);
  const q8_tensor *in0 = &g->tensors[node->inputs[0]];
  const q8_tensor *out = &g->tensors[node->outputs[0]];
  const q8_tensor *in1 = node->n_inputs > 1 && node->inputs[1] >= 0 ? &g->tensors[node->inputs[1]]
                                                                     : NULL;
  bool labeled = false;
  for (int i = 0; i < n; i++) {
    if (strcmp(s[i].label, "in") == 0) {
      labeled = true;
      T_CHECK(shape_is(in0, &s[i]), "%s input shape (%s)", name, shapes);
    } else if (strcmp(s[i].label, "out") == 0) {
      T_CHECK(shape_is(out, &s[i]), "%s output shape (%s)", name, shapes);
    } else if (strcmp(s[i].label, "f") == 0 || strcmp(s[i].label, "w") == 0) {
      T_CHECK(in1 != NULL && shape_is(in1, &s[i]), "%s weights shape (%s)", name, shapes);
    }
  }
  if (labeled) return;
  if (strstr(shapes, "2 x") != NULL && n == 1) {
    T_CHECK(shape_is(in0, &s[0]) && in1 != NULL && shape_is(in1, &s[0]) && shape_is(out, &s[0]),
            "%s shapes (%s)", name, shapes);
  } else if (strchr(shapes, '+') != NULL && n == 3) {
    T_CHECK(shape_is(in0, &s[0]) && in1 != NULL && shape_is(in1, &s[1]) && shape_is(out, &s[2]),
            "%s shapes (%s)", name, shapes);
  } else if (strstr(shapes, "->") != NULL && n == 2) {
    T_CHECK(shape_is(in0, &s[0]) && shape_is(out, &s[1]), "%s shapes (%s)", name, shapes);
  } else {
    T_CHECK(n == 1 && shape_is(in0, &s[0]) && shape_is(out, &s[0]), "%s shapes (%s)", name,
            shapes);
  }
}

/* Splits a markdown table row into trimmed cells (modified in place). */
static int split_row(char *line, char **cells, int max) {
  int n = 0;
  char *p = line;
  if (*p == '|') p++;
  while (n < max) {
    char *bar = strchr(p, '|');
    if (bar == NULL) break;
    *bar = '\0';
    while (*p == ' ') p++;
    char *e = bar;
    while (e > p && e[-1] == ' ') *--e = '\0';
    cells[n++] = p;
    p = bar + 1;
  }
  return n;
}

static void check_ops_case(char **cells) {
  char name[128];
  snprintf(name, sizeof name, "%s", cells[0] + (cells[0][0] == '`'));
  char *tick = strchr(name, '`');
  if (tick != NULL) *tick = '\0';
  char rel[256];
  snprintf(rel, sizeof rel, "ops/%s/model.tflite", name);
  uint8_t *bytes = NULL;
  size_t size = 0;
  q8_graph *g = load_model(rel, &bytes, &size);
  if (g == NULL) {
    free(bytes);
    return;
  }
  T_CHECK(g->n_nodes == 1, "%s: %d nodes", name, g->n_nodes);
  const q8_node *node = &g->nodes[0];
  T_CHECK(strcmp(q8_op_name(node->kind), cells[1]) == 0, "%s: kind %s, README says %s", name,
          q8_op_name(node->kind), cells[1]);
  const char *scheme = cells[2];
  q8_type in_type = type_of_word(scheme);
  const char *arrow = strstr(scheme, "->");
  q8_type out_type = arrow != NULL ? type_of_word(arrow + 3) : in_type;
  const q8_tensor *in0 = &g->tensors[node->inputs[0]];
  const q8_tensor *out = &g->tensors[node->outputs[0]];
  T_CHECK(in0->type == in_type && out->type == out_type, "%s: types %s -> %s (%s)", name,
          q8_type_name(in0->type), q8_type_name(out->type), scheme);
  T_CHECK(g->n_inputs >= 1 && g->inputs[0] == node->inputs[0] &&
              g->outputs[0] == node->outputs[0],
          "%s: graph io is the node's io", name);
  bool is_uint8 = in_type == Q8_TYPE_UINT8;
  T_CHECK(node->version == readme_version(node->kind, is_uint8), "%s: version %d", name,
          node->version);
  check_op_shapes(name, node, cells[3], g);
  check_op_options(name, node, cells[4], g);
  long wzp = option_number(cells[4], "wzp", true, option_number(cells[2], "wzp", true, -1));
  if (wzp >= 0) {
    const q8_tensor *w = &g->tensors[node->inputs[1]];
    T_CHECK(w->quant.count == 1 && w->quant.zero_point[0] == wzp, "%s: weight zero point %ld",
            name, wzp);
  }
  if (node->kind == Q8_OP_CONV_2D || node->kind == Q8_OP_DEPTHWISE_CONV_2D) {
    check_weights(name, g, !is_uint8);
  }
  check_constants_in_file(name, g, bytes, size);
  for (int32_t i = 0; i < g->n_inputs; i++) {
    char file[32];
    snprintf(file, sizeof file, "input%d.bin", (int)i);
    check_data_file(name, file, &g->tensors[g->inputs[i]]);
  }
  check_data_file(name, "expected.bin", out);
  q8_graph_free(g);
  free(bytes);
}

static int test_ops_readme(void) {
  char path[1024];
  if (t_testdata_path("ops/README.md", path, sizeof path) == NULL) return 0;
  size_t size = 0;
  char *text = t_read_file(path, &size);
  if (text == NULL) return 0;
  char *copy = malloc(size + 1);
  memcpy(copy, text, size);
  copy[size] = '\0';
  int cases = 0;
  bool in_cases = false;
  for (char *line = strtok(copy, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (strncmp(line, "## ", 3) == 0) in_cases = strcmp(line, "## Cases") == 0;
    if (!in_cases || strncmp(line, "| `", 3) != 0) continue;
    char *cells[8];
    if (split_row(line, cells, 8) < 6) continue;
    check_ops_case(cells);
    cases++;
  }
  T_CHECK(cases >= 38, "ops README lists %d cases", cases);
  printf("ops/README.md: %d cases checked\n", cases);
  free(copy);
  free(text);
  return cases;
}

/* ======================================================================================
   Part 2: hand-built models: one valid CONV_2D model, and variations that must fail.
   ====================================================================================== */

/* in [1,4,4,2] int8 -> CONV_2D 1x1 (3 per-channel filters, int32 bias) -> out [1,4,4,3]. */
static model_spec base_spec(void) {
  model_spec s;
  memset(&s, 0, sizeof s);
  memcpy(s.identifier, "TFL3", 5);
  s.version = 3;
  s.n_subgraphs = 1;
  s.n_opcodes = 2;
  s.opcodes[0] = (spec_opcode){3, 3, NULL, 3};   /* CONV_2D */
  s.opcodes[1] = (spec_opcode){16, 16, NULL, 1}; /* LSTM, listed but unused */
  s.n_buffers = 3;
  s.buffers[1].n = 3 * 2;     /* filter bytes */
  s.buffers[2].n = 3 * 4;     /* bias bytes */
  s.n_tensors = 4;
  s.tensors[0] = (spec_tensor){"input", 9, 4, {1, 4, 4, 2}, 0, 1, {0.5f}, {-3}, -1, 0, 0, 0, 0, 0};
  s.tensors[1] = (spec_tensor){"conv/filter", 9, 4, {3, 1, 1, 2}, 1, 3, {0.01f, 0.02f, 0.03f},
                               {0, 0, 0}, -1, 0, 0, 0, 0, 0};
  /* Bias carries quantized_dimension 3 like the converter's depthwise biases. */
  s.tensors[2] = (spec_tensor){"conv/bias", 2, 1, {3}, 2, 3, {0.005f, 0.01f, 0.015f},
                               {0, 0, 0}, -1, 3, 0, 0, 0, 0};
  s.tensors[3] = (spec_tensor){"output", 9, 4, {1, 4, 4, 3}, 0, 1, {0.25f}, {7}, -1, 0, 0, 0, 0, 0};
  s.n_ops = 1;
  s.ops[0] = (spec_op){0, 3, 1, {0, 1, 2}, {3}, 1, true, 5,
                       {{0, 'b', 1, 0, 0, {0}},   /* padding VALID */
                        {1, 'i', 1, 0, 0, {0}},   /* stride_w */
                        {2, 'i', 2, 0, 0, {0}},   /* stride_h */
                        {3, 'b', 3, 0, 0, {0}},   /* RELU6 */
                        {5, 'i', 2, 0, 0, {0}}}}; /* dilation_h (dilation_w absent: 1) */
  s.n_inputs = 1;
  s.inputs[0] = 0;
  s.n_outputs = 1;
  s.outputs[0] = 3;
  return s;
}

/* Reads bytes (copied into an exact-size allocation so ASan sees any overread) and checks the
   status and that the message contains each expected fragment. */
static void expect_failure(const char *what, const uint8_t *data, size_t size, q8_status status,
                           const char *frag1, const char *frag2) {
  uint8_t *copy = malloc(size ? size : 1);
  memcpy(copy, data, size);
  q8_graph *g = NULL;
  q8_error err = {{0}};
  q8_status s = q8_tflite_read(copy, size, &g, &err);
  T_CHECK(s == status, "%s: status %s, expected %s (%s)", what, q8_status_name(s),
          q8_status_name(status), err.message);
  T_CHECK(g == NULL, "%s: graph NULL on failure", what);
  T_CHECK(frag1 == NULL || strstr(err.message, frag1) != NULL, "%s: message '%s' lacks '%s'",
          what, err.message, frag1);
  T_CHECK(frag2 == NULL || strstr(err.message, frag2) != NULL, "%s: message '%s' lacks '%s'",
          what, err.message, frag2);
  if (s != Q8_OK) printf("  %-34s -> %s\n", what, err.message);
  q8_graph_free(g);
  free(copy);
}

static void expect_spec_failure(const char *what, const model_spec *s, q8_status status,
                                const char *frag1, const char *frag2) {
  built_model m = build_model(s);
  T_CHECK(m.data != NULL, "%s: built", what);
  if (m.data != NULL) expect_failure(what, m.data, m.size, status, frag1, frag2);
  free(m.data);
}

static q8_graph *read_spec(const model_spec *s, built_model *m) {
  *m = build_model(s);
  q8_graph *g = NULL;
  q8_error err = {{0}};
  q8_status st = m->data ? q8_tflite_read(m->data, m->size, &g, &err) : Q8_ERROR_OUT_OF_MEMORY;
  T_CHECK(st == Q8_OK, "hand-built model: %s %s", q8_status_name(st), err.message);
  return g;
}

/* The base model decodes to exactly what the builder wrote. */
static void test_built_valid(void) {
  model_spec s = base_spec();
  built_model m;
  q8_graph *g = read_spec(&s, &m);
  if (g != NULL) {
    T_CHECK(g->n_tensors == 4 && g->n_nodes == 1 && g->n_inputs == 1 && g->n_outputs == 1,
            "built counts");
    for (int i = 0; i < 4; i++) {
      const q8_tensor *t = &g->tensors[i];
      const spec_tensor *st = &s.tensors[i];
      T_CHECK(strcmp(t->name, st->name) == 0, "tensor %d name '%s'", i, t->name);
      T_CHECK(dims_equal(t, st->rank, st->dims), "tensor %d dims", i);
      T_CHECK(t->quant.count == st->n_quant, "tensor %d quant count %d", i, t->quant.count);
      for (int c = 0; c < t->quant.count && c < st->n_quant; c++) {
        T_CHECK(t->quant.scale[c] == st->scale[c] && t->quant.zero_point[c] == st->zero_point[c],
                "tensor %d channel %d quant", i, c);
      }
    }
    T_CHECK(g->tensors[0].type == Q8_TYPE_INT8 && g->tensors[2].type == Q8_TYPE_INT32,
            "built types");
    T_CHECK(g->tensors[2].quant.axis == 0, "1-D bias with quantized_dimension 3 -> axis 0");
    T_CHECK(g->tensors[1].quant.axis == 0, "filter axis 0");
    const q8_tensor *w = &g->tensors[1];
    T_CHECK(w->data != NULL && w->data_size == 6 && ((const uint8_t *)w->data)[1] == 7 + 1,
            "filter data points into the file (zero copy)");
    T_CHECK((const uint8_t *)w->data > m.data && (const uint8_t *)w->data < m.data + m.size,
            "filter data inside the input bytes");
    T_CHECK(g->tensors[0].data == NULL && g->tensors[3].data == NULL, "activations not constant");
    const q8_node *n = &g->nodes[0];
    T_CHECK(n->kind == Q8_OP_CONV_2D && n->version == 3, "node kind/version");
    T_CHECK(n->n_inputs == 3 && n->inputs[2] == 2 && n->n_outputs == 1 && n->outputs[0] == 3,
            "node io");
    T_CHECK(n->opt.conv.padding == Q8_PADDING_VALID && n->opt.conv.stride_w == 1 &&
                n->opt.conv.stride_h == 2 && n->opt.conv.activation == Q8_ACT_RELU6 &&
                n->opt.conv.dilation_w == 1 && n->opt.conv.dilation_h == 2,
            "conv options (absent dilation_w_factor defaults to 1)");
  }
  q8_graph_free(g);
  free(m.data);

  /* Opcode code = max(builtin_code, deprecated_builtin_code), both ways round. */
  s = base_spec();
  s.opcodes[0] = (spec_opcode){3, 0, NULL, 1}; /* old file: builtin_code left 0 */
  g = read_spec(&s, &m);
  T_CHECK(g != NULL && g->nodes[0].kind == Q8_OP_CONV_2D, "deprecated_builtin_code only");
  q8_graph_free(g);
  free(m.data);

  /* Absent options table: schema defaults (strides 0, dilation 1, SAME, NONE). */
  s = base_spec();
  s.ops[0].options_type = 0;
  s.ops[0].options_table = false;
  g = read_spec(&s, &m);
  if (g != NULL) {
    const q8_node *n = &g->nodes[0];
    T_CHECK(n->opt.conv.stride_w == 0 && n->opt.conv.stride_h == 0 &&
                n->opt.conv.dilation_w == 1 && n->opt.conv.dilation_h == 1 &&
                n->opt.conv.padding == Q8_PADDING_SAME && n->opt.conv.activation == Q8_ACT_NONE,
            "defaults without options");
  }
  q8_graph_free(g);
  free(m.data);

  /* Optional input -1 (no bias). */
  s = base_spec();
  s.ops[0].inputs[2] = -1;
  g = read_spec(&s, &m);
  T_CHECK(g != NULL && g->nodes[0].inputs[2] == -1, "absent bias -1 accepted");
  q8_graph_free(g);
  free(m.data);
}

/* One single-input operator of each other kind, with options, decoded field by field. */
static void test_built_options(void) {
  built_model m;
  model_spec s = base_spec();
  /* DEPTHWISE_CONV_2D: filter [1,1,1,3]... reuse tensors, only options matter here. */
  s.opcodes[0] = (spec_opcode){4, 4, NULL, 3};
  s.tensors[1].rank = 4;
  s.tensors[1].dims[0] = 1, s.tensors[1].dims[1] = 1, s.tensors[1].dims[2] = 2;
  s.tensors[1].dims[3] = 3;
  s.tensors[1].qdim = 3;
  s.ops[0].options_type = 2;
  s.ops[0].n_options = 7;
  spec_option dw[7] = {{0, 'b', 0, 0, 0, {0}}, {1, 'i', 3, 0, 0, {0}}, {2, 'i', 4, 0, 0, {0}},
                       {3, 'i', 2, 0, 0, {0}}, {4, 'b', 2, 0, 0, {0}}, {5, 'i', 5, 0, 0, {0}},
                       {6, 'i', 6, 0, 0, {0}}};
  memcpy(s.ops[0].options, dw, sizeof dw);
  q8_graph *g = read_spec(&s, &m);
  if (g != NULL) {
    const q8_node *n = &g->nodes[0];
    T_CHECK(n->kind == Q8_OP_DEPTHWISE_CONV_2D && n->opt.conv.padding == Q8_PADDING_SAME &&
                n->opt.conv.stride_w == 3 && n->opt.conv.stride_h == 4 &&
                n->opt.conv.depth_multiplier == 2 &&
                n->opt.conv.activation == Q8_ACT_RELU_N1_TO_1 && n->opt.conv.dilation_w == 5 &&
                n->opt.conv.dilation_h == 6,
            "depthwise options");
    T_CHECK(g->tensors[1].quant.axis == 3, "depthwise filter axis 3");
  }
  q8_graph_free(g);
  free(m.data);

  struct {
    int8_t code;
    uint8_t options_type;
    int n;
    spec_option opts[3];
    q8_op_kind kind;
  } cases[] = {
      {1, 5, 3, {{3, 'i', 3, 0, 0, {0}}, {4, 'i', 2, 0, 0, {0}}, {5, 'b', 1, 0, 0, {0}}},
       Q8_OP_AVERAGE_POOL_2D},
      {9, 8, 2, {{0, 'b', 1, 0, 0, {0}}, {2, 'b', 1, 0, 0, {0}}}, Q8_OP_FULLY_CONNECTED},
      {25, 9, 1, {{0, 'f', 0, 0.5f, 0, {0}}}, Q8_OP_SOFTMAX},
      {2, 10, 2, {{0, 'i', -1, 0, 0, {0}}, {1, 'b', 3, 0, 0, {0}}}, Q8_OP_CONCATENATION},
      {0, 11, 1, {{0, 'b', 1, 0, 0, {0}}}, Q8_OP_ADD},
      {22, 17, 1, {{0, 'v', 0, 0, 2, {1, -1}}}, Q8_OP_RESHAPE},
      {40, 27, 1, {{0, 'b', 1, 0, 0, {0}}}, Q8_OP_MEAN},
      {43, 30, 1, {{0, 'v', 0, 0, 3, {0, 1, 2}}}, Q8_OP_SQUEEZE},
      {34, 22, 0, {{0}}, Q8_OP_PAD},
      {14, 0, 0, {{0}}, Q8_OP_LOGISTIC},
      {28, 0, 0, {{0}}, Q8_OP_TANH},
      {6, 38, 0, {{0}}, Q8_OP_DEQUANTIZE},
      {114, 89, 0, {{0}}, Q8_OP_QUANTIZE},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    s = base_spec();
    s.opcodes[0] = (spec_opcode){cases[c].code, cases[c].code, NULL, 2};
    s.ops[0].options_type = cases[c].options_type;
    s.ops[0].options_table = cases[c].options_type != 0;
    s.ops[0].n_options = cases[c].n;
    memcpy(s.ops[0].options, cases[c].opts, sizeof cases[c].opts);
    g = read_spec(&s, &m);
    if (g != NULL) {
      const q8_node *n = &g->nodes[0];
      T_CHECK(n->kind == cases[c].kind && n->version == 2, "case %zu kind %s", c,
              q8_op_name(n->kind));
      switch (n->kind) {
        case Q8_OP_AVERAGE_POOL_2D:
          T_CHECK(n->opt.pool.filter_w == 3 && n->opt.pool.filter_h == 2 &&
                      n->opt.pool.activation == Q8_ACT_RELU && n->opt.pool.stride_w == 0,
                  "pool options");
          break;
        case Q8_OP_FULLY_CONNECTED:
          T_CHECK(n->opt.fully_connected.activation == Q8_ACT_RELU &&
                      n->opt.fully_connected.keep_num_dims,
                  "fc options");
          break;
        case Q8_OP_SOFTMAX: T_CHECK(n->opt.softmax.beta == 0.5f, "softmax beta"); break;
        case Q8_OP_CONCATENATION:
          T_CHECK(n->opt.concatenation.axis == -1 &&
                      n->opt.concatenation.activation == Q8_ACT_RELU6,
                  "concat options");
          break;
        case Q8_OP_ADD: T_CHECK(n->opt.add.activation == Q8_ACT_RELU, "add options"); break;
        case Q8_OP_RESHAPE:
          T_CHECK(n->opt.reshape.has_new_shape && n->opt.reshape.rank == 2 &&
                      n->opt.reshape.new_shape[0] == 1 && n->opt.reshape.new_shape[1] == -1,
                  "reshape options");
          break;
        case Q8_OP_MEAN: T_CHECK(n->opt.reduce.keep_dims, "mean keep_dims"); break;
        case Q8_OP_SQUEEZE:
          T_CHECK(n->opt.squeeze.n_dims == 3 && n->opt.squeeze.dims[2] == 2, "squeeze dims");
          break;
        default: break;
      }
    }
    q8_graph_free(g);
    free(m.data);
  }
}

static void test_built_failures(void) {
  model_spec s;
  built_model m;

  s = base_spec();
  memcpy(s.identifier, "TFL2", 5);
  expect_spec_failure("bad identifier", &s, Q8_ERROR_MALFORMED, "'TFL2'", "expected 'TFL3'");

  s = base_spec();
  m = build_model(&s);
  if (m.data != NULL) {
    spec_put_u32(m.data, (uint32_t)m.size + 100);
    expect_failure("root offset past end", m.data, m.size, Q8_ERROR_MALFORMED, "root table offset",
                   "outside");
    expect_failure("file of 5 bytes", m.data, 5, Q8_ERROR_MALFORMED, "5 bytes", "too small");
  }
  free(m.data);

  /* Shape vector length 0xffffffff: length x 4 would wrap in 32 bits. */
  m = build_model(&s);
  if (m.data != NULL) {
    spec_put_u32(m.data + m.shape_pos[1], 0xffffffffu);
    char frag[96];
    snprintf(frag, sizeof frag, "Tensor 1 ('conv/filter').shape: vector of 4294967295 elements");
    expect_failure("vector length overflow", m.data, m.size, Q8_ERROR_MALFORMED, frag,
                   "runs past the end");
    char where[64];
    snprintf(where, sizeof where, "file offset %zu:", m.shape_pos[1]);
    expect_failure("vector length overflow offset", m.data, m.size, Q8_ERROR_MALFORMED, where,
                   NULL);
  }
  free(m.data);

  /* Tensor name without its NUL. */
  m = build_model(&s);
  if (m.data != NULL) {
    size_t nul = m.name_pos[0] + 4 + strlen("input");
    m.data[nul] = 'x';
    expect_failure("unterminated string", m.data, m.size, Q8_ERROR_MALFORMED, "not NUL-terminated",
                   "Tensor 0.name");
  }
  free(m.data);

  /* The tensors vector's first element pointing far away. */
  m = build_model(&s);
  if (m.data != NULL) {
    spec_put_u32(m.data + m.tensors_pos + 4, 0x7ffffff0u);
    expect_failure("table offset out of range", m.data, m.size, Q8_ERROR_MALFORMED, "Tensor 0",
                   "outside");
  }
  free(m.data);

  s = base_spec();
  s.ops[0].opcode_index = 2;
  expect_spec_failure("opcode index out of range", &s, Q8_ERROR_MALFORMED, "opcode_index",
                      "2 is out of range (the model has 2 operator codes)");

  s = base_spec();
  s.ops[0].inputs[1] = 4;
  expect_spec_failure("tensor index out of range", &s, Q8_ERROR_MALFORMED,
                      "Operator 0 (CONV_2D).inputs", "tensor index 4, out of range (4 tensors");
  s = base_spec();
  s.ops[0].inputs[0] = -2;
  expect_spec_failure("input index -2", &s, Q8_ERROR_MALFORMED, "tensor index -2", NULL);
  s = base_spec();
  s.ops[0].outputs[0] = -1;
  expect_spec_failure("output index -1", &s, Q8_ERROR_MALFORMED, "outputs", NULL);
  s = base_spec();
  s.outputs[0] = 9;
  expect_spec_failure("subgraph output out of range", &s, Q8_ERROR_MALFORMED, "SubGraph 0.outputs",
                      NULL);

  s = base_spec();
  s.tensors[3].type = 23;
  expect_spec_failure("unknown tensor type", &s, Q8_ERROR_MALFORMED, "Tensor 3 ('output').type",
                      "23 is not a TensorType");
  s = base_spec();
  s.tensors[3].type = 7;
  expect_spec_failure("int16 tensor", &s, Q8_ERROR_UNSUPPORTED, "INT16", "Tensor 3 ('output')");
  s = base_spec();
  s.tensors[3].type = 4;
  expect_spec_failure("int64 tensor", &s, Q8_ERROR_UNSUPPORTED, "INT64", NULL);

  s = base_spec();
  s.ops[0].opcode_index = 1;
  expect_spec_failure("unsupported operator", &s, Q8_ERROR_UNSUPPORTED,
                      "operator 0 uses LSTM", "which q8 does not support");
  s = base_spec();
  s.opcodes[0] = (spec_opcode){32, 32, "TFLite_Detection_PostProcess", 1};
  expect_spec_failure("custom operator", &s, Q8_ERROR_UNSUPPORTED, "'TFLite_Detection_PostProcess'",
                      NULL);
  s = base_spec();
  s.opcodes[0] = (spec_opcode){127, 300, NULL, 1};
  expect_spec_failure("unknown builtin code", &s, Q8_ERROR_UNSUPPORTED, "builtin code 300", NULL);
  s = base_spec();
  s.opcodes[0] = (spec_opcode){127, 150, NULL, 1};
  expect_spec_failure("GELU via builtin_code", &s, Q8_ERROR_UNSUPPORTED, "uses GELU", NULL);

  s = base_spec();
  s.n_subgraphs = 2;
  expect_spec_failure("two subgraphs", &s, Q8_ERROR_UNSUPPORTED, "multi-subgraph model: 2 subgraphs",
                      NULL);
  s = base_spec();
  s.version = 2;
  expect_spec_failure("schema version 2", &s, Q8_ERROR_UNSUPPORTED, "schema version 2", NULL);

  s = base_spec();
  s.tensors[1].n_quant = 2;
  expect_spec_failure("per-channel count mismatch", &s, Q8_ERROR_MALFORMED,
                      "2 per-channel scales, but dimension 0", "has 3 channels");
  s = base_spec();
  s.tensors[1].qdim = 4;
  expect_spec_failure("quantized_dimension past rank", &s, Q8_ERROR_MALFORMED,
                      "4 is not a dimension", NULL);
  s = base_spec();
  s.tensors[1].n_zero_points = 1;
  expect_spec_failure("scale/zero point counts differ", &s, Q8_ERROR_MALFORMED,
                      "3 scales but 1 zero points", NULL);
  s = base_spec();
  s.tensors[0].scale[0] = 0.0f;
  expect_spec_failure("scale 0", &s, Q8_ERROR_INVALID_MODEL, "Tensor 0 ('input').quantization.scale",
                      "scale[0] is 0");
  s = base_spec();
  s.tensors[1].scale[2] = NAN;
  expect_spec_failure("scale NaN", &s, Q8_ERROR_INVALID_MODEL, "scale[2] is nan", NULL);
  s = base_spec();
  s.tensors[0].scale[0] = -1.0f;
  expect_spec_failure("negative scale", &s, Q8_ERROR_INVALID_MODEL, "scale[0] is -1", NULL);
  s = base_spec();
  s.tensors[0].scale[0] = INFINITY;
  expect_spec_failure("infinite scale", &s, Q8_ERROR_INVALID_MODEL, "scale[0] is inf", NULL);
  s = base_spec();
  s.tensors[0].zero_point[0] = 128;
  expect_spec_failure("int8 zero point 128", &s, Q8_ERROR_INVALID_MODEL,
                      "zero_point[0] is 128, outside the int8 range [-128, 127]", NULL);
  s = base_spec();
  s.tensors[2].zero_point[1] = INT64_C(1) << 40;
  expect_spec_failure("int32 zero point 2^40", &s, Q8_ERROR_INVALID_MODEL, "1099511627776", NULL);
  s = base_spec();
  s.tensors[0].details_type = 1;
  expect_spec_failure("custom quantization", &s, Q8_ERROR_UNSUPPORTED, "CustomQuantization", NULL);
  s = base_spec();
  s.tensors[0].details_type = 9;
  expect_spec_failure("quantization details out of range", &s, Q8_ERROR_MALFORMED,
                      "union type 9", NULL);

  s = base_spec();
  s.buffers[1].n = 5;
  expect_spec_failure("constant size mismatch", &s, Q8_ERROR_MALFORMED, "Tensor 1 ('conv/filter')",
                      "has 5 bytes, expected 6");
  s = base_spec();
  s.tensors[1].buffer = 3;
  expect_spec_failure("buffer index out of range", &s, Q8_ERROR_MALFORMED,
                      "buffer index 3 is out of range (the model has 3 buffers)", NULL);
  s = base_spec();
  s.buffers[1].n = 0;
  s.buffers[1].offset = 4096;
  expect_spec_failure("external buffer", &s, Q8_ERROR_UNSUPPORTED, "outside the flatbuffer", NULL);
  s = base_spec();
  s.tensors[0].is_variable = true;
  expect_spec_failure("variable tensor", &s, Q8_ERROR_UNSUPPORTED, "variable tensors", NULL);
  s = base_spec();
  s.tensors[1].sparse = true;
  expect_spec_failure("sparse tensor", &s, Q8_ERROR_UNSUPPORTED, "sparse tensor", "not supported");
  s = base_spec();
  s.tensors[0].dims[1] = -4;
  expect_spec_failure("negative dimension", &s, Q8_ERROR_MALFORMED, "dimension 1 is -4", NULL);
  s = base_spec();
  s.tensors[0].rank = 7;
  expect_spec_failure("rank 7", &s, Q8_ERROR_UNSUPPORTED, "rank 7", NULL);
  s = base_spec();
  s.tensors[0].dims[1] = 65536, s.tensors[0].dims[2] = 65536;
  expect_spec_failure("huge tensor", &s, Q8_ERROR_UNSUPPORTED, "too large", NULL);

  s = base_spec();
  s.tensors[3].type = 0; /* float32 [1,2^15,2^14,1]: 2^29 elements but 2^31 bytes */
  s.tensors[3].dims[1] = 32768, s.tensors[3].dims[2] = 16384, s.tensors[3].dims[3] = 1;
  expect_spec_failure("huge float32 tensor", &s, Q8_ERROR_UNSUPPORTED, "Tensor 3 ('output').shape",
                      "too large");

  /* The root table's soffset sending its vtable before the start of the file. */
  s = base_spec();
  m = build_model(&s);
  if (m.data != NULL) {
    uint32_t root = (uint32_t)(m.data[0] | m.data[1] << 8 | m.data[2] << 16 | m.data[3] << 24);
    spec_put_u32(m.data + root, 0x7fff0000u);
    expect_failure("vtable out of range", m.data, m.size, Q8_ERROR_MALFORMED, "vtable offset",
                   "outside the");
    spec_put_u32(m.data + root, (uint32_t)-(int32_t)(m.size - root - 2)); /* vtable at size - 2 */
    expect_failure("vtable past the end", m.data, m.size, Q8_ERROR_MALFORMED, "vtable", NULL);
  }
  free(m.data);

  s = base_spec();
  s.ops[0].options_type = 5;
  expect_spec_failure("options type mismatch", &s, Q8_ERROR_MALFORMED,
                      "CONV_2D carries Pool2DOptions, expected Conv2DOptions", NULL);
  s = base_spec();
  s.ops[0].options_type = 200;
  expect_spec_failure("options type out of range", &s, Q8_ERROR_MALFORMED,
                      "union type 200 is not a BuiltinOptions member", NULL);
  s = base_spec();
  s.ops[0].options[3].i = 4;
  expect_spec_failure("fused TANH", &s, Q8_ERROR_UNSUPPORTED, "fused activation TANH",
                      "builtin_options (Conv2DOptions).fused_activation_function");
  s = base_spec();
  s.ops[0].options[3].i = 9;
  expect_spec_failure("activation out of range", &s, Q8_ERROR_MALFORMED,
                      "9 is not an ActivationFunctionType", NULL);
  s = base_spec();
  s.ops[0].options[0].i = 2;
  expect_spec_failure("padding out of range", &s, Q8_ERROR_MALFORMED, "2 is not a Padding", NULL);
  s = base_spec();
  s.ops[0].n_options = 6;
  s.ops[0].options[5] = (spec_option){6, 'b', 4, 0, 0, {0}};
  expect_spec_failure("int64 bias type", &s, Q8_ERROR_UNSUPPORTED, "bias type INT64", NULL);

  /* Hybrid: float32 input with int8 weights. */
  s = base_spec();
  s.tensors[0].type = 0;
  s.tensors[0].n_quant = -1;
  expect_spec_failure("hybrid conv", &s, Q8_ERROR_UNSUPPORTED, "hybrid", "'input'");
  s = base_spec();
  s.opcodes[0] = (spec_opcode){9, 9, NULL, 7};
  s.ops[0].options_type = 8;
  s.ops[0].n_options = 1;
  s.ops[0].options[0] = (spec_option){1, 'b', 1, 0, 0, {0}};
  expect_spec_failure("shuffled FC weights", &s, Q8_ERROR_UNSUPPORTED, "shuffled weights", NULL);
  s.ops[0].options[0] = (spec_option){3, 'b', 1, 0, 0, {0}};
  expect_spec_failure("asymmetric_quantize_inputs", &s, Q8_ERROR_UNSUPPORTED, "hybrid", NULL);
  s.ops[0].n_options = 2;
  s.ops[0].options[0] = (spec_option){0, 'b', 0, 0, 0, {0}};
  s.ops[0].options[1] = (spec_option){2, 'b', 1, 0, 0, {0}};
  m = build_model(&s);
  q8_graph *g = NULL;
  q8_error err = {{0}};
  q8_status st = q8_tflite_read(m.data, m.size, &g, &err);
  T_CHECK(st == Q8_OK && g->nodes[0].opt.fully_connected.keep_num_dims, "FC keep_num_dims: %s",
          err.message);
  q8_graph_free(g);
  free(m.data);

  /* Misaligned vtable-pointed table: shift the root offset by 1. */
  s = base_spec();
  m = build_model(&s);
  if (m.data != NULL) {
    uint32_t root = (uint32_t)(m.data[0] | m.data[1] << 8 | m.data[2] << 16 | m.data[3] << 24);
    spec_put_u32(m.data, root + 1);
    expect_failure("misaligned root table", m.data, m.size, Q8_ERROR_MALFORMED, "not aligned",
                   NULL);
  }
  free(m.data);

  /* NULL arguments. */
  g = NULL;
  T_CHECK(q8_tflite_read(NULL, 10, &g, &err) == Q8_ERROR_INVALID_ARGUMENT && g == NULL,
          "NULL data");
  uint8_t byte = 0;
  T_CHECK(q8_tflite_read(&byte, 1, NULL, &err) == Q8_ERROR_INVALID_ARGUMENT, "NULL graph");
  T_CHECK(q8_tflite_read(&byte, 1, &g, NULL) == Q8_ERROR_MALFORMED, "NULL error is allowed");
}

int main(void) {
  char probe[1024];
  bool have_data = t_testdata_path("tflite/README.md", probe, sizeof probe) != NULL;
  if (have_data) {
    test_person_detect();
    test_mobilenet();
    test_hello_world();
    test_micro_speech();
    test_network_tester();
    test_ops_readme();
  } else {
    printf("SKIP: test-reader shared models (../shared/testdata absent)\n");
  }
  test_built_valid();
  test_built_options();
  test_built_failures();
  return t_finish();
}
