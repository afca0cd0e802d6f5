/* Reference CONV_2D: direct loops over the paper's eq. 7 form, bit-exact with TFLite. */
#include "ref/conv-2d.h"

#include "ref/ref-common.h"

/* Sums are taken modulo 2^32 (uint32_t): TFLite accumulates the unexpanded products in
   int32, and whenever its sum does not overflow, the expanded sum here has the same value
   modulo 2^32, hence the same int32. */

static inline void fold_bias(const q8_conv_2d_params *p, const void *filter,
                             const int32_t *bias, int32_t *folded, bool is_signed) {
  const size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w * (size_t)p->in_c;
  const uint32_t in_zp = (uint32_t)p->input_zero_point;
  const uint32_t w_zp = (uint32_t)p->weight_zero_point;
  for (int32_t c = 0; c < p->out_c; c++) {
    uint32_t weight_sum = 0;
    for (size_t i = 0; i < taps; i++)
      weight_sum += (uint32_t)q8_ref_load(filter, (size_t)c * taps + i, is_signed);
    const uint32_t b = bias != NULL ? (uint32_t)bias[c] : 0;
    folded[c] = (int32_t)(b - in_zp * weight_sum + (uint32_t)taps * w_zp * in_zp);
  }
}

void q8_ref_conv_2d_fold_bias_qs8(const q8_conv_2d_params *p, const int8_t *filter,
                                  const int32_t *bias, int32_t *folded) {
  fold_bias(p, filter, bias, folded, true);
}

void q8_ref_conv_2d_fold_bias_qu8(const q8_conv_2d_params *p, const uint8_t *filter,
                                  const int32_t *bias, int32_t *folded) {
  fold_bias(p, filter, bias, folded, false);
}

/* Input value at (b, y, x, c), or the input zero point where (y, x) is padding. */
static inline int32_t input_or_zero_point(const q8_conv_2d_params *p, const void *input,
                                          int32_t b, int32_t y, int32_t x, int32_t c,
                                          bool is_signed) {
  if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w) return p->input_zero_point;
  const size_t index = (((size_t)b * p->in_h + (size_t)y) * p->in_w + (size_t)x) * p->in_c + c;
  return q8_ref_load(input, index, is_signed);
}

static inline void conv_2d(const q8_conv_2d_params *p, const void *input, const void *filter,
                           const int32_t *folded, void *output, bool is_signed) {
  const size_t taps = (size_t)p->kernel_h * (size_t)p->kernel_w * (size_t)p->in_c;
  size_t out_index = 0;
  for (int32_t b = 0; b < p->batch; b++) {
    for (int32_t oy = 0; oy < p->out_h; oy++) {
      const int32_t y0 = oy * p->stride_h - p->pad_top;
      for (int32_t ox = 0; ox < p->out_w; ox++) {
        const int32_t x0 = ox * p->stride_w - p->pad_left;
        /* Activation-side sum: the same for every output channel of this pixel. */
        uint32_t input_sum = 0;
        for (int32_t ky = 0; ky < p->kernel_h; ky++)
          for (int32_t kx = 0; kx < p->kernel_w; kx++)
            for (int32_t ic = 0; ic < p->in_c; ic++)
              input_sum += (uint32_t)input_or_zero_point(p, input, b, y0 + ky * p->dilation_h,
                                                         x0 + kx * p->dilation_w, ic, is_signed);
        for (int32_t oc = 0; oc < p->out_c; oc++) {
          uint32_t acc = (uint32_t)folded[oc] - (uint32_t)p->weight_zero_point * input_sum;
          size_t w_index = (size_t)oc * taps;
          for (int32_t ky = 0; ky < p->kernel_h; ky++)
            for (int32_t kx = 0; kx < p->kernel_w; kx++)
              for (int32_t ic = 0; ic < p->in_c; ic++) {
                const int32_t x = input_or_zero_point(p, input, b, y0 + ky * p->dilation_h,
                                                      x0 + kx * p->dilation_w, ic, is_signed);
                acc += (uint32_t)(q8_ref_load(filter, w_index++, is_signed) * x);
              }
          const int32_t v = q8_ref_output_stage((int32_t)acc, p->multiplier[oc], p->shift[oc],
                                                p->output_zero_point, p->act_min, p->act_max);
          q8_ref_store(output, out_index++, v, is_signed);
        }
      }
    }
  }
}

void q8_ref_conv_2d_qs8(const q8_conv_2d_params *p, const int8_t *input, const int8_t *filter,
                        const int32_t *folded, int8_t *output) {
  conv_2d(p, input, filter, folded, output, true);
}

void q8_ref_conv_2d_qu8(const q8_conv_2d_params *p, const uint8_t *input,
                        const uint8_t *filter, const int32_t *folded, uint8_t *output) {
  conv_2d(p, input, filter, folded, output, false);
}
