/* CONV_2D prepare: shapes, padding, per-channel multipliers, activation clamp and the bias
   with zero-point terms folded in (TFLite micro/kernels/conv_common.cc, kernel_util.cc). */
#include "ops/conv-2d.h"
#include "ops/conv-quant.h"

/* TFLite conv filters are [out_c, kernel_h, kernel_w, in_c], quantized along dimension 0. */
enum { CONV_FILTER_CHANNEL_AXIS = 0 };

static q8_status check_shapes(q8_prepare_ctx *ctx, const q8_op_tensor *input,
                              const q8_op_tensor *filter) {
  q8_status s = q8_op_check_rank(ctx, input, 4);
  if (s == Q8_OK) s = q8_op_check_rank(ctx, filter, 4);
  if (s != Q8_OK) return s;
  const int32_t in_c = input->tensor->dims[3], filter_in_c = filter->tensor->dims[3];
  if (filter_in_c != in_c)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, filter,
                             "[O,H,W,I] with I = %d, expected I = %d (the input's channels; "
                             "grouped convolution is not supported)",
                             (int)filter_in_c, (int)in_c);
  return Q8_OK;
}

static void fill_params(q8_conv_2d_params *p, const q8_tensor *in, const q8_tensor *filter,
                        const q8_node *node, const q8_conv_geometry *g,
                        const q8_conv_quant *q) {
  p->batch = in->dims[0];
  p->in_h = in->dims[1];
  p->in_w = in->dims[2];
  p->in_c = in->dims[3];
  p->out_h = g->out_h;
  p->out_w = g->out_w;
  p->out_c = filter->dims[0];
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

/* The packed GEMM: one row per output pixel, K = kernel_h * kernel_w * in_c. */
static q8_status prepare_gemm(q8_prepare_ctx *ctx, const q8_conv_2d_params *p,
                              const uint8_t *filter, const int32_t *folded,
                              const q8_conv_quant *q, q8_quant_gemm *gemm, size_t *scratch_bytes) {
  const q8_quant_gemm_desc d = {
      .quant = q,
      .m = (size_t)p->batch * (size_t)p->out_h * (size_t)p->out_w,
      .n = (size_t)p->out_c,
      .weights = filter,
      .folded_bias = folded,
      .geometry = q8_quant_gemm_conv_geometry(p),
  };
  return q8_quant_gemm_prepare(ctx, &d, gemm, scratch_bytes);
}

q8_status q8_prepare_conv_2d(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                             q8_op_plan *plan) {
  q8_status s = q8_conv_check_arity(ctx, node);
  if (s != Q8_OK) return s;
  const q8_op_tensor input = q8_op_input(node, tensors, 0, "input");
  const q8_op_tensor filter = q8_op_input(node, tensors, 1, "filter");
  const q8_op_tensor bias = q8_op_input(node, tensors, 2, "bias");
  const q8_op_tensor output = q8_op_output(node, tensors, 0, "output");
  if ((s = check_shapes(ctx, &input, &filter)) != Q8_OK) return s;
  const q8_tensor *in = input.tensor, *w = filter.tensor;
  const int32_t out_c = w->dims[0];
  if ((s = q8_conv_check_constants(ctx, &filter, &bias, out_c)) != Q8_OK) return s;

  q8_conv_geometry g;
  s = q8_conv_geometry_resolve(ctx, node, in->dims[1], in->dims[2], w->dims[1], w->dims[2], &g);
  if (s != Q8_OK) return s;
  const int32_t out_dims[4] = {in->dims[0], g.out_h, g.out_w, out_c};
  if ((s = q8_prepare_set_shape(ctx, output.tensor, 4, out_dims)) != Q8_OK) return s;

  q8_conv_quant q;
  s = q8_conv_quant_resolve(ctx, &input, &filter, &bias, &output, out_c,
                            CONV_FILTER_CHANNEL_AXIS, Q8_MULTIPLIER_PER_CHANNEL,
                            node->opt.conv.activation, &q);
  if (s != Q8_OK) return s;

  q8_conv_2d_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  int32_t *folded = NULL;
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  if ((s = q8_conv_alloc_i32(ctx, out_c, &folded)) != Q8_OK) return s;
  fill_params(&p->params, in, w, node, &g, &q);
  const int32_t *bias_data = bias.tensor != NULL ? bias.tensor->data : NULL;
  if (q.is_signed)
    q8_ref_conv_2d_fold_bias_qs8(&p->params, w->data, bias_data, folded);
  else
    q8_ref_conv_2d_fold_bias_qu8(&p->params, w->data, bias_data, folded);
  p->folded_bias = folded;
  plan->params = p;
  if (q8_prepare_isa(ctx) != Q8_ISA_REF) {
    plan->run = q8_run_conv_2d_gemm;
    return prepare_gemm(ctx, &p->params, w->data, folded, &q, &p->gemm,
                        &plan->scratch_bytes);
  }
  plan->run = q.is_signed ? q8_run_conv_2d_qs8 : q8_run_conv_2d_qu8;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
