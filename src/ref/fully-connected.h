/* Reference FULLY_CONNECTED (int8 per-tensor or per-channel, uint8 per-tensor), bit-exact
   with TFLite's reference/integer_ops/fully_connected.h FullyConnected /
   FullyConnectedPerChannel and reference/fully_connected.h FullyConnected(uint8 -> uint8). */
#ifndef Q8_REF_FULLY_CONNECTED_H
#define Q8_REF_FULLY_CONNECTED_H

#include <stdint.h>

/* Layouts: input [batch, depth] (any input tensor flattened, row-major), weights
   [units, depth], output [batch, units]. */
typedef struct q8_fully_connected_params {
  int32_t batch, depth, units;
  int32_t input_zero_point;  /* int8: [-128, 127]; uint8: [0, 255] */
  int32_t weight_zero_point; /* int8: 0; uint8: [0, 255] */
  int32_t output_zero_point;
  const int32_t *multiplier; /* [units] Q31 multipliers (a per-tensor one is replicated) */
  const int32_t *shift;      /* [units] exponents: > 0 shifts left, < 0 rounds right */
  int32_t act_min, act_max;
} q8_fully_connected_params;

/* folded[u] = bias[u] - in_zp * sum(w[u]) + depth * w_zp * in_zp, modulo 2^32; bias may be
   NULL (zero). folded has units entries. */
void q8_ref_fully_connected_fold_bias_qs8(const q8_fully_connected_params *p,
                                          const int8_t *weights, const int32_t *bias,
                                          int32_t *folded);
void q8_ref_fully_connected_fold_bias_qu8(const q8_fully_connected_params *p,
                                          const uint8_t *weights, const int32_t *bias,
                                          int32_t *folded);

/* output[b][u] = clamp(zp_out + MultiplyByQuantizedMultiplier(folded[u] + sum_k w[u][k] *
   x[b][k] - w_zp * sum_k x[b][k])). */
void q8_ref_fully_connected_qs8(const q8_fully_connected_params *p, const int8_t *input,
                                const int8_t *weights, const int32_t *folded, int8_t *output);
void q8_ref_fully_connected_qu8(const q8_fully_connected_params *p, const uint8_t *input,
                                const uint8_t *weights, const int32_t *folded,
                                uint8_t *output);

#endif
