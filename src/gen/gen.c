/* The generator's entry points: model names, option checks, build (net, then graph), write. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "gen/gen.h"
#include "gen/net.h"
#include "tflite/writer.h"

static const char *const model_names[Q8G_MODEL_COUNT] = {
    "mobilenet_v1_1.0_224", "mobilenet_v2_1.0_224", "resnet50_v1", "inception_v3"};

const char *q8g_model_name(q8g_model model) {
  return (unsigned)model < Q8G_MODEL_COUNT ? model_names[model] : "unknown";
}

q8_status q8g_model_from_name(const char *name, q8g_model *model, q8_error *error) {
  for (int m = 0; name != NULL && m < Q8G_MODEL_COUNT; m++) {
    if (strcmp(name, model_names[m]) == 0) {
      *model = (q8g_model)m;
      return Q8_OK;
    }
  }
  return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                 "unknown model '%s'; known models: %s, %s, %s, %s", name ? name : "(none)",
                 model_names[0], model_names[1], model_names[2], model_names[3]);
}

const char *q8g_scheme_name(q8g_scheme scheme) {
  switch (scheme) {
    case Q8G_SCHEME_INT8: return "int8";
    case Q8G_SCHEME_UINT8: return "uint8";
    case Q8G_SCHEME_FLOAT32: return "float32";
  }
  return "unknown";
}

int32_t q8g_default_resolution(q8g_model model) { return model == Q8G_INCEPTION_V3 ? 299 : 224; }

int32_t q8g_min_resolution(q8g_model model) { return model == Q8G_INCEPTION_V3 ? 75 : 32; }

static bool has_width(q8g_model model) {
  return model == Q8G_MOBILENET_V1 || model == Q8G_MOBILENET_V2;
}

static double width_of(const q8g_options *o) { return o->width == 0.0 ? 1.0 : o->width; }

static int32_t resolution_of(q8g_model model, const q8g_options *o) {
  return o->resolution == 0 ? q8g_default_resolution(model) : o->resolution;
}

q8_status q8g_check_options(q8g_model model, const q8g_options *o, q8_error *error) {
  if ((unsigned)model >= Q8G_MODEL_COUNT)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "unknown model %d", (int)model);
  if (o == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "no options");
  if ((unsigned)o->scheme > Q8G_SCHEME_FLOAT32)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "unknown scheme %d (int8, uint8 or float32)",
                   (int)o->scheme);
  if ((unsigned)o->ranges > Q8G_RANGES_FIXED)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "unknown ranges choice %d", (int)o->ranges);
  const double width = width_of(o);
  if (!has_width(model) && width != 1.0)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "width %g: %s has no width multiplier (only the MobileNets do)", width,
                   model_names[model]);
  if (!(width >= Q8G_MIN_WIDTH && width <= Q8G_MAX_WIDTH))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "width %g is outside [%g, %g]", width,
                   Q8G_MIN_WIDTH, Q8G_MAX_WIDTH);
  const int32_t r = resolution_of(model, o);
  if (r < q8g_min_resolution(model) || r > Q8G_MAX_RESOLUTION)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "resolution %d is outside [%d, %d] for %s", (int)r,
                   (int)q8g_min_resolution(model), Q8G_MAX_RESOLUTION, model_names[model]);
  return Q8_OK;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void fill_report(const q8g_net *net, const q8_graph *g, q8g_report *r) {
  for (int32_t n = 0; n < g->n_nodes; n++) r->op_counts[g->nodes[n].kind]++;
  r->operators = g->n_nodes;
  for (int32_t l = 0; l < net->n_layers; l++) {
    const q8g_layer *layer = &net->layers[l];
    r->macs += layer->macs;
    if (layer->weights != NULL)
      r->parameters += layer->weight_count + (uint64_t)net->tensors[layer->output].dims[
          net->tensors[layer->output].rank - 1];
  }
  r->calibrate_seconds = net->calibrate_seconds;
}

q8_status q8g_build(q8g_model model, const q8g_options *options, q8_graph **graph,
                    q8g_report *report, q8_error *error) {
  if (graph == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "graph pointer is NULL");
  *graph = NULL;
  q8_status s = q8g_check_options(model, options, error);
  if (s != Q8_OK) return s;
  const double t0 = now_seconds();
  q8g_net net;
  q8g_net_init(&net, options->ranges == Q8G_RANGES_CALIBRATED, options->seed, error);
  const int32_t resolution = resolution_of(model, options);
  q8g_build_net(&net, model, width_of(options), resolution);
  s = net.status;
  if (s == Q8_OK) s = q8g_emit(&net, options->scheme, graph, error);
  if (s != Q8_OK) q8_error_prefix(error, "%s", model_names[model]);
  if (s == Q8_OK && report != NULL) {
    memset(report, 0, sizeof *report);
    fill_report(&net, *graph, report);
    report->resolution = resolution;
    report->width = width_of(options);
    report->build_seconds = now_seconds() - t0;
  }
  q8g_net_free(&net);
  return s;
}

q8_status q8g_write_file(q8g_model model, const q8g_options *options, const char *path,
                         q8g_report *report, q8_error *error) {
  if (path == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "no output path");
  q8_graph *graph = NULL;
  q8_status s = q8g_build(model, options, &graph, report, error);
  if (s == Q8_OK) s = q8_tflite_write_file(graph, path, error);
  q8_graph_free(graph);
  return s;
}
