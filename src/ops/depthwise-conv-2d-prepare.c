/* DEPTHWISE_CONV_2D prepare: shapes, depth multiplier, padding, per-channel multipliers,
   activation clamp and the folded bias (TFLite micro/kernels/depthwise_conv_common.cc). */
#include <string.h>

#include "core/threadpool.h"
#include "ops/conv-quant.h"
#include "ops/depthwise-conv-2d.h"

/* TFLite depthwise filters are [1, kernel_h, kernel_w, out_c], quantized along dimension 3. */
enum { DEPTHWISE_FILTER_CHANNEL_AXIS = 3 };

/* Depth multiplier from the option, or out_c / in_c when the file leaves it 0. */
static q8_status resolve_depth_multiplier(q8_prepare_ctx *ctx, const q8_node *node,
                                          const q8_op_tensor *filter, int32_t in_c,
                                          int32_t *multiplier) {
  const int32_t out_c = filter->tensor->dims[3];
  int32_t m = node->opt.conv.depth_multiplier;
  if (m < 0)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "depth_multiplier %d, expected >= 1",
                           (int)m);
  if (m == 0) {
    if (out_c % in_c != 0)
      return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, filter,
                               "%d output channels, not a multiple of the input's %d channels",
                               (int)out_c, (int)in_c);
    m = out_c / in_c;
  }
  if ((int64_t)in_c * m != out_c)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, filter,
                             "%d output channels, expected input channels %d x depth_multiplier "
                             "%d = %lld",
                             (int)out_c, (int)in_c, (int)m, (long long)in_c * m);
  *multiplier = m;
  return Q8_OK;
}

static q8_status check_shapes(q8_prepare_ctx *ctx, const q8_op_tensor *input,
                              const q8_op_tensor *filter) {
  q8_status s = q8_op_check_rank(ctx, input, 4);
  if (s == Q8_OK) s = q8_op_check_rank(ctx, filter, 4);
  if (s != Q8_OK) return s;
  if (filter->tensor->dims[0] != 1)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, filter,
                             "dimension 0 is %d, expected 1 (filter [1,H,W,C*M])",
                             (int)filter->tensor->dims[0]);
  return Q8_OK;
}

static void fill_params(q8_depthwise_conv_2d_params *p, const q8_tensor *in,
                        const q8_tensor *filter, const q8_node *node, int32_t multiplier,
                        const q8_conv_geometry *g, const q8_conv_quant *q) {
  p->batch = in->dims[0];
  p->in_h = in->dims[1];
  p->in_w = in->dims[2];
  p->in_c = in->dims[3];
  p->out_h = g->out_h;
  p->out_w = g->out_w;
  p->out_c = filter->dims[3];
  p->depth_multiplier = multiplier;
  p->kernel_h = filter->dims[1];
  p->kernel_w = filter->dims[2];
  p->stride_h = node->opt.conv.stride_h;
  p->stride_w = node->opt.conv.stride_w;
  p->dilation_h = node->opt.conv.dilation_h;
  p->dilation_w = node->opt.conv.dilation_w;
  p->pad_top = g->pad_top;
  p->pad_left = g->pad_left;
  p->input_zero_point = q->input_zero_point;
  p->weight_zero_point = q->weight_zero_point;
  p->output_zero_point = q->output_zero_point;
  p->multiplier = q->multiplier;
  p->shift = q->shift;
  p->act_min = q->act_min;
  p->act_max = q->act_max;
}

/* The kernel for a path: AVX-512 or AVX2 for depth multiplier 1 (9 taps: the register-held
   3x3 ones), the portable scalar kernel for SCALAR and every path without a variant.
   *block: the tap-pair tile's channels (16, 32), or 0 for the scalar one. */
static q8_qs8_dwconv_ukernel_fn choose_kernel(q8_isa isa, const q8_depthwise_conv_2d_params *p,
                                              bool is_signed, size_t *block) {
  *block = 0;
#if Q8_HAVE_X86_KERNELS
  const bool nine = p->kernel_h * p->kernel_w == 9;
  if (isa == Q8_ISA_AVX512VNNI && p->depth_multiplier == 1) {
    *block = 32;
    if (nine)
      return is_signed ? q8_qs8_qc8w_dwconv_minmax_ukernel_9p32c__avx512vnni
                       : q8_qu8_dwconv_minmax_ukernel_9p32c__avx512vnni;
    return is_signed ? q8_qs8_qc8w_dwconv_minmax_ukernel_xp32c__avx512vnni
                     : q8_qu8_dwconv_minmax_ukernel_xp32c__avx512vnni;
  }
  if (isa == Q8_ISA_AVX2 && p->depth_multiplier == 1) {
    *block = 16;
    if (nine)
      return is_signed ? q8_qs8_qc8w_dwconv_minmax_ukernel_9p16c__avx2
                       : q8_qu8_dwconv_minmax_ukernel_9p16c__avx2;
    return is_signed ? q8_qs8_qc8w_dwconv_minmax_ukernel_xp16c__avx2
                     : q8_qu8_dwconv_minmax_ukernel_xp16c__avx2;
  }
#elif Q8_HAVE_ARM_KERNELS
  /* Both ARM paths: the kernel needs no dot product; it reads the xp1c packing (block 0). */
  if ((isa == Q8_ISA_NEON || isa == Q8_ISA_NEONDOT) && p->depth_multiplier == 1)
    return is_signed ? q8_qs8_qc8w_dwconv_minmax_ukernel_xp16c__neon
                     : q8_qu8_dwconv_minmax_ukernel_xp16c__neon;
#else
  (void)isa;
  (void)p;
#endif
  return is_signed ? q8_qs8_qc8w_dwconv_minmax_ukernel_xp1c__scalar
                   : q8_qu8_dwconv_minmax_ukernel_xp1c__scalar;
}

q8_status q8_depthwise_conv_2d_plan_kernels(q8_prepare_ctx *ctx, q8_depthwise_conv_2d_plan *p,
                                            const void *filter, const int32_t *bias,
                                            bool is_signed, q8_op_plan *plan) {
  const q8_depthwise_conv_2d_params *params = &p->params;
  const q8_isa isa = q8_prepare_isa(ctx);
  plan->params = p;
  plan->scratch_bytes = 0;
  if (isa == Q8_ISA_REF) {
    plan->run = is_signed ? q8_run_depthwise_conv_2d_qs8 : q8_run_depthwise_conv_2d_qu8;
    return Q8_OK;
  }
  size_t block = 0;
  p->kernel = choose_kernel(isa, params, is_signed, &block);
  const q8_dwconv_pack_source src = {
      .channels = (size_t)params->out_c,
      .taps = (size_t)params->kernel_h * (size_t)params->kernel_w,
      .filter = filter,
      .is_signed = is_signed,
      .input_zero_point = params->input_zero_point,
      .weight_zero_point = params->weight_zero_point,
      .bias = bias,
      .multiplier = params->multiplier,
      .shift = params->shift};
  const size_t packed_bytes = block > 0
                                  ? q8_dwconv_packed_size_pairs(src.channels, src.taps, block)
                                  : q8_dwconv_packed_size_c1(src.channels, src.taps);
  const size_t zero_point_bytes = (size_t)params->in_c;
  void *packed = q8_prepare_alloc(ctx, packed_bytes);
  uint8_t *zero_points = q8_prepare_alloc(ctx, zero_point_bytes);
  if (packed == NULL || zero_points == NULL)
    return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory (packed weights)");
  if (block > 0)
    q8_dwconv_pack_pairs(&src, block, packed);
  else
    q8_dwconv_pack_c1(&src, packed);
  memset(zero_points, (uint8_t)params->input_zero_point, zero_point_bytes);
  p->packed = packed;
  p->zero_points = zero_points;
  p->kernel_params = (q8_qs8_dwconv_params){.output_zero_point = params->output_zero_point,
                                            .output_min = params->act_min,
                                            .output_max = params->act_max,
                                            .depth_multiplier = params->depth_multiplier};
  p->pool = q8_prepare_threadpool(ctx);
  p->indirection_per_thread = (size_t)params->out_w * src.taps;
  plan->run = q8_run_depthwise_conv_2d_kernel;
  plan->scratch_bytes = (size_t)q8_threadpool_size(p->pool) * p->indirection_per_thread *
                        sizeof(const void *);
  return Q8_OK;
}

q8_status q8_prepare_depthwise_conv_2d(q8_prepare_ctx *ctx, const q8_node *node,
                                       q8_tensor *tensors, q8_op_plan *plan) {
  q8_status s = q8_conv_check_arity(ctx, node);
  if (s != Q8_OK) return s;
  const q8_op_tensor input = q8_op_input(node, tensors, 0, "input");
  const q8_op_tensor filter = q8_op_input(node, tensors, 1, "filter");
  const q8_op_tensor bias = q8_op_input(node, tensors, 2, "bias");
  const q8_op_tensor output = q8_op_output(node, tensors, 0, "output");
  if ((s = check_shapes(ctx, &input, &filter)) != Q8_OK) return s;
  const q8_tensor *in = input.tensor, *w = filter.tensor;
  const int32_t out_c = w->dims[3];
  int32_t multiplier = 0;
  if ((s = resolve_depth_multiplier(ctx, node, &filter, in->dims[3], &multiplier)) != Q8_OK)
    return s;
  if ((s = q8_conv_check_constants(ctx, &filter, &bias, out_c)) != Q8_OK) return s;

  q8_conv_geometry g;
  s = q8_conv_geometry_resolve(ctx, node, in->dims[1], in->dims[2], w->dims[1], w->dims[2], &g);
  if (s != Q8_OK) return s;
  const int32_t out_dims[4] = {in->dims[0], g.out_h, g.out_w, out_c};
  if ((s = q8_prepare_set_shape(ctx, output.tensor, 4, out_dims)) != Q8_OK) return s;

  q8_conv_quant q;
  s = q8_conv_quant_resolve(ctx, &input, &filter, &bias, &output, out_c,
                            DEPTHWISE_FILTER_CHANNEL_AXIS, Q8_MULTIPLIER_PER_CHANNEL,
                            node->opt.conv.activation, &q);
  if (s != Q8_OK) return s;

  q8_depthwise_conv_2d_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  int32_t *folded = NULL;
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  if ((s = q8_conv_alloc_i32(ctx, out_c, &folded)) != Q8_OK) return s;
  fill_params(&p->params, in, w, node, multiplier, &g, &q);
  const int32_t *bias_data = bias.tensor != NULL ? bias.tensor->data : NULL;
  if (q.is_signed)
    q8_ref_depthwise_conv_2d_fold_bias_qs8(&p->params, w->data, bias_data, folded);
  else
    q8_ref_depthwise_conv_2d_fold_bias_qu8(&p->params, w->data, bias_data, folded);
  p->folded_bias = folded;
  return q8_depthwise_conv_2d_plan_kernels(ctx, p, w->data, bias_data, q.is_signed, plan);
}
