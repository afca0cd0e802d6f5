/* MEAN over height and width (axes [1,2]) of a float32 NHWC tensor: the sum in float, in
   row-major order, divided by the cell count. */
#include "ops/float-ops.h"
#include "ops/mean.h"
#include "ops/prepare-checks.h"

typedef struct mean_plan {
  int32_t batch, cells, channels;
} mean_plan;

static void run_mean(const void *params, const void *const *inputs, void *const *outputs,
                     void *scratch) {
  (void)scratch;
  const mean_plan *p = params;
  const float *in = inputs[0];
  float *out = outputs[0];
  for (int32_t b = 0; b < p->batch; b++, out += p->channels) {
    for (int32_t c = 0; c < p->channels; c++) out[c] = 0.0f;
    for (int32_t i = 0; i < p->cells; i++, in += p->channels)
      for (int32_t c = 0; c < p->channels; c++) out[c] += in[c];
    for (int32_t c = 0; c < p->channels; c++) out[c] /= (float)p->cells;
  }
}

q8_status q8_prepare_mean_float(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                q8_op_plan *plan) {
  q8_tensor *in, *axis, *out;
  q8_status s = q8_check_io_count(ctx, node, 2, 2, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 1, &axis);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s == Q8_OK) s = q8_check_float32(ctx, in, "input");
  if (s == Q8_OK) s = q8_check_float32(ctx, out, "output");
  if (s == Q8_OK && in->rank != 4)
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "input '%s': expected rank 4 (NHWC), found %d",
                        in->name, (int)in->rank);
  if (s == Q8_OK) s = q8_mean_check_axes(ctx, axis);
  if (s != Q8_OK) return s;
  if ((s = q8_mean_set_output_shape(ctx, node, in, out)) != Q8_OK) return s;
  mean_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  p->batch = in->dims[0];
  p->cells = in->dims[1] * in->dims[2];
  p->channels = in->dims[3];
  plan->run = run_mean;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
