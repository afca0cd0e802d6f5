/* Internal interface between the converter's files: the export's settings and one weighted
   layer quantized (folded weights on their grids, bias codes), ready to become tensors. */
#ifndef Q8_TRAIN_CONVERT_INTERNAL_H
#define Q8_TRAIN_CONVERT_INTERNAL_H

#include "train/convert.h"

typedef struct q8t_convert_setup {
  q8t_scheme scheme;
  q8_type type;            /* Q8_TYPE_INT8 or Q8_TYPE_UINT8: activations and weights */
  int weight_bits;         /* 2..8 */
  const q8t_ranges *ranges;
} q8t_convert_setup;

/* A convolution, depthwise convolution or fully connected layer quantized. The arrays are
   the caller's (sized with q8t_convert_weight_count / _channels): the converter puts them in
   the exported graph's pool. */
typedef struct q8t_quantized {
  int32_t node;
  q8t_op op;
  int32_t dims[Q8T_MAX_RANK];  /* the weights' shape */
  int32_t channels;            /* output channels */
  size_t count;                /* weights */
  int32_t grid_count;          /* 1 (per tensor) or channels */
  void *codes;                 /* count int8 or uint8 weights */
  float *weight_scale;         /* grid_count */
  int32_t *weight_zero_point;  /* grid_count */
  int32_t *bias;               /* channels int32 codes */
  float *bias_scale;           /* grid_count: input_scale * weight_scale (float product) */
  int32_t min_scale;           /* grids at Q8_QUANT_MIN_SCALE */
  int32_t bias_adjusted;       /* channels whose scale the bias-safe rule raised */
  bool handed_over;            /* grids from q8t_ranges */
  float *folded_bias;          /* NULL, or channels floats that receive the float bias folded
                                  with the batch norm (what the layer adds in training) */
} q8t_quantized;

/* The weights parameter of a layer node: its weights input, or the parameter behind the
   fake-quant node it reads them through (quantization-aware training, qat.h). */
int32_t q8t_convert_weight_tensor(const q8t_graph *graph, int32_t node);
int32_t q8t_convert_weight_channels(const q8t_graph *graph, int32_t node);
size_t q8t_convert_weight_count(const q8t_graph *graph, int32_t node);

/* Folds bn (or -1) into node, chooses the grids (handed over in setup->ranges, else
   q8t_weight_grids), raises scales the bias needs (q8_quant_bias_safe_weight_scale), and
   fills qz's arrays with the codes and bias codes for input_scale. */
q8_status q8t_quantize_weights(const q8t_graph *graph, int32_t node, int32_t bn, float input_scale,
                               const q8t_convert_setup *setup, q8t_quantized *qz,
                               q8_error *error);

#endif
