/* ADD prepare: TFLM add_common.cc CalculateOpDataAdd for 8-bit tensors (left shift 20,
   inputs rescaled to twice the larger input scale, three QuantizeMultiplierSmallerThanOneExp)
   and the fused activation clamp; NumPy broadcasting of the two input shapes. */
#include "core/threadpool.h"
#include "ops/add.h"
#include "ops/prepare-checks.h"
#include "quant/multiplier.h"

static q8_status check_tensors(q8_prepare_ctx *ctx, const q8_tensor *in1, const q8_tensor *in2,
                               const q8_tensor *out) {
  q8_status s = q8_check_quantized_8bit(ctx, in1, "input 0");
  if (s == Q8_OK) s = q8_check_quantized_8bit(ctx, in2, "input 1");
  if (s == Q8_OK) s = q8_check_quantized_8bit(ctx, out, "output");
  if (s == Q8_OK) s = q8_check_same_type(ctx, in1, "input 0", in2, "input 1");
  if (s == Q8_OK) s = q8_check_same_type(ctx, in1, "input 0", out, "output");
  return s;
}

/* The three multipliers of add_common.cc; fails when the output multiplier is not below 1
   (an output scale 2^19 times finer than the inputs', which TFLite cannot represent either). */
static q8_status compute_multipliers(q8_prepare_ctx *ctx, float s1, float s2, float s_out,
                                     q8_ref_add_params *p) {
  p->left_shift = 20;
  const double twice_max = 2.0 * (double)(s1 > s2 ? s1 : s2);
  const double real1 = (double)s1 / twice_max;
  const double real2 = (double)s2 / twice_max;
  const double real_out = twice_max / ((double)(1 << p->left_shift) * (double)s_out);
  int shift1, shift2, shift_out;
  if (q8_quantize_multiplier_smaller_than_one_exp(real1, &p->input1_multiplier, &shift1) != 0 ||
      q8_quantize_multiplier_smaller_than_one_exp(real2, &p->input2_multiplier, &shift2) != 0 ||
      q8_quantize_multiplier_smaller_than_one_exp(real_out, &p->output_multiplier, &shift_out) != 0)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "scales (inputs %.9g and %.9g, output %.9g) give an output "
                           "multiplier %.9g outside (0, 1)",
                           (double)s1, (double)s2, (double)s_out, real_out);
  p->input1_shift = shift1;
  p->input2_shift = shift2;
  p->output_shift = shift_out;
  return Q8_OK;
}

q8_status q8_add_broadcast_shape(q8_prepare_ctx *ctx, const q8_tensor *in1,
                                 const q8_tensor *in2, q8_tensor *out, q8_ref_broadcast *bc) {
  int32_t out_rank, out_dims[Q8_REF_ADD_MAX_RANK];
  if (q8_ref_broadcast_init(in1->rank, in1->dims, in2->rank, in2->dims, bc, &out_rank,
                            out_dims) != 0) {
    char a[128], b[128];
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "input shapes %s ('%s') and %s ('%s') do not broadcast (each "
                           "dimension pair must be equal or 1, rank <= %d)",
                           q8_format_shape(a, sizeof a, in1->rank, in1->dims), in1->name,
                           q8_format_shape(b, sizeof b, in2->rank, in2->dims), in2->name,
                           Q8_REF_ADD_MAX_RANK);
  }
  return q8_prepare_set_shape(ctx, out, out_rank, out_dims);
}

static q8_vadd_ukernel_fn choose_kernel(q8_isa isa, bool is_signed) {
#if Q8_HAVE_X86_KERNELS
  if (isa == Q8_ISA_AVX2 || isa == Q8_ISA_AVX512VNNI)
    return is_signed ? q8_qs8_vadd_minmax_ukernel_x8__avx2 : q8_qu8_vadd_minmax_ukernel_x8__avx2;
#else
  (void)isa;
#endif
  return is_signed ? q8_qs8_vadd_minmax_ukernel__scalar : q8_qu8_vadd_minmax_ukernel__scalar;
}

void q8_add_plan_kernels(q8_prepare_ctx *ctx, q8_add_plan *p, q8_op_plan *plan) {
  const q8_isa isa = q8_prepare_isa(ctx);
  plan->params = p;
  plan->scratch_bytes = 0;
  plan->run = q8_run_add;
  if (isa == Q8_ISA_REF) return;
  const q8_ref_add_params *r = &p->params;
  p->kernel = choose_kernel(isa, p->is_signed);
  p->kernel_params = (q8_vadd_params){.a_offset = r->input1_offset,
                                      .b_offset = r->input2_offset,
                                      .output_offset = r->output_offset,
                                      .left_shift = r->left_shift,
                                      .a_multiplier = r->input1_multiplier,
                                      .a_shift = r->input1_shift,
                                      .b_multiplier = r->input2_multiplier,
                                      .b_shift = r->input2_shift,
                                      .output_multiplier = r->output_multiplier,
                                      .output_shift = r->output_shift,
                                      .output_min = r->act_min,
                                      .output_max = r->act_max};
  p->pool = q8_prepare_threadpool(ctx);
  const q8_ref_broadcast *bc = &p->broadcast;
  /* No dimension broadcast: each input's strides are the output's own. */
  p->flat = true;
  int64_t stride = 1, total = 1;
  for (int32_t i = Q8_REF_ADD_MAX_RANK - 1; i >= 0; i--) {
    if (bc->dims[i] > 1) p->flat = p->flat && bc->strides1[i] == stride && bc->strides2[i] == stride;
    stride *= bc->dims[i];
    total *= bc->dims[i];
  }
  const int64_t inner = bc->dims[Q8_REF_ADD_MAX_RANK - 1];
  p->rows = inner > 0 ? total / inner : 0;
  if (p->flat)
    p->per_task = Q8_ADD_TASK_ELEMENTS;
  else
    p->per_task = inner >= Q8_ADD_TASK_ELEMENTS ? 1 : Q8_ADD_TASK_ELEMENTS / (inner > 0 ? inner : 1);
  plan->run = q8_run_add_kernel;
}

q8_status q8_prepare_add(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                         q8_op_plan *plan) {
  q8_tensor *in1, *in2, *out;
  q8_status s = q8_check_io_count(ctx, node, 2, 2, 1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 0, &in1);
  if (s == Q8_OK) s = q8_get_input(ctx, node, tensors, 1, &in2);
  if (s == Q8_OK) s = q8_get_output(ctx, node, tensors, 0, &out);
  if (s == Q8_OK) s = check_tensors(ctx, in1, in2, out);
  if (s != Q8_OK) return s;

  q8_add_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  s = q8_add_broadcast_shape(ctx, in1, in2, out, &p->broadcast);
  if (s != Q8_OK) return s;

  q8_ref_add_params *ap = &p->params;
  ap->input1_offset = -in1->quant.zero_point[0];
  ap->input2_offset = -in2->quant.zero_point[0];
  ap->output_offset = out->quant.zero_point[0];
  s = compute_multipliers(ctx, in1->quant.scale[0], in2->quant.scale[0], out->quant.scale[0], ap);
  if (s != Q8_OK) return s;
  if (q8_activation_range(node->opt.add.activation, out->quant.scale[0],
                          out->quant.zero_point[0], q8_type_qmin(out->type),
                          q8_type_qmax(out->type), &ap->act_min, &ap->act_max) != 0)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "fused activation %s cannot be quantized with output scale %.9g",
                           q8_activation_name(node->opt.add.activation),
                           (double)out->quant.scale[0]);
  p->is_signed = out->type == Q8_TYPE_INT8;
  q8_add_plan_kernels(ctx, p, plan);
  return Q8_OK;
}
