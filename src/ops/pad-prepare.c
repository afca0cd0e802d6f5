/* PAD prepare: TFLM pad_common.cc (constant int32 paddings [rank, 2], output dims = input +
   before + after) and pad.cc (8-bit without constant_values pads with the output zero point;
   a constant constant_values scalar must share the output's scale and zero point). */
#include "ops/pad.h"
#include "ops/prepare-checks.h"

static q8_status check_tensors(q8_prepare_ctx *ctx, const q8_tensor *in, const q8_tensor *out) {
  q8_status s = q8_check_quantized_8bit(ctx, in, "input");
  if (s == Q8_OK) s = q8_check_quantized_8bit(ctx, out, "output");
  if (s == Q8_OK) s = q8_check_same_type(ctx, in, "input", out, "output");
  /* TFLite copies the bytes whatever the parameters; different ones would be garbage. */
  if (s == Q8_OK) s = q8_check_same_quant(ctx, in, "input", out, "output");
  if (s == Q8_OK && (in->rank < 1 || in->rank > Q8_REF_PAD_MAX_RANK))
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "input '%s': rank %d, supported 1..%d",
                        in->name, (int)in->rank, Q8_REF_PAD_MAX_RANK);
  return s;
}

q8_status q8_pad_read_paddings(q8_prepare_ctx *ctx, const q8_tensor *pads, int32_t rank,
                               q8_ref_pad_params *p) {
  if (pads->type != Q8_TYPE_INT32)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "paddings '%s': expected int32, found %s (int64 paddings are not "
                           "supported)",
                           pads->name, q8_type_name(pads->type));
  if (pads->data == NULL)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "paddings '%s' must be a constant tensor", pads->name);
  if (pads->rank != 2 || pads->dims[0] != rank || pads->dims[1] != 2) {
    char buf[128];
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "paddings '%s': expected shape [%d,2], found %s", pads->name,
                           (int)rank, q8_format_shape(buf, sizeof buf, pads->rank, pads->dims));
  }
  if (pads->data_size < (size_t)rank * 2 * sizeof(int32_t))
    return q8_prepare_fail(ctx, Q8_ERROR_MALFORMED, "paddings '%s': %zu bytes of data",
                           pads->name, pads->data_size);
  const int32_t *v = pads->data;
  for (int32_t d = 0; d < rank; d++) {
    if (v[2 * d] < 0 || v[2 * d + 1] < 0)
      return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                             "paddings '%s': dimension %d has negative padding (%d, %d)",
                             pads->name, (int)d, (int)v[2 * d], (int)v[2 * d + 1]);
    p->before[d] = v[2 * d];
    p->after[d] = v[2 * d + 1];
  }
  return Q8_OK;
}

/* The optional third input: a constant scalar in the output's quantization. */
static q8_status pad_value(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                           const q8_tensor *out, uint8_t *value) {
  *value = (uint8_t)out->quant.zero_point[0];
  if (node->n_inputs < 3 || node->inputs[2] < 0) return Q8_OK;
  const q8_tensor *cv = &tensors[node->inputs[2]];
  q8_status s = q8_check_quantized_8bit(ctx, cv, "constant_values");
  if (s == Q8_OK) s = q8_check_same_type(ctx, out, "output", cv, "constant_values");
  if (s == Q8_OK) s = q8_check_same_quant(ctx, out, "output", cv, "constant_values");
  if (s == Q8_OK && (cv->data == NULL || q8_tensor_elements(cv) != 1 || cv->data_size < 1))
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                        "constant_values '%s' must be a constant scalar", cv->name);
  if (s == Q8_OK) *value = *(const uint8_t *)cv->data;
  return s;
}

q8_status q8_pad_output_shape(q8_prepare_ctx *ctx, const q8_tensor *in, q8_tensor *out,
                              q8_ref_pad_params *p, int32_t *out_dims) {
  for (int32_t d = 0; d < in->rank; d++) {
    p->input_dims[d] = in->dims[d];
    const int64_t dim = (int64_t)in->dims[d] + p->before[d] + p->after[d];
    if (dim > INT32_MAX)
      return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "output dimension %d overflows",
                             (int)d);
    out_dims[d] = (int32_t)dim;
  }
  return q8_prepare_set_shape(ctx, out, in->rank, out_dims);
}

q8_status q8_prepare_pad(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                         q8_op_plan *plan) {
  q8_tensor *in, *pads, *out;
  q8_status s = q8_check_io_count(ctx, node, 2, 3, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 1, &pads);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s == Q8_OK) s = check_tensors(ctx, in, out);
  if (s != Q8_OK) return s;

  q8_ref_pad_params *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  p->rank = in->rank;
  s = q8_pad_read_paddings(ctx, pads, in->rank, p);
  if (s == Q8_OK) s = pad_value(ctx, node, tensors, out, &p->value);
  if (s != Q8_OK) return s;
  int32_t out_dims[Q8_REF_PAD_MAX_RANK];
  s = q8_pad_output_shape(ctx, in, out, p, out_dims);
  if (s != Q8_OK) return s;
  plan->run = q8_run_pad;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
