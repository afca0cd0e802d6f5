/* The converter on a tiny model worked out by hand (input 2x2x1, conv 1x1 with 2 channels,
   batch norm, ReLU6, global average pooling, fully connected 2 -> 2, softmax): the folded
   weights, codes, scales, zero points, bias codes and the integer outputs of q8's runtime are
   stated below from first principles (the derivations are in the comments; nothing here calls
   src/quant/range.h), for both schemes. Also: the export plan, calibration ranges, the
   minimum scale of an all-zero channel and the bias-safe scale, and refusals. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/build.h"
#include "train/convert.h"
#include "train/graph.h"
#include "util/graph-runner.h"
#include "util/test-util.h"

static int32_t find_exported(const q8_graph *g, const char *name) {
  for (int32_t t = 0; t < g->n_tensors; t++)
    if (strcmp(g->tensors[t].name, name) == 0) return t;
  return -1;
}

/* Value k of an 8-bit tensor as an integer. */
static int32_t code_at(const void *data, q8_type type, size_t k) {
  return type == Q8_TYPE_INT8 ? ((const int8_t *)data)[k] : ((const uint8_t *)data)[k];
}

/* ---- the tiny model ---- */

static q8t_graph *tiny_graph(void) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = 4, .threads = 1};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) return NULL;
  int32_t x = q8t_input(g, "input", 2, 2, 1);
  const q8t_window one = {1, 1, 1, 1, Q8_PADDING_SAME};
  x = q8t_conv(g, "conv1", x, 2, one, false, Q8_ACT_NONE);
  x = q8t_batch_norm(g, "conv1/bn", x, Q8_ACT_RELU6);
  /* epsilon 2^-10 with variance 0.25 - 2^-10: sigma = 0.5 exactly */
  q8t_batch_norm_settings(g, x, 0.1f, 0.0009765625f);
  x = q8t_global_avg_pool(g, "gap", x);
  x = q8t_fully_connected(g, "fc", x, 2, true, Q8_ACT_NONE);
  q8t_softmax_cross_entropy(g, "loss", x);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  return g;
}

static void set_values(q8t_graph *g, const char *name, const float *v, size_t n) {
  const int32_t t = q8t_graph_find_tensor(g, name);
  T_CHECK(t >= 0 && q8t_tensor_count(&g->tensors[t]) == n, "tensor %s", name);
  if (t >= 0) memcpy(g->tensors[t].data, v, n * sizeof *v);
}

/* conv w = [0.5, -1]; BN gamma [2, 1], beta [0.125, 0.5], mean [0.25, -0.375], sigma 0.5:
   k = gamma / sigma = [4, 2], folded w' = [2, -2], b' = beta - mean * k = [-0.875, 1.25].
   fc W = [[1, -0.4], [-0.25, 0.75]] (rows: output units), b = [0.1, -0.2]. */
static void tiny_values(q8t_graph *g) {
  set_values(g, "conv1/weights", (const float[]){0.5f, -1.0f}, 2);
  set_values(g, "conv1/bn/gamma", (const float[]){2.0f, 1.0f}, 2);
  set_values(g, "conv1/bn/beta", (const float[]){0.125f, 0.5f}, 2);
  set_values(g, "conv1/bn/moving_mean", (const float[]){0.25f, -0.375f}, 2);
  set_values(g, "conv1/bn/moving_variance", (const float[]){0.2490234375f, 0.2490234375f}, 2);
  set_values(g, "fc/weights", (const float[]){1.0f, -0.4f, -0.25f, 0.75f}, 4);
  set_values(g, "fc/bias", (const float[]){0.1f, -0.2f}, 2);
}

/* Ranges stated (as QAT will hand them over): conv1/bn [0, 255/64] gives scale 1/64 with zero
   point 0 (uint8) / -128 (int8); logits [-4, 255/32 - 4] give scale 1/32, zero point
   round(0 - (-4) * 32) = 128 (uint8) / 0 (int8). */
static void tiny_ranges(q8t_graph *g, q8t_ranges *r) {
  q8_error err;
  T_CHECK(q8t_ranges_init(g, r, &err) == Q8_OK, "ranges: %s", err.message);
  T_CHECK(q8t_ranges_set(r, q8t_graph_find_tensor(g, "conv1/bn"), 0.0f, 3.984375f, &err) == Q8_OK,
          "%s", err.message);
  T_CHECK(q8t_ranges_set(r, q8t_graph_find_tensor(g, "fc"), -4.0f, 3.96875f, &err) == Q8_OK, "%s",
          err.message);
}

static void check_plan(q8t_graph *g) {
  q8t_export_plan plan;
  q8_error err;
  T_CHECK(q8t_export_plan_init(g, &plan, &err) == Q8_OK, "plan: %s", err.message);
  const q8_op_kind kinds[4] = {Q8_OP_CONV_2D, Q8_OP_MEAN, Q8_OP_FULLY_CONNECTED, Q8_OP_SOFTMAX};
  T_CHECK(plan.n_ops == 4, "plan: %d operators, expected 4", (int)plan.n_ops);
  for (int32_t i = 0; i < plan.n_ops && i < 4; i++)
    T_CHECK(plan.ops[i].kind == kinds[i], "plan op %d: %s, expected %s", (int)i,
            q8_op_name(plan.ops[i].kind), q8_op_name(kinds[i]));
  T_CHECK(plan.ops[0].batch_norm == q8t_graph_find_node(g, "conv1/bn") &&
              plan.ops[0].activation == Q8_ACT_RELU6 &&
              plan.ops[0].output == q8t_graph_find_tensor(g, "conv1/bn"),
          "conv: folds conv1/bn, fuses its ReLU6, outputs conv1/bn");
  T_CHECK(plan.n_ranged == 2 && plan.ranged[0] == q8t_graph_find_tensor(g, "conv1/bn") &&
              plan.ranged[1] == q8t_graph_find_tensor(g, "fc"),
          "ranged tensors: conv1/bn and fc (gap shares its input's, softmax is fixed); %d",
          (int)plan.n_ranged);
  T_CHECK(plan.n_outputs == 1 && plan.outputs[0] == 3, "output: the softmax");
  q8t_export_plan_free(&plan);
}

static void check_fold(q8t_graph *g) {
  float w[2], b[2];
  q8_error err;
  T_CHECK(q8t_fold_batch_norm(g, q8t_graph_find_node(g, "conv1"), q8t_graph_find_node(g, "conv1/bn"),
                              w, b, &err) == Q8_OK, "fold: %s", err.message);
  T_CHECK(w[0] == 2.0f && w[1] == -2.0f, "folded weights %g %g, expected 2 -2", w[0], w[1]);
  T_CHECK(b[0] == -0.875f && b[1] == 1.25f, "folded bias %g %g, expected -0.875 1.25", b[0], b[1]);
}

/* Calibration on the four images of the worked input (one per batch slot): conv1/bn's range
   is [0, max] with max the largest ReLU6 output, 1.25 (channel 1 at pixel 0). */
static void check_calibration(q8t_graph *g) {
  static const uint8_t pixels[4] = {0, 64, 160, 255};
  const q8t_images data = {pixels, NULL, 1, 2, 2, 1};
  q8t_ranges r;
  q8_error err;
  q8t_ranges_init(g, &r, &err);
  T_CHECK(q8t_calibrate(g, &data, 1, &r, &err) == Q8_OK, "calibrate: %s", err.message);
  const q8_range_tracker *c = &r.activation[q8t_graph_find_tensor(g, "conv1/bn")];
  T_CHECK(c->initialized && c->min == 0.0f && fabsf(c->max - 1.25f) < 1e-6f,
          "conv1/bn range [%g, %g], expected [0, 1.25]", c->min, c->max);
  /* The float logits: gap = [(0.380392 + 1.125) / 4, (1.25 + 0.749020) / 4] (ch0 at 160:
     2 * 160/255 - 0.875; ch1 at 64: 1.25 - 2 * 64/255), fc = W gap + b. */
  const double gap0 = (2.0 * 160 / 255 - 0.875 + 1.125) / 4, gap1 = (1.25 + 1.25 - 128.0 / 255) / 4;
  const double z0 = gap0 - 0.4 * gap1 + 0.1, z1 = -0.25 * gap0 + 0.75 * gap1 - 0.2;
  const q8_range_tracker *f = &r.activation[q8t_graph_find_tensor(g, "fc")];
  T_CHECK(f->initialized && f->min == 0.0f && fabs(f->max - fmax(z0, z1)) < 1e-6,
          "fc range [%g, %g], expected [0, %g] (both logits positive)", f->min, f->max,
          fmax(z0, z1));
  T_CHECK(!r.activation[q8t_graph_find_tensor(g, "gap")].initialized, "gap is not calibrated");
  q8t_ranges_free(&r);
}

static void check_quant(const q8_tensor *t, int32_t count, const float *scales,
                        const int32_t *zero_points, const char *what) {
  T_CHECK(t->quant.count == count, "%s: %d scales, expected %d", what, (int)t->quant.count,
          (int)count);
  for (int32_t i = 0; i < count && i < t->quant.count; i++)
    T_CHECK(t->quant.scale[i] == scales[i] && t->quant.zero_point[i] == zero_points[i],
            "%s[%d]: scale %.9g zero point %d, expected %.9g and %d", what, (int)i,
            (double)t->quant.scale[i], (int)t->quant.zero_point[i], (double)scales[i],
            (int)zero_points[i]);
}

static void check_codes(const q8_tensor *t, const int32_t *codes, size_t n, const char *what) {
  T_CHECK(t->data != NULL && t->data_size == n * q8_type_size(t->type), "%s: %zu bytes", what,
          t->data_size);
  if (t->data == NULL) return;
  for (size_t i = 0; i < n; i++) {
    const int32_t v = t->type == Q8_TYPE_INT32 ? ((const int32_t *)t->data)[i]
                                                : code_at(t->data, t->type, i);
    T_CHECK(v == codes[i], "%s[%zu] = %d, expected %d", what, i, (int)v, (int)codes[i]);
  }
}

/* What each scheme stores; int8 derivations first, uint8 differences after. */
typedef struct tiny_expected {
  q8t_scheme scheme;
  int32_t act_zp;                         /* conv1/bn and gap (scale 1/64) */
  int32_t logits_zp;                      /* scale 1/32 */
  float conv_w_scale[2];
  int32_t conv_w_count, conv_w_zp[2], conv_w[2];
  float conv_b_scale[2];
  int32_t conv_b[2];
  float fc_w_scale;
  int32_t fc_w_zp, fc_w[4];
  float fc_b_scale;
  int32_t fc_b[2];
  int32_t conv_out[8], gap[2], logits[2], probabilities[2];
} tiny_expected;

/* int8. conv weights per channel, symmetric: scale max|w'| / 127 = 2/127, codes +-127.
   Bias scale input * weight = (1/255)(2/127); codes -0.875 * 16192.5 = -14168.44 -> -14168,
   1.25 * 16192.5 = 20240.6 -> 20241. Input pixels p = [0, 64, 160, 255] are codes p - 128, so
   (q - zp) = p and acc_c = p * (+-127) + bias_c:
     ch0: 127 p - 14168 = [-14168, -6040, 6152, 18217]
     ch1: -127 p + 20241 = [20241, 12113, -79, -12144]
   Output: round(acc * (1/255)(2/127) * 64) = round(acc * 128/32385) + zp (-128), clamped to
   [-128, 127] (ReLU6 reaches code 256, beyond): ch0 [-56, -24, 24, 72] -> [-128, -128, -104,
   -56], ch1 [80, 48, 0, -48] -> [-48, -80, -128, -128] (no product is near a half).
   MEAN with equal parameters: the truncated mean of the codes, ch0 -416/4 = -104, ch1
   -384/4 = -96 (reals 24/64 = 0.375, 32/64 = 0.5).
   fc weights per tensor, symmetric: scale 1/127; codes 127, -0.4*127 = -50.8 -> -51,
   -31.75 -> -32, 95.25 -> 95. Bias scale (1/64)(1/127) = 1/8128: 812.8 -> 813, -1625.6 ->
   -1626. acc = (gap - zp) . w + b with gap - zp = [24, 32]: 24*127 - 32*51 + 813 = 2229,
   -24*32 + 32*95 - 1626 = 646; times (1/8128) / (1/32) = 1/254: 8.78 -> 9, 2.54 -> 3.
   Softmax of [9/32, 3/32]: p0 = 1 / (1 + e^-0.1875) = 0.54674 -> 256 p0 = 139.97 -> 140 - 128
   = 12, and 116.03 -> 116 - 128 = -12 (the fixed-point exp may differ by one step). */
static const tiny_expected tiny_int8 = {
    .scheme = Q8T_SCHEME_INT8, .act_zp = -128, .logits_zp = 0,
    .conv_w_scale = {2.0f / 127.0f, 2.0f / 127.0f}, .conv_w_count = 2, .conv_w_zp = {0, 0},
    .conv_w = {127, -127},
    .conv_b = {-14168, 20241},
    .fc_w_scale = 1.0f / 127.0f, .fc_w_zp = 0, .fc_w = {127, -51, -32, 95},
    .fc_b = {813, -1626},
    .conv_out = {-128, -48, -128, -80, -104, -128, -56, -128},
    .gap = {-104, -96}, .logits = {9, 3}, .probabilities = {12, -12}};

/* uint8. conv weights per tensor, narrow range over [-2, 2]: scale 4/254 = 2/127, zero point
   round(1 + 2 / (2/127)) = 128, codes 128 +- 127 = 255 and 1; the same products and bias
   codes as int8, so every activation code is int8's + 128.
   fc weights over [-0.4, 1] (min, max of W): scale 1.4/254 = 0.0055118, zero point
   round(1 + 0.4/0.0055118) = round(73.57) = 74, nudged range [-73, 181] * scale =
   [-0.40236, 0.99764]; codes 1 + floor((w + 0.40236) / scale + 0.5): 1.0 clamps to 255, -0.4
   -> 1 + floor(0.43 + 0.5) = 1, -0.25 -> 1 + floor(27.64 + 0.5) = 29, 0.75 -> 1 +
   floor(209.07 + 0.5) = 210. Bias scale (1/64)(1.4/254): 0.1 -> 1161.1 -> 1161, -0.2 ->
   -2322.3 -> -2322. acc: 24 (255 - 74) + 32 (1 - 74) + 1161 = 3169, 24 (29 - 74) + 32 (210 -
   74) - 2322 = 950; times (1/64)(1.4/254) / (1/32) = 0.0027559: 8.73 -> 9, 2.62 -> 3; zero
   point 128: 137, 131. Softmax zero point 0: 140, 116. */
static const tiny_expected tiny_uint8 = {
    .scheme = Q8T_SCHEME_UINT8, .act_zp = 0, .logits_zp = 128,
    .conv_w_scale = {2.0f / 127.0f}, .conv_w_count = 1, .conv_w_zp = {128}, .conv_w = {255, 1},
    .conv_b = {-14168, 20241},
    .fc_w_scale = 1.4f / 254.0f, .fc_w_zp = 74, .fc_w = {255, 1, 29, 210},
    .fc_b = {1161, -2322},
    .conv_out = {0, 80, 0, 48, 24, 0, 72, 0},
    .gap = {24, 32}, .logits = {137, 131}, .probabilities = {140, 116}};

static void check_tiny_graph(const q8_graph *out, const tiny_expected *x) {
  const q8_tensor *t = out->tensors;
  const int32_t conv_w = find_exported(out, "conv1/weights"), conv_b = find_exported(out, "conv1/bias");
  const int32_t fc_w = find_exported(out, "fc/weights"), fc_b = find_exported(out, "fc/bias");
  const int32_t act[4] = {find_exported(out, "input"), find_exported(out, "conv1/bn"),
                          find_exported(out, "gap"), find_exported(out, "fc")};
  T_CHECK(conv_w >= 0 && conv_b >= 0 && fc_w >= 0 && fc_b >= 0 && act[0] >= 0 && act[1] >= 0 &&
              act[2] >= 0 && act[3] >= 0 && find_exported(out, "probabilities") >= 0,
          "tensor names from the training graph");
  if (conv_w < 0 || conv_b < 0 || fc_w < 0 || fc_b < 0 || act[0] < 0 || act[1] < 0 || act[2] < 0 ||
      act[3] < 0)
    return;
  const float input_scale = 1.0f / 255.0f, act_scale = 1.0f / 64.0f;
  const int32_t input_zp = x->scheme == Q8T_SCHEME_INT8 ? -128 : 0;
  check_quant(&t[act[0]], 1, &input_scale, &input_zp, "input");
  check_quant(&t[act[1]], 1, &act_scale, &x->act_zp, "conv1/bn");
  check_quant(&t[act[2]], 1, &act_scale, &x->act_zp, "gap (equal to its input)");
  const float logits_scale = 1.0f / 32.0f;
  check_quant(&t[act[3]], 1, &logits_scale, &x->logits_zp, "fc");
  check_quant(&t[conv_w], x->conv_w_count, x->conv_w_scale, x->conv_w_zp, "conv1/weights");
  T_CHECK(x->conv_w_count == 1 || t[conv_w].quant.axis == 0, "conv weights along axis 0");
  check_codes(&t[conv_w], x->conv_w, 2, "conv1/weights");
  float conv_b_scale[2];
  const int32_t zeros[2] = {0, 0};
  for (int c = 0; c < x->conv_w_count; c++) conv_b_scale[c] = input_scale * x->conv_w_scale[c];
  check_quant(&t[conv_b], x->conv_w_count, conv_b_scale, zeros, "conv1/bias");
  check_codes(&t[conv_b], x->conv_b, 2, "conv1/bias");
  check_quant(&t[fc_w], 1, &x->fc_w_scale, &x->fc_w_zp, "fc/weights");
  check_codes(&t[fc_w], x->fc_w, 4, "fc/weights");
  const float fc_b_scale = act_scale * x->fc_w_scale;
  check_quant(&t[fc_b], 1, &fc_b_scale, zeros, "fc/bias");
  check_codes(&t[fc_b], x->fc_b, 2, "fc/bias");
  const q8_node *mean = &out->nodes[1], *softmax = &out->nodes[3];
  T_CHECK(out->n_nodes == 4 && out->nodes[0].kind == Q8_OP_CONV_2D &&
              out->nodes[0].opt.conv.activation == Q8_ACT_RELU6 && mean->kind == Q8_OP_MEAN &&
              !mean->opt.reduce.keep_dims && out->nodes[2].kind == Q8_OP_FULLY_CONNECTED &&
              softmax->kind == Q8_OP_SOFTMAX && softmax->opt.softmax.beta == 1.0f,
          "operators CONV_2D (RELU6), MEAN (keep_dims false), FULLY_CONNECTED, SOFTMAX");
  const q8_tensor *axes = &t[mean->inputs[1]];
  T_CHECK(axes->type == Q8_TYPE_INT32 && axes->data_size == 8 &&
              ((const int32_t *)axes->data)[0] == 1 && ((const int32_t *)axes->data)[1] == 2,
          "MEAN axes [1, 2]");
  const q8_tensor *probs = &t[softmax->outputs[0]];
  const float prob_scale = 1.0f / 256.0f;
  const int32_t prob_zp = x->scheme == Q8T_SCHEME_INT8 ? -128 : 0;
  check_quant(probs, 1, &prob_scale, &prob_zp, "probabilities");
}

static void check_tiny_outputs(q8_graph *out, const tiny_expected *x) {
  const int32_t conv = find_exported(out, "conv1/bn"), gap = find_exported(out, "gap");
  const int32_t fc = find_exported(out, "fc"), probs = find_exported(out, "probabilities");
  const q8_type type = x->scheme == Q8T_SCHEME_INT8 ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  t_runner r;
  if (!t_runner_init(&r, out)) return;
  const int32_t offset = x->scheme == Q8T_SCHEME_INT8 ? -128 : 0;
  const uint8_t input[4] = {(uint8_t)(0 + offset), (uint8_t)(64 + offset),
                            (uint8_t)(160 + offset), (uint8_t)(255 + offset)};
  T_CHECK(q8_interp_set_input(r.interp, 0, input, 4) == Q8_OK, "set input");
  T_CHECK(q8_interp_invoke(r.interp) == Q8_OK, "invoke: %s", q8_interp_last_error(r.interp));
  const void *c = t_runner_tensor(&r, conv), *m = t_runner_tensor(&r, gap);
  const void *z = t_runner_tensor(&r, fc), *p = t_runner_tensor(&r, probs);
  T_CHECK(c && m && z && p, "outputs readable");
  if (!(c && m && z && p)) {
    t_runner_free(&r);
    return;
  }
  for (size_t k = 0; k < 8; k++)
    T_CHECK(code_at(c, type, k) == x->conv_out[k], "%s conv1/bn[%zu] = %d, expected %d",
            q8t_scheme_name(x->scheme), k, (int)code_at(c, type, k), (int)x->conv_out[k]);
  for (size_t k = 0; k < 2; k++) {
    T_CHECK(code_at(m, type, k) == x->gap[k], "%s gap[%zu] = %d, expected %d",
            q8t_scheme_name(x->scheme), k, (int)code_at(m, type, k), (int)x->gap[k]);
    T_CHECK(code_at(z, type, k) == x->logits[k], "%s logits[%zu] = %d, expected %d",
            q8t_scheme_name(x->scheme), k, (int)code_at(z, type, k), (int)x->logits[k]);
    T_CHECK(abs(code_at(p, type, k) - x->probabilities[k]) <= 1,
            "%s probabilities[%zu] = %d, expected %d +- 1", q8t_scheme_name(x->scheme), k,
            (int)code_at(p, type, k), (int)x->probabilities[k]);
  }
  t_runner_free(&r);
}

static void tiny_by_hand(void) {
  q8t_graph *g = tiny_graph();
  if (g == NULL) return;
  tiny_values(g);
  check_plan(g);
  check_fold(g);
  check_calibration(g);
  q8t_ranges r;
  tiny_ranges(g, &r);
  const tiny_expected *cases[2] = {&tiny_int8, &tiny_uint8};
  for (int i = 0; i < 2; i++) {
    const q8t_export_options o = {.scheme = cases[i]->scheme};
    q8_graph *out = NULL;
    q8t_export_report report;
    q8_error err;
    T_CHECK(q8t_export(g, &r, &o, &out, &report, &err) == Q8_OK, "export %s: %s",
            q8t_scheme_name(cases[i]->scheme), err.message);
    if (out == NULL) continue;
    T_CHECK(report.operators == 4 && report.weight_tensors == 2 && report.notes[0] == 0,
            "report: %d operators, %d weight tensors, notes '%s'", (int)report.operators,
            (int)report.weight_tensors, report.notes);
    check_tiny_graph(out, cases[i]);
    check_tiny_outputs(out, cases[i]);
    q8_graph_free(out);
  }
  q8t_ranges_free(&r);
  q8t_graph_free(g);
}

/* ---- an all-zero channel, the bias-safe scale ---- */

/* gamma_1 = 0 makes channel 1's folded weights all zero: its int8 scale is the minimum 2^-16
   and its output is its bias b'_1 = beta_1 alone. beta_1 = 1: bias code 1 / ((1/255) 2^-16)
   = 16711680, the output 1.0 = 64 steps of 1/64 above the zero point -128 at every pixel.
   beta_1 = 100 needs more than |bias| <= 2^30 (1/255) scale: the scale is raised to at least
   100 * 255 / 2^30 and the bias code stays within 2^30. */
static void zero_channel(void) {
  const float betas[2] = {1.0f, 100.0f};
  for (int i = 0; i < 2; i++) {
    q8t_graph *g = tiny_graph();
    if (g == NULL) return;
    tiny_values(g);
    set_values(g, "conv1/bn/gamma", (const float[]){2.0f, 0.0f}, 2);
    set_values(g, "conv1/bn/beta", (const float[]){0.125f, betas[i]}, 2);
    q8t_ranges r;
    tiny_ranges(g, &r);
    if (i == 1) q8t_ranges_set(&r, q8t_graph_find_tensor(g, "conv1/bn"), 0.0f, 6.0f, NULL);
    const q8t_export_options o = {.scheme = Q8T_SCHEME_INT8};
    q8_graph *out = NULL;
    q8t_export_report report;
    q8_error err;
    T_CHECK(q8t_export(g, &r, &o, &out, &report, &err) == Q8_OK, "export: %s", err.message);
    if (out == NULL) continue;
    const q8_tensor *w = &out->tensors[find_exported(out, "conv1/weights")];
    const q8_tensor *b = &out->tensors[find_exported(out, "conv1/bias")];
    const int32_t code = ((const int8_t *)w->data)[1], bias = ((const int32_t *)b->data)[1];
    T_CHECK(code == 0 && report.min_scale_channels == 1 && strstr(report.notes, "minimum scale"),
            "zero channel: code %d, %d at the minimum scale, notes '%s'", (int)code,
            (int)report.min_scale_channels, report.notes);
    if (i == 0) {
      const double expected = round(1.0 / ((double)(1.0f / 255.0f) * 1.52587890625e-05));
      T_CHECK(w->quant.scale[1] == 1.52587890625e-05f && bias == (int32_t)expected &&
                  report.bias_adjusted_channels == 0,
              "scale %g (2^-16), bias code %d (expected %.0f)", (double)w->quant.scale[1],
              (int)bias, expected);
      t_runner run;
      if (t_runner_init(&run, out)) {
        const int8_t input[4] = {-128, -64, 32, 127};
        q8_interp_set_input(run.interp, 0, input, 4);
        q8_interp_invoke(run.interp);
        const int8_t *c = t_runner_tensor(&run, find_exported(out, "conv1/bn"));
        for (int k = 0; c != NULL && k < 4; k++)
          T_CHECK(c[2 * k + 1] == -64, "zero channel output %d, expected -64 (1.0)", c[2 * k + 1]);
        t_runner_free(&run);
      }
    } else {
      T_CHECK(report.bias_adjusted_channels == 1 &&
                  w->quant.scale[1] >= 100.0f * 255.0f / 1073741824.0f && abs(bias) <= (1 << 30) &&
                  strstr(report.notes, "raised") != NULL,
              "bias 100: scale %g, bias code %d, %d adjusted, notes '%s'",
              (double)w->quant.scale[1], (int)bias, (int)report.bias_adjusted_channels,
              report.notes);
      t_runner run;
      if (t_runner_init(&run, out)) t_runner_free(&run);
    }
    q8_graph_free(out);
    q8t_ranges_free(&r);
    q8t_graph_free(g);
  }
}

/* ---- weight grids handed over (as quantization-aware training will) ---- */

static void handed_over_grids(void) {
  q8t_graph *g = tiny_graph();
  if (g == NULL) return;
  tiny_values(g);
  q8t_ranges r;
  tiny_ranges(g, &r);
  const q8t_export_options o = {.scheme = Q8T_SCHEME_INT8};
  const int32_t conv_w = q8t_graph_find_tensor(g, "conv1/weights");
  /* Channel grids with twice the derived step (4/127): the codes halve to +-63.5 -> 64, -63
     (TF's rounding: floor(x + 0.5) from the bottom of the grid, ties upward). */
  q8_quant_grid grids[3]; /* the third for a count that does not match */
  memset(grids, 0, sizeof grids);
  for (int c = 0; c < 3; c++) {
    grids[c].scale = 4.0f / 127.0f;
    grids[c].quant_min = -127;
    grids[c].quant_max = 127;
    grids[c].nudged_min = -127.0f * grids[c].scale;
    grids[c].nudged_max = 127.0f * grids[c].scale;
    grids[c].bits = 8;
    grids[c].narrow_range = true;
    grids[c].symmetric = true;
  }
  q8_error err;
  T_CHECK(q8t_ranges_set_weight_grids(&r, conv_w, grids, 2, &err) == Q8_OK, "%s", err.message);
  q8_graph *out = NULL;
  q8t_export_report report;
  T_CHECK(q8t_export(g, &r, &o, &out, &report, &err) == Q8_OK, "export: %s", err.message);
  if (out != NULL) {
    const q8_tensor *w = &out->tensors[find_exported(out, "conv1/weights")];
    const int8_t *codes = w->data;
    T_CHECK(codes[0] == 64 && codes[1] == -63 && w->quant.scale[0] == 4.0f / 127.0f &&
                report.handed_over_grids == 1,
            "handed-over grids: codes %d %d, scale %g, %d tensors", codes[0], codes[1],
            (double)w->quant.scale[0], (int)report.handed_over_grids);
    q8_graph_free(out);
  }
  /* int8 weights are symmetric: an asymmetric grid is refused, naming the tensor. */
  grids[0].symmetric = false;
  q8t_ranges_set_weight_grids(&r, conv_w, grids, 2, &err);
  T_CHECK(q8t_export(g, &r, &o, &out, NULL, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "conv1/weights") && strstr(err.message, "asymmetric"),
          "asymmetric int8 grid refused: %s", err.message);
  T_CHECK(q8t_ranges_set_weight_grids(&r, conv_w, grids, 3, &err) == Q8_OK &&
              q8t_export(g, &r, &o, &out, NULL, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "3 weight grids"),
          "3 grids for 2 channels refused: %s", err.message);
  q8t_ranges_free(&r);
  q8t_graph_free(g);
}

/* ---- writing, and post-training quantization end to end ---- */

static void write_files(void) {
  q8t_graph *g = tiny_graph();
  if (g == NULL) return;
  tiny_values(g);
  char path[512];
  snprintf(path, sizeof path, "%s/test-convert-tiny.tflite", Q8_BINARY_DIR);
  static const uint8_t pixels[8] = {0, 64, 160, 255, 255, 160, 64, 0};
  const q8t_images data = {pixels, NULL, 2, 2, 2, 1};
  for (int s = 0; s < 2; s++) {
    const q8t_export_options o = {.scheme = s == 0 ? Q8T_SCHEME_INT8 : Q8T_SCHEME_UINT8};
    q8t_export_report report;
    q8_error err;
    T_CHECK(q8t_ptq_export(g, &data, 2, &o, path, &report, &err) == Q8_OK, "ptq: %s", err.message);
    size_t size = 0;
    uint8_t *bytes = t_read_file(path, &size);
    q8_model *model = NULL;
    T_CHECK(bytes != NULL && size == report.bytes &&
                q8_model_load_file(path, &model, &err) == Q8_OK,
            "written %s (%zu bytes, report %zu): %s", path, size, report.bytes, err.message);
    q8_model_free(model);
    if (bytes != NULL)
      q8_test_keep_written(s == 0 ? "train-convert-tiny-int8" : "train-convert-tiny-uint8", bytes,
                           size);
    free(bytes);
  }
  remove(path);
  q8t_graph_free(g);
}

/* ---- refusals ---- */

static q8t_graph *refused_graph(int variant) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = 1, .threads = 1};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) return NULL;
  int32_t x = q8t_input(g, "input", 4, 4, 1);
  const q8t_window w = {1, 1, 1, 1, Q8_PADDING_SAME};
  if (variant == 0) x = q8t_batch_norm(g, "input/bn", x, Q8_ACT_NONE);
  const int32_t c = q8t_conv(g, "conv", x, 2, w, false, variant == 1 ? Q8_ACT_RELU : Q8_ACT_NONE);
  x = q8t_batch_norm(g, "conv/bn", c, Q8_ACT_RELU6);
  if (variant == 2) x = q8t_add(g, "add", x, c, Q8_ACT_NONE);
  q8t_fully_connected(g, "fc", q8t_global_avg_pool(g, "gap", x), 2, true, Q8_ACT_NONE);
  q8t_graph_allocate(g);
  return g;
}

static void refusals(void) {
  static const char *const expected[3] = {"batch norm 'input/bn' reads 'input'",
                                          "follows conv 'conv', whose output has a fused RELU",
                                          "batch norm 'conv/bn' reads 'conv'"};
  for (int v = 0; v < 3; v++) {
    q8t_graph *g = refused_graph(v);
    if (g == NULL) continue;
    q8t_export_plan plan;
    q8_error err;
    T_CHECK(q8t_export_plan_init(g, &plan, &err) == Q8_ERROR_UNSUPPORTED &&
                strstr(err.message, expected[v]) != NULL,
            "variant %d refused with '%s': %s", v, expected[v], err.message);
    q8t_graph_free(g);
  }
  q8t_graph *g = tiny_graph();
  if (g == NULL) return;
  tiny_values(g);
  q8t_ranges r;
  q8_error err;
  q8_graph *out = NULL;
  q8t_ranges_init(g, &r, &err);
  const q8t_export_options o = {.scheme = Q8T_SCHEME_INT8};
  T_CHECK(q8t_export(g, &r, &o, &out, NULL, &err) == Q8_ERROR_STATE &&
              strstr(err.message, "no range for 'conv1/bn'"),
          "missing range: %s", err.message);
  const q8t_export_options bits9 = {.scheme = Q8T_SCHEME_INT8, .weight_bits = 9};
  const q8t_export_options bits1 = {.scheme = Q8T_SCHEME_UINT8, .activation_bits = 1};
  T_CHECK(q8t_export(g, &r, &bits9, &out, NULL, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              q8t_export(g, &r, &bits1, &out, NULL, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "2 to 8"),
          "bit widths refused: %s", err.message);
  T_CHECK(q8t_ranges_set(&r, 0, NAN, 1.0f, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              q8t_ranges_set(&r, 0, 2.0f, 1.0f, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              q8t_ranges_set(&r, g->n_tensors, 0.0f, 1.0f, &err) == Q8_ERROR_INVALID_ARGUMENT,
          "bad ranges refused: %s", err.message);
  static const uint8_t pixels[9] = {0};
  const q8t_images wrong = {pixels, NULL, 1, 3, 3, 1};
  T_CHECK(q8t_calibrate(g, &wrong, 1, &r, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "3x3x1") && strstr(err.message, "2x2x1"),
          "calibration images of the wrong shape: %s", err.message);
  T_CHECK(out == NULL, "no graph after a refusal");
  q8t_ranges_free(&r);
  q8t_graph_free(g);
}

int main(void) {
  tiny_by_hand();
  zero_channel();
  handed_over_grids();
  write_files();
  refusals();
  return t_finish();
}
