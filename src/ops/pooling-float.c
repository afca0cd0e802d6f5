/* AVERAGE_POOL_2D and MAX_POOL_2D on float32 NHWC tensors (TFLite reference_ops: the average
   divides by the number of cells inside the input, padding excluded), with the fused
   activation clamp. */
#include <math.h>

#include "ops/float-ops.h"
#include "ops/prepare-checks.h"

typedef struct pool_plan {
  int32_t batch, in_h, in_w, channels, out_h, out_w;
  int32_t filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
  bool average;
  q8_f32_minmax_params minmax;
} pool_plan;

/* One output pixel over the window [y0, y1) x [x0, x1) (already clipped to the input),
   accumulated in out with the channels innermost (contiguous in NHWC). */
static void pool_pixel(const pool_plan *p, const float *image, int32_t y0, int32_t y1,
                       int32_t x0, int32_t x1, float *out) {
  const int32_t channels = p->channels;
  for (int32_t c = 0; c < channels; c++) out[c] = p->average ? 0.0f : -INFINITY;
  for (int32_t y = y0; y < y1; y++)
    for (int32_t x = x0; x < x1; x++) {
      const float *v = image + ((size_t)y * p->in_w + x) * channels;
      if (p->average)
        for (int32_t c = 0; c < channels; c++) out[c] += v[c];
      else
        for (int32_t c = 0; c < channels; c++) out[c] = v[c] > out[c] ? v[c] : out[c];
    }
  const float count = (float)((y1 - y0) * (x1 - x0));
  for (int32_t c = 0; c < channels; c++) {
    float v = p->average ? out[c] / count : out[c];
    v = v < p->minmax.min ? p->minmax.min : v;
    out[c] = v > p->minmax.max ? p->minmax.max : v;
  }
}

static int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

static void run_pool(const void *params, const void *const *inputs, void *const *outputs,
                     void *scratch) {
  (void)scratch;
  const pool_plan *p = params;
  float *out = outputs[0];
  for (int32_t b = 0; b < p->batch; b++) {
    const float *image = (const float *)inputs[0] + (size_t)b * p->in_h * p->in_w * p->channels;
    for (int32_t oy = 0; oy < p->out_h; oy++)
      for (int32_t ox = 0; ox < p->out_w; ox++, out += p->channels) {
        const int32_t y = oy * p->stride_h - p->pad_top, x = ox * p->stride_w - p->pad_left;
        pool_pixel(p, image, max_i32(y, 0), min_i32(y + p->filter_h, p->in_h), max_i32(x, 0),
                   min_i32(x + p->filter_w, p->in_w), out);
      }
  }
}

static q8_status prepare_pool(q8_prepare_ctx *ctx, const q8_node *node, q8_tensor *tensors,
                              q8_op_plan *plan, bool average) {
  q8_tensor *in, *out;
  q8_status s = q8_get_float_unary_io(ctx, node, tensors, &in, &out);
  if (s == Q8_OK && in->rank != 4)
    s = q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL, "input '%s': rank %d, expected 4 (NHWC)",
                        in->name, (int)in->rank);
  if (s != Q8_OK) return s;
  pool_plan *p = q8_prepare_alloc(ctx, sizeof *p);
  if (p == NULL) return q8_prepare_fail(ctx, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  *p = (pool_plan){.batch = in->dims[0], .in_h = in->dims[1], .in_w = in->dims[2],
                   .channels = in->dims[3], .filter_h = node->opt.pool.filter_h,
                   .filter_w = node->opt.pool.filter_w, .stride_h = node->opt.pool.stride_h,
                   .stride_w = node->opt.pool.stride_w, .average = average,
                   .minmax = q8_f32_activation_minmax(node->opt.pool.activation)};
  if (p->filter_h < 1 || p->filter_w < 1 || p->stride_h < 1 || p->stride_w < 1)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "filter %dx%d, stride %dx%d: expected >= 1", (int)p->filter_h,
                           (int)p->filter_w, (int)p->stride_h, (int)p->stride_w);
  p->out_h = q8_conv_out_size(node->opt.pool.padding, p->in_h, p->filter_h, p->stride_h, 1,
                              &p->pad_top);
  p->out_w = q8_conv_out_size(node->opt.pool.padding, p->in_w, p->filter_w, p->stride_w, 1,
                              &p->pad_left);
  if (p->out_h <= 0 || p->out_w <= 0)
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "filter %dx%d does not fit input '%s' (%dx%d)", (int)p->filter_h,
                           (int)p->filter_w, in->name, (int)p->in_h, (int)p->in_w);
  const int32_t out_dims[4] = {p->batch, p->out_h, p->out_w, p->channels};
  if ((s = q8_prepare_set_shape(ctx, out, 4, out_dims)) != Q8_OK) return s;
  plan->run = run_pool;
  plan->params = p;
  plan->scratch_bytes = 0;
  return Q8_OK;
}

q8_status q8_prepare_average_pool_2d_float(q8_prepare_ctx *ctx, const q8_node *node,
                                           q8_tensor *tensors, q8_op_plan *plan) {
  return prepare_pool(ctx, node, tensors, plan, true);
}

q8_status q8_prepare_max_pool_2d_float(q8_prepare_ctx *ctx, const q8_node *node,
                                       q8_tensor *tensors, q8_op_plan *plan) {
  return prepare_pool(ctx, node, tensors, plan, false);
}
