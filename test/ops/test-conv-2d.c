/* CONV_2D reference (int8 and uint8) against an independent direct convolution over a
   zero-point-padded copy of the input; plus q8_conv_out_size against the SAME/VALID
   formula of reference-models.md. */
#include <stdlib.h>
#include <string.h>

#include "conv-oracle.h"
#include "ops/op.h"
#include "ref/conv-2d.h"

/* ---- q8_conv_out_size --------------------------------------------------------------- */

/* reference-models.md: SAME out = ceil(in / S), total padding max((out-1)*S + K - in, 0),
   floor(total/2) before; VALID out = ceil((in - K + 1) / S), K the dilated kernel. */
static void formula_out_size(q8_padding pad, int in, int k, int s, int d, int *out,
                             int *before, int *after) {
  const int eff = (k - 1) * d + 1;
  if (pad == Q8_PADDING_SAME) {
    *out = (in + s - 1) / s;
  } else {
    *out = in - eff + 1 <= 0 ? 0 : (in - eff + 1 + s - 1) / s;
  }
  int total = (*out - 1) * s + eff - in;
  if (total < 0) total = 0;
  *before = total / 2;
  *after = total - *before;
}

static void test_out_size_fixed(void) {
  int32_t pad = -1;
  /* 3x3 stride 2 SAME on 28: 14 outputs, 0 rows before and 1 after. */
  T_CHECK(q8_conv_out_size(Q8_PADDING_SAME, 28, 3, 2, 1, &pad) == 14 && pad == 0,
          "SAME 28 k3 s2: pad %d", (int)pad);
  /* Odd input, stride 2 SAME: 27 -> 14, total 1+... (13*2 + 3 - 27 = 2): 1 before. */
  T_CHECK(q8_conv_out_size(Q8_PADDING_SAME, 27, 3, 2, 1, &pad) == 14 && pad == 1,
          "SAME 27 k3 s2: pad %d", (int)pad);
  /* Stride 1 SAME keeps the size; 3x3 pads 1 each side. */
  T_CHECK(q8_conv_out_size(Q8_PADDING_SAME, 28, 3, 1, 1, &pad) == 28 && pad == 1, "SAME s1");
  /* Even kernel SAME: 4x4 on 8, stride 1, total 3: 1 before, 2 after. */
  T_CHECK(q8_conv_out_size(Q8_PADDING_SAME, 8, 4, 1, 1, &pad) == 8 && pad == 1, "SAME k4");
  /* VALID: 28 k3 s2 -> 13, no padding; 28 k5 s1 -> 24. */
  T_CHECK(q8_conv_out_size(Q8_PADDING_VALID, 28, 3, 2, 1, &pad) == 13 && pad == 0, "VALID s2");
  T_CHECK(q8_conv_out_size(Q8_PADDING_VALID, 28, 5, 1, 1, &pad) == 24 && pad == 0, "VALID k5");
  /* Dilation 2 makes 3x3 act as 5x5: SAME pad 2, VALID 9 -> 5. */
  T_CHECK(q8_conv_out_size(Q8_PADDING_SAME, 9, 3, 1, 2, &pad) == 9 && pad == 2, "SAME dil2");
  T_CHECK(q8_conv_out_size(Q8_PADDING_VALID, 9, 3, 1, 2, &pad) == 5, "VALID dil2");
  /* The golden vectors' cases: 10 k3 s2 SAME -> 5 pad 0; 11 -> 6 pad 1. */
  T_CHECK(q8_conv_out_size(Q8_PADDING_SAME, 10, 3, 2, 1, &pad) == 5 && pad == 0, "10 s2");
  T_CHECK(q8_conv_out_size(Q8_PADDING_SAME, 11, 3, 2, 1, &pad) == 6 && pad == 1, "11 s2");
  /* A kernel larger than the input does not fit VALID. */
  T_CHECK(q8_conv_out_size(Q8_PADDING_VALID, 4, 5, 1, 1, &pad) <= 0, "VALID too small");
  T_CHECK(q8_conv_out_size(Q8_PADDING_VALID, 4, 3, 1, 2, &pad) <= 0, "VALID dilated too small");
}

static void test_out_size_sweep(void) {
  int failures = 0;
  for (int pad_kind = 0; pad_kind < 2; pad_kind++)
    for (int in = 1; in <= 40; in++)
      for (int k = 1; k <= 7; k++)
        for (int s = 1; s <= 4; s++)
          for (int d = 1; d <= 3; d++) {
            const q8_padding pad = pad_kind ? Q8_PADDING_VALID : Q8_PADDING_SAME;
            int out, before, after;
            formula_out_size(pad, in, k, s, d, &out, &before, &after);
            int32_t got_pad = -1;
            const int32_t got = q8_conv_out_size(pad, in, k, s, d, &got_pad);
            const bool ok = out == 0 ? got <= 0 : (got == out && got_pad == before);
            /* The padding after is what the window still needs: never more than one
               row/column beyond the padding before. */
            const bool split_ok = out == 0 || (after == before || after == before + 1);
            if ((!ok || !split_ok) && failures++ < 10)
              T_CHECK(0, "%s in %d k %d s %d d %d: got out %d pad %d, want out %d pad %d",
                      pad_kind ? "VALID" : "SAME", in, k, s, d, (int)got, (int)got_pad, out,
                      before);
          }
  T_CHECK(failures == 0, "%d out-size mismatches", failures);
}

/* ---- the reference operator against the oracle -------------------------------------- */

typedef struct conv_case {
  bool is_signed;
  q8_conv_2d_params p;
  int32_t *input, *filter, *bias; /* bias NULL when absent */
  int32_t *multiplier, *shift;
  int64_t *acc;                   /* oracle accumulators, [batch, out_h, out_w, out_c] */
} conv_case;

/* Oracle: copy the input into a buffer padded with the input zero point, then for each
   output pixel and channel take sum (w - w_zp)(x - x_zp) in int64 over the window. */
static void oracle_accumulate(conv_case *c) {
  const q8_conv_2d_params *p = &c->p;
  const int eff_h = (p->kernel_h - 1) * p->dilation_h + 1;
  const int eff_w = (p->kernel_w - 1) * p->dilation_w + 1;
  const int ph = (p->out_h - 1) * p->stride_h + eff_h; /* padded extent that the windows span */
  const int pw = (p->out_w - 1) * p->stride_w + eff_w;
  const int padded_h = ph > p->pad_top + p->in_h ? ph : p->pad_top + p->in_h;
  const int padded_w = pw > p->pad_left + p->in_w ? pw : p->pad_left + p->in_w;
  int32_t *padded = malloc(sizeof(int32_t) * p->batch * padded_h * padded_w * p->in_c);
  for (int b = 0; b < p->batch; b++)
    for (int y = 0; y < padded_h; y++)
      for (int x = 0; x < padded_w; x++)
        for (int ch = 0; ch < p->in_c; ch++) {
          const int sy = y - p->pad_top, sx = x - p->pad_left;
          const bool inside = sy >= 0 && sy < p->in_h && sx >= 0 && sx < p->in_w;
          padded[((b * padded_h + y) * padded_w + x) * p->in_c + ch] =
              inside ? c->input[((b * p->in_h + sy) * p->in_w + sx) * p->in_c + ch]
                     : p->input_zero_point;
        }
  for (int b = 0; b < p->batch; b++)
    for (int oy = 0; oy < p->out_h; oy++)
      for (int ox = 0; ox < p->out_w; ox++)
        for (int oc = 0; oc < p->out_c; oc++) {
          int64_t acc = c->bias != NULL ? c->bias[oc] : 0;
          for (int ky = 0; ky < p->kernel_h; ky++)
            for (int kx = 0; kx < p->kernel_w; kx++)
              for (int ic = 0; ic < p->in_c; ic++) {
                const int y = oy * p->stride_h + ky * p->dilation_h;
                const int x = ox * p->stride_w + kx * p->dilation_w;
                const int64_t xv = padded[((b * padded_h + y) * padded_w + x) * p->in_c + ic];
                const int64_t wv =
                    c->filter[((oc * p->kernel_h + ky) * p->kernel_w + kx) * p->in_c + ic];
                acc += (wv - p->weight_zero_point) * (xv - p->input_zero_point);
              }
          c->acc[((b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] = acc;
        }
  free(padded);
}

static void print_case(int index, const conv_case *c) {
  const q8_conv_2d_params *p = &c->p;
  printf("case %d: %s batch %d in %dx%dx%d kernel %dx%d out %dx%dx%d stride %dx%d dilation "
         "%dx%d pad top %d left %d zp in %d w %d out %d clamp [%d,%d] bias %s\n",
         index, c->is_signed ? "int8" : "uint8", (int)p->batch, (int)p->in_h, (int)p->in_w,
         (int)p->in_c, (int)p->kernel_h, (int)p->kernel_w, (int)p->out_h, (int)p->out_w,
         (int)p->out_c, (int)p->stride_h, (int)p->stride_w, (int)p->dilation_h,
         (int)p->dilation_w, (int)p->pad_top, (int)p->pad_left, (int)p->input_zero_point,
         (int)p->weight_zero_point, (int)p->output_zero_point, (int)p->act_min,
         (int)p->act_max, c->bias ? "yes" : "no");
}

/* Runs the reference on c and compares every output byte with the oracle. */
static bool check_case(int index, conv_case *c) {
  const q8_conv_2d_params *p = &c->p;
  const size_t n_in = (size_t)p->batch * p->in_h * p->in_w * p->in_c;
  const size_t n_w = (size_t)p->out_c * p->kernel_h * p->kernel_w * p->in_c;
  const size_t n_out = (size_t)p->batch * p->out_h * p->out_w * p->out_c;
  uint8_t *in8 = malloc(n_in), *w8 = malloc(n_w), *out8 = malloc(n_out);
  int32_t *folded = malloc(sizeof(int32_t) * p->out_c);
  for (size_t i = 0; i < n_in; i++) in8[i] = (uint8_t)c->input[i];
  for (size_t i = 0; i < n_w; i++) w8[i] = (uint8_t)c->filter[i];
  memset(out8, 0xA5, n_out);
  if (c->is_signed) {
    q8_ref_conv_2d_fold_bias_qs8(p, (const int8_t *)w8, c->bias, folded);
    q8_ref_conv_2d_qs8(p, (const int8_t *)in8, (const int8_t *)w8, folded, (int8_t *)out8);
  } else {
    q8_ref_conv_2d_fold_bias_qu8(p, w8, c->bias, folded);
    q8_ref_conv_2d_qu8(p, in8, w8, folded, out8);
  }
  size_t bad = 0;
  for (size_t i = 0; i < n_out; i++) {
    const int oc = (int)(i % (size_t)p->out_c);
    const int32_t want = oracle_output(c->acc[i], c->multiplier[oc], c->shift[oc],
                                       p->output_zero_point, p->act_min, p->act_max);
    const int32_t got = c->is_signed ? (int32_t)(int8_t)out8[i] : (int32_t)out8[i];
    if (got != want && bad++ < 3) {
      if (bad == 1) print_case(index, c);
      printf("  output %zu (channel %d): got %d, want %d (acc %lld, multiplier %d shift %d)\n",
             i, oc, (int)got, (int)want, (long long)c->acc[i], (int)c->multiplier[oc],
             (int)c->shift[oc]);
    }
  }
  T_CHECK(bad == 0, "case %d: %zu of %zu outputs differ", index, bad, n_out);
  free(in8);
  free(w8);
  free(out8);
  free(folded);
  return bad == 0;
}

static int32_t pick(t_rng *rng, const int32_t *options, int n) {
  return options[t_rng_range(rng, 0, n - 1)];
}

/* Fills quantization (multipliers from the oracle accumulators, clamps) after the oracle
   has run, then checks. */
static bool finish_case(t_rng *rng, int index, conv_case *c) {
  q8_conv_2d_params *p = &c->p;
  const int32_t qmin = c->is_signed ? -128 : 0, qmax = c->is_signed ? 127 : 255;
  const size_t n_out = (size_t)p->batch * p->out_h * p->out_w * p->out_c;
  c->acc = malloc(sizeof(int64_t) * n_out);
  c->multiplier = malloc(sizeof(int32_t) * p->out_c);
  c->shift = malloc(sizeof(int32_t) * p->out_c);
  oracle_accumulate(c);
  int64_t *peak = calloc((size_t)p->out_c, sizeof(int64_t));
  bool fits = true;
  for (size_t i = 0; i < n_out; i++) {
    const int64_t a = c->acc[i] < 0 ? -c->acc[i] : c->acc[i];
    if (a > peak[i % (size_t)p->out_c]) peak[i % (size_t)p->out_c] = a;
    fits = fits && c->acc[i] >= INT32_MIN && c->acc[i] <= INT32_MAX;
  }
  T_CHECK(fits, "case %d: oracle accumulator outside int32 (test generator bug)", index);
  oracle_channel_multipliers(rng, p->out_c, peak, c->multiplier, c->shift);
  p->multiplier = c->multiplier;
  p->shift = c->shift;
  p->output_zero_point = oracle_zero_point(rng, qmin, qmax);
  oracle_act_range(oracle_activation(rng), (float)oracle_decades(rng, -2.5, -0.5),
                   p->output_zero_point, qmin, qmax, &p->act_min, &p->act_max);
  const bool ok = check_case(index, c);
  free(peak);
  free(c->acc);
  free(c->multiplier);
  free(c->shift);
  return ok;
}

static void random_case(t_rng *rng, int index) {
  static const int32_t channels[] = {1, 3, 7, 17};
  conv_case c = {0};
  q8_conv_2d_params *p = &c.p;
  c.is_signed = t_rng_range(rng, 0, 1) == 1;
  const int32_t qmin = c.is_signed ? -128 : 0, qmax = c.is_signed ? 127 : 255;
  p->batch = (int32_t)t_rng_range(rng, 1, 2);
  p->in_c = pick(rng, channels, 4);
  p->out_c = pick(rng, channels, 4);
  p->kernel_h = (int32_t)t_rng_range(rng, 1, 7);
  p->kernel_w = (int32_t)t_rng_range(rng, 1, 7);
  p->stride_h = (int32_t)t_rng_range(rng, 1, 3);
  p->stride_w = (int32_t)t_rng_range(rng, 1, 3);
  p->dilation_h = (int32_t)t_rng_range(rng, 1, 3);
  p->dilation_w = (int32_t)t_rng_range(rng, 1, 3);
  p->in_h = (int32_t)t_rng_range(rng, 1, 14);
  p->in_w = (int32_t)t_rng_range(rng, 1, 14);
  q8_padding pad = t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID;
  p->out_h = q8_conv_out_size(pad, p->in_h, p->kernel_h, p->stride_h, p->dilation_h, &p->pad_top);
  p->out_w =
      q8_conv_out_size(pad, p->in_w, p->kernel_w, p->stride_w, p->dilation_w, &p->pad_left);
  if (p->out_h <= 0 || p->out_w <= 0) { /* VALID window does not fit: use SAME */
    pad = Q8_PADDING_SAME;
    p->out_h = q8_conv_out_size(pad, p->in_h, p->kernel_h, p->stride_h, p->dilation_h, &p->pad_top);
    p->out_w =
        q8_conv_out_size(pad, p->in_w, p->kernel_w, p->stride_w, p->dilation_w, &p->pad_left);
  }
  p->input_zero_point = oracle_zero_point(rng, qmin, qmax);
  p->weight_zero_point = c.is_signed ? 0 : oracle_zero_point(rng, 0, 255);

  const size_t n_in = (size_t)p->batch * p->in_h * p->in_w * p->in_c;
  const size_t n_w = (size_t)p->out_c * p->kernel_h * p->kernel_w * p->in_c;
  c.input = malloc(sizeof(int32_t) * n_in);
  c.filter = malloc(sizeof(int32_t) * n_w);
  const int extremes = t_rng_range(rng, 0, 9) == 0 ? (int)t_rng_range(rng, 1, 2) : 0;
  oracle_fill(rng, c.input, n_in, qmin, qmax, extremes);
  oracle_fill(rng, c.filter, n_w, qmin, qmax, extremes ? (int)t_rng_range(rng, 1, 2) : 0);
  if (t_rng_range(rng, 0, 4) != 0) {
    c.bias = malloc(sizeof(int32_t) * p->out_c);
    const int64_t range = t_rng_range(rng, 0, 1) ? 3000 : (INT64_C(1) << 24);
    for (int i = 0; i < p->out_c; i++) c.bias[i] = (int32_t)t_rng_range(rng, -range, range);
  }
  finish_case(rng, index, &c);
  free(c.input);
  free(c.filter);
  free(c.bias);
}

/* A long accumulation (K = 7*7*820 = 40180) whose expanded eq. 7 terms exceed int32 while
   TFLite's own sum stays inside it: input and weights at 255 with input zero point 255 make
   every (x - x_zp) zero, yet sum w*x alone is about 2.6e9. Then the opposite signs. */
static void long_accumulation_cases(t_rng *rng, int *index) {
  for (int variant = 0; variant < 3; variant++) {
    conv_case c = {0};
    q8_conv_2d_params *p = &c.p;
    c.is_signed = variant == 2;
    p->batch = 1;
    p->in_h = p->in_w = 7;
    p->in_c = 820;
    p->out_c = 2;
    p->kernel_h = p->kernel_w = 7;
    p->stride_h = p->stride_w = p->dilation_h = p->dilation_w = 1;
    p->out_h = p->out_w = 1;
    const size_t n_in = 7 * 7 * 820, n_w = 2 * n_in;
    c.input = malloc(sizeof(int32_t) * n_in);
    c.filter = malloc(sizeof(int32_t) * n_w);
    if (variant == 0) { /* (x - 255) = 0 everywhere */
      p->input_zero_point = 255;
      p->weight_zero_point = 0;
      oracle_fill(rng, c.input, n_in, 0, 255, 2);
      oracle_fill(rng, c.filter, n_w, 0, 255, 2);
    } else if (variant == 1) { /* (w - 255) * (x - 0) with w near 255: small negatives */
      p->input_zero_point = 0;
      p->weight_zero_point = 255;
      oracle_fill(rng, c.input, n_in, 250, 255, 0);
      oracle_fill(rng, c.filter, n_w, 254, 255, 0);
    } else { /* int8: w = -128, x - zp = 255 - ... keep |sum| < 2^31 */
      p->input_zero_point = -128;
      oracle_fill(rng, c.input, n_in, 100, 127, 0);
      oracle_fill(rng, c.filter, n_w, -128, -120, 0);
    }
    finish_case(rng, (*index)++, &c);
    free(c.input);
    free(c.filter);
  }
}

int main(void) {
  test_out_size_fixed();
  test_out_size_sweep();
  t_rng rng = {t_seed(0xC0417)};
  int index = 0, failed = 0;
  for (; index < 600 && failed < 5; index++) {
    const int before = t_checks_failed;
    random_case(&rng, index);
    failed += t_checks_failed != before;
  }
  long_accumulation_cases(&rng, &index);
  printf("%d conv cases\n", index);
  return t_finish();
}
