/* The training API (include/q8/q8-train.h): the recipe of ../shared/reference-models.md run
   over the engine's parts. Loads Fashion-MNIST (data/idx.h), builds the model (models.h),
   trains it in float and then with fake quantization (trainer.h, qat.h), writes a checkpoint
   every epoch and when asked to stop and continues exactly from one (checkpoint.h), keeps the
   per-epoch CSV log, exports through the converter (convert.h) and measures the written model
   with the integer runtime (data/classify.h). Never prints: `q8 train` is a client of this. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file.h"
#include "data/classify.h"
#include "data/idx.h"
#include "q8/q8-train.h"
#include "train/checkpoint.h"
#include "train/convert.h"
#include "train/graph.h"
#include "train/models.h"
#include "train/qat.h"
#include "train/trainer.h"

/* The recipe of ../shared/reference-models.md. */
enum { RECIPE_BATCH = 64, RECIPE_EPOCHS = 5, RECIPE_QAT_EPOCHS = 2 };
static const float recipe_lr = 0.05f, recipe_qat_lr = 0.005f;
/* Calibration (post-training quantization, and the start of the QAT ranges) reads the first
   training images, at most this many. */
enum { CALIBRATION_IMAGES = 1000 };
/* The QAT phase shuffles with its own seed: its epoch e must not replay the float epoch e. */
static const uint64_t qat_shuffle_salt = 0x5141545348554646ull;
enum { MAX_EPOCHS = 10000, MAX_THREADS = 256 };

typedef struct text {
  char *s;
  size_t size, cap;
} text;

struct q8_trainer {
  q8_trainer_options o; /* threads resolved */
  q8_dataset train_ds, test_ds;
  q8t_images train, test;
  q8t_graph *graph;
  q8t_checkpoint_info expected; /* options a checkpoint must share with this run */
  /* where training stands */
  q8t_phase phase;
  int32_t phase_epochs;
  int64_t steps_per_epoch;
  int64_t step; /* next step within the phase */
  q8t_epoch_progress progress;
  text log;
  double float_accuracy; /* the float model's before QAT; -1 unknown */
  /* a failure inside the trainer's callbacks, which can only ask q8t_train to stop */
  q8_status callback_status;
  /* speed of this trainer, for images/s and the ETA */
  double last_time, session_seconds;
  int64_t session_images;
  int64_t remaining_steps; /* over both phases */
  q8_error error;
};

static const char log_header[] =
    "phase,epoch,loss,train_accuracy,test_accuracy,learning_rate,seconds\n";

/* ---- names ---- */

const char *q8_train_phase_name(q8_train_phase phase) {
  return phase == Q8_TRAIN_PHASE_FLOAT ? "float" : phase == Q8_TRAIN_PHASE_QAT ? "qat" : "unknown";
}

const char *q8_train_scheme_name(q8_train_scheme scheme) {
  return scheme == Q8_TRAIN_SCHEME_INT8 ? "int8" : scheme == Q8_TRAIN_SCHEME_UINT8 ? "uint8" : "unknown";
}

const char *q8_train_model_name(int32_t index) {
  for (int32_t i = 0; i <= index && index >= 0; i++) {
    if (q8t_model_names[i] == NULL) return NULL;
    if (i == index) return q8t_model_names[i];
  }
  return NULL;
}

const char *q8_train_bn_statistics_name(q8_train_bn_statistics statistics) {
  return statistics == Q8_TRAIN_BN_STATISTICS_UNFOLDED ? "unfolded"
         : statistics == Q8_TRAIN_BN_STATISTICS_FOLDED ? "folded"
                                                       : "unknown";
}

const char *q8_train_rounding_name(q8_train_rounding rounding) {
  return rounding == Q8_TRAIN_ROUNDING_INTEGER ? "integer"
         : rounding == Q8_TRAIN_ROUNDING_FLOAT ? "float"
                                               : "unknown";
}

static q8t_scheme engine_scheme(q8_train_scheme scheme) {
  return scheme == Q8_TRAIN_SCHEME_UINT8 ? Q8T_SCHEME_UINT8 : Q8T_SCHEME_INT8;
}

/* ---- options ---- */

q8_trainer_options q8_trainer_options_default(void) {
  return (q8_trainer_options){.epochs = RECIPE_EPOCHS,
                              .qat_epochs = RECIPE_QAT_EPOCHS,
                              .seed = 1,
                              .weight_bits = 8,
                              .activation_bits = 8,
                              .scheme = Q8_TRAIN_SCHEME_INT8};
}

static bool in_range(const char *name, int64_t value, int64_t lo, int64_t hi, q8_error *error) {
  if (value >= lo && value <= hi) return true;
  q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "options.%s is %" PRId64 ": it must be from %" PRId64
          " to %" PRId64, name, value, lo, hi);
  return false;
}

/* "fm-cnn, fm-mobilenet or fm-resnet". */
static void format_model_names(char *out, size_t room) {
  size_t used = 0;
  out[0] = 0;
  for (int i = 0; q8t_model_names[i] != NULL && used < room; i++) {
    const char *sep = i == 0 ? "" : q8t_model_names[i + 1] == NULL ? " or " : ", ";
    const int w = snprintf(out + used, room - used, "%s%s", sep, q8t_model_names[i]);
    if (w < 0) break;
    used += (size_t)w;
  }
}

static bool is_model_name(const char *name) {
  for (int i = 0; q8t_model_names[i] != NULL; i++) {
    if (strcmp(q8t_model_names[i], name) == 0) return true;
  }
  return false;
}

static q8_status check_options(const q8_trainer_options *o, q8_error *error) {
  char names[128];
  format_model_names(names, sizeof names);
  if (o->model == NULL)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "options.model is required: %s", names);
  if (!is_model_name(o->model))
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "options.model '%s' is unknown: %s",
                   o->model, names);
  if (o->scheme != Q8_TRAIN_SCHEME_INT8 && o->scheme != Q8_TRAIN_SCHEME_UINT8)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "options.scheme is %d: Q8_TRAIN_SCHEME_INT8 or Q8_TRAIN_SCHEME_UINT8",
                   (int)o->scheme);
  if (o->bn_statistics != Q8_TRAIN_BN_STATISTICS_UNFOLDED &&
      o->bn_statistics != Q8_TRAIN_BN_STATISTICS_FOLDED)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "options.bn_statistics is %d: Q8_TRAIN_BN_STATISTICS_UNFOLDED or "
                   "Q8_TRAIN_BN_STATISTICS_FOLDED",
                   (int)o->bn_statistics);
  if (o->rounding != Q8_TRAIN_ROUNDING_INTEGER && o->rounding != Q8_TRAIN_ROUNDING_FLOAT)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "options.rounding is %d: Q8_TRAIN_ROUNDING_INTEGER or Q8_TRAIN_ROUNDING_FLOAT",
                   (int)o->rounding);
  const bool ok = in_range("epochs", o->epochs, 0, MAX_EPOCHS, error) &&
                  in_range("qat_epochs", o->qat_epochs, 0, MAX_EPOCHS, error) &&
                  in_range("limit", o->limit, 0, INT32_MAX, error) &&
                  in_range("test_limit", o->test_limit, 0, INT32_MAX, error) &&
                  in_range("threads", o->threads, 0, MAX_THREADS, error) &&
                  in_range("weight_bits", o->weight_bits, 2, 8, error) &&
                  in_range("activation_bits", o->activation_bits, 2, 8, error);
  return ok ? Q8_OK : Q8_ERROR_INVALID_ARGUMENT;
}

/* The QAT phase of the recipe: fake quantization from its first step (ranges start from a
   calibration pass), batch-norm statistics and activation ranges frozen for the last half
   epoch. */
static q8t_qat_options qat_options(const q8_trainer_options *o, int64_t steps_per_epoch) {
  q8t_qat_options q = q8t_qat_defaults();
  q.scheme = engine_scheme(o->scheme);
  q.bn_statistics = o->bn_statistics == Q8_TRAIN_BN_STATISTICS_FOLDED
                        ? Q8T_BN_STATISTICS_FOLDED
                        : Q8T_BN_STATISTICS_UNFOLDED;
  q.float_rounding = o->rounding == Q8_TRAIN_ROUNDING_FLOAT;
  q.weight_bits = o->weight_bits;
  q.activation_bits = o->activation_bits;
  const int64_t freeze = steps_per_epoch * o->qat_epochs - steps_per_epoch / 2;
  q.bn_freeze_step = q.range_freeze_step = freeze > 0 ? freeze : 0;
  return q;
}

/* The options a checkpoint must share with this run to continue it. */
static q8_status add_options(q8t_checkpoint_info *info, const q8_trainer_options *o,
                             int64_t train_images, int64_t test_images, q8_error *err) {
  snprintf(info->model, sizeof info->model, "%s", o->model);
  const q8t_qat_options qat = qat_options(o, (train_images + RECIPE_BATCH - 1) / RECIPE_BATCH);
  const bool ok =
      q8t_checkpoint_add_option(info, err, "seed", "%" PRIu64, o->seed) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "epochs", "%d", (int)o->epochs) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "qat-epochs", "%d", (int)o->qat_epochs) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "train-images", "%" PRId64, train_images) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "test-images", "%" PRId64, test_images) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "threads", "%d", (int)o->threads) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "batch", "%d", RECIPE_BATCH) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "lr", "%.9g", recipe_lr) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "qat-lr", "%.9g", recipe_qat_lr) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "momentum", "%.9g", 0.9) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "weight-decay", "%.9g", 5e-4) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "scheme", "%s", q8_train_scheme_name(o->scheme)) ==
          Q8_OK &&
      q8t_checkpoint_add_option(info, err, "wbits", "%d", (int)o->weight_bits) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "abits", "%d", (int)o->activation_bits) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "qat-ema-decay", "%.9g", qat.ema_decay) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "qat-freeze-step", "%" PRId64, qat.bn_freeze_step) ==
          Q8_OK &&
      q8t_checkpoint_add_option(info, err, "qat-bn-statistics", "%s",
                                q8t_bn_statistics_name(qat.bn_statistics)) == Q8_OK &&
      q8t_checkpoint_add_option(info, err, "qat-rounding", "%s",
                                q8_train_rounding_name(o->rounding)) == Q8_OK;
  return ok ? Q8_OK : Q8_ERROR_INVALID_ARGUMENT;
}

/* ---- small helpers ---- */

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool text_append(text *t, const char *s, size_t n) {
  if (t->size + n + 1 > t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 1024;
    while (cap < t->size + n + 1) cap *= 2;
    char *grown = realloc(t->s, cap);
    if (grown == NULL) return false;
    t->s = grown;
    t->cap = cap;
  }
  memcpy(t->s + t->size, s, n);
  t->size += n;
  t->s[t->size] = 0;
  return true;
}

static int64_t calibration_images(const q8_trainer *t) {
  return t->train.count < CALIBRATION_IMAGES ? t->train.count : CALIBRATION_IMAGES;
}

static int64_t batch_images(const q8_trainer *t, int64_t step) {
  const int64_t first = (step % t->steps_per_epoch) * RECIPE_BATCH;
  return t->train.count - first < RECIPE_BATCH ? t->train.count - first : RECIPE_BATCH;
}

static bool stop_requested(const q8_trainer *t) {
  return t->o.should_stop != NULL && t->o.should_stop(t->o.user) != 0;
}

static q8_status write_log(q8_trainer *t) {
  if (t->o.log == NULL) return Q8_OK;
  const void *parts[1] = {t->log.s};
  const size_t sizes[1] = {t->log.size};
  const q8_status st = q8_file_write_atomic(t->o.log, parts, sizes, 1, &t->error);
  if (st != Q8_OK) q8_error_prefix(&t->error, "log");
  return st;
}

static q8_status save_checkpoint(q8_trainer *t) {
  if (t->o.checkpoint == NULL) return Q8_OK;
  q8t_checkpoint_info info = t->expected;
  info.phase = t->phase;
  info.step = t->step;
  info.epoch = (int32_t)(t->step / t->steps_per_epoch);
  info.progress = t->progress;
  info.log = t->log.s;
  info.log_size = t->log.size;
  return q8t_checkpoint_write(t->o.checkpoint, t->graph, &info, &t->error);
}

/* ---- construction ---- */

static q8_status load_data(q8_trainer *t, q8_error *error) {
  const char *dir = t->o.data_dir != NULL ? t->o.data_dir : Q8_DATASET_DEFAULT_DIR;
  q8_status st = q8_dataset_load(dir, "train", t->o.limit, &t->train_ds, error);
  if (st == Q8_OK) st = q8_dataset_load(dir, "t10k", t->o.test_limit, &t->test_ds, error);
  if (st != Q8_OK) return st;
  if (t->train_ds.count == 0 || t->test_ds.count == 0)
    return q8_fail(error, Q8_ERROR_MALFORMED, "%s: the %s split has no images", dir,
                   t->train_ds.count == 0 ? "train" : "t10k");
  t->train = (q8t_images){t->train_ds.images, t->train_ds.labels, (int64_t)t->train_ds.count,
                          Q8_DATASET_ROWS,    Q8_DATASET_COLS,    1};
  t->test = (q8t_images){t->test_ds.images, t->test_ds.labels, (int64_t)t->test_ds.count,
                         Q8_DATASET_ROWS,   Q8_DATASET_COLS,   1};
  t->steps_per_epoch = (t->train.count + RECIPE_BATCH - 1) / RECIPE_BATCH;
  return Q8_OK;
}

static q8_status build_graph(q8_trainer *t, q8_error *error) {
  const q8t_graph_options go = {.batch = RECIPE_BATCH, .threads = t->o.threads};
  int32_t logits;
  q8_status st = q8t_graph_init(&go, &t->graph, error);
  if (st == Q8_OK) st = q8t_model_build(t->graph, t->o.model, &logits, error);
  if (st != Q8_OK) return st;
  st = q8t_graph_allocate(t->graph);
  if (st == Q8_OK) st = q8t_graph_init_parameters(t->graph, t->o.seed);
  if (st != Q8_OK)
    return q8_fail(error, st, "%s: %s", t->o.model, t->graph->error.message);
  return Q8_OK;
}

static int32_t cpus_online(void) {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus >= 1 && cpus <= MAX_THREADS ? (int32_t)cpus : 1;
}

/* Steps left over both phases from where the trainer stands. */
static int64_t steps_left(const q8_trainer *t) {
  const int64_t float_total = t->steps_per_epoch * t->o.epochs;
  const int64_t qat_total = t->o.qat_epochs > 0 ? t->steps_per_epoch * t->o.qat_epochs : 0;
  return t->phase == Q8T_PHASE_FLOAT ? float_total - t->step + qat_total : qat_total - t->step;
}

q8_status q8_trainer_init(const q8_trainer_options *options, q8_trainer **trainer,
                          q8_error *error) {
  if (trainer == NULL || options == NULL)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "q8_trainer_init: %s is NULL",
                   trainer == NULL ? "trainer" : "options");
  *trainer = NULL;
  q8_status st = check_options(options, error);
  if (st != Q8_OK) return st;
  q8_trainer *t = calloc(1, sizeof *t);
  if (t == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory (trainer)");
  t->o = *options;
  if (t->o.threads == 0) t->o.threads = cpus_online();
  t->float_accuracy = -1;
  st = load_data(t, error);
  if (st == Q8_OK)
    st = add_options(&t->expected, &t->o, t->train.count, t->test.count, error);
  if (st == Q8_OK) st = build_graph(t, error);
  if (st == Q8_OK && !text_append(&t->log, log_header, strlen(log_header)))
    st = q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory (log)");
  if (st != Q8_OK) {
    q8_trainer_free(t);
    return st;
  }
  t->remaining_steps = steps_left(t);
  *trainer = t;
  return Q8_OK;
}

void q8_trainer_free(q8_trainer *t) {
  if (t == NULL) return;
  q8t_graph_free(t->graph);
  free(t->log.s);
  q8_dataset_free(&t->train_ds);
  q8_dataset_free(&t->test_ds);
  free(t);
}

const char *q8_trainer_last_error(const q8_trainer *t) {
  return t != NULL ? t->error.message : "no trainer";
}

static q8_status begin_call(q8_trainer *t) {
  if (t == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  t->error.message[0] = 0;
  return Q8_OK;
}

q8_status q8_trainer_get_info(const q8_trainer *t, q8_trainer_info *info) {
  if (t == NULL || info == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  const bool qat_phase = t->phase == Q8T_PHASE_QAT;
  const int32_t epochs = qat_phase ? t->o.qat_epochs : t->o.epochs;
  const bool phase_done = t->step >= t->steps_per_epoch * epochs;
  *info = (q8_trainer_info){
      .model = t->o.model,
      .train_images = t->train.count,
      .test_images = t->test.count,
      .batch = RECIPE_BATCH,
      .threads = t->o.threads,
      .engine_isa = q8t_isa_name(t->graph->isa),
      .matrix_backend = q8t_gemm_backend_name(t->graph->options.gemm),
      .phase = qat_phase ? Q8_TRAIN_PHASE_QAT : Q8_TRAIN_PHASE_FLOAT,
      .phase_epochs = epochs,
      .step = t->step,
      .steps_per_epoch = t->steps_per_epoch,
      .calibration_images = calibration_images(t),
      .phase_done = phase_done,
      .finished = phase_done && (qat_phase || t->o.qat_epochs == 0),
      .quantization_aware = q8t_qat_prepared(t->graph),
  };
  return Q8_OK;
}

/* ---- training ---- */

/* Rewrites the float graph for quantization-aware training; calibrate: start the ranges from
   a calibration pass (a fresh QAT phase; a resumed one restores them). */
static q8_status prepare_qat(q8_trainer *t, bool calibrate) {
  const q8t_qat_options o = qat_options(&t->o, t->steps_per_epoch);
  q8_status st = q8t_qat_prepare(t->graph, &o, &t->error);
  if (st == Q8_OK && calibrate)
    st = q8t_qat_calibrate(t->graph, &t->train, calibration_images(t), &t->error);
  if (st != Q8_OK) q8_error_prefix(&t->error, "quantization-aware training");
  return st;
}

static void report_progress(q8_trainer *t, const q8t_step_report *rep) {
  if (t->o.on_progress == NULL) return;
  const q8t_epoch_progress *p = &t->progress;
  const double rate = t->session_seconds > 0 ? (double)t->session_images / t->session_seconds : 0;
  const double steps_rate = rate / RECIPE_BATCH;
  const q8_train_progress out = {
      .phase = t->phase == Q8T_PHASE_QAT ? Q8_TRAIN_PHASE_QAT : Q8_TRAIN_PHASE_FLOAT,
      .epoch = rep->epoch,
      .epochs = t->phase_epochs,
      .step = rep->step,
      .steps_per_epoch = t->steps_per_epoch,
      .loss = rep->loss,
      .learning_rate = rep->learning_rate,
      .epoch_loss = p->images ? p->loss_sum / (double)p->images : 0,
      .epoch_accuracy = p->images ? (double)p->correct / (double)p->images : 0,
      .images_per_second = rate,
      .remaining_steps = t->remaining_steps,
      .eta_seconds = steps_rate > 0 ? (double)t->remaining_steps / steps_rate : 0,
  };
  t->o.on_progress(t->o.user, &out);
}

static bool on_step(void *user, const q8t_step_report *rep) {
  q8_trainer *t = user;
  const double now = seconds_now();
  const int64_t n = batch_images(t, rep->step);
  t->progress.loss_sum += (double)rep->loss * (double)n;
  t->progress.correct += q8t_count_correct(t->graph);
  t->progress.images += n;
  t->progress.seconds += now - t->last_time;
  t->session_seconds += now - t->last_time;
  t->session_images += n;
  t->last_time = now;
  t->step = rep->step + 1;
  t->remaining_steps--;
  report_progress(t, rep);
  /* The last step of an epoch stops in on_epoch, after the epoch is logged and saved. */
  const bool last_of_epoch = t->step % t->steps_per_epoch == 0;
  return last_of_epoch || !stop_requested(t);
}

/* Test accuracy, the epoch's report and log line, the log and the checkpoint. */
static q8_status finish_epoch(q8_trainer *t, const q8t_step_report *rep) {
  q8t_eval_result test;
  q8_status st = q8t_evaluate(t->graph, &t->test, &test, &t->error);
  if (st != Q8_OK) {
    q8_error_prefix(&t->error, "evaluating");
    return st;
  }
  const q8_train_epoch e = {
      .phase = t->phase == Q8T_PHASE_QAT ? Q8_TRAIN_PHASE_QAT : Q8_TRAIN_PHASE_FLOAT,
      .epoch = rep->epoch,
      .epochs = t->phase_epochs,
      .loss = t->progress.loss_sum / (double)t->progress.images,
      .train_accuracy = (double)t->progress.correct / (double)t->progress.images,
      .test_accuracy = test.accuracy,
      .learning_rate = rep->learning_rate,
      .seconds = t->progress.seconds,
  };
  char line[256];
  const int n = snprintf(line, sizeof line, "%s,%d,%.6f,%.6f,%.6f,%.6g,%.2f\n",
                         q8t_phase_name(t->phase), (int)rep->epoch + 1, e.loss, e.train_accuracy,
                         e.test_accuracy, (double)e.learning_rate, e.seconds);
  if (t->o.on_epoch != NULL) t->o.on_epoch(t->o.user, &e);
  memset(&t->progress, 0, sizeof t->progress);
  if (!text_append(&t->log, line, (size_t)n))
    return q8_fail(&t->error, Q8_ERROR_OUT_OF_MEMORY, "out of memory (log)");
  st = write_log(t);
  if (st == Q8_OK) st = save_checkpoint(t);
  t->last_time = seconds_now(); /* evaluation and saving are not training time */
  return st;
}

static bool on_epoch(void *user, const q8t_step_report *rep) {
  q8_trainer *t = user;
  t->callback_status = finish_epoch(t, rep);
  return t->callback_status == Q8_OK && !stop_requested(t);
}

/* Runs one phase from t->step to its end, or until should_stop (then saved). */
static q8_status run_phase(q8_trainer *t, q8t_phase phase, int32_t epochs, float lr,
                           uint64_t seed) {
  if (t->phase != phase) {
    t->phase = phase;
    t->step = 0;
    memset(&t->progress, 0, sizeof t->progress);
  }
  t->phase_epochs = epochs;
  q8t_train_options o = q8t_train_recipe();
  o.epochs = epochs;
  o.learning_rate = lr;
  o.seed = seed;
  o.start_step = t->step;
  o.on_step = on_step;
  o.on_epoch = on_epoch;
  o.user = t;
  q8t_train_result result = {.stopped = false};
  t->callback_status = Q8_OK;
  t->last_time = seconds_now();
  if (stop_requested(t)) {
    result.stopped = true;
  } else {
    const q8_status st = q8t_train(t->graph, &t->train, &o, &result, &t->error);
    if (st != Q8_OK) {
      q8_error_prefix(&t->error, "training");
      return st;
    }
  }
  if (t->callback_status != Q8_OK) return t->callback_status;
  return result.stopped ? save_checkpoint(t) : Q8_OK;
}

q8_status q8_trainer_train(q8_trainer *t, q8_train_phase last) {
  if (begin_call(t) != Q8_OK) return Q8_ERROR_INVALID_ARGUMENT;
  if (last != Q8_TRAIN_PHASE_FLOAT && last != Q8_TRAIN_PHASE_QAT)
    return q8_fail(&t->error, Q8_ERROR_INVALID_ARGUMENT,
                   "q8_trainer_train: last phase %d is neither float nor qat", (int)last);
  if (t->phase == Q8T_PHASE_FLOAT) {
    const q8_status st = run_phase(t, Q8T_PHASE_FLOAT, t->o.epochs, recipe_lr, t->o.seed);
    if (st != Q8_OK || t->step < t->steps_per_epoch * t->o.epochs) return st;
  }
  if (last == Q8_TRAIN_PHASE_FLOAT || t->o.qat_epochs == 0) return Q8_OK;
  if (t->phase == Q8T_PHASE_FLOAT) {
    q8t_eval_result fl;
    q8_status st = q8t_evaluate(t->graph, &t->test, &fl, &t->error);
    if (st != Q8_OK) {
      q8_error_prefix(&t->error, "evaluating");
      return st;
    }
    t->float_accuracy = fl.accuracy;
    st = prepare_qat(t, true);
    if (st != Q8_OK) return st;
  }
  return run_phase(t, Q8T_PHASE_QAT, t->o.qat_epochs, recipe_qat_lr,
                   t->o.seed ^ qat_shuffle_salt);
}

/* ---- resuming ---- */

/* The test accuracy of the last float epoch, from the log ("float,E,loss,train,test,..."); -1
   when the log has none. */
static double logged_float_accuracy(const text *log) {
  double accuracy = -1;
  for (const char *line = log->s; line != NULL && *line != 0;) {
    double test;
    if (sscanf(line, "float,%*d,%*f,%*f,%lf,", &test) == 1) accuracy = test;
    line = strchr(line, '\n');
    if (line != NULL) line++;
  }
  return accuracy;
}

static q8_status restore(q8_trainer *t, const q8t_checkpoint *ck) {
  const q8t_checkpoint_info *info = q8t_checkpoint_get_info(ck);
  /* A QAT checkpoint holds the rewritten graph's tensors (ranges, clocks): rewrite first. */
  if (info->phase == Q8T_PHASE_QAT && !q8t_qat_prepared(t->graph)) {
    const q8_status st = prepare_qat(t, false);
    if (st != Q8_OK) return st;
  }
  q8_status st = q8t_checkpoint_restore(ck, t->graph, &t->error);
  if (st != Q8_OK) return st;
  t->phase = info->phase;
  t->step = info->step;
  t->progress = info->progress;
  t->log.size = 0;
  if (!text_append(&t->log, info->log != NULL ? info->log : "", info->log_size))
    return q8_fail(&t->error, Q8_ERROR_OUT_OF_MEMORY, "out of memory (log)");
  t->float_accuracy = t->phase == Q8T_PHASE_QAT ? logged_float_accuracy(&t->log) : -1;
  t->remaining_steps = steps_left(t);
  return write_log(t);
}

q8_status q8_trainer_resume(q8_trainer *t, const char *path) {
  if (begin_call(t) != Q8_OK) return Q8_ERROR_INVALID_ARGUMENT;
  if (path == NULL) return q8_fail(&t->error, Q8_ERROR_INVALID_ARGUMENT, "resume: path is NULL");
  if (t->phase != Q8T_PHASE_FLOAT || t->step != 0 || q8t_qat_prepared(t->graph))
    return q8_fail(&t->error, Q8_ERROR_STATE,
                   "resume %s: this trainer has trained already; resume a fresh one", path);
  q8t_checkpoint *ck = NULL;
  q8_status st = q8t_checkpoint_read(path, &ck, &t->error);
  if (st == Q8_OK)
    st = q8t_checkpoint_check(ck, t->o.model, t->expected.options, t->expected.n_options,
                              &t->error);
  if (st == Q8_OK) st = restore(t, ck);
  q8t_checkpoint_free(ck);
  return st;
}

/* ---- export and evaluation ---- */

static void fill_report(const q8_trainer *t, const q8t_export_report *r, bool learned,
                        q8_train_export_report *out) {
  if (out == NULL) return;
  *out = (q8_train_export_report){.bytes = r->bytes,
                                  .operators = r->operators,
                                  .scheme = t->o.scheme,
                                  .ranges_learned = learned,
                                  .calibration_images = learned ? 0 : calibration_images(t)};
  snprintf(out->notes, sizeof out->notes, "%s", r->notes);
}

/* Post-training quantization: calibration runs the graph in inference mode, so the training
   that may follow is unchanged. */
static q8_status export_calibrated(q8_trainer *t, const char *path, q8_train_export_report *out) {
  const q8t_export_options eo = {.scheme = engine_scheme(t->o.scheme),
                                 .weight_bits = t->o.weight_bits,
                                 .activation_bits = t->o.activation_bits};
  q8t_export_report report;
  const q8_status st = q8t_ptq_export(t->graph, &t->train, calibration_images(t), &eo, path,
                                      &report, &t->error);
  if (st == Q8_OK) fill_report(t, &report, false, out);
  return st;
}

/* The ranges quantization-aware training learned, into the converter. */
static q8_status export_learned(q8_trainer *t, const char *path, q8_train_export_report *out) {
  q8t_ranges ranges;
  q8t_export_report report;
  const q8t_export_options eo = q8t_qat_export_options(t->graph);
  q8_status st = q8t_ranges_init(t->graph, &ranges, &t->error);
  if (st != Q8_OK) return st;
  st = q8t_qat_ranges(t->graph, &ranges, &t->error);
  if (st == Q8_OK) st = q8t_export_file(t->graph, &ranges, &eo, path, &report, &t->error);
  q8t_ranges_free(&ranges);
  if (st == Q8_OK) fill_report(t, &report, true, out);
  return st;
}

q8_status q8_trainer_export(q8_trainer *t, const char *path, q8_train_export_report *report) {
  if (begin_call(t) != Q8_OK) return Q8_ERROR_INVALID_ARGUMENT;
  if (path == NULL) return q8_fail(&t->error, Q8_ERROR_INVALID_ARGUMENT, "export: path is NULL");
  const q8_status st = q8t_qat_prepared(t->graph) ? export_learned(t, path, report)
                                                  : export_calibrated(t, path, report);
  if (st != Q8_OK) q8_error_prefix(&t->error, "export");
  return st;
}

q8_status q8_trainer_export_ptq(q8_trainer *t, const char *path, q8_train_export_report *report) {
  if (begin_call(t) != Q8_OK) return Q8_ERROR_INVALID_ARGUMENT;
  if (path == NULL)
    return q8_fail(&t->error, Q8_ERROR_INVALID_ARGUMENT, "post-training quantization: path is NULL");
  if (q8t_qat_prepared(t->graph))
    return q8_fail(&t->error, Q8_ERROR_STATE,
                   "post-training quantization: quantization-aware training began; the float "
                   "model it would quantize is gone");
  const q8_status st = export_calibrated(t, path, report);
  if (st != Q8_OK) q8_error_prefix(&t->error, "post-training quantization");
  return st;
}

q8_status q8_trainer_evaluate(q8_trainer *t, q8_train_evaluation *evaluation) {
  if (begin_call(t) != Q8_OK) return Q8_ERROR_INVALID_ARGUMENT;
  if (evaluation == NULL)
    return q8_fail(&t->error, Q8_ERROR_INVALID_ARGUMENT, "evaluating: evaluation is NULL");
  q8t_eval_result r;
  const q8_status st = q8t_evaluate(t->graph, &t->test, &r, &t->error);
  if (st != Q8_OK) {
    q8_error_prefix(&t->error, "evaluating");
    return st;
  }
  *evaluation = (q8_train_evaluation){.accuracy = r.accuracy,
                                      .loss = r.loss,
                                      .quantization_aware = q8t_qat_prepared(t->graph),
                                      .float_accuracy = t->float_accuracy,
                                      .images = r.images};
  return Q8_OK;
}

q8_status q8_trainer_evaluate_file(q8_trainer *t, const char *path, double *accuracy) {
  if (begin_call(t) != Q8_OK) return Q8_ERROR_INVALID_ARGUMENT;
  if (path == NULL || accuracy == NULL)
    return q8_fail(&t->error, Q8_ERROR_INVALID_ARGUMENT, "evaluating: %s is NULL",
                   path == NULL ? "path" : "accuracy");
  return q8_classifier_accuracy_file(path, NULL, &t->test_ds, accuracy, &t->error);
}
