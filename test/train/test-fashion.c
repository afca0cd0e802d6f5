/* A short real training run: fm-cnn on the first 2,000 Fashion-MNIST training images with the
   recipe (lr 0.05 cosine, momentum 0.9, weight decay 5e-4, batch 64) for 6 epochs on 2
   threads, then top-1 accuracy on all 10,000 test images must exceed 70%. Prints the loss per
   epoch, the accuracy and the run time. Skipped, by name, when the data set is absent
   (Debian dataset-fashion-mnist) or when a measured step says the run would take longer than
   10 minutes (under an emulator). */
#include <stdlib.h>
#include <time.h>

#include "data/idx.h"
#include "train/graph.h"
#include "train/models.h"
#include "train/trainer.h"
#include "util/test-util.h"

enum { TRAIN_IMAGES = 2000, EPOCHS = 6, BATCH = 64, THREADS = 2 };

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool print_epoch(void *user, const q8t_step_report *r) {
  (void)user;
  printf("epoch %d/%d: loss %.4f, running accuracy %.3f, %.1f s\n", (int)r->epoch + 1,
         (int)r->epochs, r->epoch_loss, r->epoch_accuracy, r->seconds);
  return true;
}

static q8t_images images_of(const q8_dataset *ds) {
  return (q8t_images){ds->images,      ds->labels,      (int64_t)ds->count,
                      Q8_DATASET_ROWS, Q8_DATASET_COLS, 1};
}

/* Seconds one training step takes here, to skip a run an emulator would make too long. */
static double seconds_per_step(q8t_graph *g, const q8t_images *train) {
  q8_error err;
  q8t_load_batch(g, train, NULL, 0, BATCH, &err);
  const double start = now();
  q8t_graph_forward(g, true);
  q8t_graph_backward(g);
  return now() - start;
}

int main(void) {
  const uint64_t seed = t_seed(7);
  q8_dataset train_set = {0}, test_set = {0};
  q8_error err;
  if (q8_dataset_load(NULL, "train", TRAIN_IMAGES, &train_set, &err) != Q8_OK ||
      q8_dataset_load(NULL, "t10k", 0, &test_set, &err) != Q8_OK) {
    /* The test command installs the data set: there its absence is a failure (but a build
       without zlib, the aarch64 cross build, cannot read Debian's gzipped files). */
    if (t_test_deps_required() && q8_dataset_reads_gzip()) {
      T_CHECK(false, "Fashion-MNIST: %s", err.message);
      return t_finish();
    }
    return t_skip("train/test-fashion", err.message);
  }
  const q8t_images train = images_of(&train_set), test = images_of(&test_set);
  q8t_graph *g;
  const q8t_graph_options options = {.batch = BATCH, .threads = THREADS};
  int32_t logits;
  T_CHECK(q8t_graph_init(&options, &g, &err) == Q8_OK, "%s", err.message);
  T_CHECK(q8t_model_build(g, "fm-cnn", &logits, &err) == Q8_OK, "%s", err.message);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "%s", g->error.message);
  const double step = seconds_per_step(g, &train);
  const double projected = step * (EPOCHS * (TRAIN_IMAGES / BATCH + 1) + 3 * test.count / BATCH);
  if (projected > 600) {
    char why[128];
    snprintf(why, sizeof why, "a step takes %.2f s here: the run would take about %.0f s", step,
             projected);
    q8t_graph_free(g);
    q8_dataset_free(&train_set);
    q8_dataset_free(&test_set);
    return t_skip("train/test-fashion", why);
  }
  T_CHECK(q8t_graph_init_parameters(g, seed) == Q8_OK, "%s", g->error.message);

  q8t_train_options recipe = q8t_train_recipe();
  recipe.epochs = EPOCHS;
  recipe.seed = seed;
  recipe.on_epoch = print_epoch;
  q8t_train_result result;
  const double start = now();
  T_CHECK(q8t_train(g, &train, &recipe, &result, &err) == Q8_OK, "train: %s", err.message);
  const double trained = now() - start;
  q8t_eval_result eval;
  T_CHECK(q8t_evaluate(g, &test, &eval, &err) == Q8_OK, "evaluate: %s", err.message);
  printf(
      "fm-cnn, %d training images, %d epochs, %d threads (%s): test accuracy %.4f on %lld "
      "images, loss %.4f; training %.1f s (%.0f images/s), evaluation %.1f s\n",
      TRAIN_IMAGES, EPOCHS, THREADS, q8t_gemm_backend_name(Q8T_GEMM_AUTO), eval.accuracy,
      (long long)eval.images, eval.loss, trained, EPOCHS * TRAIN_IMAGES / trained,
      now() - start - trained);
  T_CHECK(eval.images == 10000, "evaluated %lld images", (long long)eval.images);
  T_CHECK(eval.accuracy > 0.70, "test accuracy %.4f, expected > 0.70", eval.accuracy);
  T_CHECK(result.last_epoch_loss < 1.0, "last epoch's training loss %.4f", result.last_epoch_loss);
  q8t_graph_free(g);
  q8_dataset_free(&train_set);
  q8_dataset_free(&test_set);
  return t_finish();
}
