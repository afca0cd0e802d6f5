/* SGD with momentum and weight decay against updates worked out by hand, decay on weights
   only (not biases, not batch norm), the cosine schedule's values, and the seeded
   initialisation (fan-in uniform spread, ones and zeros, the same seed giving the same bits). */
#include <math.h>
#include <string.h>

#include "train/build.h"
#include "train/graph.h"
#include "train/optimizer.h"
#include "util/test-util.h"

static const double PI = 3.14159265358979323846;

static q8t_graph *fc_graph(void) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = 1, .threads = 1};
  q8t_graph_init(&o, &g, &err);
  const int32_t x = q8t_input(g, "x", 1, 1, 2);
  const int32_t y = q8t_fully_connected(g, "fc", x, 1, true, Q8_ACT_NONE);
  q8t_batch_norm(g, "bn", y, Q8_ACT_NONE);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  return g;
}

static float *tensor(q8t_graph *g, const char *name, float **grad) {
  const q8t_tensor *t = &g->tensors[q8t_graph_find_tensor(g, name)];
  *grad = t->grad;
  return t->data;
}

static void check_near(const char *what, float got, double want) {
  T_CHECK(fabs(got - want) <= 1e-6 * fmax(1.0, fabs(want)), "%s = %.9g, expected %.9g", what, got,
          want);
}

/* Two steps with lr 0.1, momentum 0.9, weight decay 0.01, the same gradients each time:
   weights [1, -2], gradient [0.5, 0.25]:
     step 1: g = grad + 0.01 w = [0.51, 0.23]; v = g; w = [1 - 0.051, -2 - 0.023] = [0.949, -2.023]
     step 2: g = [0.5 + 0.00949, 0.25 - 0.02023] = [0.50949, 0.22977];
             v = 0.9 * [0.51, 0.23] + g = [0.96849, 0.43677];
             w = [0.949 - 0.096849, -2.023 - 0.043677] = [0.852151, -2.066677]
   bias 3 with gradient -1 (no decay): v = -1, w = 3.1; v = -1.9, w = 3.29.
   gamma 1 with gradient 2 (no decay): v = 2, w = 0.8; v = 3.8, w = 0.42. */
static void sgd_by_hand(void) {
  q8t_graph *g = fc_graph();
  float *gw, *gb, *gg;
  float *w = tensor(g, "fc/weights", &gw), *b = tensor(g, "fc/bias", &gb);
  float *gamma = tensor(g, "bn/gamma", &gg);
  w[0] = 1.0f;
  w[1] = -2.0f;
  b[0] = 3.0f;
  gamma[0] = 1.0f;
  const q8t_sgd sgd = {.momentum = 0.9f, .weight_decay = 0.01f};
  for (int step = 0; step < 2; step++) {
    gw[0] = 0.5f;
    gw[1] = 0.25f;
    gb[0] = -1.0f;
    gg[0] = 2.0f;
    q8t_sgd_step(g, &sgd, 0.1f);
  }
  check_near("w[0] after two steps", w[0], 0.852151);
  check_near("w[1] after two steps", w[1], -2.066677);
  check_near("bias after two steps", b[0], 3.29);
  check_near("gamma after two steps", gamma[0], 0.42);
  T_CHECK(g->tensors[q8t_graph_find_tensor(g, "fc/weights")].decay &&
              !g->tensors[q8t_graph_find_tensor(g, "fc/bias")].decay &&
              !g->tensors[q8t_graph_find_tensor(g, "bn/gamma")].decay &&
              !g->tensors[q8t_graph_find_tensor(g, "bn/beta")].decay,
          "weight decay applies to weights only");
  q8t_graph_free(g);
}

static void cosine_schedule(void) {
  check_near("lr at step 0", q8t_cosine_lr(0.05f, 0, 100), 0.05);
  check_near("lr at a quarter", q8t_cosine_lr(0.05f, 25, 100), 0.05 * (1 + cos(PI / 4)) / 2);
  check_near("lr half way", q8t_cosine_lr(0.05f, 50, 100), 0.025);
  check_near("lr at the last step", q8t_cosine_lr(0.05f, 99, 100), 0.05 * (1 + cos(PI * 0.99)) / 2);
  check_near("lr past the end", q8t_cosine_lr(0.05f, 100, 100), 0.0);
  float previous = 1.0f;
  bool falling = true;
  for (int s = 0; s < 100; s++) {
    falling = falling && q8t_cosine_lr(0.05f, s, 100) < previous;
    previous = q8t_cosine_lr(0.05f, s, 100);
  }
  T_CHECK(falling, "the learning rate falls at every step");
}

static void initialisation(void) {
  q8t_graph *a, *b;
  q8_error err;
  const q8t_graph_options o = {.batch = 1, .threads = 1};
  q8t_graph_init(&o, &a, &err);
  q8t_graph_init(&o, &b, &err);
  for (int i = 0; i < 2; i++) {
    q8t_graph *g = i == 0 ? a : b;
    const int32_t x = q8t_input(g, "x", 8, 8, 16);
    const q8t_window w = {3, 3, 1, 1, Q8_PADDING_SAME};
    q8t_batch_norm(g, "conv/bn", q8t_conv(g, "conv", x, 64, w, true, Q8_ACT_NONE), Q8_ACT_NONE);
    q8t_graph_allocate(g);
  }
  q8t_graph_init_parameters(a, 42);
  q8t_graph_init_parameters(b, 42);
  const q8t_tensor *wa = &a->tensors[q8t_graph_find_tensor(a, "conv/weights")];
  const q8t_tensor *wb = &b->tensors[q8t_graph_find_tensor(b, "conv/weights")];
  const size_t n = q8t_tensor_count(wa);
  T_CHECK(memcmp(wa->data, wb->data, n * sizeof(float)) == 0, "same seed, same weights");
  double sum = 0, sq = 0;
  float largest = 0.0f;
  for (size_t i = 0; i < n; i++) {
    sum += wa->data[i];
    sq += (double)wa->data[i] * wa->data[i];
    /* A branch, not fmax: aarch64 GCC 12's vectorizer fails on the fmax reduction (ICE). */
    if (wa->data[i] > largest) largest = wa->data[i];
    if (-wa->data[i] > largest) largest = -wa->data[i];
  }
  /* Uniform on +-1/sqrt(fan-in), fan-in 3*3*16 = 144: bound 1/12, standard deviation
     1/(12 sqrt 3) = 0.0481; 9216 draws. */
  const double mean = sum / n, std = sqrt(sq / n - mean * mean), bound = 1.0 / 12.0;
  T_CHECK(fabs(mean) < 0.002 && fabs(std - bound / sqrt(3.0)) < 0.0015 && largest <= (float)bound &&
              largest > 0.99 * bound,
          "fan-in uniform weights: mean %.5f, std %.5f, largest %.5f (expected 0, %.5f, just "
          "under %.5f)", mean, std, largest, bound / sqrt(3.0), bound);
  const char *const ones[] = {"conv/bn/gamma", "conv/bn/moving_variance"};
  const char *const zeros[] = {"conv/bias", "conv/bn/beta", "conv/bn/moving_mean"};
  for (int i = 0; i < 2; i++) {
    const q8t_tensor *t = &a->tensors[q8t_graph_find_tensor(a, ones[i])];
    T_CHECK(t->data[0] == 1.0f && t->data[63] == 1.0f, "%s starts at 1", ones[i]);
  }
  for (int i = 0; i < 3; i++) {
    const q8t_tensor *t = &a->tensors[q8t_graph_find_tensor(a, zeros[i])];
    T_CHECK(t->data[0] == 0.0f && t->data[63] == 0.0f, "%s starts at 0", zeros[i]);
  }
  q8t_graph_init_parameters(b, 43);
  T_CHECK(memcmp(wa->data, wb->data, n * sizeof(float)) != 0, "another seed, other weights");
  q8t_graph_free(a);
  q8t_graph_free(b);
}

int main(void) {
  sgd_by_hand();
  cosine_schedule();
  initialisation();
  return t_finish();
}
