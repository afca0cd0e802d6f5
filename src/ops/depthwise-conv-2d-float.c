/* DEPTHWISE_CONV_2D on float32 tensors. Depth multiplier 1 (every MobileNet) runs the
   vectorized per-pixel kernel through a tap indirection (padding taps read a row of zeros);
   other multipliers run a plain loop. Rows of output pixels are split among the threads. */
#include <string.h>

#include "core/threadpool.h"
#include "ops/float-ops.h"
#include "ops/gemm-float.h"

typedef struct dw_plan {
  q8_f32_conv_geometry g;
  int32_t multiplier;
  const float *weights; /* [kh][kw][out_c] */
  const float *bias;    /* [out_c], zeros when the file has none */
  const float *zeros;   /* [in_c] */
  q8_f32_dwconv_ukernel_fn kernel;
  q8_f32_minmax_params minmax;
  struct q8_threadpool *pool;
} dw_plan;

typedef struct dw_job {
  const dw_plan *p;
  const float *input;
  float *output;
  const float **taps; /* threads x kh*kw pointers */
} dw_job;

/* Output channel oc reads input channel oc / multiplier (TFLite's depthwise layout). */
static void pixel_any_multiplier(const dw_plan *p, const float *const *taps, float *out) {
  const q8_f32_conv_geometry *g = &p->g;
  const int32_t n_taps = g->kernel_h * g->kernel_w;
  for (int32_t oc = 0; oc < g->out_c; oc++) {
    float acc = p->bias[oc];
    for (int32_t t = 0; t < n_taps; t++)
      acc += taps[t][oc / p->multiplier] * p->weights[(size_t)t * g->out_c + oc];
    acc = acc < p->minmax.min ? p->minmax.min : acc;
    out[oc] = acc > p->minmax.max ? p->minmax.max : acc;
  }
}

/* One row of output pixels: task = batch * out_h + oy. */
static void dw_task(void *context, int32_t task, int32_t thread) {
  const dw_job *job = context;
  const dw_plan *p = job->p;
  const q8_f32_conv_geometry *g = &p->g;
  const int32_t b = task / g->out_h, oy = task % g->out_h;
  const size_t n_taps = (size_t)g->kernel_h * g->kernel_w;
  const float **taps = job->taps + (size_t)thread * n_taps;
  const float *image = job->input + (size_t)b * g->in_h * g->in_w * g->in_c;
  float *out = job->output + ((size_t)b * g->out_h + oy) * g->out_w * g->out_c;
  for (int32_t ox = 0; ox < g->out_w; ox++, out += g->out_c) {
    size_t t = 0;
    for (int32_t ky = 0; ky < g->kernel_h; ky++) {
      const int32_t iy = oy * g->stride_h - g->pad_top + ky * g->dilation_h;
      for (int32_t kx = 0; kx < g->kernel_w; kx++) {
        const int32_t ix = ox * g->stride_w - g->pad_left + kx * g->dilation_w;
        const bool inside = iy >= 0 && iy < g->in_h && ix >= 0 && ix < g->in_w;
        taps[t++] = inside ? image + ((size_t)iy * g->in_w + ix) * g->in_c : p->zeros;
      }
    }
    if (p->multiplier == 1)
      p->kernel((size_t)g->out_c, n_taps, taps, p->weights, p->bias, out, &p->minmax);
    else
      pixel_any_multiplier(p, taps, out);
  }
}

static void run_depthwise(const void *params, const void *const *inputs, void *const *outputs,
                          void *scratch) {
  const dw_plan *p = params;
  dw_job job = {p, inputs[0], outputs[0], scratch};
  q8_threadpool_run(p->pool, dw_task, &job, p->g.batch * p->g.out_h);
}

static q8_status resolve_multiplier(q8_prepare_ctx *ctx, const q8_node *node,
                                    const q8_op_tensor *filter, int32_t in_c, int32_t *m) {
  const int32_t out_c = filter->tensor->dims[3];
  *m = node->opt.conv.depth_multiplier;
  if (*m == 0 && in_c > 0 && out_c % in_c == 0) *m = out_c / in_c;
  if (*m <= 0 || (int64_t)in_c * *m != out_c)
    return q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, filter,
                             "%d output channels, expected input channels %d x "
                             "depth_multiplier %d",
                             (int)out_c, (int)in_c, (int)node->opt.conv.depth_multiplier);
  return Q8_OK;
}

static q8_status check_tensors(q8_prepare_ctx *ctx, const q8_op_tensor *input,
                               const q8_op_tensor *filter, const q8_op_tensor *bias,
                               const q8_op_tensor *output) {
  q8_status s = q8_op_check_rank(ctx, input, 4);
  if (s == Q8_OK) s = q8_op_check_rank(ctx, filter, 4);
  if (s == Q8_OK && filter->tensor->dims[0] != 1)
    s = q8_op_tensor_fail(ctx, Q8_ERROR_INVALID_MODEL, filter,
                          "dimension 0 is %d, expected 1 (filter [1,H,W,C*M])",
                          (int)filter->tensor->dims[0]);
  if (s == Q8_OK) s = q8_check_float32(ctx, input->tensor, input->slot);
  if (s == Q8_OK) s = q8_check_float32(ctx, output->tensor, output->slot);
  if (s == Q8_OK)
    s = q8_check_const_float32(ctx, filter->tensor, filter->role,
                               q8_tensor_elements(filter->tensor));
  if (s == Q8_OK && bias->tensor != NULL)
    s = q8_check_const_float32(ctx, bias->tensor, bias->role,
                               (size_t)filter->tensor->dims[3]);
  return s;
}

q8_status q8_prepare_depthwise_conv_2d_float(q8_prepare_ctx *ctx, const q8_node *node,
                                             q8_tensor *tensors, q8_op_plan *plan) {
  q8_f32_conv_operands o;
  q8_status s = q8_f32_conv_operands_get(ctx, node, tensors, "filter", &o);
  if (s == Q8_OK) s = check_tensors(ctx, &o.input, &o.filter, &o.bias, &o.output);
  if (s != Q8_OK) return s;
  const q8_tensor *in = o.input.tensor, *w = o.filter.tensor;
  const int32_t out_c = w->dims[3];
  int32_t multiplier;
  q8_f32_conv_geometry g;
  s = resolve_multiplier(ctx, node, &o.filter, in->dims[3], &multiplier);
  if (s == Q8_OK)
    s = q8_f32_conv_geometry_init(ctx, node, in, w->dims[1], w->dims[2], out_c, o.output.tensor,
                                  &g);
  if (s != Q8_OK) return s;

  dw_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  float *bias_copy = q8_prepare_alloc(ctx, (size_t)out_c * sizeof(float));
  float *zeros = q8_prepare_alloc(ctx, (size_t)in->dims[3] * sizeof(float));
  if (p == NULL || bias_copy == NULL || zeros == NULL)
    return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  if (o.bias.tensor != NULL)
    memcpy(bias_copy, o.bias.tensor->data, (size_t)out_c * sizeof(float));
  p->g = g;
  p->multiplier = multiplier;
  p->weights = w->data;
  p->bias = bias_copy;
  p->zeros = zeros;
  q8_f32_kernels k;
  q8_f32_kernels_for(q8_prepare_isa(ctx), &k);
  p->kernel = k.dwconv;
  p->minmax = q8_f32_activation_minmax(node->opt.conv.activation);
  p->pool = q8_prepare_threadpool(ctx);
  plan->run = run_depthwise;
  plan->params = p;
  plan->scratch_bytes = (size_t)q8_threadpool_size(p->pool) * (size_t)w->dims[1] * w->dims[2] *
                        sizeof(const float *);
  return Q8_OK;
}
