/* Prepare-time checks and requantization parameters shared by CONV_2D, DEPTHWISE_CONV_2D and
   FULLY_CONNECTED (TFLite kernel_util.cc PopulateConvolutionQuantizationParams and
   micro/kernels/fully_connected_common.cc). Internal to src/ops. */
#ifndef Q8_OPS_CONV_QUANT_H
#define Q8_OPS_CONV_QUANT_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"

/* A tensor as the operator sees it, for messages: "filter (input 1, tensor 7 'w')". */
typedef struct q8_op_tensor {
  const char *role;     /* "input", "filter", "bias", "output" */
  const char *slot;     /* "input 0", "output 0", ... */
  int32_t index;        /* tensor index in the graph */
  q8_tensor *tensor;    /* NULL for an absent bias */
} q8_op_tensor;

/* How the real multiplier is formed, after TFLite. */
typedef enum q8_conv_multiplier_rule {
  /* int8 CONV_2D / DEPTHWISE_CONV_2D (and FULLY_CONNECTED with per-channel weights):
     double(in_scale) * double(w_scale[c]) / double(out_scale), one per channel. */
  Q8_MULTIPLIER_PER_CHANNEL,
  /* uint8, and int8 FULLY_CONNECTED with per-tensor weights (GetQuantizedConvolutionMultipler):
     double(float(in_scale * w_scale)) / double(out_scale), after checking that the bias
     scale is within 2% of the output scale of in_scale * w_scale. */
  Q8_MULTIPLIER_PER_TENSOR
} q8_conv_multiplier_rule;

/* The resolved quantization of one conv-like operator. */
typedef struct q8_conv_quant {
  bool is_signed; /* int8 (true) or uint8 */
  int32_t input_zero_point, weight_zero_point, output_zero_point;
  int32_t *multiplier, *shift; /* [channels], from q8_prepare_alloc */
  int32_t act_min, act_max;
} q8_conv_quant;

/* Fills an q8_op_tensor for node input/output slot k; index -1 or k beyond the node's
   count gives tensor NULL. */
q8_op_tensor q8_op_input(const q8_node *node, q8_tensor *tensors, int32_t k, const char *role);
q8_op_tensor q8_op_output(const q8_node *node, q8_tensor *tensors, int32_t k, const char *role);

/* Fails naming the tensor: "<role> (<slot>, tensor N 'name'): <message>". */
q8_status q8_op_tensor_fail(q8_prepare_ctx *ctx, q8_status status, const q8_op_tensor *t,
                            const char *fmt, ...) Q8_PRINTF(4, 5);

/* Checks rank; a failure names the tensor, the expected and the found rank. */
q8_status q8_op_check_rank(q8_prepare_ctx *ctx, const q8_op_tensor *t, int32_t rank);

/* Checks the node's input/output counts: 2 or 3 inputs (bias optional), 1 output. */
q8_status q8_conv_check_arity(q8_prepare_ctx *ctx, const q8_node *node);

/* Checks the constant filter (its data present and complete) and the optional constant
   int32 bias with exactly `channels` elements. */
q8_status q8_conv_check_constants(q8_prepare_ctx *ctx, const q8_op_tensor *filter,
                                  const q8_op_tensor *bias, int32_t channels);

/* Checks types and quantization of input, filter, bias and output and computes multipliers,
   shifts, zero points and the activation clamp. channel_axis is the filter dimension that
   holds the `channels` output channels (per-channel scales must lie along it). */
q8_status q8_conv_quant_resolve(q8_prepare_ctx *ctx, const q8_op_tensor *input,
                                const q8_op_tensor *filter, const q8_op_tensor *bias,
                                const q8_op_tensor *output, int32_t channels,
                                int32_t channel_axis, q8_conv_multiplier_rule int8_rule,
                                q8_activation activation, q8_conv_quant *quant);

/* Output size and leading padding of a CONV_2D / DEPTHWISE_CONV_2D window. */
typedef struct q8_conv_geometry {
  int32_t out_h, out_w;
  int32_t pad_top, pad_left;
} q8_conv_geometry;

/* Checks the node's strides and dilations (>= 1) and computes the output size with
   q8_conv_out_size; fails when the (dilated) kernel does not fit a VALID window. */
q8_status q8_conv_geometry_resolve(q8_prepare_ctx *ctx, const q8_node *node, int32_t in_h,
                                   int32_t in_w, int32_t kernel_h, int32_t kernel_w,
                                   q8_conv_geometry *g);

/* Allocates channels int32 from the prepare pool, failing with OUT_OF_MEMORY. */
q8_status q8_conv_alloc_i32(q8_prepare_ctx *ctx, int32_t channels, int32_t **out);

#endif
