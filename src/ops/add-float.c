/* ADD on float32 tensors, with NumPy broadcasting (the 8-bit ADD's broadcast description)
   and the fused activation clamp. */
#include "ops/add.h"
#include "ops/float-ops.h"
#include "ops/prepare-checks.h"

typedef struct add_plan {
  q8_ref_broadcast bc;
  size_t elements;
  bool same_shape;
  q8_f32_minmax_params minmax;
} add_plan;

static float clampf(float v, const q8_f32_minmax_params *m) {
  v = v < m->min ? m->min : v;
  return v > m->max ? m->max : v;
}

static void run_add(const void *params, const void *const *inputs, void *const *outputs,
                    void *scratch) {
  (void)scratch;
  const add_plan *p = params;
  const float *x = inputs[0], *y = inputs[1];
  float *out = outputs[0];
  if (p->same_shape) {
    for (size_t i = 0; i < p->elements; i++) out[i] = clampf(x[i] + y[i], &p->minmax);
    return;
  }
  const int32_t *d = p->bc.dims;
  const int64_t *s1 = p->bc.strides1, *s2 = p->bc.strides2;
  for (int32_t a = 0; a < d[0]; a++)
    for (int32_t b = 0; b < d[1]; b++)
      for (int32_t c = 0; c < d[2]; c++)
        for (int32_t e = 0; e < d[3]; e++)
          for (int32_t f = 0; f < d[4]; f++) {
            const float *xr = x + a * s1[0] + b * s1[1] + c * s1[2] + e * s1[3] + f * s1[4];
            const float *yr = y + a * s2[0] + b * s2[1] + c * s2[2] + e * s2[3] + f * s2[4];
            for (int32_t g = 0; g < d[5]; g++)
              *out++ = clampf(xr[g * s1[5]] + yr[g * s2[5]], &p->minmax);
          }
}

q8_status q8_prepare_add_float(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                               q8_op_plan *plan) {
  q8_tensor *in1, *in2, *out;
  q8_status s = q8_check_io_count(ctx, node, 2, 2, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 1, &in2);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s == Q8_OK) s = q8_check_float32(ctx, in1, "input 0");
  if (s == Q8_OK) s = q8_check_float32(ctx, in2, "input 1");
  if (s == Q8_OK) s = q8_check_float32(ctx, out, "output");
  if (s != Q8_OK) return s;
  add_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  if ((s = q8_add_broadcast_shape(ctx, in1, in2, out, &p->bc)) != Q8_OK) return s;
  p->elements = q8_tensor_elements(out);
  p->same_shape = q8_tensor_elements(in1) == p->elements && q8_tensor_elements(in2) == p->elements;
  p->minmax = q8_f32_activation_minmax(node->opt.add.activation);
  plan->run = run_add;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}
