/* SOFTMAX on float32 tensors over the last dimension: exp(beta * (x - max)) / sum, as
   TFLite's reference float softmax. */
#include <math.h>

#include "ops/float-ops.h"
#include "ops/prepare-checks.h"

typedef struct softmax_plan {
  size_t rows, depth;
  float beta;
} softmax_plan;

static void run_softmax(const void *params, const void *const *inputs, void *const *outputs,
                        void *scratch) {
  (void)scratch;
  const softmax_plan *p = params;
  const float *in = inputs[0];
  float *out = outputs[0];
  for (size_t r = 0; r < p->rows; r++, in += p->depth, out += p->depth) {
    float max = in[0];
    for (size_t i = 1; i < p->depth; i++) max = in[i] > max ? in[i] : max;
    float sum = 0.0f;
    for (size_t i = 0; i < p->depth; i++) sum += out[i] = expf(p->beta * (in[i] - max));
    for (size_t i = 0; i < p->depth; i++) out[i] /= sum;
  }
}

q8_status q8_prepare_softmax_float(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                   q8_op_plan *plan) {
  q8_tensor *in, *out;
  q8_status s = q8_get_float_unary_io(ctx, node, tensors, &in, &out);
  if (s == Q8_OK && in->rank < 1)
    s = q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "input '%s': rank 0, expected >= 1",
                        in->name);
  if (s == Q8_OK) s = q8_prepare_set_shape(ctx, out, in->rank, in->dims);
  if (s != Q8_OK) return s;
  softmax_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  p->depth = (size_t)in->dims[in->rank - 1];
  p->rows = p->depth > 0 ? q8_tensor_elements(in) / p->depth : 0;
  p->beta = node->opt.softmax.beta;
  plan->run = run_softmax;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
