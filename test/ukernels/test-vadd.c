/* ADD kernel paths (scalar, avx2; avx512vnni runs the avx2 kernel) byte for byte against the
   reference operator through the op's own prepare and run: random shapes with and without
   broadcasting (ranks 1 to 6, runs of 1 to 100 elements, either input broadcast), scales
   from 1e-3 to 1 (input ratios up to 1000), zero points at the extremes, fused
   activations, 1, 2 and 3 threads. A failure prints the seed and the whole case. */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/threadpool.h"
#include "ops/add.h"
#include "ops/ops-harness.h"
#include "ukernels/kernel-paths.h"

q8_status q8_prepare_add(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                         q8_op_plan *plan);

static uint64_t g_seed;

typedef struct add_case {
  h_tensor t[3];
  int32_t dims[3][6];
  h_node node;
  size_t n[3];
  uint8_t *data[3];
} add_case;

static size_t count(const h_tensor *h) {
  size_t n = 1;
  for (int32_t i = 0; i < h->t.rank; i++) n *= (size_t)h->t.dims[i];
  return n;
}

static void print_case(const add_case *c, int index, const char *path, int threads) {
  printf("seed %llu case %d path %s threads %d: %s", (unsigned long long)g_seed, index, path,
         threads, c->t[0].t.type == Q8_TYPE_INT8 ? "int8" : "uint8");
  for (int k = 0; k < 3; k++) {
    printf(" %s [", k == 2 ? "out" : k == 0 ? "a" : "b");
    for (int32_t i = 0; i < c->t[k].t.rank; i++) printf(i ? ",%d" : "%d", (int)c->t[k].t.dims[i]);
    printf("] scale %.9g zp %d", (double)c->t[k].scale, (int)c->t[k].zero_point);
  }
  printf(" activation %d\n", (int)c->node.node.opt.add.activation);
}

/* Prepares and runs on a path; returns the plan status. */
static q8_status run_path(add_case *c, q8_isa isa, q8_threadpool *pool, uint8_t *out) {
  q8_prepare_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.isa = isa;
  ctx.pool = pool;
  q8_tensor tensors[3];
  h_tensors(c->t, 3, tensors);
  q8_op_plan plan = {0};
  q8_status s = q8_prepare_add(&ctx, &c->node.node, tensors, &plan);
  if (s == Q8_OK) {
    const void *inputs[2] = {c->data[0], c->data[1]};
    void *outputs[1] = {out};
    plan.run(plan.params, inputs, outputs, NULL);
  }
  h_ctx_free(&ctx);
  return s;
}

static void check_case(add_case *c, int index, const t_kernel_paths *paths) {
  const size_t n = c->n[2];
  uint8_t *want = malloc(n), *got = malloc(n);
  if (run_path(c, Q8_ISA_REF, NULL, want) != Q8_OK) { /* scales TFLite cannot represent */
    free(want);
    free(got);
    return;
  }
  static const q8_isa isas[] = {Q8_ISA_SCALAR, Q8_ISA_AVX2, Q8_ISA_AVX512VNNI};
  static const char *names[] = {"scalar", "avx2", "avx512vnni"};
  const bool runs[] = {true, paths->avx2, paths->avx512};
  for (int i = 0; i < 3; i++)
    for (int t = 0; t < 3 && runs[i]; t++) {
      memset(got, 0x5A, n);
      T_CHECK(run_path(c, isas[i], paths->pools[t], got) == Q8_OK, "case %d: prepare", index);
      size_t bad = 0;
      for (size_t e = 0; e < n; e++)
        if (got[e] != want[e] && bad++ < 3) {
          if (bad == 1) print_case(c, index, names[i], t + 1);
          printf("  element %zu: got %d want %d\n", e, (int)got[e], (int)want[e]);
        }
      T_CHECK(bad == 0, "seed %llu case %d path %s threads %d: %zu of %zu differ",
              (unsigned long long)g_seed, index, names[i], t + 1, bad, n);
    }
  free(want);
  free(got);
}

static int32_t zero_point(t_rng *rng, bool is_signed) {
  const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  switch (t_rng_range(rng, 0, 3)) {
    case 0: return lo;
    case 1: return hi;
    default: return (int32_t)t_rng_range(rng, lo, hi);
  }
}

static float random_scale(t_rng *rng) {
  static const float kScales[] = {1e-3f, 0.0078125f, 0.02f, 0.1f, 0.5f, 1.0f};
  return kScales[t_rng_range(rng, 0, 5)] * (float)(0.5 + t_rng_unit(rng));
}

/* large: a [1, 40, 40, 40] output (several tasks per run: 16384 elements each). */
static void random_case(t_rng *rng, int index, const t_kernel_paths *paths, bool large) {
  add_case c;
  memset(&c, 0, sizeof c);
  const bool is_signed = t_rng_range(rng, 0, 1) == 1;
  const q8_type type = is_signed ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  const int32_t rank = large ? 4 : (int32_t)t_rng_range(rng, 1, 6);
  const bool flat = t_rng_range(rng, 0, 2) == 0;
  int32_t out_dims[6];
  size_t total = 1;
  for (int32_t i = 0; i < rank; i++) {
    const int32_t limit = i == rank - 1 ? 100 : (total > 2000 ? 1 : 5);
    out_dims[i] = large ? (i == 0 ? 1 : 40) : (int32_t)t_rng_range(rng, 1, limit);
    total *= (size_t)out_dims[i];
  }
  /* Each input: the output's dims with some set to 1 (broadcast), maybe of lower rank. */
  int32_t ranks[2];
  for (int k = 0; k < 2; k++) {
    ranks[k] = flat ? rank : (int32_t)t_rng_range(rng, 1, rank);
    for (int32_t i = 0; i < ranks[k]; i++) {
      const int32_t d = out_dims[rank - ranks[k] + i];
      c.dims[k][i] = !flat && t_rng_range(rng, 0, 2) == 0 ? 1 : d;
    }
  }
  const q8_activation acts[] = {Q8_ACT_NONE, Q8_ACT_RELU, Q8_ACT_RELU6, Q8_ACT_RELU_N1_TO_1};
  for (int k = 0; k < 2; k++)
    h_set(&c.t[k], k ? "b" : "a", type, ranks[k], c.dims[k], random_scale(rng),
          zero_point(rng, is_signed));
  /* The output's shape as the broadcast gives it. */
  q8_ref_broadcast bc;
  int32_t r_out;
  if (q8_ref_broadcast_init(ranks[0], c.dims[0], ranks[1], c.dims[1], &bc, &r_out, c.dims[2]) != 0)
    return;
  h_set(&c.t[2], "out", type, r_out, c.dims[2], random_scale(rng), zero_point(rng, is_signed));
  h_node_init(&c.node, Q8_OP_ADD, 2);
  c.node.node.opt.add.activation = acts[t_rng_range(rng, 0, 3)];
  for (int k = 0; k < 3; k++) {
    c.n[k] = count(&c.t[k]);
    c.data[k] = malloc(c.n[k]);
    h_fill_random(rng, c.data[k], c.n[k]);
    if (k < 2 && t_rng_range(rng, 0, 7) == 0) /* extremes */
      for (size_t e = 0; e < c.n[k]; e++) c.data[k][e] = (t_rng_next(rng) & 1) ? 0x80 : 0x7F;
  }
  check_case(&c, index, paths);
  for (int k = 0; k < 3; k++) free(c.data[k]);
}

int main(void) {
  g_seed = t_seed(7);
  t_rng rng = {g_seed};
  t_kernel_paths paths;
  t_kernel_paths_init(&paths);
  for (int i = 0; i < 600; i++) random_case(&rng, i, &paths, false);
  for (int i = 600; i < 612; i++) random_case(&rng, i, &paths, true);
  t_kernel_paths_free(&paths);
  return t_finish();
}
