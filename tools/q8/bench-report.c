/* q8 bench's report: statistics of the timings, the per-operator breakdown, memory, ratios
   against the first model; as text or as one JSON object (schema: doc/bench.md). */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

/* ---- statistics ---- */

/* Milliseconds of a set of timings: median, nearest-rank percentiles and the median absolute
   deviation (a spread that one slow outlier does not move). */
typedef struct spread {
  double median, min, p10, p90, max, mad;
} spread;

static int compare_doubles(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_of_sorted(const double *v, int n) {
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double percentile_of_sorted(const double *v, int n, int percent) {
  int rank = (percent * n + 99) / 100; /* the smallest value with percent% at or below it */
  return v[rank > 0 ? rank - 1 : 0];
}

/* The n values ns[0], ns[stride], ..., in milliseconds. */
static spread spread_of(const int64_t *ns, int n, size_t stride) {
  spread s;
  memset(&s, 0, sizeof s);
  double *v = malloc(sizeof(double) * (size_t)n);
  if (v == NULL) return s;
  for (int r = 0; r < n; r++) v[r] = (double)ns[(size_t)r * stride] * 1e-6;
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  s.median = median_of_sorted(v, n);
  s.min = v[0];
  s.max = v[n - 1];
  s.p10 = percentile_of_sorted(v, n, 10);
  s.p90 = percentile_of_sorted(v, n, 90);
  for (int r = 0; r < n; r++) v[r] = v[r] > s.median ? v[r] - s.median : s.median - v[r];
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  s.mad = median_of_sorted(v, n);
  free(v);
  return s;
}

/* Mean of the n values ns[0], ns[stride], ..., in milliseconds. */
static double mean_of(const int64_t *ns, int n, size_t stride) {
  int64_t sum = 0;
  for (int r = 0; r < n; r++) sum += ns[(size_t)r * stride];
  return (double)sum * 1e-6 / n;
}

/* Operations per nanosecond are billions per second; 2 operations per multiply-accumulate. */
static double gops(uint64_t macs, double ms) {
  return ms > 0 ? 2.0 * (double)macs / (ms * 1e6) : 0.0;
}

typedef struct kind_total {
  int nodes;
  double ms;
  uint64_t macs;
} kind_total;

/* What the report says about one timed model. */
typedef struct model_summary {
  spread latency;
  /* Medians resist a run the scheduler interrupted; means add up: in every profiled run the
     nodes' times sum to at most the whole invoke's (the clock reads around it come on top). */
  double profiled_ms, profiled_mean_ms;  /* whole profiled invokes */
  double nodes_sum_ms, nodes_mean_sum_ms; /* sums of the nodes' medians and of their means */
  double *node_ms;     /* [n_nodes]: median over the profiled runs */
  int32_t *slowest;    /* [n_nodes]: node indices, slowest first */
  uint64_t macs;
  kind_total kinds[Q8_OP_COUNT];
} model_summary;

static const double *g_sort_ms; /* qsort's comparison has no context argument */
static int compare_slower(const void *a, const void *b) {
  const double x = g_sort_ms[*(const int32_t *)a], y = g_sort_ms[*(const int32_t *)b];
  return (x < y) - (x > y);
}

static int summarize(const bench_model *m, int runs, model_summary *s) {
  memset(s, 0, sizeof *s);
  const size_t nodes = (size_t)(m->n_nodes > 0 ? m->n_nodes : 1);
  s->node_ms = calloc(nodes, sizeof(double));
  s->slowest = calloc(nodes, sizeof(int32_t));
  if (s->node_ms == NULL || s->slowest == NULL) return !cli_error("out of memory");
  s->latency = spread_of(m->latency_ns, runs, 1);
  s->profiled_ms = spread_of(m->profiled_ns, runs, 1).median;
  s->profiled_mean_ms = mean_of(m->profiled_ns, runs, 1);
  const q8_graph *g = m->interp->model->graph;
  for (int32_t i = 0; i < m->n_nodes; i++) {
    s->node_ms[i] = spread_of(m->node_ns + i, runs, (size_t)m->n_nodes).median;
    s->nodes_sum_ms += s->node_ms[i];
    s->nodes_mean_sum_ms += mean_of(m->node_ns + i, runs, (size_t)m->n_nodes);
    const uint64_t macs = q8_interp_node_macs(m->interp, i);
    s->macs += macs;
    kind_total *k = &s->kinds[g->nodes[i].kind];
    k->nodes++;
    k->ms += s->node_ms[i];
    k->macs += macs;
    s->slowest[i] = i;
  }
  g_sort_ms = s->node_ms;
  qsort(s->slowest, (size_t)m->n_nodes, sizeof(int32_t), compare_slower);
  return 1;
}

static void free_summary(model_summary *s) {
  free(s->node_ms);
  free(s->slowest);
}

static const char *node_output_name(const bench_model *m, int32_t i) {
  const q8_node *node = &m->interp->model->graph->nodes[i];
  return node->n_outputs > 0 ? m->interp->tensors[node->outputs[0]].name : "";
}

/* ---- text ---- */

static void print_text_header(const bench_run *run) {
  const bench_args *a = &run->args;
  printf("q8 bench: %d timed and %d profiled runs per model after %d warm-up run(s)\n", a->runs,
         a->runs, a->warmup);
  printf("affinity: %d CPU(s)%s\n", run->affinity_cpus,
         run->affinity_cpus == 1 ? "" : " (numbers are meant for one core: taskset -c 0 q8 bench ...)");
  if (run->cpu[0] != 0) printf("cpu: %s\n", run->cpu);
  if (run->load[0] != 0) printf("load average: %s (after the runs)\n", run->load);
}

static void print_text_kinds(const model_summary *s) {
  printf("  by operator kind (per node: median over the profiled runs):\n");
  printf("    %-20s %5s %10s %6s %10s %8s\n", "kind", "nodes", "ms", "share", "MMACs", "GOPS");
  for (int k = 0; k < Q8_OP_COUNT; k++) {
    const kind_total *t = &s->kinds[k];
    if (t->nodes == 0) continue;
    printf("    %-20s %5d %10.4f %5.1f%% %10.3f %8.2f\n", q8_op_name((q8_op_kind)k), t->nodes,
           t->ms, s->nodes_sum_ms > 0 ? 100 * t->ms / s->nodes_sum_ms : 0.0,
           (double)t->macs * 1e-6, gops(t->macs, t->ms));
  }
}

static void print_text_nodes(const bench_model *m, const model_summary *s, int top) {
  const int shown = top > 0 && top < m->n_nodes ? top : m->n_nodes;
  printf("  slowest nodes (%d of %d):\n", shown, (int)m->n_nodes);
  printf("    %5s %-20s %10s %6s %10s %8s  %s\n", "node", "kind", "ms", "share", "MMACs", "GOPS",
         "output");
  for (int r = 0; r < shown; r++) {
    const int32_t i = s->slowest[r];
    const uint64_t macs = q8_interp_node_macs(m->interp, i);
    const char *name = node_output_name(m, i); /* TFLite joins fused names with ';' */
    printf("    %5d %-20s %10.4f %5.1f%% %10.3f %8.2f  %.*s\n", (int)i,
           q8_op_name(m->interp->model->graph->nodes[i].kind), s->node_ms[i],
           s->nodes_sum_ms > 0 ? 100 * s->node_ms[i] / s->nodes_sum_ms : 0.0,
           (double)macs * 1e-6, gops(macs, s->node_ms[i]), (int)strcspn(name, ";"), name);
  }
}

static void print_text_model(const bench_run *run, const bench_model *m, const model_summary *s) {
  const spread *l = &s->latency;
  printf("\nmodel: %s\n", m->path);
  printf("  kernels: %s, %d thread(s)\n", q8_isa_name(q8_interp_isa(m->interp)),
         (int)q8_interp_threads(m->interp));
  printf("  latency: median %.4f ms; min %.4f, p10 %.4f, p90 %.4f, max %.4f, MAD %.4f ms (%d runs)\n",
         l->median, l->min, l->p10, l->p90, l->max, l->mad, run->args.runs);
  printf("  work: %llu MACs, %.2f GOPS at the median (2 operations per MAC)\n",
         (unsigned long long)s->macs, gops(s->macs, l->median));
  printf("  memory: arena %zu bytes (activations and kernel scratch, shared by lifetime)\n",
         q8_interp_arena_size(m->interp));
  printf("          persistent %zu bytes (operator parameters, packed weights, aligned copies)\n",
         q8_interp_persistent_size(m->interp));
  printf("          file %zu bytes (the model, mapped: weights are read in place)\n",
         m->interp->model->size);
  printf("  profile: invoke median %.4f ms, mean %.4f ms (a clock read per node included)\n",
         s->profiled_ms, s->profiled_mean_ms);
  printf("           nodes' medians sum to %.4f ms, their means to %.4f ms\n", s->nodes_sum_ms,
         s->nodes_mean_sum_ms);
  print_text_kinds(s);
  print_text_nodes(m, s, run->args.top);
}

/* Index of the first model that was timed (the baseline of the ratios); -1 when none was. */
static int baseline(const bench_run *run) {
  for (int k = 0; k < run->args.n_models; k++)
    if (run->models[k].error[0] == 0) return k;
  return -1;
}

/* Each operator kind's time in every model side by side: where an int8 and a float version of
   a network differ. */
static void print_text_kind_comparison(const bench_run *run, const model_summary *sums) {
  printf("  by operator kind, ms (sums of the nodes' profiled medians), models in order:\n");
  printf("    %-20s", "kind");
  for (int k = 0; k < run->args.n_models; k++) {
    char column[24]; /* "model " and any int */
    snprintf(column, sizeof column, "model %d", k + 1);
    printf(" %12s", column);
  }
  printf("\n");
  for (int kind = 0; kind < Q8_OP_COUNT; kind++) {
    bool present = false;
    for (int k = 0; k < run->args.n_models; k++)
      present |= run->models[k].error[0] == 0 && sums[k].kinds[kind].nodes > 0;
    if (!present) continue;
    printf("    %-20s", q8_op_name((q8_op_kind)kind));
    for (int k = 0; k < run->args.n_models; k++) {
      if (run->models[k].error[0] != 0 || sums[k].kinds[kind].nodes == 0) printf(" %12s", "-");
      else printf(" %12.4f", sums[k].kinds[kind].ms);
    }
    printf("\n");
  }
}

static void print_text_ratios(const bench_run *run, const model_summary *sums) {
  const int b = baseline(run);
  if (run->args.n_models < 2 || b < 0) return;
  printf("\ncomparison (runs interleaved; ratio: median time over %s's):\n", run->models[b].path);
  printf("  %10s %8s  %s\n", "median ms", "ratio", "model");
  for (int k = 0; k < run->args.n_models; k++) {
    const bench_model *m = &run->models[k];
    if (m->error[0] != 0) printf("  %10s %8s  %s (not timed: %s)\n", "-", "-", m->path, m->error);
    else
      printf("  %10.4f %8.3f  %s\n", sums[k].latency.median,
             sums[k].latency.median / sums[b].latency.median, m->path);
  }
  print_text_kind_comparison(run, sums);
}

static void print_text(const bench_run *run, const model_summary *sums) {
  print_text_header(run);
  for (int k = 0; k < run->args.n_models; k++) {
    const bench_model *m = &run->models[k];
    if (m->error[0] != 0) printf("\nmodel: %s\n  not timed: %s\n", m->path, m->error);
    else print_text_model(run, m, &sums[k]);
  }
  print_text_ratios(run, sums);
  printf("\npeak resident memory: %llu KiB (ru_maxrss of this process: every model loaded "
         "here, its arena and the weight pages read)\n",
         (unsigned long long)(run->peak_rss_bytes / 1024));
}

/* ---- JSON ---- */

static void print_json_kinds(const model_summary *s) {
  printf(", \"by_kind\": [");
  const char *sep = "";
  for (int k = 0; k < Q8_OP_COUNT; k++) {
    const kind_total *t = &s->kinds[k];
    if (t->nodes == 0) continue;
    printf("%s{\"kind\": \"%s\", \"nodes\": %d, \"ms\": %.6f, \"macs\": %llu, \"gops\": %.4f}",
           sep, q8_op_name((q8_op_kind)k), t->nodes, t->ms, (unsigned long long)t->macs,
           gops(t->macs, t->ms));
    sep = ", ";
  }
  printf("]");
}

static void print_json_nodes(const bench_model *m, const model_summary *s) {
  printf(", \"nodes\": [");
  for (int32_t i = 0; i < m->n_nodes; i++) {
    const uint64_t macs = q8_interp_node_macs(m->interp, i);
    printf("%s{\"index\": %d, \"kind\": \"%s\", \"output\": ", i ? ", " : "", (int)i,
           q8_op_name(m->interp->model->graph->nodes[i].kind));
    cli_print_json_string(node_output_name(m, i));
    printf(", \"ms\": %.6f, \"macs\": %llu, \"gops\": %.4f}", s->node_ms[i],
           (unsigned long long)macs, gops(macs, s->node_ms[i]));
  }
  printf("]");
}

/* The fields of one model, without braces. */
static void print_json_model_fields(const bench_run *run, const bench_model *m,
                                    const model_summary *s) {
  printf("\"model\": ");
  cli_print_json_string(m->path);
  if (m->error[0] != 0) {
    printf(", \"error\": ");
    cli_print_json_string(m->error);
    return;
  }
  const spread *l = &s->latency;
  printf(", \"isa\": \"%s\", \"threads\": %d, \"runs\": %d, \"warmup\": %d",
         q8_isa_name(q8_interp_isa(m->interp)), (int)q8_interp_threads(m->interp),
         run->args.runs, run->args.warmup);
  printf(", \"median_ms\": %.6f, \"min_ms\": %.6f, \"p10_ms\": %.6f, \"p90_ms\": %.6f"
         ", \"max_ms\": %.6f, \"mad_ms\": %.6f", l->median, l->min, l->p10, l->p90, l->max, l->mad);
  printf(", \"macs\": %llu, \"gops\": %.4f", (unsigned long long)s->macs,
         gops(s->macs, l->median));
  printf(", \"arena_bytes\": %zu, \"persistent_bytes\": %zu, \"file_bytes\": %zu",
         q8_interp_arena_size(m->interp), q8_interp_persistent_size(m->interp),
         m->interp->model->size);
  printf(", \"profile\": {\"runs\": %d, \"invoke_ms\": %.6f, \"invoke_mean_ms\": %.6f"
         ", \"nodes_sum_ms\": %.6f, \"nodes_mean_sum_ms\": %.6f", run->args.runs, s->profiled_ms,
         s->profiled_mean_ms, s->nodes_sum_ms, s->nodes_mean_sum_ms);
  print_json_kinds(s);
  print_json_nodes(m, s);
  printf("}");
}

static void print_json_machine_fields(const bench_run *run) {
  printf("\"affinity_cpus\": %d, \"cpu\": ", run->affinity_cpus);
  cli_print_json_string(run->cpu);
  printf(", \"load\": ");
  cli_print_json_string(run->load);
  printf(", \"peak_rss_bytes\": %llu", (unsigned long long)run->peak_rss_bytes);
}

static void print_json_ratios(const bench_run *run, const model_summary *sums) {
  const int b = baseline(run);
  printf(", \"baseline\": ");
  if (b >= 0) cli_print_json_string(run->models[b].path);
  else printf("null");
  printf(", \"ratios\": [");
  for (int k = 0; k < run->args.n_models; k++) {
    const bench_model *m = &run->models[k];
    printf(k ? ", {\"model\": " : "{\"model\": ");
    cli_print_json_string(m->path);
    if (m->error[0] != 0 || b < 0) printf(", \"median_ratio\": null}");
    else printf(", \"median_ratio\": %.6f}", sums[k].latency.median / sums[b].latency.median);
  }
  printf("]");
}

static void print_json(const bench_run *run, const model_summary *sums) {
  printf("{");
  if (run->args.n_models == 1) {
    print_json_model_fields(run, &run->models[0], &sums[0]);
  } else {
    printf("\"runs\": %d, \"warmup\": %d, \"models\": [", run->args.runs, run->args.warmup);
    for (int k = 0; k < run->args.n_models; k++) {
      printf(k ? ", {" : "{");
      print_json_model_fields(run, &run->models[k], &sums[k]);
      printf("}");
    }
    printf("]");
    print_json_ratios(run, sums);
  }
  printf(", ");
  print_json_machine_fields(run);
  printf("}\n");
}

int bench_report(const bench_run *run) {
  const int n = run->args.n_models;
  model_summary *sums = calloc((size_t)n, sizeof(model_summary));
  if (sums == NULL) return !cli_error("out of memory");
  int ok = 1;
  for (int k = 0; k < n && ok; k++)
    if (run->models[k].error[0] == 0) ok = summarize(&run->models[k], run->args.runs, &sums[k]);
  if (ok && run->args.json) print_json(run, sums);
  else if (ok) print_text(run, sums);
  for (int k = 0; k < n; k++) free_summary(&sums[k]);
  free(sums);
  return ok;
}
