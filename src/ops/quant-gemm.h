/* The packed 8-bit GEMM path of CONV_2D and FULLY_CONNECTED (every kernel path but ref):
   weights packed at prepare for the path's kernel, activations packed per task at run time,
   tasks split over rows and column panels on the interpreter's pool. doc/kernels.md.
   Internal to src/ops. */
#ifndef Q8_OPS_QUANT_GEMM_H
#define Q8_OPS_QUANT_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ops/conv-quant.h"
#include "ops/op.h"
#include "ref/conv-2d.h"
#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm-c2.h"
#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"

struct q8_threadpool;

/* What the operator knows: the GEMM C[m][n] over K = kernel_h * kernel_w * in_c, with the
   window in geometry (its flip, pad_byte and row_factor are set by the prepare below). */
typedef struct q8_quant_gemm_desc {
  const q8_conv_quant *quant; /* type, zero points, [n] multipliers and shifts, clamp */
  size_t m, n;                /* output pixels (batch included) and output channels */
  const uint8_t *weights;     /* [n][K] as stored in the model (int8 or uint8 bytes) */
  const int32_t *folded_bias; /* [n]: the reference's bias with zero-point terms folded */
  q8_qs8_im2col geometry;
} q8_quant_gemm_desc;

typedef struct q8_quant_gemm {
  q8_qs8_gemm_ukernel_fn ukernel;
  size_t mr, nr;             /* the kernel's tile */
  size_t m, n, kc;           /* rows, columns, K rounded up to the kernel's KR */
  bool c2;                   /* the int16 layout (qs8-qc8w-gemm-c2.h): kc int16 per row */
  size_t row_bytes;          /* bytes of one packed activation row */
  const uint8_t *packed;     /* ceil(n / nr) panels */
  size_t panel_bytes;
  q8_qs8_gemm_params params;
  q8_qs8_im2col geometry;
  size_t block_rows;         /* rows of one task (a multiple of mr) */
  size_t block_panels;       /* panels of one task */
  size_t tasks_m, tasks_n;
  size_t thread_bytes;       /* scratch per thread: packed rows, then row terms */
  struct q8_threadpool *pool;
} q8_quant_gemm;

/* The window of a CONV_2D as the activation packer reads it. */
q8_qs8_im2col q8_quant_gemm_conv_geometry(const q8_conv_2d_params *p);

/* A kernel and its tile. */
typedef struct q8_quant_gemm_kernel {
  q8_qs8_gemm_ukernel_fn fn;
  size_t mr, nr;
  bool no_weight_min; /* valid only without a packed weight of -128 (else the scalar kernel) */
  bool c2;            /* reads the int16 layout of qs8-qc8w-gemm-c2.h (prepare packs for it) */
} q8_quant_gemm_kernel;

/* The kernel of a path (not Q8_ISA_REF): its own variant, else the scalar one. */
q8_quant_gemm_kernel q8_quant_gemm_kernel_for(q8_isa isa);

/* Packs the weights for kernel with the constant terms folded into the bias, splits the
   work for the pool's threads and returns the scratch the run needs (threads x per-thread
   bytes) in *scratch_bytes. */
q8_status q8_quant_gemm_prepare_with(q8_prepare_ctx *ctx, const q8_quant_gemm_desc *desc,
                                     const q8_quant_gemm_kernel *kernel, q8_quant_gemm *gemm,
                                     size_t *scratch_bytes);

/* q8_quant_gemm_prepare_with the kernel of q8_prepare_isa(ctx). */
q8_status q8_quant_gemm_prepare(q8_prepare_ctx *ctx, const q8_quant_gemm_desc *desc,
                                q8_quant_gemm *gemm, size_t *scratch_bytes);

/* Runs the GEMM: input as the geometry describes it, output [m][n] bytes. */
void q8_quant_gemm_run(const q8_quant_gemm *gemm, const uint8_t *input, uint8_t *output,
                       void *scratch);

#endif
