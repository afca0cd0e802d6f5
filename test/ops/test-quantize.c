/* QUANTIZE between 8-bit tensors (TFLite Requantize with QuantizeMultiplier(in/out)): every
   input code for int8/uint8 in both directions, random scales and zero points, the
   equal-scale int8<->uint8 shift by 128 (TFLite's XOR fast path), and, in the integer-only
   build, the refusal of a float32 input. */
#include "conv-oracle.h"
#include "ops-harness.h"

q8_status q8_prepare_quantize(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

static q8_status run_case(q8_type tin, float s_in, int32_t z_in, q8_type tout, float s_out,
                          int32_t z_out, char *msg, int *bad) {
  const int32_t dims[2] = {2, 128};
  h_tensor h[2];
  h_set(&h[0], "x", tin, 2, dims, s_in, z_in);
  h_set(&h[1], "y", tout, 2, dims, s_out, z_out);
  q8_tensor tensors[2];
  h_tensors(h, 2, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_QUANTIZE, 1);
  uint8_t in[256], out[256];
  for (int i = 0; i < 256; i++) in[i] = (uint8_t)i; /* every code */
  const void *inputs[1] = {in};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_quantize, &ctx, &hn, tensors, inputs, out);
  snprintf(msg, 512, "%s", ctx.message);
  h_ctx_free(&ctx);
  *bad = 0;
  const bool si = tin == Q8_TYPE_INT8, so = tout == Q8_TYPE_INT8;
  int32_t m, sh;
  oracle_multiplier((double)s_in / (double)s_out, &m, &sh);
  for (int i = 0; s == Q8_OK && i < 256; i++) {
    const int32_t want = oracle_output(h_load(in, (size_t)i, si) - z_in, m, sh, z_out,
                                       so ? -128 : 0, so ? 127 : 255);
    const int32_t got = h_load(out, (size_t)i, so);
    if (got != want && (*bad)++ == 0)
      fprintf(stderr, "  code %d: got %d want %d\n", h_load(in, (size_t)i, si), (int)got, (int)want);
  }
  return s;
}

int main(void) {
  t_rng rng = {t_seed(20240907)};
  char msg[512];
  int bad;
  const q8_type types[2] = {Q8_TYPE_INT8, Q8_TYPE_UINT8};
  for (int k = 0; k < 400; k++) {
    const q8_type ti = types[k % 2], to = types[(k / 2) % 2];
    const float s_in = (float)oracle_decades(&rng, -3, 0);
    const float s_out = k % 7 == 0 ? s_in : s_in * (float)oracle_decades(&rng, -1.5, 1.5);
    const int32_t z_in = oracle_zero_point(&rng, ti == Q8_TYPE_INT8 ? -128 : 0,
                                           ti == Q8_TYPE_INT8 ? 127 : 255);
    const int32_t z_out = oracle_zero_point(&rng, to == Q8_TYPE_INT8 ? -128 : 0, to == Q8_TYPE_INT8 ? 127 : 255);
    q8_status s = run_case(ti, s_in, z_in, to, s_out, z_out, msg, &bad);
    T_CHECK(s == Q8_OK && bad == 0, "case %d: %s %g/%d -> %s %g/%d: %d (%s) %d bad", k,
            q8_type_name(ti), (double)s_in, (int)z_in, q8_type_name(to), (double)s_out,
            (int)z_out, (int)s, msg, bad);
  }
  /* Equal scales, zero points 128 apart: the bytes flip their top bit (TFLite's fast path). */
  const int32_t dims[1] = {256};
  for (int dir = 0; dir < 2; dir++) {
    h_tensor h[2];
    h_set(&h[0], "x", dir ? Q8_TYPE_UINT8 : Q8_TYPE_INT8, 1, dims, 0.02f, dir ? 128 : 0);
    h_set(&h[1], "y", dir ? Q8_TYPE_INT8 : Q8_TYPE_UINT8, 1, dims, 0.02f, dir ? 0 : 128);
    q8_tensor tensors[2];
    h_tensors(h, 2, tensors);
    h_node hn;
    h_node_init(&hn, Q8_OP_QUANTIZE, 1);
    uint8_t in[256], out[256];
    for (int i = 0; i < 256; i++) in[i] = (uint8_t)i;
    const void *inputs[1] = {in};
    q8_prepare_ctx ctx;
    q8_status s = h_prepare_run(q8_prepare_quantize, &ctx, &hn, tensors, inputs, out);
    h_ctx_free(&ctx);
    int flips = 0;
    for (int i = 0; i < 256; i++) flips += out[i] == (uint8_t)(in[i] ^ 0x80);
    T_CHECK(s == Q8_OK && flips == 256, "XOR 0x80 equivalence (dir %d): %d of 256", dir, flips);
  }
#ifdef Q8_INTEGER_ONLY
  {
    h_tensor h[2];
    h_set(&h[0], "x", Q8_TYPE_FLOAT32, 1, dims, 0, 0);
    h_set(&h[1], "y", Q8_TYPE_INT8, 1, dims, 0.02f, 0);
    q8_tensor tensors[2];
    h_tensors(h, 2, tensors);
    h_node hn;
    h_node_init(&hn, Q8_OP_QUANTIZE, 1);
    q8_prepare_ctx ctx;
    q8_status s = h_prepare_run(q8_prepare_quantize, &ctx, &hn, tensors, NULL, NULL);
    T_CHECK(s == Q8_ERROR_UNSUPPORTED &&
                strstr(ctx.message, "QUANTIZE from float32 needs floating point; this is the "
                                    "integer-only build") != NULL,
            "integer-only refusal: %d '%s'", (int)s, ctx.message);
    h_ctx_free(&ctx);
  }
#endif
  return t_finish();
}
