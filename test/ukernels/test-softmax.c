/* SOFTMAX kernel path (the table kernel, on every path but ref) byte for byte against the
   reference operator through the op's own prepare and run: rows of 1 to 1001 elements (1 to
   40 rows), betas 0.1 to 10, input scales 1e-5 to 10 (as far as TFLite's scaling accepts
   them), zero points at the extremes, inputs random, narrow (many elements near the
   maximum, sums of exps up to 2^10 and past TFLite's exponent limit) or constant, int8 and
   uint8, 1, 2 and 3 threads. A failure prints the seed and the whole case. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops-harness.h"
#include "ops/softmax.h"
#include "ukernels/op-paths.h"

q8_status q8_prepare_softmax(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

static uint64_t g_seed;

typedef struct softmax_case {
  q8_type type;
  int32_t rows, depth;
  float beta, scale;
  int32_t zp;
  int pattern; /* 0 random, 1 narrow, 2 constant */
  uint8_t *in;
} softmax_case;

static void print_case(const void *test_case, int index, const char *path, int threads) {
  const softmax_case *c = test_case;
  printf("seed %llu case %d path %s threads %d: %s [%d,%d] beta %.9g scale %.9g zp %d "
         "pattern %d\n",
         (unsigned long long)g_seed, index, path, threads,
         c->type == Q8_TYPE_INT8 ? "int8" : "uint8", (int)c->rows, (int)c->depth,
         (double)c->beta, (double)c->scale, (int)c->zp, c->pattern);
}

static q8_status run_path(const void *test_case, q8_isa isa, q8_threadpool *pool,
                          uint8_t *out) {
  const softmax_case *c = test_case;
  const int32_t dims[2] = {c->rows, c->depth};
  const bool sg = c->type == Q8_TYPE_INT8;
  h_tensor h[2];
  h_set(&h[0], "logits", c->type, 2, dims, c->scale, c->zp);
  h_set(&h[1], "probabilities", c->type, 2, dims, 1.0f / 256.0f, sg ? -128 : 0);
  q8_tensor tensors[2];
  h_tensors(h, 2, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_SOFTMAX, 1);
  hn.node.opt.softmax.beta = c->beta;
  q8_prepare_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.isa = isa;
  ctx.pool = pool;
  q8_op_plan plan = {0};
  const q8_status s = q8_prepare_softmax(&ctx, &hn.node, tensors, &plan);
  if (s == Q8_OK) {
    T_CHECK(isa == Q8_ISA_REF || ((const q8_softmax_plan *)plan.params)->kernel != NULL,
            "path %d prepared no kernel", (int)isa);
    const void *inputs[1] = {c->in};
    void *outputs[1] = {out};
    plan.run(plan.params, inputs, outputs, NULL);
  }
  h_ctx_free(&ctx);
  return s;
}

static const int32_t k_depths[] = {1, 2, 3, 7, 17, 63, 64, 65, 255, 256, 1000, 1001};

static void random_case(const t_kernel_paths *paths, t_rng *rng, int index) {
  softmax_case c = {0};
  c.type = t_rng_range(rng, 0, 1) ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  c.depth = t_rng_range(rng, 0, 3) == 0
                ? (int32_t)t_rng_range(rng, 1, 1001)
                : k_depths[t_rng_range(rng, 0, (int64_t)(sizeof k_depths / sizeof *k_depths) - 1)];
  c.rows = (int32_t)t_rng_range(rng, 1, c.depth > 100 ? 3 : 40);
  c.beta = t_rng_range(rng, 0, 1) ? 1.0f : (float)(0.1 * pow(100.0, t_rng_unit(rng)));
  c.scale = (float)(1e-5 * pow(1e6, t_rng_unit(rng)));
  c.zp = t_random_zero_point(rng, c.type == Q8_TYPE_INT8 ? -128 : 0);
  c.pattern = (int)t_rng_range(rng, 0, 2);
  const size_t n = (size_t)c.rows * (size_t)c.depth;
  c.in = malloc(n);
  const uint8_t base = (uint8_t)t_rng_next(rng);
  for (size_t i = 0; i < n; i++) {
    const uint8_t r = (uint8_t)t_rng_next(rng);
    c.in[i] = c.pattern == 0 ? r : c.pattern == 1 ? (uint8_t)(base + r % 4) : base;
  }
  const t_op_case oc = {&c, index, n, run_path, print_case, g_seed, true};
  t_check_op_paths(paths, &oc); /* a beta * scale TFLite cannot scale: nothing compared */
  free(c.in);
}

int main(void) { return t_op_paths_main(&g_seed, random_case, 400); }
