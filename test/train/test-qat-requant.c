/* The integer requantization in QAT's fake quantization (src/train/qat-requant.h), worked out
   by hand: a fully connected layer 1 -> 1 on a 1x1 image, int8, weight 0.7 (one symmetric grid,
   code 127), swept over 256 pixels and many biases, its output range set so that the multiplier
   is about 0.3 and TFLite's double rounding often differs from a single rounding. Each output
   of the fake-quant node must be, as a code, exactly
     z_out + RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(127 p + round(b / (s_in s_w)),
                                                                  M0), r)
   computed here with 64-bit integers from the definitions (gemmlowp), independently of
   src/quant's versions; with float_rounding the node must instead round the float output to
   the nearest step, and the two must differ somewhere (else the sweep proves nothing). A
   narrower range (multiplier about 1.38) checks the left-shift form,
     z_out + SaturatingRoundingDoublingHighMul((127 p + round(b / (s_in s_w))) 2^shift, M0). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "quant/range.h"
#include "train/build.h"
#include "train/graph.h"
#include "train/qat.h"
#include "util/test-util.h"

enum { PIXELS = 256, BIASES = 400 };
static const float weight = 0.7f;

/* gemmlowp's SaturatingRoundingDoublingHighMul, in 64 bits. */
static int64_t high_mul(int64_t a, int64_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = a * b;
  const int64_t nudge = ab >= 0 ? (1 << 30) : 1 - (1 << 30);
  const int64_t sum = ab + nudge;
  /* Division truncating towards zero, as gemmlowp's int64 division by 2^31. */
  return sum / ((int64_t)1 << 31);
}

/* gemmlowp's RoundingDivideByPOT: half away from zero. */
static int64_t divide_by_pot(int64_t x, int exponent) {
  const int64_t mask = ((int64_t)1 << exponent) - 1;
  const int64_t remainder = x & mask;
  const int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

typedef struct setup {
  q8t_graph *g;
  int32_t fq;    /* the fake-quant node on the layer's output */
  int32_t input; /* the image tensor */
  q8_quant_grid out;
  int32_t out_zero_point, to_container;
} setup;

static int32_t find_output_fq(const q8t_graph *g) {
  for (int32_t n = 0; n < g->n_nodes; n++)
    if (g->nodes[n].op == Q8T_OP_FAKE_QUANT && g->nodes[n].attrs.qat.fq_kind == Q8T_FQ_ACTIVATION)
      return n;
  return -1;
}

static bool make(setup *s, bool float_rounding, q8t_isa isa, float half_width) {
  memset(s, 0, sizeof *s);
  q8_error err;
  const q8t_graph_options o = {.batch = PIXELS, .threads = 1, .isa = isa};
  if (q8t_graph_init(&o, &s->g, &err) != Q8_OK) return false;
  q8t_graph *g = s->g;
  s->input = q8t_input(g, "image", 1, 1, 1);
  const int32_t logits = q8t_fully_connected(g, "fc", s->input, 1, true, Q8_ACT_NONE);
  q8t_softmax_cross_entropy(g, "loss", logits);
  T_CHECK(q8t_graph_allocate(g) == Q8_OK, "allocate: %s", g->error.message);
  if (g->status != Q8_OK) return false;
  q8t_qat_options qo = q8t_qat_defaults();
  qo.float_rounding = float_rounding;
  T_CHECK(q8t_qat_prepare(g, &qo, &err) == Q8_OK, "prepare: %s", err.message);
  s->fq = find_output_fq(g);
  T_CHECK(s->fq >= 0, "no fake quantization on the layer's output");
  if (s->fq < 0) return false;
  g->tensors[q8t_graph_find_tensor(g, "fc/weights")].data[0] = weight;
  for (int32_t p = 0; p < PIXELS; p++) g->tensors[s->input].data[p] = (float)p / 255.0f;
  /* Output range [-half_width, half_width]: 0.0092 gives a scale of about 7.2e-5 and a
     multiplier of about 0.3 (right shift 1); 0.002 one of about 1.4 (left shift 1). */
  float *range = g->tensors[g->nodes[s->fq].state[Q8T_FQ_RANGE]].data;
  range[0] = -half_width;
  range[1] = half_width;
  range[2] = 1.0f;
  const q8_range_tracker tracker = {range[0], range[1], true};
  q8_quant_params params;
  int32_t offset;
  T_CHECK(q8_range_tracker_grid(&tracker, 8, false, &s->out, &err) == Q8_OK &&
              q8_quant_grid_storage(&s->out, Q8_TYPE_INT8, &params, &offset, &err) == Q8_OK,
          "output grid: %s", err.message);
  s->out_zero_point = params.zero_point;
  s->to_container = s->out.quant_min + offset;
  return true;
}

/* The container code of a value of the output grid. */
static int32_t code_of(const setup *s, float y) {
  return (int32_t)lround(((double)y - s->out.nudged_min) / s->out.scale) + s->to_container;
}

/* The exported FULLY_CONNECTED's output code for pixel p and bias b, from the definitions. */
static int32_t integer_code(const setup *s, int32_t p, float bias, int32_t *single) {
  const float s_in = 1.0f / 255.0f, s_w = weight / 127.0f;
  const float product = s_in * s_w; /* float, as TFLite forms the bias scale and multiplier */
  const int64_t acc = 127 * (int64_t)p + (int64_t)round((double)bias / (double)product);
  const double real = (double)product / (double)s->out.scale;
  int exponent;
  const double q = frexp(real, &exponent); /* real = q 2^exponent, q in [0.5, 1) */
  const int64_t m0 = (int64_t)round(q * 2147483648.0);
  /* TFLite's MultiplyByQuantizedMultiplier: a left shift before the high multiply (one
     rounding), or a rounding right shift after it (two). */
  const int64_t code = (exponent > 0 ? high_mul(acc * ((int64_t)1 << exponent), m0)
                                     : divide_by_pot(high_mul(acc, m0), -exponent)) +
                       s->out_zero_point;
  *single = (int32_t)llround(real * (double)acc) + s->out_zero_point;
  *single = *single < -128 ? -128 : *single > 127 ? 127 : *single;
  return code < -128 ? -128 : code > 127 ? 127 : (int32_t)code;
}

/* Sweeps the biases; returns how many outputs the node gave otherwise than the integer code
   (float_rounding) or than a single rounding of the same accumulator (the emulation). */
static int32_t sweep(setup *s, bool float_rounding, int32_t *interior) {
  q8t_graph *g = s->g;
  float *bias = g->tensors[q8t_graph_find_tensor(g, "fc/bias")].data;
  const int32_t out = g->nodes[s->fq].output, in = g->nodes[s->fq].inputs[0];
  int32_t differing = 0;
  *interior = 0;
  for (int32_t k = 0; k < BIASES; k++) {
    /* Centres the outputs of the pixels near p0 in the range, at a fractional offset. */
    const int32_t p0 = (k * 7) % PIXELS;
    bias[0] = -weight * (float)p0 / 255.0f + 1e-6f * (float)(k % 37);
    T_CHECK(q8t_graph_forward(g, false) == Q8_OK, "forward: %s", g->error.message);
    for (int32_t p = 0; p < PIXELS; p++) {
      int32_t single;
      const int32_t want = integer_code(s, p, bias[0], &single);
      const float y = g->tensors[out].data[p];
      const int32_t got = code_of(s, y);
      if (float_rounding) {
        T_CHECK(y == q8_fake_quant(&s->out, g->tensors[in].data[p]),
                "float rounding, p %d, bias %g: %g is not the nearest step of %g", (int)p,
                (double)bias[0], (double)y, (double)g->tensors[in].data[p]);
      } else {
        T_CHECK(got == want, "p %d, bias %.9g: code %d, expected %d (single rounding %d)",
                (int)p, (double)bias[0], (int)got, (int)want, (int)single);
      }
      differing += float_rounding ? got != want : want != single;
      *interior += want > -128 && want < 127;
    }
  }
  return differing;
}

/* Both compilations of the layers (scalar and, where the CPU runs it, AVX2: the screening of
   values near a half step is written with intrinsics there). */
static void run_isa(q8t_isa isa) {
  setup exact, rounded, left;
  int32_t interior;
  if (make(&exact, false, isa, 0.0092f)) {
    const int32_t differing = sweep(&exact, false, &interior);
    printf("%s: %d of %d outputs round differently twice than once\n", q8t_isa_name(isa),
           (int)differing, PIXELS * BIASES);
    T_CHECK(differing > 0, "the sweep never separates double from single rounding");
  }
  if (make(&rounded, true, isa, 0.0092f)) {
    const int32_t differing = sweep(&rounded, true, &interior);
    printf("%s, float rounding: %d of %d outputs differ from the integer model's\n",
           q8t_isa_name(isa), (int)differing, PIXELS * BIASES);
    T_CHECK(differing > 0, "float rounding never differs from the integer code: no contrast");
  }
  /* A multiplier above 1 (about 1.38: the runtime shifts left first and rounds once): every
     output is recomputed (the band passes half a step), and some must land inside the range.
     A band of 10^-3 there fails 338 checks. */
  if (make(&left, false, isa, 0.002f)) {
    sweep(&left, false, &interior);
    printf("%s, multiplier above 1: %d outputs inside the range\n", q8t_isa_name(isa),
           (int)interior);
    T_CHECK(interior > 100, "only %d outputs inside the range: the left shift is not tested",
            (int)interior);
  }
  q8t_graph_free(exact.g);
  q8t_graph_free(rounded.g);
  q8t_graph_free(left.g);
}

static bool isa_runs(q8t_isa isa) {
  q8t_graph *g = NULL;
  q8_error err;
  const q8t_graph_options o = {.batch = 1, .threads = 1, .isa = isa};
  const bool ok = q8t_graph_init(&o, &g, &err) == Q8_OK;
  if (!ok) printf("%s: not run (%s)\n", q8t_isa_name(isa), err.message);
  q8t_graph_free(g);
  return ok;
}

int main(void) {
  run_isa(Q8T_ISA_SCALAR);
  if (isa_runs(Q8T_ISA_AVX2)) run_isa(Q8T_ISA_AVX2);
  return t_finish();
}
