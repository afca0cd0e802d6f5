/* Checks shared by the SOFTMAX, LOGISTIC and TANH prepare functions. */
#include "ops/unary-prepare.h"

#include "ops/prepare-checks.h"

q8_status q8_prepare_unary_8bit(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                int32_t min_rank, q8_tensor **in, q8_tensor **out) {
  q8_status s = q8_check_io_count(ctx, node, 1, 1, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, in);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, out);
  if (s == Q8_OK) s = q8_check_quantized_8bit(ctx, *in, "input");
  if (s == Q8_OK) s = q8_check_quantized_8bit(ctx, *out, "output");
  if (s == Q8_OK) s = q8_check_same_type(ctx, *in, "input", *out, "output");
  if (s != Q8_OK) return s;
  if ((*in)->rank < min_rank || (*in)->rank > Q8_MAX_RANK)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "input '%s': rank %d, supported %d..%d",
                           (*in)->name, (int)(*in)->rank, (int)min_rank, Q8_MAX_RANK);
  for (int32_t d = 0; d < (*in)->rank; d++)
    if ((*in)->dims[d] < 0)
      return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "input '%s': dimension %d is %d",
                             (*in)->name, (int)d, (int)(*in)->dims[d]);
  return q8_prepare_set_shape(ctx, *out, (*in)->rank, (*in)->dims);
}

q8_status q8_check_fixed_output_quant(q8_prepare_ctx *ctx, const q8_tensor *out,
                                      float scale, const char *scale_name, int32_t zero_point) {
  const float found_scale = out->quant.scale[0];
  const int32_t found_zp = out->quant.zero_point[0];
  if (found_scale != scale || found_zp != zero_point)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "output '%s' (%s): expected scale %s (%.9g) and zero point %d, found "
                           "scale %.9g and zero point %d",
                           out->name, q8_type_name(out->type), scale_name, (double)scale,
                           (int)zero_point, (double)found_scale, (int)found_zp);
  return Q8_OK;
}

size_t q8_unary_elements(const q8_tensor *t) {
  size_t n = 1;
  for (int32_t d = 0; d < t->rank; d++) n *= (size_t)t->dims[d];
  return n;
}
