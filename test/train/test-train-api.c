/* The training API through its public headers only (q8/q8-train.h, q8/q8.h): fm-cnn on the
   first 256 Fashion-MNIST images (4 steps an epoch), 2 float epochs and 1 QAT epoch, 1 thread.
   Checks: bad options are refused naming the option; progress comes after every step with
   increasing steps; the export prepares and runs in the integer runtime and its accuracy is
   measured; the same seed gives the same file and accuracies (a post-training export between
   the phases changes nothing); a run stopped in the float phase and again in the QAT phase and
   resumed from its checkpoint each time writes the same model and log as the straight run; a
   checkpoint is refused for a run with another seed or other batch-norm statistics. Skipped, by name, when the data set is
   absent (Debian dataset-fashion-mnist). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "q8/q8-train.h"
#include "q8/q8.h"
#include "util/test-util.h"

enum { LIMIT = 256, TEST_LIMIT = 200, EPOCHS = 2, QAT_EPOCHS = 1, STEPS_PER_EPOCH = 4 };
enum { TOTAL_STEPS = STEPS_PER_EPOCH * (EPOCHS + QAT_EPOCHS) };

static char dir[64];

static const char *path_in_dir(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", dir, name);
  return buf;
}

/* What the callbacks saw, and when to ask for a stop. */
typedef struct watch {
  int steps;                /* progress calls */
  int epochs;               /* epoch calls */
  int64_t last_global_step; /* over both phases, -1 before the first */
  bool increasing;          /* every step followed the previous one */
  int64_t first_global_step;
  int64_t stop_at;          /* stop once this many global steps are done; -1: never */
} watch;

static int64_t global_step(const q8_train_progress *p) {
  return (p->phase == Q8_TRAIN_PHASE_QAT ? STEPS_PER_EPOCH * EPOCHS : 0) + p->step;
}

static void on_progress(void *user, const q8_train_progress *p) {
  watch *w = user;
  const int64_t g = global_step(p);
  if (w->steps == 0) w->first_global_step = g;
  if (w->steps > 0 && g != w->last_global_step + 1) w->increasing = false;
  if (!(p->epoch_accuracy >= 0 && p->epoch_accuracy <= 1) || !(p->loss > 0)) w->increasing = false;
  if (p->steps_per_epoch != STEPS_PER_EPOCH) w->increasing = false;
  w->last_global_step = g;
  w->steps++;
}

static void on_epoch(void *user, const q8_train_epoch *e) {
  watch *w = user;
  (void)e;
  w->epochs++;
}

static int should_stop(void *user) {
  const watch *w = user;
  return w->stop_at >= 0 && w->last_global_step + 1 >= w->stop_at;
}

static watch new_watch(int64_t stop_at) {
  return (watch){.last_global_step = -1, .increasing = true, .stop_at = stop_at};
}

static q8_trainer_options recipe(watch *w, const char *checkpoint) {
  q8_trainer_options o = q8_trainer_options_default();
  o.model = "fm-cnn";
  o.epochs = EPOCHS;
  o.qat_epochs = QAT_EPOCHS;
  o.limit = LIMIT;
  o.test_limit = TEST_LIMIT;
  o.threads = 1;
  o.seed = 11;
  o.checkpoint = checkpoint;
  o.on_progress = on_progress;
  o.on_epoch = on_epoch;
  o.should_stop = should_stop;
  o.user = w;
  return o;
}

/* A file's text, NUL-terminated (malloc'd), or NULL. */
static char *read_text(const char *path) {
  size_t n = 0;
  char *data = t_read_file(path, &n);
  char *text = data != NULL ? realloc(data, n + 1) : NULL;
  if (text == NULL) {
    free(data);
    return NULL;
  }
  text[n] = 0;
  return text;
}

/* The CSV logs of two runs, line by line without the last field (seconds). */
static bool same_logs(const char *a, const char *b) {
  char *ta = read_text(a), *tb = read_text(b);
  bool same = ta != NULL && tb != NULL;
  char *sa = NULL, *sb = NULL;
  char *la = same ? strtok_r(ta, "\n", &sa) : NULL, *lb = same ? strtok_r(tb, "\n", &sb) : NULL;
  for (; same && (la != NULL || lb != NULL);
       la = strtok_r(NULL, "\n", &sa), lb = strtok_r(NULL, "\n", &sb)) {
    const char *ca = la != NULL ? strrchr(la, ',') : NULL, *cb = lb != NULL ? strrchr(lb, ',') : NULL;
    same = ca != NULL && cb != NULL && ca - la == cb - lb && memcmp(la, lb, (size_t)(ca - la)) == 0;
  }
  free(ta);
  free(tb);
  return same;
}

static bool same_files(const char *a, const char *b) {
  size_t na = 0, nb = 0;
  void *da = t_read_file(a, &na), *db = t_read_file(b, &nb);
  const bool same = da != NULL && db != NULL && na == nb && memcmp(da, db, na) == 0;
  free(da);
  free(db);
  return same;
}

/* Options that must be refused, each with the words its message must hold. */
static void check_refused(const char *what, q8_trainer_options o, q8_status want,
                          const char *word1, const char *word2) {
  q8_trainer *t = (q8_trainer *)&o; /* must come back NULL */
  q8_error err = {{0}};
  const q8_status st = q8_trainer_init(&o, &t, &err);
  T_CHECK(st == want, "%s: status %s, want %s (%s)", what, q8_status_name(st),
          q8_status_name(want), err.message);
  T_CHECK(t == NULL, "%s: the trainer is not NULL after a refusal", what);
  T_CHECK(strstr(err.message, word1) != NULL && strstr(err.message, word2) != NULL,
          "%s: message '%s' lacks '%s' or '%s'", what, err.message, word1, word2);
  if (st == Q8_OK) q8_trainer_free(t);
}

static void check_bad_options(void) {
  watch w = new_watch(-1);
  q8_trainer_options o = recipe(&w, NULL);
  o.model = "fm-vgg";
  check_refused("unknown model", o, Q8_ERROR_INVALID_ARGUMENT, "options.model", "'fm-vgg'");
  o = recipe(&w, NULL);
  o.model = NULL;
  check_refused("no model", o, Q8_ERROR_INVALID_ARGUMENT, "options.model", "fm-cnn");
  o = recipe(&w, NULL);
  o.weight_bits = 9;
  check_refused("9 weight bits", o, Q8_ERROR_INVALID_ARGUMENT, "options.weight_bits", "9");
  o = recipe(&w, NULL);
  o.activation_bits = 1;
  check_refused("1 activation bit", o, Q8_ERROR_INVALID_ARGUMENT, "options.activation_bits",
                "2 to 8");
  o = recipe(&w, NULL);
  o.epochs = -1;
  check_refused("negative epochs", o, Q8_ERROR_INVALID_ARGUMENT, "options.epochs", "-1");
  o = recipe(&w, NULL);
  o.scheme = (q8_train_scheme)7;
  check_refused("unknown scheme", o, Q8_ERROR_INVALID_ARGUMENT, "options.scheme", "7");
  o = recipe(&w, NULL);
  o.bn_statistics = (q8_train_bn_statistics)2;
  check_refused("unknown batch-norm statistics", o, Q8_ERROR_INVALID_ARGUMENT,
                "options.bn_statistics", "2");
  o = recipe(&w, NULL);
  o.rounding = (q8_train_rounding)-1;
  check_refused("unknown rounding", o, Q8_ERROR_INVALID_ARGUMENT, "options.rounding", "-1");
  char missing[128];
  o = recipe(&w, NULL);
  o.data_dir = path_in_dir(missing, sizeof missing, "no-such-data");
  check_refused("missing data directory", o, Q8_ERROR_IO, missing, "dataset-fashion-mnist");
  T_CHECK(q8_trainer_init(NULL, NULL, NULL) == Q8_ERROR_INVALID_ARGUMENT, "NULL options");
  T_CHECK(strcmp(q8_train_model_name(0), "fm-cnn") == 0 && q8_train_model_name(3) == NULL &&
              q8_train_model_name(-1) == NULL,
          "model names");
}

/* The run's results worth comparing. */
typedef struct outcome {
  double engine, before_qat, integer;
} outcome;

/* Trains t from where it stands to the end, exports to model, measures. */
static bool finish(q8_trainer *t, const char *model, outcome *out) {
  q8_train_export_report report;
  q8_train_evaluation ev;
  bool ok = q8_trainer_train(t, Q8_TRAIN_PHASE_QAT) == Q8_OK &&
            q8_trainer_export(t, model, &report) == Q8_OK && q8_trainer_evaluate(t, &ev) == Q8_OK &&
            q8_trainer_evaluate_file(t, model, &out->integer) == Q8_OK;
  T_CHECK(ok, "training to the end and exporting %s: %s", model, q8_trainer_last_error(t));
  if (!ok) return false;
  T_CHECK(report.ranges_learned && report.operators == 7 && report.bytes > 1000 &&
              report.scheme == Q8_TRAIN_SCHEME_INT8,
          "export report: learned %d, %d operators, %zu bytes", report.ranges_learned,
          (int)report.operators, report.bytes);
  T_CHECK(ev.quantization_aware && ev.images == TEST_LIMIT && ev.float_accuracy >= 0,
          "evaluation: qat %d, %lld images, float before QAT %g", ev.quantization_aware,
          (long long)ev.images, ev.float_accuracy);
  out->engine = ev.accuracy;
  out->before_qat = ev.float_accuracy;
  return true;
}

/* The written model prepares and runs in the integer runtime (q8.h alone). */
static void check_runs(const char *model) {
  q8_model *m = NULL;
  q8_interp *in = NULL;
  q8_error err = {{0}};
  T_CHECK(q8_model_load_file(model, &m, &err) == Q8_OK &&
              q8_interp_init(m, NULL, &in, &err) == Q8_OK,
          "%s: %s", model, err.message);
  if (in == NULL) {
    q8_model_free(m);
    return;
  }
  q8_tensor_info input, output;
  q8_interp_input_info(in, 0, &input);
  q8_interp_output_info(in, 0, &output);
  T_CHECK(input.type == Q8_TYPE_INT8 && input.bytes == 28 * 28 && output.bytes == 10,
          "%s: input %s of %zu bytes, output of %zu bytes", model, q8_type_name(input.type),
          input.bytes, output.bytes);
  uint8_t image[28 * 28] = {0}, scores[10];
  T_CHECK(q8_interp_set_input(in, 0, image, sizeof image) == Q8_OK &&
              q8_interp_invoke(in) == Q8_OK &&
              q8_interp_get_output(in, 0, scores, sizeof scores) == Q8_OK,
          "%s: invoke: %s", model, q8_interp_last_error(in));
  q8_interp_free(in);
  q8_model_free(m);
}

/* The straight run, with a post-training export between the phases and a log. */
static bool straight_run(const char *model, outcome *out) {
  char ptq[128], log[128];
  watch w = new_watch(-1);
  q8_trainer_options o = recipe(&w, NULL);
  o.log = path_in_dir(log, sizeof log, "straight.csv");
  q8_trainer *t = NULL;
  q8_error err;
  if (q8_trainer_init(&o, &t, &err) != Q8_OK) {
    T_CHECK(false, "init: %s", err.message);
    return false;
  }
  q8_trainer_info info;
  q8_trainer_get_info(t, &info);
  T_CHECK(info.train_images == LIMIT && info.test_images == TEST_LIMIT && info.threads == 1 &&
              info.steps_per_epoch == STEPS_PER_EPOCH && info.step == 0 && !info.finished,
          "info: %lld/%lld images, %d threads, %lld steps an epoch", (long long)info.train_images,
          (long long)info.test_images, (int)info.threads, (long long)info.steps_per_epoch);
  T_CHECK(q8_trainer_train(t, Q8_TRAIN_PHASE_FLOAT) == Q8_OK, "float: %s", q8_trainer_last_error(t));
  q8_trainer_get_info(t, &info);
  T_CHECK(info.phase == Q8_TRAIN_PHASE_FLOAT && info.phase_done && !info.finished &&
              !info.quantization_aware,
          "after the float phase: phase %s, done %d", q8_train_phase_name(info.phase),
          info.phase_done);
  q8_train_export_report report;
  double ptq_accuracy = -1;
  T_CHECK(q8_trainer_export_ptq(t, path_in_dir(ptq, sizeof ptq, "ptq.tflite"), &report) == Q8_OK &&
              q8_trainer_evaluate_file(t, ptq, &ptq_accuracy) == Q8_OK,
          "post-training export: %s", q8_trainer_last_error(t));
  T_CHECK(!report.ranges_learned && report.calibration_images == LIMIT && ptq_accuracy >= 0 &&
              ptq_accuracy <= 1,
          "post-training export: learned %d, calibrated on %lld, accuracy %g",
          report.ranges_learned, (long long)report.calibration_images, ptq_accuracy);
  check_runs(ptq);
  const bool ok = finish(t, model, out);
  T_CHECK(q8_trainer_export_ptq(t, ptq, NULL) == Q8_ERROR_STATE &&
              strstr(q8_trainer_last_error(t), "quantization-aware") != NULL,
          "post-training export after QAT: %s", q8_trainer_last_error(t));
  T_CHECK(w.steps == TOTAL_STEPS && w.increasing && w.first_global_step == 0,
          "progress: %d calls (want %d), increasing %d", w.steps, TOTAL_STEPS, w.increasing);
  T_CHECK(w.epochs == EPOCHS + QAT_EPOCHS, "epoch reports: %d", w.epochs);
  size_t log_size = 0;
  char *text = t_read_file(log, &log_size);
  int lines = 0;
  for (size_t i = 0; text != NULL && i < log_size; i++) lines += text[i] == '\n';
  T_CHECK(text != NULL && strncmp(text, "phase,epoch,", 12) == 0 &&
              lines == 1 + EPOCHS + QAT_EPOCHS,
          "log %s: %d lines", log, lines);
  free(text);
  q8_trainer_free(t);
  return ok;
}

/* The same options without the post-training export: the same file, the same accuracies. */
static void check_reproducible(const char *straight, const outcome *first) {
  char again[128];
  watch w = new_watch(-1);
  const q8_trainer_options o = recipe(&w, NULL);
  q8_trainer *t = NULL;
  q8_error err;
  T_CHECK(q8_trainer_init(&o, &t, &err) == Q8_OK, "init: %s", err.message);
  outcome out;
  if (t != NULL && finish(t, path_in_dir(again, sizeof again, "again.tflite"), &out)) {
    T_CHECK(same_files(straight, again), "the same seed wrote another model");
    T_CHECK(out.engine == first->engine && out.integer == first->integer &&
                out.before_qat == first->before_qat,
            "accuracies %g %g %g, first run %g %g %g", out.engine, out.integer, out.before_qat,
            first->engine, first->integer, first->before_qat);
  }
  q8_trainer_free(t);
}

/* A trainer resumed from checkpoint (NULL: fresh) that stops after stop_at global steps (-1:
   runs to the end, exports to model and measures). */
static q8_trainer *resumed_run(const char *checkpoint, const char *resume, int64_t stop_at,
                               watch *w) {
  *w = new_watch(stop_at);
  static char log[128];
  q8_trainer_options o = recipe(w, checkpoint);
  o.log = path_in_dir(log, sizeof log, "resumed.csv");
  q8_trainer *t = NULL;
  q8_error err;
  if (q8_trainer_init(&o, &t, &err) != Q8_OK) {
    T_CHECK(false, "init: %s", err.message);
    return NULL;
  }
  if (resume != NULL && q8_trainer_resume(t, resume) != Q8_OK) {
    T_CHECK(false, "resume %s: %s", resume, q8_trainer_last_error(t));
    q8_trainer_free(t);
    return NULL;
  }
  return t;
}

static void check_stop_and_resume(const char *straight, const outcome *first) {
  char ck[128], model[128];
  path_in_dir(ck, sizeof ck, "run.ckpt");
  watch w;
  /* Stopped in the second float epoch, after 6 of its 8 steps. */
  q8_trainer *t = resumed_run(ck, NULL, 6, &w);
  if (t == NULL) return;
  q8_trainer_info info;
  T_CHECK(q8_trainer_train(t, Q8_TRAIN_PHASE_QAT) == Q8_OK, "stopped run: %s",
          q8_trainer_last_error(t));
  q8_trainer_get_info(t, &info);
  T_CHECK(info.phase == Q8_TRAIN_PHASE_FLOAT && info.step == 6 && !info.phase_done &&
              !info.finished && w.steps == 6,
          "stop in the float phase: %s step %lld, %d progress calls",
          q8_train_phase_name(info.phase), (long long)info.step, w.steps);
  T_CHECK(access(ck, F_OK) == 0, "no checkpoint %s", ck);
  q8_trainer_free(t);

  /* Resumed, stopped again after the first QAT step. */
  t = resumed_run(ck, ck, 2 * STEPS_PER_EPOCH + 1, &w);
  if (t == NULL) return;
  q8_trainer_get_info(t, &info);
  T_CHECK(info.step == 6, "resumed at step %lld, want 6", (long long)info.step);
  T_CHECK(q8_trainer_train(t, Q8_TRAIN_PHASE_QAT) == Q8_OK, "%s", q8_trainer_last_error(t));
  q8_trainer_get_info(t, &info);
  T_CHECK(info.phase == Q8_TRAIN_PHASE_QAT && info.step == 1 && info.quantization_aware &&
              !info.finished && w.first_global_step == 6 && w.increasing,
          "stop in the QAT phase: %s step %lld, first step seen %lld",
          q8_train_phase_name(info.phase), (long long)info.step, (long long)w.first_global_step);
  q8_trainer_free(t);

  /* Resumed to the end: the straight run's model and accuracies. */
  t = resumed_run(ck, ck, -1, &w);
  if (t == NULL) return;
  outcome out;
  if (finish(t, path_in_dir(model, sizeof model, "resumed.tflite"), &out)) {
    T_CHECK(same_files(straight, model), "stopped twice and resumed: another model");
    char log[128], resumed_log[128];
    T_CHECK(same_logs(path_in_dir(log, sizeof log, "straight.csv"),
                      path_in_dir(resumed_log, sizeof resumed_log, "resumed.csv")),
            "stopped twice and resumed: another log (seconds aside)");
    T_CHECK(out.engine == first->engine && out.integer == first->integer &&
                out.before_qat == first->before_qat,
            "resumed accuracies %g %g %g, straight run %g %g %g", out.engine, out.integer,
            out.before_qat, first->engine, first->integer, first->before_qat);
    T_CHECK(w.first_global_step == 2 * STEPS_PER_EPOCH + 1 && w.increasing, "first step %lld",
            (long long)w.first_global_step);
  }
  q8_trainer_free(t);

  /* A run with another seed must not continue this one. */
  watch other_w = new_watch(-1);
  q8_trainer_options other = recipe(&other_w, NULL);
  other.seed = 12;
  q8_error err;
  t = NULL;
  T_CHECK(q8_trainer_init(&other, &t, &err) == Q8_OK, "init: %s", err.message);
  if (t != NULL) {
    T_CHECK(q8_trainer_resume(t, ck) == Q8_ERROR_INVALID_ARGUMENT &&
                strstr(q8_trainer_last_error(t), "option 'seed' is 11 there, 12 in this run"),
            "resume with another seed: %s", q8_trainer_last_error(t));
    q8_trainer_free(t);
  }
  /* Nor one whose folded batch norms take their statistics elsewhere. */
  other = recipe(&other_w, NULL);
  other.bn_statistics = Q8_TRAIN_BN_STATISTICS_FOLDED;
  t = NULL;
  T_CHECK(q8_trainer_init(&other, &t, &err) == Q8_OK, "init: %s", err.message);
  if (t != NULL) {
    T_CHECK(q8_trainer_resume(t, ck) == Q8_ERROR_INVALID_ARGUMENT &&
                strstr(q8_trainer_last_error(t),
                       "option 'qat-bn-statistics' is unfolded there, folded in this run"),
            "resume with statistics from the folded layer: %s", q8_trainer_last_error(t));
    q8_trainer_free(t);
  }
  /* Nor one that rounds otherwise. */
  other = recipe(&other_w, NULL);
  other.rounding = Q8_TRAIN_ROUNDING_FLOAT;
  t = NULL;
  T_CHECK(q8_trainer_init(&other, &t, &err) == Q8_OK, "init: %s", err.message);
  if (t != NULL) {
    T_CHECK(q8_trainer_resume(t, ck) == Q8_ERROR_INVALID_ARGUMENT &&
                strstr(q8_trainer_last_error(t),
                       "option 'qat-rounding' is integer there, float in this run"),
            "resume with float rounding: %s", q8_trainer_last_error(t));
    q8_trainer_free(t);
  }
}

static void remove_dir(void) {
  const char *names[] = {"straight.tflite", "straight.csv", "ptq.tflite", "again.tflite",
                         "run.ckpt",        "resumed.tflite", "resumed.csv"};
  char path[128];
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    remove(path_in_dir(path, sizeof path, names[i]));
  rmdir(dir);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/q8-test-train-api-XXXXXX");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  /* The data set first: without it only the option checks run. */
  watch w = new_watch(-1);
  const q8_trainer_options probe_options = recipe(&w, NULL);
  q8_trainer *probe = NULL;
  q8_error err;
  if (q8_trainer_init(&probe_options, &probe, &err) != Q8_OK) {
    remove_dir();
    /* The test command installs the data set: there its absence is a failure (but a build
       without zlib, the aarch64 cross build, cannot read Debian's gzipped files). */
    if (t_test_deps_required() && strstr(err.message, "without zlib") == NULL) {
      T_CHECK(false, "Fashion-MNIST: %s", err.message);
      return t_finish();
    }
    return t_skip("train/test-train-api", err.message);
  }
  q8_trainer_free(probe);
  check_bad_options();
  char straight[128];
  outcome first;
  if (straight_run(path_in_dir(straight, sizeof straight, "straight.tflite"), &first)) {
    check_runs(straight);
    T_CHECK(first.integer >= 0 && first.integer <= 1 && first.engine >= 0 && first.engine <= 1,
            "accuracies %g %g", first.integer, first.engine);
    check_reproducible(straight, &first);
    check_stop_and_resume(straight, &first);
  }
  remove_dir();
  return t_finish();
}
