/* The float32 inference path (the float baseline): prepare functions that the operator
   registry chooses when an operator's first input is float32, and helpers they share.
   Everything declared here lives in *-float.c files, which the integer-only build leaves
   out. Internal to src/ops. */
#ifndef Q8_OPS_FLOAT_OPS_H
#define Q8_OPS_FLOAT_OPS_H

#include <stdbool.h>

#include "ops/op.h"
#include "ukernels/f32-dwconv/f32-dwconv.h"
#include "ukernels/f32-gemm/f32-gemm.h"

q8_status q8_prepare_add_float(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_average_pool_2d_float(q8_prepare_ctx *, const q8_node *, q8_tensor *,
                                           q8_op_plan *);
q8_status q8_prepare_conv_2d_float(q8_prepare_ctx *, const q8_node *, q8_tensor *,
                                   q8_op_plan *);
q8_status q8_prepare_depthwise_conv_2d_float(q8_prepare_ctx *, const q8_node *, q8_tensor *,
                                             q8_op_plan *);
q8_status q8_prepare_fully_connected_float(q8_prepare_ctx *, const q8_node *, q8_tensor *,
                                           q8_op_plan *);
q8_status q8_prepare_max_pool_2d_float(q8_prepare_ctx *, const q8_node *, q8_tensor *,
                                       q8_op_plan *);
q8_status q8_prepare_mean_float(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_pad_float(q8_prepare_ctx *, const q8_node *, q8_tensor *, q8_op_plan *);
q8_status q8_prepare_softmax_float(q8_prepare_ctx *, const q8_node *, q8_tensor *,
                                   q8_op_plan *);

/* The float kernels of one ISA path: AVX-512, AVX2 or NEON tiles for those paths (NEONDOT
   shares NEON's); Q8_ISA_REF and SCALAR run the portable scalar kernels, plain loops in
   float (there is no separate float reference operator). */
typedef struct q8_f32_kernels {
  q8_f32_gemm_ukernel_fn gemm;
  size_t mr, nr;
  q8_f32_dwconv_ukernel_fn dwconv;
} q8_f32_kernels;
void q8_f32_kernels_for(q8_isa isa, q8_f32_kernels *kernels);

/* Output clamp of a fused activation: NONE, RELU, RELU_N1_TO_1, RELU6. */
q8_f32_minmax_params q8_f32_activation_minmax(q8_activation activation);

/* One input and one output, both float32 (pools, SOFTMAX). */
q8_status q8_get_float_unary_io(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                q8_tensor **in, q8_tensor **out);

/* Fails unless t is float32; role names it ("input 0"). */
q8_status q8_check_float32(q8_prepare_ctx *ctx, const q8_tensor *t, const char *role);

/* Fails unless t is a constant float32 tensor holding exactly count floats. */
q8_status q8_check_const_float32(q8_prepare_ctx *ctx, const q8_tensor *t, const char *role,
                                 size_t count);

#endif
