/* DEQUANTIZE int8/uint8 -> float32: every code, random scales and zero points, against
   (float)(double(scale) * (q - zp)) (README of the ops test data, TFLite Dequantize) and
   within half a float ulp of the exact product. Left out of the integer-only build. */
#include <math.h>

#include "ops-harness.h"

q8_status q8_prepare_dequantize(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

int main(void) {
  t_rng rng = {t_seed(20240909)};
  const int32_t dims[2] = {1, 256};
  for (int k = 0; k < 300; k++) {
    const q8_type type = k % 2 ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
    const float scale = (float)pow(10.0, -4 + 4 * t_rng_unit(&rng));
    const int32_t zp = (int32_t)t_rng_range(&rng, 0, 255) - (type == Q8_TYPE_INT8 ? 128 : 0);
    h_tensor h[2];
    h_set(&h[0], "q", type, 2, dims, scale, zp);
    h_set(&h[1], "x", Q8_TYPE_FLOAT32, 2, dims, 0, 0);
    q8_tensor tensors[2];
    h_tensors(h, 2, tensors);
    h_node hn;
    h_node_init(&hn, Q8_OP_DEQUANTIZE, 1);
    uint8_t in[256];
    float out[256];
    for (int i = 0; i < 256; i++) in[i] = (uint8_t)i;
    const void *inputs[1] = {in};
    q8_prepare_ctx ctx;
    q8_status s = h_prepare_run(q8_prepare_dequantize, &ctx, &hn, tensors, inputs, out);
    h_ctx_free(&ctx);
    int bad = 0;
    for (int i = 0; s == Q8_OK && i < 256; i++) {
      const int32_t q = h_load(in, (size_t)i, type == Q8_TYPE_INT8) - zp;
      const float want = (float)((double)scale * q);
      const double exact = (double)scale * q;
      if (memcmp(&out[i], &want, sizeof want) != 0 ||
          fabs(out[i] - exact) > 0.5 * fabs(exact) * 0x1p-23 + 1e-45)
        bad++;
    }
    T_CHECK(s == Q8_OK && bad == 0, "%s scale %g zp %d: status %d, %d mismatches",
            q8_type_name(type), (double)scale, (int)zp, (int)s, bad);
  }
  /* A float32 output is required. */
  h_tensor h[2];
  h_set(&h[0], "q", Q8_TYPE_INT8, 2, dims, 0.1f, 0);
  h_set(&h[1], "x", Q8_TYPE_INT8, 2, dims, 0.1f, 0);
  q8_tensor tensors[2];
  h_tensors(h, 2, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_DEQUANTIZE, 1);
  q8_prepare_ctx ctx;
  q8_status s = h_prepare_run(q8_prepare_dequantize, &ctx, &hn, tensors, NULL, NULL);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(ctx.message, "float32"), "int8 output: %d '%s'",
          (int)s, ctx.message);
  h_ctx_free(&ctx);
  return t_finish();
}
