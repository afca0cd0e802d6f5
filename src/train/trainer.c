/* The training loop and evaluation of trainer.h. */
#include "train/trainer.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "train/rng.h"

/* Streams of q8t_rng for shuffling: epoch e uses stream SHUFFLE_STREAM + e, so the order of
   any epoch can be drawn again from the seed alone (resuming needs no generator state). */
enum { SHUFFLE_STREAM = 1000 };

q8t_train_options q8t_train_recipe(void) {
  return (q8t_train_options){
      .epochs = 5,
      .learning_rate = 0.05f,
      .sgd = {.momentum = 0.9f, .weight_decay = 5e-4f},
      .seed = 1,
  };
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static q8_status check_graph(q8t_graph *g, const q8t_images *data, bool need_loss,
                             q8_error *error) {
  if (g->status != Q8_OK) {
    *error = g->error;
    return g->status;
  }
  if (g->input < 0 || g->logits < 0 || (need_loss && g->loss < 0)) {
    return q8_fail(error, Q8_ERROR_STATE, "the graph needs an input, logits and a loss");
  }
  if (!g->allocated) return q8_fail(error, Q8_ERROR_STATE, "allocate the graph first");
  const q8t_tensor *in = &g->tensors[g->input];
  if (data == NULL || data->pixels == NULL || data->labels == NULL || data->count < 1) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "no images");
  }
  if (data->count > INT32_MAX) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "%lld images: at most %d",
                   (long long)data->count, INT32_MAX);
  }
  if (data->height != in->dims[1] || data->width != in->dims[2] || data->channels != in->dims[3]) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "images are %dx%dx%d, the model's input %s is %dx%dx%d", (int)data->height,
                   (int)data->width, (int)data->channels, in->name, (int)in->dims[1],
                   (int)in->dims[2], (int)in->dims[3]);
  }
  return Q8_OK;
}

q8_status q8t_load_batch(q8t_graph *g, const q8t_images *data, const int32_t *order, int64_t first,
                         int32_t n, q8_error *error) {
  q8_status st = q8t_graph_set_batch(g, n);
  if (st != Q8_OK) {
    *error = g->error;
    return st;
  }
  const size_t pixels = (size_t)data->height * data->width * data->channels;
  float *x = g->tensors[g->input].data;
  int32_t *labels = g->labels >= 0 ? g->tensors[g->labels].i32 : NULL;
  for (int32_t i = 0; i < n; i++) {
    const int64_t index = order != NULL ? order[first + i] : first + i;
    const uint8_t *src = data->pixels + (size_t)index * pixels;
    float *dst = x + (size_t)i * pixels;
    for (size_t p = 0; p < pixels; p++) dst[p] = (float)src[p] / 255.0f;
    if (labels != NULL) labels[i] = data->labels[index];
  }
  return Q8_OK;
}

int32_t q8t_count_correct(const q8t_graph *g) {
  const q8t_tensor *z = &g->tensors[g->logits];
  const int32_t *labels = g->tensors[g->labels].i32;
  const int32_t classes = z->dims[1];
  int32_t correct = 0;
  for (int32_t n = 0; n < g->batch; n++) {
    const float *row = z->data + (size_t)n * classes;
    int32_t best = 0;
    for (int32_t k = 1; k < classes; k++) {
      if (row[k] > row[best]) best = k;
    }
    correct += best == labels[n];
  }
  return correct;
}

/* Runs the forward pass and reports the graph's error as the caller's. */
static q8_status run(q8t_graph *g, q8_status st, q8_error *error) {
  if (st != Q8_OK) *error = g->error;
  return st;
}

q8_status q8t_train(q8t_graph *g, const q8t_images *data, const q8t_train_options *opt,
                    q8t_train_result *result, q8_error *error) {
  memset(result, 0, sizeof *result);
  q8_status st = check_graph(g, data, true, error);
  if (st != Q8_OK) return st;
  if (opt->epochs < 0 || opt->start_step < 0) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "epochs %d, start step %lld", (int)opt->epochs,
                   (long long)opt->start_step);
  }
  const int32_t batch = g->options.batch;
  const int64_t steps_per_epoch = (data->count + batch - 1) / batch;
  const int64_t total = steps_per_epoch * opt->epochs;
  int32_t *order = malloc((size_t)data->count * sizeof *order);
  if (order == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "shuffle order");
  const double start = now_seconds();
  int64_t step = opt->start_step;
  while (step < total && st == Q8_OK && !result->stopped) {
    const int32_t epoch = (int32_t)(step / steps_per_epoch);
    for (int64_t i = 0; i < data->count; i++) order[i] = (int32_t)i;
    q8t_rng rng;
    q8t_rng_seed(&rng, opt->seed, SHUFFLE_STREAM + (uint64_t)epoch);
    q8t_rng_shuffle(&rng, order, (size_t)data->count);
    q8t_step_report r = {.epoch = epoch, .epochs = opt->epochs, .total_steps = total};
    double loss_sum = 0.0;
    int64_t correct = 0;
    const double epoch_start = now_seconds();
    for (; step < (epoch + 1) * steps_per_epoch; step++) {
      const int64_t first = (step % steps_per_epoch) * batch;
      const int32_t n = (int32_t)(data->count - first < batch ? data->count - first : batch);
      st = q8t_load_batch(g, data, order, first, n, error);
      if (st == Q8_OK) st = run(g, q8t_graph_forward(g, true), error);
      if (st == Q8_OK) st = run(g, q8t_graph_backward(g), error);
      if (st != Q8_OK) break;
      r.learning_rate = q8t_cosine_lr(opt->learning_rate, step, total);
      q8t_sgd_step(g, &opt->sgd, r.learning_rate);
      r.step = step;
      r.loss = g->tensors[g->loss].data[0];
      loss_sum += (double)r.loss * n;
      correct += q8t_count_correct(g);
      r.epoch_images += n;
      r.epoch_loss = loss_sum / (double)r.epoch_images;
      r.epoch_accuracy = (double)correct / (double)r.epoch_images;
      r.seconds = now_seconds() - epoch_start;
      if (opt->on_step != NULL && !opt->on_step(opt->user, &r)) {
        result->stopped = true;
        step++;
        break;
      }
    }
    if (st != Q8_OK) break;
    result->last_epoch_loss = r.epoch_loss;
    result->last_epoch_accuracy = r.epoch_accuracy;
    if (!result->stopped && opt->on_epoch != NULL && !opt->on_epoch(opt->user, &r)) {
      result->stopped = true;
    }
  }
  free(order);
  result->steps = step;
  result->seconds = now_seconds() - start;
  return st;
}

q8_status q8t_evaluate(q8t_graph *g, const q8t_images *data, q8t_eval_result *result,
                       q8_error *error) {
  memset(result, 0, sizeof *result);
  q8_status st = check_graph(g, data, true, error);
  if (st != Q8_OK) return st;
  const int32_t batch = g->options.batch;
  double loss_sum = 0.0;
  int64_t correct = 0;
  for (int64_t first = 0; first < data->count && st == Q8_OK; first += batch) {
    const int32_t n = (int32_t)(data->count - first < batch ? data->count - first : batch);
    st = q8t_load_batch(g, data, NULL, first, n, error);
    if (st == Q8_OK) st = run(g, q8t_graph_forward(g, false), error);
    if (st != Q8_OK) break;
    loss_sum += (double)g->tensors[g->loss].data[0] * n;
    correct += q8t_count_correct(g);
    result->images += n;
  }
  if (result->images > 0) {
    result->accuracy = (double)correct / (double)result->images;
    result->loss = loss_sum / (double)result->images;
  }
  return st;
}
