/* MEAN over height and width against a restatement of TFLite's reduce.h (sum, fold 1/count
   into the multiplier via count-leading-zeros, or a truncating divide when the parameters are
   equal), a float bound, axis forms and refusals. */
#include "conv-oracle.h"
#include "ops-harness.h"

q8_status q8_prepare_mean(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

typedef struct mean_case {
  q8_type type;
  int32_t n, h, w, c;
  float s_in, s_out;
  int32_t z_in, z_out;
  bool keep_dims;
  int32_t n_axes, axes[4];
} mean_case;

static int32_t oracle_mean(const mean_case *c, int64_t sum) {
  const int64_t n = (int64_t)c->h * c->w;
  const bool sg = c->type == Q8_TYPE_INT8;
  if (c->z_in == c->z_out && c->s_in == c->s_out) return (int32_t)(sum / n);
  int32_t m, shift;
  oracle_multiplier((double)c->s_in / (double)c->s_out, &m, &shift);
  int s = 63 - __builtin_clzll((unsigned long long)n);
  if (s > 32) s = 32;
  if (s > 31 + shift) s = 31 + shift;
  const int32_t folded = (int32_t)(((int64_t)m << s) / n);
  return oracle_output(sum - c->z_in * n, folded, shift - s, c->z_out, sg ? -128 : 0,
                       sg ? 127 : 255);
}

static q8_status run_case(const mean_case *c, t_rng *rng, bool const_axes, char *msg, int *bad,
                          double *worst) {
  const int32_t in_dims[4] = {c->n, c->h, c->w, c->c};
  const int32_t keep[4] = {c->n, 1, 1, c->c}, drop[2] = {c->n, c->c};
  const int32_t axis_dims[1] = {c->n_axes};
  h_tensor h[3];
  h_set(&h[0], "x", c->type, 4, in_dims, c->s_in, c->z_in);
  h_set(&h[1], "axes", Q8_TYPE_INT32, 1, axis_dims, 0, 0);
  h_set(&h[2], "mean", c->type, c->keep_dims ? 4 : 2, c->keep_dims ? keep : drop, c->s_out, c->z_out);
  if (const_axes) {
    h[1].t.data = c->axes;
    h[1].t.data_size = sizeof(int32_t) * (size_t)c->n_axes;
  }
  q8_tensor tensors[3];
  h_tensors(h, 3, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_MEAN, 2);
  hn.node.opt.reduce.keep_dims = c->keep_dims;
  const size_t n_in = (size_t)c->n * c->h * c->w * c->c, n_out = (size_t)c->n * c->c;
  uint8_t *in = malloc(n_in), *out = malloc(n_out);
  h_fill_random(rng, in, n_in);
  const void *inputs[2] = {in, c->axes};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_mean, &ctx, &hn, tensors, inputs, out);
  snprintf(msg, 512, "%s", ctx.message);
  h_ctx_free(&ctx);
  *bad = 0;
  const bool sg = c->type == Q8_TYPE_INT8;
  for (int32_t b = 0; s == Q8_OK && b < c->n; b++)
    for (int32_t ch = 0; ch < c->c; ch++) {
      int64_t sum = 0;
      for (int32_t i = 0; i < c->h * c->w; i++)
        sum += h_load(in, ((size_t)b * c->h * c->w + (size_t)i) * c->c + (size_t)ch, sg);
      const int32_t want = oracle_mean(c, sum), got = h_load(out, (size_t)b * c->c + ch, sg);
      if (got != want && (*bad)++ == 0)
        fprintf(stderr, "  b%d c%d sum %lld: got %d want %d\n", (int)b, (int)ch, (long long)sum,
                (int)got, (int)want);
      double real = c->z_out + (double)c->s_in / c->s_out * ((double)sum / (c->h * c->w) - c->z_in);
      real = real < (sg ? -128 : 0) ? (sg ? -128 : 0) : real > (sg ? 127 : 255) ? (sg ? 127 : 255) : real;
      if (fabs(got - real) > *worst) *worst = fabs(got - real);
    }
  free(in), free(out);
  return s;
}

static void random_case(t_rng *rng, mean_case *c) {
  memset(c, 0, sizeof *c);
  c->type = t_rng_range(rng, 0, 1) ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  const int32_t qmin = c->type == Q8_TYPE_INT8 ? -128 : 0;
  c->n = (int32_t)t_rng_range(rng, 1, 2);
  c->h = (int32_t)t_rng_range(rng, 1, t_rng_range(rng, 0, 4) ? 9 : 70);
  c->w = (int32_t)t_rng_range(rng, 1, 9);
  c->c = (int32_t)t_rng_range(rng, 1, 6);
  c->s_in = (float)oracle_decades(rng, -3, 0);
  c->z_in = oracle_zero_point(rng, qmin, qmin + 255);
  if (t_rng_range(rng, 0, 3) == 0) { /* equal parameters: the plain mean */
    c->s_out = c->s_in, c->z_out = c->z_in;
  } else {
    c->s_out = c->s_in * (float)oracle_decades(rng, -1, 1);
    c->z_out = oracle_zero_point(rng, qmin, qmin + 255);
  }
  c->keep_dims = t_rng_range(rng, 0, 1);
  static const int32_t forms[4][2] = {{1, 2}, {2, 1}, {-3, -2}, {-2, 1}};
  const int64_t f = t_rng_range(rng, 0, 3);
  c->n_axes = 2;
  c->axes[0] = forms[f][0], c->axes[1] = forms[f][1];
}

int main(void) {
  t_rng rng = {t_seed(20240903)};
  char msg[512];
  int bad;
  double worst = 0;
  for (int k = 0; k < 500; k++) {
    mean_case c;
    random_case(&rng, &c);
    q8_status s = run_case(&c, &rng, true, msg, &bad, &worst);
    T_CHECK(s == Q8_OK && bad == 0,
            "case %d: %s %dx%dx%dx%d scales %g -> %g zps %d -> %d axes [%d,%d] keep %d: %d (%s) %d bad",
            k, q8_type_name(c.type), (int)c.n, (int)c.h, (int)c.w, (int)c.c, (double)c.s_in,
            (double)c.s_out, (int)c.z_in, (int)c.z_out, (int)c.axes[0], (int)c.axes[1],
            (int)c.keep_dims, (int)s, msg, bad);
  }
  T_CHECK(worst <= 1.0, "mean %.3f steps away from the real mean", worst);
  printf("random: worst distance from the real mean %.3f steps\n", worst);

  /* Large planes (count 4096 and 5000: fold shifts 12), extreme zero points, duplicate axes. */
  mean_case big = {Q8_TYPE_UINT8, 1, 64, 64, 3, 0.02f, 0.01f, 255, 0, true, 3, {1, 2, 1}};
  T_CHECK(run_case(&big, &rng, true, msg, &bad, &worst) == Q8_OK && bad == 0, "64x64: %s %d", msg, bad);
  mean_case odd = {Q8_TYPE_INT8, 1, 50, 100, 2, 0.5f, 0.003f, -128, 127, false, 2, {2, 1}};
  T_CHECK(run_case(&odd, &rng, true, msg, &bad, &worst) == Q8_OK && bad == 0, "50x100: %s %d", msg, bad);
  /* Refusals name the axes or the tensor. */
  mean_case r = {Q8_TYPE_INT8, 1, 3, 3, 2, 0.1f, 0.1f, 0, 0, true, 2, {0, 1}};
  q8_status s = run_case(&r, &rng, true, msg, &bad, &worst);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(msg, "[0,1]"), "axes [0,1]: %d '%s'", (int)s, msg);
  r.n_axes = 1, r.axes[0] = 3;
  s = run_case(&r, &rng, true, msg, &bad, &worst);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(msg, "[3]"), "axes [3]: %d '%s'", (int)s, msg);
  r.n_axes = 2, r.axes[0] = 1, r.axes[1] = 2;
  s = run_case(&r, &rng, false, msg, &bad, &worst);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(msg, "axes") && strstr(msg, "constant"),
          "computed axes: %d '%s'", (int)s, msg);
  return t_finish();
}
