/* Reference FULLY_CONNECTED: the paper's eq. 7 form, bit-exact with TFLite. Sums are modulo
   2^32, which equals TFLite's int32 sum whenever that one does not overflow. */
#include "ref/fully-connected.h"

#include "ref/ref-common.h"

static inline void fold_bias(const q8_fully_connected_params *p, const void *weights,
                             const int32_t *bias, int32_t *folded, bool is_signed) {
  const uint32_t in_zp = (uint32_t)p->input_zero_point;
  const uint32_t w_zp = (uint32_t)p->weight_zero_point;
  for (int32_t u = 0; u < p->units; u++) {
    uint32_t weight_sum = 0;
    for (int32_t k = 0; k < p->depth; k++)
      weight_sum +=
          (uint32_t)q8_ref_load(weights, (size_t)u * (size_t)p->depth + (size_t)k, is_signed);
    const uint32_t b = bias != NULL ? (uint32_t)bias[u] : 0;
    folded[u] = (int32_t)(b - in_zp * weight_sum + (uint32_t)p->depth * w_zp * in_zp);
  }
}

void q8_ref_fully_connected_fold_bias_qs8(const q8_fully_connected_params *p,
                                          const int8_t *weights, const int32_t *bias,
                                          int32_t *folded) {
  fold_bias(p, weights, bias, folded, true);
}

void q8_ref_fully_connected_fold_bias_qu8(const q8_fully_connected_params *p,
                                          const uint8_t *weights, const int32_t *bias,
                                          int32_t *folded) {
  fold_bias(p, weights, bias, folded, false);
}

static inline void fully_connected(const q8_fully_connected_params *p, const void *input,
                                   const void *weights, const int32_t *folded, void *output,
                                   bool is_signed) {
  const size_t depth = (size_t)p->depth;
  for (int32_t b = 0; b < p->batch; b++) {
    const size_t row = (size_t)b * depth;
    uint32_t input_sum = 0;
    for (size_t k = 0; k < depth; k++) input_sum += (uint32_t)q8_ref_load(input, row + k, is_signed);
    for (int32_t u = 0; u < p->units; u++) {
      uint32_t acc = (uint32_t)folded[u] - (uint32_t)p->weight_zero_point * input_sum;
      for (size_t k = 0; k < depth; k++)
        acc += (uint32_t)(q8_ref_load(weights, (size_t)u * depth + k, is_signed) *
                          q8_ref_load(input, row + k, is_signed));
      const int32_t v = q8_ref_output_stage((int32_t)acc, p->multiplier[u], p->shift[u],
                                            p->output_zero_point, p->act_min, p->act_max);
      q8_ref_store(output, (size_t)b * (size_t)p->units + (size_t)u, v, is_signed);
    }
  }
}

void q8_ref_fully_connected_qs8(const q8_fully_connected_params *p, const int8_t *input,
                                const int8_t *weights, const int32_t *folded, int8_t *output) {
  fully_connected(p, input, weights, folded, output, true);
}

void q8_ref_fully_connected_qu8(const q8_fully_connected_params *p, const uint8_t *input,
                                const uint8_t *weights, const int32_t *folded,
                                uint8_t *output) {
  fully_connected(p, input, weights, folded, output, false);
}
