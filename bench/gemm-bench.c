/* CONV_2D / FULLY_CONNECTED GEMM speed per kernel path (int8, per-channel): GOPS (a
   multiply-add counts 2) of the packed path (activation packing included) on the scalar,
   AVX2 and AVX-512 VNNI kernels against the reference operator, from the median of many runs' thread
   CPU time, one thread pinned to one core; the VNNI figure also as a share of the core's
   VNNI peak (Q8_BENCH_PEAK_GOPS, default 460: 64 MACs per cycle at 3.6 GHz).
   Not a test: numbers depend on the machine. Usage: bench-gemm [CPU] (default 0). Paths this
   build or CPU lacks are listed as skipped. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cpu.h"
#include "ops/ops-harness.h"
#include "ops/quant-gemm.h"
#include "ref/conv-2d.h"

/* A convolution as the GEMM it becomes: M = out pixels, K = kernel^2 * in_c, N = out_c. */
typedef struct shape {
  const char *name;
  int32_t h, w, in_c, out_c, kernel, stride;
} shape;

static const shape kShapes[] = {
    {"3x3 56x56x64->128 (M3136 K576 N128)", 56, 56, 64, 128, 3, 1},
    {"1x1 14x14x1024->1024 (M196 K1024 N1024)", 14, 14, 1024, 1024, 1, 1},
    {"1x1 56x56x64->128 (mobilenet)", 56, 56, 64, 128, 1, 1},
    {"1x1 28x28x128->256 (mobilenet)", 28, 28, 128, 256, 1, 1},
    {"1x1 7x7x512->1024 (mobilenet)", 7, 7, 512, 1024, 1, 1},
    {"3x3 s2 112x112x3->32 (first conv)", 112, 112, 3, 32, 3, 2},
    {"FC batch 1 K1024 N1000", 1, 1, 1024, 1000, 1, 1},
};

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
  q8_conv_2d_params p;
  int8_t *input, *filter, *output;
  int32_t *folded, *multiplier, *shift;
} setup;

static void setup_shape(const shape *s, setup *u) {
  q8_conv_2d_params *p = &u->p;
  *p = (q8_conv_2d_params){.batch = 1, .in_h = s->h, .in_w = s->w, .in_c = s->in_c,
                           .out_c = s->out_c, .kernel_h = s->kernel, .kernel_w = s->kernel,
                           .stride_h = s->stride, .stride_w = s->stride, .dilation_h = 1,
                           .dilation_w = 1, .input_zero_point = -3, .output_zero_point = 5,
                           .act_min = -128, .act_max = 127};
  p->out_h = q8_conv_out_size(Q8_PADDING_SAME, s->h, s->kernel, s->stride, 1, &p->pad_top);
  p->out_w = q8_conv_out_size(Q8_PADDING_SAME, s->w, s->kernel, s->stride, 1, &p->pad_left);
  const size_t n_in = (size_t)s->h * s->w * s->in_c;
  const size_t n_w = (size_t)s->out_c * s->kernel * s->kernel * s->in_c;
  u->input = malloc(n_in);
  u->filter = malloc(n_w);
  u->output = malloc((size_t)p->out_h * p->out_w * s->out_c);
  u->folded = malloc(sizeof(int32_t) * s->out_c);
  u->multiplier = malloc(sizeof(int32_t) * s->out_c);
  u->shift = malloc(sizeof(int32_t) * s->out_c);
  t_rng rng = {1};
  for (size_t i = 0; i < n_in; i++) u->input[i] = (int8_t)t_rng_next(&rng);
  for (size_t i = 0; i < n_w; i++) u->filter[i] = (int8_t)t_rng_next(&rng);
  for (int32_t c = 0; c < s->out_c; c++) {
    u->multiplier[c] = (int32_t)t_rng_range(&rng, 1 << 30, INT32_MAX);
    u->shift[c] = -12;
  }
  p->multiplier = u->multiplier;
  p->shift = u->shift;
  q8_ref_conv_2d_fold_bias_qs8(p, u->filter, NULL, u->folded);
}

static void free_setup(setup *u) {
  free(u->input);
  free(u->filter);
  free(u->output);
  free(u->folded);
  free(u->multiplier);
  free(u->shift);
}

/* Median seconds of runs (at least 3, up to 50 or about 2 s of CPU time). */
static double median_seconds(const setup *u, const q8_quant_gemm *g, void *scratch) {
  double times[50];
  int n = 0;
  for (double spent = 0; n < 50 && (n < 3 || spent < 2.0); n++) {
    const double t0 = now();
    if (g == NULL)
      q8_ref_conv_2d_qs8(&u->p, u->input, u->filter, u->folded, u->output);
    else
      q8_quant_gemm_run(g, (const uint8_t *)u->input, (uint8_t *)u->output, scratch);
    times[n] = now() - t0;
    spent += times[n];
  }
  qsort(times, (size_t)n, sizeof times[0], compare_double);
  return times[n / 2];
}

static double gemm_gops(const setup *u, q8_isa isa) {
  const q8_conv_2d_params *p = &u->p;
  q8_prepare_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.isa = isa;
  const q8_conv_quant quant = {true, p->input_zero_point, 0, p->output_zero_point,
                               u->multiplier, u->shift, p->act_min, p->act_max};
  const q8_quant_gemm_desc d = {.quant = &quant,
                                .m = (size_t)p->out_h * (size_t)p->out_w,
                                .n = (size_t)p->out_c,
                                .weights = (const uint8_t *)u->filter,
                                .folded_bias = u->folded,
                                .geometry = q8_quant_gemm_conv_geometry(p)};
  q8_quant_gemm g;
  size_t scratch_bytes = 0;
  if (q8_quant_gemm_prepare(&ctx, &d, &g, &scratch_bytes) != Q8_OK) {
    printf("prepare failed: %s\n", ctx.message);
    exit(1);
  }
  void *scratch = malloc(scratch_bytes);
  const double seconds = median_seconds(u, &g, scratch);
  free(scratch);
  h_ctx_free(&ctx);
  const double ops = 2.0 * (double)d.m * (double)d.n * (double)p->kernel_h * p->kernel_w * p->in_c;
  return ops / seconds * 1e-9;
}

int main(int argc, char **argv) {
  const int cpu = argc > 1 ? atoi(argv[1]) : 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) printf("(could not pin to CPU %d)\n", cpu);
  const double peak = getenv("Q8_BENCH_PEAK_GOPS") ? atof(getenv("Q8_BENCH_PEAK_GOPS")) : 460.0;
  const bool vnni = q8_isa_compiled(Q8_ISA_AVX512VNNI) &&
                    q8_isa_runs_on(Q8_ISA_AVX512VNNI, q8_cpu_detect());
  const bool avx2 = q8_isa_compiled(Q8_ISA_AVX2) && q8_isa_runs_on(Q8_ISA_AVX2, q8_cpu_detect());
  if (!avx2) printf("avx2: skipped (this CPU or build lacks it)\n");
  if (!vnni) printf("avx512vnni: skipped (this CPU or build lacks it)\n");
  printf("%-42s %8s %8s %8s %8s %8s\n", "shape (int8, one thread)", "ref", "scalar", "avx2",
         "vnni", "of peak");
  /* Q8_BENCH_ONLY=text: only the shapes whose name contains it (for a profiler). */
  const char *only = getenv("Q8_BENCH_ONLY");
  for (size_t i = 0; i < sizeof kShapes / sizeof kShapes[0]; i++) {
    if (only != NULL && strstr(kShapes[i].name, only) == NULL) continue;
    setup u;
    setup_shape(&kShapes[i], &u);
    const q8_conv_2d_params *p = &u.p;
    const double ops = 2.0 * p->out_h * p->out_w * p->out_c * (double)p->kernel_h *
                       p->kernel_w * p->in_c;
    const double ref = ops / median_seconds(&u, NULL, NULL) * 1e-9;
    const double scalar = gemm_gops(&u, Q8_ISA_SCALAR);
    printf("%-42s %8.2f %8.2f", kShapes[i].name, ref, scalar);
    if (avx2)
      printf(" %8.2f", gemm_gops(&u, Q8_ISA_AVX2));
    else
      printf(" %8s", "-");
    if (vnni) {
      const double v = gemm_gops(&u, Q8_ISA_AVX512VNNI);
      printf(" %8.1f %7.1f%%\n", v, 100.0 * v / peak);
    } else {
      printf(" %8s %8s\n", "-", "-");
    }
    fflush(stdout);
    free_setup(&u);
  }
  printf("GOPS: 2 x multiply-adds per second of thread CPU time, median of runs\n");
  return 0;
}
