/* Builders of the reference models, layer by layer as reference-models.md lists them. Node
   names follow the table's rows: "conv1", "dw2", "pw3", "block2/conv1", ...; each batch norm
   is "<conv>/bn". */
#include "train/models.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "train/build.h"

const char *const q8t_model_names[] = {"fm-cnn", "fm-mobilenet", "fm-resnet", NULL};

static q8t_window same3x3(int32_t stride) {
  return (q8t_window){.kernel_h = 3,
                      .kernel_w = 3,
                      .stride_h = stride,
                      .stride_w = stride,
                      .padding = Q8_PADDING_SAME};
}

static const q8t_window pointwise = {
    .kernel_h = 1, .kernel_w = 1, .stride_h = 1, .stride_w = 1, .padding = Q8_PADDING_SAME};

/* "<a>/<b>" in buf (twice a name's room: a name too long is the builders' error to report). */
typedef struct long_name {
  char s[2 * Q8T_NAME_MAX];
} long_name;

static long_name join(const char *a, const char *b) {
  long_name n;
  snprintf(n.s, sizeof n.s, "%.*s/%s", Q8T_NAME_MAX, a, b);
  return n;
}

/* conv (no bias), BN, activation: the unit every reference model is made of. */
static int32_t conv_bn(q8t_graph *g, const char *name, int32_t x, int32_t filters,
                       q8t_window window, q8_activation act) {
  const long_name bn = join(name, "bn");
  return q8t_batch_norm(g, bn.s, q8t_conv(g, name, x, filters, window, false, Q8_ACT_NONE), act);
}

static int32_t dw_bn(q8t_graph *g, const char *name, int32_t x, int32_t stride) {
  const long_name bn = join(name, "bn");
  return q8t_batch_norm(g, bn.s,
                        q8t_depthwise_conv(g, name, x, 1, same3x3(stride), false, Q8_ACT_NONE),
                        Q8_ACT_RELU6);
}

/* gap, fc C->10 with bias (the logits), softmax cross-entropy. */
static int32_t classifier(q8t_graph *g, int32_t x) {
  const int32_t logits =
      q8t_fully_connected(g, "fc", q8t_global_avg_pool(g, "gap", x), 10, true, Q8_ACT_NONE);
  q8t_softmax_cross_entropy(g, "loss", logits);
  return logits;
}

static int32_t fm_cnn(q8t_graph *g) {
  int32_t x = q8t_input(g, "input", 28, 28, 1);
  x = conv_bn(g, "conv1", x, 32, same3x3(1), Q8_ACT_RELU6);
  x = conv_bn(g, "conv2", x, 32, same3x3(2), Q8_ACT_RELU6);
  x = conv_bn(g, "conv3", x, 64, same3x3(1), Q8_ACT_RELU6);
  x = conv_bn(g, "conv4", x, 64, same3x3(2), Q8_ACT_RELU6);
  return classifier(g, x);
}

static int32_t fm_mobilenet(q8t_graph *g) {
  int32_t x = q8t_input(g, "input", 28, 28, 1);
  x = conv_bn(g, "conv1", x, 32, same3x3(1), Q8_ACT_RELU6);
  x = dw_bn(g, "dw2", x, 2);
  x = conv_bn(g, "pw3", x, 64, pointwise, Q8_ACT_RELU6);
  x = dw_bn(g, "dw4", x, 1);
  x = conv_bn(g, "pw5", x, 64, pointwise, Q8_ACT_RELU6);
  x = dw_bn(g, "dw6", x, 2);
  x = conv_bn(g, "pw7", x, 128, pointwise, Q8_ACT_RELU6);
  x = dw_bn(g, "dw8", x, 1);
  x = conv_bn(g, "pw9", x, 128, pointwise, Q8_ACT_RELU6);
  return classifier(g, x);
}

/* conv 3x3 C->C, BN, relu6; conv 3x3 C->C, BN; add the block's input; relu6. */
static int32_t residual_block(q8t_graph *g, const char *name, int32_t x) {
  const int32_t channels = x >= 0 ? g->tensors[x].dims[3] : 1;
  int32_t y = conv_bn(g, join(name, "conv1").s, x, channels, same3x3(1), Q8_ACT_RELU6);
  y = conv_bn(g, join(name, "conv2").s, y, channels, same3x3(1), Q8_ACT_NONE);
  return q8t_add(g, join(name, "add").s, y, x, Q8_ACT_RELU6);
}

static int32_t fm_resnet(q8t_graph *g) {
  int32_t x = q8t_input(g, "input", 28, 28, 1);
  x = conv_bn(g, "conv1", x, 16, same3x3(1), Q8_ACT_RELU6);
  x = residual_block(g, "block2", x);
  x = conv_bn(g, "conv3", x, 32, same3x3(2), Q8_ACT_RELU6);
  x = residual_block(g, "block4", x);
  x = conv_bn(g, "conv5", x, 64, same3x3(2), Q8_ACT_RELU6);
  x = residual_block(g, "block6", x);
  return classifier(g, x);
}

q8_status q8t_model_build(q8t_graph *g, const char *name, int32_t *logits, q8_error *error) {
  *logits = -1;
  if (g->n_nodes != 0) {
    return q8_fail(error, Q8_ERROR_STATE, "model %s: the graph is not empty", name);
  }
  if (strcmp(name, "fm-cnn") == 0) {
    *logits = fm_cnn(g);
  } else if (strcmp(name, "fm-mobilenet") == 0) {
    *logits = fm_mobilenet(g);
  } else if (strcmp(name, "fm-resnet") == 0) {
    *logits = fm_resnet(g);
  } else {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "unknown model '%s' (known: fm-cnn, fm-mobilenet, fm-resnet)", name);
  }
  if (g->status != Q8_OK) {
    *error = g->error;
    return g->status;
  }
  return Q8_OK;
}
