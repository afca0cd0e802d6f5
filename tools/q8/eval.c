/* q8 eval MODEL [--data DIR] [--limit N] [--json] [--threads N] [--isa PATH]: top-1 accuracy and confusion matrix of a
   Fashion-MNIST classifier on the test split, computed by the integer runtime. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data/classify.h"
#include "data/idx.h"
#include "runtime/runtime.h"

enum { CLASSES = Q8_DATASET_CLASSES };

static const char *const class_names[CLASSES] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                                 "Coat",        "Sandal",  "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};

typedef struct eval_args {
  const char *model;
  const char *data;
  int64_t limit;
  bool json;
  q8_interp_options runtime; /* --threads, --isa */
} eval_args;

static void eval_usage(FILE *f) {
  fputs("usage: q8 eval MODEL [--data DIR] [--limit N] [--json] [--threads N] [--isa PATH]\n"
        "  Runs the model with the integer runtime on the Fashion-MNIST test split (t10k) and\n"
        "  prints top-1 accuracy and the confusion matrix (rows: true class). Classes are\n"
        "  ranked by the logits (the input of a final SOFTMAX, else the output itself), ties\n"
        "  to the lowest index. The model takes one 28x28x1 (or 784) uint8/int8 image; pixels\n"
        "  p in 0..255 are quantized as p/255 with the input's scale and zero point.\n"
        "  --data DIR   directory with t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte,\n"
        "               plain or .gz (default " Q8_DATASET_DEFAULT_DIR ")\n"
        "  --limit N    only the first N test images\n"
        "  --json       print one JSON object (accuracy, images, correct, confusion, ...)\n"
        CLI_RUNTIME_OPTIONS_HELP,
        f);
}

static int parse_args(int argc, char **argv, eval_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const int runtime = cli_runtime_option(argc, argv, &i, &a->runtime);
    if (runtime != 0) {
      if (runtime < 0) return 0;
      continue;
    }
    const bool takes_value = strcmp(arg, "--data") == 0 || strcmp(arg, "--limit") == 0;
    if (takes_value && i + 1 == argc) return !cli_error("%s needs a value", arg);
    if (strcmp(arg, "--data") == 0) {
      a->data = argv[++i];
    } else if (strcmp(arg, "--limit") == 0) {
      char *end;
      long long n = strtoll(argv[++i], &end, 10);
      if (*end != 0 || end == argv[i] || n < 1)
        return !cli_error("--limit takes a positive count, not '%s'", argv[i]);
      a->limit = n;
    } else if (strcmp(arg, "--json") == 0) {
      a->json = true;
    } else if (arg[0] == '-') {
      return !cli_error("unknown option '%s' (see q8 eval --help)", arg);
    } else if (a->model == NULL) {
      a->model = arg;
    } else {
      return !cli_error("unexpected argument '%s' (one model per run)", arg);
    }
  }
  if (a->model == NULL) return !cli_error("no model given (see q8 eval --help)");
  return 1;
}

/* ---- reporting ---- */

static void print_json(const eval_args *a, const char *data_dir, const q8_classifier *plan,
                       const q8_interp *interp, const q8_classifier_result *r) {
  printf("{\"model\": ");
  cli_print_json_string(a->model);
  printf(", \"data\": ");
  cli_print_json_string(data_dir);
  printf(", \"split\": \"t10k\", \"images\": %zu, \"correct\": %zu, \"accuracy\": %.6f", r->images,
         r->correct, (double)r->correct / (double)r->images);
  printf(", \"ranked_by\": ");
  cli_print_json_string(interp->tensors[plan->scores].name);
  printf(", \"ranked_by_logits\": %s, \"classes\": [", plan->by_logits ? "true" : "false");
  for (int c = 0; c < CLASSES; c++) {
    printf(c ? ", " : "");
    cli_print_json_string(class_names[c]);
  }
  printf("], \"confusion\": [");
  for (int t = 0; t < CLASSES; t++) {
    printf(t ? ", [" : "[");
    for (int p = 0; p < CLASSES; p++) printf(p ? ", %zu" : "%zu", r->confusion[t][p]);
    printf("]");
  }
  printf("], \"seconds\": %.3f, \"isa\": \"%s\", \"threads\": %d}\n", r->seconds,
         q8_isa_name(q8_interp_isa(interp)), (int)q8_interp_threads(interp));
}

static void print_text(const eval_args *a, const char *data_dir, const q8_classifier *plan,
                       const q8_interp *interp, const q8_classifier_result *r) {
  printf("model: %s\ndata: %s (t10k, %zu images)\n", a->model, data_dir, r->images);
  printf("ranked by: tensor %d '%s', %s\n", (int)plan->scores, interp->tensors[plan->scores].name,
         plan->by_logits ? "the logits (input of the final SOFTMAX)" : "the model's output");
  printf("accuracy: %.2f%% (%zu of %zu images)\n", 100.0 * (double)r->correct / (double)r->images,
         r->correct, r->images);
  printf("confusion matrix (rows: true class, columns: predicted class):\n%-15s", "");
  for (int p = 0; p < CLASSES; p++) printf(" %5d", p);
  printf("\n");
  for (int t = 0; t < CLASSES; t++) {
    printf("%d %-13s", t, class_names[t]);
    for (int p = 0; p < CLASSES; p++) printf(" %5zu", r->confusion[t][p]);
    printf("\n");
  }
  printf("kernels: %s, %d thread(s)\n", q8_isa_name(q8_interp_isa(interp)),
         (int)q8_interp_threads(interp));
  printf("time: %.2f s (%.0f images/s)\n", r->seconds,
         r->seconds > 0 ? (double)r->images / r->seconds : 0.0);
}

int q8_cli_eval(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    eval_usage(stdout);
    return 0;
  }
  eval_args a;
  if (!parse_args(argc, argv, &a)) return 2;
  q8_model *model = NULL;
  q8_interp *interp = NULL;
  if (!cli_open_model_with(a.model, &a.runtime, &model, &interp)) return 1;
  q8_classifier plan;
  q8_error err;
  int ok = q8_classifier_init(a.model, interp, &plan, &err) == Q8_OK;
  if (!ok) cli_error("%s", err.message);
  q8_dataset ds;
  memset(&ds, 0, sizeof ds);
  const char *data_dir = a.data != NULL ? a.data : Q8_DATASET_DEFAULT_DIR;
  if (ok) {
    ok = q8_dataset_load(data_dir, "t10k", a.limit, &ds, &err) == Q8_OK;
    if (!ok) cli_error("%s", err.message);
    else if (ds.count == 0) ok = !cli_error("%s: the test split has no images", data_dir);
  }
  q8_classifier_result result;
  if (ok) {
    ok = q8_classifier_run(interp, &plan, &ds, &result, &err) == Q8_OK;
    if (!ok) cli_error("%s", err.message);
  }
  if (ok && a.json) print_json(&a, data_dir, &plan, interp, &result);
  else if (ok) print_text(&a, data_dir, &plan, interp, &result);
  q8_dataset_free(&ds);
  q8_interp_free(interp);
  q8_model_free(model);
  return ok ? 0 : 1;
}
