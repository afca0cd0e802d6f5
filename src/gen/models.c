/* The four ImageNet-geometry architectures of ../shared/reference-models.md, layer by layer
   as published: MobileNet v1 (TF-slim's depth multiplier rule), MobileNet v2 (Keras's,
   channels rounded to multiples of 8), ResNet-50 v1.5 (stride on each stage's first 3x3, as
   torchvision and the reference table count it) and Inception v3 (Keras's layers).
   Convolutions have a bias (the folded batch norm) and their fused ReLU / ReLU6. */
#include <stdio.h>

#include "gen/net.h"

enum { CLASSES = 1000 };

/* Folded batch-norm stand-ins (q8g_norm): a layer followed by an activation gets offsets
   that keep most of its channels' outputs positive; linear layers (MobileNet v2's
   projections, ResNet's shortcuts) are centred; a residual branch's last convolution starts
   at half the spread, so that additions grow the signal slowly, as trained ResNets do. */
static const q8g_norm activated = {1.0f, -0.25f, 0.5f};
static const q8g_norm linear = {1.0f, -0.25f, 0.25f};
static const q8g_norm residual = {0.5f, -0.1f, 0.1f};
/* The logits' spread over the classes: the top class takes a few percent, as in a
   classifier that is not sure. */
static const float logits_gain = 3.0f;

static int32_t conv(q8g_net *net, const char *name, int32_t x, int32_t channels, int32_t kh,
                    int32_t kw, int32_t stride, q8_padding padding, q8_activation act,
                    const q8g_norm *norm) {
  const q8g_conv_spec spec = {kh, kw, stride, padding, channels, act, *norm};
  return q8g_conv(net, name, x, &spec);
}

/* A square convolution, SAME, with a fused ReLU (ResNet and Inception). */
static int32_t conv_relu(q8g_net *net, const char *name, int32_t x, int32_t channels,
                         int32_t k, int32_t stride) {
  return conv(net, name, x, channels, k, k, stride, Q8_PADDING_SAME, Q8_ACT_RELU, &activated);
}

static int32_t depthwise_relu6(q8g_net *net, const char *name, int32_t x, int32_t stride) {
  const q8g_conv_spec spec = {3, 3, stride, Q8_PADDING_SAME, 0, Q8_ACT_RELU6, activated};
  return q8g_depthwise(net, name, x, &spec);
}

static int32_t pointwise(q8g_net *net, const char *name, int32_t x, int32_t channels,
                         q8_activation act, const q8g_norm *norm) {
  return conv(net, name, x, channels, 1, 1, 1, Q8_PADDING_SAME, act, norm);
}

/* "<prefix>/<what>" into a NAME_BUF buffer (the net keeps Q8G_NAME_MAX - 1 characters; the
   names here are far shorter). */
enum { NAME_BUF = 2 * Q8G_NAME_MAX };
static const char *at(char *buf, const char *prefix, const char *what) {
  snprintf(buf, NAME_BUF, "%s/%s", prefix, what);
  return buf;
}

/* Global average pooling as the published TFLite MobileNets have it (AVERAGE_POOL_2D over the
   whole map, then RESHAPE), the logits and the probabilities. */
static void pooled_classifier(q8g_net *net, int32_t x) {
  const int32_t size = x >= 0 ? net->tensors[x].dims[1] : 1;
  x = q8g_pool(net, "avgpool", Q8_OP_AVERAGE_POOL_2D, x, size, 1, Q8_PADDING_VALID);
  x = q8g_flatten(net, "flatten", x);
  x = q8g_fully_connected(net, "logits", x, CLASSES, logits_gain);
  q8g_softmax(net, "probabilities", x);
}

/* Global average pooling as Keras exports it (MEAN), the logits and the probabilities. */
static void mean_classifier(q8g_net *net, int32_t x) {
  x = q8g_mean(net, "avg_pool", x);
  x = q8g_fully_connected(net, "logits", x, CLASSES, logits_gain);
  q8g_softmax(net, "probabilities", x);
}

/* ---- MobileNet v1 ---- */

/* TF-slim: max(int(d * depth_multiplier), 8). */
static int32_t v1_depth(int32_t d, double width) {
  const int32_t v = (int32_t)(d * width);
  return v < 8 ? 8 : v;
}

static void mobilenet_v1(q8g_net *net, double width, int32_t resolution) {
  static const struct {
    int32_t channels, stride;
  } blocks[13] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},  {512, 1},
                  {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  char a[NAME_BUF], b[Q8G_NAME_MAX];
  int32_t x = q8g_input(net, resolution, 3);
  x = conv(net, "conv0", x, v1_depth(32, width), 3, 3, 2, Q8_PADDING_SAME, Q8_ACT_RELU6,
           &activated);
  for (int i = 0; i < 13; i++) {
    snprintf(b, sizeof b, "conv%d", i + 1);
    x = depthwise_relu6(net, at(a, b, "depthwise"), x, blocks[i].stride);
    x = pointwise(net, at(a, b, "pointwise"), x, v1_depth(blocks[i].channels, width),
                  Q8_ACT_RELU6, &activated);
  }
  pooled_classifier(net, x);
}

/* ---- MobileNet v2 ---- */

/* Keras's _make_divisible(v, 8): the nearest multiple of 8, at least 8, never below 90% of v. */
static int32_t make_divisible(double v) {
  int32_t r = (int32_t)(v + 4.0) / 8 * 8;
  if (r < 8) r = 8;
  if (r < 0.9 * v) r += 8;
  return r;
}

static int32_t inverted_residual(q8g_net *net, const char *name, int32_t x, int32_t expansion,
                                 int32_t channels, int32_t stride) {
  char a[NAME_BUF];
  const int32_t in = x;
  const int32_t in_channels = x >= 0 ? net->tensors[x].dims[3] : 0;
  if (expansion != 1)
    x = pointwise(net, at(a, name, "expand"), x, in_channels * expansion, Q8_ACT_RELU6,
                  &activated);
  x = depthwise_relu6(net, at(a, name, "depthwise"), x, stride);
  x = pointwise(net, at(a, name, "project"), x, channels, Q8_ACT_NONE, &linear);
  if (stride == 1 && in_channels == channels)
    x = q8g_add(net, at(a, name, "add"), in, x, Q8_ACT_NONE);
  return x;
}

static void mobilenet_v2(q8g_net *net, double width, int32_t resolution) {
  static const struct {
    int32_t expansion, channels, repeats, stride;
  } stages[7] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2},  {6, 64, 4, 2},
                 {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  char b[Q8G_NAME_MAX];
  int32_t x = q8g_input(net, resolution, 3);
  x = conv(net, "conv0", x, make_divisible(32 * width), 3, 3, 2, Q8_PADDING_SAME, Q8_ACT_RELU6,
           &activated);
  int block = 0;
  for (int s = 0; s < 7; s++) {
    for (int r = 0; r < stages[s].repeats; r++) {
      snprintf(b, sizeof b, "block%d", block++);
      x = inverted_residual(net, b, x, stages[s].expansion,
                            make_divisible(stages[s].channels * width),
                            r == 0 ? stages[s].stride : 1);
    }
  }
  const int32_t last = width > 1.0 ? make_divisible(1280 * width) : 1280;
  x = pointwise(net, "conv_last", x, last, Q8_ACT_RELU6, &activated);
  pooled_classifier(net, x);
}

/* ---- ResNet-50 v1.5 ---- */

static int32_t bottleneck(q8g_net *net, const char *name, int32_t x, int32_t mid, int32_t stride,
                          bool project) {
  char a[NAME_BUF];
  int32_t shortcut = x;
  if (project)
    shortcut = conv(net, at(a, name, "shortcut"), x, 4 * mid, 1, 1, stride, Q8_PADDING_SAME,
                    Q8_ACT_NONE, &linear);
  x = conv_relu(net, at(a, name, "conv1"), x, mid, 1, 1);
  x = conv_relu(net, at(a, name, "conv2"), x, mid, 3, stride);
  x = pointwise(net, at(a, name, "conv3"), x, 4 * mid, Q8_ACT_NONE, &residual);
  return q8g_add(net, at(a, name, "add"), shortcut, x, Q8_ACT_RELU);
}

static void resnet50_v1(q8g_net *net, int32_t resolution) {
  static const struct {
    int32_t mid, blocks, stride;
  } stages[4] = {{64, 3, 1}, {128, 4, 2}, {256, 6, 2}, {512, 3, 2}};
  char b[Q8G_NAME_MAX];
  int32_t x = q8g_input(net, resolution, 3);
  /* TF-slim's conv2d_same and Keras: explicit 3 + 3 padding, then a VALID 7x7 stride 2. */
  x = q8g_pad(net, "conv1_pad", x, 3, 3);
  x = conv(net, "conv1", x, 64, 7, 7, 2, Q8_PADDING_VALID, Q8_ACT_RELU, &activated);
  x = q8g_pool(net, "pool1", Q8_OP_MAX_POOL_2D, x, 3, 2, Q8_PADDING_SAME);
  for (int s = 0; s < 4; s++) {
    for (int i = 0; i < stages[s].blocks; i++) {
      snprintf(b, sizeof b, "stage%d/block%d", s + 2, i + 1);
      x = bottleneck(net, b, x, stages[s].mid, i == 0 ? stages[s].stride : 1, i == 0);
    }
  }
  mean_classifier(net, x);
}

/* ---- Inception v3 ---- */

/* A KHxKW convolution with ReLU, SAME unless stated. */
static int32_t cbr(q8g_net *net, const char *prefix, const char *what, int32_t x,
                   int32_t channels, int32_t kh, int32_t kw, int32_t stride,
                   q8_padding padding) {
  char a[NAME_BUF];
  return conv(net, at(a, prefix, what), x, channels, kh, kw, stride, padding, Q8_ACT_RELU,
              &activated);
}

static int32_t same(q8g_net *net, const char *prefix, const char *what, int32_t x,
                    int32_t channels, int32_t kh, int32_t kw) {
  return cbr(net, prefix, what, x, channels, kh, kw, 1, Q8_PADDING_SAME);
}

/* 3x3 average pooling (stride 1, SAME) and a 1x1 projection: every module's pool branch. */
static int32_t pool_projection(q8g_net *net, const char *prefix, int32_t x, int32_t channels) {
  char a[NAME_BUF];
  x = q8g_pool(net, at(a, prefix, "pool"), Q8_OP_AVERAGE_POOL_2D, x, 3, 1, Q8_PADDING_SAME);
  return same(net, prefix, "pool_proj", x, channels, 1, 1);
}

/* mixed0..2: 1x1, 5x5, double 3x3 and pool branches at 35x35. */
static int32_t inception_a(q8g_net *net, const char *p, int32_t x, int32_t pool_channels) {
  int32_t br[4];
  br[0] = same(net, p, "branch1x1", x, 64, 1, 1);
  br[1] = same(net, p, "branch5x5_2", same(net, p, "branch5x5_1", x, 48, 1, 1), 64, 5, 5);
  br[2] = same(net, p, "branch3x3dbl_1", x, 64, 1, 1);
  br[2] = same(net, p, "branch3x3dbl_2", br[2], 96, 3, 3);
  br[2] = same(net, p, "branch3x3dbl_3", br[2], 96, 3, 3);
  br[3] = pool_projection(net, p, x, pool_channels);
  return q8g_concat(net, p, br, 4);
}

/* mixed3: 35x35 -> 17x17. */
static int32_t inception_b(q8g_net *net, const char *p, int32_t x) {
  char a[NAME_BUF];
  int32_t br[3];
  br[0] = cbr(net, p, "branch3x3", x, 384, 3, 3, 2, Q8_PADDING_VALID);
  br[1] = same(net, p, "branch3x3dbl_1", x, 64, 1, 1);
  br[1] = same(net, p, "branch3x3dbl_2", br[1], 96, 3, 3);
  br[1] = cbr(net, p, "branch3x3dbl_3", br[1], 96, 3, 3, 2, Q8_PADDING_VALID);
  br[2] = q8g_pool(net, at(a, p, "pool"), Q8_OP_MAX_POOL_2D, x, 3, 2, Q8_PADDING_VALID);
  return q8g_concat(net, p, br, 3);
}

/* mixed4..7: factorised 7x7 branches (1x7 then 7x1) at 17x17, c7 channels inside. */
static int32_t inception_c(q8g_net *net, const char *p, int32_t x, int32_t c7) {
  int32_t br[4];
  br[0] = same(net, p, "branch1x1", x, 192, 1, 1);
  br[1] = same(net, p, "branch7x7_1", x, c7, 1, 1);
  br[1] = same(net, p, "branch7x7_2", br[1], c7, 1, 7);
  br[1] = same(net, p, "branch7x7_3", br[1], 192, 7, 1);
  br[2] = same(net, p, "branch7x7dbl_1", x, c7, 1, 1);
  br[2] = same(net, p, "branch7x7dbl_2", br[2], c7, 7, 1);
  br[2] = same(net, p, "branch7x7dbl_3", br[2], c7, 1, 7);
  br[2] = same(net, p, "branch7x7dbl_4", br[2], c7, 7, 1);
  br[2] = same(net, p, "branch7x7dbl_5", br[2], 192, 1, 7);
  br[3] = pool_projection(net, p, x, 192);
  return q8g_concat(net, p, br, 4);
}

/* mixed8: 17x17 -> 8x8. */
static int32_t inception_d(q8g_net *net, const char *p, int32_t x) {
  char a[NAME_BUF];
  int32_t br[3];
  br[0] = same(net, p, "branch3x3_1", x, 192, 1, 1);
  br[0] = cbr(net, p, "branch3x3_2", br[0], 320, 3, 3, 2, Q8_PADDING_VALID);
  br[1] = same(net, p, "branch7x7x3_1", x, 192, 1, 1);
  br[1] = same(net, p, "branch7x7x3_2", br[1], 192, 1, 7);
  br[1] = same(net, p, "branch7x7x3_3", br[1], 192, 7, 1);
  br[1] = cbr(net, p, "branch7x7x3_4", br[1], 192, 3, 3, 2, Q8_PADDING_VALID);
  br[2] = q8g_pool(net, at(a, p, "pool"), Q8_OP_MAX_POOL_2D, x, 3, 2, Q8_PADDING_VALID);
  return q8g_concat(net, p, br, 3);
}

/* mixed9..10 at 8x8. The published model concatenates each split pair (1x3 | 3x1) first and
   then the four branches; one concatenation of the six tensors gives the same output with
   the same parameters and one copy fewer. */
static int32_t inception_e(q8g_net *net, const char *p, int32_t x) {
  int32_t br[6];
  br[0] = same(net, p, "branch1x1", x, 320, 1, 1);
  const int32_t b3 = same(net, p, "branch3x3_1", x, 384, 1, 1);
  br[1] = same(net, p, "branch3x3_2a", b3, 384, 1, 3);
  br[2] = same(net, p, "branch3x3_2b", b3, 384, 3, 1);
  int32_t bd = same(net, p, "branch3x3dbl_1", x, 448, 1, 1);
  bd = same(net, p, "branch3x3dbl_2", bd, 384, 3, 3);
  br[3] = same(net, p, "branch3x3dbl_3a", bd, 384, 1, 3);
  br[4] = same(net, p, "branch3x3dbl_3b", bd, 384, 3, 1);
  br[5] = pool_projection(net, p, x, 192);
  return q8g_concat(net, p, br, 6);
}

static void inception_v3(q8g_net *net, int32_t resolution) {
  int32_t x = q8g_input(net, resolution, 3);
  x = cbr(net, "stem", "conv1", x, 32, 3, 3, 2, Q8_PADDING_VALID);
  x = cbr(net, "stem", "conv2", x, 32, 3, 3, 1, Q8_PADDING_VALID);
  x = same(net, "stem", "conv3", x, 64, 3, 3);
  x = q8g_pool(net, "stem/pool1", Q8_OP_MAX_POOL_2D, x, 3, 2, Q8_PADDING_VALID);
  x = cbr(net, "stem", "conv4", x, 80, 1, 1, 1, Q8_PADDING_VALID);
  x = cbr(net, "stem", "conv5", x, 192, 3, 3, 1, Q8_PADDING_VALID);
  x = q8g_pool(net, "stem/pool2", Q8_OP_MAX_POOL_2D, x, 3, 2, Q8_PADDING_VALID);
  static const int32_t pool_channels[3] = {32, 64, 64};
  static const int32_t c7[4] = {128, 160, 160, 192};
  char p[Q8G_NAME_MAX];
  for (int i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "mixed%d", i);
    x = inception_a(net, p, x, pool_channels[i]);
  }
  x = inception_b(net, "mixed3", x);
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "mixed%d", 4 + i);
    x = inception_c(net, p, x, c7[i]);
  }
  x = inception_d(net, "mixed8", x);
  x = inception_e(net, "mixed9", x);
  x = inception_e(net, "mixed10", x);
  mean_classifier(net, x);
}

void q8g_build_net(q8g_net *net, q8g_model model, double width, int32_t resolution) {
  switch (model) {
    case Q8G_MOBILENET_V1: mobilenet_v1(net, width, resolution); return;
    case Q8G_MOBILENET_V2: mobilenet_v2(net, width, resolution); return;
    case Q8G_RESNET50_V1: resnet50_v1(net, resolution); return;
    case Q8G_INCEPTION_V3: inception_v3(net, resolution); return;
    case Q8G_MODEL_COUNT: break;
  }
  q8g_net_fail(net, Q8_ERROR_INVALID_ARGUMENT, "unknown model %d", (int)model);
}
