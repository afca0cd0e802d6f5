/* q8 gen NAME --out FILE.tflite: writes an ImageNet-geometry reference model with random
   weights and plausible quantization parameters (src/gen), for latency work, and reports its
   operators, multiply-accumulates and how long it took. Integer models are then loaded and
   prepared by q8's runtime as a check. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "gen/gen.h"

static void gen_usage(FILE *f) {
  fprintf(f,
          "usage: q8 gen NAME --out FILE.tflite [options]\n"
          "  Writes a reference model of ../shared/reference-models.md with random weights and\n"
          "  plausible quantization parameters (ranges calibrated in float on a random input).\n"
          "  NAME            mobilenet_v1_1.0_224, mobilenet_v2_1.0_224, resnet50_v1, inception_v3\n"
          "  --out FILE      the .tflite to write\n"
          "  --scheme S      int8 (default: TFLite's, per-channel weights) or uint8 (the paper's)\n"
          "  --float         float32 tensors instead: the same graph, no quantization\n"
          "  --width W       channel multiplier of the MobileNets, %g to %g (default 1.0)\n"
          "  --resolution R  input height and width (default 224, inception_v3 299; from 32,\n"
          "                  inception_v3 from 75, to %d)\n"
          "  --seed S        weights and calibration input (default 1)\n",
          Q8G_MIN_WIDTH, Q8G_MAX_WIDTH, Q8G_MAX_RESOLUTION);
}

typedef struct gen_args {
  const char *name, *out, *scheme;
  bool is_float;
  q8g_options options;
} gen_args;

static bool parse_number(const char *opt, const char *text, double *value) {
  char *end;
  errno = 0;
  *value = strtod(text, &end);
  if (*end == 0 && end != text && errno == 0) return true;
  cli_error("%s takes a number, not '%s'", opt, text);
  return false;
}

static bool parse_whole(const char *opt, const char *text, unsigned long long *value) {
  char *end;
  errno = 0;
  *value = strtoull(text, &end, 10);
  if (*end == 0 && end != text && errno == 0 && text[0] != '-') return true;
  cli_error("%s takes a whole number, not '%s'", opt, text);
  return false;
}

/* One option with a value; false after printing the error. */
static bool parse_option(const char *opt, const char *value, gen_args *a) {
  double number;
  unsigned long long whole;
  if (strcmp(opt, "--out") == 0) {
    a->out = value;
  } else if (strcmp(opt, "--scheme") == 0) {
    a->scheme = value;
    if (strcmp(value, "int8") != 0 && strcmp(value, "uint8") != 0) {
      cli_error("--scheme is int8 or uint8, not '%s' (--float for float32)", value);
      return false;
    }
    a->options.scheme = value[0] == 'u' ? Q8G_SCHEME_UINT8 : Q8G_SCHEME_INT8;
  } else if (strcmp(opt, "--width") == 0) {
    if (!parse_number(opt, value, &number)) return false;
    if (number == 0.0) { /* 0 means "the default" to the library */
      cli_error("width 0 is outside [%g, %g]", Q8G_MIN_WIDTH, Q8G_MAX_WIDTH);
      return false;
    }
    a->options.width = number;
  } else if (strcmp(opt, "--resolution") == 0) {
    if (!parse_whole(opt, value, &whole)) return false;
    /* 0 means "the default" to the library: -1 is refused with the model's range. */
    a->options.resolution = whole == 0 ? -1 : whole > INT32_MAX ? INT32_MAX : (int32_t)whole;
  } else if (strcmp(opt, "--seed") == 0) {
    if (!parse_whole(opt, value, &whole)) return false;
    a->options.seed = whole;
  } else {
    cli_error("unknown option '%s' (see q8 gen --help)", opt);
    return false;
  }
  return true;
}

static int parse_args(int argc, char **argv, gen_args *a) {
  memset(a, 0, sizeof *a);
  a->options.seed = 1;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      gen_usage(stdout);
      return 0;
    }
    if (strcmp(arg, "--float") == 0) {
      a->is_float = true;
    } else if (strncmp(arg, "--", 2) == 0) {
      if (i + 1 >= argc) return cli_error("%s needs a value", arg), 2;
      if (!parse_option(arg, argv[i + 1], a)) return 2;
      i++;
    } else if (a->name == NULL) {
      a->name = arg;
    } else {
      return cli_error("one model name only ('%s', then '%s')", a->name, arg), 2;
    }
  }
  if (a->name == NULL || a->out == NULL) {
    gen_usage(stderr);
    return cli_error(a->name == NULL ? "give the model NAME" : "give --out FILE.tflite"), 2;
  }
  if (a->is_float && a->scheme != NULL)
    return cli_error("--float and --scheme %s: choose one", a->scheme), 2;
  if (a->is_float) a->options.scheme = Q8G_SCHEME_FLOAT32;
  return -1; /* go on */
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_report(const gen_args *a, q8g_model model, const q8g_report *r) {
  printf("%s: width %g, resolution %d, %s, seed %llu\n", q8g_model_name(model), r->width,
         (int)r->resolution, q8g_scheme_name(a->options.scheme),
         (unsigned long long)a->options.seed);
  printf("  %d operators:", (int)r->operators);
  const char *sep = " ";
  for (int k = 0; k < Q8_OP_COUNT; k++) {
    if (r->op_counts[k] == 0) continue;
    printf("%s%s %d", sep, q8_op_name((q8_op_kind)k), (int)r->op_counts[k]);
    sep = ", ";
  }
  printf("\n  multiply-accumulates: %llu (%.1f M); parameters: %llu\n",
         (unsigned long long)r->macs, (double)r->macs / 1e6, (unsigned long long)r->parameters);
}

/* Integer models: q8's runtime must load and prepare what was written. */
static int check_runs(const char *path) {
  q8_model *model;
  q8_interp *interp;
  if (!cli_open_model(path, &model, &interp)) return 0;
  printf("  q8's runtime prepares it: arena %zu bytes\n", q8_interp_arena_size(interp));
  q8_interp_free(interp);
  q8_model_free(model);
  return 1;
}

int q8_cli_gen(int argc, char **argv) {
  gen_args a;
  const int done = parse_args(argc, argv, &a);
  if (done >= 0) return done;
  q8g_model model;
  q8_error err;
  if (q8g_model_from_name(a.name, &model, &err) != Q8_OK) return cli_error("%s", err.message), 2;
  if (a.options.resolution == -1)
    return cli_error("resolution 0 is outside [%d, %d] for %s", (int)q8g_min_resolution(model),
                     Q8G_MAX_RESOLUTION, q8g_model_name(model)), 2;
  if (q8g_check_options(model, &a.options, &err) != Q8_OK) return cli_error("%s", err.message), 2;
  q8g_report report;
  const double t0 = now_seconds();
  if (q8g_write_file(model, &a.options, a.out, &report, &err) != Q8_OK)
    return cli_error("%s", err.message);
  const double seconds = now_seconds() - t0;
  print_report(&a, model, &report);
  FILE *f = fopen(a.out, "rb");
  long bytes = -1;
  if (f != NULL && fseek(f, 0, SEEK_END) == 0) bytes = ftell(f);
  if (f != NULL) fclose(f);
  printf("  wrote %s (%ld bytes) in %.2f s (build %.2f s, of which float calibration %.2f s)\n",
         a.out, bytes, seconds, report.build_seconds, report.calibrate_seconds);
  if (a.options.scheme != Q8G_SCHEME_FLOAT32 && !check_runs(a.out)) return 1;
  return 0;
}
