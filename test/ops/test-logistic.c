/* LOGISTIC (int8): prepare + run on all 256 input codes for many input scales and zero
   points against a plain restatement of TFLite's integer rule (reference/integer_ops/
   logistic.h with TFLM logistic_common.cc's parameters), a float sanity bound, and
   prepare's refusals (uint8, other output parameters). */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "numerics-model.h"
#include "ops-harness.h"
#include "quant/fixedpoint.h"

q8_status q8_prepare_logistic(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

static t_rng rng;

/* The rule for one input code. */
static int32_t model_logistic(int32_t code, float scale, int32_t zp) {
  int32_t m = 0;
  int shift = 0;
  m_frexp_multiplier((double)scale * 134217728.0, &m, &shift); /* scale * 2^27 */
  const int32_t radius = m_input_radius(4, shift);
  const int32_t x = code - zp;
  if (x <= -radius) return -128;
  if (x >= radius) return 127;
  const int64_t y = m_round_shift(q8_logistic(m_mbqm(x, m, shift), 4), 23) - 128;
  return (int32_t)(y < -128 ? -128 : y > 127 ? 127 : y);
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
  const int32_t dims[2] = {1, 256};
  h_tensor hs[2];
  h_set(&hs[0], "x", type, 2, dims, scale, zp);
  h_set(&hs[1], "sigmoid_out", type, 2, dims, out_scale, out_zp);
  q8_tensor tensors[2];
  h_tensors(hs, 2, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_LOGISTIC, 1);
  q8_prepare_ctx ctx;
  const void *inputs[1] = {in};
  const q8_status s = h_prepare_run(q8_prepare_logistic, &ctx, &hn, tensors, inputs, out);
  snprintf(message, size, "%s", ctx.message);
  h_ctx_free(&ctx);
  return s;
}

static void check_scale(float scale, int32_t zp) {
  int8_t in[256], out[256];
  for (int i = 0; i < 256; i++) in[i] = (int8_t)(i - 128);
  char message[512];
  const q8_status s = run_op(Q8_TYPE_INT8, scale, zp, 1.0f / 256.0f, -128, in, out, message,
                             sizeof message);
  T_CHECK(s == Q8_OK, "scale %.9g zp %d: prepare failed: %s", (double)scale, (int)zp, message);
  if (s != Q8_OK) return;
  int mismatches = 0;
  for (int i = 0; i < 256; i++) {
    const int32_t want = model_logistic(in[i], scale, zp);
    if (out[i] != want && mismatches++ < 3)
      T_CHECK(0, "scale %.9g zp %d code %d: got %d, rule gives %d", (double)scale, (int)zp,
              (int)in[i], (int)out[i], (int)want);
    /* Float: 256 * sigmoid(real) - 128 within one step, except where TFLite's coarse
       saturation test (|x| >= radius, radius = floor(15 * 2^(27 - shift)), which can be 1 or
       0 for scales >= 8) cuts in below |real| 7.5: there the rule alone decides. */
    if (!float_comparable(in[i] - zp, scale)) continue;
    double f = 256.0 / (1.0 + exp(-(double)scale * (in[i] - zp))) - 128.0;
    f = f > 127.0 ? 127.0 : f;
    if (fabs(out[i] - f) > 1.0 && mismatches++ < 3)
      T_CHECK(0, "scale %.9g zp %d code %d: got %d, float gives %.3f", (double)scale, (int)zp,
              (int)in[i], (int)out[i], f);
  }
  T_CHECK(mismatches == 0, "scale %.9g zp %d: %d mismatches", (double)scale, (int)zp, mismatches);
}

static void expect_refused(const char *what, q8_type type, float out_scale, int32_t out_zp,
                           const char *needle) {
  uint8_t in[256] = {0}, out[256];
  char message[512] = "";
  const q8_status s = run_op(type, 0.05f, 0, out_scale, out_zp, in, out, message, sizeof message);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(message, needle) != NULL,
          "%s: status %s, message '%s' (want '%s')", what, q8_status_name(s), message, needle);
}

int main(void) {
  rng.state = t_seed(0x1061);
  /* The golden case's scale regime and the extremes: scales that put the radius beyond the
     int8 range, radius 0 (scale >= 16: every code saturates), negative shifts (tiny
     scales: a right shift in the multiply), exact powers of two, zero points at the ends. */
  static const float fixed_scales[] = {0.0625f, 0.1f, 1.0f / 16.0f, 0.5f, 1.0f, 4.0f, 8.0f,
                                       15.9f, 16.0f, 100.0f, 1e-3f, 1e-5f, 1e-9f, 3e-12f};
  static const int32_t zps[] = {-128, -1, 0, 17, 127};
  for (int i = 0; i < 14; i++)
    for (int j = 0; j < 5; j++) check_scale(fixed_scales[i], zps[j]);
  for (int i = 0; i < 2000; i++) {
    const float scale = (float)ldexp(0.5 + 0.5 * t_rng_unit(&rng), (int)t_rng_range(&rng, -12, 3));
    check_scale(scale, (int32_t)t_rng_range(&rng, -128, 127));
  }
  /* TFLite's quirk reproduced: for scale >= 8 (shift >= 31) the radius is 0, so input 0 takes the
     "x <= -radius" branch and gives -128 (0.0), not 0 (0.5). */
  {
    int8_t in[256], out[256];
    char message[512];
    for (int i = 0; i < 256; i++) in[i] = (int8_t)(i - 128);
    T_CHECK(run_op(Q8_TYPE_INT8, 16.0f, 5, 1.0f / 256.0f, -128, in, out, message,
                   sizeof message) == Q8_OK &&
                out[5 + 128] == -128 && out[6 + 128] == 127 && out[4 + 128] == -128,
            "radius 0: codes 4, 5, 6 give %d %d %d", (int)out[4 + 128], (int)out[5 + 128],
            (int)out[6 + 128]);
  }
  expect_refused("uint8", Q8_TYPE_UINT8, 1.0f / 256.0f, 0, "int8 only");
  expect_refused("output zp 0", Q8_TYPE_INT8, 1.0f / 256.0f, 0, "sigmoid_out");
  expect_refused("output scale 1/128", Q8_TYPE_INT8, 1.0f / 128.0f, -128, "1/256");
  return t_finish();
}
