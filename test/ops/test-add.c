/* ADD against an independent restatement of TFLM's add (multipliers via frexp, fixed point in
   int64, broadcasting by index arithmetic), plus a float sanity bound and refusals. */
#include "conv-oracle.h"
#include "ops-harness.h"

q8_status q8_prepare_add(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

typedef struct add_case {
  q8_type type;
  int32_t rank1, dims1[4], rank2, dims2[4], rank_out, dims_out[4];
  float s1, s2, so;
  int32_t z1, z2, zo;
  q8_activation act;
} add_case;

static size_t count_of(int32_t rank, const int32_t *dims) {
  size_t n = 1;
  for (int32_t i = 0; i < rank; i++) n *= (size_t)dims[i];
  return n;
}

/* Index into an input of the output element with multi-index idx (right-aligned). */
static size_t broadcast_index(int32_t rank_out, const int32_t *idx, int32_t rank,
                              const int32_t *dims) {
  size_t off = 0;
  for (int32_t i = 0; i < rank; i++) {
    const int32_t k = idx[rank_out - rank + i];
    off = off * (size_t)dims[i] + (size_t)(dims[i] == 1 ? 0 : k);
  }
  return off;
}

static void oracle_add(const add_case *c, const void *in1, const void *in2, int32_t *out,
                       double *real_out) {
  const bool sg = c->type == Q8_TYPE_INT8;
  const int32_t qmin = sg ? -128 : 0, qmax = sg ? 127 : 255;
  const double twice = 2.0 * (double)(c->s1 > c->s2 ? c->s1 : c->s2);
  int32_t m1, sh1, m2, sh2, mo, sho, lo, hi;
  oracle_multiplier((double)c->s1 / twice, &m1, &sh1);
  oracle_multiplier((double)c->s2 / twice, &m2, &sh2);
  oracle_multiplier(twice / ((double)(1 << 20) * (double)c->so), &mo, &sho);
  oracle_act_range(c->act, c->so, c->zo, qmin, qmax, &lo, &hi);
  const size_t n = count_of(c->rank_out, c->dims_out);
  int32_t idx[4] = {0};
  for (size_t o = 0; o < n; o++) {
    const int32_t x = h_load(in1, broadcast_index(c->rank_out, idx, c->rank1, c->dims1), sg) - c->z1;
    const int32_t y = h_load(in2, broadcast_index(c->rank_out, idx, c->rank2, c->dims2), sg) - c->z2;
    const int32_t a = oracle_mbqm(x * (1 << 20), m1, sh1);
    const int32_t b = oracle_mbqm(y * (1 << 20), m2, sh2);
    out[o] = oracle_output(a + b, mo, sho, c->zo, lo, hi);
    double r = c->zo + ((double)c->s1 * x + (double)c->s2 * y) / c->so;
    real_out[o] = r < lo ? lo : r > hi ? hi : r;
    for (int32_t d = c->rank_out - 1; d >= 0; d--) {
      if (++idx[d] < c->dims_out[d]) break;
      idx[d] = 0;
    }
  }
}

static q8_status run_case(const add_case *c, t_rng *rng, char *message, int *mismatches,
                          double *worst_float_error) {
  h_tensor h[3];
  h_set(&h[0], "a", c->type, c->rank1, c->dims1, c->s1, c->z1);
  h_set(&h[1], "b", c->type, c->rank2, c->dims2, c->s2, c->z2);
  h_set(&h[2], "sum", c->type, c->rank_out, c->dims_out, c->so, c->zo);
  q8_tensor tensors[3];
  h_tensors(h, 3, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_ADD, 2);
  hn.node.opt.add.activation = c->act;
  const size_t n1 = count_of(c->rank1, c->dims1), n2 = count_of(c->rank2, c->dims2);
  const size_t no = count_of(c->rank_out, c->dims_out);
  uint8_t *in1 = malloc(n1), *in2 = malloc(n2), *out = malloc(no);
  int32_t *want = malloc(no * sizeof *want);
  double *real = malloc(no * sizeof *real);
  h_fill_random(rng, in1, n1);
  h_fill_random(rng, in2, n2);
  const void *inputs[2] = {in1, in2};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_add, &ctx, &hn, tensors, inputs, out);
  snprintf(message, 512, "%s", ctx.message);
  *mismatches = 0;
  if (s == Q8_OK) {
    oracle_add(c, in1, in2, want, real);
    for (size_t i = 0; i < no; i++) {
      const int32_t got = h_load(out, i, c->type == Q8_TYPE_INT8);
      if (got != want[i] && (*mismatches)++ == 0)
        fprintf(stderr, "  element %zu: got %d want %d\n", i, (int)got, (int)want[i]);
      const double e = fabs(got - real[i]);
      if (e > *worst_float_error) *worst_float_error = e;
    }
  }
  h_ctx_free(&ctx);
  free(in1), free(in2), free(out), free(want), free(real);
  return s;
}

static void random_case(t_rng *rng, add_case *c) {
  memset(c, 0, sizeof *c);
  c->type = t_rng_range(rng, 0, 1) ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  const int32_t qmin = c->type == Q8_TYPE_INT8 ? -128 : 0, qmax = qmin + 255;
  c->rank_out = (int32_t)t_rng_range(rng, 1, 4);
  for (int32_t i = 0; i < c->rank_out; i++) c->dims_out[i] = (int32_t)t_rng_range(rng, 1, 6);
  c->rank1 = c->rank2 = c->rank_out;
  memcpy(c->dims1, c->dims_out, sizeof c->dims1);
  memcpy(c->dims2, c->dims_out, sizeof c->dims2);
  switch (t_rng_range(rng, 0, 3)) {
    case 0: break; /* identical shapes */
    case 1: c->rank2 = (int32_t)t_rng_range(rng, 0, 1); c->dims2[0] = 1; break; /* scalar */
    case 2: c->rank2 = 1; c->dims2[0] = c->dims_out[c->rank_out - 1]; break; /* [C] vector */
    default: /* general: some dims 1 on either side */
      for (int32_t i = 0; i < c->rank_out; i++) {
        const int64_t r = t_rng_range(rng, 0, 2);
        if (r == 1) c->dims1[i] = 1;
        if (r == 2) c->dims2[i] = 1;
      }
      if (t_rng_range(rng, 0, 1)) { /* swap so input 0 is the broadcast one sometimes */
        int32_t t[4];
        memcpy(t, c->dims1, sizeof t), memcpy(c->dims1, c->dims2, sizeof t), memcpy(c->dims2, t, sizeof t);
      }
  }
  c->s1 = (float)oracle_decades(rng, -3, 0);
  c->s2 = t_rng_range(rng, 0, 3) == 0 ? c->s1 * (float)oracle_decades(rng, 1, 3)
                                       : (float)oracle_decades(rng, -3, 0);
  c->so = (float)((c->s1 > c->s2 ? c->s1 : c->s2) * oracle_decades(rng, -0.5, 0.7));
  c->z1 = oracle_zero_point(rng, qmin, qmax);
  c->z2 = oracle_zero_point(rng, qmin, qmax);
  c->zo = oracle_zero_point(rng, qmin, qmax);
  c->act = oracle_activation(rng);
}

static void test_random(t_rng *rng) {
  double worst = 0;
  for (int k = 0; k < 600; k++) {
    add_case c;
    random_case(rng, &c);
    char msg[512];
    int bad;
    q8_status s = run_case(&c, rng, msg, &bad, &worst);
    T_CHECK(s == Q8_OK && bad == 0,
            "case %d: %s rank %d/%d out rank %d scales %g %g %g zps %d %d %d act %d: status %d "
            "(%s), %d mismatches",
            k, q8_type_name(c.type), (int)c.rank1, (int)c.rank2, (int)c.rank_out, (double)c.s1,
            (double)c.s2, (double)c.so, (int)c.z1, (int)c.z2, (int)c.zo, (int)c.act, (int)s,
            msg, bad);
  }
  /* Fixed point with 20 bits of headroom stays within one step of the real sum. */
  T_CHECK(worst <= 1.0, "integer result %.3f steps away from the real sum", worst);
  printf("random: worst distance from the real-valued sum %.3f steps\n", worst);
}

static void test_edges(t_rng *rng) {
  char msg[512];
  int bad;
  double worst = 0;
  /* Very different scales, extreme zero points, RELU6 and RELU_N1_TO_1 clamps. */
  add_case c = {Q8_TYPE_INT8, 4, {1, 3, 5, 7}, 4, {1, 3, 5, 7}, 4, {1, 3, 5, 7},
                1e-4f, 10.0f, 0.05f, -128, 127, -128, Q8_ACT_RELU6};
  T_CHECK(run_case(&c, rng, msg, &bad, &worst) == Q8_OK && bad == 0, "int8 1e-4 vs 10: %s %d", msg, bad);
  c.act = Q8_ACT_RELU_N1_TO_1;
  c.zo = 0;
  T_CHECK(run_case(&c, rng, msg, &bad, &worst) == Q8_OK && bad == 0, "RELU_N1_TO_1: %s %d", msg, bad);
  add_case u = {Q8_TYPE_UINT8, 2, {4, 9}, 2, {4, 9}, 2, {4, 9}, 0.5f, 0.5f, 1.0f, 0, 255, 255, Q8_ACT_RELU};
  T_CHECK(run_case(&u, rng, msg, &bad, &worst) == Q8_OK && bad == 0, "uint8 zps 0/255: %s %d", msg, bad);
  /* Refusals: shapes that do not broadcast, a wrong output shape, an output scale so fine
     that the output multiplier is not below 1. */
  add_case r = {Q8_TYPE_INT8, 2, {2, 3}, 2, {4, 3}, 2, {4, 3}, 0.1f, 0.1f, 0.1f, 0, 0, 0, Q8_ACT_NONE};
  q8_status s = run_case(&r, rng, msg, &bad, &worst);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(msg, "[2,3]") && strstr(msg, "[4,3]"),
          "non-broadcastable shapes: status %d, message '%s'", (int)s, msg);
  add_case w = {Q8_TYPE_INT8, 2, {4, 3}, 1, {3}, 2, {4, 4}, 0.1f, 0.1f, 0.1f, 0, 0, 0, Q8_ACT_NONE};
  s = run_case(&w, rng, msg, &bad, &worst);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(msg, "sum"), "wrong output shape: %d '%s'", (int)s, msg);
  add_case f = {Q8_TYPE_INT8, 1, {8}, 1, {8}, 1, {8}, 1.0f, 1.0f, 1e-7f, 0, 0, 0, Q8_ACT_NONE};
  s = run_case(&f, rng, msg, &bad, &worst);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(msg, "multiplier"), "tiny output scale: %d '%s'", (int)s, msg);
  add_case m = {Q8_TYPE_INT8, 1, {8}, 1, {8}, 1, {8}, 1.0f, 1.0f, 1.0f, 0, 0, 0, Q8_ACT_NONE};
  h_tensor h[3];
  h_set(&h[0], "a", Q8_TYPE_INT8, 1, m.dims1, 1.0f, 0);
  h_set(&h[1], "b", Q8_TYPE_UINT8, 1, m.dims2, 1.0f, 0);
  h_set(&h[2], "sum", Q8_TYPE_INT8, 1, m.dims_out, 1.0f, 0);
  q8_tensor tensors[3];
  h_tensors(h, 3, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_ADD, 2);
  q8_prepare_ctx ctx;
  s = h_prepare_run(q8_prepare_add, &ctx, &hn, tensors, NULL, NULL);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(ctx.message, "uint8") && strstr(ctx.message, "'b'"),
          "mixed types: %d '%s'", (int)s, ctx.message);
  h_ctx_free(&ctx);
}

int main(void) {
  t_rng rng = {t_seed(20240901)};
  test_random(&rng);
  test_edges(&rng);
  return t_finish();
}
