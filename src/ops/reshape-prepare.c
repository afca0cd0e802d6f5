/* RESHAPE prepare: the new shape from a constant int32 1-D second input, else from
   ReshapeOptions.new_shape, else the output's own shape in the file; one -1 is resolved from
   the element count (TFLite reshape's rule); element counts must match. */
#include <stdint.h>

#include "ops/copy.h"
#include "ops/prepare-checks.h"

q8_status q8_prepare_copy_common(q8_prepare_ctx *ctx, const q8_tensor *in, const q8_tensor *out,
                                 q8_copy_plan **plan) {
  q8_status s = q8_check_same_type(ctx, in, "input", out, "output");
  if (s == Q8_OK && (in->quant.count > 1 || out->quant.count > 1))
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                        "input '%s' / output '%s': per-channel quantization is not supported",
                        in->name, out->name);
  if (s == Q8_OK && in->quant.count != out->quant.count)
    s = q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                        "input '%s' and output '%s' must both be quantized or both not",
                        in->name, out->name);
  /* A byte copy is only right when both sides read the bytes the same way. */
  if (s == Q8_OK && in->quant.count == 1)
    s = q8_check_same_quant(ctx, in, "input", out, "output");
  if (s != Q8_OK) return s;
  *plan = q8_prepare_alloc(ctx, sizeof **plan);
  if (*plan == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  (*plan)->bytes = q8_tensor_elements(in) * q8_type_size(in->type);
  return Q8_OK;
}

/* The requested shape, before -1 is resolved. */
static q8_status requested_shape(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                 const q8_tensor *out, int32_t *rank, int32_t *dims) {
  if (node->n_inputs >= 2 && node->inputs[1] >= 0) {
    const q8_tensor *shape = &tensors[node->inputs[1]];
    if (shape->data == NULL)
      return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                             "shape input '%s' is computed at run time; only a constant shape "
                             "is supported",
                             shape->name);
    return q8_read_const_int32(ctx, shape, "shape input", Q8_MAX_RANK, dims, rank);
  }
  if (node->opt.reshape.has_new_shape) {
    *rank = node->opt.reshape.rank;
    for (int32_t i = 0; i < *rank; i++) dims[i] = node->opt.reshape.new_shape[i];
    return Q8_OK;
  }
  *rank = out->rank;
  for (int32_t i = 0; i < *rank; i++) dims[i] = out->dims[i];
  return Q8_OK;
}

/* Replaces a single -1 by what makes the element count equal to the input's. */
static q8_status resolve_shape(q8_prepare_ctx *ctx, const q8_tensor *in, int32_t rank,
                               int32_t *dims) {
  const size_t elements = q8_tensor_elements(in);
  int32_t unknown = -1;
  size_t known = 1;
  char buf[128];
  for (int32_t i = 0; i < rank; i++) {
    if (dims[i] == -1 && unknown < 0) {
      unknown = i;
    } else if (dims[i] < 0) {
      return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                             "new shape %s: only one -1 and no other negative size allowed",
                             q8_format_shape(buf, sizeof buf, rank, dims));
    } else if (dims[i] > 0 && known > SIZE_MAX / (size_t)dims[i]) {
      /* Checked before multiplying: six int32 sizes can wrap 64 bits (65536^4 is 0). */
      return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                             "new shape %s has too many elements (the product overflows) for "
                             "the %zu of input '%s'",
                             q8_format_shape(buf, sizeof buf, rank, dims), elements, in->name);
    } else {
      known *= (size_t)dims[i];
    }
  }
  if (unknown >= 0) {
    if (known == 0 || elements % known != 0 || elements / known > INT32_MAX)
      return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                             "new shape %s: cannot hold the %zu elements of input '%s'",
                             q8_format_shape(buf, sizeof buf, rank, dims), elements, in->name);
    dims[unknown] = (int32_t)(elements / known);
    known *= (size_t)dims[unknown];
  }
  if (known != elements)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "new shape %s has %zu elements, input '%s' has %zu",
                           q8_format_shape(buf, sizeof buf, rank, dims), known, in->name,
                           elements);
  return Q8_OK;
}

q8_status q8_prepare_reshape(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                             q8_op_plan *plan) {
  q8_tensor *in, *out;
  q8_status s = q8_check_io_count(ctx, node, 1, 2, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s != Q8_OK) return s;
  int32_t rank = 0, dims[Q8_MAX_RANK];
  s = requested_shape(ctx, node, tensors, out, &rank, dims);
  if (s == Q8_OK) s = resolve_shape(ctx, in, rank, dims);
  if (s == Q8_OK) s = q8_prepare_set_shape(ctx, out, rank, dims);
  q8_copy_plan *p = NULL;
  if (s == Q8_OK) s = q8_prepare_copy_common(ctx, in, out, &p);
  if (s != Q8_OK) return s;
  plan->run = q8_run_reshape;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
