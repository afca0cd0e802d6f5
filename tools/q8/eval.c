/* q8 eval MODEL [--data DIR] [--limit N] [--json] [--threads N] [--isa PATH]: top-1 accuracy and confusion matrix of a
   Fashion-MNIST classifier on the test split, computed by the integer runtime. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "data/idx.h"
#include "ops/prepare-checks.h"
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

/* What the model is fed and where its class scores are read. */
typedef struct eval_plan {
  q8_tensor_info input;
  uint8_t pixel_to_input[256]; /* pixel value -> input byte (an int8 as its bits) */
  int32_t scores;             /* tensor ranked after each invoke */
  bool scores_signed;
  bool by_logits;             /* scores are the input of the final SOFTMAX */
} eval_plan;

typedef struct eval_result {
  size_t images;
  size_t correct;
  size_t confusion[CLASSES][CLASSES]; /* [true class][predicted class] */
  double seconds;
} eval_result;

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

/* ---- checking the model ---- */

/* The dimensions other than 1, in order: [1,28,28,1] -> 28,28. */
static int32_t squeeze(int32_t rank, const int32_t *dims, int32_t *out) {
  int32_t n = 0;
  for (int32_t i = 0; i < rank; i++)
    if (dims[i] != 1) out[n++] = dims[i];
  return n;
}

static bool is_image_shape(int32_t rank, const int32_t *dims) {
  int32_t s[Q8_MAX_RANK];
  int32_t n = squeeze(rank, dims, s);
  return (n == 2 && s[0] == Q8_DATASET_ROWS && s[1] == Q8_DATASET_COLS) ||
         (n == 1 && s[0] == Q8_DATASET_PIXELS);
}

static bool is_8bit(q8_type type) { return type == Q8_TYPE_UINT8 || type == Q8_TYPE_INT8; }

static int check_input(const char *path, q8_interp *interp, eval_plan *plan) {
  int32_t n = q8_interp_input_count(interp);
  if (n != 1)
    return !cli_error("%s has %d inputs; q8 eval feeds models with one input, an image", path, (int)n);
  q8_interp_input_info(interp, 0, &plan->input);
  const q8_tensor_info *in = &plan->input;
  char shape[128];
  q8_format_shape(shape, sizeof shape, in->rank, in->dims);
  if (!is_image_shape(in->rank, in->dims))
    return !cli_error("%s: input '%s' has shape %s; q8 eval feeds Fashion-MNIST images of 28x28x1 "
                      "(a shape such as [1,28,28,1] or [1,784])",
                      path, in->name, shape);
  if (!is_8bit(in->type) || !(in->quant.scale > 0))
    return !cli_error("%s: input '%s' is %s%s; q8 eval feeds quantized uint8 or int8 images", path,
                      in->name, q8_type_name(in->type), is_8bit(in->type) ? " without a scale" : "");
  return 1;
}

/* Ranks the input of a final SOFTMAX (the logits: its quantized output collapses nearby
   classes onto one value), otherwise output 0 itself. */
static int choose_scores(const char *path, q8_interp *interp, eval_plan *plan) {
  const q8_graph *g = interp->model->graph;
  if (g->n_outputs < 1) return !cli_error("%s has no outputs", path);
  const int32_t output = g->outputs[0];
  const q8_node *last = g->n_nodes > 0 ? &g->nodes[g->n_nodes - 1] : NULL;
  plan->by_logits = last != NULL && last->kind == Q8_OP_SOFTMAX && last->outputs[0] == output;
  plan->scores = plan->by_logits ? last->inputs[0] : output;
  const q8_tensor *t = &interp->tensors[plan->scores];
  char shape[128];
  q8_format_shape(shape, sizeof shape, t->rank, t->dims);
  int32_t s[Q8_MAX_RANK];
  int32_t n = squeeze(t->rank, t->dims, s);
  const int32_t classes = n == 0 ? 1 : n == 1 ? s[0] : -1;
  const char *what = plan->by_logits ? "the final SOFTMAX's input" : "output";
  if (classes != CLASSES)
    return !cli_error("%s: %s '%s' has shape %s: %s%d classes, and Fashion-MNIST has %d", path,
                      what, t->name, shape, classes < 0 ? "not a vector of " : "",
                      classes < 0 ? CLASSES : (int)classes, CLASSES);
  if (!is_8bit(t->type) || t->quant.count != 1 || !(t->quant.scale[0] > 0))
    return !cli_error("%s: %s '%s' is %s%s; q8 eval ranks quantized uint8 or int8 scores", path,
                      what, t->name, q8_type_name(t->type),
                      is_8bit(t->type) ? " without one scale" : "");
  plan->scores_signed = t->type == Q8_TYPE_INT8;
  if (q8_interp_tensor_after_invoke(interp, plan->scores) == NULL)
    return !cli_error("%s: %s '%s' is not readable after invoke", path, what, t->name);
  return 1;
}

/* pixel p is the real value p/255, quantized with the input's own parameters; for the
   reference models' fixed input quantization (scale 1/255, zero point 0 or -128) this is
   exactly p or p - 128. Float is used here only, before the integer runtime runs. */
static void build_pixel_table(eval_plan *plan) {
  const bool is_signed = plan->input.type == Q8_TYPE_INT8;
  const long lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  for (int p = 0; p < 256; p++) {
    double q = (double)p / 255.0 / (double)plan->input.quant.scale;
    long v = (long)(q < 0 ? q - 0.5 : q + 0.5) + plan->input.quant.zero_point;
    v = v < lo ? lo : v > hi ? hi : v;
    plan->pixel_to_input[p] = (uint8_t)v; /* modulo 256: an int8's two's complement bits */
  }
}

/* ---- running ---- */

/* Index of the largest score, the lowest index among equals. */
static int top_class(const void *scores, bool is_signed) {
  int best = 0;
  for (int c = 1; c < CLASSES; c++) {
    int v = is_signed ? ((const int8_t *)scores)[c] : ((const uint8_t *)scores)[c];
    int b = is_signed ? ((const int8_t *)scores)[best] : ((const uint8_t *)scores)[best];
    if (v > b) best = c;
  }
  return best;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int evaluate(q8_interp *interp, const eval_plan *plan, const q8_dataset *ds,
                    eval_result *r) {
  uint8_t input[Q8_DATASET_PIXELS];
  const double start = seconds_now();
  for (size_t i = 0; i < ds->count; i++) {
    const uint8_t *image = ds->images + i * Q8_DATASET_PIXELS;
    for (int k = 0; k < Q8_DATASET_PIXELS; k++) input[k] = plan->pixel_to_input[image[k]];
    if (q8_interp_set_input(interp, 0, input, sizeof input) != Q8_OK ||
        q8_interp_invoke(interp) != Q8_OK)
      return !cli_error("image %zu: %s", i, q8_interp_last_error(interp));
    int predicted = top_class(q8_interp_tensor_after_invoke(interp, plan->scores), plan->scores_signed);
    r->confusion[ds->labels[i]][predicted]++;
    r->correct += predicted == ds->labels[i];
  }
  r->images = ds->count;
  r->seconds = seconds_now() - start;
  return 1;
}

/* ---- reporting ---- */

static void print_json(const eval_args *a, const char *data_dir, const eval_plan *plan,
                       const q8_interp *interp, const eval_result *r) {
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

static void print_text(const eval_args *a, const char *data_dir, const eval_plan *plan,
                       const q8_interp *interp, const eval_result *r) {
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

int cli_eval_accuracy(const char *path, const q8_dataset *ds, double *accuracy) {
  q8_model *model = NULL;
  q8_interp *interp = NULL;
  if (!cli_open_model(path, &model, &interp)) return 0;
  eval_plan plan;
  memset(&plan, 0, sizeof plan);
  eval_result result;
  memset(&result, 0, sizeof result);
  int ok = check_input(path, interp, &plan) && choose_scores(path, interp, &plan);
  if (ok) {
    build_pixel_table(&plan);
    ok = evaluate(interp, &plan, ds, &result);
  }
  if (ok) *accuracy = ds->count > 0 ? (double)result.correct / (double)ds->count : 0.0;
  q8_interp_free(interp);
  q8_model_free(model);
  return ok;
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
  eval_plan plan;
  memset(&plan, 0, sizeof plan);
  int ok = check_input(a.model, interp, &plan) && choose_scores(a.model, interp, &plan);
  q8_dataset ds;
  memset(&ds, 0, sizeof ds);
  const char *data_dir = a.data != NULL ? a.data : Q8_DATASET_DEFAULT_DIR;
  if (ok) {
    q8_error err;
    ok = q8_dataset_load(data_dir, "t10k", a.limit, &ds, &err) == Q8_OK;
    if (!ok) cli_error("%s", err.message);
    else if (ds.count == 0) ok = !cli_error("%s: the test split has no images", data_dir);
  }
  eval_result result;
  memset(&result, 0, sizeof result);
  if (ok) {
    build_pixel_table(&plan);
    ok = evaluate(interp, &plan, &ds, &result);
  }
  if (ok && a.json) print_json(&a, data_dir, &plan, interp, &result);
  else if (ok) print_text(&a, data_dir, &plan, interp, &result);
  q8_dataset_free(&ds);
  q8_interp_free(interp);
  q8_model_free(model);
  return ok ? 0 : 1;
}
