/* QUANTIZE from float32 to int8/uint8: TFLite reference_ops::AffineQuantize as TFLM's
   quantize_common.cc calls it: q = round(x / (float)scale) in float, ties away from zero
   (TfLiteRound), plus the zero point, clamped. Left out of the integer-only build. */
#include <math.h>

#include "ops/prepare-checks.h"
#include "ops/quantize.h"

typedef struct quantize_float_plan {
  float scale;
  int32_t zero_point, qmin, qmax;
  bool is_signed;
  size_t count;
} quantize_float_plan;

/* Clamping happens on the rounded float, so huge values and infinities never reach an
   int conversion (TFLite's static_cast of such values is undefined). NaN gives the zero
   point, q8's choice (TFLite's result is undefined). */
static int32_t quantize_one(const quantize_float_plan *p, float x) {
  const float r = roundf(x / p->scale);
  if (isnan(r)) return p->zero_point;
  if (r <= (float)(p->qmin - p->zero_point)) return p->qmin;
  if (r >= (float)(p->qmax - p->zero_point)) return p->qmax;
  return (int32_t)r + p->zero_point;
}

static void run_quantize_float(const void *params, const void *const *inputs,
                               void *const *outputs, void *scratch) {
  (void)scratch;
  const quantize_float_plan *p = params;
  const float *in = inputs[0];
  if (p->is_signed) {
    int8_t *out = outputs[0];
    for (size_t i = 0; i < p->count; i++) out[i] = (int8_t)quantize_one(p, in[i]);
  } else {
    uint8_t *out = outputs[0];
    for (size_t i = 0; i < p->count; i++) out[i] = (uint8_t)quantize_one(p, in[i]);
  }
}

q8_status q8_prepare_quantize_from_float(q8_prepare_ctx *ctx, const q8_tensor *in,
                                         const q8_tensor *out, q8_op_plan *plan) {
  (void)in;
  quantize_float_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  /* TFLM keeps the scale as a double but divides by static_cast<float>(scale): the float. */
  p->scale = out->quant.scale[0];
  p->zero_point = out->quant.zero_point[0];
  p->qmin = q8_type_qmin(out->type);
  p->qmax = q8_type_qmax(out->type);
  p->is_signed = out->type == Q8_TYPE_INT8;
  p->count = q8_tensor_elements(in);
  plan->run = run_quantize_float;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
