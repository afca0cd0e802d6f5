/* Tests of src/quant/range-float.c: zero-point nudging worked out by hand and against
   TensorFlow's fake_quant_ops_test.cc, bit widths 2..8 with and without narrow range, the
   straight-through gradient's edges, symmetric per-channel weights (all-zero channels), range
   trackers, storage in uint8/int8 containers and the refusals. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant/range.h"
#include "util/test-util.h"

static t_rng rng;

/* TensorFlow's ExpectClose default: |got - want| <= eps + eps * |want|, eps = FLT_EPSILON. */
static int tf_close(float got, float want) {
  return fabsf(got - want) <= FLT_EPSILON + FLT_EPSILON * fabsf(want);
}

static q8_quant_grid grid_or_fail(float min, float max, int bits, bool narrow) {
  q8_quant_grid g;
  q8_error err = {{0}};
  const q8_status s = q8_quant_grid_from_range(min, max, bits, narrow, &g, &err);
  T_CHECK(s == Q8_OK, "grid [%g, %g] bits %d narrow %d: status %d (%s)", (double)min,
          (double)max, bits, (int)narrow, (int)s, err.message);
  return g;
}

/* The invariants every grid and every fake-quantized value must satisfy: the code is an
   integer in [quant_min, quant_max], the output is exactly that code's real, 0.0 maps to
   the zero point and back to exactly 0.0. */
static void check_value_on_grid(const q8_quant_grid *g, float x, const char *where) {
  const float y = q8_fake_quant(g, x);
  const int32_t code = q8_quant_grid_code(g, x);
  const float steps = (float)(code - g->quant_min);
  const float above = steps * g->scale;
  const float rebuilt = above + g->nudged_min;
  T_CHECK(code >= g->quant_min && code <= g->quant_max && y == rebuilt,
          "%s: x %.9g -> y %.9g code %d, codes [%d, %d], (code - qmin) * scale + min = %.9g",
          where, (double)x, (double)y, (int)code, (int)g->quant_min, (int)g->quant_max,
          (double)rebuilt);
}

static void check_zero_exact(const q8_quant_grid *g, const char *where) {
  const float y = q8_fake_quant(g, 0.0f);
  const int32_t code = q8_quant_grid_code(g, 0.0f);
  T_CHECK(y == 0.0f && code == g->zero_point && g->nudged_min <= 0.0f &&
              g->nudged_max >= 0.0f && g->zero_point >= g->quant_min &&
              g->zero_point <= g->quant_max,
          "%s: 0.0 -> %.9g (code %d), zero point %d, nudged [%.9g, %.9g]", where, (double)y,
          (int)code, (int)g->zero_point, (double)g->nudged_min, (double)g->nudged_max);
}

/* ---- Hand-worked grids ---- */

static void test_hand_worked_8bit(void) {
  /* [-1, 2] at 8 bits, full range: codes 0..255.
     scale = (2 - (-1)) / (255 - 0) = 3/255 = 1/85 = 0.0117647...
     zero_point_from_min = 0 - (-1) / (3/255) = 85 (in float 1 / fl(3/255) rounds to 85)
     nudged_min = (0 - 85) * 3/255 = -1, nudged_max = (255 - 85) * 3/255 = 2 (float products). */
  const q8_quant_grid g = grid_or_fail(-1.0f, 2.0f, 8, false);
  const float scale = 3.0f / 255.0f;
  const float nudged_min = -85.0f * scale;
  const float nudged_max = 170.0f * scale;
  T_CHECK(g.scale == scale && g.zero_point == 85 && g.quant_min == 0 && g.quant_max == 255 &&
              g.nudged_min == nudged_min && g.nudged_max == nudged_max && !g.symmetric &&
              fabsf(g.nudged_min + 1.0f) < 1e-6f && fabsf(g.nudged_max - 2.0f) < 1e-6f,
          "[-1, 2]/8: scale %.9g zp %d nudged [%.9g, %.9g]", (double)g.scale,
          (int)g.zero_point, (double)g.nudged_min, (double)g.nudged_max);
  /* Codes: 0 -> 85; 1 = 85 steps above 0 -> 170; 2 -> 255; -1 -> 0; outside clamps. */
  const float xs[] = {0.0f, 1.0f, 2.0f, -1.0f, 3.0f, -7.0f, 0.5f};
  /* 0.5 / (1/85) = 42.5 steps above zero: shifted = 1.5 / (1/85) = 127.5 (+0.5, floor) = 128
     above nudged_min, in float up to an ulp either side, so only the neighbours are given. */
  const int32_t want[] = {85, 170, 255, 0, 255, 0, -1};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    const int32_t code = q8_quant_grid_code(&g, xs[i]);
    if (want[i] >= 0) {
      T_CHECK(code == want[i], "[-1, 2]/8: code(%g) = %d, want %d", (double)xs[i], (int)code,
              (int)want[i]);
    } else {
      T_CHECK(code == 127 || code == 128, "[-1, 2]/8: code(0.5) = %d, want 127 or 128",
              (int)code);
    }
    check_value_on_grid(&g, xs[i], "[-1, 2]/8");
  }
  check_zero_exact(&g, "[-1, 2]/8");
  /* 1.0 is code 170, 170 steps above nudged_min: 170 * scale + (-85 * scale), about 1. */
  const float above = 170.0f * scale;
  const float one = above + nudged_min;
  T_CHECK(q8_fake_quant(&g, 1.0f) == one && fabsf(one - 1.0f) < 1e-6f,
          "[-1, 2]/8: fake_quant(1) = %.9g, want %.9g", (double)q8_fake_quant(&g, 1.0f),
          (double)one);
}

static void test_hand_worked_ties(void) {
  /* [-2, 5.5] at 4 bits: scale = 7.5 / 15 = 0.5 exactly; zero point 0 - (-2) / 0.5 = 4;
     nudged [-2, 5.5]. Every value below is exact in float, so the ties are real ties.
     x = -0.25: shifted = -0.25 + 2 = 1.75, / 0.5 = 3.5, + 0.5 = 4, floor 4 -> code 4 -> 0.0.
       (TFLite's QUANTIZE, round(x / scale) half away from zero, gives -1 -> code 3 -> -0.5:
       fake quantization rounds ties towards +infinity.)
     x = 0.25: shifted 2.25 -> 4.5 -> 5 -> code 5 -> 0.5.
     x = -0.75: shifted 1.25 -> 2.5 -> 3 -> code 3 -> -0.5.
     x = 5.25: shifted 7.25 -> 14.5 -> 15 -> code 15 -> 5.5.
     x = -1.75: shifted 0.25 -> 0.5 -> 1 -> code 1 -> -1.5. */
  const q8_quant_grid g = grid_or_fail(-2.0f, 5.5f, 4, false);
  T_CHECK(g.scale == 0.5f && g.zero_point == 4 && g.nudged_min == -2.0f &&
              g.nudged_max == 5.5f && g.quant_max == 15,
          "[-2, 5.5]/4: scale %g zp %d [%g, %g]", (double)g.scale, (int)g.zero_point,
          (double)g.nudged_min, (double)g.nudged_max);
  const float xs[] = {-0.25f, 0.25f, -0.75f, 5.25f, -1.75f};
  const int32_t codes[] = {4, 5, 3, 15, 1};
  const float ys[] = {0.0f, 0.5f, -0.5f, 5.5f, -1.5f};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    const int32_t code = q8_quant_grid_code(&g, xs[i]);
    const float y = q8_fake_quant(&g, xs[i]);
    T_CHECK(code == codes[i] && y == ys[i], "tie %g: code %d y %g, want %d %g", (double)xs[i],
            (int)code, (double)y, (int)codes[i], (double)ys[i]);
  }
}

static void test_hand_worked_narrow_and_input(void) {
  /* [-1, 1] at 8 bits, narrow (codes 1..255): scale = 2 / 254 = 1/127; zero point
     1 - (-1) * 127 = 128; nudged [(1 - 128) / 127, (255 - 128) / 127] = [-1, 1]. As int8
     (offset -128): zero point 0, codes -127..127: the symmetric int8 weight grid. */
  const q8_quant_grid g = grid_or_fail(-1.0f, 1.0f, 8, true);
  const float scale = 2.0f / 254.0f;
  T_CHECK(g.scale == scale && g.zero_point == 128 && g.quant_min == 1 && g.quant_max == 255 &&
              g.nudged_min == -127.0f * scale && g.nudged_max == 127.0f * scale,
          "[-1, 1]/8 narrow: scale %.9g zp %d [%.9g, %.9g]", (double)g.scale,
          (int)g.zero_point, (double)g.nudged_min, (double)g.nudged_max);
  T_CHECK(q8_quant_grid_code(&g, -5.0f) == 1 && q8_quant_grid_code(&g, 5.0f) == 255,
          "narrow: clamps to codes 1 and 255, got %d %d", (int)q8_quant_grid_code(&g, -5.0f),
          (int)q8_quant_grid_code(&g, 5.0f));
  q8_quant_params p;
  int32_t offset = 99;
  T_CHECK(q8_quant_grid_storage(&g, Q8_TYPE_INT8, &p, &offset, NULL) == Q8_OK &&
              p.zero_point == 0 && offset == -128 && p.scale == scale,
          "narrow as int8: zp %d offset %d", (int)p.zero_point, (int)offset);

  /* The model input (issue 4, item 6): [0, 1] at 8 bits -> scale 1/255, zero point 0 as
     uint8, -128 as int8. */
  const q8_quant_grid in = grid_or_fail(0.0f, 1.0f, 8, false);
  T_CHECK(in.scale == 1.0f / 255.0f && in.zero_point == 0 && in.nudged_min == 0.0f &&
              in.nudged_max == 255.0f * (1.0f / 255.0f),
          "input grid: scale %.9g zp %d", (double)in.scale, (int)in.zero_point);
  T_CHECK(q8_quant_grid_storage(&in, Q8_TYPE_UINT8, &p, &offset, NULL) == Q8_OK &&
              p.zero_point == 0 && offset == 0 && p.scale == 1.0f / 255.0f,
          "input as uint8: zp %d offset %d", (int)p.zero_point, (int)offset);
  T_CHECK(q8_quant_grid_storage(&in, Q8_TYPE_INT8, &p, &offset, NULL) == Q8_OK &&
              p.zero_point == -128 && offset == -128,
          "input as int8: zp %d offset %d", (int)p.zero_point, (int)offset);
  for (int v = 0; v <= 255; v++) {
    /* Every pixel value v / 255 lands on code v. */
    const float x = (float)v / 255.0f;
    const int32_t code = q8_quant_grid_code(&in, x);
    if (code != v) T_CHECK(code == v, "pixel %d / 255 -> code %d", v, (int)code);
  }

  /* 4-bit asymmetric [-6, 1.5] (scale 0.5, zero point 12) stored in containers: uint8 keeps
     codes 0..15 and zero point 12; int8 shifts them to -128..-113, zero point -116. */
  const q8_quant_grid g4 = grid_or_fail(-6.0f, 1.5f, 4, false);
  T_CHECK(q8_quant_grid_storage(&g4, Q8_TYPE_UINT8, &p, &offset, NULL) == Q8_OK &&
              p.zero_point == 12 && offset == 0,
          "4-bit as uint8: zp %d offset %d", (int)p.zero_point, (int)offset);
  T_CHECK(q8_quant_grid_storage(&g4, Q8_TYPE_INT8, &p, &offset, NULL) == Q8_OK &&
              p.zero_point == -116 && offset == -128,
          "4-bit as int8: zp %d offset %d", (int)p.zero_point, (int)offset);
  q8_error err = {{0}};
  T_CHECK(q8_quant_grid_storage(&g4, Q8_TYPE_INT32, &p, &offset, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "uint8 or int8") != NULL,
          "int32 storage refused: %s", err.message);
}

/* ---- TensorFlow's own cases (core/kernels/fake_quant_ops_test.cc, FakeQuantWithMinMaxVars
   and ...Args tests): range, bits, narrow, six inputs and outputs; the nudged zero point and
   range are the ones its comments work out. Compared as TensorFlow compares them. ---- */

typedef struct tf_case {
  const char *name;
  int bits;
  bool narrow;
  float min, max;
  int32_t zero_point;
  float nudged_min, nudged_max;
  float in[6], out[6];
} tf_case;

static const tf_case tf_cases[] = {
    {"NoNudging_RegularRange", 8, false, -10.0f, 53.75f, 40, -10.0f, 53.75f,
     {-10.1f, -10.0f, -9.9f, -9.75f, 53.75f, 53.8f},
     {-10.0f, -10.0f, -10.0f, -9.75f, 53.75f, 53.75f}},
    {"NoNudging_NarrowRange", 8, true, -10.0f, 53.5f, 41, -10.0f, 53.5f,
     {-10.1f, -10.0f, -9.9f, -9.75f, 53.5f, 53.6f},
     {-10.0f, -10.0f, -10.0f, -9.75f, 53.5f, 53.5f}},
    {"NudgedDown_RegularRange", 8, false, -0.1f, 63.65f, 0, 0.0f, 63.75f,
     {-0.1f, 0.0f, 0.1f, 0.25f, 63.75f, 63.8f}, {0.0f, 0.0f, 0.0f, 0.25f, 63.75f, 63.75f}},
    {"NudgedDown_NarrowRange", 8, true, -0.1f, 63.4f, 1, 0.0f, 63.5f,
     {-0.1f, 0.0f, 0.1f, 0.25f, 63.5f, 63.6f}, {0.0f, 0.0f, 0.0f, 0.25f, 63.5f, 63.5f}},
    {"NudgedUp_RegularRange", 8, false, -0.125f, 63.625f, 1, -0.25f, 63.5f,
     {-0.26f, -0.25f, -0.24f, 0.0f, 63.5f, 63.6f},
     {-0.25f, -0.25f, -0.25f, 0.0f, 63.5f, 63.5f}},
    {"NudgedUp_NarrowRange", 8, true, -0.125f, 63.375f, 2, -0.25f, 63.25f,
     {-0.26f, -0.25f, -0.24f, 0.0f, 63.25f, 63.3f},
     {-0.25f, -0.25f, -0.25f, 0.0f, 63.25f, 63.25f}},
    {"NudgedZeroIs255_RegularRange", 8, false, -63.65f, 0.1f, 255, -63.75f, 0.0f,
     {-63.8f, -63.75f, -63.7f, -63.5f, 0.0f, 0.1f},
     {-63.75f, -63.75f, -63.75f, -63.5f, 0.0f, 0.0f}},
    {"NudgedZeroIs255_NarrowRange", 8, true, -63.4f, 0.1f, 255, -63.5f, 0.0f,
     {-63.6f, -63.5f, -63.4f, -63.25f, 0.0f, 0.1f},
     {-63.5f, -63.5f, -63.5f, -63.25f, 0.0f, 0.0f}},
    {"NoNudging_4Bits_RegularRange", 4, false, -6.0f, 1.5f, 12, -6.0f, 1.5f,
     {-6.1f, -6.0f, -5.9f, -5.5f, 1.5f, 1.6f}, {-6.0f, -6.0f, -6.0f, -5.5f, 1.5f, 1.5f}},
    {"NoNudging_4Bits_NarrowRange", 4, true, -6.0f, 1.0f, 13, -6.0f, 1.0f,
     {-6.1f, -6.0f, -5.9f, -5.5f, 1.0f, 1.1f}, {-6.0f, -6.0f, -6.0f, -5.5f, 1.0f, 1.0f}},
    {"NudgedDown_4Bits_RegularRange", 4, false, -0.1f, 7.4f, 0, 0.0f, 7.5f,
     {-0.1f, 0.0f, 0.1f, 0.5f, 7.5f, 7.6f}, {0.0f, 0.0f, 0.0f, 0.5f, 7.5f, 7.5f}},
    {"NudgedDown_4Bits_NarrowRange", 4, true, -0.1f, 6.9f, 1, 0.0f, 7.0f,
     {-0.1f, 0.0f, 0.1f, 0.5f, 7.0f, 7.1f}, {0.0f, 0.0f, 0.0f, 0.5f, 7.0f, 7.0f}},
    {"NudgedUp_4Bits_RegularRange", 4, false, -0.4f, 7.1f, 1, -0.5f, 7.0f,
     {-0.6f, -0.5f, -0.24f, 0.0f, 7.0f, 7.1f}, {-0.5f, -0.5f, -0.0f, 0.0f, 7.0f, 7.0f}},
    {"NudgedUp_4Bits_NarrowRange", 4, true, -0.4f, 6.6f, 2, -0.5f, 6.5f,
     {-0.6f, -0.5f, -0.24f, 0.0f, 6.5f, 6.6f}, {-0.5f, -0.5f, -0.0f, 0.0f, 6.5f, 6.5f}},
    {"NudgedZero15_4Bits_RegularRange", 4, false, -7.3f, 0.2f, 15, -7.5f, 0.0f,
     {-7.6f, -7.5f, -7.4f, -7.2f, 0.0f, 0.1f}, {-7.5f, -7.5f, -7.5f, -7.0f, 0.0f, 0.0f}},
    {"NudgedZero15_4Bits_NarrowRange", 4, true, -6.8f, 0.2f, 15, -7.0f, 0.0f,
     {-7.1f, -7.0f, -6.9f, -6.5f, 0.0f, 0.1f}, {-7.0f, -7.0f, -7.0f, -6.5f, 0.0f, 0.0f}},
    {"NoNudging_2Bits_RegularRange", 2, false, -1.0f, 0.5f, 2, -1.0f, 0.5f,
     {-1.1f, -1.0f, -0.9f, -0.3f, 0.1f, 0.6f}, {-1.0f, -1.0f, -1.0f, -0.5f, 0.0f, 0.5f}},
    {"NoNudging_2Bits_NarrowRange", 2, true, -1.0f, 0.0f, 3, -1.0f, 0.0f,
     {-1.1f, -1.0f, -0.9f, -0.3f, 0.0f, 0.1f}, {-1.0f, -1.0f, -1.0f, -0.5f, 0.0f, 0.0f}},
    {"NudgedDown_2Bits_RegularRange", 2, false, -0.1f, 1.4f, 0, 0.0f, 1.5f,
     {-0.2f, 0.1f, 0.7f, 1.0f, 1.3f, 1.6f}, {0.0f, 0.0f, 0.5f, 1.0f, 1.5f, 1.5f}},
    {"NudgedDown_2Bits_NarrowRange", 2, true, -0.1f, 0.9f, 1, 0.0f, 1.0f,
     {-0.1f, 0.1f, 0.7f, 0.9f, 1.0f, 1.1f}, {-0.0f, 0.0f, 0.5f, 1.0f, 1.0f, 1.0f}},
    {"NudgedUp_2Bits_RegularRange", 2, false, -0.4f, 1.1f, 1, -0.5f, 1.0f,
     {-0.6f, -0.5f, -0.24f, 0.0f, 1.0f, 1.1f}, {-0.5f, -0.5f, 0.0f, 0.0f, 1.0f, 1.0f}},
    {"NudgedUp_2Bits_NarrowRange", 2, true, -0.4f, 0.6f, 2, -0.5f, 0.5f,
     {-0.6f, -0.5f, -0.24f, 0.0f, 0.5f, 0.6f}, {-0.5f, -0.5f, -0.0f, 0.0f, 0.5f, 0.5f}},
    /* SymmetricRangeZeroInput: [-10, 10], scale 20/255. TF's comment says "zero point 127.5,
       nudged to 128", true in real numbers; but TF's Nudge runs in float, where scale rounds
       up to 0.0784313753 and 10 / scale = 127.4999955 rounds to the float 127.4999924, so the
       zero point is 127 (nudged [-127 * scale, 128 * scale]). TF's test only checks that 0
       stays 0, which holds either way. Narrow: 1 + 127 = 128 exactly. */
    {"SymmetricRangeZeroInput_RegularRange", 8, false, -10.0f, 10.0f, 127,
     -127.0f * (20.0f / 255.0f), 128.0f * (20.0f / 255.0f),
     {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}},
    {"SymmetricRangeZeroInput_NarrowRange", 8, true, -10.0f, 10.0f, 128, -10.0f, 10.0f,
     {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}},
};

static void test_tensorflow_cases(void) {
  for (size_t c = 0; c < sizeof tf_cases / sizeof tf_cases[0]; c++) {
    const tf_case *t = &tf_cases[c];
    const q8_quant_grid g = grid_or_fail(t->min, t->max, t->bits, t->narrow);
    T_CHECK(g.zero_point == t->zero_point && tf_close(g.nudged_min, t->nudged_min) &&
                tf_close(g.nudged_max, t->nudged_max),
            "TF %s: zero point %d nudged [%.9g, %.9g], want %d [%.9g, %.9g]", t->name,
            (int)g.zero_point, (double)g.nudged_min, (double)g.nudged_max, (int)t->zero_point,
            (double)t->nudged_min, (double)t->nudged_max);
    float out[6];
    q8_fake_quant_forward(&g, t->in, out, 6);
    for (int i = 0; i < 6; i++) {
      T_CHECK(tf_close(out[i], t->out[i]), "TF %s: input %.9g -> %.9g, want %.9g", t->name,
              (double)t->in[i], (double)out[i], (double)t->out[i]);
      check_value_on_grid(&g, t->in[i], t->name);
    }
    check_zero_exact(&g, t->name);
    /* In place gives the same. */
    float again[6];
    memcpy(again, t->in, sizeof again);
    q8_fake_quant_forward(&g, again, again, 6);
    T_CHECK(memcmp(again, out, sizeof out) == 0, "TF %s: in-place forward differs", t->name);
  }
}

/* TF's gradient cases: the straight-through mask is {0, 1, 1, 1, 1, 0} for inputs just below
   the nudged min, at it, inside, at 0, at the nudged max and just above it. */
static void test_tensorflow_gradients(void) {
  static const struct {
    int bits;
    bool narrow;
    float min, max;
    float in[6];
  } cases[] = {
      {8, false, -0.125f, 63.625f, {-0.26f, -0.25f, -0.24f, 0.0f, 63.5f, 63.6f}},
      {8, true, -0.125f, 63.375f, {-0.26f, -0.25f, -0.24f, 0.0f, 63.25f, 63.3f}},
      {4, false, -0.4f, 7.1f, {-0.6f, -0.5f, -0.4f, 0.0f, 7.0f, 7.1f}},
      {4, true, -0.4f, 6.6f, {-0.6f, -0.5f, -0.4f, 0.0f, 6.5f, 6.6f}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const q8_quant_grid g = grid_or_fail(cases[c].min, cases[c].max, cases[c].bits,
                                         cases[c].narrow);
    float grad_out[6], grad_in[6];
    for (int i = 0; i < 6; i++) grad_out[i] = (float)(t_rng_unit(&rng) * 2.0 - 1.0);
    q8_fake_quant_backward(&g, cases[c].in, grad_out, grad_in, 6);
    for (int i = 0; i < 6; i++) {
      const float want = (i == 0 || i == 5) ? 0.0f : grad_out[i];
      T_CHECK(grad_in[i] == want, "TF gradient case %zu: input %.9g grad %.9g, want %.9g", c,
              (double)cases[c].in[i], (double)grad_in[i], (double)want);
    }
  }
}

/* ---- STE edges, exactly at the nudged ends ---- */

static void test_ste_edges(void) {
  const q8_quant_grid g = grid_or_fail(-1.0f, 2.0f, 8, false);
  const float lo = g.nudged_min, hi = g.nudged_max;
  const float in[] = {lo, hi, nextafterf(lo, -INFINITY), nextafterf(hi, INFINITY),
                      nextafterf(lo, 0.0f), nextafterf(hi, 0.0f), 0.0f, -INFINITY, INFINITY,
                      NAN};
  const float want_mask[] = {1, 1, 0, 0, 1, 1, 1, 0, 0, 0};
  const size_t n = sizeof in / sizeof in[0];
  float grad_out[10], grad_in[10];
  for (size_t i = 0; i < n; i++) grad_out[i] = 0.5f + (float)i;
  q8_fake_quant_backward(&g, in, grad_out, grad_in, n);
  for (size_t i = 0; i < n; i++) {
    const float want = want_mask[i] != 0 ? grad_out[i] : 0.0f;
    T_CHECK(grad_in[i] == want, "STE at %.9g (nudged [%.9g, %.9g]): %g, want %g",
            (double)in[i], (double)lo, (double)hi, (double)grad_in[i], (double)want);
  }
  /* grad_in may alias grad_out. */
  q8_fake_quant_backward(&g, in, grad_out, grad_out, n);
  T_CHECK(memcmp(grad_out, grad_in, sizeof grad_in) == 0, "STE in place differs");
  /* Forward at the same points: ends stay, infinities clamp, NaN stays NaN. */
  T_CHECK(q8_fake_quant(&g, lo) == lo && q8_fake_quant(&g, hi) == hi &&
              q8_fake_quant(&g, -INFINITY) == lo && q8_fake_quant(&g, INFINITY) == hi &&
              isnan(q8_fake_quant(&g, NAN)) && q8_quant_grid_code(&g, NAN) == g.zero_point &&
              q8_quant_grid_code(&g, INFINITY) == 255 && q8_quant_grid_code(&g, -INFINITY) == 0,
          "forward at the edges: %.9g %.9g %.9g %.9g", (double)q8_fake_quant(&g, lo),
          (double)q8_fake_quant(&g, hi), (double)q8_fake_quant(&g, -INFINITY),
          (double)q8_fake_quant(&g, INFINITY));
}

/* ---- Every bit width, narrow or not, random ranges ---- */

static float random_bound(void) {
  /* Magnitudes from 1e-4 to 1e3, sometimes exactly 0. */
  if (t_rng_range(&rng, 0, 9) == 0) return 0.0f;
  return (float)exp(log(1e-4) + t_rng_unit(&rng) * (log(1e3) - log(1e-4)));
}

static void test_random_grids(int n) {
  int failures = 0;
  for (int it = 0; it < n && failures < 20; it++) {
    const int bits = (int)t_rng_range(&rng, Q8_QUANT_MIN_BITS, Q8_QUANT_MAX_BITS);
    const bool narrow = t_rng_range(&rng, 0, 1) == 1;
    float min = -random_bound(), max = random_bound();
    if (t_rng_range(&rng, 0, 9) == 0) min = -min; /* a range above 0: widened to include 0 */
    if (min > max) {
      const float t = min;
      min = max;
      max = t;
    }
    const q8_quant_grid g = grid_or_fail(min, max, bits, narrow);
    const int before = t_checks_failed;
    const int32_t qmin = narrow ? 1 : 0, qmax = (1 << bits) - 1;
    T_CHECK(g.quant_min == qmin && g.quant_max == qmax && g.bits == bits &&
                g.narrow_range == narrow && g.scale >= Q8_QUANT_MIN_SCALE &&
                isfinite(g.scale),
            "random grid [%.9g, %.9g] bits %d narrow %d: codes [%d, %d] scale %.9g",
            (double)min, (double)max, bits, (int)narrow, (int)g.quant_min, (int)g.quant_max,
            (double)g.scale);
    check_zero_exact(&g, "random grid");
    /* Nudging moves each (widened) end by at most half a step, unless the scale was raised
       to the minimum (then the range only grows). */
    const float wmin = min > 0.0f ? 0.0f : min, wmax = max < 0.0f ? 0.0f : max;
    const float slack = 0.5f * g.scale * (1.0f + 1e-4f);
    if (g.scale > Q8_QUANT_MIN_SCALE) {
      T_CHECK(fabsf(g.nudged_min - wmin) <= slack && fabsf(g.nudged_max - wmax) <= slack,
              "random grid [%.9g, %.9g] bits %d: nudged [%.9g, %.9g] moved more than half a "
              "step %.9g", (double)wmin, (double)wmax, bits, (double)g.nudged_min,
              (double)g.nudged_max, (double)g.scale);
    }
    /* Values across and beyond the range: codes in bounds, outputs on the grid, within half a
       step of the clamped input, and fake quantization is idempotent. */
    for (int k = 0; k < 64; k++) {
      const float span = g.nudged_max - g.nudged_min;
      const float x = g.nudged_min + (float)(t_rng_unit(&rng) * 1.4 - 0.2) * span;
      check_value_on_grid(&g, x, "random value");
      const float y = q8_fake_quant(&g, x);
      const float clamped = x < g.nudged_min ? g.nudged_min : (x > g.nudged_max ? g.nudged_max : x);
      T_CHECK(fabsf(y - clamped) <= slack + 4.0f * FLT_EPSILON * fabsf(clamped) &&
                  q8_fake_quant(&g, y) == y && q8_quant_grid_code(&g, y) ==
                  q8_quant_grid_code(&g, x),
              "random value %.9g on [%.9g, %.9g] step %.9g: y %.9g, again %.9g", (double)x,
              (double)g.nudged_min, (double)g.nudged_max, (double)g.scale, (double)y,
              (double)q8_fake_quant(&g, y));
    }
    if (t_checks_failed != before) failures++;
  }
}

/* A dense sweep reaches every code once, in order, for every width and both range kinds. */
static void test_sweep_all_codes(void) {
  for (int bits = Q8_QUANT_MIN_BITS; bits <= Q8_QUANT_MAX_BITS; bits++) {
    for (int narrow = 0; narrow <= 1; narrow++) {
      const q8_quant_grid g = grid_or_fail(-0.7f, 1.9f, bits, narrow != 0);
      int32_t previous = g.quant_min - 1;
      int monotone = 1, reached = 0;
      const int samples = 40 * (1 << bits);
      for (int k = 0; k <= samples; k++) {
        const float x = g.nudged_min - 2.0f * g.scale +
                        (float)k / (float)samples * (g.nudged_max - g.nudged_min + 4.0f * g.scale);
        const int32_t code = q8_quant_grid_code(&g, x);
        if (code < previous) monotone = 0;
        if (code == previous + 1) reached++;
        if (code > previous + 1) monotone = 0; /* skipped a code */
        if (code > previous) previous = code;
      }
      T_CHECK(monotone && reached == g.quant_max - g.quant_min + 1 && previous == g.quant_max,
              "sweep bits %d narrow %d: monotone %d, reached %d of %d codes, last %d", bits,
              narrow, monotone, reached, (int)(g.quant_max - g.quant_min + 1), (int)previous);
    }
  }
}

/* ---- Symmetric per-channel weights ---- */

static void test_symmetric_hand_worked(void) {
  q8_quant_grid g;
  /* 8 bits, max |w| = 31.75 = 127 * 0.25: scale 0.25, codes -127..127, zero point 0.
     w = 0.125: shifted 0.125 + 31.75 = 31.875 -> 127.5 steps -> 128 -> code 1 (0.25);
     w = -0.125: 31.625 -> 126.5 -> 127 -> code 0 (0.0): ties go up, as in the asymmetric case;
     w = 40 clamps to 127, w = -40 to -127. */
  T_CHECK(q8_quant_grid_symmetric(31.75f, 8, &g, NULL) == Q8_OK && g.scale == 0.25f &&
              g.zero_point == 0 && g.quant_min == -127 && g.quant_max == 127 &&
              g.nudged_min == -31.75f && g.nudged_max == 31.75f && g.symmetric &&
              g.narrow_range,
          "symmetric 31.75/8: scale %g codes [%d, %d]", (double)g.scale, (int)g.quant_min,
          (int)g.quant_max);
  const float ws[] = {0.125f, -0.125f, 40.0f, -40.0f, 31.75f, -0.25f, 0.0f};
  const int32_t codes[] = {1, 0, 127, -127, 127, -1, 0};
  for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
    const int32_t code = q8_quant_grid_code(&g, ws[i]);
    T_CHECK(code == codes[i], "symmetric 31.75/8: code(%g) = %d, want %d", (double)ws[i],
            (int)code, (int)codes[i]);
    check_value_on_grid(&g, ws[i], "symmetric 8-bit");
  }
  check_zero_exact(&g, "symmetric 8-bit");
  /* 4 bits: codes -7..7; max 3.5 -> scale 0.5. 2 bits: codes -1..1, scale = max |w|. */
  T_CHECK(q8_quant_grid_symmetric(3.5f, 4, &g, NULL) == Q8_OK && g.scale == 0.5f &&
              g.quant_min == -7 && g.quant_max == 7 && q8_quant_grid_code(&g, -3.3f) == -7 &&
              q8_quant_grid_code(&g, 1.2f) == 2,
          "symmetric 3.5/4: scale %g codes [%d, %d]", (double)g.scale, (int)g.quant_min,
          (int)g.quant_max);
  T_CHECK(q8_quant_grid_symmetric(0.75f, 2, &g, NULL) == Q8_OK && g.scale == 0.75f &&
              g.quant_min == -1 && g.quant_max == 1 && q8_quant_grid_code(&g, 0.5f) == 1 &&
              q8_quant_grid_code(&g, -0.3f) == 0 && q8_quant_grid_code(&g, -0.5f) == -1,
          "symmetric 0.75/2: scale %g codes [%d, %d]", (double)g.scale, (int)g.quant_min,
          (int)g.quant_max);
  q8_quant_params p;
  int32_t offset = 99;
  T_CHECK(q8_quant_grid_symmetric(31.75f, 8, &g, NULL) == Q8_OK &&
              q8_quant_grid_storage(&g, Q8_TYPE_INT8, &p, &offset, NULL) == Q8_OK &&
              p.zero_point == 0 && offset == 0 && p.scale == 0.25f,
          "symmetric as int8: zp %d offset %d", (int)p.zero_point, (int)offset);
  T_CHECK(q8_quant_grid_storage(&g, Q8_TYPE_UINT8, &p, &offset, NULL) == Q8_OK &&
              p.zero_point == 128 && offset == 128,
          "symmetric as uint8: zp %d offset %d", (int)p.zero_point, (int)offset);
  /* 4-bit symmetric in int8: codes -7..7 with zero point 0, TFLite's spec at any width. */
  T_CHECK(q8_quant_grid_symmetric(3.5f, 4, &g, NULL) == Q8_OK &&
              q8_quant_grid_storage(&g, Q8_TYPE_INT8, &p, &offset, NULL) == Q8_OK &&
              p.zero_point == 0 && offset == 0,
          "4-bit symmetric as int8: zp %d offset %d", (int)p.zero_point, (int)offset);
}

/* The symmetric grid is TF's narrow-range nudge of [-m, m] with codes shifted by 2^(bits-1):
   same scale, same nudged ends, same fake-quantized values. */
static void test_symmetric_equals_narrow_nudge(int n) {
  int failures = 0;
  for (int it = 0; it < n && failures < 10; it++) {
    const int bits = (int)t_rng_range(&rng, Q8_QUANT_MIN_BITS, Q8_QUANT_MAX_BITS);
    const float m = (float)exp(log(1e-2) + t_rng_unit(&rng) * (log(1e2) - log(1e-2)));
    q8_quant_grid s;
    T_CHECK(q8_quant_grid_symmetric(m, bits, &s, NULL) == Q8_OK, "symmetric %g", (double)m);
    const q8_quant_grid a = grid_or_fail(-m, m, bits, true);
    const int32_t half = 1 << (bits - 1);
    int ok = s.scale == a.scale && s.nudged_min == a.nudged_min &&
             s.nudged_max == a.nudged_max && a.zero_point == half;
    for (int k = 0; k < 32 && ok; k++) {
      const float x = (float)((t_rng_unit(&rng) * 2.4 - 1.2) * m);
      ok = q8_fake_quant(&s, x) == q8_fake_quant(&a, x) &&
           q8_quant_grid_code(&s, x) + half == q8_quant_grid_code(&a, x);
    }
    if (!ok) failures++;
    T_CHECK(ok, "symmetric %.9g bits %d: scale %.9g vs %.9g, ends [%.9g, %.9g] vs [%.9g, %.9g], "
                "zp %d vs %d", (double)m, bits, (double)s.scale, (double)a.scale,
            (double)s.nudged_min, (double)s.nudged_max, (double)a.nudged_min,
            (double)a.nudged_max, (int)s.zero_point, (int)a.zero_point);
  }
}

static void test_per_channel(void) {
  /* Three output channels of four weights, channel-major (OHWI):
     channel 0: max |w| = 0.635 -> scale 0.005 (0.635 / 127);
     channel 1: all zero -> Q8_QUANT_MIN_SCALE, every code 0, fake quantization exactly 0;
     channel 2: nearly zero (|w| <= 3e-7, far below half of 2^-16) -> minimum scale, codes 0. */
  const float w[3][4] = {{0.635f, -0.2f, 0.1f, 0.0f},
                         {0.0f, 0.0f, -0.0f, 0.0f},
                         {3e-7f, -2e-7f, 1e-9f, 0.0f}};
  q8_quant_grid grids[3];
  q8_error err = {{0}};
  q8_status s = q8_quant_grids_symmetric_per_channel(&w[0][0], 3, 4, 4, 1, 8, grids, &err);
  T_CHECK(s == Q8_OK, "per channel: %s", err.message);
  T_CHECK(grids[0].scale == 0.635f / 127.0f && q8_quant_grid_code(&grids[0], 0.635f) == 127 &&
              q8_quant_grid_code(&grids[0], -0.2f) == -40 &&
              q8_quant_grid_code(&grids[0], 0.1f) == 20,
          "channel 0: scale %.9g codes %d %d %d", (double)grids[0].scale,
          (int)q8_quant_grid_code(&grids[0], 0.635f), (int)q8_quant_grid_code(&grids[0], -0.2f),
          (int)q8_quant_grid_code(&grids[0], 0.1f));
  for (int c = 1; c < 3; c++) {
    int all_zero = 1;
    for (int i = 0; i < 4; i++) {
      all_zero &= q8_quant_grid_code(&grids[c], w[c][i]) == 0 &&
                  q8_fake_quant(&grids[c], w[c][i]) == 0.0f;
    }
    T_CHECK(grids[c].scale == Q8_QUANT_MIN_SCALE && grids[c].zero_point == 0 && all_zero &&
                grids[c].nudged_max == 127.0f * Q8_QUANT_MIN_SCALE,
            "channel %d (zero or nearly): scale %.9g, all codes 0: %d", c,
            (double)grids[c].scale, all_zero);
  }
  /* The same weights channel-last (1HWO, as depthwise filters): element i of channel c at
     [i][c]; the grids must be identical. */
  float t[4][3];
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 4; i++) t[i][c] = w[c][i];
  q8_quant_grid grids_t[3];
  s = q8_quant_grids_symmetric_per_channel(&t[0][0], 3, 4, 1, 3, 8, grids_t, &err);
  T_CHECK(s == Q8_OK && memcmp(grids, grids_t, sizeof grids) == 0,
          "channel-last layout gives other grids (%s)", err.message);
  /* A NaN weight is refused, naming where. */
  float bad[3][4];
  memcpy(bad, w, sizeof bad);
  bad[1][2] = NAN;
  s = q8_quant_grids_symmetric_per_channel(&bad[0][0], 3, 4, 4, 1, 8, grids, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT && strstr(err.message, "channel 1, weight 2") != NULL,
          "NaN weight: status %d, message '%s'", (int)s, err.message);
  bad[1][2] = INFINITY;
  s = q8_quant_grids_symmetric_per_channel(&bad[0][0], 3, 4, 4, 1, 8, grids, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT, "infinite weight: status %d", (int)s);
  s = q8_quant_grids_symmetric_per_channel(&w[0][0], 3, 0, 4, 1, 8, grids, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT, "0 weights per channel: status %d", (int)s);
  s = q8_quant_grids_symmetric_per_channel(&w[0][0], 3, 4, 4, 1, 9, grids, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT && strstr(err.message, "bit width 9") != NULL,
          "9 bits: status %d '%s'", (int)s, err.message);
  T_CHECK(q8_quant_grid_symmetric(-1.0f, 8, &grids[0], &err) == Q8_ERROR_INVALID_ARGUMENT &&
              q8_quant_grid_symmetric(NAN, 8, &grids[0], &err) == Q8_ERROR_INVALID_ARGUMENT &&
              q8_quant_grid_symmetric(INFINITY, 8, &grids[0], &err) ==
                  Q8_ERROR_INVALID_ARGUMENT,
          "symmetric refusals");
}

/* ---- Degenerate and refused ranges ---- */

static void test_degenerate_ranges(void) {
  for (int narrow = 0; narrow <= 1; narrow++) {
    /* [0, 0]: the minimum scale, zero point at the lowest code, range
       [0, (qmax - qmin) * 2^-16]; negative inputs and those up to half a step (2^-17) give 0
       (TensorFlow's special case for min == max == 0 gives 0 for everything); 2^-16 itself is
       one step. */
    const q8_quant_grid g = grid_or_fail(0.0f, 0.0f, 8, narrow != 0);
    const float top = (float)(255 - narrow) * Q8_QUANT_MIN_SCALE;
    T_CHECK(g.scale == Q8_QUANT_MIN_SCALE && g.zero_point == narrow && g.nudged_min == 0.0f &&
                g.nudged_max == top,
            "[0, 0] narrow %d: scale %.9g zp %d [%.9g, %.9g]", narrow, (double)g.scale,
            (int)g.zero_point, (double)g.nudged_min, (double)g.nudged_max);
    const float xs[] = {0.0f, -5.0f, 1e-9f, -1e-9f};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
      T_CHECK(q8_fake_quant(&g, xs[i]) == 0.0f, "[0, 0]: %g -> %g", (double)xs[i],
              (double)q8_fake_quant(&g, xs[i]));
    }
    T_CHECK(q8_fake_quant(&g, Q8_QUANT_MIN_SCALE) == Q8_QUANT_MIN_SCALE &&
                q8_quant_grid_code(&g, Q8_QUANT_MIN_SCALE) == g.quant_min + 1 &&
                q8_fake_quant(&g, 1.0f) == top,
            "[0, 0]: one step %.9g, 1.0 -> %.9g", (double)q8_fake_quant(&g, Q8_QUANT_MIN_SCALE),
            (double)q8_fake_quant(&g, 1.0f));
    check_zero_exact(&g, "[0, 0]");
  }
  /* Nearly zero [-1e-9, 1e-9]: scale raised to the minimum, 0 still exact. */
  const q8_quant_grid tiny = grid_or_fail(-1e-9f, 1e-9f, 8, false);
  T_CHECK(tiny.scale == Q8_QUANT_MIN_SCALE, "tiny range scale %.9g", (double)tiny.scale);
  check_zero_exact(&tiny, "tiny range");
  /* Denormal bounds behave like tiny ones. */
  const q8_quant_grid denormal = grid_or_fail(-1e-42f, 1e-42f, 3, true);
  T_CHECK(denormal.scale == Q8_QUANT_MIN_SCALE, "denormal range scale %.9g",
          (double)denormal.scale);
  check_zero_exact(&denormal, "denormal range");
  /* Ranges that exclude 0 are widened: [0.5, 2] is [0, 2]; [-3, -1] is [-3, 0]. */
  const q8_quant_grid up = grid_or_fail(0.5f, 2.0f, 8, false);
  const q8_quant_grid up0 = grid_or_fail(0.0f, 2.0f, 8, false);
  const q8_quant_grid down = grid_or_fail(-3.0f, -1.0f, 8, true);
  const q8_quant_grid down0 = grid_or_fail(-3.0f, 0.0f, 8, true);
  T_CHECK(memcmp(&up, &up0, sizeof up) == 0 && up.zero_point == 0,
          "[0.5, 2] not widened to [0, 2]: zp %d scale %.9g", (int)up.zero_point,
          (double)up.scale);
  T_CHECK(memcmp(&down, &down0, sizeof down) == 0 && down.zero_point == 255,
          "[-3, -1] not widened to [-3, 0]: zp %d", (int)down.zero_point);
  /* A huge but finite range works; one whose width overflows float is refused. */
  const q8_quant_grid huge = grid_or_fail(-1e38f, 1e38f, 8, false);
  T_CHECK(isfinite(huge.nudged_min) && isfinite(huge.nudged_max), "huge range ends");
  check_zero_exact(&huge, "huge range");
  q8_quant_grid g;
  q8_error err = {{0}};
  q8_status s = q8_quant_grid_from_range(-FLT_MAX, FLT_MAX, 8, false, &g, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT && strstr(err.message, "overflows") != NULL &&
              g.scale == 0.0f,
          "[-FLT_MAX, FLT_MAX]: status %d '%s'", (int)s, err.message);

  /* Refusals: NaN and infinite bounds, min > max, bad bit widths. */
  const struct {
    float min, max;
    int bits;
    const char *fragment;
  } refused[] = {
      {NAN, 1.0f, 8, "finite"},       {-1.0f, NAN, 8, "finite"},
      {-INFINITY, 1.0f, 8, "finite"}, {-1.0f, INFINITY, 8, "finite"},
      {1.0f, -1.0f, 8, "min is above max"}, {0.5f, 0.25f, 8, "min is above max"},
      {-1.0f, 1.0f, 1, "bit width 1"}, {-1.0f, 1.0f, 9, "bit width 9"},
      {-1.0f, 1.0f, 0, "bit width 0"}, {-1.0f, 1.0f, 16, "bit width 16"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    memset(&err, 0, sizeof err);
    s = q8_quant_grid_from_range(refused[i].min, refused[i].max, refused[i].bits, false, &g,
                                 &err);
    T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT && strstr(err.message, refused[i].fragment) != NULL &&
                g.scale == 0.0f,
            "refuse [%g, %g] bits %d: status %d message '%s' (want '%s')",
            (double)refused[i].min, (double)refused[i].max, refused[i].bits, (int)s,
            err.message, refused[i].fragment);
  }
  /* A NULL error is allowed. */
  T_CHECK(q8_quant_grid_from_range(NAN, 0.0f, 8, false, &g, NULL) == Q8_ERROR_INVALID_ARGUMENT,
          "NULL error");
}

/* ---- Range trackers ---- */

static void test_tracker_ema(void) {
  q8_range_tracker t;
  q8_range_tracker_init(&t);
  q8_quant_grid g;
  q8_error err = {{0}};
  q8_status s = q8_range_tracker_grid(&t, 8, false, &g, &err);
  T_CHECK(s == Q8_ERROR_STATE && strstr(err.message, "no batch") != NULL,
          "grid before any batch: status %d '%s'", (int)s, err.message);
  /* First batch [-1, 3] sets the range. */
  T_CHECK(q8_range_tracker_update_ema(&t, -1.0f, 3.0f, 0.9f, &err) == Q8_OK && t.initialized &&
              t.min == -1.0f && t.max == 3.0f,
          "first batch: [%g, %g]", (double)t.min, (double)t.max);
  /* Second batch [-2, 1], decay 0.9: min = -1 - 0.1 * (-1 - (-2)) = -1.1,
     max = 3 - 0.1 * (3 - 1) = 2.8 (float: 1 - 0.9f = 0.100000024). */
  T_CHECK(q8_range_tracker_update_ema(&t, -2.0f, 1.0f, 0.9f, &err) == Q8_OK &&
              fabsf(t.min - (-1.1f)) < 1e-6f && fabsf(t.max - 2.8f) < 1e-6f,
          "second batch: [%.9g, %.9g], want about [-1.1, 2.8]", (double)t.min, (double)t.max);
  const float keep = 1.0f - 0.9f;
  const float want_min = -1.0f - (-1.0f - -2.0f) * keep;
  const float want_max = 3.0f - (3.0f - 1.0f) * keep;
  T_CHECK(t.min == want_min && t.max == want_max, "EMA not TF's formula: [%.9g, %.9g] vs "
          "[%.9g, %.9g]", (double)t.min, (double)t.max, (double)want_min, (double)want_max);
  /* A batch [0.5, 2] counts as [0, 2]: min moves towards 0. */
  const float before_min = t.min;
  T_CHECK(q8_range_tracker_update_ema(&t, 0.5f, 2.0f, 0.5f, &err) == Q8_OK &&
              t.min == before_min * 0.5f,
          "widened batch: min %.9g, want %.9g", (double)t.min, (double)(before_min * 0.5f));
  /* decay 0 follows the last batch; decay 1 freezes. */
  T_CHECK(q8_range_tracker_update_ema(&t, -4.0f, 5.0f, 0.0f, &err) == Q8_OK && t.min == -4.0f &&
              t.max == 5.0f,
          "decay 0: [%g, %g]", (double)t.min, (double)t.max);
  T_CHECK(q8_range_tracker_update_ema(&t, -100.0f, 100.0f, 1.0f, &err) == Q8_OK &&
              t.min == -4.0f && t.max == 5.0f,
          "decay 1: [%g, %g]", (double)t.min, (double)t.max);
  /* Refusals leave the tracker as it was. */
  const q8_range_tracker saved = t;
  const struct {
    float lo, hi, decay;
    const char *fragment;
  } refused[] = {{NAN, 1.0f, 0.9f, "finite"},        {-1.0f, INFINITY, 0.9f, "finite"},
                 {2.0f, 1.0f, 0.9f, "min is above"}, {-1.0f, 1.0f, 1.5f, "decay"},
                 {-1.0f, 1.0f, -0.1f, "decay"},      {-1.0f, 1.0f, NAN, "decay"}};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    s = q8_range_tracker_update_ema(&t, refused[i].lo, refused[i].hi, refused[i].decay, &err);
    T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT && strstr(err.message, refused[i].fragment) != NULL &&
                memcmp(&t, &saved, sizeof t) == 0,
            "EMA refusal %zu: status %d '%s'", i, (int)s, err.message);
  }
  /* Convergence: 10,000 batches of [-2, 4] at decay 0.999 from [-4, 5]: the remaining
     distance is 0.999^10000 = e^-10 of the start (about 1e-4), plus float rounding. */
  for (int i = 0; i < 10000; i++) q8_range_tracker_update_ema(&t, -2.0f, 4.0f, 0.999f, NULL);
  T_CHECK(fabsf(t.min + 2.0f) < 2e-3f && fabsf(t.max - 4.0f) < 2e-3f,
          "EMA convergence: [%.9g, %.9g]", (double)t.min, (double)t.max);
  /* The tracker's grid is the grid of its range. */
  const q8_quant_grid direct = grid_or_fail(t.min, t.max, 6, true);
  T_CHECK(q8_range_tracker_grid(&t, 6, true, &g, &err) == Q8_OK &&
              memcmp(&g, &direct, sizeof g) == 0,
          "tracker grid differs from its range's grid (%s)", err.message);
}

static void test_tracker_calibration(void) {
  q8_range_tracker t;
  q8_range_tracker_init(&t);
  q8_error err = {{0}};
  /* Batches [1, 2] (widened to [0, 2]), [-3, 1], [0.5, 5]: the union is [-3, 5]. */
  T_CHECK(q8_range_tracker_update_minmax(&t, 1.0f, 2.0f, &err) == Q8_OK && t.min == 0.0f &&
              t.max == 2.0f,
          "calibration first batch: [%g, %g]", (double)t.min, (double)t.max);
  T_CHECK(q8_range_tracker_update_minmax(&t, -3.0f, 1.0f, &err) == Q8_OK &&
              q8_range_tracker_update_minmax(&t, 0.5f, 5.0f, &err) == Q8_OK && t.min == -3.0f &&
              t.max == 5.0f,
          "calibration union: [%g, %g]", (double)t.min, (double)t.max);
  const q8_range_tracker saved = t;
  T_CHECK(q8_range_tracker_update_minmax(&t, NAN, 1.0f, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              q8_range_tracker_update_minmax(&t, 3.0f, 1.0f, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              memcmp(&t, &saved, sizeof t) == 0,
          "calibration refusals");
  /* Calibration then EMA: the EMA continues from the calibrated range (issue 4, item 6). */
  T_CHECK(q8_range_tracker_update_ema(&t, -1.0f, 1.0f, 0.5f, &err) == Q8_OK &&
              t.min == -2.0f && t.max == 3.0f,
          "EMA after calibration: [%g, %g], want [-2, 3]", (double)t.min, (double)t.max);

  /* Batch ranges from data. */
  const float x[] = {3.0f, -1.0f, 2.0f, 0.5f};
  float lo = 0, hi = 0;
  T_CHECK(q8_quant_minmax(x, 4, &lo, &hi, &err) == Q8_OK && lo == -1.0f && hi == 3.0f,
          "minmax: [%g, %g]", (double)lo, (double)hi);
  const float y[] = {1.0f, 2.0f, NAN};
  q8_status s = q8_quant_minmax(y, 3, &lo, &hi, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT && strstr(err.message, "value 2") != NULL,
          "minmax NaN: status %d '%s'", (int)s, err.message);
  s = q8_quant_minmax(x, 0, &lo, &hi, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT, "minmax of nothing: status %d", (int)s);
}

/* q8_quant_minmax against one plain pass, bit for bit, over lengths 1-70 (the SIMD blocks and
   their tails), values with signed zeros and repeats, and a NaN or infinity at every position
   (the error names its index). */
static void test_minmax_against_plain_pass(void) {
  const float pool[] = {0.0f, -0.0f, 1.5f, -2.25f, 7.0f, -7.0f, 1e-30f, -1e-30f, 3.0f};
  float x[70];
  q8_error err;
  for (int n = 1; n <= 70; n++) {
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < n; i++) x[i] = pool[t_rng_next(&rng) % (sizeof pool / sizeof *pool)];
      if (round == 0)
        for (int i = 0; i < n; i++) x[i] = (i % 2) ? 0.0f : -0.0f; /* zeros only */
      float lo = x[0], hi = x[0];
      for (int i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
      }
      if (lo == 0.0f) lo = 0.0f; /* the documented +0 for a zero result */
      if (hi == 0.0f) hi = 0.0f;
      float got_lo = 1, got_hi = 1;
      T_CHECK(q8_quant_minmax(x, (size_t)n, &got_lo, &got_hi, &err) == Q8_OK &&
                  memcmp(&got_lo, &lo, sizeof lo) == 0 && memcmp(&got_hi, &hi, sizeof hi) == 0,
              "minmax n %d round %d: [%g, %g], want [%g, %g] (bits)", n, round, (double)got_lo,
              (double)got_hi, (double)lo, (double)hi);
    }
    for (int bad = 0; bad < n; bad++) {
      for (int i = 0; i < n; i++) x[i] = (float)i;
      x[bad] = bad % 2 ? NAN : -INFINITY;
      float lo, hi;
      char want[32];
      snprintf(want, sizeof want, "value %d is", bad);
      T_CHECK(q8_quant_minmax(x, (size_t)n, &lo, &hi, &err) == Q8_ERROR_INVALID_ARGUMENT &&
                  strstr(err.message, want) != NULL,
              "minmax n %d, bad value at %d: '%s'", n, bad, err.message);
    }
  }
}

/* ---- The bias rule for (nearly) zero channels ---- */

static void test_bias_safe_scale(void) {
  float adjusted = 0.0f;
  q8_error err = {{0}};
  /* All-zero channel at the minimum scale, input scale 1/255: the bias code is
     bias * 255 * 2^16, within 2^30 while |bias| <= 2^14 / 255 = 64.25. */
  const float in_scale = 1.0f / 255.0f;
  T_CHECK(q8_quant_bias_safe_weight_scale(Q8_QUANT_MIN_SCALE, 64.0f, in_scale, &adjusted,
                                          &err) == Q8_OK &&
              adjusted == Q8_QUANT_MIN_SCALE,
          "bias 64: adjusted %.9g", (double)adjusted);
  T_CHECK(q8_quant_bias_safe_weight_scale(Q8_QUANT_MIN_SCALE, -64.0f, in_scale, &adjusted,
                                          &err) == Q8_OK &&
              adjusted == Q8_QUANT_MIN_SCALE,
          "bias -64: adjusted %.9g", (double)adjusted);
  /* Bias 100 needs 100 * 255 / 2^30 = 2.3749e-5: the smallest float scale that keeps
     |bias| <= input_scale * scale * 2^30. */
  const float biases[] = {100.0f, -1000.0f, 3.5e6f};
  for (size_t i = 0; i < sizeof biases / sizeof biases[0]; i++) {
    const q8_status s = q8_quant_bias_safe_weight_scale(Q8_QUANT_MIN_SCALE, biases[i],
                                                        in_scale, &adjusted, &err);
    const double limit = 1073741824.0;
    const double mag = fabs((double)biases[i]);
    const float below = nextafterf(adjusted, 0.0f);
    T_CHECK(s == Q8_OK && adjusted > Q8_QUANT_MIN_SCALE &&
                mag <= (double)in_scale * (double)adjusted * limit &&
                mag > (double)in_scale * (double)below * limit,
            "bias %g: adjusted %.9g is not the smallest safe scale", (double)biases[i],
            (double)adjusted);
  }
  /* An ordinary channel keeps its scale. */
  T_CHECK(q8_quant_bias_safe_weight_scale(0.01f, 3.0f, 0.02f, &adjusted, &err) == Q8_OK &&
              adjusted == 0.01f,
          "ordinary channel: %.9g", (double)adjusted);
  T_CHECK(q8_quant_bias_safe_weight_scale(0.01f, 1.0f, 0.0f, &adjusted, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT &&
              q8_quant_bias_safe_weight_scale(0.01f, NAN, 0.1f, &adjusted, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT &&
              q8_quant_bias_safe_weight_scale(0.0f, 1.0f, 0.1f, &adjusted, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT &&
              q8_quant_bias_safe_weight_scale(1e-30f, 3e38f, 1e-38f, &adjusted, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT,
          "bias refusals (last: '%s')", err.message);
}

int main(void) {
  rng.state = t_seed(20240611);
  test_hand_worked_8bit();
  test_hand_worked_ties();
  test_hand_worked_narrow_and_input();
  test_tensorflow_cases();
  test_tensorflow_gradients();
  test_ste_edges();
  test_random_grids(20000);
  test_sweep_all_codes();
  test_symmetric_hand_worked();
  test_symmetric_equals_narrow_nudge(5000);
  test_per_channel();
  test_degenerate_ranges();
  test_tracker_ema();
  test_tracker_calibration();
  test_bias_safe_scale();
  test_minmax_against_plain_pass();
  return t_finish();
}
