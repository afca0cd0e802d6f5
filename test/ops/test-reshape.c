/* RESHAPE and SQUEEZE: the computed shape (shape input, ReshapeOptions, the output's own,
   one -1 resolved; squeeze_dims or every 1) and a byte-exact copy; refusals with messages. */
#include "ops-harness.h"

q8_status q8_prepare_reshape(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_squeeze(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

enum shape_source { FROM_INPUT, FROM_COMPUTED_INPUT, FROM_OPTIONS, FROM_OUTPUT };

/* in_dims -> the file's out_dims, with the requested shape req (may hold -1). */
static q8_status reshape(t_rng *rng, int32_t in_rank, const int32_t *in_dims, int32_t req_rank,
                         const int32_t *req, int32_t out_rank, const int32_t *out_dims,
                         enum shape_source src, char *msg) {
  size_t n = 1;
  for (int32_t i = 0; i < in_rank; i++) n *= (size_t)in_dims[i];
  const int32_t shape_dims[1] = {req_rank};
  h_tensor h[3];
  h_set(&h[0], "x", Q8_TYPE_INT8, in_rank, in_dims, 0.5f, -3);
  h_set(&h[1], "shape", Q8_TYPE_INT32, 1, shape_dims, 0, 0);
  if (src == FROM_INPUT) h[1].t.data = req, h[1].t.data_size = sizeof(int32_t) * (size_t)req_rank;
  const int n_inputs = src == FROM_INPUT || src == FROM_COMPUTED_INPUT ? 2 : 1;
  h_set(&h[n_inputs], "y", Q8_TYPE_INT8, out_rank, out_dims, 0.5f, -3);
  q8_tensor tensors[3];
  h_tensors(h, n_inputs + 1, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_RESHAPE, n_inputs);
  if (src == FROM_OPTIONS) {
    hn.node.opt.reshape.has_new_shape = true;
    hn.node.opt.reshape.rank = req_rank;
    for (int32_t i = 0; i < req_rank; i++) hn.node.opt.reshape.new_shape[i] = req[i];
  }
  uint8_t *in = malloc(n), *out = calloc(1, n);
  h_fill_random(rng, in, n);
  const void *inputs[2] = {in, req};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_reshape, &ctx, &hn, tensors, inputs, out);
  snprintf(msg, 512, "%s", ctx.message);
  h_ctx_free(&ctx);
  if (s == Q8_OK) T_CHECK(memcmp(in, out, n) == 0, "reshape changed the bytes");
  free(in), free(out);
  return s;
}

static void test_reshape(t_rng *rng) {
  char msg[512];
  const int32_t in[4] = {1, 3, 4, 5}, flat[2] = {1, 60}, req[2] = {1, -1};
  for (int src = FROM_INPUT; src <= FROM_OUTPUT; src++) {
    if (src == FROM_COMPUTED_INPUT) continue;
    q8_status s = reshape(rng, 4, in, 2, src == FROM_OUTPUT ? flat : req, 2, flat,
                          (enum shape_source)src, msg);
    T_CHECK(s == Q8_OK, "[1,3,4,5] -> [1,-1] (source %d): %d '%s'", src, (int)s, msg);
  }
  /* Random shapes: the output a random factorisation, one dimension sometimes -1. */
  for (int k = 0; k < 200; k++) {
    int32_t d[4], o[4], r[4], rank = (int32_t)t_rng_range(rng, 1, 4), orank = 0;
    size_t n = 1;
    for (int32_t i = 0; i < rank; i++) n *= (size_t)(d[i] = (int32_t)t_rng_range(rng, 1, 6));
    size_t left = n;
    while (orank < 3 && left > 1) { /* peel off divisors */
      int32_t f = (int32_t)t_rng_range(rng, 1, 6);
      while (left % (size_t)f) f--;
      o[orank++] = f;
      left /= (size_t)f;
    }
    o[orank++] = (int32_t)left;
    memcpy(r, o, sizeof r);
    if (t_rng_range(rng, 0, 1)) r[t_rng_range(rng, 0, orank - 1)] = -1;
    const enum shape_source src = t_rng_range(rng, 0, 1) ? FROM_INPUT : FROM_OPTIONS;
    q8_status s = reshape(rng, rank, d, orank, r, orank, o, src, msg);
    T_CHECK(s == Q8_OK, "random %d: %d '%s'", k, (int)s, msg);
  }
  /* Refusals. */
  const int32_t bad_count[2] = {7, 9}, two_unknown[3] = {-1, 3, -1}, wrong_out[2] = {2, 30};
  q8_status s = reshape(rng, 4, in, 2, bad_count, 2, bad_count, FROM_INPUT, msg);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(msg, "63") && strstr(msg, "60"),
          "63 vs 60 elements: %d '%s'", (int)s, msg);
  s = reshape(rng, 4, in, 3, two_unknown, 2, flat, FROM_OPTIONS, msg);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(msg, "-1"), "two -1: %d '%s'", (int)s, msg);
  const int32_t seven[2] = {7, -1};
  s = reshape(rng, 4, in, 2, seven, 2, flat, FROM_INPUT, msg);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL, "-1 that cannot divide 60 by 7: %d '%s'", (int)s, msg);
  s = reshape(rng, 4, in, 2, req, 2, flat, FROM_COMPUTED_INPUT, msg);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(msg, "constant"), "computed shape: %d '%s'", (int)s, msg);
  s = reshape(rng, 4, in, 2, req, 2, wrong_out, FROM_INPUT, msg);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(msg, "'y'"), "file shape disagrees: %d '%s'", (int)s, msg);
}

static q8_status squeeze(t_rng *rng, int32_t rank, const int32_t *dims, int32_t n_sq,
                         const int32_t *sq, int32_t out_rank, const int32_t *out_dims, char *msg) {
  size_t n = 1;
  for (int32_t i = 0; i < rank; i++) n *= (size_t)dims[i];
  h_tensor h[2];
  h_set(&h[0], "x", Q8_TYPE_UINT8, rank, dims, 0.1f, 128);
  h_set(&h[1], "y", Q8_TYPE_UINT8, out_rank, out_dims, 0.1f, 128);
  q8_tensor tensors[2];
  h_tensors(h, 2, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_SQUEEZE, 1);
  hn.node.opt.squeeze.n_dims = n_sq;
  for (int32_t i = 0; i < n_sq; i++) hn.node.opt.squeeze.dims[i] = sq[i];
  uint8_t *in = malloc(n), *out = calloc(1, n);
  h_fill_random(rng, in, n);
  const void *inputs[1] = {in};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_squeeze, &ctx, &hn, tensors, inputs, out);
  snprintf(msg, 512, "%s", ctx.message);
  h_ctx_free(&ctx);
  if (s == Q8_OK) T_CHECK(memcmp(in, out, n) == 0, "squeeze changed the bytes");
  free(in), free(out);
  return s;
}

static void test_squeeze(t_rng *rng) {
  char msg[512];
  const int32_t d[4] = {1, 3, 1, 4}, all[2] = {3, 4}, keep_last1[3] = {3, 1, 4};
  const int32_t sq02[2] = {0, 2}, sq_neg[1] = {-4}, sq_bad[1] = {1};
  q8_status s = squeeze(rng, 4, d, 2, sq02, 2, all, msg);
  T_CHECK(s == Q8_OK, "squeeze [0,2]: %d '%s'", (int)s, msg);
  s = squeeze(rng, 4, d, 0, NULL, 2, all, msg);
  T_CHECK(s == Q8_OK, "squeeze all: %d '%s'", (int)s, msg);
  s = squeeze(rng, 4, d, 1, sq_neg, 3, keep_last1, msg);
  T_CHECK(s == Q8_OK, "squeeze [-4]: %d '%s'", (int)s, msg);
  s = squeeze(rng, 4, d, 1, sq_bad, 3, keep_last1, msg);
  T_CHECK(s == Q8_ERROR_INVALID_MODEL && strstr(msg, "[1,3,1,4]"), "squeeze a 3: %d '%s'", (int)s, msg);
}

int main(void) {
  t_rng rng = {t_seed(20240905)};
  test_reshape(&rng);
  test_squeeze(&rng);
  return t_finish();
}
