/* Prepare-time quantization checks and multipliers of the conv-like operators (CONV_2D,
   DEPTHWISE_CONV_2D, FULLY_CONNECTED), after TFLite kernel_util.cc. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "ops/conv-quant.h"
#include "quant/multiplier.h"

/* Slot k of a node's inputs or outputs; slots names "input k" / "output k" for messages. */
static q8_op_tensor op_tensor(int32_t count, const int32_t *indices, q8_tensor *tensors,
                              int32_t k, const char *role, const char *const *slots,
                              int32_t n_slots) {
  q8_op_tensor t = {role, k < n_slots ? slots[k] : "", -1, NULL};
  if (k < count && indices[k] >= 0) {
    t.index = indices[k];
    t.tensor = &tensors[indices[k]];
  }
  return t;
}

q8_op_tensor q8_op_input(const q8_node *node, q8_tensor *tensors, int32_t k, const char *role) {
  static const char *const slots[] = {"input 0", "input 1", "input 2"};
  return op_tensor(node->n_inputs, node->inputs, tensors, k, role, slots, 3);
}

q8_op_tensor q8_op_output(const q8_node *node, q8_tensor *tensors, int32_t k, const char *role) {
  static const char *const slots[] = {"output 0"};
  return op_tensor(node->n_outputs, node->outputs, tensors, k, role, slots, 1);
}

q8_status q8_op_tensor_fail(q8_prepare_ctx *ctx, q8_status status, const q8_op_tensor *t,
                            const char *fmt, ...) {
  char detail[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  return q8_prepare_fail(ctx, status, "%s (%s, tensor %d '%s'): %s", t->role, t->slot,
                         (int)t->index, t->tensor != NULL ? t->tensor->name : "", detail);
}

q8_status q8_op_check_rank(q8_prepare_ctx *ctx, const q8_op_tensor *t, int32_t rank) {
  if (t->tensor->rank != rank)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, t, "rank %d, expected %d",
                             (int)t->tensor->rank, (int)rank);
  for (int32_t i = 0; i < rank; i++)
    if (t->tensor->dims[i] <= 0)
      return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, t,
                               "dimension %d is %d, expected at least 1", (int)i,
                               (int)t->tensor->dims[i]);
  return Q8_OK;
}

q8_status q8_conv_check_arity(q8_prepare_ctx *ctx, const q8_node *node) {
  if (node->n_inputs != 2 && node->n_inputs != 3)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "%d inputs, expected 2 or 3 (input, filter, optional bias)",
                           (int)node->n_inputs);
  if (node->n_outputs != 1)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "%d outputs, expected 1",
                           (int)node->n_outputs);
  if (node->inputs[0] < 0 || node->inputs[1] < 0)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "input %d is absent, but required",
                           node->inputs[0] < 0 ? 0 : 1);
  if (node->outputs[0] < 0)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "output 0 is absent");
  return Q8_OK;
}

q8_status q8_conv_check_constants(q8_prepare_ctx *ctx, const q8_op_tensor *filter,
                                  const q8_op_tensor *bias, int32_t channels) {
  const size_t weights = q8_tensor_elements(filter->tensor);
  if (filter->tensor->data == NULL)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, filter,
                             "is not a constant; q8 needs constant weights");
  if (filter->tensor->data_size < weights)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, filter,
                             "holds %zu bytes, expected %zu", filter->tensor->data_size, weights);
  if (bias->tensor == NULL) return Q8_OK;
  if (bias->tensor->type != Q8_TYPE_INT32)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, bias, "type %s, expected int32",
                             q8_type_name(bias->tensor->type));
  const size_t n = q8_tensor_elements(bias->tensor);
  if (n != (size_t)channels)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, bias,
                             "%zu elements, expected %d (one per output channel)", n,
                             (int)channels);
  if (bias->tensor->data == NULL)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, bias,
                             "is not a constant; q8 needs a constant bias");
  if (bias->tensor->data_size < n * 4)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, bias, "holds %zu bytes, expected %zu",
                             bias->tensor->data_size, n * 4);
  return Q8_OK;
}

q8_status q8_conv_alloc_i32(q8_prepare_ctx *ctx, int32_t channels, int32_t **out) {
  *out = q8_prepare_alloc(ctx, (size_t)channels * sizeof(int32_t));
  if (*out == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  return Q8_OK;
}

static bool valid_scale(float s) { return isfinite(s) && s > 0.0f; }

/* Input and output: per-tensor quantization with a positive scale and a zero point inside
   the 8-bit type's range. */
static q8_status check_activation_quant(q8_prepare_ctx *ctx, const q8_op_tensor *t,
                                        int32_t qmin, int32_t qmax) {
  const q8_quant *q = &t->tensor->quant;
  if (q->count != 1)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, t,
                             "%d quantization scales, expected 1 (per-tensor)", (int)q->count);
  if (!valid_scale(q->scale[0]))
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, t,
                             "scale %g, expected a finite value > 0", (double)q->scale[0]);
  if (q->zero_point[0] < qmin || q->zero_point[0] > qmax)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, t,
                             "zero point %d outside [%d, %d]", (int)q->zero_point[0], (int)qmin,
                             (int)qmax);
  return Q8_OK;
}

/* Filter: one scale (per tensor) or one per output channel along channel_axis; int8
   weights must be symmetric (every zero point 0), uint8 weights per-tensor. */
static q8_status check_filter_quant(q8_prepare_ctx *ctx, const q8_op_tensor *f, bool is_signed,
                                    int32_t channels, int32_t channel_axis) {
  const q8_quant *q = &f->tensor->quant;
  if (q->count < 1)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, f, "not quantized, expected %s",
                             is_signed ? "int8 with per-channel or per-tensor scales"
                                       : "uint8 with a per-tensor scale");
  if (!is_signed && q->count != 1)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, f,
                             "%d scales; uint8 weights must be quantized per tensor (1 scale)",
                             (int)q->count);
  if (q->count != 1 && q->count != channels)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, f,
                             "%d scales, expected 1 or %d (one per output channel)",
                             (int)q->count, (int)channels);
  if (q->count > 1 && q->axis != channel_axis)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, f,
                             "quantized along dimension %d, expected %d (output channels)",
                             (int)q->axis, (int)channel_axis);
  for (int32_t c = 0; c < q->count; c++) {
    if (!valid_scale(q->scale[c]))
      return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, f,
                               "scale[%d] = %g, expected a finite value > 0", (int)c,
                               (double)q->scale[c]);
    const int32_t zp = q->zero_point[c];
    if (is_signed && zp != 0)
      return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, f,
                               "zero point[%d] = %d, expected 0 (int8 weights are symmetric)",
                               (int)c, (int)zp);
    if (!is_signed && (zp < 0 || zp > 255))
      return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, f, "zero point %d outside [0, 255]",
                               (int)zp);
  }
  return Q8_OK;
}

static q8_status check_types(q8_prepare_ctx *ctx, const q8_op_tensor *input,
                             const q8_op_tensor *filter, const q8_op_tensor *output) {
  const q8_type type = input->tensor->type;
  if (type != Q8_TYPE_INT8 && type != Q8_TYPE_UINT8)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, input, "type %s, expected int8 or uint8",
                             q8_type_name(type));
  if (filter->tensor->type != type)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, filter,
                             "type %s, expected %s like the input (hybrid models are not "
                             "supported)",
                             q8_type_name(filter->tensor->type), q8_type_name(type));
  if (output->tensor->type != type)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, output, "type %s, expected %s like the input",
                             q8_type_name(output->tensor->type), q8_type_name(type));
  return Q8_OK;
}

static q8_status quantize(q8_prepare_ctx *ctx, const q8_op_tensor *filter, int32_t c,
                          double real, int32_t *multiplier, int32_t *shift) {
  int s = 0;
  if (q8_quantize_multiplier(real, multiplier, &s) != 0)
    return q8_op_tensor_fail(ctx, Q8_ERROR_UNSUPPORTED, filter,
                             "channel %d: effective scale input*filter/output = %g cannot be "
                             "represented as a Q31 multiplier and shift",
                             (int)c, real);
  *shift = s;
  return Q8_OK;
}

/* TFLite GetQuantizedConvolutionMultipler (with its bias check): the product of the two
   float scales is rounded to float before the division in double. */
static q8_status per_tensor_multiplier(q8_prepare_ctx *ctx, const q8_op_tensor *bias, float in_scale, float w_scale,
                                       float out_scale, double *real) {
  if (bias->tensor != NULL && bias->tensor->quant.count >= 1) {
    const double product = (double)in_scale * (double)w_scale;
    const double diff = fabs(product - (double)bias->tensor->quant.scale[0]);
    if (diff / (double)out_scale > 0.02)
      return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, bias,
                               "scale %g differs from input scale * filter scale = %g by more "
                               "than 2%% of the output scale %g",
                               (double)bias->tensor->quant.scale[0], product, (double)out_scale);
  }
  *real = q8_conv_real_multiplier(true, in_scale, w_scale, out_scale);
  return Q8_OK;
}

q8_status q8_conv_quant_resolve(q8_prepare_ctx *ctx, const q8_op_tensor *input,
                                const q8_op_tensor *filter, const q8_op_tensor *bias,
                                const q8_op_tensor *output, int32_t channels,
                                int32_t channel_axis, q8_conv_multiplier_rule int8_rule,
                                q8_activation activation, q8_conv_quant *quant) {
  q8_status s = check_types(ctx, input, filter, output);
  if (s != Q8_OK) return s;
  const bool is_signed = input->tensor->type == Q8_TYPE_INT8;
  const int32_t qmin = is_signed ? -128 : 0, qmax = is_signed ? 127 : 255;
  if ((s = check_activation_quant(ctx, input, qmin, qmax)) != Q8_OK) return s;
  if ((s = check_activation_quant(ctx, output, qmin, qmax)) != Q8_OK) return s;
  if ((s = check_filter_quant(ctx, filter, is_signed, channels, channel_axis)) != Q8_OK) return s;
  if ((s = q8_conv_alloc_i32(ctx, channels, &quant->multiplier)) != Q8_OK) return s;
  if ((s = q8_conv_alloc_i32(ctx, channels, &quant->shift)) != Q8_OK) return s;

  const q8_quant *wq = &filter->tensor->quant;
  const float in_scale = input->tensor->quant.scale[0];
  const float out_scale = output->tensor->quant.scale[0];
  const bool per_tensor_rule = !is_signed || int8_rule == Q8_MULTIPLIER_PER_TENSOR;
  double per_tensor_real = 0.0;
  if (per_tensor_rule &&
      (s = per_tensor_multiplier(ctx, bias, in_scale, wq->scale[0], out_scale,
                                 &per_tensor_real)) != Q8_OK)
    return s;
  for (int32_t c = 0; c < channels; c++) {
    const float w_scale = wq->scale[wq->count > 1 ? c : 0];
    const double real = per_tensor_rule
                            ? per_tensor_real
                            : q8_conv_real_multiplier(false, in_scale, w_scale, out_scale);
    if ((s = quantize(ctx, filter, c, real, &quant->multiplier[c], &quant->shift[c])) != Q8_OK)
      return s;
  }

  quant->is_signed = is_signed;
  quant->input_zero_point = input->tensor->quant.zero_point[0];
  quant->weight_zero_point = wq->zero_point[0];
  quant->output_zero_point = output->tensor->quant.zero_point[0];
  if (q8_activation_range(activation, out_scale, quant->output_zero_point, qmin, qmax,
                          &quant->act_min, &quant->act_max) != 0)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, output,
                             "fused activation %s: its bounds do not fit int32 at scale %g",
                             q8_activation_name(activation), (double)out_scale);
  if (quant->act_min > quant->act_max)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, output,
                             "fused activation %s leaves an empty output range [%d, %d]",
                             q8_activation_name(activation), (int)quant->act_min,
                             (int)quant->act_max);
  return Q8_OK;
}

q8_status q8_conv_geometry_resolve(q8_prepare_ctx *ctx, const q8_node *node, int32_t in_h,
                                   int32_t in_w, int32_t kernel_h, int32_t kernel_w,
                                   q8_conv_geometry *g) {
  const int32_t sh = node->opt.conv.stride_h, sw = node->opt.conv.stride_w;
  const int32_t dh = node->opt.conv.dilation_h, dw = node->opt.conv.dilation_w;
  if (sh < 1 || sw < 1)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "stride %dx%d (h x w), expected >= 1",
                           (int)sh, (int)sw);
  if (dh < 1 || dw < 1)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "dilation %dx%d (h x w), expected >= 1", (int)dh, (int)dw);
  const q8_padding padding = node->opt.conv.padding;
  g->out_h = q8_conv_out_size(padding, in_h, kernel_h, sh, dh, &g->pad_top);
  g->out_w = q8_conv_out_size(padding, in_w, kernel_w, sw, dw, &g->pad_left);
  if (g->out_h <= 0 || g->out_w <= 0)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "kernel %dx%d with dilation %dx%d (extent %lldx%lld) does not fit "
                           "the %dx%d input with %s padding, or input plus extent passes "
                           "2^31 - 1 (the kernels' int32 indices)",
                           (int)kernel_h, (int)kernel_w, (int)dh, (int)dw,
                           (long long)(kernel_h - 1) * dh + 1, (long long)(kernel_w - 1) * dw + 1,
                           (int)in_h, (int)in_w, padding == Q8_PADDING_SAME ? "SAME" : "VALID");
  return Q8_OK;
}
