/* TANH prepare: TFLM tanh.cc CalculateArithmeticOpData (kInputIntegerBits 4, frexp(in_scale *
   2^27), multiplier round(q * 2^31), radius CalculateInputRadius(4, shift, 31)). int8 output
   is 1/128 zero point 0; uint8 (reference/tanh.h's uint8 Tanh, whose left shift must be
   >= 0) is 1/128 zero point 128. TFLM itself does not check the output parameters; the
   kernels write those formats whatever the file says, so q8 refuses any other. */
#include "ops/tanh.h"
#include "ops/unary-prepare.h"
#include "quant/multiplier.h"

enum { INPUT_INTEGER_BITS = 4 };

q8_status q8_prepare_tanh(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                          q8_op_plan *plan) {
  q8_tensor *in, *out;
  q8_status s = q8_prepare_unary_8bit(ctx, node, tensors, 0, &in, &out);
  if (s != Q8_OK) return s;
  const bool is_signed = in->type == Q8_TYPE_INT8;
  s = q8_check_fixed_output_quant(ctx, out, 1.0f / 128.0f, "1/128", is_signed ? 0 : 128);
  if (s != Q8_OK) return s;

  q8_tanh_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  const double real = (double)in->quant.scale[0] * (double)(1 << (31 - INPUT_INTEGER_BITS));
  int shift = 0;
  if (q8_frexp_multiplier(real, &p->params.input_multiplier, &shift) != 0 || shift < -31 ||
      (!is_signed && shift < 0))
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "input '%s': scale %.9g is out of range%s", in->name,
                           (double)in->quant.scale[0],
                           is_signed ? "" : " (uint8 TANH needs scale * 2^27 >= 1/2)");
  p->params.input_left_shift = shift;
  p->params.input_zero_point = in->quant.zero_point[0];
  p->params.input_range_radius = q8_calculate_input_radius(INPUT_INTEGER_BITS, shift, 31);
  p->elements = q8_unary_elements(in);
  p->is_signed = is_signed;

  plan->run = q8_run_tanh;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
