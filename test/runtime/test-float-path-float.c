/* The float32 inference path end to end: a small float network (CONV_2D with stride and
   RELU6, DEPTHWISE_CONV_2D, a 1x1 CONV_2D, ADD, PAD, MAX_POOL_2D, AVERAGE_POOL_2D,
   CONCATENATION, MEAN, RESHAPE, FULLY_CONNECTED, SOFTMAX) written as a .tflite file, loaded
   and run by the interpreter on every kernel path this CPU runs and 1, 2 and 3 threads.
   Checks: the registry routes every operator to its float kernels (the run succeeds with
   float32 tensors throughout); the probabilities equal a double-precision evaluation of the
   same network within 1e-4 (absolute, on probabilities); the thread count changes no bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/graph.h"
#include "tflite/writer.h"
#include "util/test-util.h"

enum { MAX_T = 40, MAX_N = 16 };

typedef struct fgraph {
  q8_tensor tensors[MAX_T];
  q8_node nodes[MAX_N];
  int32_t lists[MAX_N][2][4];
  int32_t n_t, n_n;
  int32_t io[2];
  q8_graph graph;
} fgraph;

static int32_t add_tensor(fgraph *g, const char *name, q8_type type, int32_t rank,
                          const int32_t *dims, const void *data, size_t bytes) {
  q8_tensor *t = &g->tensors[g->n_t];
  memset(t, 0, sizeof *t);
  t->name = name;
  t->type = type;
  t->rank = rank;
  memcpy(t->dims, dims, sizeof(int32_t) * (size_t)rank);
  t->data = data;
  t->data_size = bytes;
  return g->n_t++;
}

static q8_node *add_node(fgraph *g, q8_op_kind kind, int32_t n_in, const int32_t *in,
                         int32_t out) {
  q8_node *node = &g->nodes[g->n_n];
  memset(node, 0, sizeof *node);
  node->kind = kind;
  node->n_inputs = n_in;
  node->n_outputs = 1;
  memcpy(g->lists[g->n_n][0], in, sizeof(int32_t) * (size_t)n_in);
  g->lists[g->n_n][1][0] = out;
  node->inputs = g->lists[g->n_n][0];
  node->outputs = g->lists[g->n_n][1];
  g->n_n++;
  return node;
}

static void set_conv(q8_node *n, int32_t stride, q8_padding pad, q8_activation act) {
  n->opt.conv.padding = pad;
  n->opt.conv.stride_h = n->opt.conv.stride_w = stride;
  n->opt.conv.dilation_h = n->opt.conv.dilation_w = 1;
  n->opt.conv.activation = act;
}

/* ---- the network's parameters and its double-precision evaluation ---- */

enum { H = 9, C0 = 3, C1 = 8, H1 = 5, CLASSES = 5 };
static float w1[C1][3][3][C0], b1[C1], wd[3][3][C1], bd[C1], w2[C1][C1], b2[C1];
static float wf[CLASSES][2 * C1], bf[CLASSES];

static double relu6(double x) { return x < 0 ? 0 : x > 6 ? 6 : x; }

/* The same network in double (SAME padding offsets worked out for these sizes). */
static void reference(const float *x, double *probs) {
  static double a[H1][H1][C1], d[H1][H1][C1], s[H1][H1][C1];
  for (int oy = 0; oy < H1; oy++)
    for (int ox = 0; ox < H1; ox++)
      for (int oc = 0; oc < C1; oc++) {
        double acc = b1[oc];
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) {
            const int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= H) continue;
            for (int ic = 0; ic < C0; ic++) acc += (double)x[(iy * H + ix) * C0 + ic] * w1[oc][ky][kx][ic];
          }
        a[oy][ox][oc] = relu6(acc);
      }
  for (int oy = 0; oy < H1; oy++)
    for (int ox = 0; ox < H1; ox++)
      for (int c = 0; c < C1; c++) {
        double acc = bd[c];
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) {
            const int iy = oy - 1 + ky, ix = ox - 1 + kx;
            if (iy >= 0 && iy < H1 && ix >= 0 && ix < H1) acc += a[iy][ix][c] * wd[ky][kx][c];
          }
        d[oy][ox][c] = acc > 0 ? acc : 0;
      }
  for (int y = 0; y < H1; y++)
    for (int xx = 0; xx < H1; xx++)
      for (int oc = 0; oc < C1; oc++) {
        double acc = b2[oc];
        for (int ic = 0; ic < C1; ic++) acc += d[y][xx][ic] * w2[oc][ic];
        s[y][xx][oc] = acc + d[y][xx][oc]; /* ADD */
      }
  /* PAD 1 on each side with 0, MAX_POOL 3x3 s2 VALID -> 3x3; AVERAGE_POOL 3x3 s2 VALID of the
     unpadded sum -> 2x2; each then MEAN over height and width; concatenated: 16 features. */
  double feat[2 * C1];
  for (int c = 0; c < C1; c++) {
    double mx = 0, av = 0;
    for (int py = 0; py < 3; py++)
      for (int px = 0; px < 3; px++) {
        double m = -INFINITY;
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) {
            const int y = py * 2 + ky - 1, xx = px * 2 + kx - 1;
            const double v = (y < 0 || y >= H1 || xx < 0 || xx >= H1) ? 0.0 : s[y][xx][c];
            m = v > m ? v : m;
          }
        mx += m / 9;
      }
    for (int py = 0; py < 2; py++)
      for (int px = 0; px < 2; px++) {
        double sum = 0;
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) sum += s[py * 2 + ky][px * 2 + kx][c];
        av += sum / 9 / 4;
      }
    feat[c] = mx;
    feat[C1 + c] = av;
  }
  double logits[CLASSES], max = -INFINITY, total = 0;
  for (int k = 0; k < CLASSES; k++) {
    logits[k] = bf[k];
    for (int i = 0; i < 2 * C1; i++) logits[k] += feat[i] * wf[k][i];
    max = logits[k] > max ? logits[k] : max;
  }
  for (int k = 0; k < CLASSES; k++) total += exp(logits[k] - max);
  for (int k = 0; k < CLASSES; k++) probs[k] = exp(logits[k] - max) / total;
}

static void fill(t_rng *rng, float *p, size_t n, double scale) {
  for (size_t i = 0; i < n; i++) p[i] = (float)(scale * (2.0 * t_rng_unit(rng) - 1.0));
}

static const int32_t pads[8] = {0, 0, 1, 1, 1, 1, 0, 0}, axes[2] = {1, 2};
static const int32_t flat_shape[2] = {1, 2 * C1};

static void build(fgraph *g) {
  memset(g, 0, sizeof *g);
  const q8_type F = Q8_TYPE_FLOAT32;
  const int32_t d_in[4] = {1, H, H, C0}, d_w1[4] = {C1, 3, 3, C0}, d_c1[1] = {C1};
  const int32_t d_a[4] = {1, H1, H1, C1}, d_wd[4] = {1, 3, 3, C1}, d_w2[4] = {C1, 1, 1, C1};
  const int32_t d_pad[4] = {1, H1 + 2, H1 + 2, C1}, d_pads[2] = {4, 2};
  const int32_t d_mp[4] = {1, 3, 3, C1}, d_ap[4] = {1, 2, 2, C1}, d_ax[1] = {2};
  const int32_t d_m[4] = {1, 1, 1, C1}, d_cat[4] = {1, 1, 1, 2 * C1}, d_wf[2] = {CLASSES, 2 * C1};
  const int32_t d_bf[1] = {CLASSES}, d_out[2] = {1, CLASSES}, d_shape[1] = {2};
  const int32_t x = add_tensor(g, "x", F, 4, d_in, NULL, 0);
  const int32_t tw1 = add_tensor(g, "w1", F, 4, d_w1, w1, sizeof w1);
  const int32_t tb1 = add_tensor(g, "b1", F, 1, d_c1, b1, sizeof b1);
  const int32_t a = add_tensor(g, "a", F, 4, d_a, NULL, 0);
  const int32_t twd = add_tensor(g, "wd", F, 4, d_wd, wd, sizeof wd);
  const int32_t tbd = add_tensor(g, "bd", F, 1, d_c1, bd, sizeof bd);
  const int32_t d = add_tensor(g, "d", F, 4, d_a, NULL, 0);
  const int32_t tw2 = add_tensor(g, "w2", F, 4, d_w2, w2, sizeof w2);
  const int32_t tb2 = add_tensor(g, "b2", F, 1, d_c1, b2, sizeof b2);
  const int32_t p = add_tensor(g, "p", F, 4, d_a, NULL, 0);
  const int32_t s = add_tensor(g, "s", F, 4, d_a, NULL, 0);
  const int32_t tpads = add_tensor(g, "pads", Q8_TYPE_INT32, 2, d_pads, pads, sizeof pads);
  const int32_t padded = add_tensor(g, "padded", F, 4, d_pad, NULL, 0);
  const int32_t mp = add_tensor(g, "mp", F, 4, d_mp, NULL, 0);
  const int32_t ap = add_tensor(g, "ap", F, 4, d_ap, NULL, 0);
  const int32_t tax = add_tensor(g, "axes", Q8_TYPE_INT32, 1, d_ax, axes, sizeof axes);
  const int32_t m1 = add_tensor(g, "m1", F, 4, d_m, NULL, 0);
  const int32_t m2 = add_tensor(g, "m2", F, 4, d_m, NULL, 0);
  const int32_t cat = add_tensor(g, "cat", F, 4, d_cat, NULL, 0);
  const int32_t tshape = add_tensor(g, "shape", Q8_TYPE_INT32, 1, d_shape, flat_shape,
                                    sizeof flat_shape);
  const int32_t flat = add_tensor(g, "flat", F, 2, flat_shape, NULL, 0);
  const int32_t twf = add_tensor(g, "wf", F, 2, d_wf, wf, sizeof wf);
  const int32_t tbf = add_tensor(g, "bf", F, 1, d_bf, bf, sizeof bf);
  const int32_t logits = add_tensor(g, "logits", F, 2, d_out, NULL, 0);
  const int32_t probs = add_tensor(g, "probs", F, 2, d_out, NULL, 0);
  set_conv(add_node(g, Q8_OP_CONV_2D, 3, (int32_t[]){x, tw1, tb1}, a), 2, Q8_PADDING_SAME,
           Q8_ACT_RELU6);
  q8_node *dw = add_node(g, Q8_OP_DEPTHWISE_CONV_2D, 3, (int32_t[]){a, twd, tbd}, d);
  set_conv(dw, 1, Q8_PADDING_SAME, Q8_ACT_RELU);
  dw->opt.conv.depth_multiplier = 1;
  set_conv(add_node(g, Q8_OP_CONV_2D, 3, (int32_t[]){d, tw2, tb2}, p), 1, Q8_PADDING_VALID,
           Q8_ACT_NONE);
  add_node(g, Q8_OP_ADD, 2, (int32_t[]){p, d}, s);
  add_node(g, Q8_OP_PAD, 2, (int32_t[]){s, tpads}, padded);
  q8_node *n = add_node(g, Q8_OP_MAX_POOL_2D, 1, (int32_t[]){padded}, mp);
  n->opt.pool = (__typeof__(n->opt.pool)){Q8_PADDING_VALID, 2, 2, 3, 3, Q8_ACT_NONE};
  n = add_node(g, Q8_OP_AVERAGE_POOL_2D, 1, (int32_t[]){s}, ap);
  n->opt.pool = (__typeof__(n->opt.pool)){Q8_PADDING_VALID, 2, 2, 3, 3, Q8_ACT_NONE};
  add_node(g, Q8_OP_MEAN, 2, (int32_t[]){mp, tax}, m1)->opt.reduce.keep_dims = true;
  add_node(g, Q8_OP_MEAN, 2, (int32_t[]){ap, tax}, m2)->opt.reduce.keep_dims = true;
  add_node(g, Q8_OP_CONCATENATION, 2, (int32_t[]){m1, m2}, cat)->opt.concatenation.axis = 3;
  add_node(g, Q8_OP_RESHAPE, 2, (int32_t[]){cat, tshape}, flat);
  add_node(g, Q8_OP_FULLY_CONNECTED, 3, (int32_t[]){flat, twf, tbf}, logits);
  add_node(g, Q8_OP_SOFTMAX, 1, (int32_t[]){logits}, probs)->opt.softmax.beta = 1.0f;
  g->io[0] = x;
  g->io[1] = probs;
  g->graph.n_tensors = g->n_t;
  g->graph.tensors = g->tensors;
  g->graph.n_nodes = g->n_n;
  g->graph.nodes = g->nodes;
  g->graph.n_inputs = 1;
  g->graph.inputs = &g->io[0];
  g->graph.n_outputs = 1;
  g->graph.outputs = &g->io[1];
}

static const q8_isa paths[] = {Q8_ISA_REF,        Q8_ISA_SCALAR, Q8_ISA_AVX2,
                               Q8_ISA_AVX512VNNI, Q8_ISA_NEON,   Q8_ISA_NEONDOT};

int main(void) {
  t_rng rng = {t_seed(55)};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    if (!q8_isa_runs_on(paths[i], q8_cpu_detect()))
      printf("path %s: not on this CPU, skipped\n", q8_isa_name(paths[i]));
  fill(&rng, &w1[0][0][0][0], sizeof w1 / sizeof(float), 0.5);
  fill(&rng, b1, C1, 0.5);
  fill(&rng, &wd[0][0][0], sizeof wd / sizeof(float), 0.5);
  fill(&rng, bd, C1, 0.5);
  fill(&rng, &w2[0][0], sizeof w2 / sizeof(float), 0.5);
  fill(&rng, b2, C1, 0.5);
  fill(&rng, &wf[0][0], sizeof wf / sizeof(float), 1.0);
  fill(&rng, bf, CLASSES, 0.5);
  fgraph g;
  build(&g);
  uint8_t *file = NULL;
  size_t size = 0;
  q8_error err = {{0}};
  q8_model *model = NULL;
  q8_status s = q8_tflite_write(&g.graph, &file, &size, &err);
  if (s == Q8_OK) s = q8_model_load_memory(file, size, 1, &model, &err);
  T_CHECK(s == Q8_OK, "float network: %s", err.message);
  free(file);
  if (s != Q8_OK) return t_finish();

  const q8_cpu_features cpu = q8_cpu_detect();
  for (int round = 0; round < 5; round++) {
    float x[H * H * C0];
    fill(&rng, x, sizeof x / sizeof x[0], 2.0);
    double want[CLASSES];
    reference(x, want);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
      if (!q8_isa_runs_on(paths[i], cpu)) continue;
      float first[CLASSES];
      for (int32_t threads = 1; threads <= 3; threads++) {
        q8_interp_options opt = {.isa = paths[i], .threads = threads};
        q8_interp *interp = NULL;
        float probs[CLASSES];
        s = q8_interp_init(model, &opt, &interp, &err);
        T_CHECK(s == Q8_OK, "init on %s: %s", q8_isa_name(paths[i]), err.message);
        if (s != Q8_OK) continue;
        s = q8_interp_set_input(interp, 0, x, sizeof x);
        if (s == Q8_OK) s = q8_interp_invoke(interp);
        if (s == Q8_OK) s = q8_interp_get_output(interp, 0, probs, sizeof probs);
        T_CHECK(s == Q8_OK, "run on %s: %s", q8_isa_name(paths[i]), q8_interp_last_error(interp));
        q8_interp_free(interp);
        if (s != Q8_OK) continue;
        for (int k = 0; k < CLASSES; k++)
          T_CHECK(fabs(probs[k] - want[k]) <= 1e-4, "round %d %s %d threads: p[%d] = %.7f, "
                  "double %.7f", round, q8_isa_name(paths[i]), (int)threads, k, (double)probs[k],
                  want[k]);
        if (threads == 1) memcpy(first, probs, sizeof probs);
        else
          T_CHECK(memcmp(first, probs, sizeof probs) == 0, "%s: %d threads differ from 1",
                  q8_isa_name(paths[i]), (int)threads);
      }
    }
  }
  q8_model_free(model);
  return t_finish();
}
