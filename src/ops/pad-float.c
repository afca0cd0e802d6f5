/* PAD on float32 tensors: the output filled with the pad value (the optional constant
   scalar third input, else 0), then each innermost row of the input copied in place. */
#include <string.h>

#include "ops/float-ops.h"
#include "ops/pad.h"
#include "ops/prepare-checks.h"

typedef struct pad_plan {
  q8_ref_pad_params pad;
  int32_t out_dims[Q8_REF_PAD_MAX_RANK];
  size_t out_elements;
  float value;
} pad_plan;

static void run_pad(const void *params, const void *const *inputs, void *const *outputs,
                    void *scratch) {
  (void)scratch;
  const pad_plan *p = params;
  const int32_t rank = p->pad.rank, last = rank - 1;
  float *out = outputs[0];
  const float *in = inputs[0];
  for (size_t i = 0; i < p->out_elements; i++) out[i] = p->value;
  size_t rows = 1;
  for (int32_t d = 0; d < last; d++) rows *= (size_t)p->pad.input_dims[d];
  const size_t row_len = (size_t)p->pad.input_dims[last];
  int32_t idx[Q8_REF_PAD_MAX_RANK] = {0}; /* input index of the current row */
  for (size_t r = 0; r < rows; r++, in += row_len) {
    size_t o = 0;
    for (int32_t d = 0; d < last; d++) o = o * (size_t)p->out_dims[d] + (size_t)(idx[d] + p->pad.before[d]);
    o = o * (size_t)p->out_dims[last] + (size_t)p->pad.before[last];
    memcpy(out + o, in, row_len * sizeof(float));
    for (int32_t d = last - 1; d >= 0 && ++idx[d] == p->pad.input_dims[d]; d--) idx[d] = 0;
  }
}

static q8_status pad_value(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                           float *value) {
  *value = 0.0f;
  if (node->n_inputs < 3 || node->inputs[2] < 0) return Q8_OK;
  const q8_tensor *cv = &tensors[node->inputs[2]];
  q8_status s = q8_check_const_float32(ctx, cv, "constant_values", 1);
  if (s == Q8_OK) *value = *(const float *)cv->data;
  return s;
}

q8_status q8_prepare_pad_float(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                               q8_op_plan *plan) {
  q8_tensor *in, *pads, *out;
  q8_status s = q8_check_io_count(ctx, node, 2, 3, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 1, &pads);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s == Q8_OK) s = q8_check_float32(ctx, in, "input");
  if (s == Q8_OK) s = q8_check_float32(ctx, out, "output");
  if (s == Q8_OK && (in->rank < 1 || in->rank > Q8_REF_PAD_MAX_RANK))
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "input '%s': rank %d, expected 1..%d",
                        in->name, (int)in->rank, Q8_REF_PAD_MAX_RANK);
  if (s != Q8_OK) return s;
  pad_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  p->pad.rank = in->rank;
  s = q8_pad_read_paddings(ctx, pads, in->rank, &p->pad);
  if (s == Q8_OK) s = pad_value(ctx, node, tensors, &p->value);
  if (s != Q8_OK) return s;
  if ((s = q8_pad_output_shape(ctx, in, out, &p->pad, p->out_dims)) != Q8_OK) return s;
  p->out_elements = q8_tensor_elements(out);
  plan->run = run_pad;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
