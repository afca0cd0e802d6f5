/* bench-peers: the network rebuilt with XNNPACK's operator API (Debian's 2022 snapshot): per
   operator xnn_create_* / xnn_setup_* once, xnn_run_operator per invoke. int8 convolutions use
   the per-channel qc8 operators, uint8 the qu8 ones, float32 the f32 ones; one buffer per
   tensor (no memory planning), RESHAPE and SQUEEZE alias their input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

#include "peers.h"

typedef struct xnn_step {
  xnn_operator_t op; /* NULL: a plain C stand-in (fallback) */
  peer_fallback fallback;
} xnn_step;

typedef struct xnn_state {
  pthreadpool_t pool;
  int32_t n_tensors, n_steps;
  void **buf;
  bool *owned;
  xnn_step *steps;
  const void *output;
} xnn_state;

typedef struct xnn_build {
  xnn_state *s;
  peer_cursor at; /* the graph, the node being built, the tensors' buffers */
  char *why; /* the runner's note */
  size_t why_size;
  int32_t fallbacks[Q8_OP_COUNT];
} xnn_build;

static bool xnn_invoke(void *state) {
  xnn_state *s = state;
  for (int32_t i = 0; i < s->n_steps; i++) {
    if (!s->steps[i].op) peer_fallback_run(&s->steps[i].fallback);
    else if (xnn_run_operator(s->steps[i].op, s->pool) != xnn_status_success) return false;
  }
  return true;
}

static const void *xnn_output(void *state) { return ((xnn_state *)state)->output; }

static void xnn_state_free(void *state) {
  xnn_state *s = state;
  if (!s) return;
  for (int32_t i = 0; i < s->n_steps; i++)
    if (s->steps[i].op) xnn_delete_operator(s->steps[i].op);
  peer_free_buffers(s->n_tensors, s->buf, s->owned);
  free(s->steps);
  if (s->pool) pthreadpool_destroy(s->pool);
  free(s);
}


static bool check(xnn_build *b, enum xnn_status st, const char *what) {
  if (st == xnn_status_success) return true;
  peer_note(b->why, b->why_size, "%s for %s failed (xnn_status %d)", what, q8_op_name(b->at.n->kind),
            (int)st);
  return false;
}

/* Adds a created operator as the next step. */
static xnn_operator_t *next_op(xnn_build *b) {
  return &b->s->steps[b->s->n_steps++].op;
}

static bool add_fallback(xnn_build *b) {
  xnn_step *step = &b->s->steps[b->s->n_steps++];
  step->op = NULL;
  step->fallback = (peer_fallback){b->at.g, b->at.n, peer_in_buf(&b->at, 0), peer_out_buf(&b->at)};
  b->fallbacks[b->at.n->kind]++;
  return true;
}

/* The weights' scale of each output channel (a per-tensor scale repeated); malloc'd. */
static float *channel_scales(const q8_tensor *w, size_t n) {
  float *scales = malloc(sizeof(float) * n);
  for (size_t i = 0; scales && i < n; i++) scales[i] = peer_scale(w, (int32_t)i);
  return scales;
}

static bool conv(xnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0), *w = peer_in(&b->at, 1), *out = peer_out(&b->at);
  const bool dw = b->at.n->kind == Q8_OP_DEPTHWISE_CONV_2D;
  const int32_t h = in->dims[1], wd = in->dims[2], c = in->dims[3], oc = out->dims[3];
  const int32_t kh = w->dims[1], kw = w->dims[2];
  int32_t pt, pb, pl, pr;
  const __typeof__(b->at.n->opt.conv) *o = &b->at.n->opt.conv;
  peer_padding(o->padding, h, kh, o->stride_h, o->dilation_h, out->dims[1], &pt, &pb);
  peer_padding(o->padding, wd, kw, o->stride_w, o->dilation_w, out->dims[2], &pl, &pr);
  if (!peer_window_fits(h, pt, pb, kh, o->stride_h, o->dilation_h, out->dims[1]) ||
      !peer_window_fits(wd, pl, pr, kw, o->stride_w, o->dilation_w, out->dims[2])) {
    peer_note(b->why, b->why_size, "%s: output %dx%d does not follow from the geometry",
              q8_op_name(b->at.n->kind), (int)out->dims[1], (int)out->dims[2]);
    return false;
  }
  const uint32_t groups = dw ? (uint32_t)c : 1;
  const size_t gic = dw ? 1 : (size_t)c, goc = dw ? (size_t)(oc / c) : (size_t)oc;
  const uint32_t flags = dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0;
  xnn_operator_t *op = next_op(b);
  enum xnn_status st;
  if (in->type == Q8_TYPE_FLOAT32) {
    float lo, hi;
    peer_act_bounds_f(o->activation, &lo, &hi);
    st = xnn_create_convolution2d_nhwc_f32(
        (uint32_t)pt, (uint32_t)pr, (uint32_t)pb, (uint32_t)pl, (uint32_t)kh, (uint32_t)kw,
        (uint32_t)o->stride_h, (uint32_t)o->stride_w, (uint32_t)o->dilation_h,
        (uint32_t)o->dilation_w, groups, gic, goc, (size_t)c, (size_t)oc, peer_in_buf(&b->at, 1),
        peer_in_buf(&b->at, 2), lo, hi, flags, op);
    if (!check(b, st, "xnn_create_convolution2d_nhwc_f32")) return false;
    st = xnn_setup_convolution2d_nhwc_f32(*op, 1, (size_t)h, (size_t)wd, peer_in_buf(&b->at, 0), peer_out_buf(&b->at),
                                          b->s->pool);
    return check(b, st, "xnn_setup_convolution2d_nhwc_f32");
  }
  int32_t lo, hi;
  peer_act_bounds_q(out, o->activation, &lo, &hi);
  if (in->type == Q8_TYPE_UINT8) {
    st = xnn_create_convolution2d_nhwc_qu8(
        (uint32_t)pt, (uint32_t)pr, (uint32_t)pb, (uint32_t)pl, (uint32_t)kh, (uint32_t)kw,
        (uint32_t)o->stride_h, (uint32_t)o->stride_w, (uint32_t)o->dilation_h,
        (uint32_t)o->dilation_w, groups, gic, goc, (size_t)c, (size_t)oc,
        (uint8_t)peer_zero_point(in), peer_scale(in, 0), (uint8_t)peer_zero_point(w),
        peer_scale(w, 0), peer_in_buf(&b->at, 1), peer_in_buf(&b->at, 2), (uint8_t)peer_zero_point(out),
        peer_scale(out, 0), (uint8_t)lo, (uint8_t)hi, flags, op);
    if (!check(b, st, "xnn_create_convolution2d_nhwc_qu8")) return false;
    st = xnn_setup_convolution2d_nhwc_qu8(*op, 1, (size_t)h, (size_t)wd, peer_in_buf(&b->at, 0), peer_out_buf(&b->at),
                                          b->s->pool);
    return check(b, st, "xnn_setup_convolution2d_nhwc_qu8");
  }
  float *scales = channel_scales(w, (size_t)oc);
  if (!scales) return false;
  st = xnn_create_convolution2d_nhwc_qc8(
      (uint32_t)pt, (uint32_t)pr, (uint32_t)pb, (uint32_t)pl, (uint32_t)kh, (uint32_t)kw,
      (uint32_t)o->stride_h, (uint32_t)o->stride_w, (uint32_t)o->dilation_h,
      (uint32_t)o->dilation_w, groups, gic, goc, (size_t)c, (size_t)oc,
      (int8_t)peer_zero_point(in), peer_scale(in, 0), scales, peer_in_buf(&b->at, 1), peer_in_buf(&b->at, 2),
      (int8_t)peer_zero_point(out), peer_scale(out, 0), (int8_t)lo, (int8_t)hi, flags, op);
  free(scales);
  if (!check(b, st, "xnn_create_convolution2d_nhwc_qc8")) return false;
  st = xnn_setup_convolution2d_nhwc_qc8(*op, 1, (size_t)h, (size_t)wd, peer_in_buf(&b->at, 0), peer_out_buf(&b->at),
                                        b->s->pool);
  return check(b, st, "xnn_setup_convolution2d_nhwc_qc8");
}

static bool fully_connected(xnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0), *w = peer_in(&b->at, 1), *out = peer_out(&b->at);
  const size_t k = (size_t)w->dims[1], n = (size_t)w->dims[0];
  const size_t rows = q8_tensor_elements(in) / k;
  const q8_activation act = b->at.n->opt.fully_connected.activation;
  xnn_operator_t *op = next_op(b);
  enum xnn_status st;
  if (in->type == Q8_TYPE_FLOAT32) {
    float lo, hi;
    peer_act_bounds_f(act, &lo, &hi);
    st = xnn_create_fully_connected_nc_f32(k, n, k, n, peer_in_buf(&b->at, 1), peer_in_buf(&b->at, 2), lo, hi, 0, op);
    if (!check(b, st, "xnn_create_fully_connected_nc_f32")) return false;
    st = xnn_setup_fully_connected_nc_f32(*op, rows, peer_in_buf(&b->at, 0), peer_out_buf(&b->at), b->s->pool);
    return check(b, st, "xnn_setup_fully_connected_nc_f32");
  }
  int32_t lo, hi;
  peer_act_bounds_q(out, act, &lo, &hi);
  if (in->type == Q8_TYPE_UINT8) {
    st = xnn_create_fully_connected_nc_qu8(
        k, n, k, n, (uint8_t)peer_zero_point(in), peer_scale(in, 0), (uint8_t)peer_zero_point(w),
        peer_scale(w, 0), peer_in_buf(&b->at, 1), peer_in_buf(&b->at, 2), (uint8_t)peer_zero_point(out),
        peer_scale(out, 0), (uint8_t)lo, (uint8_t)hi, 0, op);
    if (!check(b, st, "xnn_create_fully_connected_nc_qu8")) return false;
    st = xnn_setup_fully_connected_nc_qu8(*op, rows, peer_in_buf(&b->at, 0), peer_out_buf(&b->at), b->s->pool);
    return check(b, st, "xnn_setup_fully_connected_nc_qu8");
  }
  if (w->quant.count > 1) { /* per-channel weights: a 1x1 qc8 convolution over the rows */
    float *scales = channel_scales(w, n);
    if (!scales) return false;
    st = xnn_create_convolution2d_nhwc_qc8(
        0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, k, n, k, n, (int8_t)peer_zero_point(in),
        peer_scale(in, 0), scales, peer_in_buf(&b->at, 1), peer_in_buf(&b->at, 2), (int8_t)peer_zero_point(out),
        peer_scale(out, 0), (int8_t)lo, (int8_t)hi, 0, op);
    free(scales);
    if (!check(b, st, "xnn_create_convolution2d_nhwc_qc8 (per-channel FC)")) return false;
    st = xnn_setup_convolution2d_nhwc_qc8(*op, 1, rows, 1, peer_in_buf(&b->at, 0), peer_out_buf(&b->at), b->s->pool);
    return check(b, st, "xnn_setup_convolution2d_nhwc_qc8");
  }
  st = xnn_create_fully_connected_nc_qs8(k, n, k, n, (int8_t)peer_zero_point(in), peer_scale(in, 0),
                                         peer_scale(w, 0), peer_in_buf(&b->at, 1), peer_in_buf(&b->at, 2),
                                         (int8_t)peer_zero_point(out), peer_scale(out, 0),
                                         (int8_t)lo, (int8_t)hi, 0, op);
  if (!check(b, st, "xnn_create_fully_connected_nc_qs8")) return false;
  st = xnn_setup_fully_connected_nc_qs8(*op, rows, peer_in_buf(&b->at, 0), peer_out_buf(&b->at), b->s->pool);
  return check(b, st, "xnn_setup_fully_connected_nc_qs8");
}

static void shape_of(const q8_tensor *t, size_t *dims) {
  for (int32_t i = 0; i < t->rank; i++) dims[i] = (size_t)t->dims[i];
}

static bool add(xnn_build *b) {
  const q8_tensor *x = peer_in(&b->at, 0), *y = peer_in(&b->at, 1), *out = peer_out(&b->at);
  size_t xd[Q8_MAX_RANK], yd[Q8_MAX_RANK];
  shape_of(x, xd), shape_of(y, yd);
  const q8_activation act = b->at.n->opt.add.activation;
  xnn_operator_t *op = next_op(b);
  enum xnn_status st;
  if (x->type == Q8_TYPE_FLOAT32) {
    float lo, hi;
    peer_act_bounds_f(act, &lo, &hi);
    st = xnn_create_add_nd_f32(lo, hi, 0, op);
    if (!check(b, st, "xnn_create_add_nd_f32")) return false;
    st = xnn_setup_add_nd_f32(*op, (size_t)x->rank, xd, (size_t)y->rank, yd, peer_in_buf(&b->at, 0),
                              peer_in_buf(&b->at, 1), peer_out_buf(&b->at), b->s->pool);
    return check(b, st, "xnn_setup_add_nd_f32");
  }
  int32_t lo, hi;
  peer_act_bounds_q(out, act, &lo, &hi);
  if (x->type == Q8_TYPE_UINT8) {
    st = xnn_create_add_nd_qu8((uint8_t)peer_zero_point(x), peer_scale(x, 0),
                               (uint8_t)peer_zero_point(y), peer_scale(y, 0),
                               (uint8_t)peer_zero_point(out), peer_scale(out, 0), (uint8_t)lo,
                               (uint8_t)hi, 0, op);
    if (!check(b, st, "xnn_create_add_nd_qu8")) return false;
    st = xnn_setup_add_nd_qu8(*op, (size_t)x->rank, xd, (size_t)y->rank, yd, peer_in_buf(&b->at, 0),
                              peer_in_buf(&b->at, 1), peer_out_buf(&b->at), b->s->pool);
    return check(b, st, "xnn_setup_add_nd_qu8");
  }
  st = xnn_create_add_nd_qs8((int8_t)peer_zero_point(x), peer_scale(x, 0), (int8_t)peer_zero_point(y),
                             peer_scale(y, 0), (int8_t)peer_zero_point(out), peer_scale(out, 0),
                             (int8_t)lo, (int8_t)hi, 0, op);
  if (!check(b, st, "xnn_create_add_nd_qs8")) return false;
  st = xnn_setup_add_nd_qs8(*op, (size_t)x->rank, xd, (size_t)y->rank, yd, peer_in_buf(&b->at, 0),
                            peer_in_buf(&b->at, 1), peer_out_buf(&b->at), b->s->pool);
  return check(b, st, "xnn_setup_add_nd_qs8");
}

/* Global average over H*W pixels (MEAN over axes 1 and 2, or a pooling window covering the
   whole VALID input). */
static bool global_average(xnn_build *b, int32_t pixels, int32_t channels, q8_activation act) {
  const q8_tensor *in = peer_in(&b->at, 0), *out = peer_out(&b->at);
  const size_t c = (size_t)channels;
  xnn_operator_t *op = next_op(b);
  enum xnn_status st;
  if (in->type == Q8_TYPE_FLOAT32) {
    float lo, hi;
    peer_act_bounds_f(act, &lo, &hi);
    st = xnn_create_global_average_pooling_nwc_f32(c, c, c, lo, hi, 0, op);
    if (!check(b, st, "xnn_create_global_average_pooling_nwc_f32")) return false;
    st = xnn_setup_global_average_pooling_nwc_f32(*op, 1, (size_t)pixels, peer_in_buf(&b->at, 0), peer_out_buf(&b->at),
                                                  b->s->pool);
    return check(b, st, "xnn_setup_global_average_pooling_nwc_f32");
  }
  int32_t lo, hi;
  peer_act_bounds_q(out, act, &lo, &hi);
  if (in->type == Q8_TYPE_UINT8) {
    st = xnn_create_global_average_pooling_nwc_qu8(
        c, c, c, (uint8_t)peer_zero_point(in), peer_scale(in, 0), (uint8_t)peer_zero_point(out),
        peer_scale(out, 0), (uint8_t)lo, (uint8_t)hi, 0, op);
    if (!check(b, st, "xnn_create_global_average_pooling_nwc_qu8")) return false;
    st = xnn_setup_global_average_pooling_nwc_qu8(*op, 1, (size_t)pixels, peer_in_buf(&b->at, 0), peer_out_buf(&b->at),
                                                  b->s->pool);
    return check(b, st, "xnn_setup_global_average_pooling_nwc_qu8");
  }
  st = xnn_create_global_average_pooling_nwc_qs8(c, c, c, (int8_t)peer_zero_point(in),
                                                 peer_scale(in, 0), (int8_t)peer_zero_point(out),
                                                 peer_scale(out, 0), (int8_t)lo, (int8_t)hi, 0, op);
  if (!check(b, st, "xnn_create_global_average_pooling_nwc_qs8")) return false;
  st = xnn_setup_global_average_pooling_nwc_qs8(*op, 1, (size_t)pixels, peer_in_buf(&b->at, 0), peer_out_buf(&b->at),
                                                b->s->pool);
  return check(b, st, "xnn_setup_global_average_pooling_nwc_qs8");
}

static bool pool(xnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0), *out = peer_out(&b->at);
  const __typeof__(b->at.n->opt.pool) *o = &b->at.n->opt.pool;
  const int32_t h = in->dims[1], w = in->dims[2], c = in->dims[3];
  const size_t cs = (size_t)c;
  int32_t pt, pb, pl, pr;
  peer_padding(o->padding, h, o->filter_h, o->stride_h, 1, out->dims[1], &pt, &pb);
  peer_padding(o->padding, w, o->filter_w, o->stride_w, 1, out->dims[2], &pl, &pr);
  if (!peer_window_fits(h, pt, pb, o->filter_h, o->stride_h, 1, out->dims[1]) ||
      !peer_window_fits(w, pl, pr, o->filter_w, o->stride_w, 1, out->dims[2])) {
    peer_note(b->why, b->why_size, "%s: output %dx%d does not follow from the geometry",
              q8_op_name(b->at.n->kind), (int)out->dims[1], (int)out->dims[2]);
    return false;
  }
  const bool is_max = b->at.n->kind == Q8_OP_MAX_POOL_2D;
  if (!is_max && out->dims[1] == 1 && out->dims[2] == 1 && o->filter_h == h && o->filter_w == w)
    return global_average(b, h * w, c, o->activation);
  if (!is_max && in->type == Q8_TYPE_INT8) return add_fallback(b); /* no qs8 average pooling */
  const uint32_t p4[4] = {(uint32_t)pt, (uint32_t)pr, (uint32_t)pb, (uint32_t)pl};
  const uint32_t fh = (uint32_t)o->filter_h, fw = (uint32_t)o->filter_w;
  const uint32_t sh = (uint32_t)o->stride_h, sw = (uint32_t)o->stride_w;
  xnn_operator_t *op = next_op(b);
  enum xnn_status st;
  if (in->type == Q8_TYPE_FLOAT32) {
    float lo, hi;
    peer_act_bounds_f(o->activation, &lo, &hi);
    if (is_max) {
      st = xnn_create_max_pooling2d_nhwc_f32(p4[0], p4[1], p4[2], p4[3], fh, fw, sh, sw, 1, 1, cs,
                                             cs, cs, lo, hi, 0, op);
      if (!check(b, st, "xnn_create_max_pooling2d_nhwc_f32")) return false;
      st = xnn_setup_max_pooling2d_nhwc_f32(*op, 1, (size_t)h, (size_t)w, peer_in_buf(&b->at, 0), peer_out_buf(&b->at),
                                            b->s->pool);
    } else {
      st = xnn_create_average_pooling2d_nhwc_f32(p4[0], p4[1], p4[2], p4[3], fh, fw, sh, sw, cs, cs,
                                                 cs, lo, hi, 0, op);
      if (!check(b, st, "xnn_create_average_pooling2d_nhwc_f32")) return false;
      st = xnn_setup_average_pooling2d_nhwc_f32(*op, 1, (size_t)h, (size_t)w, peer_in_buf(&b->at, 0),
                                                peer_out_buf(&b->at), b->s->pool);
    }
    return check(b, st, "xnn_setup_*_pooling2d_nhwc_f32");
  }
  int32_t lo, hi;
  peer_act_bounds_q(out, o->activation, &lo, &hi);
  if (is_max && in->type == Q8_TYPE_INT8) {
    st = xnn_create_max_pooling2d_nhwc_s8(p4[0], p4[1], p4[2], p4[3], fh, fw, sh, sw, 1, 1, cs, cs,
                                          cs, (int8_t)lo, (int8_t)hi, 0, op);
    if (!check(b, st, "xnn_create_max_pooling2d_nhwc_s8")) return false;
    st = xnn_setup_max_pooling2d_nhwc_s8(*op, 1, (size_t)h, (size_t)w, peer_in_buf(&b->at, 0), peer_out_buf(&b->at),
                                         b->s->pool);
  } else if (is_max) {
    st = xnn_create_max_pooling2d_nhwc_u8(p4[0], p4[1], p4[2], p4[3], fh, fw, sh, sw, 1, 1, cs, cs,
                                          cs, (uint8_t)lo, (uint8_t)hi, 0, op);
    if (!check(b, st, "xnn_create_max_pooling2d_nhwc_u8")) return false;
    st = xnn_setup_max_pooling2d_nhwc_u8(*op, 1, (size_t)h, (size_t)w, peer_in_buf(&b->at, 0), peer_out_buf(&b->at),
                                         b->s->pool);
  } else {
    st = xnn_create_average_pooling2d_nhwc_qu8(
        p4[0], p4[1], p4[2], p4[3], fh, fw, sh, sw, cs, cs, cs, (uint8_t)peer_zero_point(in),
        peer_scale(in, 0), (uint8_t)peer_zero_point(out), peer_scale(out, 0), (uint8_t)lo,
        (uint8_t)hi, 0, op);
    if (!check(b, st, "xnn_create_average_pooling2d_nhwc_qu8")) return false;
    st = xnn_setup_average_pooling2d_nhwc_qu8(*op, 1, (size_t)h, (size_t)w, peer_in_buf(&b->at, 0),
                                              peer_out_buf(&b->at), b->s->pool);
  }
  return check(b, st, "xnn_setup_*_pooling2d_nhwc (8-bit)");
}

static bool mean(xnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0);
  if (!peer_is_spatial_mean(&b->at)) return false;
  return global_average(b, in->dims[1] * in->dims[2], in->dims[3], Q8_ACT_NONE);
}

static bool softmax(xnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0), *out = peer_out(&b->at);
  const size_t n = (size_t)in->dims[in->rank - 1], rows = q8_tensor_elements(in) / n;
  if (in->type == Q8_TYPE_INT8 || b->at.n->opt.softmax.beta != 1.0f) return add_fallback(b);
  xnn_operator_t *op = next_op(b);
  enum xnn_status st;
  if (in->type == Q8_TYPE_FLOAT32) {
    st = xnn_create_softmax_nc_f32(n, n, n, 0, op);
    if (!check(b, st, "xnn_create_softmax_nc_f32")) return false;
    st = xnn_setup_softmax_nc_f32(*op, rows, peer_in_buf(&b->at, 0), peer_out_buf(&b->at), b->s->pool);
    return check(b, st, "xnn_setup_softmax_nc_f32");
  }
  st = xnn_create_softmax_nc_qu8(n, n, n, peer_scale(in, 0), (uint8_t)peer_zero_point(out),
                                 peer_scale(out, 0), 0, op);
  if (!check(b, st, "xnn_create_softmax_nc_qu8")) return false;
  st = xnn_setup_softmax_nc_qu8(*op, rows, peer_in_buf(&b->at, 0), peer_out_buf(&b->at), b->s->pool);
  return check(b, st, "xnn_setup_softmax_nc_qu8");
}

static bool pad(xnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0), *pads = peer_in(&b->at, 1), *out = peer_out(&b->at);
  int32_t p[2 * Q8_MAX_RANK] = {0};
  if (pads->data_size != sizeof(int32_t) * 2 * (size_t)in->rank) return false;
  memcpy(p, pads->data, pads->data_size);
  size_t shape[Q8_MAX_RANK], pre[Q8_MAX_RANK], post[Q8_MAX_RANK];
  for (int32_t i = 0; i < in->rank; i++)
    shape[i] = (size_t)in->dims[i], pre[i] = (size_t)p[2 * i], post[i] = (size_t)p[2 * i + 1];
  xnn_operator_t *op = next_op(b);
  enum xnn_status st;
  if (in->type == Q8_TYPE_FLOAT32) {
    const float zero = 0.0f;
    st = xnn_create_constant_pad_nd_x32(&zero, 0, op);
    if (!check(b, st, "xnn_create_constant_pad_nd_x32")) return false;
    st = xnn_setup_constant_pad_nd_x32(*op, (size_t)in->rank, shape, pre, post, peer_in_buf(&b->at, 0),
                                       peer_out_buf(&b->at), b->s->pool);
    return check(b, st, "xnn_setup_constant_pad_nd_x32");
  }
  const uint8_t zero = (uint8_t)peer_zero_point(out);
  st = xnn_create_constant_pad_nd_x8(&zero, 0, op);
  if (!check(b, st, "xnn_create_constant_pad_nd_x8")) return false;
  st = xnn_setup_constant_pad_nd_x8(*op, (size_t)in->rank, shape, pre, post, peer_in_buf(&b->at, 0),
                                    peer_out_buf(&b->at), b->s->pool);
  return check(b, st, "xnn_setup_constant_pad_nd_x8");
}

/* Along the last axis: one strided copy per input (inputs with the output's quantization). */
static bool concatenation(xnn_build *b) {
  const q8_tensor *out = peer_out(&b->at);
  int32_t axis = b->at.n->opt.concatenation.axis;
  if (axis < 0) axis += out->rank;
  if (axis != out->rank - 1) return false;
  const size_t es = q8_type_size(out->type), oc = (size_t)out->dims[axis];
  const size_t pixels = q8_tensor_elements(out) / oc;
  size_t offset = 0;
  for (int32_t i = 0; i < b->at.n->n_inputs; i++) {
    const q8_tensor *in = peer_in(&b->at, i);
    const size_t c = (size_t)in->dims[axis];
    xnn_operator_t *op = next_op(b);
    enum xnn_status st = es == 4 ? xnn_create_copy_nc_x32(c, c, oc, 0, op)
                                 : xnn_create_copy_nc_x8(c, c, oc, 0, op);
    if (!check(b, st, "xnn_create_copy_nc")) return false;
    void *dst = (uint8_t *)peer_out_buf(&b->at) + offset * es;
    st = es == 4 ? xnn_setup_copy_nc_x32(*op, pixels, peer_in_buf(&b->at, i), dst, b->s->pool)
                 : xnn_setup_copy_nc_x8(*op, pixels, peer_in_buf(&b->at, i), dst, b->s->pool);
    if (!check(b, st, "xnn_setup_copy_nc")) return false;
    offset += c;
  }
  return true;
}

static bool build_node(xnn_build *b) {
  switch (b->at.n->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D: return conv(b);
    case Q8_OP_FULLY_CONNECTED: return fully_connected(b);
    case Q8_OP_ADD: return add(b);
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D: return pool(b);
    case Q8_OP_MEAN: return mean(b);
    case Q8_OP_SOFTMAX: return softmax(b);
    case Q8_OP_PAD: return pad(b);
    case Q8_OP_CONCATENATION: return concatenation(b);
    case Q8_OP_RESHAPE:
    case Q8_OP_SQUEEZE: return true; /* aliased when buffers are made */
    default: return false;
  }
}

bool peer_xnnpack_init(const q8_graph *g, const void *input, int threads, peer_runner *r) {
  snprintf(r->name, sizeof r->name, "xnnpack");
  r->invoke = xnn_invoke, r->output = xnn_output, r->free = xnn_state_free;
  if (xnn_initialize(NULL) != xnn_status_success) {
    peer_note(r->note, sizeof r->note, "xnn_initialize failed (CPU unsupported?)");
    return false;
  }
  xnn_state *s = calloc(1, sizeof *s);
  r->state = s;
  if (!s) return false;
  s->n_tensors = g->n_tensors;
  s->buf = calloc((size_t)g->n_tensors, sizeof *s->buf);
  s->owned = calloc((size_t)g->n_tensors, sizeof *s->owned);
  int32_t max_steps = 0;
  for (int32_t i = 0; i < g->n_nodes; i++) max_steps += g->nodes[i].n_inputs + 1;
  s->steps = calloc((size_t)max_steps, sizeof *s->steps);
  if (!s->buf || !s->owned || !s->steps || !peer_make_buffers(g, s->buf, s->owned)) {
    peer_note(r->note, sizeof r->note, "out of memory");
    return false;
  }
  s->pool = threads > 1 ? pthreadpool_create((size_t)threads) : NULL;
  xnn_build b = {.s = s, .at = {g, NULL, s->buf}, .why = r->note, .why_size = sizeof r->note};
  for (int32_t i = 0; i < g->n_nodes; i++) {
    b.at.n = &g->nodes[i];
    if (!build_node(&b)) {
      if (!r->note[0])
        peer_note(r->note, sizeof r->note, "node %d %s: not expressed with XNNPACK operators", (int)i,
                  q8_op_name(b.at.n->kind));
      return false;
    }
  }
  memcpy(s->buf[g->inputs[0]], input, peer_tensor_bytes(&g->tensors[g->inputs[0]]));
  s->output = s->buf[g->outputs[0]];
  r->output_bytes = peer_tensor_bytes(&g->tensors[g->outputs[0]]);
  peer_note(r->note, sizeof r->note, "%d operators, %s", (int)s->n_steps,
            threads > 1 ? "pthreadpool" : "no threadpool");
  for (int32_t k = 0; k < Q8_OP_COUNT; k++)
    if (b.fallbacks[k])
      peer_note(r->note, sizeof r->note, "; %d %s in plain C (no XNNPACK operator)", (int)b.fallbacks[k],
                q8_op_name((q8_op_kind)k));
  return true;
}
