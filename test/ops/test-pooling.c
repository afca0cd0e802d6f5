/* AVERAGE_POOL_2D and MAX_POOL_2D against a plain restatement (window cells tested one by
   one, average rounded half away from zero as floor((2|s| + n) / 2n)), with SAME/VALID
   padding computed here, edge windows, clamps and refusals. */
#include "conv-oracle.h"
#include "ops-harness.h"

q8_status q8_prepare_average_pool_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_max_pool_2d(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

typedef struct pool_case {
  bool is_max;
  q8_type type;
  int32_t n, h, w, c, fh, fw, sh, sw;
  q8_padding padding;
  q8_activation act;
  float scale;
  int32_t zp;
} pool_case;

static int32_t out_size(q8_padding p, int32_t in, int32_t f, int32_t s, int32_t *pad) {
  int32_t out = p == Q8_PADDING_SAME ? (in + s - 1) / s : (in - f) / s + 1;
  if (p == Q8_PADDING_VALID && in < f) out = 0;
  const int32_t total = (out - 1) * s + f - in;
  *pad = total > 0 ? total / 2 : 0;
  return out;
}

static int32_t oracle_cell(const pool_case *c, const void *in, int32_t b, int32_t oy, int32_t ox,
                           int32_t ch, int32_t pt, int32_t pl, int32_t lo, int32_t hi) {
  const bool sg = c->type == Q8_TYPE_INT8;
  int64_t sum = 0;
  int32_t n = 0, mx = INT32_MIN;
  for (int32_t fy = 0; fy < c->fh; fy++)
    for (int32_t fx = 0; fx < c->fw; fx++) {
      const int32_t y = oy * c->sh - pt + fy, x = ox * c->sw - pl + fx;
      if (y < 0 || y >= c->h || x < 0 || x >= c->w) continue;
      const int32_t v = h_load(in, (((size_t)b * c->h + y) * c->w + x) * c->c + ch, sg);
      sum += v;
      n++;
      if (v > mx) mx = v;
    }
  int32_t r;
  if (c->is_max) {
    r = mx;
  } else {
    const int64_t mag = (2 * (sum < 0 ? -sum : sum) + n) / (2 * (int64_t)n);
    r = (int32_t)(sum < 0 ? -mag : mag);
  }
  return r < lo ? lo : r > hi ? hi : r;
}

/* Prepares and runs; returns the status and counts mismatches against the oracle. */
static q8_status run_case(const pool_case *c, t_rng *rng, float out_scale, int32_t out_zp,
                          char *msg, int *bad) {
  int32_t pt, pl;
  const int32_t oh = out_size(c->padding, c->h, c->fh, c->sh, &pt);
  const int32_t ow = out_size(c->padding, c->w, c->fw, c->sw, &pl);
  const int32_t in_dims[4] = {c->n, c->h, c->w, c->c};
  const int32_t out_dims[4] = {c->n, oh > 0 ? oh : 1, ow > 0 ? ow : 1, c->c};
  h_tensor h[2];
  h_set(&h[0], "x", c->type, 4, in_dims, c->scale, c->zp);
  h_set(&h[1], "pooled", c->type, 4, out_dims, out_scale, out_zp);
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
  const size_t n_in = (size_t)c->n * c->h * c->w * c->c;
  const size_t n_out = (size_t)c->n * out_dims[1] * out_dims[2] * c->c;
  uint8_t *in = malloc(n_in), *out = malloc(n_out);
  h_fill_random(rng, in, n_in);
  const void *inputs[1] = {in};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(c->is_max ? q8_prepare_max_pool_2d : q8_prepare_average_pool_2d,
                              &ctx, &hn, tensors, inputs, out);
  snprintf(msg, 512, "%s", ctx.message);
  h_ctx_free(&ctx);
  *bad = 0;
  if (s == Q8_OK) {
    const bool sg = c->type == Q8_TYPE_INT8;
    int32_t lo, hi;
    oracle_act_range(c->act, c->scale, c->zp, sg ? -128 : 0, sg ? 127 : 255, &lo, &hi);
    size_t o = 0;
    for (int32_t b = 0; b < c->n; b++)
      for (int32_t y = 0; y < oh; y++)
        for (int32_t x = 0; x < ow; x++)
          for (int32_t ch = 0; ch < c->c; ch++, o++) {
            const int32_t want = oracle_cell(c, in, b, y, x, ch, pt, pl, lo, hi);
            const int32_t got = h_load(out, o, sg);
            if (got != want && (*bad)++ == 0)
              fprintf(stderr, "  at b%d y%d x%d c%d: got %d want %d\n", (int)b, (int)y, (int)x,
                      (int)ch, (int)got, (int)want);
          }
  }
  free(in), free(out);
  return s;
}

static void random_case(t_rng *rng, pool_case *c) {
  c->is_max = t_rng_range(rng, 0, 1);
  c->type = t_rng_range(rng, 0, 1) ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  c->n = (int32_t)t_rng_range(rng, 1, 2);
  c->h = (int32_t)t_rng_range(rng, 1, 12);
  c->w = (int32_t)t_rng_range(rng, 1, 12);
  c->c = (int32_t)t_rng_range(rng, 1, 5);
  c->fh = (int32_t)t_rng_range(rng, 1, 5);
  c->fw = (int32_t)t_rng_range(rng, 1, 5);
  c->sh = (int32_t)t_rng_range(rng, 1, 3);
  c->sw = (int32_t)t_rng_range(rng, 1, 3);
  c->padding = t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID;
  if (c->padding == Q8_PADDING_VALID) { /* keep VALID cases valid; refusals are tested apart */
    if (c->fh > c->h) c->fh = c->h;
    if (c->fw > c->w) c->fw = c->w;
  }
  c->act = oracle_activation(rng);
  c->scale = (float)oracle_decades(rng, -3, 0);
  const int32_t qmin = c->type == Q8_TYPE_INT8 ? -128 : 0;
  c->zp = oracle_zero_point(rng, qmin, qmin + 255);
}

static void check(const pool_case *c, t_rng *rng, const char *what) {
  char msg[512];
  int bad;
  q8_status s = run_case(c, rng, c->scale, c->zp, msg, &bad);
  T_CHECK(s == Q8_OK && bad == 0,
          "%s: %s %s in %dx%dx%dx%d f%dx%d s%dx%d %s act %d zp %d: status %d (%s), %d mismatches",
          what, c->is_max ? "max" : "avg", q8_type_name(c->type), (int)c->n, (int)c->h, (int)c->w,
          (int)c->c, (int)c->fh, (int)c->fw, (int)c->sh, (int)c->sw,
          c->padding == Q8_PADDING_SAME ? "SAME" : "VALID", (int)c->act, (int)c->zp, (int)s, msg,
          bad);
}

static void test_edges(t_rng *rng) {
  for (int m = 0; m < 2; m++)
    for (int t = 0; t < 2; t++) {
      const q8_type ty = t ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
      const int32_t lo = t ? -128 : 0, hi = t ? 127 : 255;
      /* SAME, stride 2 on even/odd sizes: the extra padding row/column goes after. */
      pool_case c = {m, ty, 1, 10, 11, 4, 3, 3, 2, 2, Q8_PADDING_SAME, Q8_ACT_NONE, 0.05f, lo};
      check(&c, rng, "SAME partial windows");
      c.h = 9, c.fh = 2, c.fw = 2, c.zp = hi;
      check(&c, rng, "SAME 2x2 odd");
      pool_case one = {m, ty, 2, 5, 6, 3, 1, 1, 1, 1, Q8_PADDING_VALID, Q8_ACT_RELU6, 0.03f, lo};
      check(&one, rng, "1x1 window with RELU6");
      pool_case big = {m, ty, 1, 3, 4, 2, 7, 9, 2, 3, Q8_PADDING_SAME, Q8_ACT_RELU, 0.1f, hi};
      check(&big, rng, "SAME window larger than the input");
      pool_case glob = {m, ty, 1, 6, 6, 8, 6, 6, 1, 1, Q8_PADDING_VALID, Q8_ACT_NONE, 0.1f, 0};
      check(&glob, rng, "VALID global window");
      char msg[512];
      int bad;
      pool_case v = {m, ty, 1, 3, 4, 2, 5, 2, 1, 1, Q8_PADDING_VALID, Q8_ACT_NONE, 0.1f, 0};
      q8_status s = run_case(&v, rng, v.scale, v.zp, msg, &bad);
      T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(msg, "VALID") && strstr(msg, "height"),
              "VALID window larger than the input: %d '%s'", (int)s, msg);
      s = run_case(&c, rng, c.scale * 1.5f, c.zp, msg, &bad);
      T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(msg, "pooled"), "different output scale: %d '%s'", (int)s, msg);
      s = run_case(&c, rng, c.scale, c.zp == lo ? lo + 1 : lo, msg, &bad);
      T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(msg, "zero point"), "different output zp: %d '%s'", (int)s, msg);
    }
}

int main(void) {
  t_rng rng = {t_seed(20240902)};
  for (int k = 0; k < 800; k++) {
    pool_case c;
    random_case(&rng, &c);
    char what[32];
    snprintf(what, sizeof what, "random case %d", k);
    check(&c, &rng, what);
  }
  test_edges(&rng);
  return t_finish();
}
