/* SOFTMAX (int8 and uint8): prepare + run against a plain restatement of TFLite's integer
   rule (reference/softmax.h with TFLM softmax_common.cc's parameters), a float sanity bound,
   edge cases (equal inputs, differences at diff_min, extreme values) and prepare's refusals. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "numerics-model.h"
#include "ops-harness.h"
#include "quant/fixedpoint.h"

q8_status q8_prepare_softmax(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);

static t_rng rng;

typedef struct model_params {
  int32_t multiplier;
  int left_shift;
  int32_t diff_min;
} model_params;

/* PreprocessSoftmaxScaling(beta, scale, 5) and -CalculateInputRadius(5, shift) written out. */
static model_params model_prepare(float beta, float scale) {
  model_params m;
  double real = (double)beta * (double)scale * 67108864.0; /* 2^26 */
  if (real > 2147483647.0) real = 2147483647.0;
  const double q = frexp(real, &m.left_shift);
  int64_t fixed = llround(q * 2147483648.0);
  if (fixed == (INT64_C(1) << 31)) {
    fixed /= 2;
    m.left_shift++;
  }
  m.multiplier = (int32_t)fixed;
  m.diff_min = -m_input_radius(5, m.left_shift);
  return m;
}

/* One row by the rule: exps in Q0, sum in Q12 (64-bit, then wrapped to 32 bits as TFLite's
   int32 sum), reciprocal of the normalised sum, rounding shift by bits_over_unit + 23. */
static void model_row(const model_params *m, bool is_signed, int depth, const int32_t *x,
                      int32_t *out) {
  const int32_t type_min = is_signed ? -128 : 0, type_max = is_signed ? 127 : 255;
  int32_t max = type_min;
  for (int c = 0; c < depth; c++) max = x[c] > max ? x[c] : max;
  int32_t exps[2048];
  int64_t sum = 0;
  for (int c = 0; c < depth; c++) {
    const int32_t diff = x[c] - max;
    exps[c] = -1;
    if (diff < m->diff_min) continue;
    const int32_t scaled = (int32_t)(uint32_t)((uint64_t)(int64_t)diff << m->left_shift);
    exps[c] = q8_exp_on_negative_values(m_srdhm(scaled, m->multiplier), 5);
    sum += m_round_shift(exps[c], 12);
  }
  const uint32_t sum32 = (uint32_t)sum;
  const int headroom = __builtin_clz(sum32);
  const int32_t reciprocal = q8_one_over_one_plus_x_for_x_in_0_1(
      (int32_t)((uint32_t)((uint64_t)sum32 << headroom) - UINT32_C(0x80000000)));
  const int exponent = (12 - headroom) + 23;
  for (int c = 0; c < depth; c++) {
    if (exps[c] < 0) {
      out[c] = type_min;
      continue;
    }
    int64_t v = exponent > 31 ? 0 : m_round_shift(m_srdhm(reciprocal, exps[c]), exponent);
    v += type_min;
    out[c] = (int32_t)(v < type_min ? type_min : v > type_max ? type_max : v);
  }
}

typedef struct softmax_case {
  bool is_signed;
  int32_t rank;
  int32_t dims[4];
  float beta, in_scale;
  int32_t in_zp;
} softmax_case;

static int32_t case_depth(const softmax_case *k) { return k->dims[k->rank - 1]; }
static int32_t case_elements(const softmax_case *k) {
  int32_t n = 1;
  for (int32_t d = 0; d < k->rank; d++) n *= k->dims[d];
  return n;
}

/* Prepares and runs the operator on in (raw bytes); returns the status. */
static q8_status run_op(const softmax_case *k, const uint8_t *in, uint8_t *out, float out_scale,
                        int32_t out_zp, q8_type out_type, char *message, size_t message_size) {
  const q8_type type = k->is_signed ? Q8_TYPE_INT8 : Q8_TYPE_UINT8;
  h_tensor hs[2];
  h_set(&hs[0], "logits", type, k->rank, k->dims, k->in_scale, k->in_zp);
  h_set(&hs[1], "probabilities", out_type, k->rank, k->dims, out_scale, out_zp);
  q8_tensor tensors[2];
  h_tensors(hs, 2, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_SOFTMAX, 1);
  hn.node.opt.softmax.beta = k->beta;
  q8_prepare_ctx ctx;
  const void *inputs[1] = {in};
  const q8_status s = h_prepare_run(q8_prepare_softmax, &ctx, &hn, tensors, inputs, out);
  if (message != NULL) snprintf(message, message_size, "%s", ctx.message);
  h_ctx_free(&ctx);
  return s;
}

/* Runs one case on the given input bytes and compares every element with the model and
   (loosely) with float softmax. Returns the number of mismatches. */
static int check_case(const softmax_case *k, const uint8_t *in, const char *what) {
  const int32_t n = case_elements(k), depth = case_depth(k);
  uint8_t *out = calloc((size_t)n + 1, 1);
  char message[512];
  const q8_status s = run_op(k, in, out, 1.0f / 256.0f, k->is_signed ? -128 : 0,
                             k->is_signed ? Q8_TYPE_INT8 : Q8_TYPE_UINT8, message, sizeof message);
  T_CHECK(s == Q8_OK, "%s: prepare failed: %s", what, message);
  if (s != Q8_OK) {
    free(out);
    return 1;
  }
  const model_params m = model_prepare(k->beta, k->in_scale);
  int mismatches = 0;
  int32_t *x = malloc(sizeof(int32_t) * (size_t)depth), *want = malloc(sizeof(int32_t) * (size_t)depth);
  double *p = malloc(sizeof(double) * (size_t)depth);
  for (int32_t r = 0; r < n / (depth > 0 ? depth : 1); r++) {
    for (int32_t c = 0; c < depth; c++) x[c] = h_load(in, (size_t)(r * depth + c), k->is_signed);
    model_row(&m, k->is_signed, depth, x, want);
    /* Float softmax of the dequantized row: the integer result is within 1 step of it. */
    double sum = 0.0;
    int32_t max = x[0];
    for (int32_t c = 1; c < depth; c++) max = x[c] > max ? x[c] : max;
    for (int32_t c = 0; c < depth; c++) sum += p[c] = exp((double)k->beta * k->in_scale * (x[c] - max));
    for (int32_t c = 0; c < depth; c++) {
      const int32_t got = h_load(out, (size_t)(r * depth + c), k->is_signed);
      if (got != want[c] && mismatches++ < 5)
        T_CHECK(0, "%s: row %d col %d (depth %d, beta %.9g, scale %.9g, x %d max %d): got %d, "
                "rule gives %d", what, (int)r, (int)c, (int)depth, (double)k->beta,
                (double)k->in_scale, (int)x[c], (int)max, (int)got, (int)want[c]);
      const double real = 256.0 * p[c] / sum + (k->is_signed ? -128.0 : 0.0);
      const double hi = k->is_signed ? 127.0 : 255.0;
      const double expect = real > hi ? hi : real;
      if (fabs(got - expect) > 1.0 && mismatches++ < 5)
        T_CHECK(0, "%s: row %d col %d: got %d, float softmax gives %.3f", what, (int)r, (int)c,
                (int)got, expect);
    }
  }
  T_CHECK(mismatches == 0, "%s: %d mismatches", what, mismatches);
  free(x);
  free(want);
  free(p);
  free(out);
  return mismatches;
}

static void test_random(int cases) {
  for (int i = 0; i < cases; i++) {
    softmax_case k = {0};
    k.is_signed = (t_rng_next(&rng) & 1) != 0;
    k.rank = (int32_t)t_rng_range(&rng, 1, 4);
    for (int32_t d = 0; d < k.rank; d++) k.dims[d] = (int32_t)t_rng_range(&rng, 1, 4);
    static const int32_t depths[] = {1, 2, 3, 10, 17, 64, 255, 256, 1000};
    k.dims[k.rank - 1] = (t_rng_next(&rng) & 1) ? (int32_t)t_rng_range(&rng, 1, 40)
                                                 : depths[t_rng_next(&rng) % 9];
    k.beta = (float)ldexp(0.5 + t_rng_unit(&rng), (int)t_rng_range(&rng, -2, 1));
    k.in_scale = (float)ldexp(0.5 + t_rng_unit(&rng), (int)t_rng_range(&rng, -9, 0));
    k.in_zp = (int32_t)(k.is_signed ? t_rng_range(&rng, -128, 127) : t_rng_range(&rng, 0, 255));
    const int32_t n = case_elements(&k);
    uint8_t *in = malloc((size_t)n);
    /* Either uniform bytes or values clustered near a random centre (many near-maxima). */
    const int clustered = (int)(t_rng_next(&rng) % 3 == 0);
    const int32_t centre = (int32_t)t_rng_range(&rng, 0, 255);
    for (int32_t j = 0; j < n; j++) {
      int32_t v = clustered ? centre + (int32_t)t_rng_range(&rng, -6, 6) : (int32_t)t_rng_range(&rng, 0, 255);
      v = v < 0 ? 0 : v > 255 ? 255 : v;
      in[j] = (uint8_t)v;
    }
    char what[64];
    snprintf(what, sizeof what, "random case %d (%s)", i, k.is_signed ? "int8" : "uint8");
    check_case(&k, in, what);
    free(in);
  }
}

static void test_equal_inputs(void) {
  /* 512 equal inputs: a sum of exps of 512, where TFLite's exponent check aborts and q8
     gives the rounded quotient 0 (type_min everywhere, within one step of 1/512). */
  static const int32_t depths[] = {1, 2, 3, 4, 10, 100, 255, 256, 257, 511, 512, 600};
  for (int si = 0; si < 2; si++) {
    for (int di = 0; di < 12; di++) {
      softmax_case k = {.is_signed = si == 1, .rank = 2, .dims = {3, depths[di]},
                        .beta = 1.0f, .in_scale = 0.1f, .in_zp = 0};
      const int32_t n = case_elements(&k);
      uint8_t *in = malloc((size_t)n), *out = malloc((size_t)n);
      for (int32_t r = 0; r < 3; r++)
        memset(in + r * depths[di], r == 0 ? 0x80 : r == 1 ? 0x7f : 0x00, (size_t)depths[di]);
      char what[64];
      snprintf(what, sizeof what, "all equal, depth %d (%s)", (int)depths[di], si ? "int8" : "uint8");
      check_case(&k, in, what);
      /* Known values: depth 1 saturates to the top code, depth 2 gives 1/2 exactly, depth
         512 gives type_min. */
      if ((depths[di] <= 2 || depths[di] == 512) && run_op(&k, in, out, 1.0f / 256.0f, si ? -128 : 0,
                                    si ? Q8_TYPE_INT8 : Q8_TYPE_UINT8, NULL, 0) == Q8_OK) {
        const int32_t want = depths[di] == 1   ? (si ? 127 : 255)
                             : depths[di] == 2 ? (si ? 0 : 128)
                                               : (si ? -128 : 0);
        T_CHECK(h_load(out, 0, si) == want, "%s: got %d, want %d", what, (int)h_load(out, 0, si),
                (int)want);
      }
      free(in);
      free(out);
    }
  }
}

/* A scale of 1 with beta 1 gives left shift 27 and diff_min -15: differences -15 and -16
   sit on either side of the cut-off. Extreme values -128/127 (diff -255) too. */
static void test_diff_min(void) {
  const model_params m = model_prepare(1.0f, 1.0f);
  T_CHECK(m.left_shift == 27 && m.diff_min == -15, "scale 1: shift %d diff_min %d",
          m.left_shift, (int)m.diff_min);
  for (int si = 0; si < 2; si++) {
    softmax_case k = {.is_signed = si == 1, .rank = 1, .dims = {6}, .beta = 1.0f,
                      .in_scale = 1.0f, .in_zp = si ? 127 : 255};
    const int32_t top = si ? 100 : 200;
    const int32_t vals[6] = {top, top - 15, top - 16, top - 1, top, si ? -128 : 0};
    uint8_t in[6];
    for (int j = 0; j < 6; j++) in[j] = (uint8_t)vals[j];
    check_case(&k, in, si ? "diff_min edges (int8)" : "diff_min edges (uint8)");
    /* Small scale: diff_min below -255, every element counts. */
    softmax_case k2 = k;
    k2.in_scale = 1.0f / 64.0f;
    const int32_t ext[6] = {si ? 127 : 255, si ? -128 : 0, si ? 127 : 255, 0, 1, 2};
    for (int j = 0; j < 6; j++) in[j] = (uint8_t)ext[j];
    check_case(&k2, in, si ? "extreme values (int8)" : "extreme values (uint8)");
    /* Large beta * scale: the capped multiplier 2^31 - 1 (shift 31), diff_min 0. */
    softmax_case k3 = k;
    k3.in_scale = 100.0f;
    const model_params m3 = model_prepare(1.0f, 100.0f);
    T_CHECK(m3.left_shift == 31 && m3.diff_min == 0, "capped: shift %d diff_min %d",
            m3.left_shift, (int)m3.diff_min);
    for (int j = 0; j < 6; j++) in[j] = (uint8_t)vals[j];
    check_case(&k3, in, si ? "capped multiplier (int8)" : "capped multiplier (uint8)");
  }
}

static void expect_refused(const char *what, softmax_case k, float out_scale, int32_t out_zp,
                           q8_type out_type, const char *needle) {
  uint8_t in[16] = {0}, out[16];
  char message[512] = "";
  const q8_status s = run_op(&k, in, out, out_scale, out_zp, out_type, message, sizeof message);
  T_CHECK(s != Q8_OK && strstr(message, needle) != NULL, "%s: status %s, message '%s' (want '%s')",
          what, q8_status_name(s), message, needle);
}

static void test_refusals(void) {
  const softmax_case k8 = {.is_signed = true, .rank = 2, .dims = {2, 8}, .beta = 1.0f,
                           .in_scale = 0.1f, .in_zp = 0};
  const softmax_case ku8 = {.is_signed = false, .rank = 2, .dims = {2, 8}, .beta = 1.0f,
                            .in_scale = 0.1f, .in_zp = 0};
  expect_refused("int8 output zp 0", k8, 1.0f / 256.0f, 0, Q8_TYPE_INT8, "probabilities");
  expect_refused("int8 output scale 1/128", k8, 1.0f / 128.0f, -128, Q8_TYPE_INT8, "1/256");
  expect_refused("uint8 output zp -128", ku8, 1.0f / 256.0f, -128, Q8_TYPE_UINT8, "probabilities");
  expect_refused("uint8 output zp 128", ku8, 1.0f / 256.0f, 128, Q8_TYPE_UINT8, "zero point 0");
  expect_refused("type mismatch", k8, 1.0f / 256.0f, 0, Q8_TYPE_UINT8, "probabilities");
  softmax_case tiny = k8;
  tiny.in_scale = 1e-9f;
  expect_refused("beta * scale * 2^26 below 1", tiny, 1.0f / 256.0f, -128, Q8_TYPE_INT8, "beta");
}

int main(void) {
  rng.state = t_seed(0x50f7);
  test_equal_inputs();
  test_diff_min();
  test_refusals();
  test_random(3000);
  return t_finish();
}
