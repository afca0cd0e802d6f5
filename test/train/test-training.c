/* Training runs on synthetic images with a small network (conv, batch norm, max pool, conv,
   batch norm, fully connected, loss): it must learn (loss falls, accuracy on fresh images);
   the same seed and thread count give bit-identical weights, momentum and batch-norm
   statistics after 6 steps, for both matrix-product backends, both compilations of the
   layers (where the CPU has AVX2) and 1 or 2 threads; a run
   stopped after step 4 and resumed from there ends with the same bits as one straight run;
   another seed gives other weights. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/build.h"
#include "train/graph.h"
#include "train/trainer.h"
#include "util/test-util.h"

enum { SIDE = 12, CLASSES = 10 };

/* Class k: a bright 3x3 square at one of ten places, on noise. */
static void synthetic(t_rng *rng, int64_t count, int32_t side, uint8_t *pixels, uint8_t *labels) {
  for (int64_t i = 0; i < count; i++) {
    const int32_t k = (int32_t)t_rng_range(rng, 0, CLASSES - 1);
    labels[i] = (uint8_t)k;
    uint8_t *img = pixels + i * side * side;
    for (int32_t p = 0; p < side * side; p++) img[p] = (uint8_t)t_rng_range(rng, 0, 90);
    const int32_t y0 = (k / 5) * (side / 2) + 1, x0 = (k % 5) * (side / 5) + 1;
    for (int32_t y = y0; y < y0 + 3 && y < side; y++) {
      for (int32_t x = x0; x < x0 + 3 && x < side; x++) img[y * side + x] = 255;
    }
  }
}

static q8t_graph *small_net(int32_t batch, int32_t threads, q8t_gemm_backend gemm, q8t_isa isa) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = batch, .threads = threads, .gemm = gemm, .isa = isa};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) return NULL;
  int32_t x = q8t_input(g, "input", SIDE, SIDE, 1);
  x = q8t_conv(g, "conv1", x, 8, (q8t_window){3, 3, 1, 1, Q8_PADDING_SAME}, false, Q8_ACT_NONE);
  x = q8t_batch_norm(g, "conv1/bn", x, Q8_ACT_RELU6);
  x = q8t_max_pool(g, "pool", x, (q8t_window){2, 2, 2, 2, Q8_PADDING_SAME});
  x = q8t_conv(g, "conv2", x, 16, (q8t_window){3, 3, 1, 1, Q8_PADDING_SAME}, false, Q8_ACT_NONE);
  x = q8t_batch_norm(g, "conv2/bn", x, Q8_ACT_RELU6);
  x = q8t_fully_connected(g, "fc", x, CLASSES, true, Q8_ACT_NONE);
  q8t_softmax_cross_entropy(g, "loss", x);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  return g;
}

static bool record_first_loss(void *user, const q8t_step_report *r) {
  double *first = user;
  if (r->step == 0) *first = r->loss;
  return true;
}

static void learns(uint64_t seed) {
  t_rng rng = {seed};
  enum { TRAIN = 960, TEST = 320 };
  uint8_t *pixels = malloc((size_t)(TRAIN + TEST) * SIDE * SIDE), labels[TRAIN + TEST];
  synthetic(&rng, TRAIN + TEST, SIDE, pixels, labels);
  const q8t_images train = {pixels, labels, TRAIN, SIDE, SIDE, 1};
  const q8t_images test = {
      pixels + (size_t)TRAIN * SIDE * SIDE, labels + TRAIN, TEST, SIDE, SIDE, 1};
  q8t_graph *g = small_net(32, 2, Q8T_GEMM_AUTO, Q8T_ISA_AUTO);
  q8t_graph_init_parameters(g, seed);
  q8t_train_options opt = q8t_train_recipe();
  opt.epochs = 3;
  opt.seed = seed;
  double first_loss = 0;
  opt.on_step = record_first_loss;
  opt.user = &first_loss;
  q8t_train_result result;
  q8_error err;
  T_CHECK(q8t_train(g, &train, &opt, &result, &err) == Q8_OK, "train: %s", err.message);
  q8t_eval_result eval;
  T_CHECK(q8t_evaluate(g, &test, &eval, &err) == Q8_OK, "evaluate: %s", err.message);
  printf(
      "synthetic: first batch loss %.3f, last epoch loss %.3f, accuracy %.3f; fresh images "
      "%.3f (loss %.3f)\n",
      first_loss, result.last_epoch_loss, result.last_epoch_accuracy, eval.accuracy, eval.loss);
  T_CHECK(result.steps == 3 * (TRAIN / 32) && !result.stopped, "%lld steps",
          (long long)result.steps);
  T_CHECK(first_loss > 1.5 && result.last_epoch_loss < 0.5 * first_loss,
          "loss from %.3f to %.3f: expected to fall by half at least", first_loss,
          result.last_epoch_loss);
  T_CHECK(eval.accuracy > 0.9, "accuracy on fresh images %.3f, expected > 0.9", eval.accuracy);
  q8t_graph_free(g);
  free(pixels);
}

/* Every value training changes: parameters, momentum, batch-norm moving statistics. */
static size_t snapshot(const q8t_graph *g, float *out) {
  size_t n = 0;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8t_tensor *t = &g->tensors[i];
    if (t->role != Q8T_ROLE_PARAMETER && t->role != Q8T_ROLE_STATE) continue;
    const size_t count = q8t_tensor_count(t);
    if (out) memcpy(out + n, t->data, count * sizeof *out);
    n += count;
    if (t->momentum != NULL) {
      if (out) memcpy(out + n, t->momentum, count * sizeof *out);
      n += count;
    }
  }
  return n;
}

typedef struct stop_at {
  int64_t step;
} stop_at;

static bool stop_after(void *user, const q8t_step_report *r) {
  return r->step + 1 < ((stop_at *)user)->step;
}

/* The small network, 2 epochs of 3 steps (the last one partial), optionally stopped after
   stop_step steps and resumed from there in a second call. */
static float *train_small(const q8t_images *data, int32_t threads, q8t_gemm_backend gemm,
                          q8t_isa isa, uint64_t seed, int64_t stop_step, size_t *n) {
  q8_error err;
  q8t_graph *g = small_net(16, threads, gemm, isa);
  q8t_graph_init_parameters(g, seed);
  q8t_train_options opt = q8t_train_recipe();
  opt.epochs = 2;
  opt.seed = seed;
  q8t_train_result result;
  if (stop_step > 0) {
    stop_at stop = {stop_step};
    opt.on_step = stop_after;
    opt.user = &stop;
    T_CHECK(q8t_train(g, data, &opt, &result, &err) == Q8_OK && result.stopped &&
                result.steps == stop_step,
            "stopped run: %s, %lld steps", err.message, (long long)result.steps);
    opt.on_step = NULL;
    opt.start_step = result.steps;
  }
  T_CHECK(q8t_train(g, data, &opt, &result, &err) == Q8_OK && result.steps == 6,
          "train: %s, %lld steps", err.message, (long long)result.steps);
  *n = snapshot(g, NULL);
  float *values = malloc(*n * sizeof *values);
  snapshot(g, values);
  q8t_graph_free(g);
  return values;
}

static void reproducible(uint64_t seed) {
  t_rng rng = {seed};
  enum { COUNT = 40 };
  uint8_t *pixels = malloc(COUNT * SIDE * SIDE), labels[COUNT];
  synthetic(&rng, COUNT, SIDE, pixels, labels);
  const q8t_images data = {pixels, labels, COUNT, SIDE, SIDE, 1};
  const q8t_gemm_backend backends[] = {Q8T_GEMM_AUTO, Q8T_GEMM_PORTABLE};
  const q8t_isa isas[] = {Q8T_ISA_SCALAR, Q8T_ISA_AVX2};
  for (int k = 0; k < 4; k++) {
    const q8t_gemm_backend gemm = backends[k % 2];
    const q8t_isa isa = isas[k / 2];
    q8t_graph *probe = small_net(1, 1, gemm, isa);
    if (probe == NULL) {
      printf("SKIP layers %s: not in this build or CPU\n", q8t_isa_name(isa));
      continue;
    }
    q8t_graph_free(probe);
    for (int32_t threads = 1; threads <= 2; threads++) {
      size_t n1, n2, n3, n4;
      float *first = train_small(&data, threads, gemm, isa, seed, 0, &n1);
      float *again = train_small(&data, threads, gemm, isa, seed, 0, &n2);
      float *resumed = train_small(&data, threads, gemm, isa, seed, 4, &n3);
      float *other = train_small(&data, threads, gemm, isa, seed + 1, 0, &n4);
      char name[64];
      snprintf(name, sizeof name, "%s, %s", q8t_gemm_backend_name(gemm), q8t_isa_name(isa));
      T_CHECK(n1 == n2 && memcmp(first, again, n1 * sizeof *first) == 0,
              "%s, %d threads: two runs with one seed differ", name, (int)threads);
      T_CHECK(n1 == n3 && memcmp(first, resumed, n1 * sizeof *first) == 0,
              "%s, %d threads: stopped after step 4 and resumed differs from a straight run", name,
              (int)threads);
      T_CHECK(n1 == n4 && memcmp(first, other, n1 * sizeof *first) != 0,
              "%s, %d threads: another seed gives the same weights", name, (int)threads);
      free(first);
      free(again);
      free(resumed);
      free(other);
    }
  }
  free(pixels);
}

int main(void) {
  const uint64_t seed = t_seed(11);
  learns(seed);
  reproducible(seed);
  return t_finish();
}
