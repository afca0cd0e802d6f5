/* FULLY_CONNECTED prepare: flattening, output shape (keep_num_dims), multipliers,
   activation clamp and the folded bias (TFLite micro/kernels/fully_connected_common.cc,
   lite/kernels/fully_connected.cc for the output shape). */
#include "ops/conv-quant.h"
#include "ops/fully-connected.h"

/* Weights are [units, depth]; per-channel scales lie along dimension 0. */
enum { FC_WEIGHTS_CHANNEL_AXIS = 0 };

/* The input is read as [batch, depth]: batch = elements / depth, which must divide. With
   keep_num_dims the output is the input's shape with the last dimension replaced by units
   (the last dimension must then be depth); otherwise [batch, units]. */
static q8_status output_shape(q8_prepare_ctx *ctx, const q8_node *node,
                              const q8_op_tensor *input, int32_t depth, int32_t units,
                              int32_t *batch, int32_t *rank, int32_t *dims) {
  const q8_tensor *in = input->tensor;
  if (in->rank < 1)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, input, "rank 0, expected at least 1");
  const size_t elements = q8_tensor_elements(in);
  if (elements == 0 || elements % (size_t)depth != 0 || elements / (size_t)depth > INT32_MAX)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, input,
                             "%zu elements, expected a non-zero multiple of the weights' "
                             "depth %d",
                             elements, (int)depth);
  *batch = (int32_t)(elements / (size_t)depth);
  if (!node->opt.fully_connected.keep_num_dims) {
    *rank = 2;
    dims[0] = *batch;
    dims[1] = units;
    return Q8_OK;
  }
  if (in->dims[in->rank - 1] != depth)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, input,
                             "last dimension %d, expected the weights' depth %d "
                             "(keep_num_dims)",
                             (int)in->dims[in->rank - 1], (int)depth);
  *rank = in->rank;
  for (int32_t i = 0; i < in->rank; i++) dims[i] = in->dims[i];
  dims[in->rank - 1] = units;
  return Q8_OK;
}

/* The packed GEMM: one row per batch entry, a 1x1 window over depth channels. */
static q8_status prepare_gemm(q8_prepare_ctx *ctx, const q8_fully_connected_params *p,
                              const uint8_t *weights, const int32_t *folded,
                              const q8_conv_quant *q, q8_quant_gemm *gemm, size_t *scratch_bytes) {
  const q8_quant_gemm_desc d = {
      .quant = q,
      .m = (size_t)p->batch,
      .n = (size_t)p->units,
      .weights = weights,
      .folded_bias = folded,
      .geometry = {.in_h = 1, .in_w = 1, .in_c = p->depth, .out_h = 1, .out_w = 1,
                   .kernel_h = 1, .kernel_w = 1, .stride_h = 1, .stride_w = 1,
                   .dilation_h = 1, .dilation_w = 1},
  };
  return q8_quant_gemm_prepare(ctx, &d, gemm, scratch_bytes);
}

q8_status q8_prepare_fully_connected(q8_prepare_ctx *ctx, const q8_node *node,
                                     q8_tensor *tensors, q8_op_plan *plan) {
  q8_status s = q8_conv_check_arity(ctx, node);
  if (s != Q8_OK) return s;
  const q8_op_tensor input = q8_op_input(node, tensors, 0, "input");
  const q8_op_tensor weights = q8_op_input(node, tensors, 1, "weights");
  const q8_op_tensor bias = q8_op_input(node, tensors, 2, "bias");
  const q8_op_tensor output = q8_op_output(node, tensors, 0, "output");
  if ((s = q8_op_check_rank(ctx, &weights, 2)) != Q8_OK) return s;
  const q8_tensor *w = weights.tensor;
  const int32_t units = w->dims[0], depth = w->dims[1];
  if ((s = q8_conv_check_constants(ctx, &weights, &bias, units)) != Q8_OK) return s;

  int32_t batch = 0, rank = 0, dims[Q8_MAX_RANK];
  if ((s = output_shape(ctx, node, &input, depth, units, &batch, &rank, dims)) != Q8_OK) return s;
  if ((s = q8_prepare_set_shape(ctx, output.tensor, rank, dims)) != Q8_OK) return s;

  /* Per-channel weights use TFLite's per-channel formula; per-tensor ones
     GetQuantizedConvolutionMultipler (fully_connected_common.cc). */
  const q8_conv_multiplier_rule rule =
      w->quant.count > 1 ? Q8_MULTIPLIER_PER_CHANNEL : Q8_MULTIPLIER_PER_TENSOR;
  q8_conv_quant q;
  s = q8_conv_quant_resolve(ctx, &input, &weights, &bias, &output, units,
                            FC_WEIGHTS_CHANNEL_AXIS, rule, node->opt.fully_connected.activation,
                            &q);
  if (s != Q8_OK) return s;

  q8_fully_connected_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  int32_t *folded = NULL;
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  if ((s = q8_conv_alloc_i32(ctx, units, &folded)) != Q8_OK) return s;
  p->params = (q8_fully_connected_params){
      .batch = batch,
      .depth = depth,
      .units = units,
      .input_zero_point = q.input_zero_point,
      .weight_zero_point = q.weight_zero_point,
      .output_zero_point = q.output_zero_point,
      .multiplier = q.multiplier,
      .shift = q.shift,
      .act_min = q.act_min,
      .act_max = q.act_max,
  };
  const int32_t *bias_data = bias.tensor != NULL ? bias.tensor->data : NULL;
  if (q.is_signed)
    q8_ref_fully_connected_fold_bias_qs8(&p->params, w->data, bias_data, folded);
  else
    q8_ref_fully_connected_fold_bias_qu8(&p->params, w->data, bias_data, folded);
  p->folded_bias = folded;
  plan->params = p;
  if (q8_prepare_isa(ctx) != Q8_ISA_REF) {
    plan->run = q8_run_fully_connected_gemm;
    return prepare_gemm(ctx, &p->params, w->data, folded, &q, &p->gemm,
                        &plan->scratch_bytes);
  }
  plan->run = q.is_signed ? q8_run_fully_connected_qs8 : q8_run_fully_connected_qu8;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
