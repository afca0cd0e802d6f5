/* Depthwise convolution, forward and backward, computed directly: for each output position
   and kernel tap, a loop over the channels (contiguous in NHWC, so it vectorizes). Output
   channel c * multiplier + m filters input channel c, as in TFLite. Threads take whole
   images; weight and bias gradients are per-thread partial sums reduced in thread order. */
#include <string.h>

#include "train/ops.h"

typedef q8t_window_geom dw_geom;

static dw_geom geometry(const q8t_graph *g, const q8t_node *node) {
  return q8t_window_geometry(g, node);
}

/* Scratch: partial weight gradient [kh * kw * o], then partial bias gradient [o]. */
static size_t bias_offset(const dw_geom *geo) {
  return q8t_align_floats((size_t)geo->kh * geo->kw * geo->o);
}

static size_t dw_scratch(const q8t_graph *g, const q8t_node *node) {
  const dw_geom geo = geometry(g, node);
  return bias_offset(&geo) + q8t_align_floats((size_t)geo.o);
}

/* out[o] += in[o / m] * w[o] for one kernel tap. */
static void tap_forward(const dw_geom *geo, const float *in, const float *w, float *out) {
  if (geo->multiplier == 1) {
    for (int32_t ch = 0; ch < geo->o; ch++) out[ch] += in[ch] * w[ch];
    return;
  }
  for (int32_t ch = 0; ch < geo->c; ch++) {
    for (int32_t j = 0; j < geo->multiplier; j++) out[ch * geo->multiplier + j] += in[ch] * w[ch * geo->multiplier + j];
  }
}

/* One tap's share of the gradients: din[c] += sum_m dy[o] * w[o], dw[o] += dy[o] * in[c]. */
static void tap_backward(const dw_geom *geo, const float *in, const float *w, const float *dy,
                         float *din, float *dw) {
  if (geo->multiplier == 1) {
    for (int32_t ch = 0; ch < geo->o; ch++) {
      dw[ch] += dy[ch] * in[ch];
      if (din != NULL) din[ch] += dy[ch] * w[ch];
    }
    return;
  }
  for (int32_t ch = 0; ch < geo->c; ch++) {
    for (int32_t j = 0; j < geo->multiplier; j++) {
      const int32_t o = ch * geo->multiplier + j;
      dw[o] += dy[o] * in[ch];
      if (din != NULL) din[ch] += dy[o] * w[o];
    }
  }
}

typedef struct dw_ctx {
  q8t_graph *g;
  const q8t_node *node;
  dw_geom geo;
} dw_ctx;

static void dw_forward_task(void *arg, int32_t t, int32_t nt) {
  const dw_ctx *c = arg;
  const dw_geom *geo = &c->geo;
  const float *x = q8t_input_tensor(c->g, c->node, Q8T_IN_X)->data;
  const float *w = q8t_input_tensor(c->g, c->node, Q8T_IN_WEIGHTS)->data;
  const q8t_tensor *bias = q8t_input_tensor(c->g, c->node, Q8T_IN_BIAS);
  float *y = q8t_output_tensor(c->g, c->node)->data;
  int64_t n0, n1;
  q8t_split(geo->batch, t, nt, &n0, &n1);
  for (int64_t n = n0; n < n1; n++) {
    const float *image = x + (size_t)n * geo->h * geo->w * geo->c;
    for (int32_t oy = 0; oy < geo->oh; oy++) {
      for (int32_t ox = 0; ox < geo->ow; ox++) {
        float *out = y + (((size_t)n * geo->oh + oy) * geo->ow + ox) * geo->o;
        q8t_broadcast_rows(out, 1, (size_t)geo->o, bias != NULL ? bias->data : NULL);
        for (int32_t ky = 0; ky < geo->kh; ky++) {
          const int32_t iy = oy * geo->sh - geo->pad_top + ky;
          if (iy < 0 || iy >= geo->h) continue;
          for (int32_t kx = 0; kx < geo->kw; kx++) {
            const int32_t ix = ox * geo->sw - geo->pad_left + kx;
            if (ix < 0 || ix >= geo->w) continue;
            tap_forward(geo, image + ((size_t)iy * geo->w + ix) * geo->c,
                        w + ((size_t)ky * geo->kw + kx) * geo->o, out);
          }
        }
        q8t_activate_span(c->node->attrs.activation, out, (size_t)geo->o);
      }
    }
  }
}

static void dw_forward(q8t_graph *g, q8t_node *node) {
  dw_ctx c = {g, node, geometry(g, node)};
  q8t_parallel(g, dw_forward_task, &c);
}

static void dw_backward_task(void *arg, int32_t t, int32_t nt) {
  const dw_ctx *c = arg;
  const dw_geom *geo = &c->geo;
  const q8t_node *node = c->node;
  const q8t_tensor *xt = q8t_input_tensor(c->g, node, Q8T_IN_X);
  const float *w = q8t_input_tensor(c->g, node, Q8T_IN_WEIGHTS)->data;
  const q8t_tensor *yt = q8t_output_tensor(c->g, node);
  float *dw = c->g->scratch[t];
  float *db = dw + bias_offset(geo);
  memset(dw, 0, (size_t)geo->kh * geo->kw * geo->o * sizeof *dw);
  memset(db, 0, (size_t)geo->o * sizeof *db);
  int64_t n0, n1;
  q8t_split(geo->batch, t, nt, &n0, &n1);
  const size_t image_size = (size_t)geo->h * geo->w * geo->c;
  if (xt->grad != NULL && !node->accumulate[Q8T_IN_X]) {
    memset(xt->grad + (size_t)n0 * image_size, 0, (size_t)(n1 - n0) * image_size * sizeof(float));
  }
  for (int64_t n = n0; n < n1; n++) {
    const float *image = xt->data + (size_t)n * image_size;
    float *dimage = xt->grad != NULL ? xt->grad + (size_t)n * image_size : NULL;
    for (int32_t oy = 0; oy < geo->oh; oy++) {
      for (int32_t ox = 0; ox < geo->ow; ox++) {
        const size_t at = (((size_t)n * geo->oh + oy) * geo->ow + ox) * geo->o;
        float *dy = yt->grad + at;
        q8t_activation_grad_span(node->attrs.activation, yt->data + at, dy, (size_t)geo->o);
        for (int32_t ch = 0; ch < geo->o; ch++) db[ch] += dy[ch];
        for (int32_t ky = 0; ky < geo->kh; ky++) {
          const int32_t iy = oy * geo->sh - geo->pad_top + ky;
          if (iy < 0 || iy >= geo->h) continue;
          for (int32_t kx = 0; kx < geo->kw; kx++) {
            const int32_t ix = ox * geo->sw - geo->pad_left + kx;
            if (ix < 0 || ix >= geo->w) continue;
            const size_t in_at = ((size_t)iy * geo->w + ix) * geo->c;
            const size_t tap = ((size_t)ky * geo->kw + kx) * geo->o;
            tap_backward(geo, image + in_at, w + tap, dy, dimage != NULL ? dimage + in_at : NULL,
                         dw + tap);
          }
        }
      }
    }
  }
}

static void dw_backward(q8t_graph *g, q8t_node *node) {
  dw_ctx c = {g, node, geometry(g, node)};
  q8t_parallel(g, dw_backward_task, &c);
  q8t_reduce_partials(g, q8t_input_tensor(g, node, Q8T_IN_WEIGHTS)->grad,
                      (size_t)c.geo.kh * c.geo.kw * c.geo.o, 0, node->accumulate[Q8T_IN_WEIGHTS]);
  const q8t_tensor *bias = q8t_input_tensor(g, node, Q8T_IN_BIAS);
  if (bias != NULL) {
    q8t_reduce_partials(g, bias->grad, (size_t)c.geo.o, bias_offset(&c.geo),
                        node->accumulate[Q8T_IN_BIAS]);
  }
}

const q8t_op_impl Q8T_ISA_NAME(q8t_depthwise_conv_impl) = {"depthwise_conv", dw_forward,
                                                           dw_backward, dw_scratch};
