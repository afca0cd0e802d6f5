/* A Fashion-MNIST classifier run by the integer runtime over a data set (data/classify.h). */
#include "data/classify.h"

#include <string.h>
#include <time.h>

#include "core/error.h"
#include "ops/prepare-checks.h"
#include "runtime/runtime.h"

enum { CLASSES = Q8_DATASET_CLASSES };

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

static q8_status check_input(const char *path, const q8_interp *interp, q8_classifier *c,
                             q8_error *error) {
  int32_t n = q8_interp_input_count(interp);
  if (n != 1)
    return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                   "%s has %d inputs; q8 eval feeds models with one input, an image", path, (int)n);
  q8_interp_input_info(interp, 0, &c->input);
  const q8_tensor_info *in = &c->input;
  char shape[128];
  q8_format_shape(shape, sizeof shape, in->rank, in->dims);
  if (!is_image_shape(in->rank, in->dims))
    return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                   "%s: input '%s' has shape %s; q8 eval feeds Fashion-MNIST images of 28x28x1 "
                   "(a shape such as [1,28,28,1] or [1,784])",
                   path, in->name, shape);
  if (!is_8bit(in->type) || !(in->quant.scale > 0))
    return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                   "%s: input '%s' is %s%s; q8 eval feeds quantized uint8 or int8 images", path,
                   in->name, q8_type_name(in->type), is_8bit(in->type) ? " without a scale" : "");
  return Q8_OK;
}

/* Ranks the input of a final SOFTMAX (the logits), otherwise output 0 itself. */
static q8_status choose_scores(const char *path, const q8_interp *interp, q8_classifier *c,
                               q8_error *error) {
  const q8_graph *g = interp->model->graph;
  if (g->n_outputs < 1) return q8_fail(error, Q8_ERROR_UNSUPPORTED, "%s has no outputs", path);
  const int32_t output = g->outputs[0];
  const q8_node *last = g->n_nodes > 0 ? &g->nodes[g->n_nodes - 1] : NULL;
  c->by_logits = last != NULL && last->kind == Q8_OP_SOFTMAX && last->outputs[0] == output;
  c->scores = c->by_logits ? last->inputs[0] : output;
  const q8_tensor *t = &interp->tensors[c->scores];
  char shape[128];
  q8_format_shape(shape, sizeof shape, t->rank, t->dims);
  int32_t s[Q8_MAX_RANK];
  int32_t n = squeeze(t->rank, t->dims, s);
  const int32_t classes = n == 0 ? 1 : n == 1 ? s[0] : -1;
  const char *what = c->by_logits ? "the final SOFTMAX's input" : "output";
  if (classes != CLASSES)
    return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                   "%s: %s '%s' has shape %s: %s%d classes, and Fashion-MNIST has %d", path, what,
                   t->name, shape, classes < 0 ? "not a vector of " : "",
                   classes < 0 ? CLASSES : (int)classes, CLASSES);
  if (!is_8bit(t->type) || t->quant.count != 1 || !(t->quant.scale[0] > 0))
    return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                   "%s: %s '%s' is %s%s; q8 eval ranks quantized uint8 or int8 scores", path,
                   what, t->name, q8_type_name(t->type),
                   is_8bit(t->type) ? " without one scale" : "");
  c->scores_signed = t->type == Q8_TYPE_INT8;
  if (q8_interp_tensor_after_invoke(interp, c->scores) == NULL)
    return q8_fail(error, Q8_ERROR_UNSUPPORTED, "%s: %s '%s' is not readable after invoke", path,
                   what, t->name);
  return Q8_OK;
}

/* pixel p is the real value p/255, quantized with the input's own parameters; for the
   reference models' fixed input quantization (scale 1/255, zero point 0 or -128) this is
   exactly p or p - 128. Float is used here only, before the integer runtime runs. */
static void build_pixel_table(q8_classifier *c) {
  const bool is_signed = c->input.type == Q8_TYPE_INT8;
  const long lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  for (int p = 0; p < 256; p++) {
    double q = (double)p / 255.0 / (double)c->input.quant.scale;
    long v = (long)(q < 0 ? q - 0.5 : q + 0.5) + c->input.quant.zero_point;
    v = v < lo ? lo : v > hi ? hi : v;
    c->pixel_to_input[p] = (uint8_t)v; /* modulo 256: an int8's two's complement bits */
  }
}

q8_status q8_classifier_init(const char *path, const q8_interp *interp, q8_classifier *c,
                             q8_error *error) {
  memset(c, 0, sizeof *c);
  q8_status st = check_input(path, interp, c, error);
  if (st == Q8_OK) st = choose_scores(path, interp, c, error);
  if (st == Q8_OK) build_pixel_table(c);
  return st;
}

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

q8_status q8_classifier_run(q8_interp *interp, const q8_classifier *c, const q8_dataset *ds,
                            q8_classifier_result *r, q8_error *error) {
  memset(r, 0, sizeof *r);
  uint8_t input[Q8_DATASET_PIXELS];
  const double start = seconds_now();
  for (size_t i = 0; i < ds->count; i++) {
    const uint8_t *image = ds->images + i * Q8_DATASET_PIXELS;
    for (int k = 0; k < Q8_DATASET_PIXELS; k++) input[k] = c->pixel_to_input[image[k]];
    q8_status st = q8_interp_set_input(interp, 0, input, sizeof input);
    if (st == Q8_OK) st = q8_interp_invoke(interp);
    if (st != Q8_OK)
      return q8_fail(error, st, "image %zu: %s", i, q8_interp_last_error(interp));
    const int predicted =
        top_class(q8_interp_tensor_after_invoke(interp, c->scores), c->scores_signed);
    r->confusion[ds->labels[i]][predicted]++;
    r->correct += predicted == ds->labels[i];
  }
  r->images = ds->count;
  r->seconds = seconds_now() - start;
  return Q8_OK;
}

q8_status q8_classifier_accuracy_file(const char *path, const q8_interp_options *options,
                                      const q8_dataset *ds, double *accuracy, q8_error *error) {
  q8_model *model = NULL;
  q8_interp *interp = NULL;
  q8_status st = q8_model_load_file(path, &model, error);
  if (st != Q8_OK) return st;
  st = q8_interp_init(model, options, &interp, error);
  if (st != Q8_OK) {
    q8_error_prefix(error, "%s", path);
    q8_model_free(model);
    return st;
  }
  q8_classifier c;
  q8_classifier_result result;
  st = q8_classifier_init(path, interp, &c, error);
  if (st == Q8_OK) st = q8_classifier_run(interp, &c, ds, &result, error);
  if (st == Q8_OK) *accuracy = ds->count > 0 ? (double)result.correct / (double)ds->count : 0.0;
  q8_interp_free(interp);
  q8_model_free(model);
  return st;
}
