/* QUANTIZE float32 -> int8/uint8 (TFLite AffineQuantize: float quotient, ties away from zero,
   clamped): random values, exact ties, +-0, out-of-range values and infinities, and NaN
   (q8 writes the zero point). Left out of the integer-only build. */
#include <math.h>

#include "ops-harness.h"

q8_status q8_prepare_quantize(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

/* Round half away from zero of the float quotient, by floor on the magnitude in double. */
static int32_t oracle(float x, float scale, int32_t zp, int32_t lo, int32_t hi) {
  const float q = x / scale;
  if (isnan(q)) return zp;
  const double mag = floor(fabs((double)q) + 0.5);
  const double r = (q < 0 ? -mag : mag) + zp;
  return r < lo ? lo : r > hi ? hi : (int32_t)r;
}

static void check(q8_type type, float scale, int32_t zp, const float *x, int32_t n,
                  const char *what) {
  const int32_t dims[1] = {n};
  h_tensor h[2];
  h_set(&h[0], "x", Q8_TYPE_FLOAT32, 1, dims, 0, 0);
  h_set(&h[1], "q", type, 1, dims, scale, zp);
  q8_tensor tensors[2];
  h_tensors(h, 2, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_QUANTIZE, 1);
  uint8_t *out = malloc((size_t)n);
  const void *inputs[1] = {x};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_quantize, &ctx, &hn, tensors, inputs, out);
  h_ctx_free(&ctx);
  const bool sg = type == Q8_TYPE_INT8;
  int bad = 0;
  for (int32_t i = 0; s == Q8_OK && i < n; i++) {
    const int32_t want = oracle(x[i], scale, zp, sg ? -128 : 0, sg ? 127 : 255);
    const int32_t got = h_load(out, (size_t)i, sg);
    if (got != want && bad++ == 0)
      fprintf(stderr, "  %s: x %.9g: got %d want %d\n", what, (double)x[i], (int)got, (int)want);
  }
  T_CHECK(s == Q8_OK && bad == 0, "%s: %s scale %g zp %d: status %d, %d mismatches", what,
          q8_type_name(type), (double)scale, (int)zp, (int)s, bad);
  free(out);
}

int main(void) {
  t_rng rng = {t_seed(20240908)};
  float x[512];
  for (int k = 0; k < 200; k++) {
    const q8_type type = k % 2 ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
    const float scale = (float)pow(10.0, -3 + 3 * t_rng_unit(&rng));
    const int32_t zp = (int32_t)t_rng_range(&rng, 0, 255) - (type == Q8_TYPE_INT8 ? 128 : 0);
    for (int i = 0; i < 512; i++) {
      const double q = (t_rng_unit(&rng) * 2 - 1) * 300; /* codes well past both ends */
      x[i] = i % 4 == 0 ? (float)((floor(q) + 0.5) * scale) : (float)(q * scale); /* ties */
    }
    check(type, scale, zp, x, 512, "random");
  }
  /* Exact ties at a power-of-two scale: 1/32 as in the golden case. */
  const float ties[] = {0.015625f, -0.015625f, 0.046875f, -0.046875f, 1.015625f, -1.015625f,
                        0.0f, -0.0f, 3.984375f, -4.015625f, 100.0f, -100.0f, INFINITY, -INFINITY,
                        NAN, -NAN, 1e30f, -1e30f, 3.4e38f, -3.4e38f};
  const int32_t nt = (int32_t)(sizeof ties / sizeof ties[0]);
  check(Q8_TYPE_INT8, 1.0f / 32, -3, ties, nt, "ties, zeros, clamps, NaN (int8)");
  check(Q8_TYPE_UINT8, 1.0f / 32, 128, ties, nt, "ties, zeros, clamps, NaN (uint8)");
  check(Q8_TYPE_INT8, 1.0f / 32, 127, ties, nt, "zero point 127");
  check(Q8_TYPE_UINT8, 1.0f / 32, 0, ties, nt, "zero point 0");
  /* Specific answers, not only agreement with the oracle. */
  const int32_t dims[1] = {4};
  h_tensor h[2];
  h_set(&h[0], "x", Q8_TYPE_FLOAT32, 1, dims, 0, 0);
  h_set(&h[1], "q", Q8_TYPE_INT8, 1, dims, 0.5f, -3);
  q8_tensor tensors[2];
  h_tensors(h, 2, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_QUANTIZE, 1);
  const float v[4] = {1.25f, -1.25f, NAN, -0.0f}; /* 2.5 -> 3, -2.5 -> -3, NaN -> zp, -0 -> zp */
  int8_t out[4];
  const void *inputs[1] = {v};
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_quantize, &ctx, &hn, tensors, inputs, out);
  h_ctx_free(&ctx);
  T_CHECK(s == Q8_OK && out[0] == 0 && out[1] == -6 && out[2] == -3 && out[3] == -3,
          "2.5 -> %d (want 0), -2.5 -> %d (want -6), NaN -> %d (want -3), -0 -> %d (want -3)",
          out[0], out[1], out[2], out[3]);
  return t_finish();
}
