/* q8 bench MODEL [MODEL...]: single-image latency (median and spread over plain invokes),
   a per-operator breakdown from separate profiled invokes, work rate (GOPS) and memory. Several
   models are timed interleaved in one run, so that machine noise hits them alike, and compared
   by ratio against the first. The report (text or JSON) is in bench-report.c. */
#define _GNU_SOURCE /* sched_getaffinity and CPU_COUNT */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "runtime/profile.h"

static void bench_usage(FILE *f) {
  fputs("usage: q8 bench MODEL [MODEL...] [--runs N] [--warmup N] [--top N] [--threads N]\n"
        "                [--isa PATH] [--json]\n"
        "\n"
        "Times single-image inference: --warmup plain invokes, then --runs timed ones (median\n"
        "and spread), then --runs profiled ones that time each node (the breakdown by operator\n"
        "kind and the slowest nodes, with MACs and GOPS at 2 operations per MAC). Several models\n"
        "(an int8 and a float version of one network, say) are timed alternately in the same run\n"
        "and compared by ratio against the first. Inputs are fixed pseudo-random values.\n"
        "Take numbers on one core: `taskset -c 0 q8 bench ...`.\n"
        "\n"
        "options:\n"
        "  --runs N     timed invokes per model (default 20; the profile uses as many more)\n"
        "  --warmup N   untimed invokes per model first (default 3)\n"
        "  --top N      slowest nodes listed in the text report (default 10; 0: all)\n"
        "  --json       one JSON object (schema: doc/bench.md)\n" CLI_RUNTIME_OPTIONS_HELP,
        f);
}

/* A count option's value from min to max; -1 (message printed) otherwise. */
static int parse_count(const char *option, const char *value, long min, long max) {
  char *end;
  const long n = strtol(value, &end, 10);
  if (*end != 0 || end == value || n < min || n > max)
    return -cli_error("%s takes a count from %ld to %ld, not '%s'", option, min, max, value);
  return (int)n;
}

static int parse_count_option(int argc, char **argv, int *i, bench_args *a) {
  const char *arg = argv[*i];
  int *target = strcmp(arg, "--runs") == 0     ? &a->runs
                : strcmp(arg, "--warmup") == 0 ? &a->warmup
                : strcmp(arg, "--top") == 0    ? &a->top
                                               : NULL;
  if (target == NULL) return 0;
  if (*i + 1 == argc) return -cli_error("%s needs a value", arg);
  const long min = target == &a->runs ? 1 : 0;
  *target = parse_count(arg, argv[++*i], min, 1000000);
  return *target < 0 ? -1 : 1;
}

static int parse_args(int argc, char **argv, bench_args *a) {
  memset(a, 0, sizeof *a);
  a->runs = 20;
  a->warmup = 3;
  a->top = 10;
  a->models = calloc((size_t)argc, sizeof(char *));
  if (a->models == NULL) return !cli_error("out of memory");
  for (int i = 1; i < argc; i++) {
    int r = cli_runtime_option(argc, argv, &i, &a->runtime);
    if (r == 0) r = parse_count_option(argc, argv, &i, a);
    if (r < 0) return 0;
    if (r > 0) continue;
    if (strcmp(argv[i], "--json") == 0) a->json = true;
    else if (argv[i][0] == '-' && argv[i][1] != 0) return !cli_error("unknown option '%s'", argv[i]);
    else a->models[a->n_models++] = argv[i];
  }
  if (a->n_models == 0) return !cli_error("give at least one MODEL (see `q8 bench --help`)");
  return 1;
}

/* ---- loading ---- */

/* Records why m is not timed, naming the file unless the runtime's message does. */
static void refuse(bench_model *m, const char *message) {
  const bool named = strstr(message, m->path) != NULL;
  const int n = snprintf(m->error, sizeof m->error, "%s%s%s", named ? "" : m->path,
                         named ? "" : ": ", message);
  if (n < 0) snprintf(m->error, sizeof m->error, "%s", "refused"); /* never empty */
  cli_error("%s", m->error);
}

/* Fixed pseudo-random input values: bytes for 8-bit inputs, [0, 1) for float32, 0 for int32
   (an index or a shape, where random values could be out of range). */
static void fill_input(uint8_t *data, const q8_tensor_info *info, uint32_t *seed) {
  const size_t count = info->bytes / q8_type_size(info->type);
  for (size_t k = 0; k < count; k++) {
    *seed = *seed * 1664525u + 1013904223u;
    if (info->type == Q8_TYPE_UINT8 || info->type == Q8_TYPE_INT8) {
      data[k] = (uint8_t)(*seed >> 24);
    } else if (info->type == Q8_TYPE_FLOAT32) {
      const float v = (float)(*seed >> 8) / 16777216.0f;
      memcpy(data + 4 * k, &v, 4);
    } else {
      memset(data + q8_type_size(info->type) * k, 0, q8_type_size(info->type));
    }
  }
}

static int set_inputs(bench_model *m) {
  uint32_t seed = 12345;
  for (int32_t i = 0; i < q8_interp_input_count(m->interp); i++) {
    q8_tensor_info info;
    q8_interp_input_info(m->interp, i, &info);
    uint8_t *data = malloc(info.bytes > 0 ? info.bytes : 1);
    if (data == NULL) return refuse(m, "out of memory for an input"), 0;
    fill_input(data, &info, &seed);
    const q8_status s = q8_interp_set_input(m->interp, i, data, info.bytes);
    free(data);
    if (s != Q8_OK) return refuse(m, q8_interp_last_error(m->interp)), 0;
  }
  return 1;
}

/* Loads and prepares the model and makes room for its timings; on failure records the
   runtime's message in m->error and returns 0 (the other models still run). */
static int open_model(bench_model *m, const bench_args *a) {
  q8_error err;
  if (q8_model_load_file(m->path, &m->model, &err) != Q8_OK) return refuse(m, err.message), 0;
  if (q8_interp_init(m->model, &a->runtime, &m->interp, &err) != Q8_OK)
    return refuse(m, err.message), 0;
  m->n_nodes = q8_interp_node_count(m->interp);
  const size_t runs = (size_t)a->runs, nodes = (size_t)(m->n_nodes > 0 ? m->n_nodes : 1);
  m->latency_ns = calloc(runs, sizeof(int64_t));
  m->profiled_ns = calloc(runs, sizeof(int64_t));
  m->node_ns = calloc(runs * nodes, sizeof(int64_t));
  if (m->latency_ns == NULL || m->profiled_ns == NULL || m->node_ns == NULL)
    return refuse(m, "out of memory for the timings"), 0;
  return set_inputs(m);
}

static void close_model(bench_model *m) {
  free(m->latency_ns);
  free(m->profiled_ns);
  free(m->node_ns);
  q8_interp_free(m->interp);
  q8_model_free(m->model);
}

/* ---- timing ---- */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}

static int warm_up(bench_model *m, int invokes) {
  /* One invoke at least: it checks the inputs, which the profiled invoke does not. */
  for (int r = 0; r < (invokes > 0 ? invokes : 1); r++)
    if (q8_interp_invoke(m->interp) != Q8_OK) return refuse(m, q8_interp_last_error(m->interp)), 0;
  return 1;
}

static void time_one(bench_model *m, int run, bool profiled) {
  const int64_t start = now_ns();
  if (profiled) {
    q8_invoke_nodes_profiled(m->interp, m->node_ns + (size_t)run * (size_t)m->n_nodes);
    m->profiled_ns[run] = now_ns() - start;
  } else {
    q8_interp_invoke(m->interp); /* the warm-up's invoke succeeded with the same inputs */
    m->latency_ns[run] = now_ns() - start;
  }
}

/* Run r of every model, starting from model r mod n: each model goes first as often as the
   others, and a slow spell of the machine lands on neighbouring runs of all of them. */
static void time_interleaved(bench_model *models, int n, int runs, bool profiled) {
  for (int r = 0; r < runs; r++)
    for (int k = 0; k < n; k++) {
      bench_model *m = &models[(r + k) % n];
      if (m->error[0] == 0) time_one(m, r, profiled);
    }
}

/* ---- machine ---- */

static int affinity_cpus(void) {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
  return 0;
}

/* "model name" from /proc/cpuinfo (x86 Linux); "" where there is none. */
static void cpu_name(char *name, size_t size) {
  name[0] = 0;
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) return;
  char line[256];
  while (fgets(line, sizeof line, f) != NULL) {
    const char *colon = strchr(line, ':');
    if (strncmp(line, "model name", 10) != 0 || colon == NULL) continue;
    snprintf(name, size, "%s", colon + 1 + (colon[1] == ' '));
    name[strcspn(name, "\n")] = 0;
    break;
  }
  fclose(f);
}

/* The first three fields of /proc/loadavg: other work on the machine shows in the spread. */
static void load_average(char *load, size_t size) {
  load[0] = 0;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f == NULL) return;
  double one, five, fifteen;
  if (fscanf(f, "%lf %lf %lf", &one, &five, &fifteen) == 3)
    snprintf(load, size, "%.2f %.2f %.2f", one, five, fifteen);
  fclose(f);
}

static void describe_machine(bench_run *run) {
  run->affinity_cpus = affinity_cpus();
  cpu_name(run->cpu, sizeof run->cpu);
  load_average(run->load, sizeof run->load);
  struct rusage usage;
  /* Linux reports ru_maxrss in KiB. */
  run->peak_rss_bytes = getrusage(RUSAGE_SELF, &usage) == 0 ? (uint64_t)usage.ru_maxrss * 1024 : 0;
}

int q8_cli_bench(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    bench_usage(stdout);
    return 0;
  }
  bench_run run;
  memset(&run, 0, sizeof run);
  if (!parse_args(argc, argv, &run.args)) {
    free(run.args.models);
    return 2;
  }
  const bench_args *a = &run.args;
  run.models = calloc((size_t)a->n_models, sizeof(bench_model));
  int failed = run.models == NULL ? !cli_error("out of memory") : 0;
  for (int k = 0; k < a->n_models && run.models != NULL; k++) {
    bench_model *m = &run.models[k];
    m->path = a->models[k];
    if (!open_model(m, a) || !warm_up(m, a->warmup)) failed++;
  }
  if (run.models != NULL) {
    time_interleaved(run.models, a->n_models, a->runs, false);
    time_interleaved(run.models, a->n_models, a->runs, true);
    describe_machine(&run);
    if (!bench_report(&run)) failed++;
    for (int k = 0; k < a->n_models; k++) close_model(&run.models[k]);
  }
  free(run.models);
  free(run.args.models);
  return failed > 0 ? 1 : 0;
}
