/* SQUEEZE prepare: drops the listed size-1 dimensions (negatives count from the end), or
   every size-1 dimension when the list is empty (TFLite squeeze.cc). */
#include "ops/copy.h"
#include "ops/prepare-checks.h"

q8_status q8_prepare_squeeze(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                             q8_op_plan *plan) {
  q8_tensor *in, *out;
  q8_status s = q8_check_io_count(ctx, node, 1, 1, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s != Q8_OK) return s;
  bool drop[Q8_MAX_RANK] = {false};
  const int32_t n = node->opt.squeeze.n_dims;
  char buf[128];
  for (int32_t i = 0; i < n; i++) {
    const int32_t d = node->opt.squeeze.dims[i];
    const int32_t a = d < 0 ? d + in->rank : d;
    if (a < 0 || a >= in->rank || in->dims[a] != 1)
      return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                             "squeeze_dims %d: input '%s' of shape %s has no size-1 dimension "
                             "there",
                             (int)d, in->name, q8_format_shape(buf, sizeof buf, in->rank, in->dims));
    drop[a] = true;
  }
  int32_t rank = 0, dims[Q8_MAX_RANK];
  for (int32_t a = 0; a < in->rank; a++)
    if (!(n > 0 ? drop[a] : in->dims[a] == 1)) dims[rank++] = in->dims[a];
  s = q8_prepare_set_shape(ctx, out, rank, dims);
  q8_copy_plan *p = NULL;
  if (s == Q8_OK) s = q8_prepare_copy_common(ctx, in, out, &p);
  if (s != Q8_OK) return s;
  plan->run = q8_run_squeeze;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
