/* The integer requantization in QAT's fake quantization (train/qat-requant.h) against q8's
   integer runtime, on a small untrained network with what test-qat-export does not have:
   depthwise convolutions with depth multiplier 2 with and without a batch norm (the channel of
   element i is i % channels; the weight grids lie on the last axis, which q8t_qat_ranges once
   sized by the first and overran for a depthwise layer without batch norm); a ReLU as a node of
   its own; a fully connected layer after a max pool (input scale from a tied range); ReLU,
   ReLU6 and no fused activation; int8 and uint8; 3 threads (slices that start inside a row of
   channels). Random biases and batch-norm statistics make the int32 biases matter. Ranges come
   from calibration, batch norms are frozen, the export (q8t_qat_ranges, q8t_export) runs on 128
   random images, and every tensor both models have must hold the same codes on at least 99.9%
   of its elements (100% when written). With float rounding they must differ somewhere, else the
   comparison proves nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/build.h"
#include "train/convert.h"
#include "train/graph.h"
#include "train/qat.h"
#include "train/trainer.h"
#include "util/graph-runner.h"
#include "util/test-util.h"

enum { SIDE = 8, CHANNELS = 3, BATCH = 32, IMAGES = 128, CLASSES = 4 };

static q8t_window win(int32_t k, int32_t s) { return (q8t_window){k, k, s, s, Q8_PADDING_SAME}; }

static bool ends_with(const char *s, const char *suffix) {
  const size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Biases and batch-norm statistics away from their initial 0 and 1. */
static void randomize(q8t_graph *g, uint64_t seed) {
  t_rng rng = {seed};
  for (int32_t t = 0; t < g->n_tensors; t++) {
    q8t_tensor *tensor = &g->tensors[t];
    const size_t n = q8t_tensor_count(tensor);
    for (size_t i = 0; i < n; i++) {
      const float u = (float)t_rng_range(&rng, 0, 1000000) / 1e6f;
      if (ends_with(tensor->name, "/bias")) tensor->data[i] = 0.4f * (u - 0.5f);
      if (ends_with(tensor->name, "/gamma")) tensor->data[i] = 0.5f + u;
      if (ends_with(tensor->name, "/beta")) tensor->data[i] = 0.3f * (u - 0.3f);
      if (ends_with(tensor->name, "/moving_mean")) tensor->data[i] = 0.2f * (u - 0.5f);
      if (ends_with(tensor->name, "/moving_variance")) tensor->data[i] = 0.3f + u;
    }
  }
}

static q8t_graph *network(int32_t threads, uint64_t seed) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = BATCH, .threads = threads};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) return NULL;
  int32_t x = q8t_input(g, "input", SIDE, SIDE, CHANNELS);
  x = q8t_batch_norm(g, "c1/bn", q8t_conv(g, "c1", x, 8, win(3, 1), true, Q8_ACT_NONE),
                     Q8_ACT_RELU);
  x = q8t_batch_norm(g, "dw/bn", q8t_depthwise_conv(g, "dw", x, 2, win(3, 1), true, Q8_ACT_NONE),
                     Q8_ACT_RELU6);
  x = q8t_activation(g, "pw/relu", q8t_conv(g, "pw", x, 12, win(1, 1), true, Q8_ACT_NONE),
                     Q8_ACT_RELU);
  x = q8t_depthwise_conv(g, "dw2", x, 2, win(3, 2), true, Q8_ACT_NONE);
  x = q8t_max_pool(g, "pool", x, win(2, 2));
  x = q8t_fully_connected(g, "fc1", x, 10, true, Q8_ACT_RELU);
  x = q8t_fully_connected(g, "fc", x, CLASSES, true, Q8_ACT_NONE);
  q8t_softmax_cross_entropy(g, "loss", x);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  q8t_graph_init_parameters(g, seed);
  randomize(g, seed * 31 + 1);
  return g;
}

typedef struct shared {
  int32_t exported, train;
  size_t elements, exact;
  size_t inside; /* codes other than the zero point and the type's ends: not clamped */
} shared;

/* Compares image i of the current batch, in every shared tensor. */
static void compare_image(const q8t_graph *g, const q8_graph *out, t_runner *r, shared *s,
                          int32_t n, int32_t image) {
  for (int32_t k = 0; k < n; k++) {
    const q8t_tensor *ft = &g->tensors[s[k].train];
    const q8_tensor *qt = &out->tensors[s[k].exported];
    const void *data = t_runner_tensor(r, s[k].exported);
    const size_t per = q8t_tensor_per_image(ft);
    for (size_t e = 0; e < per; e++) {
      const int32_t q =
          qt->type == Q8_TYPE_INT8 ? ((const int8_t *)data)[e] : ((const uint8_t *)data)[e];
      const double real = ((double)q - qt->quant.zero_point[0]) * qt->quant.scale[0];
      const double steps = fabs(real - ft->data[(size_t)image * per + e]) / qt->quant.scale[0];
      const int32_t lowest = qt->type == Q8_TYPE_INT8 ? -128 : 0;
      s[k].inside += q != qt->quant.zero_point[0] && q != lowest && q != lowest + 255;
      s[k].elements++;
      s[k].exact += steps < 0.5;
    }
  }
}

/* Returns whether every shared tensor held the same codes on all of its elements. */
static bool run(const char *what, q8t_scheme scheme, int32_t threads, bool float_rounding,
                const q8t_images *data, uint64_t seed) {
  q8t_graph *g = network(threads, seed);
  if (g == NULL) return false;
  q8_error err;
  q8t_qat_options o = q8t_qat_defaults();
  o.scheme = scheme;
  o.bn_freeze_step = 0;
  o.float_rounding = float_rounding;
  T_CHECK(q8t_qat_prepare(g, &o, &err) == Q8_OK, "%s: prepare: %s", what, err.message);
  T_CHECK(q8t_qat_calibrate(g, data, IMAGES, &err) == Q8_OK, "%s: calibrate: %s", what,
          err.message);
  q8t_ranges ranges;
  q8t_ranges_init(g, &ranges, &err);
  T_CHECK(q8t_qat_ranges(g, &ranges, &err) == Q8_OK, "%s: ranges: %s", what, err.message);
  const q8t_export_options eo = q8t_qat_export_options(g);
  q8_graph *out = NULL;
  T_CHECK(q8t_export(g, &ranges, &eo, &out, NULL, &err) == Q8_OK, "%s: export: %s", what,
          err.message);
  t_runner r;
  bool all_exact = true;
  if (out != NULL && t_runner_init(&r, out)) {
    shared s[T_RUNNER_MAX_OUTPUTS];
    int32_t n = 0;
    for (int32_t i = 0; i < r.n_outputs; i++) {
      const int32_t t = q8t_graph_find_tensor(g, out->tensors[r.outputs[i]].name);
      if (t >= 0) s[n++] = (shared){r.outputs[i], t, 0, 0, 0};
    }
    const size_t pixels = SIDE * SIDE * CHANNELS;
    const q8_type type = out->tensors[out->inputs[0]].type;
    uint8_t codes[SIDE * SIDE * CHANNELS];
    for (int64_t first = 0; first < data->count; first += BATCH) {
      T_CHECK(q8t_load_batch(g, data, NULL, first, BATCH, &err) == Q8_OK, "%s", err.message);
      T_CHECK(q8t_graph_forward(g, false) == Q8_OK, "forward: %s", g->error.message);
      for (int32_t i = 0; i < BATCH; i++) {
        const uint8_t *p = data->pixels + (size_t)(first + i) * pixels;
        for (size_t k = 0; k < pixels; k++)
          codes[k] = type == Q8_TYPE_INT8 ? (uint8_t)(p[k] - 128) : p[k];
        T_CHECK(q8_interp_set_input(r.interp, 0, codes, pixels) == Q8_OK, "set input");
        T_CHECK(q8_interp_invoke(r.interp) == Q8_OK, "invoke: %s", q8_interp_last_error(r.interp));
        compare_image(g, out, &r, s, n, i);
      }
    }
    T_CHECK(n >= 2, "%s: %d shared tensors", what, (int)n);
    printf("%s:\n", what);
    for (int32_t k = 0; k < n; k++) {
      const double exact = (double)s[k].exact / (double)s[k].elements;
      printf("  %-12s %7zu elements (%7zu not clamped), %8.4f%% the same code\n",
             g->tensors[s[k].train].name, s[k].elements, s[k].inside, 100.0 * exact);
      all_exact = all_exact && s[k].exact == s[k].elements;
      if (!float_rounding)
        T_CHECK(exact >= 0.999, "%s: '%s' holds the integer model's codes on %.4f%% of elements",
                what, g->tensors[s[k].train].name, 100.0 * exact);
    }
    t_runner_free(&r);
  }
  q8_graph_free(out);
  q8t_ranges_free(&ranges);
  q8t_graph_free(g);
  return all_exact;
}

int main(void) {
  const uint64_t seed = t_seed(3);
  t_rng rng = {seed};
  static uint8_t pixels[IMAGES * SIDE * SIDE * CHANNELS], labels[IMAGES];
  for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (uint8_t)t_rng_range(&rng, 0, 255);
  for (int32_t i = 0; i < IMAGES; i++) labels[i] = (uint8_t)(i % CLASSES);
  const q8t_images data = {pixels, labels, IMAGES, SIDE, SIDE, CHANNELS};
  run("int8, 3 threads", Q8T_SCHEME_INT8, 3, false, &data, seed);
  run("uint8, 3 threads", Q8T_SCHEME_UINT8, 3, false, &data, seed);
  const bool same = run("int8, 3 threads, float rounding", Q8T_SCHEME_INT8, 3, true, &data, seed);
  T_CHECK(!same, "float rounding holds the integer codes everywhere: the comparison is blind");
  return t_finish();
}
