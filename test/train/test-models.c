/* The reference models as reference-models.md tables them: every row's output shape, the
   kernel, stride and SAME padding of each convolution (with the leading pads TFLite computes),
   conv without bias and BN + ReLU6 after it, fc with bias, parameter names and counts, the
   residual connections of fm-resnet; unknown names refused. */
#include <string.h>

#include "ops/op.h"
#include "train/graph.h"
#include "train/models.h"
#include "util/test-util.h"

typedef struct row {
  const char *node; /* node producing the row's output */
  int32_t h, w, c;  /* 0 h/w: an [N, C] output */
} row;

static q8t_graph *build(const char *name, int32_t *logits) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = 2, .threads = 1};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) return NULL;
  const q8_status st = q8t_model_build(g, name, logits, &err);
  T_CHECK(st == Q8_OK, "%s: %s", name, err.message);
  return g;
}

static void check_rows(const char *model, const row *rows, size_t n) {
  int32_t logits;
  q8t_graph *g = build(model, &logits);
  for (size_t i = 0; i < n; i++) {
    const int32_t id = q8t_graph_find_tensor(g, rows[i].node);
    if (id < 0) {
      T_CHECK(0, "%s: no tensor %s", model, rows[i].node);
      continue;
    }
    const q8t_tensor *t = &g->tensors[id];
    if (rows[i].h == 0) {
      T_CHECK(t->rank == 2 && t->dims[1] == rows[i].c, "%s: %s is not [N, %d]", model, t->name,
              (int)rows[i].c);
    } else {
      T_CHECK(t->rank == 4 && t->dims[1] == rows[i].h && t->dims[2] == rows[i].w &&
                  t->dims[3] == rows[i].c,
              "%s: %s is %dx%dx%d, the table says %dx%dx%d", model, t->name, (int)t->dims[1],
              (int)t->dims[2], (int)t->dims[3], (int)rows[i].h, (int)rows[i].w, (int)rows[i].c);
    }
  }
  T_CHECK(logits == q8t_graph_find_tensor(g, "fc") && g->loss >= 0 && g->labels >= 0,
          "%s: logits are the fc output, with a loss and labels", model);
  /* Every convolution: no bias, 3x3 SAME or 1x1, pads as q8_conv_out_size, followed by a BN
     named after it whose fused activation is ReLU6 (NONE only for a block's second conv). */
  int64_t parameters = 0;
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const q8t_node *node = &g->nodes[i];
    for (int32_t k = 0; k < node->n_inputs; k++) {
      const int32_t id = node->inputs[k];
      if (id >= 0 && g->tensors[id].role == Q8T_ROLE_PARAMETER) {
        parameters += (int64_t)q8t_tensor_count(&g->tensors[id]);
      }
    }
    if (node->op != Q8T_OP_CONV && node->op != Q8T_OP_DEPTHWISE_CONV) continue;
    const q8t_attrs *a = &node->attrs;
    const q8t_tensor *x = &g->tensors[node->inputs[Q8T_IN_X]];
    T_CHECK(node->inputs[Q8T_IN_BIAS] < 0, "%s: %s has a bias", model, node->name);
    T_CHECK(a->padding == Q8_PADDING_SAME && a->stride_h == a->stride_w &&
                a->kernel_h == a->kernel_w && (a->kernel_h == 3 || a->kernel_h == 1),
            "%s: %s geometry", model, node->name);
    int32_t top, left;
    const int32_t oh =
        q8_conv_out_size(Q8_PADDING_SAME, x->dims[1], a->kernel_h, a->stride_h, 1, &top);
    const int32_t ow =
        q8_conv_out_size(Q8_PADDING_SAME, x->dims[2], a->kernel_w, a->stride_w, 1, &left);
    const q8t_tensor *y = &g->tensors[node->output];
    T_CHECK(oh == y->dims[1] && ow == y->dims[2] && top == a->pad_top && left == a->pad_left,
            "%s: %s pads %d,%d output %dx%d; q8_conv_out_size: %d,%d %dx%d", model, node->name,
            (int)a->pad_top, (int)a->pad_left, (int)y->dims[1], (int)y->dims[2], (int)top,
            (int)left, (int)oh, (int)ow);
    T_CHECK(i + 1 < g->n_nodes && g->nodes[i + 1].op == Q8T_OP_BATCH_NORM &&
                g->nodes[i + 1].inputs[Q8T_IN_X] == node->output,
            "%s: %s is not followed by its batch norm", model, node->name);
    if (i + 1 < g->n_nodes) {
      char bn[2 * Q8T_NAME_MAX];
      snprintf(bn, sizeof bn, "%s/bn", node->name);
      const bool second = strstr(node->name, "/conv2") != NULL;
      T_CHECK(strcmp(g->nodes[i + 1].name, bn) == 0 &&
                  g->nodes[i + 1].attrs.activation == (second ? Q8_ACT_NONE : Q8_ACT_RELU6),
              "%s: %s's batch norm is %s with %s", model, node->name, g->nodes[i + 1].name,
              q8_activation_name(g->nodes[i + 1].attrs.activation));
    }
  }
  printf("%s: %lld trained parameters, %d nodes\n", model, (long long)parameters, (int)g->n_nodes);
  q8t_graph_free(g);
}

/* Trained parameters of the tables, counted by hand: conv weights k*k*in*out, depthwise
   k*k*c, BN 2 per channel, fc in*10 + 10. */
static int64_t count_parameters(const char *model) {
  int32_t logits;
  q8t_graph *g = build(model, &logits);
  int64_t n = 0;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    if (g->tensors[i].role == Q8T_ROLE_PARAMETER) n += (int64_t)q8t_tensor_count(&g->tensors[i]);
  }
  q8t_graph_free(g);
  return n;
}

int main(void) {
  static const row cnn[] = {{"conv1/bn", 28, 28, 32}, {"conv2/bn", 14, 14, 32},
                            {"conv3/bn", 14, 14, 64}, {"conv4/bn", 7, 7, 64},
                            {"gap", 0, 0, 64},        {"fc", 0, 0, 10}};
  static const row mobilenet[] = {
      {"conv1/bn", 28, 28, 32}, {"dw2/bn", 14, 14, 32}, {"pw3/bn", 14, 14, 64},
      {"dw4/bn", 14, 14, 64},   {"pw5/bn", 14, 14, 64}, {"dw6/bn", 7, 7, 64},
      {"pw7/bn", 7, 7, 128},    {"dw8/bn", 7, 7, 128},  {"pw9/bn", 7, 7, 128},
      {"gap", 0, 0, 128},       {"fc", 0, 0, 10}};
  static const row resnet[] = {{"conv1/bn", 28, 28, 16}, {"block2/add", 28, 28, 16},
                               {"conv3/bn", 14, 14, 32}, {"block4/add", 14, 14, 32},
                               {"conv5/bn", 7, 7, 64},   {"block6/add", 7, 7, 64},
                               {"gap", 0, 0, 64},        {"fc", 0, 0, 10}};
  check_rows("fm-cnn", cnn, sizeof cnn / sizeof *cnn);
  check_rows("fm-mobilenet", mobilenet, sizeof mobilenet / sizeof *mobilenet);
  check_rows("fm-resnet", resnet, sizeof resnet / sizeof *resnet);

  const int64_t cnn_params =
      9 * 1 * 32 + 9 * 32 * 32 + 9 * 32 * 64 + 9 * 64 * 64 + 2 * (32 + 32 + 64 + 64) + 64 * 10 + 10;
  const int64_t mobilenet_params =
      9 * 32 + 9 * 32 + 32 * 64 + 9 * 64 + 64 * 64 + 9 * 64 + 64 * 128 + 9 * 128 + 128 * 128 +
      2 * (32 + 32 + 64 + 64 + 64 + 64 + 128 + 128 + 128) + 128 * 10 + 10;
  const int64_t resnet_params = 9 * 16 + 2 * 9 * 16 * 16 + 9 * 16 * 32 + 2 * 9 * 32 * 32 +
                                9 * 32 * 64 + 2 * 9 * 64 * 64 + 2 * (3 * 16 + 3 * 32 + 3 * 64) +
                                64 * 10 + 10;
  T_CHECK(count_parameters("fm-cnn") == cnn_params, "fm-cnn parameters %lld, expected %lld",
          (long long)count_parameters("fm-cnn"), (long long)cnn_params);
  T_CHECK(count_parameters("fm-mobilenet") == mobilenet_params,
          "fm-mobilenet parameters %lld, expected %lld",
          (long long)count_parameters("fm-mobilenet"), (long long)mobilenet_params);
  T_CHECK(count_parameters("fm-resnet") == resnet_params,
          "fm-resnet parameters %lld, expected %lld", (long long)count_parameters("fm-resnet"),
          (long long)resnet_params);

  /* Residual blocks: the add reads the block's input (the previous BN's output). */
  int32_t logits;
  q8t_graph *g = build("fm-resnet", &logits);
  const char *const blocks[][2] = {
      {"block2/add", "conv1/bn"}, {"block4/add", "conv3/bn"}, {"block6/add", "conv5/bn"}};
  for (int i = 0; i < 3; i++) {
    const int32_t n = q8t_graph_find_node(g, blocks[i][0]);
    T_CHECK(n >= 0 && g->nodes[n].op == Q8T_OP_ADD &&
                g->nodes[n].inputs[Q8T_ADD_B] == q8t_graph_find_tensor(g, blocks[i][1]) &&
                g->nodes[n].attrs.activation == Q8_ACT_RELU6,
            "%s adds %s with ReLU6", blocks[i][0], blocks[i][1]);
  }
  /* Names the converter will look up. */
  const char *const names[] = {"block4/conv2/weights", "block4/conv2/bn/gamma",
                               "block4/conv2/bn/moving_variance", "fc/weights", "fc/bias"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    T_CHECK(q8t_graph_find_tensor(g, names[i]) >= 0, "fm-resnet has no tensor %s", names[i]);
  }
  q8t_graph_free(g);

  q8t_graph *empty;
  q8_error err;
  const q8t_graph_options o = {.batch = 1, .threads = 1};
  q8t_graph_init(&o, &empty, &err);
  T_CHECK(q8t_model_build(empty, "fm-vgg", &logits, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "fm-vgg") != NULL && strstr(err.message, "fm-mobilenet") != NULL,
          "unknown model: %s", err.message);
  q8t_graph_free(empty);
  return t_finish();
}
