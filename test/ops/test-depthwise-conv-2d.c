/* DEPTHWISE_CONV_2D reference (int8 and uint8) against an independent direct depthwise
   convolution over a zero-point-padded copy of the input. */
#include <stdlib.h>
#include <string.h>

#include "conv-oracle.h"
#include "ops/op.h"
#include "ref/depthwise-conv-2d.h"

typedef struct dw_case {
  bool is_signed;
  q8_depthwise_conv_2d_params p;
  int32_t *input, *filter, *bias; /* bias NULL when absent */
  int32_t *multiplier, *shift;
  int64_t *acc; /* oracle accumulators, [batch, out_h, out_w, out_c] */
} dw_case;

/* Oracle: pad the input with its zero point into a buffer that covers every window, then
   per output channel oc = ic * M + m sum (w[ky][kx][oc] - w_zp)(x[ic] - x_zp) in int64. */
static void oracle_accumulate(dw_case *c) {
  const q8_depthwise_conv_2d_params *p = &c->p;
  const int ph = (p->out_h - 1) * p->stride_h + (p->kernel_h - 1) * p->dilation_h + 1;
  const int pw = (p->out_w - 1) * p->stride_w + (p->kernel_w - 1) * p->dilation_w + 1;
  const int padded_h = ph > p->pad_top + p->in_h ? ph : p->pad_top + p->in_h;
  const int padded_w = pw > p->pad_left + p->in_w ? pw : p->pad_left + p->in_w;
  int32_t *padded = malloc(sizeof(int32_t) * p->batch * padded_h * padded_w * p->in_c);
  for (int i = 0; i < p->batch * padded_h * padded_w * p->in_c; i++)
    padded[i] = p->input_zero_point;
  for (int b = 0; b < p->batch; b++)
    for (int y = 0; y < p->in_h; y++)
      for (int x = 0; x < p->in_w; x++)
        memcpy(&padded[((b * padded_h + y + p->pad_top) * padded_w + x + p->pad_left) * p->in_c],
               &c->input[((b * p->in_h + y) * p->in_w + x) * p->in_c],
               sizeof(int32_t) * p->in_c);
  for (int b = 0; b < p->batch; b++)
    for (int oy = 0; oy < p->out_h; oy++)
      for (int ox = 0; ox < p->out_w; ox++)
        for (int oc = 0; oc < p->out_c; oc++) {
          const int ic = oc / p->depth_multiplier;
          int64_t acc = c->bias != NULL ? c->bias[oc] : 0;
          for (int ky = 0; ky < p->kernel_h; ky++)
            for (int kx = 0; kx < p->kernel_w; kx++) {
              const int y = oy * p->stride_h + ky * p->dilation_h;
              const int x = ox * p->stride_w + kx * p->dilation_w;
              const int64_t xv = padded[((b * padded_h + y) * padded_w + x) * p->in_c + ic];
              const int64_t wv = c->filter[(ky * p->kernel_w + kx) * p->out_c + oc];
              acc += (wv - p->weight_zero_point) * (xv - p->input_zero_point);
            }
          c->acc[((b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] = acc;
        }
  free(padded);
}

static void print_case(int index, const dw_case *c) {
  const q8_depthwise_conv_2d_params *p = &c->p;
  printf("case %d: %s batch %d in %dx%dx%d multiplier %d kernel %dx%d out %dx%dx%d stride "
         "%dx%d dilation %dx%d pad top %d left %d zp in %d w %d out %d clamp [%d,%d] bias %s\n",
         index, c->is_signed ? "int8" : "uint8", (int)p->batch, (int)p->in_h, (int)p->in_w,
         (int)p->in_c, (int)p->depth_multiplier, (int)p->kernel_h, (int)p->kernel_w,
         (int)p->out_h, (int)p->out_w, (int)p->out_c, (int)p->stride_h, (int)p->stride_w,
         (int)p->dilation_h, (int)p->dilation_w, (int)p->pad_top, (int)p->pad_left,
         (int)p->input_zero_point, (int)p->weight_zero_point, (int)p->output_zero_point,
         (int)p->act_min, (int)p->act_max, c->bias ? "yes" : "no");
}

static void check_case(int index, dw_case *c) {
  const q8_depthwise_conv_2d_params *p = &c->p;
  const size_t n_in = (size_t)p->batch * p->in_h * p->in_w * p->in_c;
  const size_t n_w = (size_t)p->kernel_h * p->kernel_w * p->out_c;
  const size_t n_out = (size_t)p->batch * p->out_h * p->out_w * p->out_c;
  uint8_t *in8 = malloc(n_in), *w8 = malloc(n_w), *out8 = malloc(n_out);
  int32_t *folded = malloc(sizeof(int32_t) * p->out_c);
  for (size_t i = 0; i < n_in; i++) in8[i] = (uint8_t)c->input[i];
  for (size_t i = 0; i < n_w; i++) w8[i] = (uint8_t)c->filter[i];
  memset(out8, 0x5A, n_out);
  if (c->is_signed) {
    q8_ref_depthwise_conv_2d_fold_bias_qs8(p, (const int8_t *)w8, c->bias, folded);
    q8_ref_depthwise_conv_2d_qs8(p, (const int8_t *)in8, (const int8_t *)w8, folded,
                                 (int8_t *)out8);
  } else {
    q8_ref_depthwise_conv_2d_fold_bias_qu8(p, w8, c->bias, folded);
    q8_ref_depthwise_conv_2d_qu8(p, in8, w8, folded, out8);
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
}

static void finish_case(t_rng *rng, int index, dw_case *c) {
  q8_depthwise_conv_2d_params *p = &c->p;
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
  check_case(index, c);
  free(peak);
  free(c->acc);
  free(c->multiplier);
  free(c->shift);
}

static void set_geometry(dw_case *c, q8_padding pad) {
  q8_depthwise_conv_2d_params *p = &c->p;
  p->out_h = q8_conv_out_size(pad, p->in_h, p->kernel_h, p->stride_h, p->dilation_h, &p->pad_top);
  p->out_w =
      q8_conv_out_size(pad, p->in_w, p->kernel_w, p->stride_w, p->dilation_w, &p->pad_left);
}

static void random_case(t_rng *rng, int index) {
  static const int32_t channels[] = {1, 3, 7, 17};
  dw_case c = {0};
  q8_depthwise_conv_2d_params *p = &c.p;
  c.is_signed = t_rng_range(rng, 0, 1) == 1;
  const int32_t qmin = c.is_signed ? -128 : 0, qmax = c.is_signed ? 127 : 255;
  p->batch = (int32_t)t_rng_range(rng, 1, 2);
  p->in_c = channels[t_rng_range(rng, 0, 3)];
  p->depth_multiplier = (int32_t)t_rng_range(rng, 1, 3);
  p->out_c = p->in_c * p->depth_multiplier;
  p->kernel_h = (int32_t)t_rng_range(rng, 1, 7);
  p->kernel_w = (int32_t)t_rng_range(rng, 1, 7);
  p->stride_h = (int32_t)t_rng_range(rng, 1, 3);
  p->stride_w = (int32_t)t_rng_range(rng, 1, 3);
  p->dilation_h = (int32_t)t_rng_range(rng, 1, 3);
  p->dilation_w = (int32_t)t_rng_range(rng, 1, 3);
  p->in_h = (int32_t)t_rng_range(rng, 1, 16);
  p->in_w = (int32_t)t_rng_range(rng, 1, 16);
  set_geometry(&c, t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID);
  if (p->out_h <= 0 || p->out_w <= 0) set_geometry(&c, Q8_PADDING_SAME);
  p->input_zero_point = oracle_zero_point(rng, qmin, qmax);
  p->weight_zero_point = c.is_signed ? 0 : oracle_zero_point(rng, 0, 255);

  const size_t n_in = (size_t)p->batch * p->in_h * p->in_w * p->in_c;
  const size_t n_w = (size_t)p->kernel_h * p->kernel_w * p->out_c;
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

/* The golden vectors' stride-2 case shape: 10x11 input, 3x3 s2 SAME, pad top 0 left 1
   (even H: all padding after), checked here on random data too. */
static void golden_shape_case(t_rng *rng, int index) {
  dw_case c = {0};
  q8_depthwise_conv_2d_params *p = &c.p;
  c.is_signed = true;
  *p = (q8_depthwise_conv_2d_params){.batch = 1, .in_h = 10, .in_w = 11, .in_c = 4,
                                     .depth_multiplier = 1, .out_c = 4, .kernel_h = 3,
                                     .kernel_w = 3, .stride_h = 2, .stride_w = 2,
                                     .dilation_h = 1, .dilation_w = 1, .input_zero_point = -7};
  set_geometry(&c, Q8_PADDING_SAME);
  T_CHECK(p->out_h == 5 && p->out_w == 6 && p->pad_top == 0 && p->pad_left == 1,
          "10x11 3x3 s2 SAME: out %dx%d pad %d,%d", (int)p->out_h, (int)p->out_w,
          (int)p->pad_top, (int)p->pad_left);
  c.input = malloc(sizeof(int32_t) * 10 * 11 * 4);
  c.filter = malloc(sizeof(int32_t) * 9 * 4);
  oracle_fill(rng, c.input, 10 * 11 * 4, -128, 127, 0);
  oracle_fill(rng, c.filter, 9 * 4, -127, 127, 0);
  finish_case(rng, index, &c);
  free(c.input);
  free(c.filter);
}

/* Long accumulation: a 181x181 kernel (K = 32761) on one channel where the expanded terms
   leave int32 (sum w*x ~ 2.1e9 for uint8 255s) but TFLite's sum stays small. */
static void long_accumulation_case(t_rng *rng, int index) {
  dw_case c = {0};
  q8_depthwise_conv_2d_params *p = &c.p;
  *p = (q8_depthwise_conv_2d_params){.batch = 1, .in_h = 181, .in_w = 181, .in_c = 1,
                                     .depth_multiplier = 2, .out_c = 2, .kernel_h = 181,
                                     .kernel_w = 181, .stride_h = 1, .stride_w = 1,
                                     .dilation_h = 1, .dilation_w = 1, .out_h = 1, .out_w = 1,
                                     .input_zero_point = 254, .weight_zero_point = 1};
  const size_t n = 181 * 181;
  c.input = malloc(sizeof(int32_t) * n);
  c.filter = malloc(sizeof(int32_t) * n * 2);
  oracle_fill(rng, c.input, n, 253, 255, 0);
  oracle_fill(rng, c.filter, n * 2, 250, 255, 0);
  finish_case(rng, index, &c);
  free(c.input);
  free(c.filter);
}

int main(void) {
  t_rng rng = {t_seed(0xD3E9)};
  int index = 0, failed = 0;
  for (; index < 800 && failed < 5; index++) {
    const int before = t_checks_failed;
    random_case(&rng, index);
    failed += t_checks_failed != before;
  }
  golden_shape_case(&rng, index++);
  long_accumulation_case(&rng, index++);
  printf("%d depthwise cases\n", index);
  return t_finish();
}
