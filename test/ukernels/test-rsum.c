/* MEAN (over height and width) kernel paths (scalar, avx2; avx512vnni runs the avx2 kernel)
   byte for byte against the reference operator through the op's own prepare and run:
   planes 1x1, 7x7, 8x8 and random up to 40x40, channels 1 to 2100 around the 32-channel
   block and the 256-channel task, 1 to 3 images, equal quantization (the truncating mean)
   or scale ratios from 1e-3 to 1e3 with zero points at the extremes, inputs at the type's
   extremes, keep_dims on and off, 1, 2 and 3 threads. A failure prints the seed and the
   whole case. */
#include <stdlib.h>
#include <string.h>

#include "ops/mean.h"
#include "ops/ops-harness.h"
#include "ukernels/op-paths.h"

q8_status q8_prepare_mean(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

static uint64_t g_seed;

typedef struct mean_case {
  q8_type type;
  int32_t n, h, w, c;
  float s_in, s_out;
  int32_t z_in, z_out;
  bool keep_dims;
  uint8_t *in;
} mean_case;

static void print_case(const void *test_case, int index, const char *path, int threads) {
  const mean_case *c = test_case;
  printf("seed %llu case %d path %s threads %d: %s in [%d,%d,%d,%d] scale %.9g zp %d -> scale "
         "%.9g zp %d keep_dims %d\n",
         (unsigned long long)g_seed, index, path, threads,
         c->type == Q8_TYPE_INT8 ? "int8" : "uint8", (int)c->n, (int)c->h, (int)c->w, (int)c->c,
         (double)c->s_in, (int)c->z_in, (double)c->s_out, (int)c->z_out, (int)c->keep_dims);
}

static q8_status run_path(const void *test_case, q8_isa isa, q8_threadpool *pool,
                          uint8_t *out) {
  const mean_case *c = test_case;
  static int32_t axes[2] = {1, 2};
  const int32_t in_dims[4] = {c->n, c->h, c->w, c->c};
  const int32_t keep[4] = {c->n, 1, 1, c->c}, drop[2] = {c->n, c->c};
  const int32_t axis_dims[1] = {2};
  h_tensor h[3];
  h_set(&h[0], "x", c->type, 4, in_dims, c->s_in, c->z_in);
  h_set(&h[1], "axes", Q8_TYPE_INT32, 1, axis_dims, 0, 0);
  h_set(&h[2], "mean", c->type, c->keep_dims ? 4 : 2, c->keep_dims ? keep : drop, c->s_out,
        c->z_out);
  h[1].t.data = axes;
  h[1].t.data_size = sizeof axes;
  q8_tensor tensors[3];
  h_tensors(h, 3, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_MEAN, 2);
  hn.node.opt.reduce.keep_dims = c->keep_dims;
  q8_prepare_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.isa = isa;
  ctx.pool = pool;
  q8_op_plan plan = {0};
  const q8_status s = q8_prepare_mean(&ctx, &hn.node, tensors, &plan);
  if (s == Q8_OK) {
    T_CHECK(isa == Q8_ISA_REF || ((const q8_mean_plan *)plan.params)->kernel != NULL,
            "path %d prepared no kernel", (int)isa);
    const void *inputs[2] = {c->in, axes};
    void *outputs[1] = {out};
    plan.run(plan.params, inputs, outputs, NULL);
  }
  h_ctx_free(&ctx);
  return s;
}

static void check_case(const t_kernel_paths *paths, t_rng *rng, int index, mean_case *c,
                       int extremes) {
  const size_t n_in = (size_t)c->n * c->h * c->w * c->c;
  c->in = malloc(n_in);
  t_fill_input(rng, c->in, n_in, c->type == Q8_TYPE_INT8, extremes);
  const size_t outputs = (size_t)c->n * (size_t)c->c;
  const t_op_case oc = {c, index, outputs, run_path, print_case, g_seed, true};
  t_check_op_paths(paths, &oc); /* a scale ratio the reference refuses: nothing compared */
  free(c->in);
}

static const int32_t k_channels[] = {1,  3,  7,   17,  31,  32,   33,   63,  64,
                                     65, 96, 255, 256, 257, 1000, 1024, 2048, 2100};

static void random_case(const t_kernel_paths *paths, t_rng *rng, int index) {
  mean_case c = {0};
  c.type = t_rng_range(rng, 0, 1) ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  c.n = (int32_t)t_rng_range(rng, 1, 3);
  c.c = k_channels[t_rng_range(rng, 0, (int64_t)(sizeof k_channels / sizeof *k_channels) - 1)];
  switch (t_rng_range(rng, 0, 3)) {
    case 0: c.h = c.w = 7; break;
    case 1: c.h = c.w = 8; break;
    case 2: c.h = c.w = 1; break;
    default:
      c.h = (int32_t)t_rng_range(rng, 1, c.c > 256 ? 12 : 40);
      c.w = (int32_t)t_rng_range(rng, 1, c.c > 256 ? 12 : 40);
  }
  const int32_t qmin = c.type == Q8_TYPE_INT8 ? -128 : 0;
  c.s_in = (float)(0.001 * (1.0 + 999.0 * t_rng_unit(rng)));
  c.z_in = t_random_zero_point(rng, qmin);
  if (t_rng_range(rng, 0, 3) == 0) { /* equal quantization: the truncating mean */
    c.s_out = c.s_in;
    c.z_out = c.z_in;
  } else {
    c.s_out = (float)(0.001 * (1.0 + 999.0 * t_rng_unit(rng)));
    c.z_out = t_random_zero_point(rng, qmin);
  }
  c.keep_dims = t_rng_range(rng, 0, 1) == 1;
  const int extremes = t_rng_range(rng, 0, 7) == 0 ? (int)t_rng_range(rng, 1, 2) : 0;
  check_case(paths, rng, index, &c, extremes);
}

int main(void) { return t_op_paths_main(&g_seed, random_case, 400); }
