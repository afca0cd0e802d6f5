/* TANH (int8 and uint8): prepare + run on all 256 input codes for many input scales and zero
   points against a plain restatement of TFLite's integer rules (reference/integer_ops/tanh.h
   for int8, reference/tanh.h's uint8 Tanh, TFLM tanh.cc's parameters), a float sanity bound,
   and prepare's refusals. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "numerics-model.h"
#include "ops-harness.h"
#include "quant/fixedpoint.h"

q8_status q8_prepare_tanh(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

static t_rng rng;

static int32_t model_tanh(bool is_signed, int32_t code, float scale, int32_t zp) {
  int32_t m = 0;
  int shift = 0;
  m_frexp_multiplier((double)scale * 134217728.0, &m, &shift); /* scale * 2^27 */
  const int32_t radius = m_input_radius(4, shift);
  const int32_t x = code - zp;
  if (x <= -radius) return is_signed ? -128 : 0;
  if (x >= radius) return is_signed ? 127 : 255;
  const int64_t y = m_round_shift(q8_tanh(m_mbqm(x, m, shift), 4), 24);
  if (is_signed) return (int32_t)(y < -128 ? -128 : y > 127 ? 127 : y);
  return y + 128 == 256 ? 255 : (int32_t)(y + 128);
}

/* Whether the float function bounds this element: inside the radius, or far enough out
   (|real| >= 7.5) that saturating is within one step. */
static bool float_comparable(int32_t x, float scale) {
  int32_t m = 0;
  int shift = 0;
  m_frexp_multiplier((double)scale * 134217728.0, &m, &shift);
  const int32_t radius = m_input_radius(4, shift);
  return (x > -radius && x < radius) || fabs((double)scale * x) >= 7.5;
}

static q8_status run_op(q8_type type, float scale, int32_t zp, float out_scale, int32_t out_zp,
                        const void *in, void *out, char *message, size_t size) {
  const int32_t dims[3] = {2, 8, 16};
  h_tensor hs[2];
  h_set(&hs[0], "x", type, 3, dims, scale, zp);
  h_set(&hs[1], "tanh_out", type, 3, dims, out_scale, out_zp);
  q8_tensor tensors[2];
  h_tensors(hs, 2, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_TANH, 1);
  q8_prepare_ctx ctx;
  const void *inputs[1] = {in};
  const q8_status s = h_prepare_run(q8_prepare_tanh, &ctx, &hn, tensors, inputs, out);
  snprintf(message, size, "%s", ctx.message);
  h_ctx_free(&ctx);
  return s;
}

static void check_scale(bool is_signed, float scale, int32_t zp) {
  uint8_t in[256], out[256];
  for (int i = 0; i < 256; i++) in[i] = (uint8_t)i;
  char message[512];
  const q8_status s = run_op(is_signed ? Q8_TYPE_INT8 : Q8_TYPE_UINT8, scale, zp, 1.0f / 128.0f,
                             is_signed ? 0 : 128, in, out, message, sizeof message);
  T_CHECK(s == Q8_OK, "%s scale %.9g zp %d: prepare failed: %s", is_signed ? "int8" : "uint8",
          (double)scale, (int)zp, message);
  if (s != Q8_OK) return;
  int mismatches = 0;
  for (int i = 0; i < 256; i++) {
    const int32_t code = h_load(in, (size_t)i, is_signed), got = h_load(out, (size_t)i, is_signed);
    const int32_t want = model_tanh(is_signed, code, scale, zp);
    if (got != want && mismatches++ < 3)
      T_CHECK(0, "%s scale %.9g zp %d code %d: got %d, rule gives %d",
              is_signed ? "int8" : "uint8", (double)scale, (int)zp, (int)code, (int)got, (int)want);
    /* Float within one step, except where TFLite's coarse saturation test cuts in below
       |real| 7.5 (large scales: radius 1 or 0); there the rule alone decides. */
    if (!float_comparable(code - zp, scale)) continue;
    double f = 128.0 * tanh((double)scale * (code - zp)) + (is_signed ? 0.0 : 128.0);
    const double hi = is_signed ? 127.0 : 255.0;
    f = f > hi ? hi : f;
    if (fabs(got - f) > 1.0 && mismatches++ < 3)
      T_CHECK(0, "%s scale %.9g zp %d code %d: got %d, float gives %.3f",
              is_signed ? "int8" : "uint8", (double)scale, (int)zp, (int)code, (int)got, f);
  }
  T_CHECK(mismatches == 0, "%s scale %.9g zp %d: %d mismatches", is_signed ? "int8" : "uint8",
          (double)scale, (int)zp, mismatches);
}

static void expect_refused(const char *what, q8_type type, float scale, float out_scale,
                           int32_t out_zp, const char *needle) {
  uint8_t in[256] = {0}, out[256];
  char message[512] = "";
  const q8_status s = run_op(type, scale, 0, out_scale, out_zp, in, out, message, sizeof message);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(message, needle) != NULL,
          "%s: status %s, message '%s' (want '%s')", what, q8_status_name(s), message, needle);
}

int main(void) {
  rng.state = t_seed(0x7a14);
  static const float fixed_scales[] = {0.0625f, 0.1f, 0.03125f, 0.5f, 1.0f, 4.0f, 8.0f,
                                       15.9f, 16.0f, 100.0f, 1e-3f, 1e-5f, 1e-9f, 3e-12f};
  for (int si = 0; si < 2; si++) {
    const bool is_signed = si == 1;
    const int32_t zps[5] = {is_signed ? -128 : 0, is_signed ? -1 : 1, is_signed ? 0 : 128,
                            is_signed ? 17 : 200, is_signed ? 127 : 255};
    for (int i = 0; i < 14; i++) {
      /* uint8 multiplies with a left shift only: scale * 2^27 must be at least 1/2. */
      if (!is_signed && fixed_scales[i] < 1e-8f) continue;
      for (int j = 0; j < 5; j++) check_scale(is_signed, fixed_scales[i], zps[j]);
    }
    for (int i = 0; i < 1500; i++) {
      const float scale =
          (float)ldexp(0.5 + 0.5 * t_rng_unit(&rng), (int)t_rng_range(&rng, -12, 3));
      const int32_t zp = (int32_t)(is_signed ? t_rng_range(&rng, -128, 127) : t_rng_range(&rng, 0, 255));
      check_scale(is_signed, scale, zp);
    }
  }
  expect_refused("int8 output zp -128", Q8_TYPE_INT8, 0.05f, 1.0f / 128.0f, -128, "tanh_out");
  expect_refused("int8 output scale 1/256", Q8_TYPE_INT8, 0.05f, 1.0f / 256.0f, 0, "1/128");
  expect_refused("uint8 output zp 0", Q8_TYPE_UINT8, 0.05f, 1.0f / 128.0f, 0, "zero point 128");
  expect_refused("uint8 tiny scale (right shift)", Q8_TYPE_UINT8, 1e-9f, 1.0f / 128.0f, 128,
                 "uint8 TANH");
  return t_finish();
}
