/* Quantization-aware training end to end, on synthetic images (a bright blob in one of four
   quadrants, on noise) and a small network with every kind the rewrite handles (conv + BN +
   ReLU6, depthwise, pointwise, a residual block whose ADD fuses its ReLU6, global average
   pooling, the logits): float training, then QAT from calibrated ranges with the batch norms
   frozen after the first QAT epoch, for each scheme (int8, uint8) at 8 bits:
   - the fake-quantized model still learns (held-out accuracy, and not far below float);
   - issue item 12: the export, run by q8's integer runtime, agrees with the fake-quantized
     float model it came from on held-out images: the same top-1 on >= 99.5% of them, and every
     quantized tensor the two share (each operator's output, logits included) within one
     quantization step on >= 99% of its elements when the operator is fed the integer model's
     own input; end to end see check_agreement. The measured numbers are printed.
   Skipped, by name, where a measured step says the run would pass 5 minutes (under qemu). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/build.h"
#include "train/convert.h"
#include "train/graph.h"
#include "train/ops.h"
#include "train/qat.h"
#include "train/trainer.h"
#include "util/graph-runner.h"
#include "util/test-util.h"

enum { SIDE = 16, CLASSES = 4, TRAIN = 2000, HELD_OUT = 1000, CALIBRATION = 500, BATCH = 50 };

/* Class k: a 3x3 blob of 150..255 somewhere in quadrant k, on noise of 0..70. */
static void synthetic(t_rng *rng, int64_t count, uint8_t *pixels, uint8_t *labels) {
  for (int64_t i = 0; i < count; i++) {
    const int32_t k = (int32_t)t_rng_range(rng, 0, CLASSES - 1);
    labels[i] = (uint8_t)k;
    uint8_t *img = pixels + i * SIDE * SIDE;
    for (int32_t p = 0; p < SIDE * SIDE; p++) img[p] = (uint8_t)t_rng_range(rng, 0, 70);
    const int32_t y0 = (k / 2) * (SIDE / 2) + (int32_t)t_rng_range(rng, 0, SIDE / 2 - 3);
    const int32_t x0 = (k % 2) * (SIDE / 2) + (int32_t)t_rng_range(rng, 0, SIDE / 2 - 3);
    for (int32_t dy = 0; dy < 3; dy++)
      for (int32_t dx = 0; dx < 3; dx++)
        img[(y0 + dy) * SIDE + x0 + dx] = (uint8_t)t_rng_range(rng, 150, 255);
  }
}

static q8t_window win(int32_t k, int32_t s) { return (q8t_window){k, k, s, s, Q8_PADDING_SAME}; }

static int32_t conv_bn(q8t_graph *g, const char *name, const char *bn, int32_t x, int32_t filters,
                       q8t_window w, q8_activation act) {
  return q8t_batch_norm(g, bn, q8t_conv(g, name, x, filters, w, false, Q8_ACT_NONE), act);
}

static q8t_graph *network(uint64_t seed) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = BATCH, .threads = 2};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) return NULL;
  int32_t x = q8t_input(g, "input", SIDE, SIDE, 1);
  x = conv_bn(g, "conv1", "conv1/bn", x, 8, win(3, 1), Q8_ACT_RELU6);
  x = q8t_batch_norm(g, "dw2/bn", q8t_depthwise_conv(g, "dw2", x, 1, win(3, 2), false, Q8_ACT_NONE),
                     Q8_ACT_RELU6);
  x = conv_bn(g, "pw3", "pw3/bn", x, 16, win(1, 1), Q8_ACT_RELU6);
  int32_t y = conv_bn(g, "block/conv1", "block/conv1/bn", x, 16, win(3, 1), Q8_ACT_RELU6);
  y = conv_bn(g, "block/conv2", "block/conv2/bn", y, 16, win(3, 1), Q8_ACT_NONE);
  x = q8t_add(g, "block/add", y, x, Q8_ACT_RELU6);
  x = q8t_fully_connected(g, "fc", q8t_global_avg_pool(g, "gap", x), CLASSES, true, Q8_ACT_NONE);
  q8t_softmax_cross_entropy(g, "loss", x);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  q8t_graph_init_parameters(g, seed);
  return g;
}

static double train_and_evaluate(q8t_graph *g, const q8t_images *train, const q8t_images *test,
                                 int32_t epochs, float lr, const char *what) {
  q8t_train_options o = q8t_train_recipe();
  o.epochs = epochs;
  o.learning_rate = lr;
  o.seed = 7;
  q8t_train_result result;
  q8_error err;
  T_CHECK(q8t_train(g, train, &o, &result, &err) == Q8_OK, "%s training: %s", what, err.message);
  q8t_eval_result eval;
  T_CHECK(q8t_evaluate(g, test, &eval, &err) == Q8_OK, "%s evaluation: %s", what, err.message);
  return eval.accuracy;
}

/* ---- the integer model against the fake-quantized one ---- */

/* How far integer values are from fake-quantized ones, in steps of the exported scale. */
typedef struct distance {
  size_t elements, exact, within1; /* exact: under half a step */
  double worst;
} distance;

static void count(distance *d, double steps) {
  d->elements++;
  d->exact += steps < 0.5;
  d->within1 += steps <= 1.0 + 1e-3; /* both sides on one grid: whole steps up to rounding */
  if (steps > d->worst) d->worst = steps;
}

static double fraction(size_t part, size_t whole) { return whole > 0 ? (double)part / whole : 0; }

/* One tensor both models have: end to end (the integer model from the image on) and layer by
   layer (the operator's training nodes fed the integer model's own input). */
typedef struct shared {
  int32_t exported; /* the exported graph's tensor */
  int32_t train;    /* the training tensor of the same name */
  float scale;
  float *deq; /* the current batch's integer values, dequantized */
  distance end_to_end, local;
} shared;

typedef struct agreement {
  shared tensors[64];
  int32_t n;
  int32_t images, same_top1, int_correct;
} agreement;

static int32_t argmax(const float *v, int32_t n) {
  int32_t best = 0;
  for (int32_t k = 1; k < n; k++)
    if (v[k] > v[best]) best = k;
  return best;
}

static void match_tensors(const q8t_graph *g, const q8_graph *out, const t_runner *r,
                          agreement *a) {
  memset(a, 0, sizeof *a);
  for (int32_t i = 0; i < r->n_outputs; i++) {
    const int32_t t = q8t_graph_find_tensor(g, out->tensors[r->outputs[i]].name);
    if (t < 0) continue;
    const size_t per = q8t_tensor_per_image(&g->tensors[t]);
    a->tensors[a->n++] = (shared){.exported = r->outputs[i],
                                  .train = t,
                                  .scale = out->tensors[r->outputs[i]].quant.scale[0],
                                  .deq = calloc(per * BATCH, sizeof(float))};
  }
}

/* Image `image` of the graph's current batch, through the integer model. */
static void compare_image(const q8t_graph *g, const q8_graph *out, t_runner *r, int32_t image,
                          agreement *a) {
  const q8t_tensor *logits = &g->tensors[g->logits];
  float deq[CLASSES];
  int32_t have_logits = 0;
  for (int32_t i = 0; i < a->n; i++) {
    shared *s = &a->tensors[i];
    const q8t_tensor *ft = &g->tensors[s->train];
    const q8_tensor *qt = &out->tensors[s->exported];
    const void *data = t_runner_tensor(r, s->exported);
    const size_t per = q8t_tensor_per_image(ft);
    const float scale = qt->quant.scale[0];
    const int32_t zp = qt->quant.zero_point[0];
    for (size_t k = 0; k < per; k++) {
      const int32_t q =
          qt->type == Q8_TYPE_INT8 ? ((const int8_t *)data)[k] : ((const uint8_t *)data)[k];
      const double real = ((double)q - zp) * scale;
      count(&s->end_to_end, fabs(real - ft->data[(size_t)image * per + k]) / scale);
      if (s->train == g->logits && k < CLASSES) deq[k] = (float)real;
      s->deq[(size_t)image * per + k] = (float)real;
    }
    have_logits |= s->train == g->logits;
  }
  T_CHECK(have_logits, "the logits are not a shared tensor");
  const float *z = logits->data + (size_t)image * CLASSES;
  a->same_top1 += argmax(deq, CLASSES) == argmax(z, CLASSES);
  a->int_correct += argmax(deq, CLASSES) == g->tensors[g->labels].i32[image];
  a->images++;
}

/* The shared tensor of training tensor t, or NULL. */
static shared *shared_of(agreement *a, int32_t t) {
  for (int32_t i = 0; i < a->n; i++)
    if (a->tensors[i].train == t) return &a->tensors[i];
  return NULL;
}

/* Layer by layer: each exported operator's training nodes (those after its inputs' producers,
   up to its output's: the rewrite keeps an operator's nodes together) rerun in inference on
   the integer model's own dequantized inputs, so what is left is that operator's error. */
static void local_check(q8t_graph *g, agreement *a, int32_t n) {
  q8t_export_plan plan;
  q8_error err;
  T_CHECK(q8t_export_plan_init(g, &plan, &err) == Q8_OK, "%s", err.message);
  for (int32_t i = 0; i < plan.n_ops; i++) {
    const q8t_export_op *op = &plan.ops[i];
    shared *out = op->output >= 0 ? shared_of(a, op->output) : NULL;
    if (out == NULL) continue;
    int32_t first = 0;
    for (int k = 0; k < 2; k++) {
      const int32_t t = op->inputs[k];
      shared *in = t >= 0 ? shared_of(a, t) : NULL;
      if (t >= 0 && g->tensors[t].producer + 1 > first) first = g->tensors[t].producer + 1;
      if (in != NULL)
        memcpy(g->tensors[t].data, in->deq, q8t_tensor_count(&g->tensors[t]) * sizeof(float));
    }
    const int32_t last = g->tensors[op->output].producer;
    for (int32_t k = first; k <= last; k++) g->ops[g->nodes[k].op]->forward(g, &g->nodes[k]);
    const q8t_tensor *y = &g->tensors[op->output];
    const size_t per = q8t_tensor_per_image(y);
    for (size_t e = 0; e < per * (size_t)n; e++) {
      count(&out->local, fabs((double)out->deq[e] - y->data[e]) / out->scale);
    }
  }
  q8t_export_plan_free(&plan);
}

static void run_held_out(q8t_graph *g, const q8_graph *out, t_runner *r, const q8t_images *test,
                         agreement *a) {
  const size_t pixels = SIDE * SIDE;
  const q8_type type = out->tensors[out->inputs[0]].type;
  uint8_t codes[SIDE * SIDE];
  q8_error err;
  for (int64_t first = 0; first < test->count; first += BATCH) {
    const int32_t n = (int32_t)(test->count - first < BATCH ? test->count - first : BATCH);
    T_CHECK(q8t_load_batch(g, test, NULL, first, n, &err) == Q8_OK, "%s", err.message);
    T_CHECK(q8t_graph_forward(g, false) == Q8_OK, "forward: %s", g->error.message);
    for (int32_t i = 0; i < n; i++) {
      const uint8_t *p = test->pixels + (size_t)(first + i) * pixels;
      /* The input is fixed at scale 1/255: code p (uint8) or p - 128 (int8). */
      for (size_t k = 0; k < pixels; k++)
        codes[k] = type == Q8_TYPE_INT8 ? (uint8_t)(p[k] - 128) : p[k];
      T_CHECK(q8_interp_set_input(r->interp, 0, codes, pixels) == Q8_OK, "set input");
      T_CHECK(q8_interp_invoke(r->interp) == Q8_OK, "invoke: %s", q8_interp_last_error(r->interp));
      compare_image(g, out, r, i, a);
    }
    local_check(g, a, n);
  }
}

static void free_agreement(agreement *a) {
  for (int32_t i = 0; i < a->n; i++) free(a->tensors[i].deq);
}

/* Issue item 12's numbers. With the fake quantization of layer outputs emulating the exported
   requantization (the default, train/qat-requant.h), the integer model holds the fake-quantized
   model's codes: every shared tensor, end to end, exactly on at least 99.9% of its elements
   (100.000% over seeds 1-6 when written) and within one step on at least 99%, the issue's
   bound. With float rounding (TensorFlow's fake quantization, float_rounding) each operator
   alone still agrees within one step on 99% or more, but end to end the integer
   requantization's double rounding (0.1-0.4% of each layer's outputs one step up) adds up
   through the layers and the ADD's 2.5x input-to-output scale ratio: 90-95% at the ADD and
   93-98% at the logits; that run's end-to-end bound only guards against gross errors. */
static void check_agreement(const q8t_graph *g, const char *scheme, bool float_rounding,
                            const agreement *a) {
  const double top1 = fraction((size_t)a->same_top1, (size_t)a->images);
  printf(
      "%s, %s: integer top-1 = fake-quantized top-1 on %d of %d images (%.2f%%); integer "
      "accuracy %.2f%%\n",
      scheme, float_rounding ? "float rounding" : "integer requantization", (int)a->same_top1,
      (int)a->images, 100.0 * top1, 100.0 * fraction((size_t)a->int_correct, (size_t)a->images));
  T_CHECK(top1 >= 0.995, "%s: same top-1 on %.2f%% of images (>= 99.5%% wanted)", scheme,
          100.0 * top1);
  T_CHECK(a->n == 8, "%s: %d shared tensors, expected 8", scheme, (int)a->n);
  printf("  %-20s %9s | layer by layer: exact, <= 1 step, worst | end to end: the same\n", "tensor",
         "elements");
  for (int32_t i = 0; i < a->n; i++) {
    const shared *s = &a->tensors[i];
    const char *tensor = g->tensors[s->train].name;
    const distance *l = &s->local, *e = &s->end_to_end;
    const double local = fraction(l->within1, l->elements);
    const double end = fraction(e->within1, e->elements);
    const double end_exact = fraction(e->exact, e->elements);
    printf("  %-20s %9zu | %7.3f%% %7.3f%% %5.2f | %7.3f%% %7.3f%% %5.2f\n", tensor, e->elements,
           100.0 * fraction(l->exact, l->elements), 100.0 * local, l->worst, 100.0 * end_exact,
           100.0 * end, e->worst);
    T_CHECK(l->elements == e->elements && local >= 0.99,
            "%s: '%s' alone within one step on %.3f%% of elements", scheme, tensor, 100.0 * local);
    if (float_rounding) {
      T_CHECK(end >= 0.85, "%s: '%s' end to end within one step on %.3f%% of elements", scheme,
              tensor, 100.0 * end);
    } else {
      T_CHECK(end >= 0.99 && end_exact >= 0.999,
              "%s: '%s' end to end exact on %.3f%%, within one step on %.3f%% of elements "
              "(>= 99.9%% and 99%% wanted)",
              scheme, tensor, 100.0 * end_exact, 100.0 * end);
    }
  }
}

static void scheme_run(q8t_scheme scheme, bool float_rounding, const q8t_images *train,
                       const q8t_images *test, uint64_t seed) {
  const char *name = q8t_scheme_name(scheme);
  q8t_graph *g = network(seed);
  if (g == NULL) return;
  const double float_accuracy = train_and_evaluate(g, train, test, 3, 0.05f, "float");
  q8t_qat_options o = q8t_qat_defaults();
  o.scheme = scheme;
  o.float_rounding = float_rounding;
  o.bn_freeze_step = TRAIN / BATCH; /* after the first QAT epoch */
  q8_error err;
  T_CHECK(q8t_qat_prepare(g, &o, &err) == Q8_OK, "%s prepare: %s", name, err.message);
  T_CHECK(q8t_qat_calibrate(g, train, CALIBRATION, &err) == Q8_OK, "%s calibrate: %s", name,
          err.message);
  const double qat_accuracy = train_and_evaluate(g, train, test, 3, 0.01f, "QAT");
  printf("%s: float %.2f%%, fake-quantized (QAT) %.2f%% on %d held-out images\n", name,
         100.0 * float_accuracy, 100.0 * qat_accuracy, HELD_OUT);
  T_CHECK(qat_accuracy >= 0.9 && qat_accuracy >= float_accuracy - 0.03,
          "%s: QAT accuracy %.3f (float %.3f)", name, qat_accuracy, float_accuracy);
  q8t_ranges ranges;
  q8t_ranges_init(g, &ranges, &err);
  T_CHECK(q8t_qat_ranges(g, &ranges, &err) == Q8_OK, "%s ranges: %s", name, err.message);
  const q8t_export_options eo = q8t_qat_export_options(g);
  T_CHECK(eo.scheme == scheme, "export options: scheme %s", q8t_scheme_name(eo.scheme));
  q8_graph *out = NULL;
  T_CHECK(q8t_export(g, &ranges, &eo, &out, NULL, &err) == Q8_OK, "%s export: %s", name,
          err.message);
  t_runner r;
  if (out != NULL && t_runner_init(&r, out)) {
    agreement a;
    match_tensors(g, out, &r, &a);
    run_held_out(g, out, &r, test, &a);
    check_agreement(g, name, float_rounding, &a);
    free_agreement(&a);
    t_runner_free(&r);
  }
  q8_graph_free(out);
  q8t_ranges_free(&ranges);
  q8t_graph_free(g);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds the whole run would take here, from one training step (a QAT step costs about two
   float ones; the comparison about as much as training): under an emulator it is too long. */
static double projected_seconds(const q8t_images *train) {
  q8t_graph *g = network(1);
  if (g == NULL) return 0.0;
  q8_error err;
  q8t_load_batch(g, train, NULL, 0, BATCH, &err);
  const double start = now();
  q8t_graph_forward(g, true);
  q8t_graph_backward(g);
  const double step = now() - start;
  q8t_graph_free(g);
  const double steps_per_scheme = 3.0 * TRAIN / BATCH * (1 + 2) + (HELD_OUT + CALIBRATION) / BATCH;
  return 3 * 2 * steps_per_scheme * step;
}

int main(void) {
  const uint64_t seed = t_seed(0x5a7);
  t_rng rng = {seed};
  uint8_t *pixels = malloc((size_t)(TRAIN + HELD_OUT) * SIDE * SIDE);
  uint8_t *labels = malloc(TRAIN + HELD_OUT);
  synthetic(&rng, TRAIN + HELD_OUT, pixels, labels);
  const q8t_images train = {pixels, labels, TRAIN, SIDE, SIDE, 1};
  const q8t_images test = {
      pixels + (size_t)TRAIN * SIDE * SIDE, labels + TRAIN, HELD_OUT, SIDE, SIDE, 1};
  const double projected = projected_seconds(&train);
  if (projected > 300.0) {
    char why[96];
    snprintf(why, sizeof why, "the run would take about %.0f s here (an emulator?)", projected);
    free(pixels);
    free(labels);
    return t_skip("train/test-qat-export", why);
  }
  scheme_run(Q8T_SCHEME_INT8, false, &train, &test, seed);
  scheme_run(Q8T_SCHEME_UINT8, false, &train, &test, seed);
  scheme_run(Q8T_SCHEME_INT8, true, &train, &test, seed);
  free(pixels);
  free(labels);
  return t_finish();
}
