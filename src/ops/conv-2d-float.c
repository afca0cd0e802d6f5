/* CONV_2D and FULLY_CONNECTED on float32 tensors: checks, output shape, then the float GEMM
   driver (gemm-float.c). */
#include "ops/gemm-float.h"

/* Input, filter (constant, `weights` floats), optional bias (constant, out_c floats) and
   output all float32. */
static q8_status check_float_tensors(q8_prepare_ctx *ctx, const q8_f32_conv_operands *o,
                                     size_t weights, int32_t out_c) {
  q8_status s = q8_check_float32(ctx, o->input.tensor, o->input.slot);
  if (s == Q8_OK) s = q8_check_float32(ctx, o->output.tensor, o->output.slot);
  if (s == Q8_OK) s = q8_check_const_float32(ctx, o->filter.tensor, o->filter.role, weights);
  if (s == Q8_OK && o->bias.tensor != NULL)
    s = q8_check_const_float32(ctx, o->bias.tensor, o->bias.role, (size_t)out_c);
  return s;
}

static const float *bias_data(const q8_op_tensor *bias) {
  return bias->tensor != NULL ? bias->tensor->data : NULL;
}

q8_status q8_prepare_conv_2d_float(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                   q8_op_plan *plan) {
  q8_f32_conv_operands o;
  q8_status s = q8_f32_conv_operands_get(ctx, node, tensors, "filter", &o);
  if (s == Q8_OK) s = q8_op_check_rank(ctx, &o.input, 4);
  if (s == Q8_OK) s = q8_op_check_rank(ctx, &o.filter, 4);
  if (s != Q8_OK) return s;
  const q8_tensor *in = o.input.tensor, *w = o.filter.tensor;
  if (w->dims[3] != in->dims[3])
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, &o.filter,
                             "[O,H,W,I] with I = %d, expected I = %d (the input's channels; "
                             "grouped convolution is not supported)",
                             (int)w->dims[3], (int)in->dims[3]);
  const int32_t out_c = w->dims[0];
  q8_f32_conv_geometry g;
  s = check_float_tensors(ctx, &o, q8_tensor_elements(w), out_c);
  if (s == Q8_OK)
    s = q8_f32_conv_geometry_init(ctx, node, in, w->dims[1], w->dims[2], out_c, o.output.tensor,
                                  &g);
  if (s != Q8_OK) return s;
  return q8_f32_gemm_plan_init(ctx, &g, w->data, bias_data(&o.bias), node->opt.conv.activation,
                               plan);
}

/* FULLY_CONNECTED: the input read as [batch, depth]; output [batch, units], or with
   keep_num_dims the input's shape with its last dimension replaced by units. */
q8_status q8_prepare_fully_connected_float(q8_prepare_ctx *ctx, const q8_node *node,
                                           q8_tensor *tensors, q8_op_plan *plan) {
  q8_f32_conv_operands o;
  q8_status s = q8_f32_conv_operands_get(ctx, node, tensors, "weights", &o);
  if (s == Q8_OK) s = q8_op_check_rank(ctx, &o.filter, 2);
  if (s != Q8_OK) return s;
  const q8_tensor *in = o.input.tensor, *w = o.filter.tensor;
  const int32_t units = w->dims[0], depth = w->dims[1];
  const size_t elements = q8_tensor_elements(in);
  if (in->rank < 1 || depth <= 0 || elements == 0 || elements % (size_t)depth != 0 ||
      elements / (size_t)depth > INT32_MAX)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, &o.input,
                             "%zu elements, expected a non-zero multiple of the weights' "
                             "depth %d",
                             elements, (int)depth);
  if ((s = check_float_tensors(ctx, &o, q8_tensor_elements(w), units)) != Q8_OK) return s;
  const int32_t batch = (int32_t)(elements / (size_t)depth);
  int32_t rank = 2, dims[Q8_MAX_RANK] = {batch, units};
  if (node->opt.fully_connected.keep_num_dims) {
    if (in->dims[in->rank - 1] != depth)
      return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, &o.input,
                               "keep_num_dims: last dimension %d, expected the depth %d",
                               (int)in->dims[in->rank - 1], (int)depth);
    rank = in->rank;
    for (int32_t d = 0; d < rank; d++) dims[d] = in->dims[d];
    dims[rank - 1] = units;
  }
  if ((s = q8_prepare_set_shape(ctx, o.output.tensor, rank, dims)) != Q8_OK) return s;
  const q8_f32_conv_geometry g = {
      .batch = batch, .in_h = 1, .in_w = 1, .in_c = depth, .out_h = 1, .out_w = 1,
      .out_c = units, .kernel_h = 1, .kernel_w = 1, .stride_h = 1, .stride_w = 1,
      .dilation_h = 1, .dilation_w = 1};
  return q8_f32_gemm_plan_init(ctx, &g, w->data, bias_data(&o.bias),
                               node->opt.fully_connected.activation, plan);
}
