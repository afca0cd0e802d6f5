/* AVERAGE_POOL_2D / MAX_POOL_2D prepare: TFLM pooling_common.cc (SAME/VALID output size and
   leading padding, input and output sharing scale and zero point, fused activation clamp). */
#include "core/threadpool.h"
#include "ops/pooling.h"
#include "ops/prepare-checks.h"
#include "quant/multiplier.h"

typedef enum pool_kind { POOL_AVERAGE, POOL_MAX } pool_kind;

static q8_pool_ukernel_fn choose_kernel(q8_isa isa, pool_kind kind, bool is_signed) {
#if Q8_HAVE_X86_KERNELS
  if (isa == Q8_ISA_AVX2 || isa == Q8_ISA_AVX512VNNI) {
    if (kind == POOL_AVERAGE)
      return is_signed ? q8_qs8_avgpool_minmax_ukernel_c32__avx2
                       : q8_qu8_avgpool_minmax_ukernel_c32__avx2;
    return is_signed ? q8_qs8_maxpool_minmax_ukernel_c32__avx2
                     : q8_qu8_maxpool_minmax_ukernel_c32__avx2;
  }
#else
  (void)isa;
#endif
  if (kind == POOL_AVERAGE)
    return is_signed ? q8_qs8_avgpool_minmax_ukernel_c1__scalar
                     : q8_qu8_avgpool_minmax_ukernel_c1__scalar;
  return is_signed ? q8_qs8_maxpool_minmax_ukernel_c1__scalar
                   : q8_qu8_maxpool_minmax_ukernel_c1__scalar;
}

/* The kernel path for every path but Q8_ISA_REF (and windows within the average kernels'
   range: larger ones keep the reference operator). */
static void plan_kernels(q8_prepare_ctx *ctx, q8_pool_plan *p, pool_kind kind,
                         q8_op_plan *plan) {
  const q8_isa isa = q8_prepare_isa(ctx);
  const int64_t taps = (int64_t)p->params.filter_h * p->params.filter_w;
  if (isa == Q8_ISA_REF || taps > Q8_AVGPOOL_MAX_TAPS) return;
  p->kernel = choose_kernel(isa, kind, p->is_signed);
  p->kernel_params = (q8_pool_params){.output_min = p->params.act_min,
                                      .output_max = p->params.act_max};
  p->pool = q8_prepare_threadpool(ctx);
  p->taps_per_thread = (size_t)taps;
  plan->run = q8_run_pool_2d_kernel;
  plan->scratch_bytes =
      (size_t)q8_threadpool_size(p->pool) * p->taps_per_thread * sizeof(const void *);
}

static q8_status check_tensors(q8_prepare_ctx *ctx, const q8_tensor *in, const q8_tensor *out) {
  q8_status s = q8_check_quantized_8bit(ctx, in, "input");
  if (s == Q8_OK) s = q8_check_quantized_8bit(ctx, out, "output");
  if (s == Q8_OK) s = q8_check_same_type(ctx, in, "input", out, "output");
  if (s == Q8_OK) s = q8_check_same_quant(ctx, in, "input", out, "output");
  if (s == Q8_OK && in->rank != 4)
    s = q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED, "input '%s': expected rank 4 (NHWC), found %d",
                        in->name, (int)in->rank);
  return s;
}

/* Output size and leading padding of one spatial dimension, refusing empty outputs. */
static q8_status spatial(q8_prepare_ctx *ctx, q8_padding padding, const char *what, int32_t in,
                         int32_t filter, int32_t stride, int32_t *out, int32_t *pad) {
  if (filter <= 0 || stride <= 0)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "%s: filter %d and stride %d must be positive", what, (int)filter,
                           (int)stride);
  *out = q8_conv_out_size(padding, in, filter, stride, 1, pad);
  if (*out <= 0)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "%s: a %s window of %d does not fit an input of %d", what,
                           padding == Q8_PADDING_VALID ? "VALID" : "SAME", (int)filter, (int)in);
  return Q8_OK;
}

static q8_status prepare_pool(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                              q8_op_plan *plan, q8_op_run_fn run, pool_kind kind) {
  q8_tensor *in, *out;
  q8_status s = q8_check_io_count(ctx, node, 1, 1, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s == Q8_OK) s = check_tensors(ctx, in, out);
  if (s != Q8_OK) return s;

  q8_pool_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  q8_ref_pool_params *pp = &p->params;
  pp->batches = in->dims[0];
  pp->input_h = in->dims[1];
  pp->input_w = in->dims[2];
  pp->channels = in->dims[3];
  pp->filter_h = node->opt.pool.filter_h;
  pp->filter_w = node->opt.pool.filter_w;
  pp->stride_h = node->opt.pool.stride_h;
  pp->stride_w = node->opt.pool.stride_w;
  s = spatial(ctx, node->opt.pool.padding, "height", pp->input_h, pp->filter_h, pp->stride_h,
              &pp->output_h, &pp->pad_top);
  if (s == Q8_OK)
    s = spatial(ctx, node->opt.pool.padding, "width", pp->input_w, pp->filter_w, pp->stride_w,
                &pp->output_w, &pp->pad_left);
  if (s != Q8_OK) return s;
  const int32_t out_dims[4] = {pp->batches, pp->output_h, pp->output_w, pp->channels};
  s = q8_prepare_set_shape(ctx, out, 4, out_dims);
  if (s != Q8_OK) return s;
  if (q8_activation_range(node->opt.pool.activation, out->quant.scale[0],
                          out->quant.zero_point[0], q8_type_qmin(out->type),
                          q8_type_qmax(out->type), &pp->act_min, &pp->act_max) != 0)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "fused activation %s cannot be quantized with output scale %.9g",
                           q8_activation_name(node->opt.pool.activation),
                           (double)out->quant.scale[0]);
  p->is_signed = out->type == Q8_TYPE_INT8;
  plan->run = run;
  plan->params = p;
  plan->scratch_bytes = 0;
  plan_kernels(ctx, p, kind, plan);
  return Q8_OK;
}

q8_status q8_prepare_average_pool_2d(q8_prepare_ctx *ctx, const q8_node *node,
                                     q8_tensor *tensors, q8_op_plan *plan) {
  return prepare_pool(ctx, node, tensors, plan, q8_run_average_pool_2d, POOL_AVERAGE);
}

q8_status q8_prepare_max_pool_2d(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                 q8_op_plan *plan) {
  return prepare_pool(ctx, node, tensors, plan, q8_run_max_pool_2d, POOL_MAX);
}
