/* DEQUANTIZE int8/uint8 -> float32: TFLite reference_ops::Dequantize as TFLM's
   dequantize_common.cc prepares it: (float)(double(scale) * (q - zero_point)). Prepare and
   run both here: the integer-only build has no DEQUANTIZE at all. */
#include "ops/prepare-checks.h"

typedef struct dequantize_plan {
  double scale;
  int32_t zero_point;
  bool is_signed;
  size_t count;
} dequantize_plan;

static void run_dequantize(const void *params, const void *const *inputs, void *const *outputs,
                           void *scratch) {
  (void)scratch;
  const dequantize_plan *p = params;
  float *out = outputs[0];
  for (size_t i = 0; i < p->count; i++) {
    const int32_t q = p->is_signed ? ((const int8_t *)inputs[0])[i]
                                   : ((const uint8_t *)inputs[0])[i];
    out[i] = (float)(p->scale * (double)(q - p->zero_point));
  }
}

q8_status q8_prepare_dequantize(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                q8_op_plan *plan) {
  q8_tensor *in, *out;
  q8_status s = q8_check_io_count(ctx, node, 1, 1, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s == Q8_OK) s = q8_check_quantized_8bit(ctx, in, "input");
  if (s == Q8_OK && out->type != Q8_TYPE_FLOAT32)
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "output '%s': expected float32, found %s",
                        out->name, q8_type_name(out->type));
  if (s == Q8_OK) s = q8_prepare_set_shape(ctx, out, in->rank, in->dims);
  if (s != Q8_OK) return s;
  dequantize_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  p->scale = (double)in->quant.scale[0];
  p->zero_point = in->quant.zero_point[0];
  p->is_signed = in->type == Q8_TYPE_INT8;
  p->count = q8_tensor_elements(in);
  plan->run = run_dequantize;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
