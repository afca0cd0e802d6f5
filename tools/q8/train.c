/* q8 train: trains a reference model on Fashion-MNIST with the training engine (src/train),
   first in float, then with simulated quantization (train/qat.h); checkpoints every epoch and
   on SIGINT, continues exactly from one with --resume; writes a per-epoch CSV log; exports an
   8-bit .tflite through the converter (the learned ranges, or post-training calibration
   without a QAT phase) and reports its accuracy by the integer runtime beside the float and
   fake-quantized ones. Absent from the integer-only build (the engine is float throughout). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "core/error.h"
#include "core/file.h"
#include "data/idx.h"
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
enum { EXIT_INTERRUPTED = 130 }; /* 128 + SIGINT, as shells report it */

typedef struct train_args {
  const char *model, *data, *out, *resume, *checkpoint, *log, *ptq_out;
  int32_t epochs, qat_epochs, threads, wbits, abits;
  int64_t limit, test_limit;
  uint64_t seed;
  q8t_scheme scheme;
  char default_checkpoint[4096];
} train_args;

static void train_usage(FILE *f) {
  fputs(
      "usage: q8 train --model NAME --out FILE.tflite [options]\n"
      "  Trains a reference model on Fashion-MNIST (float phase, then quantization-aware\n"
      "  phase), writes an 8-bit .tflite and reports float and integer test accuracy.\n"
      "  --model NAME       fm-cnn, fm-mobilenet or fm-resnet\n"
      "  --out FILE         the .tflite to write\n"
      "  --data DIR         the four IDX files, plain or .gz (default " Q8_DATASET_DEFAULT_DIR
      ")\n"
      "  --epochs N         float epochs (default 5; lr 0.05, cosine to 0)\n"
      "  --qat-epochs N     quantization-aware epochs (default 2; lr 0.005, cosine)\n"
      "  --limit N          train on the first N training images (default all)\n"
      "  --test-limit N     evaluate on the first N test images (default all)\n"
      "  --threads N        threads of the training engine (default: the CPUs online)\n"
      "  --seed S           initial weights and shuffling (default 1)\n"
      "  --scheme S         int8 (default: TFLite's, per-channel weights) or uint8 (the paper's)\n"
      "  --wbits N, --abits N  weight / activation bits, 2..8 (default 8)\n"
      "  --checkpoint FILE  written every epoch and on Ctrl-C (default: --out with .ckpt)\n"
      "  --resume FILE      continue a run from its checkpoint, exactly\n"
      "  --log FILE.csv     per-epoch metrics: phase, epoch, loss, accuracies, lr, seconds\n"
      "  --ptq-out FILE     also write the float model's post-training quantization (ranges\n"
      "                     calibrated, no retraining) before the QAT phase, with its accuracy\n"
      "  Batch 64, SGD momentum 0.9, weight decay 5e-4 (the recipe). Ctrl-C saves a checkpoint\n"
      "  after the current step and prints the command that resumes; a second Ctrl-C quits.\n",
      f);
}

/* ---- arguments ---- */

static bool parse_count(const char *opt, const char *text, int64_t lo, int64_t hi, int64_t *out) {
  char *end;
  const long long v = strtoll(text, &end, 10);
  if (*end != 0 || end == text || v < lo || v > hi) {
    cli_error("%s takes a whole number from %lld to %lld, not '%s'", opt, (long long)lo,
              (long long)hi, text);
    return false;
  }
  *out = v;
  return true;
}

static bool is_model_name(const char *name) {
  for (int i = 0; q8t_model_names[i] != NULL; i++) {
    if (strcmp(q8t_model_names[i], name) == 0) return true;
  }
  return false;
}

/* One option with a value; false after printing the error. */
static bool parse_option(const char *opt, const char *value, train_args *a) {
  int64_t n = 0;
  const char **text_slot = strcmp(opt, "--model") == 0        ? &a->model
                           : strcmp(opt, "--data") == 0       ? &a->data
                           : strcmp(opt, "--out") == 0        ? &a->out
                           : strcmp(opt, "--resume") == 0     ? &a->resume
                           : strcmp(opt, "--checkpoint") == 0 ? &a->checkpoint
                           : strcmp(opt, "--log") == 0        ? &a->log
                           : strcmp(opt, "--ptq-out") == 0    ? &a->ptq_out
                                                              : NULL;
  if (text_slot != NULL) {
    *text_slot = value;
  } else if (strcmp(opt, "--epochs") == 0 || strcmp(opt, "--qat-epochs") == 0) {
    if (!parse_count(opt, value, 0, 10000, &n)) return false;
    *(opt[2] == 'e' ? &a->epochs : &a->qat_epochs) = (int32_t)n;
  } else if (strcmp(opt, "--limit") == 0 || strcmp(opt, "--test-limit") == 0) {
    if (!parse_count(opt, value, 1, INT32_MAX, &n)) return false;
    *(opt[2] == 'l' ? &a->limit : &a->test_limit) = n;
  } else if (strcmp(opt, "--threads") == 0) {
    if (!parse_count(opt, value, 1, 256, &n)) return false;
    a->threads = (int32_t)n;
  } else if (strcmp(opt, "--wbits") == 0 || strcmp(opt, "--abits") == 0) {
    if (!parse_count(opt, value, 2, 8, &n)) return false;
    *(opt[2] == 'w' ? &a->wbits : &a->abits) = (int32_t)n;
  } else if (strcmp(opt, "--seed") == 0) {
    char *end;
    errno = 0;
    a->seed = strtoull(value, &end, 10);
    if (*end != 0 || end == value || value[0] == '-' || errno == ERANGE) {
      cli_error("--seed takes a whole number from 0 to %" PRIu64 ", not '%s'", UINT64_MAX, value);
      return false;
    }
  } else if (strcmp(opt, "--scheme") == 0) {
    if (strcmp(value, "int8") != 0 && strcmp(value, "uint8") != 0) {
      cli_error("--scheme is int8 or uint8, not '%s'", value);
      return false;
    }
    a->scheme = value[0] == 'u' ? Q8T_SCHEME_UINT8 : Q8T_SCHEME_INT8;
  } else {
    cli_error("unknown option '%s' (see q8 train --help)", opt);
    return false;
  }
  return true;
}

static bool is_option(const char *arg) { return strncmp(arg, "--", 2) == 0; }

static bool parse_args(int argc, char **argv, train_args *a) {
  memset(a, 0, sizeof *a);
  a->epochs = RECIPE_EPOCHS;
  a->qat_epochs = RECIPE_QAT_EPOCHS;
  a->wbits = a->abits = 8;
  a->seed = 1;
  a->scheme = Q8T_SCHEME_INT8;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  a->threads = cpus >= 1 && cpus <= 256 ? (int32_t)cpus : 1;
  /* Every option takes a value: the arguments come in (--name, VALUE) pairs. */
  for (int i = 1; i < argc; i += 2) {
    if (!is_option(argv[i])) {
      cli_error("unexpected argument '%s' (options are --name VALUE; see q8 train --help)",
                argv[i]);
      return false;
    }
    if (i + 1 == argc) {
      cli_error("%s needs a value", argv[i]);
      return false;
    }
    if (!parse_option(argv[i], argv[i + 1], a)) return false;
  }
  if (a->model == NULL) return !cli_error("--model is required: fm-cnn, fm-mobilenet or fm-resnet");
  if (!is_model_name(a->model)) {
    return !cli_error("unknown model '%s': fm-cnn, fm-mobilenet or fm-resnet", a->model);
  }
  if (a->out == NULL) return !cli_error("--out FILE.tflite is required");
  if (a->ptq_out != NULL && a->qat_epochs == 0)
    return !cli_error("--ptq-out needs a QAT phase: with --qat-epochs 0 the --out model is the "
                      "post-training quantized one");
  if (a->ptq_out != NULL && strcmp(a->ptq_out, a->out) == 0)
    return !cli_error("--ptq-out and --out are the same file, %s", a->out);
  if (a->checkpoint == NULL) {
    /* Beside the output: "dir/name.tflite" -> "dir/name.ckpt". */
    const char *out = a->out;
    const size_t n = strlen(out);
    const bool tflite = n > 7 && strcmp(out + n - 7, ".tflite") == 0;
    const int w = snprintf(a->default_checkpoint, sizeof a->default_checkpoint, "%.*s.ckpt",
                           (int)(tflite ? n - 7 : n), out);
    if (w < 0 || w >= (int)sizeof a->default_checkpoint) {
      return !cli_error("--out path too long (%zu bytes)", n);
    }
    a->checkpoint = a->default_checkpoint;
  }
  return true;
}

/* ---- SIGINT ---- */

static volatile sig_atomic_t interrupted = 0;

/* The first Ctrl-C asks the loop to save and stop; a second one quits at once. */
static void on_sigint(int sig) {
  if (interrupted) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  interrupted = 1;
}

static void catch_sigint(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
}

/* ---- the run ---- */

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct text {
  char *s;
  size_t size, cap;
} text;

static bool text_append(text *t, const char *s) {
  const size_t n = strlen(s);
  if (t->size + n + 1 > t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 1024;
    while (cap < t->size + n + 1) cap *= 2;
    char *grown = realloc(t->s, cap);
    if (grown == NULL) return false;
    t->s = grown;
    t->cap = cap;
  }
  memcpy(t->s + t->size, s, n + 1);
  t->size += n;
  return true;
}

static const char log_header[] =
    "phase,epoch,loss,train_accuracy,test_accuracy,learning_rate,seconds\n";

typedef struct run {
  const train_args *a;
  int argc;
  char **argv;
  q8t_graph *graph;
  q8t_images train, test;
  /* options a checkpoint must share with this run */
  q8t_checkpoint_info expected;
  /* where training stands */
  q8t_phase phase;
  int32_t phase_epochs;
  int64_t steps_per_epoch;
  int64_t step; /* next step within the phase */
  q8t_epoch_progress progress;
  text log;
  bool failed;
  /* display */
  bool tty;
  double last_time, last_draw;
  double session_seconds; /* training time of this process, for images/s and ETA */
  int64_t session_images;
  int64_t remaining_steps; /* over both phases, for the ETA */
} run;

static int64_t batch_images(const run *r, int64_t step) {
  const int64_t first = (step % r->steps_per_epoch) * RECIPE_BATCH;
  return r->train.count - first < RECIPE_BATCH ? r->train.count - first : RECIPE_BATCH;
}

/* The QAT phase of the recipe: fake quantization from its first step (ranges start from a
   calibration pass), batch-norm statistics and activation ranges frozen for the last half
   epoch. */
static q8t_qat_options qat_options(const train_args *a, int64_t steps_per_epoch) {
  q8t_qat_options o = q8t_qat_defaults();
  o.scheme = a->scheme;
  o.weight_bits = a->wbits;
  o.activation_bits = a->abits;
  const int64_t freeze = steps_per_epoch * a->qat_epochs - steps_per_epoch / 2;
  o.bn_freeze_step = o.range_freeze_step = freeze > 0 ? freeze : 0;
  return o;
}

static bool add_options(q8t_checkpoint_info *info, const train_args *a, int64_t train_images,
                        int64_t test_images, q8_error *err) {
  snprintf(info->model, sizeof info->model, "%s", a->model);
  const q8t_qat_options qat = qat_options(a, (train_images + RECIPE_BATCH - 1) / RECIPE_BATCH);
  return q8t_checkpoint_add_option(info, err, "seed", "%" PRIu64, a->seed) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "epochs", "%d", (int)a->epochs) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "qat-epochs", "%d", (int)a->qat_epochs) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "train-images", "%" PRId64, train_images) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "test-images", "%" PRId64, test_images) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "threads", "%d", (int)a->threads) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "batch", "%d", RECIPE_BATCH) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "lr", "%.9g", recipe_lr) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "qat-lr", "%.9g", recipe_qat_lr) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "momentum", "%.9g", 0.9) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "weight-decay", "%.9g", 5e-4) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "scheme", "%s", q8t_scheme_name(a->scheme)) ==
             Q8_OK &&
         q8t_checkpoint_add_option(info, err, "wbits", "%d", (int)a->wbits) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "abits", "%d", (int)a->abits) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "qat-ema-decay", "%.9g", qat.ema_decay) == Q8_OK &&
         q8t_checkpoint_add_option(info, err, "qat-freeze-step", "%" PRId64, qat.bn_freeze_step) ==
             Q8_OK;
}

static bool write_log(run *r) {
  if (r->a->log == NULL) return true;
  q8_error err;
  const void *parts[1] = {r->log.s};
  const size_t sizes[1] = {r->log.size};
  if (q8_file_write_atomic(r->a->log, parts, sizes, 1, &err) != Q8_OK) {
    cli_error("log: %s", err.message);
    return false;
  }
  return true;
}

static bool save_checkpoint(run *r) {
  q8t_checkpoint_info info = r->expected;
  info.phase = r->phase;
  info.step = r->step;
  info.epoch = (int32_t)(r->step / r->steps_per_epoch);
  info.progress = r->progress;
  info.log = r->log.s;
  info.log_size = r->log.size;
  q8_error err;
  if (q8t_checkpoint_write(r->a->checkpoint, r->graph, &info, &err) != Q8_OK) {
    cli_error("%s", err.message);
    return false;
  }
  return true;
}

static void format_duration(double s, char *out, size_t room) {
  const long t = s < 0 ? 0 : s > 359999 ? 359999 : (long)(s + 0.5);
  if (t >= 3600) {
    snprintf(out, room, "%ldh%02ldm", t / 3600, t / 60 % 60);
  } else {
    snprintf(out, room, "%ldm%02lds", t / 60, t % 60);
  }
}

/* The progress bar (terminal) or a plain line every tenth of an epoch. */
static void show_progress(run *r, const q8t_step_report *rep, bool force) {
  const double now = seconds_now();
  const int64_t in_epoch = rep->step % r->steps_per_epoch + 1;
  const int64_t every = r->steps_per_epoch >= 10 ? r->steps_per_epoch / 10 : 1;
  if (r->tty ? (!force && now - r->last_draw < 0.1) : in_epoch % every != 0) return;
  r->last_draw = now;
  const double rate = r->session_seconds > 0 ? (double)r->session_images / r->session_seconds : 0;
  const double steps_rate = rate / RECIPE_BATCH;
  char eta[32];
  format_duration(steps_rate > 0 ? (double)r->remaining_steps / steps_rate : 0, eta, sizeof eta);
  const double loss = r->progress.images ? r->progress.loss_sum / (double)r->progress.images : 0;
  const double acc =
      r->progress.images ? 100.0 * (double)r->progress.correct / (double)r->progress.images : 0;
  if (r->tty) {
    char bar[25];
    const int filled = (int)(24 * in_epoch / r->steps_per_epoch);
    for (int i = 0; i < 24; i++) bar[i] = i < filled ? '#' : '.';
    bar[24] = 0;
    printf("\r\033[K%s epoch %d/%d [%s] step %" PRId64 "/%" PRId64
           " loss %.4f acc %.2f%% %.0f img/s ETA %s",
           q8t_phase_name(r->phase), (int)rep->epoch + 1, (int)r->phase_epochs, bar, in_epoch,
           r->steps_per_epoch, loss, acc, rate, eta);
  } else {
    printf("%s epoch %d/%d step %" PRId64 "/%" PRId64
           ": loss %.4f, accuracy %.2f%%, %.0f images/s, ETA %s\n",
           q8t_phase_name(r->phase), (int)rep->epoch + 1, (int)r->phase_epochs, in_epoch,
           r->steps_per_epoch, loss, acc, rate, eta);
  }
  fflush(stdout);
}

static bool on_step(void *user, const q8t_step_report *rep) {
  run *r = user;
  const double now = seconds_now();
  const int64_t n = batch_images(r, rep->step);
  r->progress.loss_sum += (double)rep->loss * (double)n;
  r->progress.correct += q8t_count_correct(r->graph);
  r->progress.images += n;
  r->progress.seconds += now - r->last_time;
  r->session_seconds += now - r->last_time;
  r->session_images += n;
  r->last_time = now;
  r->step = rep->step + 1;
  r->remaining_steps--;
  show_progress(r, rep, false);
  /* The last step of an epoch stops in on_epoch, after the epoch is logged and saved. */
  const bool last_of_epoch = r->step % r->steps_per_epoch == 0;
  return !interrupted || last_of_epoch;
}

static bool on_epoch(void *user, const q8t_step_report *rep) {
  run *r = user;
  q8t_eval_result test;
  q8_error err;
  if (q8t_evaluate(r->graph, &r->test, &test, &err) != Q8_OK) {
    cli_error("evaluating: %s", err.message);
    r->failed = true;
    return false;
  }
  const double loss = r->progress.loss_sum / (double)r->progress.images;
  const double acc = (double)r->progress.correct / (double)r->progress.images;
  char line[256];
  snprintf(line, sizeof line, "%s,%d,%.6f,%.6f,%.6f,%.6g,%.2f\n", q8t_phase_name(r->phase),
           (int)rep->epoch + 1, loss, acc, test.accuracy, (double)rep->learning_rate,
           r->progress.seconds);
  if (r->tty) printf("\r\033[K");
  printf(
      "%s epoch %d/%d: loss %.4f, train accuracy %.2f%%, test accuracy %.2f%%, lr %.4g, "
      "%.1f s\n",
      q8t_phase_name(r->phase), (int)rep->epoch + 1, (int)r->phase_epochs, loss, 100 * acc,
      100 * test.accuracy, (double)rep->learning_rate, r->progress.seconds);
  fflush(stdout);
  memset(&r->progress, 0, sizeof r->progress);
  if (!text_append(&r->log, line)) {
    cli_error("out of memory (log)");
    r->failed = true;
    return false;
  }
  if (!write_log(r) || !save_checkpoint(r)) {
    r->failed = true;
    return false;
  }
  r->last_time = seconds_now(); /* evaluation and saving are not training time */
  return !interrupted;
}

/* Shell-quotes one argument when it needs it. */
static void print_quoted(FILE *f, const char *s) {
  if (s[0] != 0 && strspn(s,
                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                          "-_./=:,+@%") == strlen(s)) {
    fputs(s, f);
    return;
  }
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'')
      fputs("'\\''", f);
    else
      fputc(*s, f);
  }
  fputc('\'', f);
}

static void print_resume_command(const run *r) {
  fprintf(stderr, "resume with: q8 train");
  for (int i = 1; i < r->argc; i += 2) {
    if (strcmp(r->argv[i], "--resume") == 0) continue;
    fputc(' ', stderr);
    print_quoted(stderr, r->argv[i]);
    fputc(' ', stderr);
    print_quoted(stderr, r->argv[i + 1]);
  }
  fputs(" --resume ", stderr);
  print_quoted(stderr, r->a->checkpoint);
  fputc('\n', stderr);
}

static int64_t calibration_images(const run *r) {
  return r->train.count < CALIBRATION_IMAGES ? r->train.count : CALIBRATION_IMAGES;
}

/* Rewrites the float graph for quantization-aware training; calibrate: start the ranges from
   a calibration pass (a fresh QAT phase; a resumed one restores them). */
static bool prepare_qat(run *r, bool calibrate) {
  q8_error err;
  const q8t_qat_options o = qat_options(r->a, r->steps_per_epoch);
  if (q8t_qat_prepare(r->graph, &o, &err) != Q8_OK ||
      (calibrate && q8t_qat_calibrate(r->graph, &r->train, calibration_images(r), &err) != Q8_OK)) {
    return !cli_error("quantization-aware training: %s", err.message);
  }
  return true;
}

/* Runs one phase from r->step to its end. 1: done, 0: failed, -1: interrupted (saved). */
static int run_phase(run *r, q8t_phase phase, int32_t epochs, float lr, uint64_t seed) {
  if (r->phase != phase) {
    r->phase = phase;
    r->step = 0;
    memset(&r->progress, 0, sizeof r->progress);
  }
  r->phase_epochs = epochs;
  q8t_train_options o = q8t_train_recipe();
  o.epochs = epochs;
  o.learning_rate = lr;
  o.seed = seed;
  o.start_step = r->step;
  o.on_step = on_step;
  o.on_epoch = on_epoch;
  o.user = r;
  q8t_train_result result;
  q8_error err;
  r->last_time = seconds_now();
  if (interrupted) {
    result.stopped = true;
  } else if (q8t_train(r->graph, &r->train, &o, &result, &err) != Q8_OK) {
    if (r->tty) printf("\n");
    cli_error("training: %s", err.message);
    return 0;
  }
  if (r->failed) return 0;
  if (!result.stopped) return 1;
  if (r->tty) printf("\r\033[K");
  fflush(stdout);
  if (!save_checkpoint(r)) return 0;
  const int64_t in_epoch = r->step / r->steps_per_epoch + 1;
  fprintf(stderr,
          "q8: interrupted after %" PRId64 " of %" PRId64
          " steps of the %s phase (epoch %d of %d); saved %s\n",
          r->step, r->steps_per_epoch * epochs, q8t_phase_name(phase),
          (int)(in_epoch < epochs ? in_epoch : epochs), (int)epochs, r->a->checkpoint);
  print_resume_command(r);
  return -1;
}

static bool load_data(const train_args *a, q8_dataset *train, q8_dataset *test) {
  q8_error err;
  const char *dir = a->data != NULL ? a->data : Q8_DATASET_DEFAULT_DIR;
  if (q8_dataset_load(dir, "train", a->limit, train, &err) != Q8_OK ||
      q8_dataset_load(dir, "t10k", a->test_limit, test, &err) != Q8_OK) {
    cli_error("%s", err.message);
    return false;
  }
  if (train->count == 0 || test->count == 0) {
    cli_error("%s: the %s split has no images", dir, train->count == 0 ? "train" : "t10k");
    return false;
  }
  return true;
}

static q8t_images images_of(const q8_dataset *ds) {
  return (q8t_images){ds->images,      ds->labels,      (int64_t)ds->count,
                      Q8_DATASET_ROWS, Q8_DATASET_COLS, 1};
}

static bool build_graph(run *r) {
  q8_error err;
  const q8t_graph_options o = {.batch = RECIPE_BATCH, .threads = r->a->threads};
  int32_t logits;
  if (q8t_graph_init(&o, &r->graph, &err) != Q8_OK ||
      q8t_model_build(r->graph, r->a->model, &logits, &err) != Q8_OK) {
    return !cli_error("%s", err.message);
  }
  if (q8t_graph_allocate(r->graph) != Q8_OK ||
      q8t_graph_init_parameters(r->graph, r->a->seed) != Q8_OK) {
    return !cli_error("%s: %s", r->a->model, r->graph->error.message);
  }
  return true;
}

/* Restores the checkpoint named by --resume: options, tensors, position, log. */
static bool resume(run *r) {
  q8_error err;
  q8t_checkpoint *ck = NULL;
  bool ok = q8t_checkpoint_read(r->a->resume, &ck, &err) == Q8_OK &&
            q8t_checkpoint_check(ck, r->a->model, r->expected.options, r->expected.n_options,
                                 &err) == Q8_OK;
  const q8t_checkpoint_info *info = ok ? q8t_checkpoint_get_info(ck) : NULL;
  /* A QAT checkpoint holds the rewritten graph's tensors (ranges, clocks): rewrite first. */
  if (ok && info->phase == Q8T_PHASE_QAT && !prepare_qat(r, false)) {
    q8t_checkpoint_free(ck);
    return false;
  }
  ok = ok && q8t_checkpoint_restore(ck, r->graph, &err) == Q8_OK;
  if (!ok) {
    cli_error("%s", err.message);
  } else {
    r->phase = info->phase;
    r->step = info->step;
    r->progress = info->progress;
    r->log.size = 0;
    char *copy = malloc(info->log_size + 1);
    ok = copy != NULL;
    if (ok) {
      memcpy(copy, info->log, info->log_size);
      copy[info->log_size] = 0;
      ok = text_append(&r->log, copy);
      free(copy);
    }
    if (!ok) cli_error("out of memory (log)");
    printf("resumed %s: %s phase, step %" PRId64 " (epoch %d)\n", r->a->resume,
           q8t_phase_name(r->phase), r->step, (int)(r->step / r->steps_per_epoch) + 1);
  }
  q8t_checkpoint_free(ck);
  return ok && write_log(r);
}

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

/* The learned ranges (QAT) or a calibration pass (PTQ) into the converter, written to --out. */
static bool export_model(run *r) {
  q8_error err;
  q8t_export_report report;
  const bool qat = q8t_qat_prepared(r->graph);
  q8_status st;
  if (qat) {
    q8t_ranges ranges;
    const q8t_export_options eo = q8t_qat_export_options(r->graph);
    st = q8t_ranges_init(r->graph, &ranges, &err);
    if (st == Q8_OK) st = q8t_qat_ranges(r->graph, &ranges, &err);
    if (st == Q8_OK) st = q8t_export_file(r->graph, &ranges, &eo, r->a->out, &report, &err);
    q8t_ranges_free(&ranges);
  } else {
    const q8t_export_options eo = {
        .scheme = r->a->scheme, .weight_bits = r->a->wbits, .activation_bits = r->a->abits};
    st = q8t_ptq_export(r->graph, &r->train, calibration_images(r), &eo, r->a->out, &report, &err);
  }
  if (st != Q8_OK) return !cli_error("export: %s", err.message);
  printf("wrote %s: %s, %zu bytes, %d operators; ", r->a->out, q8t_scheme_name(r->a->scheme),
         report.bytes, (int)report.operators);
  if (qat) {
    printf("ranges learned by quantization-aware training\n");
  } else {
    printf("ranges calibrated on %" PRId64 " training images (post-training quantization)\n",
           calibration_images(r));
  }
  if (report.notes[0] != 0) printf("note: %s\n", report.notes);
  return true;
}

/* --ptq-out: the float model quantized without retraining (calibrated ranges), the baseline
   the QAT phase improves on, written and evaluated by the integer runtime before QAT starts.
   Calibration runs the graph in inference mode, so the training that follows is unchanged. */
static bool export_ptq(run *r, const q8_dataset *test_ds) {
  q8_error err;
  q8t_export_report report;
  const q8t_export_options eo = {
      .scheme = r->a->scheme, .weight_bits = r->a->wbits, .activation_bits = r->a->abits};
  if (q8t_ptq_export(r->graph, &r->train, calibration_images(r), &eo, r->a->ptq_out, &report,
                     &err) != Q8_OK)
    return !cli_error("post-training quantization: %s", err.message);
  double accuracy = 0;
  if (!cli_eval_accuracy(r->a->ptq_out, test_ds, &accuracy)) return false;
  printf("post-training quantization: wrote %s (%zu bytes, ranges calibrated on %" PRId64
         " training images); test accuracy %s %.2f%% (integer runtime)\n",
         r->a->ptq_out, report.bytes, calibration_images(r), q8t_scheme_name(r->a->scheme),
         100 * accuracy);
  return true;
}

/* Exports, then reports the float (and fake-quantized) accuracy of the training engine beside
   the written model's by the integer runtime. float_accuracy: the float model's before QAT. */
static bool export_and_report(run *r, const q8_dataset *test_ds, double float_accuracy) {
  q8_error err;
  if (!export_model(r)) return false;
  q8t_eval_result fl;
  if (q8t_evaluate(r->graph, &r->test, &fl, &err) != Q8_OK) {
    return !cli_error("evaluating: %s", err.message);
  }
  printf("evaluating %s with the integer runtime on %" PRId64 " test images\n", r->a->out,
         r->test.count);
  fflush(stdout);
  double integer = 0;
  if (!cli_eval_accuracy(r->a->out, test_ds, &integer)) return false;
  printf("test accuracy on %" PRId64 " images: ", r->test.count);
  if (q8t_qat_prepared(r->graph)) {
    if (float_accuracy >= 0) printf("float %.2f%% (before QAT), ", 100 * float_accuracy);
    printf("fake-quantized %.2f%% (training engine), ", 100 * fl.accuracy);
  } else {
    printf("float %.2f%% (training engine), ", 100 * fl.accuracy);
  }
  printf("%s %.2f%% (integer runtime, %s)\n", q8t_scheme_name(r->a->scheme), 100 * integer,
         r->a->out);
  return true;
}

static int train_main(const train_args *a, int argc, char **argv) {
  q8_dataset train_ds, test_ds;
  memset(&train_ds, 0, sizeof train_ds);
  memset(&test_ds, 0, sizeof test_ds);
  run r;
  memset(&r, 0, sizeof r);
  r.a = a;
  r.argc = argc;
  r.argv = argv;
  r.tty = isatty(STDOUT_FILENO) != 0;
  int status = 1;
  q8_error err;
  if (!load_data(a, &train_ds, &test_ds)) goto done;
  r.train = images_of(&train_ds);
  r.test = images_of(&test_ds);
  r.steps_per_epoch = (r.train.count + RECIPE_BATCH - 1) / RECIPE_BATCH;
  if (!add_options(&r.expected, a, r.train.count, r.test.count, &err)) {
    cli_error("%s", err.message);
    goto done;
  }
  if (!build_graph(&r) || !text_append(&r.log, log_header)) goto done;
  printf("%s: %" PRId64 " training images, %" PRId64 " test images, %d thread%s (%s layers, %s)\n",
         a->model, r.train.count, r.test.count, (int)a->threads, a->threads > 1 ? "s" : "",
         q8t_isa_name(r.graph->isa), q8t_gemm_backend_name(r.graph->options.gemm));
  if (a->resume != NULL && !resume(&r)) goto done;
  const bool qat = a->qat_epochs > 0;
  const int64_t float_total = r.steps_per_epoch * a->epochs;
  const int64_t qat_total = qat ? r.steps_per_epoch * a->qat_epochs : 0;
  r.remaining_steps =
      r.phase == Q8T_PHASE_FLOAT ? float_total - r.step + qat_total : qat_total - r.step;
  catch_sigint();
  int done_phase = 1;
  if (r.phase == Q8T_PHASE_FLOAT) {
    done_phase = run_phase(&r, Q8T_PHASE_FLOAT, a->epochs, recipe_lr, a->seed);
  }
  double float_accuracy = -1;
  if (done_phase == 1 && qat) {
    if (r.phase == Q8T_PHASE_FLOAT) {
      q8t_eval_result fl;
      if (q8t_evaluate(r.graph, &r.test, &fl, &err) != Q8_OK) {
        cli_error("evaluating: %s", err.message);
        goto done;
      }
      float_accuracy = fl.accuracy;
      if (a->ptq_out != NULL && !export_ptq(&r, &test_ds)) goto done;
      if (!prepare_qat(&r, true)) goto done;
    } else {
      float_accuracy = logged_float_accuracy(&r.log);
      if (a->ptq_out != NULL)
        printf("note: --ptq-out not written: the run resumed in its QAT phase, after the float "
               "model it quantizes\n");
    }
    done_phase =
        run_phase(&r, Q8T_PHASE_QAT, a->qat_epochs, recipe_qat_lr, a->seed ^ qat_shuffle_salt);
  }
  if (done_phase == -1) status = EXIT_INTERRUPTED;
  if (done_phase != 1) goto done;
  signal(SIGINT, SIG_DFL); /* the export is short: Ctrl-C now simply quits */
  if (export_and_report(&r, &test_ds, float_accuracy)) status = 0;
done:
  q8t_graph_free(r.graph);
  free(r.log.s);
  q8_dataset_free(&train_ds);
  q8_dataset_free(&test_ds);
  return status;
}

int q8_cli_train(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    train_usage(stdout);
    return 0;
  }
  train_args a;
  if (!parse_args(argc, argv, &a)) return 2;
  return train_main(&a, argc, argv);
}
