/* AVERAGE_POOL_2D and MAX_POOL_2D kernel paths (scalar, avx2; avx512vnni runs the avx2
   kernels) byte for byte against the reference operator through the ops' own prepare and
   run: windows 1x1 to 7x7 (and global windows up to 35x35, and of 90000 and 1.1M taps at
   the type's extremes), strides 1 to 3, SAME and VALID, channels 1 to 1100 around the
   32-channel block, int8 and uint8, inputs at the type's extremes, fused activations, 1, 2
   and 3 threads. A failure prints the seed and the whole case. */
#include <stdlib.h>
#include <string.h>

#include "ops/ops-harness.h"
#include "ops/pooling.h"
#include "ukernels/op-paths.h"

q8_status q8_prepare_average_pool_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_max_pool_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

static uint64_t g_seed;

typedef struct pool_case {
  bool is_max;
  q8_type type;
  int32_t n, h, w, c, fh, fw, sh, sw;
  q8_padding padding;
  q8_activation act;
  int32_t zp;
  int32_t oh, ow;
  uint8_t *in;
} pool_case;

static void print_case(const void *test_case, int index, const char *path, int threads) {
  const pool_case *c = test_case;
  printf("seed %llu case %d path %s threads %d: %s %s in [%d,%d,%d,%d] window %dx%d stride "
         "%dx%d %s activation %d zp %d\n",
         (unsigned long long)g_seed, index, path, threads, c->is_max ? "max" : "average",
         c->type == Q8_TYPE_INT8 ? "int8" : "uint8", (int)c->n, (int)c->h, (int)c->w,
         (int)c->c, (int)c->fh, (int)c->fw, (int)c->sh, (int)c->sw,
         c->padding == Q8_PADDING_SAME ? "SAME" : "VALID", (int)c->act, (int)c->zp);
}

static int32_t out_size(q8_padding p, int32_t in, int32_t f, int32_t s) {
  if (p == Q8_PADDING_SAME) return (in + s - 1) / s;
  return in < f ? 0 : (in - f) / s + 1; /* a VALID window larger than the input: none */
}

static size_t out_bytes(const pool_case *c) {
  return (size_t)c->n * (size_t)c->oh * (size_t)c->ow * (size_t)c->c;
}

/* Prepares and runs on a path; returns the status. */
static q8_status run_path(const void *test_case, q8_isa isa, q8_threadpool *pool,
                          uint8_t *out) {
  const pool_case *c = test_case;
  const int32_t in_dims[4] = {c->n, c->h, c->w, c->c};
  const int32_t out_dims[4] = {c->n, c->oh, c->ow, c->c};
  h_tensor h[2];
  h_set(&h[0], "x", c->type, 4, in_dims, 0.05f, c->zp);
  h_set(&h[1], "pooled", c->type, 4, out_dims, 0.05f, c->zp);
  q8_tensor tensors[2];
  h_tensors(h, 2, tensors);
  h_node hn;
  h_node_init(&hn, c->is_max ? Q8_OP_MAX_POOL_2D : Q8_OP_AVERAGE_POOL_2D, 1);
  hn.node.opt.pool.padding = c->padding;
  hn.node.opt.pool.stride_h = c->sh;
  hn.node.opt.pool.stride_w = c->sw;
  hn.node.opt.pool.filter_h = c->fh;
  hn.node.opt.pool.filter_w = c->fw;
  hn.node.opt.pool.activation = c->act;
  q8_prepare_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.isa = isa;
  ctx.pool = pool;
  q8_op_plan plan = {0};
  q8_status s = (c->is_max ? q8_prepare_max_pool_2d : q8_prepare_average_pool_2d)(
      &ctx, &hn.node, tensors, &plan);
  if (s == Q8_OK) {
    T_CHECK(isa == Q8_ISA_REF || ((const q8_pool_plan *)plan.params)->kernel != NULL,
            "path %d prepared no kernel", (int)isa);
    void *scratch = plan.scratch_bytes > 0 ? malloc(plan.scratch_bytes) : NULL;
    const void *inputs[1] = {c->in};
    void *outputs[1] = {out};
    plan.run(plan.params, inputs, outputs, scratch);
    free(scratch);
  }
  h_ctx_free(&ctx);
  return s;
}

static void check_case(const t_kernel_paths *paths, t_rng *rng, int index, pool_case *c,
                       int extremes) {
  c->oh = out_size(c->padding, c->h, c->fh, c->sh);
  c->ow = out_size(c->padding, c->w, c->fw, c->sw);
  if (c->oh <= 0 || c->ow <= 0) return;
  const size_t n_in = (size_t)c->n * c->h * c->w * c->c;
  c->in = malloc(n_in);
  /* Runs of the type's extremes: the largest sums and the saturating packs. */
  t_fill_input(rng, c->in, n_in, c->type == Q8_TYPE_INT8, extremes);
  const t_op_case oc = {c, index, out_bytes(c), run_path, print_case, g_seed, true};
  T_CHECK(t_check_op_paths(paths, &oc), "seed %llu case %d: reference prepare failed",
          (unsigned long long)g_seed, index);
  free(c->in);
}

static const int32_t k_channels[] = {1, 3, 7, 17, 31, 32, 33, 63, 64, 65, 96, 192, 1000, 1100};

static void random_case(const t_kernel_paths *paths, t_rng *rng, int index) {
  pool_case c = {0};
  c.is_max = t_rng_range(rng, 0, 1) == 1;
  c.type = t_rng_range(rng, 0, 1) ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  c.n = (int32_t)t_rng_range(rng, 1, 2);
  c.c = k_channels[t_rng_range(rng, 0, (int64_t)(sizeof k_channels / sizeof *k_channels) - 1)];
  const bool big = c.c >= 192;
  c.fh = (int32_t)t_rng_range(rng, 1, 7);
  c.fw = (int32_t)t_rng_range(rng, 1, 7);
  c.sh = (int32_t)t_rng_range(rng, 1, 3);
  c.sw = (int32_t)t_rng_range(rng, 1, 3);
  c.h = (int32_t)t_rng_range(rng, 1, big ? 9 : 17);
  c.w = (int32_t)t_rng_range(rng, 1, big ? 9 : 17);
  c.padding = t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID;
  if (t_rng_range(rng, 0, 9) == 0) { /* a global window */
    c.h = c.fh = (int32_t)t_rng_range(rng, 1, 35);
    c.w = c.fw = (int32_t)t_rng_range(rng, 1, 35);
    c.padding = Q8_PADDING_VALID;
  }
  c.zp = t_random_zero_point(rng, c.type == Q8_TYPE_INT8 ? -128 : 0);
  const q8_activation acts[] = {Q8_ACT_NONE, Q8_ACT_RELU, Q8_ACT_RELU6, Q8_ACT_RELU_N1_TO_1};
  c.act = acts[t_rng_range(rng, 0, 3)];
  const int extremes = t_rng_range(rng, 0, 7) == 0 ? (int)t_rng_range(rng, 1, 2) : 0;
  check_case(paths, rng, index, &c, extremes);
}

/* Global windows of 90000 and 1.1M taps at the type's extremes (the average kernels' sums
   and the exactness of their division far beyond the random windows), then random cases. */
static void listed_or_random_case(const t_kernel_paths *paths, t_rng *rng, int index) {
  static const int32_t k_large[][3] = {{300, 300, 33}, {1100, 1000, 3}};
  if (index >= 12) {
    random_case(paths, rng, index);
    return;
  }
  const int32_t *shape = k_large[index / 6];
  pool_case c = {0};
  c.is_max = index % 2 == 1;
  c.type = index % 6 < 4 ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  c.n = 1;
  c.h = c.fh = shape[0];
  c.w = c.fw = shape[1];
  c.c = shape[2];
  c.sh = c.sw = 1;
  c.padding = Q8_PADDING_VALID;
  c.act = Q8_ACT_NONE;
  c.zp = 0;
  /* int8: all -128, then all 127; uint8: the average of all 255, the maximum of random. */
  check_case(paths, rng, index, &c, index % 6 < 2 ? 1 : index % 6 < 5 ? 2 : 0);
}

int main(void) { return t_op_paths_main(&g_seed, listed_or_random_case, 412); }
