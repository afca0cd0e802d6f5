/* The operator interface: prepare (float allowed, once per model) and run (integers only). */
#ifndef Q8_OPS_OP_H
#define Q8_OPS_OP_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/graph.h"
#include "q8/q8.h"

/* Runs one prepared operator. inputs[i] / outputs[i] follow the node's input and output
   order; inputs[i] is NULL for an absent optional input. Constant int32 and float32 data is
   4-byte aligned; activation buffers are 64-byte aligned. scratch has the bytes prepare
   asked for (NULL when none). Must not allocate, fail or touch floating point (except in
   QUANTIZE/DEQUANTIZE from/to float32, which the integer-only build leaves out). */
typedef void (*q8_op_run_fn)(const void *params, const void *const *inputs,
                             void *const *outputs, void *scratch);

/* What prepare hands to the runtime. */
typedef struct q8_op_plan {
  q8_op_run_fn run;     /* required */
  const void *params;   /* allocated with q8_prepare_alloc, or NULL */
  size_t scratch_bytes; /* per-invoke temporary memory, shared between operators */
} q8_op_plan;

typedef struct q8_prepare_ctx q8_prepare_ctx; /* owned by the runtime */

/* Prepares one node: checks input types, shapes and quantization; computes and records each
   output's shape with q8_prepare_set_shape (output types and quantization come from the
   file and are checked here); fills plan. tensors is the interpreter's own mutable copy of
   the graph's tensors; constant int32/float32 data in it is already aligned. On error,
   returns q8_prepare_fail(...) naming the tensor/option and the expected vs found value. */
typedef q8_status (*q8_op_prepare_fn)(q8_prepare_ctx *ctx, const q8_node *node,
                                      q8_tensor *tensors, q8_op_plan *plan);

/* Zeroed, 64-byte aligned memory that lives as long as the interpreter; NULL when out of
   memory (then return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, ...)). */
void *q8_prepare_alloc(q8_prepare_ctx *ctx, size_t size);

/* The kernel path the interpreter runs (never Q8_ISA_AUTO): Q8_ISA_REF means the reference
   operators; any other path means the operator's fastest kernels for it (falling back to the
   reference ones where an operator has none). */
q8_isa q8_prepare_isa(const q8_prepare_ctx *ctx);

/* The interpreter's thread pool (q8_threadpool_size gives its threads); run functions that
   split work keep it in their plan. Scratch memory is shared by the threads: an operator
   that needs some per thread asks for threads times as much. */
struct q8_threadpool *q8_prepare_threadpool(const q8_prepare_ctx *ctx);

/* Records an error; the runtime prefixes it with "operator N (KIND)". Returns status. */
q8_status q8_prepare_fail(q8_prepare_ctx *ctx, q8_status status, const char *fmt, ...)
    Q8_PRINTF(3, 4);

/* Sets the shape of an output tensor. The file's shape must agree: a rank or dimension that
   differs is an error naming the tensor and both shapes. */
q8_status q8_prepare_set_shape(q8_prepare_ctx *ctx, q8_tensor *tensor, int32_t rank,
                               const int32_t *dims);

/* The prepare function of each operator kind, indexed by q8_op_kind; NULL for kinds this
   build leaves out (QUANTIZE/DEQUANTIZE with float in the integer-only build). */
extern const q8_op_prepare_fn q8_op_prepare_table[Q8_OP_COUNT];

/* Shared checks and shape rules, in src/ops/common.c. */

/* TFLite SAME/VALID output size and leading padding for one spatial dimension (TFLite
   kernels/padding.h ComputePaddingHeightWidth): effective filter (k - 1) * dilation + 1,
   SAME: out = ceil(in / stride), VALID: out = ceil((in - eff + 1) / stride);
   pad_before = max(((out - 1) * stride + eff - in) / 2, 0). Returns out (<= 0: invalid,
   also when in + eff exceeds INT32_MAX, past the kernels' int32 row and column indices). */
int32_t q8_conv_out_size(q8_padding padding, int32_t in, int32_t filter, int32_t stride,
                         int32_t dilation, int32_t *pad_before);

#endif
