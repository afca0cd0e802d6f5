/* CONCATENATION prepare: TFLite concatenation rules (same rank, dims equal except on the
   axis, negative axis + rank, activation NONE as TFLM requires). 8-bit inputs whose scale or
   zero point differ from the output's are rescaled with q8's integer rule (TFLite's uint8
   ConcatenationWithScaling does it in float; TFLM's int8 copies bytes regardless). int32 and
   float32 inputs are copied. */
#include <stdio.h>

#include "ops/prepare-checks.h"
#include "quant/multiplier.h"
#include "ref/concatenation.h"

void q8_run_concatenation(const void *params, const void *const *inputs, void *const *outputs,
                          void *scratch);

static q8_status check_input(q8_prepare_ctx *ctx, const q8_tensor *in, int32_t k,
                             const q8_tensor *out, int32_t axis) {
  char role[32], a[128], b[128];
  snprintf(role, sizeof role, "input %d", (int)k);
  q8_status s = q8_check_same_type(ctx, out, "output", in, role);
  if (s == Q8_OK && out->quant.count > 0) s = q8_check_quantized_8bit(ctx, in, role);
  if (s != Q8_OK) return s;
  bool same = in->rank == out->rank;
  for (int32_t d = 0; same && d < out->rank; d++) same = d == axis || in->dims[d] == out->dims[d];
  if (!same)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "%s '%s' has shape %s; concatenating along axis %d into %s needs the "
                           "same rank and equal sizes off the axis",
                           role, in->name, q8_format_shape(a, sizeof a, in->rank, in->dims),
                           (int)axis, q8_format_shape(b, sizeof b, out->rank, out->dims));
  return Q8_OK;
}

/* Copy when the parameters are equal (TFLite's own test), else the integer rescale. */
static q8_status input_rule(q8_prepare_ctx *ctx, const q8_tensor *in, const q8_tensor *out,
                            q8_ref_concat_input *r) {
  r->rescale = false;
  if (out->quant.count == 0) return Q8_OK;
  const float s_in = in->quant.scale[0], s_out = out->quant.scale[0];
  r->zero_point = in->quant.zero_point[0];
  if (r->zero_point == out->quant.zero_point[0] && s_in == s_out) return Q8_OK;
  int shift;
  if (q8_quantize_multiplier((double)s_in / (double)s_out, &r->multiplier, &shift) != 0)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "input '%s': scale ratio %.9g to the output cannot be represented",
                           in->name, (double)s_in / (double)s_out);
  r->shift = shift;
  r->rescale = true;
  return Q8_OK;
}

q8_status q8_prepare_concatenation(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                   q8_op_plan *plan) {
  q8_tensor *out;
  q8_status s = q8_check_io_count(ctx, node, 1, Q8_REF_CONCAT_MAX_INPUTS, 1);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s != Q8_OK) return s;
  if (out->quant.count > 0 || out->type == Q8_TYPE_INT8 || out->type == Q8_TYPE_UINT8)
    s = q8_check_quantized_8bit(ctx, out, "output");
  else if (out->type != Q8_TYPE_INT32 && out->type != Q8_TYPE_FLOAT32)
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "output '%s': type %s", out->name,
                        q8_type_name(out->type));
  if (s != Q8_OK) return s;
  if (node->opt.concatenation.activation != Q8_ACT_NONE)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "fused activation %s: only NONE is supported (as in TFLite Micro)",
                           q8_activation_name(node->opt.concatenation.activation));
  const int32_t axis = node->opt.concatenation.axis < 0
                           ? node->opt.concatenation.axis + out->rank
                           : node->opt.concatenation.axis;
  if (axis < 0 || axis >= out->rank)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "axis %d is outside rank %d",
                           (int)node->opt.concatenation.axis, (int)out->rank);

  q8_ref_concat_params *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  p->n_inputs = node->n_inputs;
  p->is_signed = out->type == Q8_TYPE_INT8;
  p->output_zero_point = out->quant.count > 0 ? out->quant.zero_point[0] : 0;
  p->outer = 1;
  size_t inner = q8_type_size(out->type);
  for (int32_t d = 0; d < axis; d++) p->outer *= (size_t)out->dims[d];
  for (int32_t d = axis + 1; d < out->rank; d++) inner *= (size_t)out->dims[d];
  int64_t axis_total = 0;
  for (int32_t k = 0; k < node->n_inputs; k++) {
    q8_tensor *in;
    s = q8_get_input(ctx, node, tensors, k, &in);
    if (s == Q8_OK) s = check_input(ctx, in, k, out, axis);
    if (s == Q8_OK) s = input_rule(ctx, in, out, &p->inputs[k]);
    if (s != Q8_OK) return s;
    p->inputs[k].axis_bytes = (size_t)in->dims[axis] * inner;
    axis_total += in->dims[axis];
  }
  int32_t dims[Q8_MAX_RANK];
  for (int32_t d = 0; d < out->rank; d++) dims[d] = out->dims[d];
  dims[axis] = axis_total > INT32_MAX ? -1 : (int32_t)axis_total;
  s = q8_prepare_set_shape(ctx, out, out->rank, dims);
  if (s != Q8_OK) return s;
  plan->run = q8_run_concatenation;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
