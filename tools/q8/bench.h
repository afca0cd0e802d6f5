/* q8 bench: what the measuring part (bench.c) hands the report (bench-report.c). */
#ifndef Q8_TOOLS_BENCH_H
#define Q8_TOOLS_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"

typedef struct bench_args {
  const char **models; /* the MODEL arguments, in order: the first is the baseline */
  int n_models;
  int runs;   /* timed invokes per model, and as many profiled ones */
  int warmup; /* untimed invokes per model before any timing */
  int top;    /* slowest nodes listed in the text report; 0: all */
  bool json;
  q8_interp_options runtime; /* --threads, --isa */
} bench_args;

typedef struct bench_model {
  const char *path;
  q8_model *model;
  q8_interp *interp;
  char error[512];      /* why the model was not timed; "" when it was */
  int32_t n_nodes;
  int64_t *latency_ns;  /* [runs]: plain invokes */
  int64_t *profiled_ns; /* [runs]: whole profiled invokes, clock reads included */
  int64_t *node_ns;     /* [runs][n_nodes]: each node's time in the profiled invokes */
} bench_model;

typedef struct bench_run {
  bench_args args;
  bench_model *models; /* [args.n_models] */
  int affinity_cpus;   /* CPUs this process may run on; 0 when unknown */
  char cpu[128];       /* the CPU's name, "" when unknown */
  char load[64];       /* /proc/loadavg's 1, 5 and 15 minute loads, "" when unknown */
  uint64_t peak_rss_bytes; /* the process's peak resident memory after all runs */
} bench_run;

/* Prints the run as text or JSON (run->args.json) on stdout; 0 (message printed) when out of
   memory. */
int bench_report(const bench_run *run);

#endif
