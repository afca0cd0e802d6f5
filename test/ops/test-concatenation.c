/* CONCATENATION along axes 0..3 (and negative), equal parameters (byte copy) and differing
   ones (q8's integer rescale, restated here in int64), int32 copies, refusals. */
#include "conv-oracle.h"
#include "ops-harness.h"

q8_status q8_prepare_concatenation(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

#define MAX_IN 4

typedef struct concat_case {
  q8_type type;
  int32_t n_inputs, axis; /* axis as written in the file (may be negative) */
  int32_t dims[MAX_IN][4];
  float scale[MAX_IN + 1];
  int32_t zp[MAX_IN + 1]; /* [n_inputs] is the output's */
  q8_activation act;
} concat_case;

static q8_status run_case(const concat_case *c, t_rng *rng, char *msg, int *bad) {
  const int32_t axis = c->axis < 0 ? c->axis + 4 : c->axis;
  int32_t out_dims[4];
  memcpy(out_dims, c->dims[0], sizeof out_dims);
  out_dims[axis] = 0;
  for (int32_t i = 0; i < c->n_inputs; i++) out_dims[axis] += c->dims[i][axis];
  const size_t es = q8_type_size(c->type);
  h_tensor h[MAX_IN + 1];
  uint8_t *in[MAX_IN];
  size_t n_in[MAX_IN], n_out = es;
  static const char *names[MAX_IN] = {"a", "b", "c", "d"};
  for (int32_t d = 0; d < 4; d++) n_out *= (size_t)out_dims[d];
  for (int32_t i = 0; i < c->n_inputs; i++) {
    h_set(&h[i], names[i], c->type, 4, c->dims[i], c->scale[i], c->zp[i]);
    n_in[i] = es;
    for (int32_t d = 0; d < 4; d++) n_in[i] *= (size_t)c->dims[i][d];
    in[i] = malloc(n_in[i] + 1);
    h_fill_random(rng, in[i], n_in[i]);
  }
  h_set(&h[c->n_inputs], "joined", c->type, 4, out_dims, c->scale[c->n_inputs], c->zp[c->n_inputs]);
  q8_tensor tensors[MAX_IN + 1];
  h_tensors(h, c->n_inputs + 1, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_CONCATENATION, c->n_inputs);
  hn.node.opt.concatenation.axis = c->axis;
  hn.node.opt.concatenation.activation = c->act;
  uint8_t *out = malloc(n_out + 1);
  const void *inputs[MAX_IN] = {in[0], in[1], in[2], in[3]};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_concatenation, &ctx, &hn, tensors, inputs, out);
  snprintf(msg, 512, "%s", ctx.message);
  h_ctx_free(&ctx);
  *bad = 0;
  /* Oracle: walk the output by coordinates; find the input owning the axis coordinate. */
  const bool sg = c->type == Q8_TYPE_INT8;
  size_t o = 0;
  int32_t idx[4] = {0};
  for (; s == Q8_OK && o < n_out / es; o++) {
    int32_t k = 0, a = idx[axis];
    while (a >= c->dims[k][axis]) a -= c->dims[k++][axis];
    int32_t src[4] = {idx[0], idx[1], idx[2], idx[3]};
    src[axis] = a;
    const size_t off = (((size_t)src[0] * c->dims[k][1] + src[1]) * c->dims[k][2] + src[2]) * c->dims[k][3] + src[3];
    if (c->type == Q8_TYPE_INT32 || c->type == Q8_TYPE_FLOAT32) {
      if (memcmp(out + o * es, in[k] + off * es, es) != 0 && (*bad)++ == 0)
        fprintf(stderr, "  element %zu differs\n", o);
    } else {
      int32_t want = h_load(in[k], off, sg);
      if (c->zp[k] != c->zp[c->n_inputs] || c->scale[k] != c->scale[c->n_inputs]) {
        int32_t m, sh;
        oracle_multiplier((double)c->scale[k] / c->scale[c->n_inputs], &m, &sh);
        want = oracle_output(want - c->zp[k], m, sh, c->zp[c->n_inputs], sg ? -128 : 0, sg ? 127 : 255);
      }
      const int32_t got = h_load(out, o, sg);
      if (got != want && (*bad)++ == 0)
        fprintf(stderr, "  element %zu (input %d): got %d want %d\n", o, (int)k, (int)got, (int)want);
    }
    for (int32_t d = 3; d >= 0; d--) {
      if (++idx[d] < out_dims[d]) break;
      idx[d] = 0;
    }
  }
  for (int32_t i = 0; i < c->n_inputs; i++) free(in[i]);
  free(out);
  return s;
}

static void random_case(t_rng *rng, concat_case *c, bool equal_params) {
  memset(c, 0, sizeof *c);
  const int64_t t = t_rng_range(rng, 0, 5);
  c->type = t < 2 ? Q8_TYPE_INT8 : t < 4 ? Q8_TYPE_UINT8 : t == 4 ? Q8_TYPE_INT32 : Q8_TYPE_FLOAT32;
  c->n_inputs = (int32_t)t_rng_range(rng, 1, MAX_IN);
  const int32_t axis = (int32_t)t_rng_range(rng, 0, 3);
  c->axis = t_rng_range(rng, 0, 1) ? axis : axis - 4;
  int32_t base[4];
  for (int32_t d = 0; d < 4; d++) base[d] = (int32_t)t_rng_range(rng, 1, 5);
  const bool q = c->type == Q8_TYPE_INT8 || c->type == Q8_TYPE_UINT8;
  const int32_t qmin = c->type == Q8_TYPE_INT8 ? -128 : 0;
  const float s0 = (float)oracle_decades(rng, -3, 0);
  const int32_t z0 = oracle_zero_point(rng, qmin, qmin + 255);
  for (int32_t i = 0; i <= c->n_inputs; i++) {
    if (i < c->n_inputs) {
      memcpy(c->dims[i], base, sizeof base);
      c->dims[i][axis] = (int32_t)t_rng_range(rng, 1, 4);
    }
    c->scale[i] = q ? (equal_params || t_rng_range(rng, 0, 2) == 0 ? s0 : s0 * (float)oracle_decades(rng, -1, 1)) : 0;
    c->zp[i] = q ? (equal_params || t_rng_range(rng, 0, 2) == 0 ? z0 : oracle_zero_point(rng, qmin, qmin + 255)) : 0;
  }
}

int main(void) {
  t_rng rng = {t_seed(20240906)};
  char msg[512];
  int bad;
  for (int k = 0; k < 600; k++) {
    concat_case c;
    random_case(&rng, &c, k % 2 == 0);
    q8_status s = run_case(&c, &rng, msg, &bad);
    T_CHECK(s == Q8_OK && bad == 0, "case %d: %s %d inputs axis %d: %d (%s) %d bad", k,
            q8_type_name(c.type), (int)c.n_inputs, (int)c.axis, (int)s, msg, bad);
  }
  /* Every axis, equal and differing parameters, zero points at the ends of the range. */
  for (int32_t axis = -4; axis < 4; axis++)
    for (int differ = 0; differ < 2; differ++) {
      concat_case c = {Q8_TYPE_UINT8, 2, axis, {{2, 3, 4, 5}, {2, 3, 4, 5}},
                       {0.1f, differ ? 0.37f : 0.1f, 0.1f}, {0, differ ? 255 : 0, 0}, Q8_ACT_NONE};
      c.dims[1][axis < 0 ? axis + 4 : axis] = 2;
      T_CHECK(run_case(&c, &rng, msg, &bad) == Q8_OK && bad == 0, "uint8 axis %d differ %d: %s", (int)axis, differ, msg);
      c.type = Q8_TYPE_INT8, c.zp[0] = -128, c.zp[1] = differ ? 127 : -128, c.zp[2] = -128;
      T_CHECK(run_case(&c, &rng, msg, &bad) == Q8_OK && bad == 0, "int8 axis %d differ %d: %s", (int)axis, differ, msg);
    }
  /* Refusals: a fused activation, mismatched sizes off the axis, an axis out of range. */
  concat_case r = {Q8_TYPE_INT8, 2, 3, {{1, 2, 2, 3}, {1, 2, 2, 5}}, {0.1f, 0.1f, 0.1f}, {0, 0, 0}, Q8_ACT_RELU};
  q8_status s = run_case(&r, &rng, msg, &bad);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(msg, "RELU"), "activation: %d '%s'", (int)s, msg);
  r.act = Q8_ACT_NONE;
  r.dims[1][1] = 3;
  h_tensor h[3];
  h_set(&h[0], "a", Q8_TYPE_INT8, 4, r.dims[0], 0.1f, 0);
  h_set(&h[1], "b", Q8_TYPE_INT8, 4, r.dims[1], 0.1f, 0);
  const int32_t od[4] = {1, 2, 2, 8};
  h_set(&h[2], "joined", Q8_TYPE_INT8, 4, od, 0.1f, 0);
  q8_tensor tensors[3];
  h_tensors(h, 3, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_CONCATENATION, 2);
  hn.node.opt.concatenation.axis = 3;
  q8_prepare_ctx ctx;
  s = h_prepare_run(q8_prepare_concatenation, &ctx, &hn, tensors, NULL, NULL);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(ctx.message, "'b'") && strstr(ctx.message, "[1,3,2,5]"),
          "mismatched dims: %d '%s'", (int)s, ctx.message);
  h_ctx_free(&ctx);
  hn.node.opt.concatenation.axis = 4;
  s = h_prepare_run(q8_prepare_concatenation, &ctx, &hn, tensors, NULL, NULL);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(ctx.message, "axis 4"), "axis 4: %d '%s'", (int)s, ctx.message);
  h_ctx_free(&ctx);
  return t_finish();
}
