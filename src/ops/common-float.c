/* Helpers of the float32 inference path: kernel choice per ISA path, activation clamps,
   type checks. */
#include <math.h>

#include "ops/float-ops.h"
#include "ops/prepare-checks.h"

void q8_f32_kernels_for(q8_isa isa, q8_f32_kernels *k) {
  k->gemm = q8_f32_gemm_minmax_ukernel_4x32__scalar;
  k->mr = 4;
  k->nr = 32;
  k->dwconv = q8_f32_dwconv_minmax_ukernel_c1__scalar;
#if Q8_HAVE_X86_KERNELS
  if (isa == Q8_ISA_AVX512VNNI) {
    k->gemm = q8_f32_gemm_minmax_ukernel_8x32__avx512vnni;
    k->mr = 8;
    k->nr = 32;
    k->dwconv = q8_f32_dwconv_minmax_ukernel_c16__avx512vnni;
  } else if (isa == Q8_ISA_AVX2) {
    k->gemm = q8_f32_gemm_minmax_ukernel_6x16__avx2;
    k->mr = 6;
    k->nr = 16;
    k->dwconv = q8_f32_dwconv_minmax_ukernel_c8__avx2;
  }
#elif Q8_HAVE_ARM_KERNELS
  if (isa == Q8_ISA_NEON || isa == Q8_ISA_NEONDOT) {
    k->gemm = q8_f32_gemm_minmax_ukernel_4x16__neon;
    k->mr = 4;
    k->nr = 16;
    k->dwconv = q8_f32_dwconv_minmax_ukernel_c4__neon;
  }
#else
  (void)isa;
#endif
}

q8_f32_minmax_params q8_f32_activation_minmax(q8_activation activation) {
  q8_f32_minmax_params p = {-INFINITY, INFINITY};
  switch (activation) {
    case Q8_ACT_RELU: p.min = 0.0f; break;
    case Q8_ACT_RELU6: p.min = 0.0f; p.max = 6.0f; break;
    case Q8_ACT_RELU_N1_TO_1: p.min = -1.0f; p.max = 1.0f; break;
    case Q8_ACT_NONE: break;
  }
  return p;
}

q8_status q8_check_float32(q8_prepare_ctx *ctx, const q8_tensor *t, const char *role) {
  if (t->type != Q8_TYPE_FLOAT32)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "%s '%s': expected float32 (the operator's input is float32), "
                           "found %s",
                           role, t->name, q8_type_name(t->type));
  return Q8_OK;
}

q8_status q8_check_const_float32(q8_prepare_ctx *ctx, const q8_tensor *t, const char *role,
                                 size_t count) {
  q8_status s = q8_check_float32(ctx, t, role);
  if (s != Q8_OK) return s;
  if (t->data == NULL)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "%s '%s' must be a constant tensor",
                           role, t->name);
  if (q8_tensor_elements(t) != count || t->data_size < count * sizeof(float))
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "%s '%s': expected %zu floats, found %zu elements in %zu bytes", role,
                           t->name, count, q8_tensor_elements(t), t->data_size);
  return Q8_OK;
}

q8_status q8_get_float_unary_io(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                q8_tensor **in, q8_tensor **out) {
  q8_status s = q8_check_io_count(ctx, node, 1, 1, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, in);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, out);
  if (s == Q8_OK) s = q8_check_float32(ctx, *in, "input");
  if (s == Q8_OK) s = q8_check_float32(ctx, *out, "output");
  return s;
}
