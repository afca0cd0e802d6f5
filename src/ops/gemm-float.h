/* The float32 GEMM driver shared by CONV_2D and FULLY_CONNECTED: output rows (pixels) times
   packed weights, with an im2col of MR rows at a time into per-thread scratch where the
   input cannot be read in place. Internal to src/ops. */
#ifndef Q8_OPS_GEMM_FLOAT_H
#define Q8_OPS_GEMM_FLOAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/conv-quant.h"
#include "ops/float-ops.h"

/* Convolution geometry, NHWC (a FULLY_CONNECTED is a 1x1 convolution over [batch,1,1,depth]). */
typedef struct q8_f32_conv_geometry {
  int32_t batch, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
  int32_t pad_top, pad_left;
} q8_f32_conv_geometry;

/* The operands of a CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED node (bias optional),
   after checking the node's input and output counts. */
typedef struct q8_f32_conv_operands {
  q8_op_tensor input, filter, bias, output;
} q8_f32_conv_operands;
q8_status q8_f32_conv_operands_get(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                   const char *filter_role, q8_f32_conv_operands *ops);

/* The geometry of a CONV_2D / DEPTHWISE_CONV_2D node: input [N,H,W,C], filter size
   kernel_h x kernel_w, out_c output channels; sets the output's shape. */
q8_status q8_f32_conv_geometry_init(q8_prepare_ctx *ctx, const q8_node *node,
                                    const q8_tensor *input, int32_t kernel_h, int32_t kernel_w,
                                    int32_t out_c, q8_tensor *output, q8_f32_conv_geometry *g);

typedef struct q8_f32_gemm_plan {
  q8_f32_conv_geometry g;
  size_t m, n, k;          /* rows (pixels), columns (output channels), depth */
  bool direct;             /* A is the input as it is (1x1, stride 1, no padding) */
  const float *packed;     /* q8_f32_gemm_pack_weights with nr */
  q8_f32_kernels kernels;
  size_t chunk_cols;       /* columns per task (a multiple of nr) */
  size_t group_rows;       /* rows per task (a multiple of mr) */
  size_t n_chunks, n_groups;
  q8_f32_minmax_params minmax;
  struct q8_threadpool *pool;
} q8_f32_gemm_plan;

/* Fills everything but g from g and the weights [out_c][k] (+ optional bias) and sets the
   plan's run, params and scratch. */
q8_status q8_f32_gemm_plan_init(q8_prepare_ctx *ctx, const q8_f32_conv_geometry *g,
                                const float *weights, const float *bias,
                                q8_activation activation, q8_op_plan *plan);

#endif
