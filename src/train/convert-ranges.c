/* The converter's ranges table (activation ranges and handed-over weight grids, keyed by
   training tensor) and post-training calibration, which fills it from a forward pass. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "train/convert.h"

q8_status q8t_ranges_init(const q8t_graph *g, q8t_ranges *r, q8_error *error) {
  memset(r, 0, sizeof *r);
  if (g == NULL || g->n_tensors < 0)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "ranges: no graph");
  const size_t n = (size_t)g->n_tensors + 1;
  r->activation = calloc(n, sizeof *r->activation);
  r->weights = calloc(n, sizeof *r->weights);
  if (r->activation == NULL || r->weights == NULL) {
    q8t_ranges_free(r);
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory for %d ranges",
                   (int)g->n_tensors);
  }
  r->n_tensors = g->n_tensors;
  for (int32_t t = 0; t < g->n_tensors; t++) q8_range_tracker_init(&r->activation[t]);
  return Q8_OK;
}

void q8t_ranges_free(q8t_ranges *r) {
  if (r == NULL) return;
  if (r->weights != NULL)
    for (int32_t t = 0; t < r->n_tensors; t++) free(r->weights[t].grids);
  free(r->activation);
  free(r->weights);
  memset(r, 0, sizeof *r);
}

static q8_status check_slot(const q8t_ranges *r, int32_t tensor, q8_error *error) {
  if (r == NULL || r->activation == NULL || tensor < 0 || tensor >= r->n_tensors)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "ranges: tensor %d outside the table (%d)",
                   (int)tensor, r != NULL ? (int)r->n_tensors : 0);
  return Q8_OK;
}

q8_status q8t_ranges_set(q8t_ranges *r, int32_t tensor, float min, float max, q8_error *error) {
  q8_status s = check_slot(r, tensor, error);
  if (s != Q8_OK) return s;
  /* A fresh tracker's first min/max update is the range itself (widened to contain 0). */
  q8_range_tracker fresh;
  q8_range_tracker_init(&fresh);
  s = q8_range_tracker_update_minmax(&fresh, min, max, error);
  if (s != Q8_OK) {
    q8_error_prefix(error, "range of tensor %d", (int)tensor);
    return s;
  }
  r->activation[tensor] = fresh;
  return Q8_OK;
}

q8_status q8t_ranges_set_weight_grids(q8t_ranges *r, int32_t tensor, const q8_quant_grid *grids,
                                      int32_t count, q8_error *error) {
  q8_status s = check_slot(r, tensor, error);
  if (s != Q8_OK) return s;
  if (grids == NULL || count < 1)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "weight grids of tensor %d: %d grids",
                   (int)tensor, (int)count);
  q8_quant_grid *copy = malloc((size_t)count * sizeof *copy);
  if (copy == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  memcpy(copy, grids, (size_t)count * sizeof *copy);
  free(r->weights[tensor].grids);
  r->weights[tensor] = (q8t_grid_set){count, copy};
  return Q8_OK;
}

/* Images first .. first + n into the input (pixel / 255, as q8t_load_batch) and labels. */
static q8_status load_images(q8t_graph *g, const q8t_images *data, int32_t input, int64_t first,
                             int32_t n, q8_error *error) {
  const q8_status s = q8t_graph_set_batch(g, n);
  if (s != Q8_OK) {
    *error = g->error;
    return s;
  }
  const size_t pixels = q8t_tensor_per_image(&g->tensors[input]);
  float *x = g->tensors[input].data;
  int32_t *labels = g->labels >= 0 ? g->tensors[g->labels].i32 : NULL;
  for (int32_t i = 0; i < n; i++) {
    const uint8_t *src = data->pixels + (size_t)(first + i) * pixels;
    for (size_t k = 0; k < pixels; k++) x[(size_t)i * pixels + k] = (float)src[k] / 255.0f;
    if (labels != NULL) labels[i] = data->labels != NULL ? data->labels[first + i] : 0;
  }
  return Q8_OK;
}

static q8_status check_data(const q8t_graph *g, const q8t_images *data, int64_t count,
                            int32_t input, q8_error *error) {
  const q8t_tensor *x = &g->tensors[input];
  if (data == NULL || data->pixels == NULL || count < 1 || count > data->count)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "calibration: %lld images asked, %lld available", (long long)count,
                   data != NULL ? (long long)data->count : 0LL);
  if (data->height != x->dims[1] || data->width != x->dims[2] || data->channels != x->dims[3])
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "calibration images are %dx%dx%d, the input '%s' takes %dx%dx%d",
                   (int)data->height, (int)data->width, (int)data->channels, x->name,
                   (int)x->dims[1], (int)x->dims[2], (int)x->dims[3]);
  if (!g->allocated)
    return q8_fail(error, Q8_ERROR_STATE, "calibration: the graph is not allocated");
  return Q8_OK;
}

/* Widens each planned tensor's range to this batch's min/max. */
static q8_status record_batch(const q8t_graph *g, const q8t_export_plan *plan, q8t_ranges *r,
                              q8_error *error) {
  for (int32_t i = 0; i < plan->n_ranged; i++) {
    const int32_t t = plan->ranged[i];
    const q8t_tensor *x = &g->tensors[t];
    float lo, hi;
    q8_status s = q8_quant_minmax(x->data, q8t_tensor_count(x), &lo, &hi, error);
    if (s == Q8_OK) s = q8_range_tracker_update_minmax(&r->activation[t], lo, hi, error);
    if (s != Q8_OK) {
      q8_error_prefix(error, "calibrating '%s'", x->name);
      return s;
    }
  }
  return Q8_OK;
}

q8_status q8t_calibrate(q8t_graph *g, const q8t_images *data, int64_t count, q8t_ranges *r,
                        q8_error *error) {
  q8t_export_plan plan;
  q8_status s = q8t_export_plan_init(g, &plan, error);
  if (s != Q8_OK) return s;
  if (r == NULL || r->n_tensors != g->n_tensors)
    s = q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                "calibration: the ranges table was not made for this graph");
  if (s == Q8_OK) s = check_data(g, data, count, plan.input, error);
  for (int64_t first = 0; s == Q8_OK && first < count; first += g->options.batch) {
    const int64_t left = count - first;
    const int32_t n = left < g->options.batch ? (int32_t)left : g->options.batch;
    s = load_images(g, data, plan.input, first, n, error);
    if (s == Q8_OK) {
      s = q8t_graph_forward(g, false);
      if (s != Q8_OK) *error = g->error;
    }
    if (s == Q8_OK) s = record_batch(g, &plan, r, error);
  }
  q8t_export_plan_free(&plan);
  return s;
}
