/* LOGISTIC prepare: TFLM logistic_common.cc CalculateArithmeticOpDataLogistic for int8
   (output scale 1/256, zero point -128). uint8 is refused: at the pinned tflite-micro commit
   there is no uint8 reference kernel (reference/logistic.h has float, int16 and a float-based
   int8 only) and TFLM rejects it, so there is no normative rule to be exact with. */
#include "ops/logistic.h"
#include "ops/unary-prepare.h"
#include "quant/multiplier.h"

enum { INPUT_INTEGER_BITS = 4 };

q8_status q8_prepare_logistic(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                              q8_op_plan *plan) {
  q8_tensor *in, *out;
  q8_status s = q8_prepare_unary_8bit(ctx, node, tensors, 0, &in, &out);
  if (s != Q8_OK) return s;
  if (in->type != Q8_TYPE_INT8)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "input '%s': LOGISTIC supports int8 only, found %s (TFLite has no "
                           "uint8 reference LOGISTIC kernel to be bit-exact with)",
                           in->name, q8_type_name(in->type));
  s = q8_check_fixed_output_quant(ctx, out, 1.0f / 256.0f, "1/256", -128);
  if (s != Q8_OK) return s;

  q8_logistic_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  const double real = (double)in->quant.scale[0] * (double)(1 << (31 - INPUT_INTEGER_BITS));
  int shift = 0;
  if (q8_frexp_multiplier(real, &p->params.input_multiplier, &shift) != 0 || shift < -31)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "input '%s': scale %.9g is out of range",
                           in->name, (double)in->quant.scale[0]);
  p->params.input_left_shift = shift;
  p->params.input_zero_point = in->quant.zero_point[0];
  p->params.input_range_radius = q8_calculate_input_radius(INPUT_INTEGER_BITS, shift, 31);
  p->elements = q8_unary_elements(in);

  plan->run = q8_run_logistic;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
