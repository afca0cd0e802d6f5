/* bench-peers: latency of q8 beside oneDNN and XNNPACK on the same networks, in one run.
   Each model (a .tflite file, or with --layers one-operator models on the ImageNet networks'
   layer shapes) is read by q8's own TFLite reader and rebuilt with each peer's operators; all
   runners get the same input bytes and are timed interleaved (one invoke of each in turn),
   after warm-up; the table gives medians and each peer's time over q8's (above 1: q8 is
   faster). Outputs are compared with q8's as a sanity check (a warning, not a failure:
   oneDNN and XNNPACK round differently from TFLite). Pin with taskset; threads per library
   with --threads. Method and caveats: doc/bench-peers.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peers-layers.h"
#include "peers.h"
#include "tflite/reader.h"

#define MAX_RUNNERS 3

typedef struct options {
  int runs, warmup, threads;
  bool layers, verbose, dump, want[MAX_RUNNERS];
  bool thread_clock; /* time the calling thread's CPU time instead of wall time */
  int layer_types; /* 1: int8, 2: float, 3: both */
  const char *only; /* layers whose name contains this (NULL: all) */
} options;

static const char *runner_names[MAX_RUNNERS] = {"q8", "onednn", "xnnpack"};

/* Wall time, or the calling thread's CPU time (--clock thread: robust on a loaded machine, and
   complete with one thread per library, where each does all its work on the calling thread). */
static double now_ms(bool thread_clock) {
  struct timespec ts;
  clock_gettime(thread_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void random_input(const q8_tensor *t, void *data) {
  uint64_t state = 12345;
  const size_t n = q8_tensor_elements(t);
  for (size_t i = 0; i < n; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const uint32_t r = (uint32_t)(state >> 33);
    if (t->type == Q8_TYPE_FLOAT32) ((float *)data)[i] = (float)(r / 2147483648.0 - 1.0);
    else ((uint8_t *)data)[i] = (uint8_t)r;
  }
}

/* Largest |difference| of the dequantized outputs, and whether their argmax agrees. */
static void compare_outputs(const q8_tensor *t, const void *a, const void *b, double *max_diff,
                            bool *same_argmax) {
  const size_t n = q8_tensor_elements(t);
  size_t ia = 0, ib = 0;
  *max_diff = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double x = peer_value(t, a, i), y = peer_value(t, b, i);
    *max_diff = fmax(*max_diff, fabs(x - y));
    if (x > peer_value(t, a, ia)) ia = i;
    if (y > peer_value(t, b, ib)) ib = i;
  }
  *same_argmax = ia == ib;
}

static void dump_output(const char *name, const q8_tensor *t, const void *data) {
  const size_t n = q8_tensor_elements(t) < 12 ? q8_tensor_elements(t) : 12;
  printf("    %-8s", name);
  for (size_t i = 0; i < n; i++) printf(" %8.4f", peer_value(t, data, i));
  printf("\n");
}

static bool init_runner(int which, const uint8_t *file, size_t size, const q8_graph *g,
                        const void *input, int threads, peer_runner *r) {
  switch (which) {
    case 0: return peer_q8_init(file, size, input, threads, r);
    case 1: return peer_onednn_init(g, input, threads, r);
    default: return peer_xnnpack_init(g, input, threads, r);
  }
}

static void print_header(void) {
  printf("%-40s %-5s %10s %10s %6s %10s %6s\n", "workload", "type", "q8 ms", "onednn ms", "x q8",
         "xnnpack ms", "x q8");
}

/* Times one model; prints one table row, then notes and warnings. */
static void run_model(const char *label, const uint8_t *file, size_t size, const options *o) {
  q8_graph *g = NULL;
  q8_error error = {{0}};
  if (q8_tflite_read(file, size, &g, &error) != Q8_OK) {
    printf("%-40s read failed: %s\n", label, error.message);
    return;
  }
  const q8_tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
  void *input = calloc(1, peer_tensor_bytes(in) + 64);
  peer_runner runners[MAX_RUNNERS];
  bool ready[MAX_RUNNERS] = {false};
  double *times = calloc((size_t)(MAX_RUNNERS * o->runs), sizeof(double));
  double median[MAX_RUNNERS] = {0};
  if (!input || !times) goto done;
  random_input(in, input);
  memset(runners, 0, sizeof runners);
  for (int r = 0; r < MAX_RUNNERS; r++)
    if (o->want[r]) ready[r] = init_runner(r, file, size, g, input, o->threads, &runners[r]);
  for (int i = 0; i < o->warmup; i++)
    for (int r = 0; r < MAX_RUNNERS; r++)
      if (ready[r] && !runners[r].invoke(runners[r].state)) ready[r] = false;
  for (int i = 0; i < o->runs; i++)
    for (int r = 0; r < MAX_RUNNERS; r++) {
      if (!ready[r]) continue;
      const double t0 = now_ms(o->thread_clock);
      if (!runners[r].invoke(runners[r].state)) ready[r] = false;
      times[r * o->runs + i] = now_ms(o->thread_clock) - t0;
    }
  for (int r = 0; r < MAX_RUNNERS; r++) {
    if (!ready[r]) continue;
    qsort(times + r * o->runs, (size_t)o->runs, sizeof(double), compare_double);
    median[r] = times[r * o->runs + o->runs / 2];
  }
  printf("%-40s %-5s", label, in->type == Q8_TYPE_FLOAT32 ? "f32" : q8_type_name(in->type));
  for (int r = 0; r < MAX_RUNNERS; r++) {
    if (!ready[r]) printf(r ? " %10s %6s" : " %10s", "-", "");
    else if (r == 0) printf(" %10.3f", median[r]);
    else if (ready[0]) printf(" %10.3f %6.2f", median[r], median[r] / median[0]);
    else printf(" %10.3f %6s", median[r], "");
  }
  printf("\n");
  for (int r = 0; r < MAX_RUNNERS; r++) {
    if (!o->want[r]) continue;
    if (ready[r] && o->dump) dump_output(runner_names[r], out, runners[r].output(runners[r].state));
    if (!ready[r]) printf("    %s: not timed: %s\n", runner_names[r], runners[r].note);
    else if (o->verbose) printf("    %s: %s\n", runner_names[r], runners[r].note);
    if (r == 0 || !ready[r] || !ready[0]) continue;
    if (runners[r].output_bytes != runners[0].output_bytes) {
      printf("    warning: %s output has %zu bytes, q8's %zu: not compared\n", runner_names[r],
             runners[r].output_bytes, runners[0].output_bytes);
      continue;
    }
    double diff;
    bool same;
    compare_outputs(out, runners[0].output(runners[0].state), runners[r].output(runners[r].state),
                    &diff, &same);
    const double unit = out->type == Q8_TYPE_FLOAT32 ? 0.0 : peer_scale(out, 0);
    if (diff > 1e-4 && (unit == 0.0 || diff > 1.5 * unit))
      printf("    warning: %s output differs from q8's by up to %.4g%s (argmax %s)\n",
             runner_names[r], diff, unit ? " (more than one quantum)" : "",
             same ? "agrees" : "differs");
  }
done:
  for (int r = 0; r < MAX_RUNNERS; r++)
    if (runners[r].free) runners[r].free(runners[r].state);
  free(times);
  free(input);
  q8_graph_free(g);
  fflush(stdout);
}

static int usage(FILE *f, int code) {
  fprintf(f,
          "usage: bench-peers [options] MODEL.tflite...\n"
          "       bench-peers [options] --layers [--type int8|float|both] [--only TEXT]\n"
          "  Times q8, oneDNN and XNNPACK on the same networks, interleaved; ratios = peer / q8.\n"
"  --clock C      wall (default) or thread: the calling thread's CPU time, for a loaded\n"
          "                 machine (only meaningful with --threads 1)\n"
          "  --dump         print the first outputs of each library (dequantized)\n"
          "  --only TEXT    with --layers: only the shapes whose name contains TEXT\n"
          "  --runs N       timed invokes per library (default 30; the median is reported)\n"
          "  --warmup N     untimed invokes first (default 3)\n"
          "  --threads N    threads per library (default 1: oneDNN's OpenMP set to 1, XNNPACK\n"
          "                 without a thread pool, q8 with one thread)\n"
          "  --peers LIST   comma-separated subset of q8,onednn,xnnpack (default all)\n"
          "  --verbose      what each library chose (kernel path, oneDNN implementations,\n"
          "                 operators done by the benchmark's plain C stand-ins)\n"
          "  Pin to one core for stable numbers: taskset -c 0 bench-peers ...\n");
  return code;
}

static bool parse_int(const char *text, int lo, int *value) {
  char *end;
  const long v = strtol(text, &end, 10);
  if (*end || end == text || v < lo || v > 1000000) return false;
  *value = (int)v;
  return true;
}

static bool parse_peers(const char *list, options *o) {
  char copy[128];
  snprintf(copy, sizeof copy, "%s", list);
  memset(o->want, 0, sizeof o->want);
  for (char *name = strtok(copy, ","); name; name = strtok(NULL, ",")) {
    int r = 0;
    while (r < MAX_RUNNERS && strcmp(runner_names[r], name) != 0) r++;
    if (r == MAX_RUNNERS) return false;
    o->want[r] = true;
  }
  return true;
}

int main(int argc, char **argv) {
  options o = {.runs = 30, .warmup = 3, .threads = 1, .layer_types = 3,
               .want = {true, true, true}};
  int first_model = argc;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const bool has_value = i + 1 < argc;
    if (strcmp(a, "--help") == 0) return usage(stdout, 0);
    if (strcmp(a, "--layers") == 0) o.layers = true;
    else if (strcmp(a, "--verbose") == 0) o.verbose = true;
    else if (strcmp(a, "--dump") == 0) o.dump = true;
    else if (strcmp(a, "--runs") == 0 && has_value && parse_int(argv[i + 1], 1, &o.runs)) i++;
    else if (strcmp(a, "--warmup") == 0 && has_value && parse_int(argv[i + 1], 0, &o.warmup)) i++;
    else if (strcmp(a, "--threads") == 0 && has_value && parse_int(argv[i + 1], 1, &o.threads)) i++;
    else if (strcmp(a, "--peers") == 0 && has_value && parse_peers(argv[i + 1], &o)) i++;
    else if (strcmp(a, "--only") == 0 && has_value) o.only = argv[++i];
    else if (strcmp(a, "--clock") == 0 && has_value && (strcmp(argv[i + 1], "wall") == 0 ||
                                                         strcmp(argv[i + 1], "thread") == 0))
      o.thread_clock = strcmp(argv[++i], "thread") == 0;
    else if (strcmp(a, "--type") == 0 && has_value) {
      const char *t = argv[++i];
      o.layer_types = strcmp(t, "int8") == 0 ? 1 : strcmp(t, "float") == 0 ? 2 : strcmp(t, "both") == 0 ? 3 : 0;
      if (!o.layer_types) return usage(stderr, 2);
    } else if (a[0] == '-') {
      fprintf(stderr, "bench-peers: bad option or value: %s\n", a);
      return usage(stderr, 2);
    } else {
      first_model = i;
      break;
    }
  }
  if (!o.layers && first_model == argc) return usage(stderr, 2);
  printf("bench-peers: %d thread(s) per library, median %s time of %d runs after %d warm-up, "
         "interleaved; x q8 = peer time / q8 time (above 1: q8 faster)\n",
         o.threads, o.thread_clock ? "thread CPU" : "wall", o.runs, o.warmup);
  print_header();
  if (o.layers) {
    for (int i = 0; i < peer_layer_shape_count; i++)
      for (int f = 0; f < 2; f++) {
        if (!(o.layer_types & (1 << f))) continue;
        if (o.only && !strstr(peer_layer_shapes[i].name, o.only)) continue;
        uint8_t *file = NULL;
        size_t size = 0;
        q8_error error = {{0}};
        if (peer_layer_model(&peer_layer_shapes[i], f == 1, &file, &size, &error) != Q8_OK) {
          printf("%-40s could not be written: %s\n", peer_layer_shapes[i].name, error.message);
          continue;
        }
        run_model(peer_layer_shapes[i].name, file, size, &o);
        free(file);
      }
  }
  for (int i = first_model; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      printf("%-40s cannot open\n", argv[i]);
      continue;
    }
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *file = size > 0 ? malloc((size_t)size) : NULL;
    if (file && fread(file, 1, (size_t)size, f) == (size_t)size) {
      const char *base = strrchr(argv[i], '/');
      run_model(base ? base + 1 : argv[i], file, (size_t)size, &o);
    } else {
      printf("%-40s cannot read\n", argv[i]);
    }
    free(file);
    fclose(f);
  }
  return 0;
}
