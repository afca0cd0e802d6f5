/* Every layer's backward against central finite differences of its forward. Small random
   cases: L = sum(R * y) with fixed random R (or the loss itself for softmax cross-entropy),
   each input, weight, bias, gamma and beta element perturbed by +-h, h = 1e-2, with the
   forward in float and L summed in double. Tolerance: |analytic - numeric| <= 1e-2 *
   max(|analytic|, |numeric|) + 2e-3 (float rounding of L over 2h stays below 5e-4 here).
   Finite differences need a function without kinks within h: ReLU and ReLU6 nodes get inputs
   at least 0.05 away from 0 and 6, max pools a shuffled grid 0.05 apart, and the other layers
   are checked with activation NONE; every fused activation is then checked to equal its
   separate activation node exactly (values and all gradients, on data that covers the three
   pieces of ReLU6). Batches of 3 on 2 threads (odd split, per-thread partial sums), some on 1.
   Every case runs for each compilation of the layers this build and CPU have (scalar, avx2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/build.h"
#include "train/graph.h"
#include "util/test-util.h"

enum { MAX_ELEMENTS_PER_TENSOR = 48 };
static const double H = 1e-2, RTOL = 1e-2, ATOL = 2e-3;

typedef enum input_kind {
  INPUTS_UNIFORM,   /* [-1, 1] */
  INPUTS_GRID,      /* a shuffled grid 0.05 apart (max pool: no two within 2h) */
  INPUTS_KINK_FREE, /* [-2, 8], none within 0.05 of 0 or 6 (ReLU, ReLU6) */
  INPUTS_WIDE       /* [-5, 5] (values on all three pieces of ReLU6) */
} input_kind;

typedef struct check_opts {
  input_kind inputs;
  bool frozen; /* forward in inference mode (batch norm's moving statistics) */
} check_opts;

/* The compilation of the layers under test (each available one in turn). */
static q8t_isa isa = Q8T_ISA_SCALAR;

/* Set: the graphs' convolutions all take the direct product (no Winograd). */
static bool direct_conv;

static q8t_graph *new_graph(int32_t batch, int32_t threads) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {
      .batch = batch, .threads = threads, .isa = isa, .direct_conv = direct_conv};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) {
    printf("graph init: %s\n", err.message);
    exit(1);
  }
  return g;
}

/* An image input whose gradient the check compares too. */
static int32_t grad_input(q8t_graph *g, const char *name, int32_t h, int32_t w, int32_t c) {
  const int32_t x = q8t_input(g, name, h, w, c);
  if (x >= 0) g->tensors[x].grad_wanted = true;
  return x;
}

static double uniform(t_rng *rng, double lo, double hi) { return lo + (hi - lo) * t_rng_unit(rng); }

static float input_value(t_rng *rng, input_kind kind) {
  if (kind == INPUTS_WIDE) return (float)uniform(rng, -5, 5);
  if (kind != INPUTS_KINK_FREE) return (float)uniform(rng, -1, 1);
  for (;;) {
    const double v = uniform(rng, -2, 8);
    if (fabs(v) >= 0.05 && fabs(v - 6) >= 0.05) return (float)v;
  }
}

static void fill_inputs(q8t_graph *g, t_rng *rng, input_kind kind) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    if (t->role != Q8T_ROLE_INPUT) continue;
    const size_t n = q8t_tensor_count(t);
    if (t->type == Q8_TYPE_INT32) {
      const int32_t classes = g->tensors[g->logits].dims[1];
      for (size_t j = 0; j < n; j++) t->i32[j] = (int32_t)t_rng_range(rng, 0, classes - 1);
      continue;
    }
    for (size_t j = 0; j < n; j++) {
      t->data[j] = kind == INPUTS_GRID ? (float)(((double)j - (double)n / 2) * 0.05)
                                       : input_value(rng, kind);
    }
    if (kind == INPUTS_GRID) {
      for (size_t j = n; j > 1; j--) {
        const size_t k = (size_t)t_rng_range(rng, 0, (int64_t)j - 1);
        const float v = t->data[j - 1];
        t->data[j - 1] = t->data[k];
        t->data[k] = v;
      }
    }
  }
}

/* Parameters and batch-norm statistics at random values (gamma and variances positive). */
static void fill_parameters(q8t_graph *g, t_rng *rng) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    if (t->role != Q8T_ROLE_PARAMETER && t->role != Q8T_ROLE_STATE) continue;
    const bool positive = strstr(t->name, "gamma") != NULL || strstr(t->name, "variance") != NULL;
    for (size_t j = 0; j < q8t_tensor_count(t); j++) {
      t->data[j] = (float)(positive ? uniform(rng, 0.5, 1.5) : uniform(rng, -1, 1));
    }
  }
}

/* L at the current values: the loss, or sum(R * y). */
static double objective(q8t_graph *g, int32_t out, const float *r, bool frozen) {
  q8_status st = q8t_graph_forward(g, !frozen);
  T_CHECK(st == Q8_OK, "forward: %s", g->error.message);
  if (g->loss >= 0) return g->tensors[g->loss].data[0];
  const q8t_tensor *y = &g->tensors[out];
  double sum = 0.0;
  for (size_t i = 0; i < q8t_tensor_count(y); i++) sum += (double)r[i] * y->data[i];
  return sum;
}

static void check_tensor(const char *what, q8t_graph *g, int32_t out, const float *r, check_opts o,
                         q8t_tensor *t, const float *analytic, t_rng *rng) {
  const size_t n = q8t_tensor_count(t);
  const size_t checks = n < MAX_ELEMENTS_PER_TENSOR ? n : MAX_ELEMENTS_PER_TENSOR;
  int failed = 0;
  for (size_t c = 0; c < checks; c++) {
    const size_t i = n <= MAX_ELEMENTS_PER_TENSOR ? c : (size_t)t_rng_range(rng, 0, (int64_t)n - 1);
    const float v = t->data[i];
    t->data[i] = (float)(v + H);
    const double plus = objective(g, out, r, o.frozen);
    t->data[i] = (float)(v - H);
    const double minus = objective(g, out, r, o.frozen);
    t->data[i] = v;
    const double numeric = (plus - minus) / (2 * H);
    const double a = analytic[i];
    const double tol = RTOL * fmax(fabs(a), fabs(numeric)) + ATOL;
    if (fabs(a - numeric) <= tol) {
      T_CHECK(1, "ok");
    } else if (failed++ < 3) {
      T_CHECK(0, "%s: d/d %s[%zu]: analytic %.6g, numeric %.6g (tolerance %.2g)", what, t->name, i,
              a, numeric, tol);
    }
  }
}

/* Allocates, fills, runs backward once and compares every input and parameter gradient. */
static void check(const char *what, q8t_graph *g, int32_t out, check_opts o, t_rng *rng) {
  if (q8t_graph_allocate(g) != Q8_OK) {
    T_CHECK(0, "%s: allocate: %s", what, g->error.message);
    q8t_graph_free(g);
    return;
  }
  fill_inputs(g, rng, o.inputs);
  fill_parameters(g, rng);
  const q8t_tensor *y = &g->tensors[out];
  const size_t ny = q8t_tensor_count(y);
  float *r = malloc(ny * sizeof *r);
  for (size_t i = 0; i < ny; i++) r[i] = (float)uniform(rng, -1, 1);
  objective(g, out, r, o.frozen);
  if (g->loss < 0) memcpy(g->tensors[out].grad, r, ny * sizeof *r);
  T_CHECK(q8t_graph_backward(g) == Q8_OK, "%s: backward: %s", what, g->error.message);
  /* Analytic gradients first: the finite differences run forward many times. */
  float *saved[64] = {0};
  for (int32_t i = 0; i < g->n_tensors && i < 64; i++) {
    const q8t_tensor *t = &g->tensors[i];
    if (t->grad == NULL || (t->role != Q8T_ROLE_PARAMETER && t->role != Q8T_ROLE_INPUT)) continue;
    saved[i] = malloc(q8t_tensor_count(t) * sizeof(float));
    memcpy(saved[i], t->grad, q8t_tensor_count(t) * sizeof(float));
  }
  for (int32_t i = 0; i < g->n_tensors && i < 64; i++) {
    if (saved[i] == NULL) continue;
    check_tensor(what, g, out, r, o, &g->tensors[i], saved[i], rng);
    free(saved[i]);
  }
  free(r);
  q8t_graph_free(g);
}

static q8t_window win(int32_t kh, int32_t kw, int32_t sh, int32_t sw, q8_padding p) {
  return (q8t_window){.kernel_h = kh, .kernel_w = kw, .stride_h = sh, .stride_w = sw, .padding = p};
}

static void conv_cases(t_rng *rng) {
  static const struct {
    const char *what;
    int32_t h, w, c, filters;
    q8t_window window;
    bool bias;
    int32_t threads;
    bool direct; /* the graph's direct_conv */
  } cases[] = {
      /* im2col rows of 32 or fewer (kh * kw * channels): the direct loops. */
      {"conv 3x3 s1 SAME bias", 5, 6, 3, 4, {3, 3, 1, 1, Q8_PADDING_SAME}, true, 2, false},
      {"conv 3x3 s2 SAME odd 7x7", 7, 7, 2, 3, {3, 3, 2, 2, Q8_PADDING_SAME}, false, 2, false},
      {"conv 3x3 s2 SAME even 8x6", 8, 6, 2, 3, {3, 3, 2, 2, Q8_PADDING_SAME}, true, 1, false},
      {"conv 4x4 s2 SAME even 6x6", 6, 6, 2, 2, {4, 4, 2, 2, Q8_PADDING_SAME}, false, 2, false},
      {"conv 5x3 s2x1 VALID", 9, 6, 2, 3, {5, 3, 2, 1, Q8_PADDING_VALID}, true, 2, false},
      {"conv 1x1 s1 (pointwise path)", 4, 5, 6, 5, {1, 1, 1, 1, Q8_PADDING_SAME}, true, 2, false},
      {"conv 1x1 s2 SAME (direct path)", 5, 5, 3, 4, {1, 1, 2, 2, Q8_PADDING_SAME}, false, 2, false},
      /* im2col rows longer than 32: the matrix-product path. */
      {"conv 1x1 s2 SAME, 40 channels (im2col)",
       5,
       4,
       40,
       3,
       {1, 1, 2, 2, Q8_PADDING_SAME},
       true,
       2, false},
      {"conv 3x3 s1 SAME, 4 channels (im2col)", 5, 6, 4, 3, {3, 3, 1, 1, Q8_PADDING_SAME}, true, 2, false},
      {"conv 3x3 s2 SAME odd, 6 channels (im2col)",
       7,
       5,
       6,
       4,
       {3, 3, 2, 2, Q8_PADDING_SAME},
       false,
       1, false},
      {"conv 3x2 s1x2 VALID, 8 channels (im2col)",
       6,
       7,
       8,
       3,
       {3, 2, 1, 2, Q8_PADDING_VALID},
       true,
       2, false},

      /* Filters and channels multiples of 8: the AVX2 layers' tiles (gemm-tiles.h), forward
         through windows; the input gradient through windows at stride 1, col2im otherwise;
         3x3 stride 1 through Winograd (winograd.h), or through windows where direct. */
      {"conv 3x3 s1 SAME 8->16 (tiles, Winograd)", 5, 6, 8, 16, {3, 3, 1, 1, Q8_PADDING_SAME}, true, 2, false},
      {"conv 3x3 s1 VALID 16->8 (tiles, Winograd)", 7, 6, 16, 8, {3, 3, 1, 1, Q8_PADDING_VALID}, false, 2, false},
      {"conv 3x3 s1 SAME 24->8 (tiles, Winograd)", 4, 9, 24, 8, {3, 3, 1, 1, Q8_PADDING_SAME}, true, 1, false},
      {"conv 3x3 s1 SAME 8->16 (tiles, windows)", 5, 6, 8, 16, {3, 3, 1, 1, Q8_PADDING_SAME}, true, 2, true},
      {"conv 3x3 s1 VALID 16->8 (tiles, windows)", 7, 6, 16, 8, {3, 3, 1, 1, Q8_PADDING_VALID}, false, 2, true},
      {"conv 3x3 s2 SAME 8->8 (tiles, col2im)", 7, 6, 8, 8, {3, 3, 2, 2, Q8_PADDING_SAME}, false, 2, false},
      {"conv 3x2 s1 VALID 16->8 (tiles, windows)", 6, 5, 16, 8, {3, 2, 1, 1, Q8_PADDING_VALID}, true, 1, false},
      {"conv 1x1 s1 16->8 (tiles, pointwise)", 4, 5, 16, 8, {1, 1, 1, 1, Q8_PADDING_SAME}, true, 2, false},
      {"conv 3x3 s1 SAME 1->8 (tiles, weight gradient transposed)", 6, 5, 1, 8, {3, 3, 1, 1, Q8_PADDING_SAME}, true, 2, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    direct_conv = cases[i].direct;
    q8t_graph *g = new_graph(3, cases[i].threads);
    const int32_t x = grad_input(g, "x", cases[i].h, cases[i].w, cases[i].c);
    const int32_t y =
        q8t_conv(g, "conv", x, cases[i].filters, cases[i].window, cases[i].bias, Q8_ACT_NONE);
    check(cases[i].what, g, y, (check_opts){0}, rng);
  }
  direct_conv = false;
}

static void depthwise_cases(t_rng *rng) {
  static const struct {
    const char *what;
    int32_t h, w, c, multiplier;
    q8t_window window;
    bool bias;
  } cases[] = {
      {"depthwise 3x3 s1 SAME", 5, 5, 3, 1, {3, 3, 1, 1, Q8_PADDING_SAME}, false},
      {"depthwise 3x3 s2 SAME even", 6, 8, 4, 1, {3, 3, 2, 2, Q8_PADDING_SAME}, true},
      {"depthwise 3x3 s2 SAME odd", 7, 5, 2, 1, {3, 3, 2, 2, Q8_PADDING_SAME}, false},
      {"depthwise 3x2 multiplier 2 VALID", 6, 5, 2, 2, {3, 2, 1, 2, Q8_PADDING_VALID}, true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    q8t_graph *g = new_graph(3, 2);
    const int32_t x = grad_input(g, "x", cases[i].h, cases[i].w, cases[i].c);
    const int32_t y = q8t_depthwise_conv(g, "dw", x, cases[i].multiplier, cases[i].window,
                                         cases[i].bias, Q8_ACT_NONE);
    check(cases[i].what, g, y, (check_opts){0}, rng);
  }
}

static void fully_connected_cases(t_rng *rng) {
  q8t_graph *g = new_graph(3, 2);
  int32_t x = grad_input(g, "x", 2, 3, 2);
  check("fully connected on a flattened 2x3x2 image, bias", g,
        q8t_fully_connected(g, "fc", x, 5, true, Q8_ACT_NONE), (check_opts){0}, rng);
  g = new_graph(4, 1);
  x = grad_input(g, "x", 1, 1, 7);
  check("fully connected, no bias", g, q8t_fully_connected(g, "fc", x, 4, false, Q8_ACT_NONE),
        (check_opts){0}, rng);
}

static void batch_norm_cases(t_rng *rng) {
  q8t_graph *g = new_graph(3, 2);
  int32_t x = grad_input(g, "x", 3, 4, 5);
  check("batch norm, training (batch statistics)", g, q8t_batch_norm(g, "bn", x, Q8_ACT_NONE),
        (check_opts){0}, rng);
  g = new_graph(3, 2);
  x = grad_input(g, "x", 3, 2, 3);
  check("batch norm, frozen (moving statistics)", g, q8t_batch_norm(g, "bn", x, Q8_ACT_NONE),
        (check_opts){.frozen = true}, rng);
  g = new_graph(8, 1);
  x = grad_input(g, "x", 1, 1, 6);
  check("batch norm on 1x1 images (8 samples per channel)", g,
        q8t_batch_norm(g, "bn", x, Q8_ACT_NONE), (check_opts){0}, rng);
  /* After a convolution: the statistics' dependence on the weights. */
  g = new_graph(3, 2);
  x = grad_input(g, "x", 5, 5, 2);
  const int32_t c = q8t_conv(g, "conv", x, 3, win(3, 3, 2, 2, Q8_PADDING_SAME), false, Q8_ACT_NONE);
  check("conv 3x3 s2 then batch norm (training)", g, q8t_batch_norm(g, "conv/bn", c, Q8_ACT_NONE),
        (check_opts){0}, rng);
}

static void elementwise_cases(t_rng *rng) {
  q8t_graph *g = new_graph(3, 2);
  int32_t x = grad_input(g, "x", 3, 3, 4);
  check("relu", g, q8t_activation(g, "relu", x, Q8_ACT_RELU),
        (check_opts){.inputs = INPUTS_KINK_FREE}, rng);
  g = new_graph(3, 2);
  x = grad_input(g, "x", 3, 3, 4);
  check("relu6", g, q8t_activation(g, "relu6", x, Q8_ACT_RELU6),
        (check_opts){.inputs = INPUTS_KINK_FREE}, rng);
  g = new_graph(3, 2);
  x = grad_input(g, "x", 2, 3, 4);
  const int32_t b = grad_input(g, "b", 2, 3, 4);
  check("add", g, q8t_add(g, "add", x, b, Q8_ACT_NONE), (check_opts){0}, rng);
  g = new_graph(3, 1);
  x = grad_input(g, "x", 2, 2, 3);
  check("add(x, x): both slots reach one gradient", g, q8t_add(g, "add", x, x, Q8_ACT_NONE),
        (check_opts){0}, rng);
}

static void pool_cases(t_rng *rng) {
  q8t_graph *g = new_graph(3, 2);
  int32_t x = grad_input(g, "x", 3, 5, 4);
  check("global average pool", g, q8t_global_avg_pool(g, "gap", x), (check_opts){0}, rng);
  static const struct {
    const char *what;
    bool max;
    int32_t h, w;
    q8t_window window;
  } cases[] = {
      {"max pool 3x3 s2 SAME odd", true, 7, 5, {3, 3, 2, 2, Q8_PADDING_SAME}},
      {"max pool 2x2 s2 SAME odd (padding after)", true, 5, 5, {2, 2, 2, 2, Q8_PADDING_SAME}},
      {"max pool 2x2 s2 VALID", true, 6, 4, {2, 2, 2, 2, Q8_PADDING_VALID}},
      {"max pool 3x3 s1 SAME (overlapping windows)", true, 4, 5, {3, 3, 1, 1, Q8_PADDING_SAME}},
      {"avg pool 3x3 s2 SAME odd (in-bounds count)", false, 7, 5, {3, 3, 2, 2, Q8_PADDING_SAME}},
      {"avg pool 3x3 s2 SAME even", false, 6, 6, {3, 3, 2, 2, Q8_PADDING_SAME}},
      {"avg pool 2x3 s1x2 VALID", false, 5, 7, {2, 3, 1, 2, Q8_PADDING_VALID}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    g = new_graph(3, 2);
    x = grad_input(g, "x", cases[i].h, cases[i].w, 3);
    const int32_t y = cases[i].max ? q8t_max_pool(g, "pool", x, cases[i].window)
                                   : q8t_avg_pool(g, "pool", x, cases[i].window);
    check(cases[i].what, g, y, (check_opts){.inputs = cases[i].max ? INPUTS_GRID : INPUTS_UNIFORM},
          rng);
  }
}

static void loss_cases(t_rng *rng) {
  q8t_graph *g = new_graph(5, 2);
  int32_t x = grad_input(g, "x", 1, 1, 7);
  check(
      "softmax cross-entropy (mean over the batch)", g,
      q8t_softmax_cross_entropy(g, "loss", q8t_fully_connected(g, "fc", x, 7, false, Q8_ACT_NONE)),
      (check_opts){0}, rng);
  /* A whole residual network: fan-out (the block's input feeds conv and add), the layer kinds
     of the reference models, gradients from the loss. */
  g = new_graph(3, 2);
  x = grad_input(g, "x", 6, 6, 2);
  int32_t y = q8t_conv(g, "conv1", x, 3, win(3, 3, 1, 1, Q8_PADDING_SAME), false, Q8_ACT_NONE);
  y = q8t_batch_norm(g, "conv1/bn", y, Q8_ACT_NONE);
  int32_t z = q8t_conv(g, "conv2", y, 3, win(3, 3, 1, 1, Q8_PADDING_SAME), false, Q8_ACT_NONE);
  z = q8t_batch_norm(g, "conv2/bn", z, Q8_ACT_NONE);
  y = q8t_add(g, "add", z, y, Q8_ACT_NONE);
  y = q8t_depthwise_conv(g, "dw", y, 1, win(3, 3, 2, 2, Q8_PADDING_SAME), true, Q8_ACT_NONE);
  y = q8t_avg_pool(g, "pool", y, win(2, 2, 1, 1, Q8_PADDING_SAME));
  y = q8t_fully_connected(g, "fc", q8t_global_avg_pool(g, "gap", y), 4, true, Q8_ACT_NONE);
  check("residual network to the loss", g, q8t_softmax_cross_entropy(g, "loss", y), (check_opts){0},
        rng);
  /* A residual block of 8 channels: the tiles' input gradient (Winograd, or windows where
     direct) added to the add's. */
  for (int direct = 0; direct < 2; direct++) {
    direct_conv = direct;
    g = new_graph(2, 2);
    x = grad_input(g, "x", 5, 5, 8);
    z = q8t_conv(g, "conv", x, 8, win(3, 3, 1, 1, Q8_PADDING_SAME), true, Q8_ACT_NONE);
    check(direct ? "residual block of 8 channels (tiles, windows)"
                 : "residual block of 8 channels (tiles, Winograd)",
          g, q8t_add(g, "add", z, x, Q8_ACT_NONE), (check_opts){0}, rng);
  }
  direct_conv = false;
}

/* ---- fused activations equal separate activation nodes ---- */

typedef enum fused_layer { FUSED_CONV, FUSED_DEPTHWISE, FUSED_FC, FUSED_BN, FUSED_ADD } fused_layer;

/* x (wide values) -> layer(activation fused, or NONE then an activation node). */
static q8t_graph *fused_graph(fused_layer layer, q8_activation act, bool fused, int32_t *out) {
  q8t_graph *g = new_graph(3, 2);
  const int32_t x = grad_input(g, "x", 5, 4, 3);
  const q8_activation inner = fused ? act : Q8_ACT_NONE;
  const q8t_window w = win(3, 3, 2, 1, Q8_PADDING_SAME);
  int32_t y = -1;
  switch (layer) {
    case FUSED_CONV:
      y = q8t_conv(g, "layer", x, 4, w, true, inner);
      break;
    case FUSED_DEPTHWISE:
      y = q8t_depthwise_conv(g, "layer", x, 2, w, true, inner);
      break;
    case FUSED_FC:
      y = q8t_fully_connected(g, "layer", x, 30, true, inner);
      break;
    case FUSED_BN:
      y = q8t_batch_norm(g, "layer", x, inner);
      break;
    case FUSED_ADD:
      y = q8t_add(g, "layer", x, grad_input(g, "b", 5, 4, 3), inner);
      break;
  }
  *out = fused ? y : q8t_activation(g, "act", y, act);
  return g;
}

/* Runs forward and backward with seed-determined parameters, inputs and R. */
static void run_fused(q8t_graph *g, int32_t out, uint64_t seed, float parameter_scale) {
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  q8t_graph_init_parameters(g, seed);
  t_rng rng = {seed};
  fill_inputs(g, &rng, INPUTS_WIDE);
  fill_parameters(g, &rng);
  /* Larger gamma and beta: batch-norm outputs (unit variance) reach 6 too. */
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    if (t->role != Q8T_ROLE_PARAMETER) continue;
    for (size_t j = 0; j < q8t_tensor_count(t); j++) t->data[j] *= parameter_scale;
  }
  q8t_graph_forward(g, true);
  const q8t_tensor *y = &g->tensors[out];
  for (size_t i = 0; i < q8t_tensor_count(y); i++) y->grad[i] = (float)uniform(&rng, -1, 1);
  q8t_graph_backward(g);
}

static bool same_floats(const float *a, const float *b, size_t n) {
  return memcmp(a, b, n * sizeof *a) == 0;
}

static void fused_cases(uint64_t seed) {
  static const char *const names[] = {"conv", "depthwise", "fully connected", "batch norm", "add"};
  for (int layer = FUSED_CONV; layer <= FUSED_ADD; layer++) {
    for (int a = 0; a < 2; a++) {
      const q8_activation act = a == 0 ? Q8_ACT_RELU : Q8_ACT_RELU6;
      int32_t out_f, out_s;
      q8t_graph *f = fused_graph((fused_layer)layer, act, true, &out_f);
      q8t_graph *s = fused_graph((fused_layer)layer, act, false, &out_s);
      const float scale = layer == FUSED_BN ? 6.0f : 1.0f;
      run_fused(f, out_f, seed, scale);
      run_fused(s, out_s, seed, scale);
      const q8t_tensor *yf = &f->tensors[out_f], *ys = &s->tensors[out_s];
      const size_t n = q8t_tensor_count(yf);
      size_t low = 0, mid = 0, high = 0;
      for (size_t i = 0; i < n; i++) {
        low += yf->data[i] <= 0.0f;
        high += yf->data[i] >= 6.0f;
        mid += yf->data[i] > 0.0f && yf->data[i] < 6.0f;
      }
      T_CHECK(low > 0 && mid > 0 && (act == Q8_ACT_RELU || high > 0),
              "%s %s: outputs at 0: %zu, between: %zu, at 6: %zu (the data must reach each piece)",
              names[layer], q8_activation_name(act), low, mid, high);
      T_CHECK(n == q8t_tensor_count(ys) && same_floats(yf->data, ys->data, n),
              "%s %s: fused output differs from the activation node's", names[layer],
              q8_activation_name(act));
      for (int32_t i = 0; i < f->n_tensors; i++) {
        const q8t_tensor *tf = &f->tensors[i];
        if (tf->role != Q8T_ROLE_PARAMETER && tf->role != Q8T_ROLE_INPUT) continue;
        if (tf->grad == NULL) continue;
        const int32_t j = q8t_graph_find_tensor(s, tf->name);
        T_CHECK(j >= 0 && same_floats(tf->grad, s->tensors[j].grad, q8t_tensor_count(tf)),
                "%s %s: gradient of %s differs between fused and separate activation", names[layer],
                q8_activation_name(act), tf->name);
      }
      q8t_graph_free(f);
      q8t_graph_free(s);
    }
  }
}

/* Whether this build and CPU run the ISA; prints why not. */
static bool available(q8t_isa which) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = 1, .threads = 1, .isa = which};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) {
    printf("SKIP layers %s: %s\n", q8t_isa_name(which), err.message);
    return false;
  }
  q8t_graph_free(g);
  return true;
}

int main(void) {
  const uint64_t seed = t_seed(0x9d1);
  const q8t_isa isas[] = {Q8T_ISA_SCALAR, Q8T_ISA_AVX2};
  for (int i = 0; i < 2; i++) {
    if (!available(isas[i])) continue;
    isa = isas[i];
    printf("layers: %s\n", q8t_isa_name(isa));
    t_rng rng = {seed};
    conv_cases(&rng);
    depthwise_cases(&rng);
    fully_connected_cases(&rng);
    batch_norm_cases(&rng);
    elementwise_cases(&rng);
    pool_cases(&rng);
    loss_cases(&rng);
    fused_cases(seed);
  }
  return t_finish();
}
