/* One training convolution layer's forward and backward times, Winograd against the direct
   product (q8t_graph_options.direct_conv), on the reference models' 3x3 stride-1 shapes (or
   --shape H,W,C,O): batch 64, one thread, the two graphs timed alternately --reps times, each
   time the median of the pass over --runs runs; prints per shape and pass the medians and the
   direct / Winograd ratio. No pinning: run it under taskset. Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/build.h"
#include "train/graph.h"

enum { BATCH = 64 };

typedef struct shape {
  int32_t h, w, c, o;
} shape;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static q8t_graph *layer(const shape *s, bool direct) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = BATCH, .threads = 1, .direct_conv = direct};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) {
    fprintf(stderr, "graph: %s\n", err.message);
    exit(1);
  }
  const int32_t x = q8t_input(g, "x", s->h, s->w, s->c);
  g->tensors[x].grad_wanted = true;
  const q8t_window win = {.kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1,
                          .padding = Q8_PADDING_SAME};
  const int32_t y = q8t_conv(g, "conv", x, s->o, win, false, Q8_ACT_NONE);
  if (y < 0 || q8t_graph_allocate(g) != Q8_OK || q8t_graph_init_parameters(g, 1) != Q8_OK) {
    fprintf(stderr, "layer: %s\n", g->error.message);
    exit(1);
  }
  q8t_tensor *xt = &g->tensors[x], *yt = &g->tensors[y];
  for (size_t i = 0; i < q8t_tensor_count(xt); i++) xt->data[i] = (float)(i % 7) * 0.1f - 0.3f;
  for (size_t i = 0; i < q8t_tensor_count(yt); i++) yt->grad[i] = (float)(i % 5) * 0.1f - 0.2f;
  return g;
}

/* Median seconds of the forward and of the backward over runs runs. */
static void time_layer(q8t_graph *g, int runs, double *forward, double *backward) {
  double *f = malloc((size_t)runs * sizeof *f), *b = malloc((size_t)runs * sizeof *b);
  for (int r = 0; r < runs; r++) {
    double t0 = now();
    q8t_graph_forward(g, true);
    f[r] = now() - t0;
    t0 = now();
    q8t_graph_backward(g);
    b[r] = now() - t0;
  }
  *forward = median(f, runs);
  *backward = median(b, runs);
  free(f);
  free(b);
}

int main(int argc, char **argv) {
  shape shapes[8] = {{28, 28, 16, 16}, {14, 14, 32, 32}, {7, 7, 64, 64}};
  int n_shapes = 3, reps = 9, runs = 5;
  bool given = false; /* the first --shape replaces the default shapes */
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--reps") == 0) {
      reps = atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--runs") == 0) {
      runs = atoi(argv[i + 1]);
    } else if (strcmp(argv[i], "--shape") == 0 && (!given || n_shapes < 8)) {
      if (!given) n_shapes = 0;
      given = true;
      shape *s = &shapes[n_shapes++];
      if (sscanf(argv[i + 1], "%d,%d,%d,%d", &s->h, &s->w, &s->c, &s->o) != 4) {
        fprintf(stderr, "--shape H,W,C,O\n");
        return 2;
      }
    } else {
      fprintf(stderr, "usage: train-conv [--shape H,W,C,O]... [--reps 9] [--runs 5]\n");
      return 2;
    }
  }
  if (reps < 1 || runs < 1) return 2;
  printf("batch %d, 1 thread, 3x3 stride 1 SAME, ms (median of %d alternating reps of the "
         "median of %d runs)\n", BATCH, reps, runs);
  for (int s = 0; s < n_shapes; s++) {
    q8t_graph *g[2] = {layer(&shapes[s], true), layer(&shapes[s], false)};
    double *t = malloc((size_t)4 * reps * sizeof *t);
    for (int r = 0; r < reps; r++) {
      for (int k = 0; k < 2; k++) time_layer(g[k], runs, &t[(2 * k) * reps + r], &t[(2 * k + 1) * reps + r]);
    }
    const double df = median(t, reps), db = median(t + reps, reps);
    const double wf = median(t + 2 * reps, reps), wb = median(t + 3 * reps, reps);
    printf("%2dx%-2d %3d->%-3d forward: direct %6.3f  Winograd %6.3f  (%.2fx)   backward: direct "
           "%6.3f  Winograd %6.3f  (%.2fx)\n", shapes[s].h, shapes[s].w, shapes[s].c, shapes[s].o,
           1e3 * df, 1e3 * wf, df / wf, 1e3 * db, 1e3 * wb, db / wb);
    free(t);
    q8t_graph_free(g[0]);
    q8t_graph_free(g[1]);
  }
  return 0;
}
