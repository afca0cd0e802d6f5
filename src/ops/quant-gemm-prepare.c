/* Prepare of the packed 8-bit GEMM path: kernel choice per path, the bias with every
   constant term of the kernel's algebra folded in, weight packing and the task split. */
#include "ops/quant-gemm.h"

#include <string.h>

#include "core/threadpool.h"

/* Activation rows wanted per task: about 32 KiB of packed rows (the L1 data cache), at most
   64 rows and at least one tile. */
enum { BLOCK_BYTES = 32 * 1024, BLOCK_MAX_ROWS = 64, TASKS_PER_THREAD = 4 };

static const q8_quant_gemm_kernel scalar_kernel = {
    .fn = q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__scalar, .mr = 4, .nr = 8};

q8_quant_gemm_kernel q8_quant_gemm_kernel_for(q8_isa isa) {
#if Q8_HAVE_X86_KERNELS
  if (isa == Q8_ISA_AVX512VNNI)
    return (q8_quant_gemm_kernel){.fn = q8_qs8_qc8w_gemm_minmax_ukernel_8x32c4__avx512vnni,
                                  .mr = 8, .nr = 32};
  if (isa == Q8_ISA_AVX2)
    return (q8_quant_gemm_kernel){.fn = q8_qs8_qc8w_gemm_minmax_ukernel_6x16c2__avx2, .mr = 6,
                                  .nr = 16, .c2 = true};
#endif
#if Q8_HAVE_ARM_KERNELS
  if (isa == Q8_ISA_NEONDOT)
    return (q8_quant_gemm_kernel){.fn = q8_qs8_qc8w_gemm_minmax_ukernel_8x8c4__neondot, .mr = 8,
                                  .nr = 8};
  if (isa == Q8_ISA_NEON) /* when a weight is -128, prepare_with takes the scalar kernel */
    return (q8_quant_gemm_kernel){.fn = q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__neon, .mr = 4,
                                  .nr = 8, .no_weight_min = true};
#endif
  (void)isa; /* SCALAR, and paths this family has no variant for */
  return scalar_kernel;
}

q8_qs8_im2col q8_quant_gemm_conv_geometry(const q8_conv_2d_params *p) {
  return (q8_qs8_im2col){.in_h = p->in_h, .in_w = p->in_w, .in_c = p->in_c,
                         .out_h = p->out_h, .out_w = p->out_w,
                         .kernel_h = p->kernel_h, .kernel_w = p->kernel_w,
                         .stride_h = p->stride_h, .stride_w = p->stride_w,
                         .dilation_h = p->dilation_h, .dilation_w = p->dilation_w,
                         .pad_top = p->pad_top, .pad_left = p->pad_left};
}

static size_t div_up(size_t a, size_t b) { return (a + b - 1) / b; }

static void split_tasks(q8_quant_gemm *g, size_t threads) {
  const size_t panels = div_up(g->n, g->nr);
  size_t rows = BLOCK_BYTES / g->row_bytes;
  if (rows > BLOCK_MAX_ROWS) rows = BLOCK_MAX_ROWS;
  rows = rows / g->mr * g->mr;
  if (rows < g->mr) rows = g->mr;
  if (rows > div_up(g->m, g->mr) * g->mr) rows = div_up(g->m, g->mr) * g->mr;
  g->block_rows = rows;
  g->tasks_m = div_up(g->m, rows);
  /* Few row blocks (a fully connected layer on one image): split the columns too, at the
     price of packing the same rows once per column block. */
  size_t tasks_n = 1;
  const size_t wanted = threads * TASKS_PER_THREAD;
  if (threads > 1 && g->tasks_m < wanted) tasks_n = div_up(wanted, g->tasks_m);
  if (tasks_n > panels) tasks_n = panels;
  g->block_panels = div_up(panels, tasks_n);
  g->tasks_n = div_up(panels, g->block_panels);
  g->thread_bytes = div_up(rows * g->row_bytes + rows * sizeof(int32_t), 64) * 64;
}

static q8_status finish_prepare(q8_prepare_ctx *ctx, q8_quant_gemm *g,
                                size_t *scratch_bytes) {
  g->pool = q8_prepare_threadpool(ctx);
  const size_t threads = (size_t)q8_threadpool_size(g->pool);
  split_tasks(g, threads);
  *scratch_bytes = threads * g->thread_bytes;
  return Q8_OK;
}

/* The int16 layout: weights stored as w - z_w and activations as their values (the packer
   undoes the flip below), so the kernel's sum is the reference's and the bias is the folded
   bias as it is. */
static q8_status prepare_c2(q8_prepare_ctx *ctx, const q8_quant_gemm_desc *d, q8_quant_gemm *g,
                            size_t *scratch_bytes) {
  const q8_qs8_im2col *geo = &d->geometry;
  const q8_conv_quant *q = d->quant;
  const size_t k = (size_t)geo->kernel_h * (size_t)geo->kernel_w * (size_t)geo->in_c;
  g->kc = div_up(k, Q8_QS8_GEMM_C2_KR) * Q8_QS8_GEMM_C2_KR;
  g->row_bytes = g->kc * sizeof(int16_t);
  g->panel_bytes = q8_qs8_gemm_c2_panel_bytes(g->kc, g->nr);
  g->params = (q8_qs8_gemm_params){q->output_zero_point, q->act_min, q->act_max};
  const uint8_t flip = q->is_signed ? 0x80 : 0;
  g->geometry = *geo;
  g->geometry.flip = flip;
  g->geometry.pad_byte = (uint8_t)((uint32_t)q->input_zero_point ^ flip);
  g->geometry.row_factor = 0;
  const size_t packed_bytes = div_up(d->n, g->nr) * g->panel_bytes;
  uint8_t *packed = q8_prepare_alloc(ctx, packed_bytes);
  if (packed == NULL)
    return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory (%zu bytes of packed "
                           "weights)", packed_bytes);
  q8_qs8_gemm_c2_pack_weights(d->n, k, g->nr, d->weights, q->is_signed, q->weight_zero_point,
                              d->folded_bias, q->multiplier, q->shift, packed);
  g->packed = packed;
  return finish_prepare(ctx, g, scratch_bytes);
}

q8_status q8_quant_gemm_prepare_with(q8_prepare_ctx *ctx, const q8_quant_gemm_desc *d,
                                     const q8_quant_gemm_kernel *kernel, q8_quant_gemm *g,
                                     size_t *scratch_bytes) {
  const q8_qs8_im2col *geo = &d->geometry;
  const q8_conv_quant *q = d->quant;
  const size_t k = (size_t)geo->kernel_h * (size_t)geo->kernel_w * (size_t)geo->in_c;
  /* Packed weights are s = w - 128 for uint8 models, w for int8 ones: s = -128 is byte 0 or
     0x80. */
  const uint8_t weight_min_byte = q->is_signed ? 0x80 : 0;
  if (kernel->no_weight_min && memchr(d->weights, weight_min_byte, d->n * k) != NULL)
    kernel = &scalar_kernel;
  g->ukernel = kernel->fn;
  g->mr = kernel->mr;
  g->nr = kernel->nr;
  g->m = d->m;
  g->n = d->n;
  g->c2 = kernel->c2;
  if (g->c2) return prepare_c2(ctx, d, g, scratch_bytes);
  g->kc = div_up(k, Q8_QS8_GEMM_KR) * Q8_QS8_GEMM_KR;
  g->row_bytes = g->kc;
  g->panel_bytes = q8_qs8_gemm_panel_bytes(g->kc, g->nr);
  g->params = (q8_qs8_gemm_params){q->output_zero_point, q->act_min, q->act_max};

  /* The kernel multiplies u = x + a_x (unsigned) by s = w - a_w (signed): int8 models shift
     activations (a_x = 128, a_w = 0), uint8 ones weights (a_x = 0, a_w = 128). Then
     sum w x - z_w sum x = sum s u + (a_w - z_w) sum u + a_x (K (z_w - a_w) - sum s). */
  const uint32_t a_x = q->is_signed ? 128 : 0, a_w = q->is_signed ? 0 : 128;
  const uint32_t z_w = (uint32_t)q->weight_zero_point;
  g->geometry = *geo;
  g->geometry.flip = (uint8_t)a_x;
  g->geometry.pad_byte = (uint8_t)((uint32_t)q->input_zero_point + a_x);
  g->geometry.row_factor = (int32_t)(a_w - z_w);

  int32_t *bias = q8_prepare_alloc(ctx, d->n * sizeof(int32_t));
  const size_t packed_bytes = div_up(d->n, g->nr) * g->panel_bytes;
  uint8_t *packed = q8_prepare_alloc(ctx, packed_bytes);
  if (bias == NULL || packed == NULL)
    return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory (%zu bytes of packed "
                           "weights)", packed_bytes);
  for (size_t j = 0; j < d->n; j++) {
    uint32_t sum_s = 0;
    for (size_t i = 0; i < k; i++)
      sum_s += (uint32_t)(int32_t)(int8_t)(uint8_t)(d->weights[j * k + i] - a_w);
    bias[j] = (int32_t)((uint32_t)d->folded_bias[j] + a_x * ((uint32_t)k * (z_w - a_w) - sum_s));
  }
  q8_qs8_gemm_pack_weights(d->n, k, g->nr, d->weights, (uint8_t)(0u - a_w), bias, q->multiplier,
                           q->shift, packed);
  g->packed = packed;
  return finish_prepare(ctx, g, scratch_bytes);
}

q8_status q8_quant_gemm_prepare(q8_prepare_ctx *ctx, const q8_quant_gemm_desc *desc,
                                q8_quant_gemm *gemm, size_t *scratch_bytes) {
  q8_quant_gemm_kernel kernel = q8_quant_gemm_kernel_for(q8_prepare_isa(ctx));
#if Q8_HAVE_X86_KERNELS
  /* Fewer rows than one c2 tile (a FULLY_CONNECTED on one image) stream each weight once:
     the c4 layout's bytes are half the c2 int16 (mobilenet_v1's classifier 0.13 -> 0.09 ms). */
  if (kernel.fn == q8_qs8_qc8w_gemm_minmax_ukernel_6x16c2__avx2 && desc->m < kernel.mr)
    kernel = (q8_quant_gemm_kernel){.fn = q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__avx2, .mr = 4,
                                    .nr = 8};
#endif
  return q8_quant_gemm_prepare_with(ctx, desc, &kernel, gemm, scratch_bytes);
}
