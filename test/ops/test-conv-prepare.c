/* Prepare of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: shapes, multipliers (per-channel
   in double, per-tensor with TFLite's float product), clamps, folded bias, and refusals with
   messages that name the tensor. The prepare context is the stand-in of ops-harness.h: it
   defines q8_prepare_alloc / q8_prepare_fail / q8_prepare_set_shape, so the linker takes them
   from here and never pulls the runtime's object out of libq8.a. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conv-oracle.h"
#include "ops/conv-2d.h"
#include "ops/depthwise-conv-2d.h"
#include "ops/fully-connected.h"
#include "ops/op.h"
#include "ops-harness.h"

q8_status q8_prepare_conv_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_depthwise_conv_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *,
                                       q8_op_plan *);
q8_status q8_prepare_fully_connected(q8_prepare_ctx *, const q8_node *, q8_tensor *,
                                     q8_op_plan *);

/* One context for the whole program: each prepare() frees what the previous one allocated,
   main frees the last. */
static q8_prepare_ctx g_ctx;

static void ctx_free(q8_prepare_ctx *ctx) {
  h_ctx_free(ctx);
  ctx->message[0] = 0;
}

/* ---- building small graphs ------------------------------------------------------------ */

enum { T_IN, T_W, T_B, T_OUT, T_COUNT };

typedef struct fixture {
  q8_tensor t[T_COUNT];
  float scales[4][64];
  int32_t zps[4][64];
  int8_t weights[4096];
  int32_t bias[64];
  int32_t inputs[3], outputs[1];
  q8_node node;
  q8_op_plan plan;
} fixture;

static void set_tensor(fixture *f, int i, q8_type type, int32_t rank, const int32_t *dims,
                       float scale, int32_t zp) {
  q8_tensor *t = &f->t[i];
  static const char *const names[] = {"in", "w", "b", "out"};
  t->name = names[i];
  t->type = type;
  t->rank = rank;
  memcpy(t->dims, dims, sizeof(int32_t) * rank);
  t->quant.count = 1;
  f->scales[i][0] = scale;
  f->zps[i][0] = zp;
  t->quant.scale = f->scales[i];
  t->quant.zero_point = f->zps[i];
}

static void set_channel_scales(fixture *f, int i, int32_t count, int32_t axis, double lo_exp,
                               double hi_exp) {
  f->t[i].quant.count = count;
  f->t[i].quant.axis = axis;
  for (int c = 0; c < count; c++) {
    f->scales[i][c] = (float)pow(10.0, lo_exp + (hi_exp - lo_exp) * c / (count > 1 ? count - 1 : 1));
    f->zps[i][c] = 0;
  }
}

/* Constant weights and bias with deterministic contents; sizes from their shapes. */
static void set_constants(fixture *f) {
  const size_t nw = q8_tensor_elements(&f->t[T_W]);
  for (size_t i = 0; i < nw; i++) f->weights[i] = (int8_t)((i * 37 + 11) % 255 - 127);
  f->t[T_W].data = f->weights;
  f->t[T_W].data_size = nw;
  const size_t nb = q8_tensor_elements(&f->t[T_B]);
  for (size_t i = 0; i < nb; i++) f->bias[i] = (int32_t)(i * 1001) - 3000;
  f->t[T_B].data = f->bias;
  f->t[T_B].data_size = nb * 4;
  f->t[T_B].quant.count = 0;
}

static void set_node(fixture *f, q8_op_kind kind, q8_padding pad, int32_t stride,
                     int32_t dilation, q8_activation act) {
  f->inputs[0] = T_IN;
  f->inputs[1] = T_W;
  f->inputs[2] = T_B;
  f->outputs[0] = T_OUT;
  f->node.kind = kind;
  f->node.n_inputs = 3;
  f->node.n_outputs = 1;
  f->node.inputs = f->inputs;
  f->node.outputs = f->outputs;
  if (kind == Q8_OP_FULLY_CONNECTED) {
    f->node.opt.fully_connected.activation = act;
  } else {
    f->node.opt.conv.padding = pad;
    f->node.opt.conv.stride_h = f->node.opt.conv.stride_w = stride;
    f->node.opt.conv.dilation_h = f->node.opt.conv.dilation_w = dilation;
    f->node.opt.conv.activation = act;
  }
}

static q8_status prepare(fixture *f) {
  ctx_free(&g_ctx);
  memset(&f->plan, 0, sizeof f->plan);
  switch (f->node.kind) {
    case Q8_OP_CONV_2D: return q8_prepare_conv_2d(&g_ctx, &f->node, f->t, &f->plan);
    case Q8_OP_DEPTHWISE_CONV_2D:
      return q8_prepare_depthwise_conv_2d(&g_ctx, &f->node, f->t, &f->plan);
    default: return q8_prepare_fully_connected(&g_ctx, &f->node, f->t, &f->plan);
  }
}

/* Expects prepare to fail with status and a message containing every needle. */
static void expect_refusal(fixture *f, const char *what, q8_status status, const char *needle1,
                           const char *needle2) {
  const q8_status s = prepare(f);
  T_CHECK(s == status, "%s: status %s, expected %s (message: %s)", what, q8_status_name(s),
          q8_status_name(status), g_ctx.message);
  T_CHECK(strstr(g_ctx.message, needle1) != NULL &&
              (needle2 == NULL || strstr(g_ctx.message, needle2) != NULL),
          "%s: message '%s' lacks '%s' / '%s'", what, g_ctx.message, needle1,
          needle2 ? needle2 : "");
}

/* A valid int8 CONV_2D: in [1,9,11,3] 3x3 stride 2 SAME -> [1,5,6,4], per-channel weight
   scales 1e-4 .. 1e-1, RELU6. */
static void conv_fixture(fixture *f) {
  memset(f, 0, sizeof *f);
  set_tensor(f, T_IN, Q8_TYPE_INT8, 4, (const int32_t[]){1, 9, 11, 3}, 0.02f, -5);
  set_tensor(f, T_W, Q8_TYPE_INT8, 4, (const int32_t[]){4, 3, 3, 3}, 1.0f, 0);
  set_channel_scales(f, T_W, 4, 0, -4, -1);
  set_tensor(f, T_B, Q8_TYPE_INT32, 1, (const int32_t[]){4}, 0.0f, 0);
  set_tensor(f, T_OUT, Q8_TYPE_INT8, 4, (const int32_t[]){1, 5, 6, 4}, 0.05f, 3);
  set_constants(f);
  set_node(f, Q8_OP_CONV_2D, Q8_PADDING_SAME, 2, 1, Q8_ACT_RELU6);
}

static void test_conv_valid(void) {
  fixture f;
  conv_fixture(&f);
  q8_status s = prepare(&f);
  T_CHECK(s == Q8_OK, "conv prepare: %s", g_ctx.message);
  if (s != Q8_OK) return;
  T_CHECK(f.plan.run == q8_run_conv_2d_qs8, "int8 conv runs the int8 kernel");
  const q8_conv_2d_plan *p = f.plan.params;
  const q8_conv_2d_params *q = &p->params;
  T_CHECK(q->out_h == 5 && q->out_w == 6 && q->pad_top == 1 && q->pad_left == 1,
          "geometry out %dx%d pad %d,%d", (int)q->out_h, (int)q->out_w, (int)q->pad_top,
          (int)q->pad_left);
  T_CHECK(q->input_zero_point == -5 && q->weight_zero_point == 0 && q->output_zero_point == 3,
          "zero points");
  int32_t lo, hi;
  oracle_act_range(Q8_ACT_RELU6, 0.05f, 3, -128, 127, &lo, &hi);
  T_CHECK(q->act_min == lo && q->act_max == hi, "RELU6 clamp [%d,%d], want [%d,%d]",
          (int)q->act_min, (int)q->act_max, (int)lo, (int)hi);
  for (int c = 0; c < 4; c++) {
    int32_t m, sh;
    oracle_multiplier((double)0.02f * (double)f.scales[T_W][c] / (double)0.05f, &m, &sh);
    T_CHECK(q->multiplier[c] == m && q->shift[c] == sh,
            "channel %d: multiplier %d shift %d, want %d %d", c, (int)q->multiplier[c],
            (int)q->shift[c], (int)m, (int)sh);
    int64_t wsum = 0;
    for (int i = 0; i < 27; i++) wsum += f.weights[c * 27 + i];
    T_CHECK(p->folded_bias[c] == f.bias[c] - (-5) * wsum, "folded bias %d", c);
  }
  /* Shifts differ across the decades of scales. */
  T_CHECK(q->shift[0] < q->shift[3] - 6, "shifts span decades: %d .. %d", (int)q->shift[0],
          (int)q->shift[3]);

  /* One scale for all channels is replicated. */
  set_channel_scales(&f, T_W, 1, 0, -2, -2);
  s = prepare(&f);
  q = &((const q8_conv_2d_plan *)f.plan.params)->params;
  T_CHECK(s == Q8_OK && q->multiplier[0] == q->multiplier[3] && q->shift[0] == q->shift[3],
          "per-tensor int8 weights: one multiplier for all channels");

  /* An effective scale above 1 gives a positive shift. */
  conv_fixture(&f);
  set_channel_scales(&f, T_W, 1, 0, 0, 0); /* w scale 1 */
  f.scales[T_IN][0] = 1.0f;
  f.scales[T_OUT][0] = 0.25f; /* real 4 = 0.5 * 2^3 */
  s = prepare(&f);
  q = &((const q8_conv_2d_plan *)f.plan.params)->params;
  T_CHECK(s == Q8_OK && q->shift[0] == 3 && q->multiplier[0] == (1 << 30),
          "real 4: multiplier %d shift %d", (int)q->multiplier[0], (int)q->shift[0]);

  /* No bias: input 2 absent (-1) or only two inputs. */
  conv_fixture(&f);
  f.inputs[2] = -1;
  s = prepare(&f);
  T_CHECK(s == Q8_OK, "bias -1: %s", g_ctx.message);
  int64_t wsum = 0;
  for (int i = 0; i < 27; i++) wsum += f.weights[i];
  T_CHECK(s == Q8_OK && ((const q8_conv_2d_plan *)f.plan.params)->folded_bias[0] == 5 * wsum,
          "absent bias folds to -zp * sum(w)");
  f.node.n_inputs = 2;
  T_CHECK(prepare(&f) == Q8_OK, "two inputs: %s", g_ctx.message);
}

static void test_conv_refusals(void) {
  fixture f;
  conv_fixture(&f);
  f.zps[T_W][2] = 1;
  expect_refusal(&f, "int8 weight zero point", Q8_ERROR_INVALID_MODEL, "filter (input 1, tensor 1 'w')",
                 "zero point[2] = 1, expected 0");
  conv_fixture(&f);
  f.t[T_W].quant.count = 3;
  expect_refusal(&f, "scale count", Q8_ERROR_INVALID_MODEL, "3 scales", "expected 1 or 4");
  conv_fixture(&f);
  f.t[T_W].quant.axis = 3;
  expect_refusal(&f, "scale axis", Q8_ERROR_INVALID_MODEL, "dimension 3", "expected 0");
  conv_fixture(&f);
  f.t[T_W].dims[3] = 2;
  expect_refusal(&f, "filter in_c", Q8_ERROR_UNSUPPORTED, "I = 2", "expected I = 3");
  conv_fixture(&f);
  f.t[T_B].dims[0] = 5;
  expect_refusal(&f, "bias length", Q8_ERROR_INVALID_MODEL, "bias (input 2, tensor 2 'b')",
                 "5 elements, expected 4");
  conv_fixture(&f);
  f.t[T_B].type = Q8_TYPE_INT8;
  expect_refusal(&f, "bias type", Q8_ERROR_UNSUPPORTED, "bias", "expected int32");
  conv_fixture(&f);
  f.node.opt.conv.stride_w = 0;
  expect_refusal(&f, "stride 0", Q8_ERROR_INVALID_MODEL, "stride 2x0", "expected >= 1");
  conv_fixture(&f);
  f.node.opt.conv.dilation_h = 0;
  expect_refusal(&f, "dilation 0", Q8_ERROR_INVALID_MODEL, "dilation 0x1", "expected >= 1");
  conv_fixture(&f);
  f.t[T_IN].type = Q8_TYPE_FLOAT32;
  expect_refusal(&f, "float input", Q8_ERROR_UNSUPPORTED, "input (input 0, tensor 0 'in')",
                 "type float32, expected int8 or uint8");
  conv_fixture(&f);
  f.t[T_W].type = Q8_TYPE_UINT8;
  expect_refusal(&f, "hybrid", Q8_ERROR_UNSUPPORTED, "type uint8, expected int8", "hybrid");
  conv_fixture(&f);
  f.t[T_OUT].type = Q8_TYPE_UINT8;
  expect_refusal(&f, "output type", Q8_ERROR_UNSUPPORTED, "output (output 0, tensor 3 'out')",
                 "expected int8");
  conv_fixture(&f);
  f.t[T_OUT].dims[2] = 5;
  expect_refusal(&f, "output shape", Q8_ERROR_INVALID_MODEL, "output shape differs", NULL);
  conv_fixture(&f);
  f.t[T_IN].rank = 3;
  expect_refusal(&f, "input rank", Q8_ERROR_INVALID_MODEL, "rank 3, expected 4", NULL);
  conv_fixture(&f);
  f.t[T_W].data = NULL;
  expect_refusal(&f, "variable weights", Q8_ERROR_UNSUPPORTED, "filter", "not a constant");
  conv_fixture(&f);
  f.t[T_IN].quant.count = 0;
  expect_refusal(&f, "unquantized input", Q8_ERROR_UNSUPPORTED, "input", "0 quantization scales");
  conv_fixture(&f);
  f.scales[T_OUT][0] = 0.0f;
  expect_refusal(&f, "zero output scale", Q8_ERROR_INVALID_MODEL, "output", "scale 0");
  conv_fixture(&f);
  f.t[T_IN].dims[1] = 2;
  f.node.opt.conv.padding = Q8_PADDING_VALID;
  expect_refusal(&f, "VALID too small", Q8_ERROR_INVALID_MODEL, "does not fit", "VALID");
  conv_fixture(&f);
  f.node.n_inputs = 1;
  expect_refusal(&f, "one input", Q8_ERROR_INVALID_MODEL, "1 inputs, expected 2 or 3", NULL);
}

/* uint8 CONV_2D: per-tensor weights with any zero point; the multiplier uses the float
   product of the scales (GetQuantizedConvolutionMultipler); the bias scale is checked. */
static void uint8_conv_fixture(fixture *f, float in_scale, float w_scale, float out_scale) {
  memset(f, 0, sizeof *f);
  set_tensor(f, T_IN, Q8_TYPE_UINT8, 4, (const int32_t[]){1, 9, 11, 3}, in_scale, 128);
  set_tensor(f, T_W, Q8_TYPE_UINT8, 4, (const int32_t[]){5, 3, 3, 3}, w_scale, 77);
  set_tensor(f, T_B, Q8_TYPE_INT32, 1, (const int32_t[]){5}, 0.0f, 0);
  set_tensor(f, T_OUT, Q8_TYPE_UINT8, 4, (const int32_t[]){1, 9, 11, 5}, out_scale, 32);
  set_constants(f);
  f->t[T_B].quant.count = 1;
  f->scales[T_B][0] = in_scale * w_scale;
  set_node(f, Q8_OP_CONV_2D, Q8_PADDING_SAME, 1, 1, Q8_ACT_RELU6);
}

static void test_uint8_conv(t_rng *rng) {
  /* Find scales where float(in * w) and double(in) * double(w) give different Q31
     multipliers, so that the check tells the two formulas apart. */
  float in_s = 0, w_s = 0, out_s = 0;
  int32_t want_m = 0, want_sh = 0;
  bool found = false;
  for (int i = 0; i < 100000 && !found; i++) {
    in_s = (float)oracle_decades(rng, -3, -1);
    w_s = (float)oracle_decades(rng, -3, -1);
    out_s = (float)oracle_decades(rng, -2, 0);
    int32_t m_double, sh_double;
    oracle_multiplier((double)in_s * (double)w_s / (double)out_s, &m_double, &sh_double);
    const float product = in_s * w_s;
    oracle_multiplier((double)product / (double)out_s, &want_m, &want_sh);
    found = m_double != want_m;
  }
  T_CHECK(found, "no scales found where the float product matters");
  fixture f;
  uint8_conv_fixture(&f, in_s, w_s, out_s);
  q8_status s = prepare(&f);
  T_CHECK(s == Q8_OK, "uint8 conv: %s", g_ctx.message);
  if (s != Q8_OK) return;
  T_CHECK(f.plan.run == q8_run_conv_2d_qu8, "uint8 conv runs the uint8 kernel");
  const q8_conv_2d_plan *p = f.plan.params;
  for (int c = 0; c < 5; c++)
    T_CHECK(p->params.multiplier[c] == want_m && p->params.shift[c] == want_sh,
            "uint8 channel %d multiplier %d shift %d, want %d %d (float product)", c,
            (int)p->params.multiplier[c], (int)p->params.shift[c], (int)want_m, (int)want_sh);
  T_CHECK(p->params.weight_zero_point == 77 && p->params.input_zero_point == 128,
          "uint8 zero points");
  /* folded = bias - 128 * sum(w) + 27 * 77 * 128 */
  int64_t wsum = 0;
  for (int i = 0; i < 27; i++) wsum += (uint8_t)f.weights[i];
  T_CHECK(p->folded_bias[0] == f.bias[0] - 128 * wsum + 27 * 77 * 128, "uint8 folded bias");

  uint8_conv_fixture(&f, 0.01f, 0.02f, 0.1f);
  f.scales[T_B][0] = 0.01f * 0.02f * 1.5f; /* off by 1e-4 = 0.1% of 0.1: accepted */
  T_CHECK(prepare(&f) == Q8_OK, "bias scale within 2%%: %s", g_ctx.message);
  f.scales[T_B][0] = 0.01f; /* off by 0.0098 > 0.02 * 0.1 */
  expect_refusal(&f, "uint8 bias scale", Q8_ERROR_INVALID_MODEL, "bias", "2% of the output scale");
  uint8_conv_fixture(&f, 0.01f, 0.02f, 0.1f);
  set_channel_scales(&f, T_W, 5, 0, -2, -1);
  f.zps[T_W][0] = 77;
  expect_refusal(&f, "uint8 per-channel", Q8_ERROR_UNSUPPORTED, "5 scales", "per tensor");
  uint8_conv_fixture(&f, 0.01f, 0.02f, 0.1f);
  f.zps[T_IN][0] = 256;
  expect_refusal(&f, "uint8 zero point range", Q8_ERROR_INVALID_MODEL, "zero point 256",
                 "[0, 255]");
}

static void dw_fixture(fixture *f, int32_t in_c, int32_t out_c, int32_t multiplier) {
  memset(f, 0, sizeof *f);
  set_tensor(f, T_IN, Q8_TYPE_INT8, 4, (const int32_t[]){1, 10, 11, in_c}, 0.03f, -1);
  set_tensor(f, T_W, Q8_TYPE_INT8, 4, (const int32_t[]){1, 3, 3, out_c}, 1.0f, 0);
  set_channel_scales(f, T_W, out_c, 3, -3, -1);
  set_tensor(f, T_B, Q8_TYPE_INT32, 1, (const int32_t[]){out_c}, 0.0f, 0);
  set_tensor(f, T_OUT, Q8_TYPE_INT8, 4, (const int32_t[]){1, 5, 6, out_c}, 0.1f, -3);
  set_constants(f);
  set_node(f, Q8_OP_DEPTHWISE_CONV_2D, Q8_PADDING_SAME, 2, 1, Q8_ACT_NONE);
  f->node.opt.conv.depth_multiplier = multiplier;
}

static void test_depthwise(void) {
  fixture f;
  dw_fixture(&f, 3, 6, 0); /* multiplier absent: derived as 6 / 3 */
  q8_status s = prepare(&f);
  T_CHECK(s == Q8_OK, "depthwise: %s", g_ctx.message);
  if (s == Q8_OK) {
    const q8_depthwise_conv_2d_plan *p = f.plan.params;
    T_CHECK(p->params.depth_multiplier == 2, "derived multiplier %d",
            (int)p->params.depth_multiplier);
    T_CHECK(p->params.pad_top == 0 && p->params.pad_left == 1, "depthwise pads %d,%d",
            (int)p->params.pad_top, (int)p->params.pad_left);
    int32_t m, sh;
    oracle_multiplier((double)0.03f * (double)f.scales[T_W][5] / (double)0.1f, &m, &sh);
    T_CHECK(p->params.multiplier[5] == m && p->params.shift[5] == sh, "depthwise channel 5");
    /* folded[c] = bias[c] + 1 * sum over taps of w[tap][c] (input zero point -1) */
    int64_t wsum = 0;
    for (int t = 0; t < 9; t++) wsum += f.weights[t * 6 + 4];
    T_CHECK(p->folded_bias[4] == f.bias[4] + wsum, "depthwise folded bias");
  }
  dw_fixture(&f, 3, 6, 2);
  T_CHECK(prepare(&f) == Q8_OK, "explicit multiplier 2: %s", g_ctx.message);
  dw_fixture(&f, 3, 6, 3);
  expect_refusal(&f, "multiplier mismatch", Q8_ERROR_INVALID_MODEL, "6 output channels",
                 "depth_multiplier 3");
  dw_fixture(&f, 4, 6, 0);
  expect_refusal(&f, "not a multiple", Q8_ERROR_INVALID_MODEL, "not a multiple", NULL);
  dw_fixture(&f, 3, 6, 0);
  f.t[T_W].dims[0] = 2;
  expect_refusal(&f, "filter dim 0", Q8_ERROR_INVALID_MODEL, "dimension 0 is 2", "expected 1");
  dw_fixture(&f, 3, 6, 0);
  f.t[T_W].quant.axis = 0;
  expect_refusal(&f, "depthwise axis", Q8_ERROR_INVALID_MODEL, "dimension 0", "expected 3");
}

static void fc_fixture(fixture *f, int32_t in_rank, const int32_t *in_dims, int32_t units,
                       int32_t depth, int32_t out_rank, const int32_t *out_dims) {
  memset(f, 0, sizeof *f);
  set_tensor(f, T_IN, Q8_TYPE_INT8, in_rank, in_dims, 0.05f, 7);
  set_tensor(f, T_W, Q8_TYPE_INT8, 2, (const int32_t[]){units, depth}, 0.004f, 0);
  set_tensor(f, T_B, Q8_TYPE_INT32, 1, (const int32_t[]){units}, 0.0f, 0);
  set_tensor(f, T_OUT, Q8_TYPE_INT8, out_rank, out_dims, 0.3f, -20);
  set_constants(f);
  f->t[T_B].quant.count = 1;
  f->scales[T_B][0] = 0.05f * 0.004f;
  set_node(f, Q8_OP_FULLY_CONNECTED, Q8_PADDING_VALID, 1, 1, Q8_ACT_RELU);
}

static void test_fully_connected(void) {
  fixture f;
  fc_fixture(&f, 4, (const int32_t[]){1, 3, 4, 5}, 7, 60, 2, (const int32_t[]){1, 7});
  q8_status s = prepare(&f);
  T_CHECK(s == Q8_OK, "fc 4-D input: %s", g_ctx.message);
  if (s == Q8_OK) {
    const q8_fully_connected_plan *p = f.plan.params;
    T_CHECK(p->params.batch == 1 && p->params.depth == 60 && p->params.units == 7,
            "fc dims %d %d %d", (int)p->params.batch, (int)p->params.depth,
            (int)p->params.units);
    int32_t m, sh, lo, hi;
    const float product = 0.05f * 0.004f;
    oracle_multiplier((double)product / (double)0.3f, &m, &sh);
    T_CHECK(p->params.multiplier[6] == m && p->params.shift[6] == sh, "fc per-tensor multiplier");
    oracle_act_range(Q8_ACT_RELU, 0.3f, -20, -128, 127, &lo, &hi);
    T_CHECK(p->params.act_min == lo && p->params.act_max == hi, "fc RELU clamp");
  }
  /* [2,3,4,5] with depth 20: batch 6. */
  fc_fixture(&f, 4, (const int32_t[]){2, 3, 4, 5}, 7, 20, 2, (const int32_t[]){6, 7});
  s = prepare(&f);
  T_CHECK(s == Q8_OK && ((const q8_fully_connected_plan *)f.plan.params)->params.batch == 6,
          "fc batch from flattening: %s", g_ctx.message);
  /* keep_num_dims: [2,3,20] -> [2,3,7]. */
  fc_fixture(&f, 3, (const int32_t[]){2, 3, 20}, 7, 20, 3, (const int32_t[]){2, 3, 7});
  f.node.opt.fully_connected.keep_num_dims = true;
  T_CHECK(prepare(&f) == Q8_OK, "keep_num_dims: %s", g_ctx.message);
  fc_fixture(&f, 3, (const int32_t[]){2, 3, 20}, 7, 20, 2, (const int32_t[]){6, 7});
  T_CHECK(prepare(&f) == Q8_OK, "without keep_num_dims: %s", g_ctx.message);
  /* Refusals. */
  fc_fixture(&f, 2, (const int32_t[]){1, 50}, 7, 60, 2, (const int32_t[]){1, 7});
  expect_refusal(&f, "fc depth does not divide", Q8_ERROR_INVALID_MODEL, "50 elements",
                 "depth 60");
  fc_fixture(&f, 4, (const int32_t[]){1, 3, 4, 5}, 7, 60, 4, (const int32_t[]){1, 3, 4, 7});
  f.node.opt.fully_connected.keep_num_dims = true;
  expect_refusal(&f, "keep_num_dims last dim", Q8_ERROR_INVALID_MODEL, "last dimension 5",
                 "depth 60");
  fc_fixture(&f, 2, (const int32_t[]){1, 60}, 7, 60, 2, (const int32_t[]){1, 7});
  f.t[T_W].rank = 3;
  f.t[T_W].dims[2] = 1;
  expect_refusal(&f, "fc weights rank", Q8_ERROR_INVALID_MODEL, "weights (input 1", "expected 2");
  fc_fixture(&f, 2, (const int32_t[]){1, 60}, 7, 60, 2, (const int32_t[]){1, 7});
  f.scales[T_B][0] = 0.5f;
  expect_refusal(&f, "fc bias scale", Q8_ERROR_INVALID_MODEL, "bias", "2%");
  /* Per-channel FC weights: the per-channel (double) formula, no bias check. */
  fc_fixture(&f, 2, (const int32_t[]){1, 60}, 7, 60, 2, (const int32_t[]){1, 7});
  set_channel_scales(&f, T_W, 7, 0, -4, -1);
  f.scales[T_B][0] = 0.5f;
  s = prepare(&f);
  T_CHECK(s == Q8_OK, "fc per-channel: %s", g_ctx.message);
  if (s == Q8_OK) {
    int32_t m, sh;
    oracle_multiplier((double)0.05f * (double)f.scales[T_W][3] / (double)0.3f, &m, &sh);
    const q8_fully_connected_plan *p = f.plan.params;
    T_CHECK(p->params.multiplier[3] == m && p->params.shift[3] == sh, "fc per-channel 3");
  }
}

int main(void) {
  t_rng rng = {t_seed(0x9E9A)};
  test_conv_valid();
  test_conv_refusals();
  test_uint8_conv(&rng);
  test_depthwise();
  test_fully_connected();
  ctx_free(&g_ctx);
  return t_finish();
}
