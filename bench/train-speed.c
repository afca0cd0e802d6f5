/* Training speed of the float engine: images per second of full training steps (forward,
   backward, SGD) on random images, per model, thread count and matrix-product backend, with
   the 2-thread / 1-thread ratio measured in the same run. --qat times the quantization-aware
   phase instead (q8t_qat_prepare: folded batch norms and fake quantization from the first
   step), before the batch-norm freeze (the folded layers run twice for the batch statistics;
   once with --bn-stats folded, PyTorch's statistics from the folded layer) or, with
   --qat-frozen, after it. --profile adds each node's forward and backward time (nodes the pass
   skips are listed at 0). --pin runs n threads on CPUs 0 .. n-1 only (Linux; bench/train-speed.sh
   uses it). On a shared machine the wall time counts other processes' turns on the CPUs too:
   the CPU time per step (all threads) is printed beside it, and with one thread it is the
   steadier measure of the engine's own work. Not a test. */
#if defined(__linux__)
#define _GNU_SOURCE /* sched_setaffinity */
#include <sched.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train/graph.h"
#include "train/models.h"
#include "train/ops.h"
#include "train/optimizer.h"
#include "train/qat.h"
#include "train/rng.h"
#include "train/trainer.h"

typedef struct config {
  const char *models[8];
  int n_models;
  int threads[4];
  int n_threads;
  int batch;
  double seconds;
  q8t_gemm_backend gemm;
  q8t_isa isa;
  bool profile;
  bool pin;
  bool qat, qat_frozen, float_rounding, direct_conv;
  q8t_bn_statistics bn_statistics;
} config;

static double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now(void) { return clock_seconds(CLOCK_MONOTONIC); }
static double cpu_now(void) { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

static void usage(void) {
  fprintf(stderr,
          "usage: train-speed [--model NAME]... [--threads N]... [--batch 64] [--seconds 10]\n"
          "                   [--gemm auto|portable] [--isa auto|scalar|avx2] [--profile] [--pin]\n"
          "                   [--qat | --qat-frozen] [--float-rounding] [--bn-stats "
          "unfolded|folded]\n"
          "                   [--direct-conv] (3x3 stride-1 convolutions without Winograd)\n"
          "models: fm-cnn fm-mobilenet fm-resnet (default: fm-cnn fm-mobilenet); threads "
          "default 1 and 2\n");
  exit(2);
}

static config parse(int argc, char **argv) {
  config c = {.batch = 64, .seconds = 10, .gemm = Q8T_GEMM_AUTO};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--profile") == 0) {
      c.profile = true;
      continue;
    }
    if (strcmp(a, "--pin") == 0) {
      c.pin = true;
      continue;
    }
    if (strcmp(a, "--float-rounding") == 0) {
      c.float_rounding = true;
      continue;
    }
    if (strcmp(a, "--direct-conv") == 0) {
      c.direct_conv = true;
      continue;
    }
    if (strcmp(a, "--qat") == 0 || strcmp(a, "--qat-frozen") == 0) {
      c.qat = true;
      c.qat_frozen = strcmp(a, "--qat-frozen") == 0;
      continue;
    }
    if (v == NULL) usage();
    i++;
    if (strcmp(a, "--model") == 0 && c.n_models < 8) {
      c.models[c.n_models++] = v;
    } else if (strcmp(a, "--threads") == 0 && c.n_threads < 4) {
      c.threads[c.n_threads++] = atoi(v);
    } else if (strcmp(a, "--batch") == 0) {
      c.batch = atoi(v);
    } else if (strcmp(a, "--seconds") == 0) {
      c.seconds = atof(v);
    } else if (strcmp(a, "--isa") == 0) {
      c.isa = strcmp(v, "scalar") == 0 ? Q8T_ISA_SCALAR
              : strcmp(v, "avx2") == 0 ? Q8T_ISA_AVX2
                                       : Q8T_ISA_AUTO;
    } else if (strcmp(a, "--bn-stats") == 0) {
      if (strcmp(v, "folded") != 0 && strcmp(v, "unfolded") != 0) usage();
      c.bn_statistics = v[0] == 'f' ? Q8T_BN_STATISTICS_FOLDED : Q8T_BN_STATISTICS_UNFOLDED;
    } else if (strcmp(a, "--gemm") == 0) {
      c.gemm = strcmp(v, "portable") == 0 ? Q8T_GEMM_PORTABLE : Q8T_GEMM_AUTO;
    } else {
      usage();
    }
  }
  if (c.n_models == 0) {
    c.models[c.n_models++] = "fm-cnn";
    c.models[c.n_models++] = "fm-mobilenet";
  }
  if (c.n_threads == 0) {
    c.threads[c.n_threads++] = 1;
    c.threads[c.n_threads++] = 2;
  }
  return c;
}

typedef struct node_time {
  double forward, backward;
} node_time;

/* One training step, node by node with timers when times is not NULL. */
static void step(q8t_graph *g, const q8t_sgd *sgd, node_time *times) {
  if (times == NULL) {
    q8t_graph_forward(g, true);
    q8t_graph_backward(g);
  } else {
    g->training = true;
    q8t_graph_mark_running(g, true);
    for (int32_t n = 0; n < g->n_nodes; n++) {
      if (!g->running[n]) continue;
      const double t0 = now();
      g->ops[g->nodes[n].op]->forward(g, &g->nodes[n]);
      times[n].forward += now() - t0;
    }
    g->forward_ran = true;
    g->tensors[g->loss].grad[0] = 1.0f;
    for (int32_t n = g->n_nodes - 1; n >= 0; n--) {
      if (g->tensors[g->nodes[n].output].grad == NULL || !g->running[n]) continue;
      const double t0 = now();
      g->ops[g->nodes[n].op]->backward(g, &g->nodes[n]);
      times[n].backward += now() - t0;
    }
  }
  q8t_sgd_step(g, sgd, 0.01f);
}

/* The process (and the workers a graph starts afterwards) on CPUs 0 .. threads - 1. */
static void pin(int threads) {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int i = 0; i < threads; i++) CPU_SET(i, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) perror("sched_setaffinity");
#else
  (void)threads;
  fprintf(stderr, "--pin: not on this system\n");
#endif
}

enum { WARMUP_STEPS = 3 };

/* The phase a line times: float, qat (qat-bnfold: statistics from the folded layer),
   qat-frozen. */
static const char *phase_name(const config *c) {
  if (!c->qat) return "float";
  if (c->qat_frozen) return "qat-frozen";
  return c->bn_statistics == Q8T_BN_STATISTICS_FOLDED ? "qat-bnfold" : "qat";
}

static int run(const config *c, const char *model, int threads, double *images_per_second) {
  if (c->pin) pin(threads);
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {
      .batch = c->batch, .threads = threads, .gemm = c->gemm, .isa = c->isa,
      .direct_conv = c->direct_conv};
  int32_t logits;
  if (q8t_graph_init(&o, &g, &err) != Q8_OK || q8t_model_build(g, model, &logits, &err) != Q8_OK) {
    fprintf(stderr, "%s: %s\n", model, err.message);
    q8t_graph_free(g);
    return 1;
  }
  if (q8t_graph_allocate(g) != Q8_OK || q8t_graph_init_parameters(g, 1) != Q8_OK) {
    fprintf(stderr, "%s: %s\n", model, g->error.message);
    q8t_graph_free(g);
    return 1;
  }
  if (c->qat) {
    q8t_qat_options qo = q8t_qat_defaults();
    qo.quant_delay = 0;
    /* Frozen after the warm-up steps, whose first sets the activation ranges (frozen from step
       0, no range would ever be set and activations would not be fake-quantized). */
    if (c->qat_frozen) qo.bn_freeze_step = qo.range_freeze_step = WARMUP_STEPS;
    qo.float_rounding = c->float_rounding;
    qo.bn_statistics = c->bn_statistics;
    if (q8t_qat_prepare(g, &qo, &err) != Q8_OK) {
      fprintf(stderr, "%s: %s\n", model, err.message);
      q8t_graph_free(g);
      return 1;
    }
  }
  /* Random images and labels: the speed does not depend on the values. */
  const int64_t count = 4 * (int64_t)c->batch;
  uint8_t *pixels = malloc((size_t)count * 28 * 28), *labels = malloc((size_t)count);
  q8t_rng rng;
  q8t_rng_seed(&rng, 1, 0);
  for (int64_t i = 0; i < count * 28 * 28; i++) pixels[i] = (uint8_t)q8t_rng_next(&rng);
  for (int64_t i = 0; i < count; i++) labels[i] = (uint8_t)q8t_rng_below(&rng, 10);
  const q8t_images images = {pixels, labels, count, 28, 28, 1};
  const q8t_sgd sgd = {0.9f, 5e-4f};
  node_time *times = c->profile ? calloc((size_t)g->n_nodes, sizeof *times) : NULL;
  for (int i = 0; i < WARMUP_STEPS; i++) {
    q8t_load_batch(g, &images, NULL, (i % 4) * c->batch, c->batch, &err);
    step(g, &sgd, NULL);
  }
  int64_t steps = 0;
  const double start = now(), cpu_start = cpu_now();
  double elapsed = 0;
  while (elapsed < c->seconds) {
    q8t_load_batch(g, &images, NULL, (steps % 4) * c->batch, c->batch, &err);
    step(g, &sgd, times);
    steps++;
    elapsed = now() - start;
  }
  const double cpu = cpu_now() - cpu_start;
  *images_per_second = (double)steps * c->batch / elapsed;
  printf(
      "%-13s %-10s threads %d  %-8s %-6s batch %d: %7.1f images/s  %7.2f ms/step  cpu %7.2f "
      "ms/step  (%lld steps, %.1f MiB)\n",
      model, phase_name(c), threads, q8t_gemm_backend_name(c->gemm), q8t_isa_name(g->isa), c->batch,
      *images_per_second, 1e3 * elapsed / (double)steps, 1e3 * cpu / (double)steps,
      (long long)steps, (double)q8t_graph_memory_bytes(g) / (1 << 20));
  if (times != NULL) {
    for (int32_t n = 0; n < g->n_nodes; n++) {
      printf("    %-22s %-16s forward %7.3f ms  backward %7.3f ms\n", g->nodes[n].name,
             q8t_op_name(g->nodes[n].op), 1e3 * times[n].forward / (double)steps,
             1e3 * times[n].backward / (double)steps);
    }
  }
  free(times);
  free(pixels);
  free(labels);
  q8t_graph_free(g);
  return 0;
}

int main(int argc, char **argv) {
  const config c = parse(argc, argv);
  for (int m = 0; m < c.n_models; m++) {
    double first = 0;
    for (int t = 0; t < c.n_threads; t++) {
      double ips;
      if (run(&c, c.models[m], c.threads[t], &ips) != 0) return 1;
      if (t == 0) {
        first = ips;
      } else {
        printf("%-13s %d threads / %d: %.2fx\n", c.models[m], c.threads[t], c.threads[0],
               ips / first);
      }
    }
  }
  return 0;
}
