/* Pooling layers, forward and backward: global average pooling, and max and average pooling
   over windows with TFLite's geometry (padding is never a max candidate, and an average
   counts in-bounds elements only). Threads take whole images. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "train/ops.h"

typedef struct pool_ctx {
  q8t_graph *g;
  const q8t_node *node;
  int32_t batch, h, w, c, oh, ow;
} pool_ctx;

static pool_ctx context(q8t_graph *g, const q8t_node *node) {
  const q8t_tensor *x = q8t_input_tensor(g, node, Q8T_IN_X);
  const q8t_tensor *y = q8t_output_tensor(g, node);
  const bool spatial = y->rank == 4;
  return (pool_ctx){g,
                    node,
                    x->dims[0],
                    x->dims[1],
                    x->dims[2],
                    x->dims[3],
                    spatial ? y->dims[1] : 1,
                    spatial ? y->dims[2] : 1};
}

static size_t image_floats(const pool_ctx *p) { return (size_t)p->h * p->w * p->c; }

/* Clears this thread's images of the input gradient unless another node wrote there first. */
static void clear_input_grad(const pool_ctx *p, int64_t n0, int64_t n1) {
  if (p->node->accumulate[Q8T_IN_X]) return;
  float *dx = q8t_input_tensor(p->g, p->node, Q8T_IN_X)->grad;
  memset(dx + (size_t)n0 * image_floats(p), 0, (size_t)(n1 - n0) * image_floats(p) * sizeof *dx);
}

/* ---- global average pooling ---- */

static void gap_forward_task(void *arg, int32_t t, int32_t nt) {
  const pool_ctx *p = arg;
  const float *x = q8t_input_tensor(p->g, p->node, Q8T_IN_X)->data;
  float *y = q8t_output_tensor(p->g, p->node)->data;
  const size_t positions = (size_t)p->h * p->w;
  int64_t n0, n1;
  q8t_split(p->batch, t, nt, &n0, &n1);
  for (int64_t n = n0; n < n1; n++) {
    float *out = y + (size_t)n * p->c;
    memset(out, 0, (size_t)p->c * sizeof *out);
    const float *image = x + (size_t)n * image_floats(p);
    for (size_t i = 0; i < positions; i++) {
      for (int32_t ch = 0; ch < p->c; ch++) out[ch] += image[i * p->c + ch];
    }
    for (int32_t ch = 0; ch < p->c; ch++) out[ch] /= (float)positions;
  }
}

static void gap_backward_task(void *arg, int32_t t, int32_t nt) {
  const pool_ctx *p = arg;
  float *dx = q8t_input_tensor(p->g, p->node, Q8T_IN_X)->grad;
  const float *dy = q8t_output_tensor(p->g, p->node)->grad;
  const size_t positions = (size_t)p->h * p->w;
  const bool accumulate = p->node->accumulate[Q8T_IN_X];
  int64_t n0, n1;
  q8t_split(p->batch, t, nt, &n0, &n1);
  for (int64_t n = n0; n < n1; n++) {
    float *image = dx + (size_t)n * image_floats(p);
    const float *d = dy + (size_t)n * p->c;
    for (size_t i = 0; i < positions; i++) {
      for (int32_t ch = 0; ch < p->c; ch++) {
        const float v = d[ch] / (float)positions;
        image[i * p->c + ch] = accumulate ? image[i * p->c + ch] + v : v;
      }
    }
  }
}

static void gap_forward(q8t_graph *g, q8t_node *node) {
  pool_ctx p = context(g, node);
  q8t_parallel(g, gap_forward_task, &p);
}

static void gap_backward(q8t_graph *g, q8t_node *node) {
  pool_ctx p = context(g, node);
  q8t_parallel(g, gap_backward_task, &p);
}

/* ---- windowed pools ---- */

/* The in-bounds part of the window of output (oy, ox): rows [y0, y1), columns [x0, x1). */
typedef struct window {
  int32_t y0, y1, x0, x1;
} window;

static window window_at(const pool_ctx *p, int32_t oy, int32_t ox) {
  const q8t_attrs *a = &p->node->attrs;
  window w;
  w.y0 = oy * a->stride_h - a->pad_top;
  w.x0 = ox * a->stride_w - a->pad_left;
  w.y1 = w.y0 + a->kernel_h;
  w.x1 = w.x0 + a->kernel_w;
  if (w.y0 < 0) w.y0 = 0;
  if (w.x0 < 0) w.x0 = 0;
  if (w.y1 > p->h) w.y1 = p->h;
  if (w.x1 > p->w) w.x1 = p->w;
  return w;
}

/* Per-thread scratch of the max pool: per channel, the running maximum and the position
   (y * w + x) that holds it. */
static size_t max_scratch(const q8t_graph *g, const q8t_node *node) {
  const q8t_tensor *x = &g->tensors[node->inputs[Q8T_IN_X]];
  return 2 * q8t_align_floats((size_t)x->dims[3]);
}

/* Maximum of each channel over the window, and the first position (in row-major scan order)
   that holds it: the one backward sends the gradient to. */
static void window_max(const pool_ctx *p, const float *image, window w, float *best,
                       int32_t *where) {
  for (int32_t ch = 0; ch < p->c; ch++) {
    best[ch] = -INFINITY;
    where[ch] = w.y0 * p->w + w.x0;
  }
  for (int32_t y = w.y0; y < w.y1; y++) {
    for (int32_t x = w.x0; x < w.x1; x++) {
      const float *v = image + ((size_t)y * p->w + x) * p->c;
      const int32_t pos = y * p->w + x;
      for (int32_t ch = 0; ch < p->c; ch++) {
        if (v[ch] > best[ch]) {
          best[ch] = v[ch];
          where[ch] = pos;
        }
      }
    }
  }
}

static void max_buffers(const pool_ctx *p, int32_t t, float **best, int32_t **where) {
  *best = p->g->scratch[t];
  *where = (int32_t *)(p->g->scratch[t] + q8t_align_floats((size_t)p->c));
}

static void max_forward_task(void *arg, int32_t t, int32_t nt) {
  const pool_ctx *p = arg;
  const float *x = q8t_input_tensor(p->g, p->node, Q8T_IN_X)->data;
  float *y = q8t_output_tensor(p->g, p->node)->data;
  float *best;
  int32_t *where;
  max_buffers(p, t, &best, &where);
  int64_t n0, n1;
  q8t_split(p->batch, t, nt, &n0, &n1);
  for (int64_t n = n0; n < n1; n++) {
    const float *image = x + (size_t)n * image_floats(p);
    for (int32_t oy = 0; oy < p->oh; oy++) {
      for (int32_t ox = 0; ox < p->ow; ox++) {
        window_max(p, image, window_at(p, oy, ox), best, where);
        memcpy(y + (((size_t)n * p->oh + oy) * p->ow + ox) * p->c, best,
               (size_t)p->c * sizeof *best);
      }
    }
  }
}

static void max_backward_task(void *arg, int32_t t, int32_t nt) {
  const pool_ctx *p = arg;
  const q8t_tensor *xt = q8t_input_tensor(p->g, p->node, Q8T_IN_X);
  const float *dy = q8t_output_tensor(p->g, p->node)->grad;
  float *best;
  int32_t *where;
  max_buffers(p, t, &best, &where);
  int64_t n0, n1;
  q8t_split(p->batch, t, nt, &n0, &n1);
  clear_input_grad(p, n0, n1);
  for (int64_t n = n0; n < n1; n++) {
    const float *image = xt->data + (size_t)n * image_floats(p);
    float *dimage = xt->grad + (size_t)n * image_floats(p);
    for (int32_t oy = 0; oy < p->oh; oy++) {
      for (int32_t ox = 0; ox < p->ow; ox++) {
        window_max(p, image, window_at(p, oy, ox), best, where);
        const float *d = dy + (((size_t)n * p->oh + oy) * p->ow + ox) * p->c;
        for (int32_t ch = 0; ch < p->c; ch++) dimage[(size_t)where[ch] * p->c + ch] += d[ch];
      }
    }
  }
}

static void max_forward(q8t_graph *g, q8t_node *node) {
  pool_ctx p = context(g, node);
  q8t_parallel(g, max_forward_task, &p);
}

static void max_backward(q8t_graph *g, q8t_node *node) {
  pool_ctx p = context(g, node);
  q8t_parallel(g, max_backward_task, &p);
}

static void avg_forward_task(void *arg, int32_t t, int32_t nt) {
  const pool_ctx *p = arg;
  const float *x = q8t_input_tensor(p->g, p->node, Q8T_IN_X)->data;
  float *y = q8t_output_tensor(p->g, p->node)->data;
  int64_t n0, n1;
  q8t_split(p->batch, t, nt, &n0, &n1);
  for (int64_t n = n0; n < n1; n++) {
    const float *image = x + (size_t)n * image_floats(p);
    for (int32_t oy = 0; oy < p->oh; oy++) {
      for (int32_t ox = 0; ox < p->ow; ox++) {
        const window w = window_at(p, oy, ox);
        float *out = y + (((size_t)n * p->oh + oy) * p->ow + ox) * p->c;
        memset(out, 0, (size_t)p->c * sizeof *out);
        for (int32_t iy = w.y0; iy < w.y1; iy++) {
          for (int32_t ix = w.x0; ix < w.x1; ix++) {
            const float *v = image + ((size_t)iy * p->w + ix) * p->c;
            for (int32_t ch = 0; ch < p->c; ch++) out[ch] += v[ch];
          }
        }
        const float count = (float)((w.y1 - w.y0) * (w.x1 - w.x0));
        for (int32_t ch = 0; ch < p->c; ch++) out[ch] /= count;
      }
    }
  }
}

static void avg_backward_task(void *arg, int32_t t, int32_t nt) {
  const pool_ctx *p = arg;
  float *dx = q8t_input_tensor(p->g, p->node, Q8T_IN_X)->grad;
  const float *dy = q8t_output_tensor(p->g, p->node)->grad;
  int64_t n0, n1;
  q8t_split(p->batch, t, nt, &n0, &n1);
  clear_input_grad(p, n0, n1);
  for (int64_t n = n0; n < n1; n++) {
    float *dimage = dx + (size_t)n * image_floats(p);
    for (int32_t oy = 0; oy < p->oh; oy++) {
      for (int32_t ox = 0; ox < p->ow; ox++) {
        const window w = window_at(p, oy, ox);
        const float *d = dy + (((size_t)n * p->oh + oy) * p->ow + ox) * p->c;
        const float count = (float)((w.y1 - w.y0) * (w.x1 - w.x0));
        for (int32_t iy = w.y0; iy < w.y1; iy++) {
          for (int32_t ix = w.x0; ix < w.x1; ix++) {
            float *v = dimage + ((size_t)iy * p->w + ix) * p->c;
            for (int32_t ch = 0; ch < p->c; ch++) v[ch] += d[ch] / count;
          }
        }
      }
    }
  }
}

static void avg_forward(q8t_graph *g, q8t_node *node) {
  pool_ctx p = context(g, node);
  q8t_parallel(g, avg_forward_task, &p);
}

static void avg_backward(q8t_graph *g, q8t_node *node) {
  pool_ctx p = context(g, node);
  q8t_parallel(g, avg_backward_task, &p);
}

const q8t_op_impl Q8T_ISA_NAME(q8t_global_avg_pool_impl) = {"global_avg_pool", gap_forward,
                                                            gap_backward, NULL};
const q8t_op_impl Q8T_ISA_NAME(q8t_max_pool_impl) = {"max_pool", max_forward, max_backward,
                                                     max_scratch};
const q8t_op_impl Q8T_ISA_NAME(q8t_avg_pool_impl) = {"avg_pool", avg_forward, avg_backward, NULL};
