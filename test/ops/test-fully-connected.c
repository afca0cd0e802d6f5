/* FULLY_CONNECTED reference (int8 and uint8) against an independent int64 dot product. */
#include <stdlib.h>
#include <string.h>

#include "conv-oracle.h"
#include "ref/fully-connected.h"

typedef struct fc_case {
  bool is_signed;
  q8_fully_connected_params p;
  int32_t *input, *weights, *bias; /* bias NULL when absent */
  int32_t *multiplier, *shift;
} fc_case;

static void print_case(int index, const fc_case *c) {
  const q8_fully_connected_params *p = &c->p;
  printf("case %d: %s batch %d depth %d units %d zp in %d w %d out %d clamp [%d,%d] bias %s\n",
         index, c->is_signed ? "int8" : "uint8", (int)p->batch, (int)p->depth, (int)p->units,
         (int)p->input_zero_point, (int)p->weight_zero_point, (int)p->output_zero_point,
         (int)p->act_min, (int)p->act_max, c->bias ? "yes" : "no");
}

/* Oracle accumulator: bias + sum_k (w - w_zp)(x - x_zp), in int64. */
static int64_t oracle_acc(const fc_case *c, int b, int u) {
  const q8_fully_connected_params *p = &c->p;
  int64_t acc = c->bias != NULL ? c->bias[u] : 0;
  for (int k = 0; k < p->depth; k++)
    acc += ((int64_t)c->weights[u * p->depth + k] - p->weight_zero_point) *
           ((int64_t)c->input[b * p->depth + k] - p->input_zero_point);
  return acc;
}

static void run_case(t_rng *rng, int index, fc_case *c) {
  q8_fully_connected_params *p = &c->p;
  const int32_t qmin = c->is_signed ? -128 : 0, qmax = c->is_signed ? 127 : 255;
  const size_t n_in = (size_t)p->batch * p->depth, n_w = (size_t)p->units * p->depth;
  const size_t n_out = (size_t)p->batch * p->units;
  int64_t *acc = malloc(sizeof(int64_t) * n_out);
  int64_t *peak = calloc((size_t)p->units, sizeof(int64_t));
  bool fits = true;
  for (int b = 0; b < p->batch; b++)
    for (int u = 0; u < p->units; u++) {
      const int64_t a = acc[b * p->units + u] = oracle_acc(c, b, u);
      if ((a < 0 ? -a : a) > peak[u]) peak[u] = a < 0 ? -a : a;
      fits = fits && a >= INT32_MIN && a <= INT32_MAX;
    }
  T_CHECK(fits, "case %d: oracle accumulator outside int32 (test generator bug)", index);
  c->multiplier = malloc(sizeof(int32_t) * p->units);
  c->shift = malloc(sizeof(int32_t) * p->units);
  oracle_channel_multipliers(rng, p->units, peak, c->multiplier, c->shift);
  if (t_rng_range(rng, 0, 1)) /* per-tensor: one multiplier replicated */
    for (int u = 1; u < p->units; u++) {
      c->multiplier[u] = c->multiplier[0];
      c->shift[u] = c->shift[0];
    }
  p->multiplier = c->multiplier;
  p->shift = c->shift;
  p->output_zero_point = oracle_zero_point(rng, qmin, qmax);
  oracle_act_range(oracle_activation(rng), (float)oracle_decades(rng, -2.5, -0.5),
                   p->output_zero_point, qmin, qmax, &p->act_min, &p->act_max);

  uint8_t *in8 = malloc(n_in), *w8 = malloc(n_w), *out8 = malloc(n_out);
  int32_t *folded = malloc(sizeof(int32_t) * p->units);
  for (size_t i = 0; i < n_in; i++) in8[i] = (uint8_t)c->input[i];
  for (size_t i = 0; i < n_w; i++) w8[i] = (uint8_t)c->weights[i];
  memset(out8, 0x3C, n_out);
  if (c->is_signed) {
    q8_ref_fully_connected_fold_bias_qs8(p, (const int8_t *)w8, c->bias, folded);
    q8_ref_fully_connected_qs8(p, (const int8_t *)in8, (const int8_t *)w8, folded,
                               (int8_t *)out8);
  } else {
    q8_ref_fully_connected_fold_bias_qu8(p, w8, c->bias, folded);
    q8_ref_fully_connected_qu8(p, in8, w8, folded, out8);
  }
  size_t bad = 0;
  for (size_t i = 0; i < n_out; i++) {
    const int u = (int)(i % (size_t)p->units);
    const int32_t want = oracle_output(acc[i], c->multiplier[u], c->shift[u],
                                       p->output_zero_point, p->act_min, p->act_max);
    const int32_t got = c->is_signed ? (int32_t)(int8_t)out8[i] : (int32_t)out8[i];
    if (got != want && bad++ < 3) {
      if (bad == 1) print_case(index, c);
      printf("  output %zu (unit %d): got %d, want %d (acc %lld, multiplier %d shift %d)\n", i,
             u, (int)got, (int)want, (long long)acc[i], (int)c->multiplier[u],
             (int)c->shift[u]);
    }
  }
  T_CHECK(bad == 0, "case %d: %zu of %zu outputs differ", index, bad, n_out);
  free(in8);
  free(w8);
  free(out8);
  free(folded);
  free(acc);
  free(peak);
  free(c->multiplier);
  free(c->shift);
}

static void random_case(t_rng *rng, int index) {
  fc_case c = {0};
  q8_fully_connected_params *p = &c.p;
  c.is_signed = t_rng_range(rng, 0, 1) == 1;
  const int32_t qmin = c.is_signed ? -128 : 0, qmax = c.is_signed ? 127 : 255;
  p->batch = (int32_t)t_rng_range(rng, 1, 4);
  p->depth = (int32_t)(t_rng_range(rng, 0, 3) == 0 ? t_rng_range(rng, 1, 8)
                                                   : t_rng_range(rng, 1, 400));
  p->units = (int32_t)t_rng_range(rng, 1, 40);
  p->input_zero_point = oracle_zero_point(rng, qmin, qmax);
  p->weight_zero_point = c.is_signed ? 0 : oracle_zero_point(rng, 0, 255);
  c.input = malloc(sizeof(int32_t) * p->batch * p->depth);
  c.weights = malloc(sizeof(int32_t) * p->units * p->depth);
  const int extremes = t_rng_range(rng, 0, 9) == 0 ? (int)t_rng_range(rng, 1, 2) : 0;
  oracle_fill(rng, c.input, (size_t)p->batch * p->depth, qmin, qmax, extremes);
  oracle_fill(rng, c.weights, (size_t)p->units * p->depth, qmin, qmax,
              extremes ? (int)t_rng_range(rng, 1, 2) : 0);
  if (t_rng_range(rng, 0, 4) != 0) {
    c.bias = malloc(sizeof(int32_t) * p->units);
    const int64_t range = t_rng_range(rng, 0, 1) ? 3000 : (INT64_C(1) << 24);
    for (int i = 0; i < p->units; i++) c.bias[i] = (int32_t)t_rng_range(rng, -range, range);
  }
  run_case(rng, index, &c);
  free(c.input);
  free(c.weights);
  free(c.bias);
}

/* depth 40000: sum w*x of 255s is 2.6e9, past int32, while (w - w_zp)(x - x_zp) stays small:
   the eq. 7 terms must wrap exactly (and not trip UBSan). */
static void long_accumulation_cases(t_rng *rng, int *index) {
  for (int variant = 0; variant < 2; variant++) {
    fc_case c = {0};
    q8_fully_connected_params *p = &c.p;
    *p = (q8_fully_connected_params){.batch = 2, .depth = 40000, .units = 3};
    c.is_signed = variant == 1;
    c.input = malloc(sizeof(int32_t) * 2 * 40000);
    c.weights = malloc(sizeof(int32_t) * 3 * 40000);
    if (variant == 0) {
      p->input_zero_point = 255;
      p->weight_zero_point = 255;
      oracle_fill(rng, c.input, 2 * 40000, 254, 255, 0);
      oracle_fill(rng, c.weights, 3 * 40000, 254, 255, 0);
    } else {
      p->input_zero_point = -128;
      oracle_fill(rng, c.input, 2 * 40000, -128, -120, 0);
      oracle_fill(rng, c.weights, 3 * 40000, -128, 127, 0);
    }
    run_case(rng, (*index)++, &c);
    free(c.input);
    free(c.weights);
  }
}

int main(void) {
  t_rng rng = {t_seed(0xFC01)};
  int index = 0, failed = 0;
  for (; index < 1000 && failed < 5; index++) {
    const int before = t_checks_failed;
    random_case(&rng, index);
    failed += t_checks_failed != before;
  }
  long_accumulation_cases(&rng, &index);
  printf("%d fully-connected cases\n", index);
  return t_finish();
}
