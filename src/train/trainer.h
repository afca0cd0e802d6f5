/* The training loop over images in memory (8-bit pixels scaled by 1/255, labels as bytes):
   seeded shuffling per epoch, SGD with momentum and the cosine schedule, per-step and
   per-epoch reports; and evaluation (top-1 accuracy, mean loss) with batch norm's moving
   statistics. The arrays are the caller's (the data-set loader is src/data). */
#ifndef Q8_TRAIN_TRAINER_H
#define Q8_TRAIN_TRAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "train/graph.h"
#include "train/optimizer.h"

/* Borrowed images: count images of height x width x channels bytes (NHWC), and count labels. */
typedef struct q8t_images {
  const uint8_t *pixels;
  const uint8_t *labels;
  int64_t count;
  int32_t height, width, channels;
} q8t_images;

typedef struct q8t_step_report {
  int32_t epoch, epochs;     /* epoch is 0-based */
  int64_t step, total_steps; /* global step, 0-based, over all epochs */
  float learning_rate;
  float loss;            /* this batch's */
  double epoch_loss;     /* mean over the epoch's images so far */
  double epoch_accuracy; /* running top-1 over the epoch's images so far (training mode) */
  int64_t epoch_images;
  double seconds; /* since the epoch began */
} q8t_step_report;

typedef struct q8t_train_options {
  int32_t epochs;
  float learning_rate; /* at step 0, cosine to 0 at the last step */
  q8t_sgd sgd;
  uint64_t seed;      /* shuffling: epoch e uses the order drawn from (seed, e) */
  int64_t start_step; /* 0, or the step to resume at (weights, momentum and batch-norm
                         statistics restored by the caller) */
  /* Called after every step and at the end of every epoch (NULL: not called); returning
     false stops training after that step (then Q8_OK with result->stopped set). */
  bool (*on_step)(void *user, const q8t_step_report *report);
  bool (*on_epoch)(void *user, const q8t_step_report *report);
  void *user;
} q8t_train_options;

typedef struct q8t_train_result {
  int64_t steps; /* the next step (== total when finished) */
  bool stopped;  /* a callback asked to stop */
  double last_epoch_loss, last_epoch_accuracy;
  double seconds;
} q8t_train_result;

/* The recipe of reference-models.md: 5 epochs, lr 0.05, momentum 0.9, weight decay 5e-4. */
q8t_train_options q8t_train_recipe(void);

/* Trains graph (allocated, parameters initialised, with a loss; its batch capacity is the
   batch size) on data. Errors: images whose shape differs from the graph's input, a label
   past the logits, a graph without loss or input. */
q8_status q8t_train(q8t_graph *graph, const q8t_images *data, const q8t_train_options *options,
                    q8t_train_result *result, q8_error *error);

typedef struct q8t_eval_result {
  double accuracy; /* top-1 (ties to the lowest class), in [0, 1] */
  double loss;     /* mean cross-entropy */
  int64_t images;
} q8t_eval_result;

/* Evaluates in inference mode (batch norm's moving statistics), batch by batch. */
q8_status q8t_evaluate(q8t_graph *graph, const q8t_images *data, q8t_eval_result *result,
                       q8_error *error);

/* Copies images order[first .. first + n) into the input (pixel / 255) and labels tensors and
   sets the graph's batch to n (<= capacity). order NULL: images first .. first + n. */
q8_status q8t_load_batch(q8t_graph *graph, const q8t_images *data, const int32_t *order,
                         int64_t first, int32_t n, q8_error *error);

/* Images of the current batch whose largest logit (lowest index among ties) is the label. */
int32_t q8t_count_correct(const q8t_graph *graph);

#endif
