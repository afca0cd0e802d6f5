/* DEPTHWISE_CONV_2D speed per kernel path on MobileNet's shapes (int8, 3x3, SAME): GOPS
   (a multiply-add counts 2) from the median of many runs' thread CPU time, one thread,
   pinned to one core.
   Not a test: numbers depend on the machine. Usage: bench-dwconv [CPU] (default 0).
   Paths this build or CPU lacks are listed as skipped. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cpu.h"
#include "ops/depthwise-conv-2d.h"
#include "ops/ops-harness.h"

typedef struct shape {
  const char *name;
  int32_t h, w, c, stride;
} shape;

static const shape kShapes[] = {
    {"112x112x32 s1", 112, 112, 32, 1},   {"112x112x64 s2", 112, 112, 64, 2},
    {"56x56x128 s1", 56, 56, 128, 1},     {"56x56x128 s2", 56, 56, 128, 2},
    {"28x28x256 s1", 28, 28, 256, 1},     {"28x28x256 s2", 28, 28, 256, 2},
    {"14x14x512 s1", 14, 14, 512, 1},     {"14x14x512 s2", 14, 14, 512, 2},
    {"7x7x1024 s1", 7, 7, 1024, 1},       {"fm 28x28x32 s2", 28, 28, 32, 2},
    {"fm 14x14x64 s1", 14, 14, 64, 1},    {"fm 14x14x64 s2", 14, 14, 64, 2},
};

/* This thread's CPU time: on a machine shared with other jobs, time spent descheduled does
   not count (caches shared with them still do). */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct setup {
  q8_depthwise_conv_2d_params p;
  int8_t *input, *filter, *output;
  int32_t *bias, *folded, *multiplier, *shift;
} setup;

static void setup_shape(const shape *s, setup *u) {
  q8_depthwise_conv_2d_params *p = &u->p;
  *p = (q8_depthwise_conv_2d_params){.batch = 1, .in_h = s->h, .in_w = s->w, .in_c = s->c,
                                     .out_c = s->c, .depth_multiplier = 1, .kernel_h = 3,
                                     .kernel_w = 3, .stride_h = s->stride, .stride_w = s->stride,
                                     .dilation_h = 1, .dilation_w = 1, .input_zero_point = -3,
                                     .output_zero_point = 5, .act_min = -128, .act_max = 127};
  p->out_h = q8_conv_out_size(Q8_PADDING_SAME, s->h, 3, s->stride, 1, &p->pad_top);
  p->out_w = q8_conv_out_size(Q8_PADDING_SAME, s->w, 3, s->stride, 1, &p->pad_left);
  const size_t n_in = (size_t)s->h * s->w * s->c, n_out = (size_t)p->out_h * p->out_w * s->c;
  u->input = malloc(n_in);
  u->filter = malloc((size_t)9 * s->c);
  u->output = malloc(n_out);
  u->bias = malloc(sizeof(int32_t) * (size_t)s->c);
  u->folded = malloc(sizeof(int32_t) * (size_t)s->c);
  u->multiplier = malloc(sizeof(int32_t) * (size_t)s->c);
  u->shift = malloc(sizeof(int32_t) * (size_t)s->c);
  t_rng rng = {1};
  for (size_t i = 0; i < n_in; i++) u->input[i] = (int8_t)t_rng_next(&rng);
  for (int32_t i = 0; i < 9 * s->c; i++) u->filter[i] = (int8_t)t_rng_next(&rng);
  for (int32_t i = 0; i < s->c; i++) {
    u->bias[i] = (int32_t)t_rng_range(&rng, -5000, 5000);
    u->multiplier[i] = (int32_t)t_rng_range(&rng, INT64_C(1) << 30, INT32_MAX);
    u->shift[i] = -12;
  }
  p->multiplier = u->multiplier;
  p->shift = u->shift;
  q8_ref_depthwise_conv_2d_fold_bias_qs8(p, u->filter, u->bias, u->folded);
}

static void free_setup(setup *u) {
  free(u->input);
  free(u->filter);
  free(u->output);
  free(u->bias);
  free(u->folded);
  free(u->multiplier);
  free(u->shift);
}

/* Median seconds of one run: at least 7 runs and 0.25 s, at most 500 runs. */
static double median_seconds(q8_isa isa, setup *u) {
  q8_prepare_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.isa = isa;
  q8_depthwise_conv_2d_plan plan = {.params = u->p, .folded_bias = u->folded};
  q8_op_plan op = {0};
  if (q8_depthwise_conv_2d_plan_kernels(&ctx, &plan, u->filter, u->bias, true, &op) != Q8_OK) {
    fprintf(stderr, "plan failed: %s\n", ctx.message);
    exit(1);
  }
  void *scratch = op.scratch_bytes > 0 ? malloc(op.scratch_bytes) : NULL;
  const void *inputs[3] = {u->input, u->filter, u->bias};
  void *outputs[1] = {u->output};
  enum { MAX_RUNS = 500 };
  static double times[MAX_RUNS];
  int runs = 0;
  const double start = now();
  op.run(op.params, inputs, outputs, scratch); /* warm-up */
  while (runs < MAX_RUNS && (runs < 7 || now() - start < 0.25)) {
    const double t0 = now();
    op.run(op.params, inputs, outputs, scratch);
    times[runs++] = now() - t0;
  }
  qsort(times, (size_t)runs, sizeof times[0], compare_double);
  free(scratch);
  h_ctx_free(&ctx);
  return times[runs / 2];
}

int main(int argc, char **argv) {
  const int cpu = argc > 1 ? atoi(argv[1]) : 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) fprintf(stderr, "could not pin to CPU %d\n", cpu);
  static const q8_isa isas[] = {Q8_ISA_REF, Q8_ISA_SCALAR, Q8_ISA_AVX2, Q8_ISA_AVX512VNNI};
  static const char *names[] = {"ref", "scalar", "avx2", "avx512vnni"};
  bool runs[4];
  printf("DEPTHWISE_CONV_2D int8 3x3 SAME, 1 thread on CPU %d, GOPS (2 ops per multiply-add) "
         "over thread CPU time, median of runs\n",
         cpu);
  printf("%-16s", "shape");
  for (int i = 0; i < 4; i++) {
    runs[i] = q8_isa_compiled(isas[i]) && q8_isa_runs_on(isas[i], q8_cpu_detect());
    printf(" %11s", names[i]);
  }
  printf("\n");
  for (size_t s = 0; s < sizeof kShapes / sizeof kShapes[0]; s++) {
    setup u;
    setup_shape(&kShapes[s], &u);
    const double ops = 2.0 * 9 * u.p.out_h * u.p.out_w * u.p.out_c;
    printf("%-16s", kShapes[s].name);
    for (int i = 0; i < 4; i++) {
      if (runs[i])
        printf(" %11.2f", ops / median_seconds(isas[i], &u) * 1e-9);
      else
        printf(" %11s", "skipped");
      fflush(stdout);
    }
    printf("\n");
    free_setup(&u);
  }
  return 0;
}
