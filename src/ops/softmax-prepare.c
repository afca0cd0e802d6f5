/* SOFTMAX prepare: TFLM softmax_common.cc CalculateSoftmaxParams for int8 (output scale 1/256,
   zero point -128); uint8, which TFLM rejects, uses the same type-independent formulas with
   output 1/256, zero point 0 (as the shared golden vectors do). */
#include "ops/softmax.h"
#include "ops/unary-prepare.h"
#include "quant/fixedpoint.h"
#include "quant/multiplier.h"

enum { SCALED_DIFF_INTEGER_BITS = 5, ACCUMULATION_INTEGER_BITS = 12 };

/* The reference's exp of each difference -k from the row maximum (0 below diff_min). */
static void fill_table(const q8_ref_softmax_params *params, q8_softmax_table *t) {
  for (int32_t k = 0; k < 256; k++) {
    t->exp[k] = -k >= params->diff_min ? q8_ref_softmax_exp_of_diff(params, -k) : 0;
    t->sum_term[k] = q8_rescale(t->exp[k], 0, ACCUMULATION_INTEGER_BITS);
  }
}

/* Every path but Q8_ISA_REF runs the table kernel (scalar: no vector variant). */
static q8_status plan_kernels(q8_prepare_ctx *ctx, q8_softmax_plan *p, q8_op_plan *plan) {
  if (q8_prepare_isa(ctx) == Q8_ISA_REF || p->depth == 0) return Q8_OK;
  q8_softmax_table *table = q8_prepare_alloc(ctx, sizeof *table);
  if (table == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  fill_table(&p->params, table);
  p->table = table;
  p->kernel = p->is_signed ? q8_qs8_softmax_ukernel_x1__scalar : q8_qu8_softmax_ukernel_x1__scalar;
  p->pool = q8_prepare_threadpool(ctx);
  p->rows_per_task = p->depth >= Q8_SOFTMAX_TASK_ELEMENTS ? 1 : Q8_SOFTMAX_TASK_ELEMENTS / p->depth;
  plan->run = q8_run_softmax_kernel;
  return Q8_OK;
}

q8_status q8_prepare_softmax(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                             q8_op_plan *plan) {
  q8_tensor *in, *out;
  q8_status s = q8_prepare_unary_8bit(ctx, node, tensors, 1, &in, &out);
  if (s != Q8_OK) return s;
  const bool is_signed = in->type == Q8_TYPE_INT8;
  s = q8_check_fixed_output_quant(ctx, out, 1.0f / 256.0f, "1/256", is_signed ? -128 : 0);
  if (s != Q8_OK) return s;

  q8_softmax_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  const double beta = node->opt.softmax.beta;
  int left_shift = 0;
  if (q8_preprocess_softmax_scaling(beta, (double)in->quant.scale[0], SCALED_DIFF_INTEGER_BITS,
                                    &p->params.input_multiplier, &left_shift) != 0)
    return q8_prepare_fail(ctx, Q8_ERROR_UNSUPPORTED,
                           "beta %.9g with input '%s' scale %.9g: beta * scale * 2^26 must be a "
                           "finite value above 1 (TFLite's PreprocessSoftmaxScaling)",
                           beta, in->name, (double)in->quant.scale[0]);
  p->params.input_left_shift = left_shift;
  p->params.diff_min = -q8_calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift, 31);
  p->depth = (size_t)in->dims[in->rank - 1];
  p->rows = 1;
  for (int32_t d = 0; d + 1 < in->rank; d++) p->rows *= (size_t)in->dims[d];
  p->is_signed = is_signed;

  plan->run = q8_run_softmax;
  plan->params = p;
  plan->scratch_bytes = 0;
  return plan_kernels(ctx, p, plan);
}
