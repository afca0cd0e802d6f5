/* Post-training quantization baseline on Fashion-MNIST: trains a reference model in float
   (the recipe of reference-models.md, --epochs of it), reports its float test accuracy, then
   calibrates on the first --calibration training images and writes the int8 and uint8
   exports, whose integer accuracy `q8 eval` measures (the command is printed). Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/idx.h"
#include "train/convert.h"
#include "train/graph.h"
#include "train/models.h"
#include "train/trainer.h"

typedef struct config {
  const char *model, *data, *out_dir;
  int epochs, threads, calibration, wbits, abits;
  uint64_t seed;
  int64_t limit;
} config;

static void usage(void) {
  fprintf(stderr,
          "usage: ptq-fashion [--model fm-cnn] [--epochs 1] [--calibration 1000] [--threads 2]\n"
          "                   [--seed 1] [--limit N] [--wbits 8] [--abits 8] [--data DIR]\n"
          "                   [--out-dir .]\n"
          "writes OUT_DIR/MODEL-ptq-int8.tflite and OUT_DIR/MODEL-ptq-uint8.tflite\n");
  exit(2);
}

static config parse(int argc, char **argv) {
  config c = {.model = "fm-cnn", .out_dir = ".", .epochs = 1, .threads = 2,
              .calibration = 1000, .wbits = 8, .abits = 8, .seed = 1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (strcmp(a, "--model") == 0) c.model = v;
    else if (strcmp(a, "--data") == 0) c.data = v;
    else if (strcmp(a, "--out-dir") == 0) c.out_dir = v;
    else if (strcmp(a, "--epochs") == 0) c.epochs = atoi(v);
    else if (strcmp(a, "--threads") == 0) c.threads = atoi(v);
    else if (strcmp(a, "--calibration") == 0) c.calibration = atoi(v);
    else if (strcmp(a, "--wbits") == 0) c.wbits = atoi(v);
    else if (strcmp(a, "--abits") == 0) c.abits = atoi(v);
    else if (strcmp(a, "--seed") == 0) c.seed = strtoull(v, NULL, 10);
    else if (strcmp(a, "--limit") == 0) c.limit = atoll(v);
    else usage();
  }
  if (c.epochs < 0 || c.threads < 1 || c.calibration < 1) usage();
  return c;
}

static bool on_epoch(void *user, const q8t_step_report *r) {
  (void)user;
  printf("epoch %d/%d: loss %.4f, training accuracy %.4f, %.0f s\n", (int)r->epoch + 1,
         (int)r->epochs, r->epoch_loss, r->epoch_accuracy, r->seconds);
  fflush(stdout);
  return true;
}

static int fail(const char *what, const q8_error *err) {
  fprintf(stderr, "ptq-fashion: %s: %s\n", what, err->message);
  return 1;
}

int main(int argc, char **argv) {
  const config c = parse(argc, argv);
  q8_dataset train_set = {0}, test_set = {0};
  q8_error err;
  if (q8_dataset_load(c.data, "train", c.limit, &train_set, &err) != Q8_OK ||
      q8_dataset_load(c.data, "t10k", 0, &test_set, &err) != Q8_OK)
    return fail("data", &err);
  const q8t_images train = {train_set.images, train_set.labels, (int64_t)train_set.count, 28, 28, 1};
  const q8t_images test = {test_set.images, test_set.labels, (int64_t)test_set.count, 28, 28, 1};
  q8t_graph *g;
  int32_t logits;
  const q8t_graph_options o = {.batch = 64, .threads = c.threads};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) return fail("graph", &err);
  if (q8t_model_build(g, c.model, &logits, &err) != Q8_OK) return fail("model", &err);
  if (q8t_graph_allocate(g) != Q8_OK) return fail("allocate", &g->error);
  q8t_graph_init_parameters(g, c.seed);
  q8t_train_options opt = q8t_train_recipe();
  opt.epochs = c.epochs;
  opt.seed = c.seed;
  opt.on_epoch = on_epoch;
  q8t_train_result result;
  if (c.epochs > 0 && q8t_train(g, &train, &opt, &result, &err) != Q8_OK)
    return fail("train", &err);
  q8t_eval_result eval;
  if (q8t_evaluate(g, &test, &eval, &err) != Q8_OK) return fail("evaluate", &err);
  printf("%s float (%d epoch(s), seed %llu): test accuracy %.4f on %lld images\n", c.model,
         c.epochs, (unsigned long long)c.seed, eval.accuracy, (long long)eval.images);
  for (int s = 0; s < 2; s++) {
    const q8t_scheme scheme = s == 0 ? Q8T_SCHEME_INT8 : Q8T_SCHEME_UINT8;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s-ptq-%s.tflite", c.out_dir, c.model,
             q8t_scheme_name(scheme));
    const q8t_export_options eo = {.scheme = scheme, .weight_bits = c.wbits,
                                   .activation_bits = c.abits};
    q8t_export_report report;
    if (q8t_ptq_export(g, &train, c.calibration, &eo, path, &report, &err) != Q8_OK)
      return fail(path, &err);
    printf("wrote %s (%zu bytes, %d operators, calibrated on %d training images)%s%s\n", path,
           report.bytes, (int)report.operators, c.calibration, report.notes[0] ? ": " : "",
           report.notes);
    printf("  integer accuracy: q8 eval %s%s%s\n", path, c.data ? " --data " : "",
           c.data ? c.data : "");
  }
  q8t_graph_free(g);
  q8_dataset_free(&train_set);
  q8_dataset_free(&test_set);
  return 0;
}
