/* MEAN prepare: reduction over axes {1, 2} (height and width) of a 4-D NHWC tensor only, as
   global average pooling uses it. Multiplier from TFLM reduce_common.cc
   (QuantizeMultiplier(in_scale / out_scale)), folded with 1/(H*W) as reduce.h does; uint8
   follows the same math (TFLM has no uint8 MEAN). */
#include "ops/mean.h"
#include "ops/prepare-checks.h"
#include "quant/multiplier.h"

/* Accepts axes that resolve (negatives + 4, duplicates dropped, as TFLite's ResolveAxis) to
   exactly {1, 2}. */
q8_status q8_mean_check_axes(q8_prepare_ctx *ctx, const q8_tensor *axis_tensor) {
  int32_t axes[8], n = 0;
  q8_status s = q8_read_const_int32(ctx, axis_tensor, "axis input", 8, axes, &n);
  if (s != Q8_OK) return s;
  bool has1 = false, has2 = false, other = false;
  for (int32_t i = 0; i < n; i++) {
    const int32_t a = axes[i] < 0 ? axes[i] + 4 : axes[i];
    has1 |= a == 1;
    has2 |= a == 2;
    other |= a != 1 && a != 2;
  }
  if (!has1 || !has2 || other) {
    char buf[128];
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "axis input '%s': only the mean over height and width (axes [1,2]) "
                           "of a 4-D tensor is supported, found axes %s",
                           axis_tensor->name, q8_format_shape(buf, sizeof buf, n, axes));
  }
  return Q8_OK;
}

static q8_status check_tensors(q8_prepare_ctx *ctx, const q8_tensor *in, const q8_tensor *out) {
  q8_status s = q8_check_quantized_8bit(ctx, in, "input");
  if (s == Q8_OK) s = q8_check_quantized_8bit(ctx, out, "output");
  if (s == Q8_OK) s = q8_check_same_type(ctx, in, "input", out, "output");
  if (s == Q8_OK && in->rank != 4)
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "input '%s': expected rank 4 (NHWC), found %d",
                        in->name, (int)in->rank);
  if (s == Q8_OK && (int64_t)in->dims[1] * in->dims[2] > INT32_MAX / 256)
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                        "input '%s': %d x %d cells per channel overflow the int32 sum", in->name,
                        (int)in->dims[1], (int)in->dims[2]);
  return s;
}

static q8_status fill_params(q8_prepare_ctx *ctx, const q8_tensor *in, const q8_tensor *out,
                             q8_ref_mean_params *p) {
  p->batches = in->dims[0];
  p->height = in->dims[1];
  p->width = in->dims[2];
  p->channels = in->dims[3];
  p->input_zero_point = in->quant.zero_point[0];
  p->output_zero_point = out->quant.zero_point[0];
  /* TFLM takes the plain mean only when zero points match and the float scales are equal. */
  p->requantize = !(in->quant.zero_point[0] == out->quant.zero_point[0] &&
                    in->quant.scale[0] == out->quant.scale[0]);
  const double real = (double)in->quant.scale[0] / (double)out->quant.scale[0];
  int32_t multiplier;
  int shift;
  if (q8_quantize_multiplier(real, &multiplier, &shift) != 0)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "input/output scale ratio %.9g cannot be represented", real);
  const int64_t count = (int64_t)p->height * p->width;
  p->multiplier = multiplier;
  p->shift = shift;
  if (count > 0) q8_ref_mean_fold_count(multiplier, shift, count, &p->multiplier, &p->shift);
  return Q8_OK;
}

static q8_rsum_ukernel_fn choose_kernel(q8_isa isa, bool is_signed) {
#if Q8_HAVE_X86_KERNELS
  if (isa == Q8_ISA_AVX2 || isa == Q8_ISA_AVX512VNNI)
    return is_signed ? q8_qs8_rsum_ukernel_c32__avx2 : q8_qu8_rsum_ukernel_c32__avx2;
#else
  (void)isa;
#endif
  return is_signed ? q8_qs8_rsum_ukernel_c1__scalar : q8_qu8_rsum_ukernel_c1__scalar;
}

/* Every path but Q8_ISA_REF sums through the kernels. */
static void plan_kernels(q8_prepare_ctx *ctx, q8_mean_plan *p, q8_op_plan *plan) {
  const q8_isa isa = q8_prepare_isa(ctx);
  if (isa == Q8_ISA_REF) return;
  p->kernel = choose_kernel(isa, p->is_signed);
  p->pool = q8_prepare_threadpool(ctx);
  plan->run = q8_run_mean_kernel;
}

q8_status q8_mean_set_output_shape(q8_prepare_ctx *ctx, const q8_node *node,
                                   const q8_tensor *in, q8_tensor *out) {
  const int32_t keep[4] = {in->dims[0], 1, 1, in->dims[3]};
  const int32_t drop[2] = {in->dims[0], in->dims[3]};
  return node->opt.reduce.keep_dims ? q8_prepare_set_shape(ctx, out, 4, keep)
                                    : q8_prepare_set_shape(ctx, out, 2, drop);
}

q8_status q8_prepare_mean(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                          q8_op_plan *plan) {
  q8_tensor *in, *axis, *out;
  q8_status s = q8_check_io_count(ctx, node, 2, 2, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 1, &axis);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s == Q8_OK) s = check_tensors(ctx, in, out);
  if (s == Q8_OK) s = q8_mean_check_axes(ctx, axis);
  if (s != Q8_OK) return s;

  s = q8_mean_set_output_shape(ctx, node, in, out);
  if (s != Q8_OK) return s;
  q8_mean_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  s = fill_params(ctx, in, out, &p->params);
  if (s != Q8_OK) return s;
  p->is_signed = in->type == Q8_TYPE_INT8;
  plan->run = q8_run_mean;
  plan->params = p;
  plan->scratch_bytes = 0;
  plan_kernels(ctx, p, plan);
  return Q8_OK;
}
