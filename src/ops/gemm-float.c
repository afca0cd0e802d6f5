/* The float32 GEMM driver (see gemm-float.h): weight packing and task sizes at prepare, then
   tasks of (column chunk, row group) over the interpreter's threads. Each output value is
   computed by the same kernel call whichever thread runs it, so results do not depend on the
   thread count. */
#include <string.h>

#include "core/threadpool.h"
#include "ops/gemm-float.h"

/* Weights per task kept near L2's size (1 MB on Zen 4, 512 KB is common): a chunk of columns
   is reused by every row tile of its group while it stays in cache. */
enum { CHUNK_WEIGHT_BYTES = 512 * 1024, GROUP_TILES = 8 };

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

static void choose_tasks(q8_f32_gemm_plan *p, size_t threads) {
  const size_t nr = p->kernels.nr, mr = p->kernels.mr;
  size_t cols = CHUNK_WEIGHT_BYTES / ((p->k + 1) * sizeof(float)) / nr * nr;
  if (cols < nr) cols = nr;
  if (cols > round_up(p->n, nr)) cols = round_up(p->n, nr);
  p->group_rows = mr * GROUP_TILES;
  if (p->group_rows > round_up(p->m, mr)) p->group_rows = round_up(p->m, mr);
  p->n_groups = (p->m + p->group_rows - 1) / p->group_rows;
  /* Few rows (a fully connected layer at batch 1): split the columns among the threads. */
  if (threads > 1 && p->n_groups < threads) {
    const size_t share = round_up((p->n + threads - 1) / threads, nr);
    if (share < cols) cols = share;
  }
  p->chunk_cols = cols;
  p->n_chunks = (p->n + cols - 1) / cols;
}

/* Row r of the im2col matrix: the receptive field of output pixel r, zeros in the padding. */
static void im2col_row(const q8_f32_conv_geometry *g, const float *input, size_t r, float *row) {
  const size_t pixels = (size_t)g->out_h * g->out_w;
  const size_t b = r / pixels, yx = r % pixels;
  const int32_t oy = (int32_t)(yx / (size_t)g->out_w), ox = (int32_t)(yx % (size_t)g->out_w);
  const float *image = input + b * (size_t)g->in_h * g->in_w * g->in_c;
  const size_t cbytes = (size_t)g->in_c * sizeof(float);
  const int32_t ix0 = ox * g->stride_w - g->pad_left;
  /* The taps of one kernel row are adjacent pixels when undilated and inside: one copy (a
     first layer's 3 channels would otherwise cost a memcpy call per 12 bytes). */
  const bool row_inside = g->dilation_w == 1 && ix0 >= 0 && ix0 + g->kernel_w <= g->in_w;
  for (int32_t ky = 0; ky < g->kernel_h; ky++) {
    const int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
    if (row_inside && iy >= 0 && iy < g->in_h) {
      memcpy(row, image + ((size_t)iy * g->in_w + ix0) * g->in_c, cbytes * g->kernel_w);
      row += (size_t)g->kernel_w * g->in_c;
      continue;
    }
    for (int32_t kx = 0; kx < g->kernel_w; kx++, row += g->in_c) {
      const int32_t ix = ix0 + kx * g->dilation_w;
      if (iy < 0 || iy >= g->in_h || ix < 0 || ix >= g->in_w)
        memset(row, 0, cbytes);
      else
        memcpy(row, image + ((size_t)iy * g->in_w + ix) * g->in_c, cbytes);
    }
  }
}

typedef struct gemm_job {
  const q8_f32_gemm_plan *p;
  const float *input;
  float *output;
  float *scratch; /* threads x mr x k floats, unless direct */
} gemm_job;

static void gemm_task(void *context, int32_t task, int32_t thread) {
  const gemm_job *job = context;
  const q8_f32_gemm_plan *p = job->p;
  const size_t mr = p->kernels.mr, nr = p->kernels.nr, k = p->k;
  const size_t chunk = (size_t)task % p->n_chunks, group = (size_t)task / p->n_chunks;
  const size_t n_begin = chunk * p->chunk_cols;
  const size_t n_end = n_begin + p->chunk_cols < p->n ? n_begin + p->chunk_cols : p->n;
  const size_t m_begin = group * p->group_rows;
  const size_t m_end = m_begin + p->group_rows < p->m ? m_begin + p->group_rows : p->m;
  float *rows = p->direct ? NULL : job->scratch + (size_t)thread * mr * k;
  for (size_t m0 = m_begin; m0 < m_end; m0 += mr) {
    const size_t tile = m_end - m0 < mr ? m_end - m0 : mr;
    const float *a = job->input + m0 * k;
    if (!p->direct) {
      for (size_t i = 0; i < tile; i++) im2col_row(&p->g, job->input, m0 + i, rows + i * k);
      a = rows;
    }
    for (size_t n0 = n_begin; n0 < n_end; n0 += nr) {
      const size_t nc = n_end - n0 < nr ? n_end - n0 : nr;
      p->kernels.gemm(tile, nc, k, a, k * sizeof(float), p->packed + (n0 / nr) * (k + 1) * nr,
                      job->output + m0 * p->n + n0, p->n * sizeof(float), &p->minmax);
    }
  }
}

static void run_gemm(const void *params, const void *const *inputs, void *const *outputs,
                     void *scratch) {
  const q8_f32_gemm_plan *p = params;
  gemm_job job = {p, inputs[0], outputs[0], scratch};
  q8_threadpool_run(p->pool, gemm_task, &job, (int32_t)(p->n_chunks * p->n_groups));
}

q8_status q8_f32_gemm_plan_init(q8_prepare_ctx *ctx, const q8_f32_conv_geometry *g,
                                const float *weights, const float *bias,
                                q8_activation activation, q8_op_plan *plan) {
  q8_f32_gemm_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  p->g = *g;
  p->m = (size_t)g->batch * g->out_h * g->out_w;
  p->n = (size_t)g->out_c;
  p->k = (size_t)g->kernel_h * g->kernel_w * g->in_c;
  p->direct = g->kernel_h == 1 && g->kernel_w == 1 && g->stride_h == 1 && g->stride_w == 1 &&
              g->pad_top == 0 && g->pad_left == 0 && g->out_h == g->in_h &&
              g->out_w == g->in_w;
  q8_f32_kernels_for(q8_prepare_isa(ctx), &p->kernels);
  p->minmax = q8_f32_activation_minmax(activation);
  p->pool = q8_prepare_threadpool(ctx);
  const size_t threads = (size_t)q8_threadpool_size(p->pool);
  float *packed =
      q8_prepare_alloc(ctx, q8_f32_gemm_packed_floats(p->n, p->k, p->kernels.nr) * sizeof(float));
  if (packed == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  q8_f32_gemm_pack_weights(p->n, p->k, p->kernels.nr, weights, bias, packed);
  p->packed = packed;
  choose_tasks(p, threads);
  plan->run = run_gemm;
  plan->params = p;
  plan->scratch_bytes = p->direct ? 0 : threads * p->kernels.mr * p->k * sizeof(float);
  return Q8_OK;
}

q8_status q8_f32_conv_operands_get(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                                   const char *filter_role, q8_f32_conv_operands *ops) {
  q8_status s = q8_conv_check_arity(ctx, node);
  if (s != Q8_OK) return s;
  ops->input = q8_op_input(node, tensors, 0, "input");
  ops->filter = q8_op_input(node, tensors, 1, filter_role);
  ops->bias = q8_op_input(node, tensors, 2, "bias");
  ops->output = q8_op_output(node, tensors, 0, "output");
  return Q8_OK;
}

q8_status q8_f32_conv_geometry_init(q8_prepare_ctx *ctx, const q8_node *node,
                                    const q8_tensor *in, int32_t kernel_h, int32_t kernel_w,
                                    int32_t out_c, q8_tensor *output, q8_f32_conv_geometry *g) {
  q8_conv_geometry cg;
  q8_status s =
      q8_conv_geometry_resolve(ctx, node, in->dims[1], in->dims[2], kernel_h, kernel_w, &cg);
  if (s != Q8_OK) return s;
  const int32_t out_dims[4] = {in->dims[0], cg.out_h, cg.out_w, out_c};
  if ((s = q8_prepare_set_shape(ctx, output, 4, out_dims)) != Q8_OK) return s;
  *g = (q8_f32_conv_geometry){
      .batch = in->dims[0], .in_h = in->dims[1], .in_w = in->dims[2], .in_c = in->dims[3],
      .out_h = cg.out_h, .out_w = cg.out_w, .out_c = out_c,
      .kernel_h = kernel_h, .kernel_w = kernel_w,
      .stride_h = node->opt.conv.stride_h, .stride_w = node->opt.conv.stride_w,
      .dilation_h = node->opt.conv.dilation_h, .dilation_w = node->opt.conv.dilation_w,
      .pad_top = cg.pad_top, .pad_left = cg.pad_left};
  return Q8_OK;
}
