/* DEPTHWISE_CONV_2D's prepared plan, shared by its prepare and run files. Internal to
   src/ops. */
#ifndef Q8_OPS_DEPTHWISE_CONV_2D_H
#define Q8_OPS_DEPTHWISE_CONV_2D_H

#include "ops/op.h"
#include "ref/depthwise-conv-2d.h"
#include "ukernels/qs8-qc8w-dwconv/qs8-qc8w-dwconv.h"

typedef struct q8_depthwise_conv_2d_plan {
  q8_depthwise_conv_2d_params params;
  const int32_t *folded_bias; /* [out_c]: bias plus the constant zero-point terms */
  /* Kernel path (NULL kernel: the reference operator, Q8_ISA_REF). */
  q8_qs8_dwconv_ukernel_fn kernel;
  const void *packed;      /* the kernel's packed weights, bias and multipliers */
  const void *zero_points; /* in_c bytes of the input zero point: padding taps' input */
  q8_qs8_dwconv_params kernel_params;
  struct q8_threadpool *pool;
  size_t indirection_per_thread; /* pointers: one output row's taps */
} q8_depthwise_conv_2d_plan;

/* Chooses the kernel for isa, packs the filter and bias, and sets plan's run function and
   scratch (after p->params is filled). Q8_ISA_REF keeps the reference operator. filter is
   the [1, kh, kw, out_c] data, bias may be NULL. */
q8_status q8_depthwise_conv_2d_plan_kernels(q8_prepare_ctx *ctx, q8_depthwise_conv_2d_plan *p,
                                            const void *filter, const int32_t *bias,
                                            bool is_signed, q8_op_plan *plan);

void q8_run_depthwise_conv_2d_qs8(const void *plan, const void *const *inputs,
                                  void *const *outputs, void *scratch);
void q8_run_depthwise_conv_2d_qu8(const void *plan, const void *const *inputs,
                                  void *const *outputs, void *scratch);
/* Any kernel path: rows of output pixels split into tasks on the plan's pool. */
void q8_run_depthwise_conv_2d_kernel(const void *plan, const void *const *inputs,
                                     void *const *outputs, void *scratch);

#endif
