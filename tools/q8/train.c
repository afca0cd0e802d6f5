/* q8 train: the command line over the training API (include/q8/q8-train.h), which does the
   work: trains a reference model on Fashion-MNIST, first in float, then with simulated
   quantization; checkpoints every epoch and on SIGINT, continues exactly from one with
   --resume; writes a per-epoch CSV log; exports an 8-bit .tflite (the learned ranges, or
   post-training calibration without a QAT phase) and reports its accuracy by the integer
   runtime beside the float and fake-quantized ones. This file parses the arguments, draws the
   progress, turns Ctrl-C into a stop request and prints. Absent from the integer-only build
   (the engine is float throughout). */
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
#include "data/idx.h"
#include "q8/q8-train.h"

enum { EXIT_INTERRUPTED = 130 }; /* 128 + SIGINT, as shells report it */

typedef struct train_args {
  q8_trainer_options o; /* model, data, epochs, bits, ..., checkpoint, log */
  const char *out, *resume, *ptq_out;
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
      "  --bn-stats S       where QAT's folded batch norms take batch statistics until their\n"
      "                     freeze: unfolded (default: TensorFlow's, the float layer run\n"
      "                     again) or folded (PyTorch's: the quantized layer's output rescaled,\n"
      "                     each layer run once, a cheaper step)\n"
      "  --rounding R       how QAT rounds a layer's output once it is in its exported form:\n"
      "                     integer (default: the exported operator's requantization, so the\n"
      "                     fake-quantized model is the integer one) or float (TensorFlow's)\n"
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
  for (int32_t i = 0; q8_train_model_name(i) != NULL; i++) {
    if (strcmp(q8_train_model_name(i), name) == 0) return true;
  }
  return false;
}

/* One option with a value; false after printing the error. */
static bool parse_option(const char *opt, const char *value, train_args *a) {
  int64_t n = 0;
  const char **text_slot = strcmp(opt, "--model") == 0        ? &a->o.model
                           : strcmp(opt, "--data") == 0       ? &a->o.data_dir
                           : strcmp(opt, "--out") == 0        ? &a->out
                           : strcmp(opt, "--resume") == 0     ? &a->resume
                           : strcmp(opt, "--checkpoint") == 0 ? &a->o.checkpoint
                           : strcmp(opt, "--log") == 0        ? &a->o.log
                           : strcmp(opt, "--ptq-out") == 0    ? &a->ptq_out
                                                              : NULL;
  if (text_slot != NULL) {
    *text_slot = value;
  } else if (strcmp(opt, "--epochs") == 0 || strcmp(opt, "--qat-epochs") == 0) {
    if (!parse_count(opt, value, 0, 10000, &n)) return false;
    *(opt[2] == 'e' ? &a->o.epochs : &a->o.qat_epochs) = (int32_t)n;
  } else if (strcmp(opt, "--limit") == 0 || strcmp(opt, "--test-limit") == 0) {
    if (!parse_count(opt, value, 1, INT32_MAX, &n)) return false;
    *(opt[2] == 'l' ? &a->o.limit : &a->o.test_limit) = n;
  } else if (strcmp(opt, "--threads") == 0) {
    if (!parse_count(opt, value, 1, 256, &n)) return false;
    a->o.threads = (int32_t)n;
  } else if (strcmp(opt, "--wbits") == 0 || strcmp(opt, "--abits") == 0) {
    if (!parse_count(opt, value, 2, 8, &n)) return false;
    *(opt[2] == 'w' ? &a->o.weight_bits : &a->o.activation_bits) = (int32_t)n;
  } else if (strcmp(opt, "--seed") == 0) {
    char *end;
    errno = 0;
    a->o.seed = strtoull(value, &end, 10);
    if (*end != 0 || end == value || value[0] == '-' || errno == ERANGE) {
      cli_error("--seed takes a whole number from 0 to %" PRIu64 ", not '%s'", UINT64_MAX, value);
      return false;
    }
  } else if (strcmp(opt, "--scheme") == 0) {
    if (strcmp(value, "int8") != 0 && strcmp(value, "uint8") != 0) {
      cli_error("--scheme is int8 or uint8, not '%s'", value);
      return false;
    }
    a->o.scheme = value[0] == 'u' ? Q8_TRAIN_SCHEME_UINT8 : Q8_TRAIN_SCHEME_INT8;
  } else if (strcmp(opt, "--bn-stats") == 0) {
    if (strcmp(value, "unfolded") != 0 && strcmp(value, "folded") != 0) {
      cli_error("--bn-stats is unfolded or folded, not '%s'", value);
      return false;
    }
    a->o.bn_statistics =
        value[0] == 'f' ? Q8_TRAIN_BN_STATISTICS_FOLDED : Q8_TRAIN_BN_STATISTICS_UNFOLDED;
  } else if (strcmp(opt, "--rounding") == 0) {
    if (strcmp(value, "integer") != 0 && strcmp(value, "float") != 0) {
      cli_error("--rounding is integer or float, not '%s'", value);
      return false;
    }
    a->o.rounding = value[0] == 'f' ? Q8_TRAIN_ROUNDING_FLOAT : Q8_TRAIN_ROUNDING_INTEGER;
  } else {
    cli_error("unknown option '%s' (see q8 train --help)", opt);
    return false;
  }
  return true;
}

static bool is_option(const char *arg) { return strncmp(arg, "--", 2) == 0; }

static bool parse_args(int argc, char **argv, train_args *a) {
  memset(a, 0, sizeof *a);
  a->o = q8_trainer_options_default(); /* threads 0: the CPUs online */
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
  if (a->o.model == NULL)
    return !cli_error("--model is required: fm-cnn, fm-mobilenet or fm-resnet");
  if (!is_model_name(a->o.model)) {
    return !cli_error("unknown model '%s': fm-cnn, fm-mobilenet or fm-resnet", a->o.model);
  }
  if (a->out == NULL) return !cli_error("--out FILE.tflite is required");
  if (a->ptq_out != NULL && a->o.qat_epochs == 0)
    return !cli_error("--ptq-out needs a QAT phase: with --qat-epochs 0 the --out model is the "
                      "post-training quantized one");
  if (a->ptq_out != NULL && strcmp(a->ptq_out, a->out) == 0)
    return !cli_error("--ptq-out and --out are the same file, %s", a->out);
  if (a->o.checkpoint == NULL) {
    /* Beside the output: "dir/name.tflite" -> "dir/name.ckpt". */
    const char *out = a->out;
    const size_t n = strlen(out);
    const bool tflite = n > 7 && strcmp(out + n - 7, ".tflite") == 0;
    const int w = snprintf(a->default_checkpoint, sizeof a->default_checkpoint, "%.*s.ckpt",
                           (int)(tflite ? n - 7 : n), out);
    if (w < 0 || w >= (int)sizeof a->default_checkpoint) {
      return !cli_error("--out path too long (%zu bytes)", n);
    }
    a->o.checkpoint = a->default_checkpoint;
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

/* ---- display ---- */

typedef struct cli_run {
  bool tty;
  double last_draw;
} cli_run;

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
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
static void show_progress(void *user, const q8_train_progress *p) {
  cli_run *c = user;
  const double now = seconds_now();
  const int64_t in_epoch = p->step % p->steps_per_epoch + 1;
  const int64_t every = p->steps_per_epoch >= 10 ? p->steps_per_epoch / 10 : 1;
  if (c->tty ? now - c->last_draw < 0.1 : in_epoch % every != 0) return;
  c->last_draw = now;
  char eta[32];
  format_duration(p->eta_seconds, eta, sizeof eta);
  const double acc = 100.0 * p->epoch_accuracy;
  if (c->tty) {
    char bar[25];
    const int filled = (int)(24 * in_epoch / p->steps_per_epoch);
    for (int i = 0; i < 24; i++) bar[i] = i < filled ? '#' : '.';
    bar[24] = 0;
    printf("\r\033[K%s epoch %d/%d [%s] step %" PRId64 "/%" PRId64
           " loss %.4f acc %.2f%% %.0f img/s ETA %s",
           q8_train_phase_name(p->phase), (int)p->epoch + 1, (int)p->epochs, bar, in_epoch,
           p->steps_per_epoch, p->epoch_loss, acc, p->images_per_second, eta);
  } else {
    printf("%s epoch %d/%d step %" PRId64 "/%" PRId64
           ": loss %.4f, accuracy %.2f%%, %.0f images/s, ETA %s\n",
           q8_train_phase_name(p->phase), (int)p->epoch + 1, (int)p->epochs, in_epoch,
           p->steps_per_epoch, p->epoch_loss, acc, p->images_per_second, eta);
  }
  fflush(stdout);
}

static void show_epoch(void *user, const q8_train_epoch *e) {
  const cli_run *c = user;
  if (c->tty) printf("\r\033[K");
  printf(
      "%s epoch %d/%d: loss %.4f, train accuracy %.2f%%, test accuracy %.2f%%, lr %.4g, "
      "%.1f s\n",
      q8_train_phase_name(e->phase), (int)e->epoch + 1, (int)e->epochs, e->loss,
      100 * e->train_accuracy, 100 * e->test_accuracy, (double)e->learning_rate, e->seconds);
  fflush(stdout);
}

static int stop_on_sigint(void *user) {
  (void)user;
  return interrupted != 0;
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

static void print_resume_command(const train_args *a, int argc, char **argv) {
  fprintf(stderr, "resume with: q8 train");
  for (int i = 1; i < argc; i += 2) {
    if (strcmp(argv[i], "--resume") == 0) continue;
    fputc(' ', stderr);
    print_quoted(stderr, argv[i]);
    fputc(' ', stderr);
    print_quoted(stderr, argv[i + 1]);
  }
  fputs(" --resume ", stderr);
  print_quoted(stderr, a->o.checkpoint);
  fputc('\n', stderr);
}

/* ---- the run ---- */

/* Trains through the end of phase last. 1: done, 0: failed, -1: interrupted (saved). */
static int train_through(const cli_run *c, q8_trainer *t, q8_train_phase last,
                         const train_args *a, int argc, char **argv) {
  if (q8_trainer_train(t, last) != Q8_OK) {
    if (c->tty) printf("\n");
    cli_error("%s", q8_trainer_last_error(t));
    return 0;
  }
  q8_trainer_info info;
  q8_trainer_get_info(t, &info);
  const bool stopped = last == Q8_TRAIN_PHASE_FLOAT
                           ? info.phase == Q8_TRAIN_PHASE_FLOAT && !info.phase_done
                           : !info.finished;
  if (!stopped) return 1;
  if (c->tty) printf("\r\033[K");
  fflush(stdout);
  const int64_t in_epoch = info.step / info.steps_per_epoch + 1;
  fprintf(stderr,
          "q8: interrupted after %" PRId64 " of %" PRId64
          " steps of the %s phase (epoch %d of %d); saved %s\n",
          info.step, info.steps_per_epoch * info.phase_epochs, q8_train_phase_name(info.phase),
          (int)(in_epoch < info.phase_epochs ? in_epoch : info.phase_epochs),
          (int)info.phase_epochs, a->o.checkpoint);
  print_resume_command(a, argc, argv);
  return -1;
}

/* --ptq-out: the float model quantized without retraining (calibrated ranges), the baseline
   the QAT phase improves on, written and evaluated by the integer runtime before QAT starts. */
static bool export_ptq(q8_trainer *t, const train_args *a) {
  q8_train_export_report report;
  double accuracy = 0;
  if (q8_trainer_export_ptq(t, a->ptq_out, &report) != Q8_OK ||
      q8_trainer_evaluate_file(t, a->ptq_out, &accuracy) != Q8_OK)
    return !cli_error("%s", q8_trainer_last_error(t));
  printf("post-training quantization: wrote %s (%zu bytes, ranges calibrated on %" PRId64
         " training images); test accuracy %s %.2f%% (integer runtime)\n",
         a->ptq_out, report.bytes, report.calibration_images, q8_train_scheme_name(report.scheme),
         100 * accuracy);
  return true;
}

/* Exports --out, then reports the float (and fake-quantized) accuracy of the training engine
   beside the written model's by the integer runtime. */
static bool export_and_report(q8_trainer *t, const train_args *a) {
  q8_train_export_report report;
  if (q8_trainer_export(t, a->out, &report) != Q8_OK)
    return !cli_error("%s", q8_trainer_last_error(t));
  const char *scheme = q8_train_scheme_name(report.scheme);
  printf("wrote %s: %s, %zu bytes, %d operators; ", a->out, scheme, report.bytes,
         (int)report.operators);
  if (report.ranges_learned) {
    printf("ranges learned by quantization-aware training\n");
  } else {
    printf("ranges calibrated on %" PRId64 " training images (post-training quantization)\n",
           report.calibration_images);
  }
  if (report.notes[0] != 0) printf("note: %s\n", report.notes);
  q8_train_evaluation engine;
  if (q8_trainer_evaluate(t, &engine) != Q8_OK) return !cli_error("%s", q8_trainer_last_error(t));
  printf("evaluating %s with the integer runtime on %" PRId64 " test images\n", a->out,
         engine.images);
  fflush(stdout);
  double integer = 0;
  if (q8_trainer_evaluate_file(t, a->out, &integer) != Q8_OK)
    return !cli_error("%s", q8_trainer_last_error(t));
  printf("test accuracy on %" PRId64 " images: ", engine.images);
  if (engine.quantization_aware) {
    if (engine.float_accuracy >= 0) printf("float %.2f%% (before QAT), ", 100 * engine.float_accuracy);
    printf("fake-quantized %.2f%% (training engine), ", 100 * engine.accuracy);
  } else {
    printf("float %.2f%% (training engine), ", 100 * engine.accuracy);
  }
  printf("%s %.2f%% (integer runtime, %s)\n", scheme, 100 * integer, a->out);
  return true;
}

static bool start(q8_trainer *t, const train_args *a) {
  q8_trainer_info info;
  q8_trainer_get_info(t, &info);
  printf("%s: %" PRId64 " training images, %" PRId64 " test images, %d thread%s (%s layers, %s)\n",
         info.model, info.train_images, info.test_images, (int)info.threads,
         info.threads > 1 ? "s" : "", info.engine_isa, info.matrix_backend);
  if (a->resume == NULL) return true;
  if (q8_trainer_resume(t, a->resume) != Q8_OK) return !cli_error("%s", q8_trainer_last_error(t));
  q8_trainer_get_info(t, &info);
  printf("resumed %s: %s phase, step %" PRId64 " (epoch %d)\n", a->resume,
         q8_train_phase_name(info.phase), info.step, (int)(info.step / info.steps_per_epoch) + 1);
  return true;
}

static int train_main(train_args *a, int argc, char **argv) {
  cli_run c = {.tty = isatty(STDOUT_FILENO) != 0};
  a->o.on_progress = show_progress;
  a->o.on_epoch = show_epoch;
  a->o.should_stop = stop_on_sigint;
  a->o.user = &c;
  q8_trainer *t = NULL;
  q8_error err;
  if (q8_trainer_init(&a->o, &t, &err) != Q8_OK) return cli_error("%s", err.message);
  int status = 1;
  if (!start(t, a)) goto done;
  catch_sigint();
  int done_phase = train_through(&c, t, Q8_TRAIN_PHASE_FLOAT, a, argc, argv);
  if (done_phase == 1 && a->o.qat_epochs > 0) {
    if (a->ptq_out != NULL) {
      q8_trainer_info info;
      q8_trainer_get_info(t, &info);
      if (info.quantization_aware) {
        printf("note: --ptq-out not written: the run resumed in its QAT phase, after the float "
               "model it quantizes\n");
      } else if (!export_ptq(t, a)) {
        goto done;
      }
    }
    done_phase = train_through(&c, t, Q8_TRAIN_PHASE_QAT, a, argc, argv);
  }
  if (done_phase == -1) status = EXIT_INTERRUPTED;
  if (done_phase != 1) goto done;
  signal(SIGINT, SIG_DFL); /* the export is short: Ctrl-C now simply quits */
  if (export_and_report(t, a)) status = 0;
done:
  q8_trainer_free(t);
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
