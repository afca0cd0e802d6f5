/* PAD against a per-element restatement (output coordinate minus leading padding, inside the
   input or the pad value), ranks 1..6, asymmetric paddings, constant_values, refusals. */
#include "ops-harness.h"

q8_status q8_prepare_pad(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

typedef struct pad_case {
  q8_type type;
  int32_t rank, dims[6], pads[12];
  int32_t zp;
  bool with_value; /* a third, constant constant_values input */
  uint8_t value;
} pad_case;

static q8_status run_case(const pad_case *c, t_rng *rng, q8_type pads_type, bool const_pads,
                          char *msg, int *bad) {
  int32_t out_dims[6];
  size_t n_in = 1, n_out = 1;
  for (int32_t d = 0; d < c->rank; d++) {
    out_dims[d] = c->dims[d] + c->pads[2 * d] + c->pads[2 * d + 1];
    n_in *= (size_t)c->dims[d];
    n_out *= (size_t)(out_dims[d] > 0 ? out_dims[d] : 0);
  }
  const int32_t pad_dims[2] = {c->rank, 2}, scalar_dims[1] = {1};
  h_tensor h[4];
  h_set(&h[0], "x", c->type, c->rank, c->dims, 0.25f, c->zp);
  h_set(&h[1], "paddings", pads_type, 2, pad_dims, 0, 0);
  if (const_pads) h[1].t.data = c->pads, h[1].t.data_size = sizeof(int32_t) * 2 * (size_t)c->rank;
  const int n_inputs = c->with_value ? 3 : 2;
  if (c->with_value) {
    h_set(&h[2], "value", c->type, 1, scalar_dims, 0.25f, c->zp);
    h[2].t.data = &c->value, h[2].t.data_size = 1;
  }
  h_set(&h[n_inputs], "padded", c->type, c->rank, out_dims, 0.25f, c->zp);
  q8_tensor tensors[4];
  h_tensors(h, n_inputs + 1, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_PAD, n_inputs);
  uint8_t *in = malloc(n_in), *out = malloc(n_out + 1);
  h_fill_random(rng, in, n_in);
  const void *inputs[3] = {in, c->pads, &c->value};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_pad, &ctx, &hn, tensors, inputs, out);
  snprintf(msg, 512, "%s", ctx.message);
  h_ctx_free(&ctx);
  *bad = 0;
  const uint8_t fill = c->with_value ? c->value : (uint8_t)c->zp;
  for (size_t o = 0; s == Q8_OK && o < n_out; o++) {
    size_t rest = o, in_index = 0, stride = 1;
    bool inside = true;
    for (int32_t d = c->rank - 1; d >= 0; d--) {
      const int32_t i = (int32_t)(rest % (size_t)out_dims[d]) - c->pads[2 * d];
      rest /= (size_t)out_dims[d];
      inside = inside && i >= 0 && i < c->dims[d];
      in_index += (size_t)(i > 0 ? i : 0) * stride;
      stride *= (size_t)c->dims[d];
    }
    const uint8_t want = inside ? in[in_index] : fill;
    if (out[o] != want && (*bad)++ == 0)
      fprintf(stderr, "  element %zu: got %d want %d\n", o, out[o], want);
  }
  free(in), free(out);
  return s;
}

int main(void) {
  t_rng rng = {t_seed(20240904)};
  char msg[512];
  int bad;
  for (int k = 0; k < 400; k++) {
    pad_case c;
    memset(&c, 0, sizeof c);
    c.type = t_rng_range(&rng, 0, 1) ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
    c.rank = (int32_t)t_rng_range(&rng, 1, 6);
    for (int32_t d = 0; d < c.rank; d++) {
      c.dims[d] = (int32_t)t_rng_range(&rng, 1, c.rank > 4 ? 3 : 6);
      c.pads[2 * d] = (int32_t)t_rng_range(&rng, 0, 3);
      c.pads[2 * d + 1] = (int32_t)t_rng_range(&rng, 0, 3);
    }
    const int32_t qmin = c.type == Q8_TYPE_INT8 ? -128 : 0;
    c.zp = (int32_t)t_rng_range(&rng, qmin, qmin + 255);
    c.with_value = t_rng_range(&rng, 0, 4) == 0;
    c.value = (uint8_t)t_rng_next(&rng);
    q8_status s = run_case(&c, &rng, Q8_TYPE_INT32, true, msg, &bad);
    T_CHECK(s == Q8_OK && bad == 0, "case %d: rank %d zp %d value %d: %d (%s) %d bad", k,
            (int)c.rank, (int)c.zp, (int)c.with_value, (int)s, msg, bad);
  }
  /* The golden case's shape: asymmetric H/W padding with zero points at the ends. */
  pad_case g = {Q8_TYPE_INT8, 4, {1, 4, 5, 3}, {0, 0, 1, 2, 2, 1, 0, 0}, -128, false, 0};
  T_CHECK(run_case(&g, &rng, Q8_TYPE_INT32, true, msg, &bad) == Q8_OK && bad == 0, "int8 zp -128: %s", msg);
  g.zp = 127;
  T_CHECK(run_case(&g, &rng, Q8_TYPE_INT32, true, msg, &bad) == Q8_OK && bad == 0, "int8 zp 127: %s", msg);
  g.type = Q8_TYPE_UINT8, g.zp = 255;
  T_CHECK(run_case(&g, &rng, Q8_TYPE_INT32, true, msg, &bad) == Q8_OK && bad == 0, "uint8 zp 255: %s", msg);
  g.zp = 0;
  T_CHECK(run_case(&g, &rng, Q8_TYPE_INT32, true, msg, &bad) == Q8_OK && bad == 0, "uint8 zp 0: %s", msg);
  /* Refusals. */
  q8_status s = run_case(&g, &rng, Q8_TYPE_UINT8, true, msg, &bad);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(msg, "paddings") && strstr(msg, "int64"),
          "non-int32 paddings: %d '%s'", (int)s, msg);
  s = run_case(&g, &rng, Q8_TYPE_INT32, false, msg, &bad);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(msg, "constant"), "computed paddings: %d '%s'", (int)s, msg);
  pad_case neg = {Q8_TYPE_INT8, 2, {4, 5}, {0, 0, -1, 2}, 0, false, 0};
  s = run_case(&neg, &rng, Q8_TYPE_INT32, true, msg, &bad);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(msg, "negative"), "negative padding: %d '%s'", (int)s, msg);
  return t_finish();
}
