/* Checks shared by the prepare functions of the 8-bit operators (see prepare-checks.h). */
#include "ops/prepare-checks.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

q8_status q8_check_io_count(q8_prepare_ctx *ctx, const q8_node *node, int32_t min_inputs,
                            int32_t max_inputs, int32_t n_outputs) {
  if (node->n_inputs < min_inputs || node->n_inputs > max_inputs) {
    if (min_inputs == max_inputs)
      return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "expected %d inputs, found %d",
                             (int)min_inputs, (int)node->n_inputs);
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "expected %d to %d inputs, found %d",
                           (int)min_inputs, (int)max_inputs, (int)node->n_inputs);
  }
  if (node->n_outputs != n_outputs)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "expected %d outputs, found %d",
                           (int)n_outputs, (int)node->n_outputs);
  return Q8_OK;
}

q8_status q8_get_input(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors, int32_t k,
                       q8_tensor **t) {
  if (k >= node->n_inputs || node->inputs[k] < 0)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "input %d is absent", (int)k);
  *t = &tensors[node->inputs[k]];
  return Q8_OK;
}

q8_status q8_get_output(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                        int32_t k, q8_tensor **t) {
  if (k >= node->n_outputs || node->outputs[k] < 0)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "output %d is absent", (int)k);
  *t = &tensors[node->outputs[k]];
  return Q8_OK;
}

int32_t q8_type_qmin(q8_type type) { return type == Q8_TYPE_INT8 ? -128 : 0; }
int32_t q8_type_qmax(q8_type type) { return type == Q8_TYPE_INT8 ? 127 : 255; }

q8_status q8_check_quantized_8bit(q8_prepare_ctx *ctx, const q8_tensor *t, const char *role) {
  if (t->type != Q8_TYPE_INT8 && t->type != Q8_TYPE_UINT8)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "%s '%s': expected int8 or uint8, found %s",
                           role, t->name, q8_type_name(t->type));
  if (t->quant.count != 1)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "%s '%s': expected per-tensor quantization (1 scale), found %d scales",
                           role, t->name, (int)t->quant.count);
  const float scale = t->quant.scale[0];
  if (!(scale > 0.0f) || !isfinite(scale))
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "%s '%s': expected a finite scale > 0, found %g", role, t->name,
                           (double)scale);
  const int32_t zp = t->quant.zero_point[0];
  if (zp < q8_type_qmin(t->type) || zp > q8_type_qmax(t->type))
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "%s '%s': zero point %d is outside the %s range [%d, %d]", role,
                           t->name, (int)zp, q8_type_name(t->type), (int)q8_type_qmin(t->type),
                           (int)q8_type_qmax(t->type));
  return Q8_OK;
}

q8_status q8_check_same_type(q8_prepare_ctx *ctx, const q8_tensor *a, const char *role_a,
                             const q8_tensor *b, const char *role_b) {
  if (a->type != b->type)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "%s '%s' must have the type of %s '%s' (%s), found %s", role_b,
                           b->name, role_a, a->name, q8_type_name(a->type),
                           q8_type_name(b->type));
  return Q8_OK;
}

q8_status q8_check_same_quant(q8_prepare_ctx *ctx, const q8_tensor *a, const char *role_a,
                              const q8_tensor *b, const char *role_b) {
  const double sa = a->quant.scale[0], sb = b->quant.scale[0];
  const int32_t za = a->quant.zero_point[0], zb = b->quant.zero_point[0];
  if (za != zb || fabs(sa - sb) > 1e-6)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "%s '%s' must have the scale and zero point of %s '%s' (%.9g, %d), "
                           "found (%.9g, %d)",
                           role_b, b->name, role_a, a->name, sa, (int)za, sb, (int)zb);
  return Q8_OK;
}

const char *q8_format_shape(char *buf, size_t size, int32_t rank, const int32_t *dims) {
  size_t used = 0;
  buf[0] = '\0';
  used += (size_t)snprintf(buf, size, "[");
  for (int32_t i = 0; i < rank && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, i ? ",%d" : "%d", (int)dims[i]);
  if (used < size) snprintf(buf + used, size - used, "]");
  return buf;
}

q8_status q8_read_const_int32(q8_prepare_ctx *ctx, const q8_tensor *t, const char *role,
                              int32_t max_count, int32_t *values, int32_t *count) {
  if (t->data == NULL)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "%s '%s' must be a constant tensor; a computed one is not supported",
                           role, t->name);
  if (t->type != Q8_TYPE_INT32)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "%s '%s': expected int32, found %s", role,
                           t->name, q8_type_name(t->type));
  if (t->rank > 1)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "%s '%s': expected a 1-D tensor, found rank %d",
                           role, t->name, (int)t->rank);
  const size_t n = t->data_size / sizeof(int32_t);
  const size_t declared = t->rank == 0 ? 1 : (size_t)(t->dims[0] < 0 ? 0 : t->dims[0]);
  if (n < declared)
    return q8_prepare_fail(ctx, Q8_ERROR_MALFORMED, "%s '%s': %zu bytes of data for %zu elements",
                           role, t->name, t->data_size, declared);
  if (declared > (size_t)max_count)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "%s '%s': at most %d values, found %zu",
                           role, t->name, (int)max_count, declared);
  /* The runtime aligns int32 constants, but memcpy costs nothing here and needs no promise. */
  memcpy(values, t->data, declared * sizeof(int32_t));
  *count = (int32_t)declared;
  return Q8_OK;
}
