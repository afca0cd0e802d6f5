/* Training speed per phase on Fashion-MNIST, the work of `q8 train`'s steps (q8t_train: the
   shuffle, each batch gathered from the images, forward, backward, SGD with the cosine
   schedule), for comparison with PyTorch (bench/train-vs-pytorch.sh runs both, interleaved):
   --epochs float epochs over the first --limit training images, then the QAT rewrite
   (q8t_qat_prepare, ranges calibrated on the first 1,000 images as q8 train does, untimed) and
   2 x --epochs QAT epochs, batch norm and ranges frozen after the first half. Each phase is
   timed from its (--warmup + 1)-th step to its end, wall and CPU (all threads) seconds:
     phase float steps 95 images 6080 wall 9.81 cpu 9.80
     phase qat steps 95 ...          (QAT before the freeze)
     phase qat-frozen steps 95 ...   (after it)
   No pinning: the caller's taskset decides the CPUs. Not a test. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "data/idx.h"
#include "train/graph.h"
#include "train/models.h"
#include "train/qat.h"
#include "train/trainer.h"

enum { BATCH = 64, CALIBRATION_IMAGES = 1000 };

typedef struct config {
  const char *model, *data;
  int epochs, threads, warmup;
  int64_t limit;
  uint64_t seed;
  q8t_bn_statistics bn_statistics;
} config;

/* Wall and CPU clocks at each step boundary of a phase: stamps[i] is the start of step i. */
typedef struct stamp {
  double wall, cpu;
} stamp;

typedef struct phase_clock {
  stamp *stamps;
  int64_t count;
} phase_clock;

static double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static stamp stamp_now(void) {
  return (stamp){clock_seconds(CLOCK_MONOTONIC), clock_seconds(CLOCK_PROCESS_CPUTIME_ID)};
}

static void usage(void) {
  fprintf(stderr,
          "usage: train-phases [--model fm-cnn] [--limit 6400] [--epochs 1] [--threads 1]\n"
          "                    [--warmup 5] [--seed 1] [--data DIR] [--bn-stats unfolded|folded]\n"
          "  --limit N: the first N training images (0: all)\n"
          "  times --epochs float epochs, --epochs QAT epochs before the batch-norm freeze and\n"
          "  --epochs after it, each from step --warmup + 1 of the phase; --bn-stats: QAT's batch\n"
          "  statistics before the freeze from the unfolded layer (q8 train's default) or from\n"
          "  the folded one (PyTorch's ConvBn2d)\n");
  exit(2);
}

/* The value of option opt as a whole number in [lo, hi]; exits naming the problem otherwise. */
static long long number(const char *opt, const char *text, long long lo, long long hi) {
  char *end;
  const long long v = strtoll(text, &end, 10);
  if (end == text || *end != 0 || v < lo || v > hi) {
    fprintf(stderr, "train-phases: %s takes a whole number from %lld to %lld, not '%s'\n", opt,
            lo, hi, text);
    exit(2);
  }
  return v;
}

static config parse(int argc, char **argv) {
  config c = {.model = "fm-cnn", .epochs = 1, .threads = 1, .warmup = 5, .limit = 6400,
              .seed = 1};
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *opt = argv[i], *v = argv[i + 1];
    if (strcmp(opt, "--model") == 0) c.model = v;
    else if (strcmp(opt, "--data") == 0) c.data = v;
    else if (strcmp(opt, "--epochs") == 0) c.epochs = (int)number(opt, v, 1, 1000);
    else if (strcmp(opt, "--threads") == 0) c.threads = (int)number(opt, v, 1, 256);
    else if (strcmp(opt, "--warmup") == 0) c.warmup = (int)number(opt, v, 0, 1000000);
    else if (strcmp(opt, "--seed") == 0) c.seed = (uint64_t)number(opt, v, 0, LLONG_MAX);
    else if (strcmp(opt, "--limit") == 0) c.limit = number(opt, v, 0, LLONG_MAX);
    else if (strcmp(opt, "--bn-stats") == 0 && strcmp(v, "unfolded") == 0)
      c.bn_statistics = Q8T_BN_STATISTICS_UNFOLDED;
    else if (strcmp(opt, "--bn-stats") == 0 && strcmp(v, "folded") == 0)
      c.bn_statistics = Q8T_BN_STATISTICS_FOLDED;
    else usage();
  }
  if (argc % 2 == 0) usage(); /* an option without its value */
  return c;
}

static int fail(const char *what, const q8_error *err) {
  fprintf(stderr, "train-phases: %s: %s\n", what, err->message);
  return 1;
}

static bool record_step(void *user, const q8t_step_report *report) {
  phase_clock *clock = user;
  clock->stamps[report->step + 1] = stamp_now();
  clock->count = report->step + 2;
  return true;
}

/* Trains epochs of the recipe at lr, stamping every step boundary into clock. */
static q8_status timed_training(q8t_graph *g, const q8t_images *data, int epochs, float lr,
                                uint64_t seed, phase_clock *clock, q8_error *err) {
  q8t_train_options o = q8t_train_recipe();
  o.epochs = epochs;
  o.learning_rate = lr;
  o.seed = seed;
  o.on_step = record_step;
  o.user = clock;
  clock->stamps[0] = stamp_now();
  clock->count = 1;
  q8t_train_result result;
  return q8t_train(g, data, &o, &result, err);
}

/* Prints steps [first + warmup, end) of the clock; every batch is full when limit is a multiple
   of the batch (the last one of an epoch otherwise has fewer images, counted as they are). */
static void report(const char *name, const phase_clock *clock, int64_t first, int64_t end,
                   int warmup, int64_t steps_per_epoch, int64_t images) {
  const int64_t from = first + warmup < end ? first + warmup : end;
  int64_t counted = 0;
  for (int64_t s = from; s < end; s++) {
    const int64_t offset = (s % steps_per_epoch) * BATCH;
    counted += images - offset < BATCH ? images - offset : BATCH;
  }
  printf("phase %s steps %lld images %lld wall %.4f cpu %.4f\n", name, (long long)(end - from),
         (long long)counted, clock->stamps[end].wall - clock->stamps[from].wall,
         clock->stamps[end].cpu - clock->stamps[from].cpu);
}

int main(int argc, char **argv) {
  const config c = parse(argc, argv);
  q8_dataset train_set = {0};
  q8_error err;
  if (q8_dataset_load(c.data, "train", c.limit, &train_set, &err) != Q8_OK)
    return fail("data", &err);
  const q8t_images train = {train_set.images, train_set.labels, (int64_t)train_set.count,
                            Q8_DATASET_ROWS, Q8_DATASET_COLS, 1};
  const int64_t steps_per_epoch = (train.count + BATCH - 1) / BATCH;
  const int64_t float_steps = steps_per_epoch * c.epochs, qat_steps = 2 * float_steps;
  phase_clock clock = {malloc((size_t)(qat_steps + 1) * sizeof(stamp)), 0};
  q8t_graph *g;
  int32_t logits;
  const q8t_graph_options go = {.batch = BATCH, .threads = c.threads};
  if (clock.stamps == NULL || train.count == 0) {
    fprintf(stderr, "train-phases: %s\n", clock.stamps ? "no training images" : "out of memory");
    return 1;
  }
  if (q8t_graph_init(&go, &g, &err) != Q8_OK) return fail("graph", &err);
  if (q8t_model_build(g, c.model, &logits, &err) != Q8_OK) return fail(c.model, &err);
  if (q8t_graph_allocate(g) != Q8_OK || q8t_graph_init_parameters(g, c.seed) != Q8_OK)
    return fail(c.model, &g->error);
  printf("%s: %lld training images, %d thread(s), %s layers, %s products, batch %d, QAT batch "
         "statistics %s\n", c.model, (long long)train.count, c.threads, q8t_isa_name(g->isa),
         q8t_gemm_backend_name(g->options.gemm), BATCH, q8t_bn_statistics_name(c.bn_statistics));

  /* The recipe's learning rates (q8 train: 0.05 float, 0.005 QAT); they do not change the
     work of a step. */
  if (timed_training(g, &train, c.epochs, 0.05f, c.seed, &clock, &err) != Q8_OK)
    return fail("float phase", &err);
  report("float", &clock, 0, float_steps, c.warmup, steps_per_epoch, train.count);

  q8t_qat_options qo = q8t_qat_defaults();
  qo.bn_freeze_step = qo.range_freeze_step = float_steps;
  qo.bn_statistics = c.bn_statistics;
  const int64_t calibration = train.count < CALIBRATION_IMAGES ? train.count : CALIBRATION_IMAGES;
  if (q8t_qat_prepare(g, &qo, &err) != Q8_OK ||
      q8t_qat_calibrate(g, &train, calibration, &err) != Q8_OK)
    return fail("QAT rewrite", &err);
  if (timed_training(g, &train, 2 * c.epochs, 0.005f, c.seed + 1, &clock, &err) != Q8_OK)
    return fail("QAT phase", &err);
  report("qat", &clock, 0, float_steps, c.warmup, steps_per_epoch, train.count);
  report("qat-frozen", &clock, float_steps, qat_steps, c.warmup, steps_per_epoch, train.count);

  q8t_graph_free(g);
  free(clock.stamps);
  q8_dataset_free(&train_set);
  return 0;
}
