/* QUANTIZE prepare: TFLM quantize_common.cc. 8-bit -> 8-bit requantizes with
   QuantizeMultiplier(in_scale / out_scale) (TFLM: int8->int8, int8->uint8, uint8->int8; q8
   also uint8->uint8 with the same math); float32 -> 8-bit is in quantize-float.c, which the
   integer-only build leaves out. */
#include "ops/prepare-checks.h"
#include "ops/quantize.h"
#include "quant/multiplier.h"

static q8_status prepare_requantize(q8_prepare_ctx *ctx, const q8_tensor *in,
                                    const q8_tensor *out, q8_op_plan *plan) {
  q8_status s = q8_check_quantized_8bit(ctx, in, "input");
  if (s != Q8_OK) return s;
  q8_requantize_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  const double real = (double)in->quant.scale[0] / (double)out->quant.scale[0];
  int shift;
  if (q8_quantize_multiplier(real, &p->params.multiplier, &shift) != 0)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "input/output scale ratio %.9g cannot be represented", real);
  p->params.shift = shift;
  p->params.input_signed = in->type == Q8_TYPE_INT8;
  p->params.output_signed = out->type == Q8_TYPE_INT8;
  p->params.input_zero_point = in->quant.zero_point[0];
  p->params.output_zero_point = out->quant.zero_point[0];
  p->count = q8_tensor_elements(in);
  plan->run = q8_run_requantize;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}

q8_status q8_prepare_quantize(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                              q8_op_plan *plan) {
  q8_tensor *in, *out;
  q8_status s = q8_check_io_count(ctx, node, 1, 1, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s == Q8_OK) s = q8_check_quantized_8bit(ctx, out, "output");
  if (s == Q8_OK) s = q8_prepare_set_shape(ctx, out, in->rank, in->dims);
  if (s != Q8_OK) return s;
  if (in->type == Q8_TYPE_FLOAT32) {
#ifdef Q8_INTEGER_ONLY
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "QUANTIZE from float32 needs floating point; this is the "
                           "integer-only build");
#else
    return q8_prepare_quantize_from_float(ctx, in, out, plan);
#endif
  }
  return prepare_requantize(ctx, in, out, plan);
}
