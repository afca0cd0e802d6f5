/* The model generator (src/gen): each full-size reference model's operators, shapes and
   multiply-accumulates against the published numbers (and against q8's runtime's own count);
   reduced-size models in int8 and uint8 hold TFLite's parameter rules, load and run in q8's
   runtime with logits that are neither constant, saturated nor input-independent; float32
   models are plain float with the weights the integer ones quantize (within half a step); the
   same seed gives the same bytes; bad options are refused with messages. Written files go to Q8_WRITTEN_DIR for
   tflite/test-verifier. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"
#include "runtime/stats.h"
#include "tflite/writer.h"
#include "util/test-util.h"

/* ---- names and options ---- */

static void test_names(void) {
  q8_error err;
  for (int m = 0; m < Q8G_MODEL_COUNT; m++) {
    q8g_model back = Q8G_MODEL_COUNT;
    T_CHECK(q8g_model_from_name(q8g_model_name((q8g_model)m), &back, &err) == Q8_OK &&
                back == (q8g_model)m,
            "name of model %d does not come back", m);
  }
  q8g_model model;
  T_CHECK(q8g_model_from_name("mobilenet_v3", &model, &err) == Q8_ERROR_INVALID_ARGUMENT,
          "an unknown name is refused");
  for (int m = 0; m < Q8G_MODEL_COUNT; m++)
    T_CHECK(strstr(err.message, q8g_model_name((q8g_model)m)) != NULL,
            "the refusal lists %s: %s", q8g_model_name((q8g_model)m), err.message);
  T_CHECK(strstr(err.message, "mobilenet_v3") != NULL, "names the unknown one: %s", err.message);
}

static void expect_refused(q8g_model model, q8g_options o, const char *text) {
  q8_error err = {{0}};
  q8_graph *g = NULL;
  const q8_status s = q8g_build(model, &o, &g, NULL, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT && g == NULL && strstr(err.message, text) != NULL,
          "%s: expected a refusal saying '%s', got %s '%s'", q8g_model_name(model), text,
          q8_status_name(s), err.message);
  q8_graph_free(g);
}

static void test_bad_options(void) {
  expect_refused(Q8G_MOBILENET_V1, (q8g_options){.width = 0.05}, "width 0.05 is outside [0.1, 2]");
  expect_refused(Q8G_MOBILENET_V2, (q8g_options){.width = 2.5}, "width 2.5 is outside [0.1, 2]");
  expect_refused(Q8G_MOBILENET_V2, (q8g_options){.width = NAN}, "is outside [0.1, 2]");
  expect_refused(Q8G_RESNET50_V1, (q8g_options){.width = 0.5}, "only the MobileNets");
  expect_refused(Q8G_INCEPTION_V3, (q8g_options){.width = 2}, "only the MobileNets");
  expect_refused(Q8G_MOBILENET_V1, (q8g_options){.resolution = 31},
                 "resolution 31 is outside [32, 512] for mobilenet_v1_1.0_224");
  expect_refused(Q8G_RESNET50_V1, (q8g_options){.resolution = 513}, "outside [32, 512]");
  expect_refused(Q8G_INCEPTION_V3, (q8g_options){.resolution = 74},
                 "resolution 74 is outside [75, 512] for inception_v3");
  expect_refused(Q8G_MOBILENET_V1, (q8g_options){.resolution = -3}, "resolution -3");
  expect_refused(Q8G_MOBILENET_V1, (q8g_options){.scheme = (q8g_scheme)7}, "unknown scheme 7");
  expect_refused(Q8G_MOBILENET_V1, (q8g_options){.ranges = (q8g_ranges)9}, "unknown ranges");
  expect_refused((q8g_model)17, (q8g_options){0}, "unknown model 17");
  q8_error err;
  T_CHECK(q8g_write_file(Q8G_MOBILENET_V1, &(q8g_options){.width = 0.25, .resolution = 32},
                         "/nonexistent-dir/x.tflite", NULL, &err) == Q8_ERROR_IO &&
              strstr(err.message, "/nonexistent-dir/x.tflite") != NULL,
          "an unwritable path is refused by name: %s", err.message);
}

/* ---- full-size structure ---- */

typedef struct expected_model {
  q8g_model model;
  int32_t resolution;
  int32_t operators;
  int32_t counts[Q8_OP_COUNT];
  uint64_t macs;                /* exactly, as built */
  double published_lo, published_hi; /* reference-models.md's "about" figure, +-2% or its range */
  uint64_t parameters;
} expected_model;

static const expected_model full_size[] = {
    {Q8G_MOBILENET_V1, 224, 31,
     {[Q8_OP_CONV_2D] = 14, [Q8_OP_DEPTHWISE_CONV_2D] = 13, [Q8_OP_AVERAGE_POOL_2D] = 1,
      [Q8_OP_RESHAPE] = 1, [Q8_OP_FULLY_CONNECTED] = 1, [Q8_OP_SOFTMAX] = 1},
     568740352u, 569e6 * 0.98, 569e6 * 1.02, 4221032u},
    {Q8G_MOBILENET_V2, 224, 66,
     {[Q8_OP_CONV_2D] = 35, [Q8_OP_DEPTHWISE_CONV_2D] = 17, [Q8_OP_ADD] = 10,
      [Q8_OP_AVERAGE_POOL_2D] = 1, [Q8_OP_RESHAPE] = 1, [Q8_OP_FULLY_CONNECTED] = 1,
      [Q8_OP_SOFTMAX] = 1},
     300774272u, 300e6 * 0.98, 300e6 * 1.02, 3487816u},
    {Q8G_RESNET50_V1, 224, 74,
     {[Q8_OP_PAD] = 1, [Q8_OP_CONV_2D] = 53, [Q8_OP_MAX_POOL_2D] = 1, [Q8_OP_ADD] = 16,
      [Q8_OP_MEAN] = 1, [Q8_OP_FULLY_CONNECTED] = 1, [Q8_OP_SOFTMAX] = 1},
     4089184256u, 3.9e9, 4.1e9, 25530472u},
    {Q8G_INCEPTION_V3, 299, 121,
     {[Q8_OP_CONV_2D] = 94, [Q8_OP_MAX_POOL_2D] = 4, [Q8_OP_AVERAGE_POOL_2D] = 9,
      [Q8_OP_CONCATENATION] = 11, [Q8_OP_MEAN] = 1, [Q8_OP_FULLY_CONNECTED] = 1,
      [Q8_OP_SOFTMAX] = 1},
     5713216096u, 5.7e9 * 0.98, 5.7e9 * 1.02, 23817352u},
};

/* Loads and prepares a graph through the writer; NULL (check failed) when anything refuses. */
static q8_interp *load(const q8_graph *g, uint8_t **bytes, size_t *size, q8_model **model,
                       const char *what) {
  q8_error err;
  q8_interp *interp = NULL;
  *model = NULL;
  q8_status s = q8_tflite_write(g, bytes, size, &err);
  if (s == Q8_OK) s = q8_model_load_memory(*bytes, *size, 0, model, &err);
  if (s == Q8_OK) s = q8_interp_init(*model, NULL, &interp, &err);
  T_CHECK(s == Q8_OK, "%s does not load and prepare: %s", what, err.message);
  return interp;
}

static void check_io_shapes(const q8_graph *g, int32_t resolution, const char *name) {
  const q8_tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
  T_CHECK(g->n_inputs == 1 && in->rank == 4 && in->dims[0] == 1 && in->dims[1] == resolution &&
              in->dims[2] == resolution && in->dims[3] == 3,
          "%s: input shape", name);
  T_CHECK(g->n_outputs == 1 && out->rank == 2 && out->dims[0] == 1 && out->dims[1] == 1000 &&
              strcmp(out->name, "probabilities") == 0,
          "%s: output '%s' [1, 1000]", name, out->name);
}

/* The full-size graphs with ranges by rule (no float pass: fast everywhere); the runtime
   prepares each and counts the same multiply-accumulates. */
static bool heavy(q8g_model model);

static void test_full_size(bool emulated) {
  for (size_t i = 0; i < sizeof full_size / sizeof full_size[0]; i++) {
    const expected_model *e = &full_size[i];
    if (emulated && heavy(e->model)) continue;
    const char *name = q8g_model_name(e->model);
    q8g_report r;
    q8_graph *g = NULL;
    q8_error err;
    const q8g_options o = {.ranges = Q8G_RANGES_FIXED};
    if (q8g_build(e->model, &o, &g, &r, &err) != Q8_OK) {
      T_CHECK(0, "%s: %s", name, err.message);
      continue;
    }
    printf("%s: %d operators, %llu MACs, %llu parameters, built in %.2f s (fixed ranges)\n",
           name, (int)r.operators, (unsigned long long)r.macs,
           (unsigned long long)r.parameters, r.build_seconds);
    T_CHECK(r.operators == e->operators && g->n_nodes == e->operators, "%s: %d operators, not %d",
            name, (int)r.operators, (int)e->operators);
    for (int k = 0; k < Q8_OP_COUNT; k++)
      T_CHECK(r.op_counts[k] == e->counts[k], "%s: %d %s, expected %d", name,
              (int)r.op_counts[k], q8_op_name((q8_op_kind)k), (int)e->counts[k]);
    T_CHECK(r.macs == e->macs, "%s: %llu MACs, expected %llu", name,
            (unsigned long long)r.macs, (unsigned long long)e->macs);
    T_CHECK((double)r.macs >= e->published_lo && (double)r.macs <= e->published_hi,
            "%s: %llu MACs, published [%.4g, %.4g]", name, (unsigned long long)r.macs,
            e->published_lo, e->published_hi);
    T_CHECK(r.parameters == e->parameters, "%s: %llu parameters, expected %llu", name,
            (unsigned long long)r.parameters, (unsigned long long)e->parameters);
    T_CHECK(r.resolution == e->resolution && r.width == 1.0, "%s: resolution %d", name,
            (int)r.resolution);
    check_io_shapes(g, e->resolution, name);
    uint8_t *bytes = NULL;
    size_t size = 0;
    q8_model *model;
    q8_interp *interp = load(g, &bytes, &size, &model, name);
    if (interp != NULL)
      T_CHECK(q8_interp_macs(interp) == r.macs, "%s: the runtime counts %llu MACs, gen %llu",
              name, (unsigned long long)q8_interp_macs(interp), (unsigned long long)r.macs);
    q8_interp_free(interp);
    q8_model_free(model);
    free(bytes);
    q8_graph_free(g);
  }
}

/* ---- parameter rules ---- */

static const q8_tensor *input_of(const q8_graph *g, const q8_node *n, int32_t k) {
  return &g->tensors[n->inputs[k]];
}

static bool same_params(const q8_tensor *a, const q8_tensor *b) {
  return a->quant.count == 1 && b->quant.count == 1 && a->quant.scale[0] == b->quant.scale[0] &&
         a->quant.zero_point[0] == b->quant.zero_point[0];
}

static void check_weights(const q8_graph *g, const q8_node *n, q8_type type, const char *what) {
  const q8_tensor *in = input_of(g, n, 0), *w = input_of(g, n, 1), *b = input_of(g, n, 2);
  const int32_t channels = n->kind == Q8_OP_DEPTHWISE_CONV_2D ? w->dims[3] : w->dims[0];
  const bool per_channel = type == Q8_TYPE_INT8 && n->kind != Q8_OP_FULLY_CONNECTED;
  T_CHECK(w->type == type && w->data != NULL && w->quant.count == (per_channel ? channels : 1),
          "%s '%s': %d weight scales", what, w->name, (int)w->quant.count);
  T_CHECK(!per_channel || w->quant.axis == (n->kind == Q8_OP_DEPTHWISE_CONV_2D ? 3 : 0),
          "%s '%s': quantized dimension %d", what, w->name, (int)w->quant.axis);
  for (int32_t j = 0; j < w->quant.count; j++)
    T_CHECK(type == Q8_TYPE_UINT8 || w->quant.zero_point[j] == 0,
            "%s '%s': symmetric int8 weights have zero point 0", what, w->name);
  T_CHECK(b->type == Q8_TYPE_INT32 && b->data != NULL && b->rank == 1 && b->dims[0] == channels &&
              b->quant.count == w->quant.count,
          "%s '%s': int32 bias with one scale per weight scale", what, b->name);
  for (int32_t j = 0; j < b->quant.count && b->quant.count == w->quant.count; j++)
    T_CHECK(b->quant.scale[j] == in->quant.scale[0] * w->quant.scale[j] &&
                b->quant.zero_point[j] == 0,
            "%s '%s': bias scale %d is input scale x weight scale", what, b->name, (int)j);
}

/* TFLite's rules, operator by operator (see doc/models.md). */
static void check_rules(const q8_graph *g, q8_type type, const char *what) {
  const int32_t lowest = type == Q8_TYPE_INT8 ? -128 : 0;
  const q8_tensor *input = &g->tensors[g->inputs[0]];
  T_CHECK(input->type == type && input->quant.scale[0] == 1.0f / 128.0f &&
              input->quant.zero_point[0] == (type == Q8_TYPE_INT8 ? 0 : 128),
          "%s: input scale 1/128, zero point 0 (int8) or 128 (uint8)", what);
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const q8_node *n = &g->nodes[i];
    const q8_tensor *out = &g->tensors[n->outputs[0]], *in = input_of(g, n, 0);
    T_CHECK(out->type == type && out->quant.count == 1, "%s: '%s' is per-tensor %s", what,
            out->name, q8_type_name(type));
    q8_activation act = Q8_ACT_NONE;
    switch (n->kind) {
      case Q8_OP_CONV_2D:
      case Q8_OP_DEPTHWISE_CONV_2D:
        act = n->opt.conv.activation;
        check_weights(g, n, type, what);
        break;
      case Q8_OP_FULLY_CONNECTED: check_weights(g, n, type, what); break;
      case Q8_OP_ADD: act = n->opt.add.activation; break;
      case Q8_OP_CONCATENATION:
        for (int32_t k = 0; k < n->n_inputs; k++)
          T_CHECK(same_params(input_of(g, n, k), out), "%s: concatenation '%s' input %d shares "
                  "the output's parameters", what, out->name, (int)k);
        break;
      case Q8_OP_AVERAGE_POOL_2D:
      case Q8_OP_MAX_POOL_2D:
      case Q8_OP_MEAN:
      case Q8_OP_PAD:
      case Q8_OP_RESHAPE:
        T_CHECK(same_params(in, out), "%s: %s '%s' keeps its input's parameters", what,
                q8_op_name(n->kind), out->name);
        break;
      case Q8_OP_SOFTMAX:
        T_CHECK(out->quant.scale[0] == 1.0f / 256.0f && out->quant.zero_point[0] == lowest,
                "%s: softmax output scale 1/256, zero point %d", what, (int)lowest);
        break;
      default: T_CHECK(0, "%s: unexpected operator %s", what, q8_op_name(n->kind));
    }
    if (act == Q8_ACT_RELU || act == Q8_ACT_RELU6)
      T_CHECK(out->quant.zero_point[0] == lowest,
              "%s: '%s' (%s) has zero point %d, not the bottom of the range %d", what,
              out->name, q8_activation_name(act), (int)out->quant.zero_point[0], (int)lowest);
  }
}

/* ---- reduced-size models that run ---- */

typedef struct small_model {
  q8g_model model;
  double width;
  int32_t resolution;
  const char *tag;      /* for written file names */
  bool compare_weights; /* float vs int8 weights (ResNet and Inception keep their 24-26 M
                           parameters at any resolution: built twice more only to compare) */
} small_model;

/* Sizes that run in a moment under the reference kernels (and under emulation). */
static const small_model small[] = {
    {Q8G_MOBILENET_V1, 0.25, 128, "mobilenet-v1-0.25-128", true},
    {Q8G_MOBILENET_V2, 0.35, 96, "mobilenet-v2-0.35-96", true},
    {Q8G_RESNET50_V1, 1.0, 32, "resnet50-v1-32", false},
    {Q8G_INCEPTION_V3, 1.0, 75, "inception-v3-75", false},
};

static int32_t find_tensor(const q8_graph *g, const char *name) {
  for (int32_t t = 0; t < g->n_tensors; t++)
    if (strcmp(g->tensors[t].name, name) == 0) return t;
  return -1;
}

static int32_t code_at(const void *data, q8_type type, size_t k) {
  return type == Q8_TYPE_INT8 ? ((const int8_t *)data)[k] : ((const uint8_t *)data)[k];
}

/* Runs one random input (codes from rng); copies the logits out as ints. */
static bool run_once(q8_interp *interp, q8_type type, t_rng *rng, int32_t *logits,
                     double *probability_sum) {
  q8_tensor_info info;
  q8_interp_input_info(interp, 0, &info);
  uint8_t *x = malloc(info.bytes);
  if (x == NULL) return false;
  for (size_t i = 0; i < info.bytes; i++) x[i] = (uint8_t)t_rng_range(rng, 0, 255);
  bool ok = q8_interp_set_input(interp, 0, x, info.bytes) == Q8_OK &&
            q8_interp_invoke(interp) == Q8_OK;
  free(x);
  const void *p = NULL, *l = NULL;
  ok = ok && q8_interp_output_data(interp, 0, &p) == Q8_OK &&
       q8_interp_output_data(interp, 1, &l) == Q8_OK;
  T_CHECK(ok, "invoke: %s", q8_interp_last_error(interp));
  if (!ok) return false;
  const int32_t lowest = type == Q8_TYPE_INT8 ? -128 : 0;
  *probability_sum = 0;
  for (size_t k = 0; k < 1000; k++) {
    logits[k] = code_at(l, type, k);
    *probability_sum += (code_at(p, type, k) - lowest) / 256.0;
  }
  return true;
}

/* Logits use their range: many distinct codes, few at either end. */
static void check_logits_spread(const int32_t *logits, q8_type type, const char *what) {
  const int32_t lo = type == Q8_TYPE_INT8 ? -128 : 0, hi = lo + 255;
  int32_t seen[256] = {0}, distinct = 0, clipped = 0;
  for (int k = 0; k < 1000; k++) {
    distinct += seen[logits[k] - lo]++ == 0;
    clipped += logits[k] == lo || logits[k] == hi;
  }
  T_CHECK(distinct >= 40 && clipped <= 20, "%s: logits take %d distinct codes, %d at the ends",
          what, (int)distinct, (int)clipped);
}

/* For tflite/test-verifier: all of the MobileNets, and ResNet's and Inception's int8 models
   (their float32 files are 100 MB each, from the same writer code). */
static void keep(const char *tag, const char *scheme, const uint8_t *bytes, size_t size) {
  if (size > 50u << 20) return;
  char name[128];
  snprintf(name, sizeof name, "gen-test-gen-%s-%s", tag, scheme);
  q8_test_keep_written(name, bytes, size);
}

/* Builds the model, adds the logits as a second output, runs two random inputs. */
static void run_integer(const small_model *m, q8g_scheme scheme, uint64_t seed) {
  const q8_type type = scheme == Q8G_SCHEME_INT8 ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  char what[128];
  snprintf(what, sizeof what, "%s %s", m->tag, q8g_scheme_name(scheme));
  const q8g_options o = {.scheme = scheme, .width = m->width, .resolution = m->resolution,
                         .seed = seed};
  q8_graph *g = NULL;
  q8g_report r;
  q8_error err;
  if (q8g_build(m->model, &o, &g, &r, &err) != Q8_OK) {
    T_CHECK(0, "%s: %s", what, err.message);
    return;
  }
  printf("%s: %d operators, %.1f M MACs, built in %.2f s (calibration %.2f s)\n", what,
         (int)r.operators, (double)r.macs / 1e6, r.build_seconds, r.calibrate_seconds);
  check_io_shapes(g, m->resolution, what);
  check_rules(g, type, what);
  int32_t *outputs = q8_pool_alloc(&g->pool, 2 * sizeof *outputs);
  const int32_t logits_tensor = find_tensor(g, "logits");
  T_CHECK(outputs != NULL && logits_tensor >= 0, "%s: a logits tensor", what);
  if (outputs == NULL || logits_tensor < 0) return q8_graph_free(g);
  outputs[0] = g->outputs[0];
  outputs[1] = logits_tensor;
  g->outputs = outputs;
  g->n_outputs = 2;
  uint8_t *bytes = NULL;
  size_t size = 0;
  q8_model *model;
  q8_interp *interp = load(g, &bytes, &size, &model, what);
  if (interp != NULL) {
    keep(m->tag, q8g_scheme_name(scheme), bytes, size);
    t_rng rng = {seed};
    int32_t a[1000], b[1000];
    double sum_a = 0, sum_b = 0;
    if (run_once(interp, type, &rng, a, &sum_a) && run_once(interp, type, &rng, b, &sum_b)) {
      check_logits_spread(a, type, what);
      check_logits_spread(b, type, what);
      int32_t differ = 0;
      for (int k = 0; k < 1000; k++) differ += a[k] != b[k];
      T_CHECK(differ >= 10, "%s: two random inputs give logits differing in %d of 1000 classes",
              what, (int)differ);
      T_CHECK(fabs(sum_a - 1.0) < 0.25 && fabs(sum_b - 1.0) < 0.25,
              "%s: probabilities sum to %.3f and %.3f", what, sum_a, sum_b);
    }
  }
  q8_interp_free(interp);
  q8_model_free(model);
  free(bytes);
  q8_graph_free(g);
}

/* Every weight and bias of the int8 graph is its float twin's, rounded to the nearest step. */
static void check_same_weights(const q8_graph *f, const q8_graph *q, const char *what) {
  int32_t compared = 0;
  for (int32_t t = 0; t < q->n_tensors; t++) {
    const q8_tensor *x = &q->tensors[t];
    if (x->data == NULL || x->quant.count == 0) continue;
    const int32_t ft = find_tensor(f, x->name);
    if (ft < 0 || f->tensors[ft].type != Q8_TYPE_FLOAT32) {
      T_CHECK(0, "%s: no float twin of '%s'", what, x->name);
      continue;
    }
    const float *w = f->tensors[ft].data;
    const size_t n = f->tensors[ft].data_size / sizeof(float);
    const int32_t axis_size = x->quant.count > 1 ? x->dims[x->quant.axis] : 1;
    size_t inner = 1;
    for (int32_t d = x->quant.axis + 1; x->quant.count > 1 && d < x->rank; d++) inner *= (size_t)x->dims[d];
    int32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
      const int32_t j = x->quant.count > 1 ? (int32_t)((i / inner) % (size_t)axis_size) : 0;
      const double code = x->type == Q8_TYPE_INT32 ? ((const int32_t *)x->data)[i]
                                                   : code_at(x->data, x->type, i);
      const double step = x->quant.scale[j];
      bad += fabs((code - x->quant.zero_point[j]) * step - w[i]) > 0.5001 * step;
    }
    T_CHECK(bad == 0, "%s: %d values of '%s' are not the float ones rounded", what, (int)bad,
            x->name);
    compared++;
  }
  T_CHECK(compared > 0, "%s: no constants compared", what);
}

/* The float32 model: the same graph, float tensors and weights, no quantization anywhere; the
   integer-only build refuses to load it, by name. */
static void check_float(const small_model *m, uint64_t seed) {
  char what[128];
  snprintf(what, sizeof what, "%s float32", m->tag);
  const q8g_options o = {.scheme = Q8G_SCHEME_FLOAT32, .width = m->width,
                         .resolution = m->resolution, .seed = seed};
  q8_graph *g = NULL;
  q8_error err;
  if (q8g_build(m->model, &o, &g, NULL, &err) != Q8_OK) {
    T_CHECK(0, "%s: %s", what, err.message);
    return;
  }
  check_io_shapes(g, m->resolution, what);
  q8g_options oq = o;
  oq.scheme = Q8G_SCHEME_INT8;
  q8_graph *q = NULL;
  if (m->compare_weights)
    T_CHECK(q8g_build(m->model, &oq, &q, NULL, &err) == Q8_OK, "%s: %s", what, err.message);
  if (q != NULL) check_same_weights(g, q, what);
  q8_graph_free(q);
  for (int32_t t = 0; t < g->n_tensors; t++) {
    const q8_tensor *x = &g->tensors[t];
    const bool int_constant = x->data != NULL && x->type == Q8_TYPE_INT32; /* axes, shapes */
    T_CHECK((x->type == Q8_TYPE_FLOAT32 || int_constant) && x->quant.count == 0,
            "%s: '%s' is %s with %d scales", what, x->name, q8_type_name(x->type),
            (int)x->quant.count);
  }
  uint8_t *bytes = NULL;
  size_t size = 0;
  q8_model *model = NULL;
  q8_status s = q8_tflite_write(g, &bytes, &size, &err);
  T_CHECK(s == Q8_OK, "%s: write: %s", what, err.message);
  if (s == Q8_OK) {
    keep(m->tag, "float32", bytes, size);
    s = q8_model_load_memory(bytes, size, 0, &model, &err);
#ifdef Q8_INTEGER_ONLY
    T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(err.message, "integer-only") != NULL,
            "%s: the integer-only build refuses it: %s", what, err.message);
#else
    T_CHECK(s == Q8_OK, "%s: load: %s", what, err.message);
#endif
  }
  q8_model_free(model);
  free(bytes);
  q8_graph_free(g);
}

/* The same options give the same file; another seed another one. */
static void test_reproducible(void) {
  const q8g_options o = {.width = 0.25, .resolution = 64, .seed = 7};
  q8_graph *g[3] = {NULL, NULL, NULL};
  uint8_t *bytes[3] = {NULL, NULL, NULL};
  size_t size[3] = {0, 0, 0};
  q8_error err;
  for (int i = 0; i < 3; i++) {
    q8g_options oi = o;
    oi.seed = i == 2 ? 8 : 7;
    T_CHECK(q8g_build(Q8G_MOBILENET_V2, &oi, &g[i], NULL, &err) == Q8_OK &&
                q8_tflite_write(g[i], &bytes[i], &size[i], &err) == Q8_OK,
            "build %d: %s", i, err.message);
  }
  T_CHECK(size[0] == size[1] && bytes[0] && bytes[1] && memcmp(bytes[0], bytes[1], size[0]) == 0,
          "the same seed gives the same bytes");
  T_CHECK(size[0] != size[2] || (bytes[2] && memcmp(bytes[0], bytes[2], size[0]) != 0),
          "another seed gives other weights");
  for (int i = 0; i < 3; i++) {
    free(bytes[i]);
    q8_graph_free(g[i]);
  }
}

/* Under an emulator (Q8_GEN_EMULATED, set by test/CMakeLists.txt) ResNet-50 and Inception v3,
   whose 24-26 M parameters cost 10 to 30 s each to draw, quantize and prepare there, are built
   once each (int8, reduced size, run); the full-size structure and the other schemes are the
   same code on every platform and are checked natively. */
static bool heavy(q8g_model model) {
  return model == Q8G_RESNET50_V1 || model == Q8G_INCEPTION_V3;
}

int main(void) {
  const uint64_t seed = t_seed(20261127);
  const bool emulated = getenv("Q8_GEN_EMULATED") != NULL;
  if (emulated) printf("emulated: ResNet-50 and Inception v3 in reduced int8 only\n");
  test_names();
  test_bad_options();
  test_full_size(emulated);
  test_reproducible();
  for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
    run_integer(&small[i], Q8G_SCHEME_INT8, seed);
    if (emulated && heavy(small[i].model)) continue;
    run_integer(&small[i], Q8G_SCHEME_UINT8, seed + 1);
    check_float(&small[i], seed);
  }
  return t_finish();
}
