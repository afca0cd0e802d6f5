/* bench-peers: the network rebuilt with oneDNN 2.6 primitives (C API): convolution (int8:
   s8/u8 source, s8 weights in the layout oneDNN picks, per-channel output scales, source and
   destination zero points, an eltwise clip post-op for the fused activation), inner product
   for FULLY_CONNECTED, binary add (scales, then an eltwise linear post-op for the zero points),
   pooling (also MEAN), concat, softmax (float). Activations stay NHWC (oneDNN's int8 layout;
   float convolutions may prefer blocked layouts that would need reorders between layers), one
   buffer per tensor, RESHAPE and SQUEEZE alias their input. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>

#include "peers.h"

#define DNN_MAX_ARGS 20

typedef struct dnn_step {
  dnnl_primitive_t prim; /* NULL: a plain C stand-in */
  int nargs;
  dnnl_exec_arg_t args[DNN_MAX_ARGS];
  peer_fallback fallback;
} dnn_step;

typedef struct dnn_state {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  int32_t n_tensors, n_steps, n_mems, max_mems;
  void **buf;
  bool *owned;
  dnn_step *steps;
  dnnl_memory_t *mems;
  const void *output;
} dnn_state;

#define DNN_MAX_IMPLS 12
typedef struct dnn_build {
  dnn_state *s;
  peer_cursor at; /* the graph, the node being built, the tensors' buffers */
  char *why;
  size_t why_size;
  int32_t fallbacks[Q8_OP_COUNT];
  int32_t approximations;
  char impl_names[DNN_MAX_IMPLS][48];
  int32_t impl_counts[DNN_MAX_IMPLS];
} dnn_build;

static bool dnn_invoke(void *state) {
  dnn_state *s = state;
  for (int32_t i = 0; i < s->n_steps; i++) {
    dnn_step *st = &s->steps[i];
    if (!st->prim) {
      if (dnnl_stream_wait(s->stream) != dnnl_success) return false;
      peer_fallback_run(&st->fallback);
    } else if (dnnl_primitive_execute(st->prim, s->stream, st->nargs, st->args) != dnnl_success) {
      return false;
    }
  }
  return dnnl_stream_wait(s->stream) == dnnl_success;
}

static const void *dnn_output(void *state) { return ((dnn_state *)state)->output; }

static void dnn_state_free(void *state) {
  dnn_state *s = state;
  if (!s) return;
  for (int32_t i = 0; i < s->n_steps; i++)
    if (s->steps[i].prim) dnnl_primitive_destroy(s->steps[i].prim);
  for (int32_t i = 0; i < s->n_mems; i++) dnnl_memory_destroy(s->mems[i]);
  peer_free_buffers(s->n_tensors, s->buf, s->owned);
  free(s->steps);
  free(s->mems);
  if (s->stream) dnnl_stream_destroy(s->stream);
  if (s->engine) dnnl_engine_destroy(s->engine);
  free(s);
}


static bool ok(dnn_build *b, dnnl_status_t st, const char *what) {
  if (st == dnnl_success) return true;
  peer_note(b->why, b->why_size, "node %d %s: %s failed (dnnl_status %d)",
            (int)(b->at.n - b->at.g->nodes), q8_op_name(b->at.n->kind), what, (int)st);
  return false;
}

static dnnl_data_type_t dtype(q8_type t) {
  switch (t) {
    case Q8_TYPE_INT8: return dnnl_s8;
    case Q8_TYPE_UINT8: return dnnl_u8;
    case Q8_TYPE_INT32: return dnnl_s32;
    default: return dnnl_f32;
  }
}

/* A tensor's description: rank 4 as logical NCHW over NHWC bytes, others row-major. */
static void tensor_md(const q8_tensor *t, dnnl_memory_desc_t *md) {
  static const dnnl_format_tag_t plain[] = {dnnl_a, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd,
                                            dnnl_abcde, dnnl_abcdef};
  if (t->rank == 4) {
    const dnnl_dims_t d = {t->dims[0], t->dims[3], t->dims[1], t->dims[2]};
    dnnl_memory_desc_init_by_tag(md, 4, d, dtype(t->type), dnnl_nhwc);
    return;
  }
  dnnl_dims_t d = {1};
  for (int32_t i = 0; i < t->rank; i++) d[i] = t->dims[i];
  dnnl_memory_desc_init_by_tag(md, t->rank ? t->rank : 1, d, dtype(t->type), plain[t->rank]);
}

static dnnl_memory_t memory(dnn_build *b, const dnnl_memory_desc_t *md, void *handle) {
  dnn_state *s = b->s;
  if (s->n_mems == s->max_mems) return NULL;
  dnnl_memory_t m = NULL;
  if (dnnl_memory_create(&m, md, s->engine, handle) != dnnl_success) return NULL;
  s->mems[s->n_mems++] = m;
  return m;
}

static void count_impl(dnn_build *b, const_dnnl_primitive_desc_t pd) {
  const char *name = NULL;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success || !name)
    return;
  for (int32_t i = 0; i < DNN_MAX_IMPLS; i++) {
    if (b->impl_names[i][0] && strcmp(b->impl_names[i], name) != 0) continue;
    snprintf(b->impl_names[i], sizeof b->impl_names[i], "%s", name);
    b->impl_counts[i]++;
    return;
  }
}

/* Creates the primitive of pd as the next step, with args (memories already made). */
static bool add_step(dnn_build *b, dnnl_primitive_desc_t pd, int nargs,
                     const dnnl_exec_arg_t *args) {
  dnn_step *step = &b->s->steps[b->s->n_steps];
  count_impl(b, pd);
  const dnnl_status_t st = dnnl_primitive_create(&step->prim, pd);
  dnnl_primitive_desc_destroy(pd);
  if (!ok(b, st, "dnnl_primitive_create")) return false;
  step->nargs = nargs;
  memcpy(step->args, args, sizeof(*args) * (size_t)nargs);
  b->s->n_steps++;
  return true;
}

static bool add_fallback(dnn_build *b) {
  dnn_step *step = &b->s->steps[b->s->n_steps++];
  step->prim = NULL;
  step->fallback = (peer_fallback){b->at.g, b->at.n, peer_in_buf(&b->at, 0), peer_out_buf(&b->at)};
  b->fallbacks[b->at.n->kind]++;
  return true;
}

/* Weights in the layout the primitive chose: a memory oneDNN allocates, filled once by a
   reorder from the user's plain layout. */
static dnnl_memory_t packed_weights(dnn_build *b, dnnl_primitive_desc_t pd,
                                    const dnnl_memory_desc_t *user_md, void *user) {
  const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  dnnl_memory_t from = memory(b, user_md, user), to = memory(b, want, DNNL_MEMORY_ALLOCATE);
  if (!from || !to) return NULL;
  dnnl_primitive_desc_t rpd = NULL;
  dnnl_primitive_t reorder = NULL;
  if (!ok(b, dnnl_reorder_primitive_desc_create(&rpd, user_md, b->s->engine, want, b->s->engine,
                                                NULL),
          "reorder of the weights"))
    return NULL;
  dnnl_status_t st = dnnl_primitive_create(&reorder, rpd);
  dnnl_primitive_desc_destroy(rpd);
  if (!ok(b, st, "reorder primitive")) return NULL;
  const dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  st = dnnl_primitive_execute(reorder, b->s->stream, 2, args);
  if (st == dnnl_success) st = dnnl_stream_wait(b->s->stream);
  dnnl_primitive_destroy(reorder);
  return ok(b, st, "weights reorder") ? to : NULL;
}

/* Output scales, zero points and the fused activation of a quantized convolution or inner
   product (scale_mask: the destination's channel dimension); for float only the activation.
   zero_point_attrs: source and destination zero points as oneDNN attributes (convolution);
   otherwise the destination's is a linear post-op and the source's the caller's business. */
static dnnl_primitive_attr_t quantized_attr(const q8_tensor *in, const q8_tensor *w,
                                            const q8_tensor *out, int32_t channels, int scale_mask,
                                            q8_activation act, bool zero_point_attrs) {
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
  dnnl_post_ops_create(&po);
  if (in->type == Q8_TYPE_FLOAT32) {
    float lo, hi;
    peer_act_bounds_f(act, &lo, &hi);
    if (act == Q8_ACT_RELU) dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    else if (act != Q8_ACT_NONE) dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, lo, hi);
  } else {
    float *scales = malloc(sizeof(float) * (size_t)channels);
    if (!scales) return attr;
    for (int32_t c = 0; c < channels; c++)
      scales[c] = peer_scale(in, 0) * peer_scale(w, c) / peer_scale(out, 0);
    dnnl_primitive_attr_set_output_scales(attr, channels, scale_mask, scales);
    free(scales);
    const int32_t zin = peer_zero_point(in), zout = peer_zero_point(out);
    int32_t lo, hi;
    peer_act_bounds_q(out, act, &lo, &hi);
    if (zero_point_attrs) {
      if (zin) dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &zin);
      if (zout) dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_DST, 1, 0, &zout);
    } else {
      dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_linear, 1.0f, (float)zout);
    }
    const int32_t shift = zero_point_attrs ? zout : 0; /* the clamp comes before the zero point */
    if (act != Q8_ACT_NONE)
      dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, (float)(lo - shift),
                                   (float)(hi - shift));
  }
  dnnl_primitive_attr_set_post_ops(attr, po);
  dnnl_post_ops_destroy(po);
  return attr;
}

/* Weights as oneDNN takes them: int8 as is; uint8 shifted by their zero point into int8 and
   clamped (oneDNN has no weight zero points for convolution: the timing is right, the values
   only approximate, counted in the note); float as is. Rearranged by index with order. */
static void *convert_weights(dnn_build *b, const q8_tensor *w, size_t count,
                             size_t (*order)(size_t i, const void *ctx), const void *ctx) {
  const size_t es = w->type == Q8_TYPE_FLOAT32 ? 4 : 1;
  uint8_t *dst = malloc(count * es + 64);
  if (!dst) return NULL;
  const uint8_t *src = peer_in_buf(&b->at, 1);
  const int32_t zp = peer_zero_point(w);
  if (w->type == Q8_TYPE_UINT8) b->approximations++;
  for (size_t i = 0; i < count; i++) {
    const size_t from = order ? order(i, ctx) : i;
    if (es == 4) {
      memcpy(dst + 4 * i, src + 4 * from, 4);
    } else if (w->type == Q8_TYPE_UINT8) {
      int32_t v = (int32_t)src[from] - zp;
      dst[i] = (uint8_t)(int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    } else {
      dst[i] = src[from];
    }
  }
  return dst;
}

typedef struct dw_order {
  size_t kh, kw, oc;
} dw_order;
/* goihw index ((g * M + m) * KH + y) * KW + x -> TFLite [1, KH, KW, C * M] index (output
   channel g * M + m, M the depth multiplier). */
static size_t depthwise_order(size_t i, const void *ctx) {
  const dw_order *o = ctx;
  const size_t channel = i / (o->kh * o->kw), yx = i % (o->kh * o->kw);
  return yx * o->oc + channel;
}

/* The step of a convolution or matmul: mds = source, user weights, destination, bias (NULL:
   none); wbuf (the weights in the user layout, freed here) reordered into oneDNN's layout. */
static bool add_weighted_step(dnn_build *b, dnnl_primitive_desc_t pd,
                              const dnnl_memory_desc_t *mds[4], void *wbuf) {
  dnnl_memory_t wm = wbuf ? packed_weights(b, pd, mds[1], wbuf) : NULL;
  free(wbuf);
  dnnl_memory_t src = memory(b, mds[0], peer_in_buf(&b->at, 0)), dst = memory(b, mds[2], peer_out_buf(&b->at));
  dnnl_memory_t bias = mds[3] ? memory(b, mds[3], peer_in_buf(&b->at, 2)) : NULL;
  if (!wm || !src || !dst || (mds[3] && !bias)) {
    dnnl_primitive_desc_destroy(pd);
    return false;
  }
  const dnnl_exec_arg_t args[4] = {
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, dst}, {DNNL_ARG_BIAS, bias}};
  return add_step(b, pd, mds[3] ? 4 : 3, args);
}

static bool conv(dnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0), *w = peer_in(&b->at, 1), *out = peer_out(&b->at);
  const bool dw = b->at.n->kind == Q8_OP_DEPTHWISE_CONV_2D;
  const __typeof__(b->at.n->opt.conv) *o = &b->at.n->opt.conv;
  const int32_t h = in->dims[1], wd = in->dims[2], c = in->dims[3], oc = out->dims[3];
  const int32_t kh = w->dims[1], kw = w->dims[2];
  int32_t pt, pb, pl, pr;
  peer_padding(o->padding, h, kh, o->stride_h, o->dilation_h, out->dims[1], &pt, &pb);
  peer_padding(o->padding, wd, kw, o->stride_w, o->dilation_w, out->dims[2], &pl, &pr);
  const bool is_float = in->type == Q8_TYPE_FLOAT32;
  const dnnl_data_type_t wt = is_float ? dnnl_f32 : dnnl_s8;
  dnnl_memory_desc_t src_md, dst_md, w_any, w_user, bias_md;
  tensor_md(in, &src_md), tensor_md(out, &dst_md);
  const dnnl_dims_t wdims = {oc, c, kh, kw}, gdims = {c, oc / c, 1, kh, kw}, bdims = {oc};
  dnnl_memory_desc_init_by_tag(&w_any, dw ? 5 : 4, dw ? gdims : wdims, wt, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&w_user, dw ? 5 : 4, dw ? gdims : wdims, wt,
                               dw ? dnnl_goihw : dnnl_ohwi);
  const bool has_bias = b->at.n->n_inputs > 2 && b->at.n->inputs[2] >= 0;
  dnnl_memory_desc_init_by_tag(&bias_md, 1, bdims, is_float ? dnnl_f32 : dnnl_s32, dnnl_a);
  const dnnl_dims_t strides = {o->stride_h, o->stride_w};
  const dnnl_dims_t dil = {o->dilation_h - 1, o->dilation_w - 1};
  const dnnl_dims_t pad_l = {pt, pl}, pad_r = {pb, pr};
  dnnl_convolution_desc_t desc;
  if (!ok(b, dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference,
                                                        dnnl_convolution_direct, &src_md, &w_any,
                                                        has_bias ? &bias_md : NULL, &dst_md,
                                                        strides, dil, pad_l, pad_r),
          "convolution descriptor"))
    return false;
  dnnl_primitive_attr_t attr = quantized_attr(in, w, out, oc, 1 << 1, o->activation, true);
  dnnl_primitive_desc_t pd = NULL;
  const dnnl_status_t st = dnnl_primitive_desc_create(&pd, &desc, attr, b->s->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  if (!ok(b, st, "convolution primitive descriptor")) return false;
  const size_t count = (size_t)oc * (size_t)kh * (size_t)kw * (size_t)(dw ? 1 : c);
  const dw_order order = {(size_t)kh, (size_t)kw, (size_t)oc};
  void *wbuf = convert_weights(b, w, count, dw ? depthwise_order : NULL, &order);
  const dnnl_memory_desc_t *mds[4] = {&src_md, &w_user, &dst_md, has_bias ? &bias_md : NULL};
  return add_weighted_step(b, pd, mds, wbuf);
}

/* FULLY_CONNECTED as an inner product ([rows, K] by TFLite's [N, K] weights, "oi"). oneDNN's
   inner product takes no zero points: the source's is folded into the bias (as TFLite does:
   bias - z_in * sum_k w[n][k]; the weights are constant), the destination's is a linear
   post-op, then the activation's clamp. */
static bool fully_connected(dnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0), *w = peer_in(&b->at, 1), *out = peer_out(&b->at);
  const int64_t k = w->dims[1], n = w->dims[0], rows = (int64_t)(q8_tensor_elements(in) / (size_t)k);
  const bool is_float = in->type == Q8_TYPE_FLOAT32;
  const bool has_bias = b->at.n->n_inputs > 2 && b->at.n->inputs[2] >= 0;
  if (!is_float && !has_bias) return false; /* the folded zero point needs a bias */
  const dnnl_data_type_t wt = is_float ? dnnl_f32 : dnnl_s8;
  const dnnl_dims_t sd = {rows, k}, wdims = {n, k}, dd = {rows, n}, bd = {n};
  dnnl_memory_desc_t src_md, w_any, w_user, dst_md, bias_md;
  dnnl_memory_desc_init_by_tag(&src_md, 2, sd, dtype(in->type), dnnl_ab);
  dnnl_memory_desc_init_by_tag(&w_any, 2, wdims, wt, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&w_user, 2, wdims, wt, dnnl_oi);
  dnnl_memory_desc_init_by_tag(&dst_md, 2, dd, dtype(out->type), dnnl_ab);
  dnnl_memory_desc_init_by_tag(&bias_md, 1, bd, is_float ? dnnl_f32 : dnnl_s32, dnnl_a);
  dnnl_inner_product_desc_t desc;
  if (!ok(b, dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &src_md, &w_any,
                                                  has_bias ? &bias_md : NULL, &dst_md),
          "inner product descriptor"))
    return false;
  dnnl_primitive_attr_t attr =
      quantized_attr(in, w, out, w->quant.count > 1 ? (int32_t)n : 1,
                     w->quant.count > 1 ? 1 << 1 : 0, b->at.n->opt.fully_connected.activation, false);
  dnnl_primitive_desc_t pd = NULL;
  const dnnl_status_t st = dnnl_primitive_desc_create(&pd, &desc, attr, b->s->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  if (!ok(b, st, "inner product primitive descriptor")) return false;
  int8_t *wbuf = convert_weights(b, w, (size_t)(k * n), NULL, NULL);
  if (wbuf && !is_float) { /* this peer's own copy of the bias */
    int32_t *bias = peer_in_buf(&b->at, 2);
    const int32_t zin = peer_zero_point(in);
    for (int64_t o = 0; o < n; o++) {
      int32_t sum = 0;
      for (int64_t i = 0; i < k; i++) sum += wbuf[o * k + i];
      bias[o] -= zin * sum;
    }
  }
  const dnnl_memory_desc_t *mds[4] = {&src_md, &w_user, &dst_md, has_bias ? &bias_md : NULL};
  return add_weighted_step(b, pd, mds, wbuf);
}

/* Post-ops of an 8-bit result computed as scale * x in float: + offset (the zero points),
   then the activation's clamp in quantized units. */
static dnnl_primitive_attr_t requant_attr(const q8_tensor *out, float alpha, float offset,
                                          q8_activation act) {
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
  dnnl_post_ops_create(&po);
  if (out->type == Q8_TYPE_FLOAT32) {
    float lo, hi;
    peer_act_bounds_f(act, &lo, &hi);
    if (act != Q8_ACT_NONE) dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, lo, hi);
  } else {
    int32_t lo, hi;
    peer_act_bounds_q(out, act, &lo, &hi);
    dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_linear, alpha, offset);
    if (act != Q8_ACT_NONE)
      dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_clip, (float)lo, (float)hi);
  }
  dnnl_primitive_attr_set_post_ops(attr, po);
  dnnl_post_ops_destroy(po);
  return attr;
}

static bool add(dnn_build *b) {
  const q8_tensor *x = peer_in(&b->at, 0), *y = peer_in(&b->at, 1), *out = peer_out(&b->at);
  dnnl_memory_desc_t xm, ym, om;
  tensor_md(x, &xm), tensor_md(y, &ym), tensor_md(out, &om);
  dnnl_binary_desc_t desc;
  if (!ok(b, dnnl_binary_desc_init(&desc, dnnl_binary_add, &xm, &ym, &om), "binary descriptor"))
    return false;
  const float sx = peer_scale(x, 0) / peer_scale(out, 0), sy = peer_scale(y, 0) / peer_scale(out, 0);
  const float offset = (float)peer_zero_point(out) - sx * (float)peer_zero_point(x) -
                       sy * (float)peer_zero_point(y);
  dnnl_primitive_attr_t attr = requant_attr(out, 1.0f, offset, b->at.n->opt.add.activation);
  if (out->type != Q8_TYPE_FLOAT32) {
    dnnl_primitive_attr_set_scales(attr, DNNL_ARG_SRC_0, 1, 0, &sx);
    dnnl_primitive_attr_set_scales(attr, DNNL_ARG_SRC_1, 1, 0, &sy);
  }
  dnnl_primitive_desc_t pd = NULL;
  const dnnl_status_t st = dnnl_primitive_desc_create(&pd, &desc, attr, b->s->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  if (!ok(b, st, "binary add primitive descriptor")) return false;
  dnnl_memory_t a = memory(b, &xm, peer_in_buf(&b->at, 0)), c = memory(b, &ym, peer_in_buf(&b->at, 1));
  dnnl_memory_t d = memory(b, &om, peer_out_buf(&b->at));
  if (!a || !c || !d) {
    dnnl_primitive_desc_destroy(pd);
    return false;
  }
  const dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, c}, {DNNL_ARG_DST, d}};
  return add_step(b, pd, 3, args);
}

/* Pooling over NHWC (MEAN: the whole plane); quantized outputs whose quantization differs
   from the input's are rescaled by a linear post-op. */
static bool pooling(dnn_build *b, dnnl_alg_kind_t alg, const dnnl_dims_t kernel,
                    const dnnl_dims_t strides, const dnnl_dims_t pad_l, const dnnl_dims_t pad_r,
                    q8_activation act) {
  const q8_tensor *in = peer_in(&b->at, 0), *out = peer_out(&b->at);
  dnnl_memory_desc_t src_md, dst_md;
  tensor_md(in, &src_md);
  const dnnl_dims_t od = {1, in->dims[3], (out->rank == 4 ? out->dims[1] : 1),
                          (out->rank == 4 ? out->dims[2] : 1)};
  dnnl_memory_desc_init_by_tag(&dst_md, 4, od, dtype(out->type), dnnl_nhwc);
  const dnnl_dims_t dil = {0, 0};
  dnnl_pooling_v2_desc_t desc;
  if (!ok(b, dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_inference, alg, &src_md, &dst_md,
                                               strides, kernel, dil, pad_l, pad_r),
          "pooling descriptor"))
    return false;
  const bool same_quant = in->type == Q8_TYPE_FLOAT32 ||
                          (peer_scale(in, 0) == peer_scale(out, 0) &&
                           peer_zero_point(in) == peer_zero_point(out));
  dnnl_primitive_attr_t attr = NULL;
  if (!same_quant || act != Q8_ACT_NONE) {
    const float alpha = peer_scale(in, 0) / peer_scale(out, 0);
    const float offset = (float)peer_zero_point(out) - alpha * (float)peer_zero_point(in);
    attr = requant_attr(out, alpha, offset, act);
  }
  dnnl_primitive_desc_t pd = NULL;
  dnnl_status_t st = dnnl_primitive_desc_create(&pd, &desc, attr, b->s->engine, NULL);
  if (st != dnnl_success && attr) { /* post-ops refused: time the pooling alone */
    st = dnnl_primitive_desc_create(&pd, &desc, NULL, b->s->engine, NULL);
    b->approximations++;
  }
  if (attr) dnnl_primitive_attr_destroy(attr);
  if (!ok(b, st, "pooling primitive descriptor")) return false;
  dnnl_memory_t src = memory(b, &src_md, peer_in_buf(&b->at, 0)), dst = memory(b, &dst_md, peer_out_buf(&b->at));
  if (!src || !dst) {
    dnnl_primitive_desc_destroy(pd);
    return false;
  }
  const dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  return add_step(b, pd, 2, args);
}

static bool pool(dnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0), *out = peer_out(&b->at);
  const __typeof__(b->at.n->opt.pool) *o = &b->at.n->opt.pool;
  int32_t pt, pb, pl, pr;
  peer_padding(o->padding, in->dims[1], o->filter_h, o->stride_h, 1, out->dims[1], &pt, &pb);
  peer_padding(o->padding, in->dims[2], o->filter_w, o->stride_w, 1, out->dims[2], &pl, &pr);
  const dnnl_dims_t kernel = {o->filter_h, o->filter_w}, strides = {o->stride_h, o->stride_w};
  const dnnl_dims_t pad_l = {pt, pl}, pad_r = {pb, pr};
  const dnnl_alg_kind_t alg = b->at.n->kind == Q8_OP_MAX_POOL_2D ? dnnl_pooling_max
                                                              : dnnl_pooling_avg_exclude_padding;
  return pooling(b, alg, kernel, strides, pad_l, pad_r, o->activation);
}

static bool mean(dnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0);
  if (!peer_is_spatial_mean(&b->at)) return false;
  const dnnl_dims_t kernel = {in->dims[1], in->dims[2]}, strides = {1, 1}, zero = {0, 0};
  return pooling(b, dnnl_pooling_avg_exclude_padding, kernel, strides, zero, zero, Q8_ACT_NONE);
}

static bool concatenation(dnn_build *b) {
  const q8_tensor *out = peer_out(&b->at);
  int32_t axis = b->at.n->opt.concatenation.axis;
  if (axis < 0) axis += out->rank;
  if (out->rank != 4 || axis != 3 || b->at.n->n_inputs > DNN_MAX_ARGS - 1) return false;
  dnnl_memory_desc_t mds[DNN_MAX_ARGS], om;
  dnnl_exec_arg_t args[DNN_MAX_ARGS];
  for (int32_t i = 0; i < b->at.n->n_inputs; i++) tensor_md(peer_in(&b->at, i), &mds[i]);
  tensor_md(out, &om);
  dnnl_primitive_desc_t pd = NULL;
  if (!ok(b, dnnl_concat_primitive_desc_create(&pd, &om, b->at.n->n_inputs, 1, mds, NULL, b->s->engine),
          "concat primitive descriptor"))
    return false;
  for (int32_t i = 0; i < b->at.n->n_inputs; i++)
    args[i] = (dnnl_exec_arg_t){DNNL_ARG_MULTIPLE_SRC + i, memory(b, &mds[i], peer_in_buf(&b->at, i))};
  args[b->at.n->n_inputs] = (dnnl_exec_arg_t){DNNL_ARG_DST, memory(b, &om, peer_out_buf(&b->at))};
  for (int32_t i = 0; i <= b->at.n->n_inputs; i++)
    if (!args[i].memory) {
      dnnl_primitive_desc_destroy(pd);
      return false;
    }
  return add_step(b, pd, b->at.n->n_inputs + 1, args);
}

static bool softmax(dnn_build *b) {
  const q8_tensor *in = peer_in(&b->at, 0);
  if (in->type != Q8_TYPE_FLOAT32 || b->at.n->opt.softmax.beta != 1.0f) return add_fallback(b);
  const int64_t n = in->dims[in->rank - 1], rows = (int64_t)(q8_tensor_elements(in) / (size_t)n);
  const dnnl_dims_t d = {rows, n};
  dnnl_memory_desc_t md;
  dnnl_memory_desc_init_by_tag(&md, 2, d, dnnl_f32, dnnl_ab);
  dnnl_softmax_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  if (!ok(b, dnnl_softmax_forward_desc_init(&desc, dnnl_forward_inference, &md, 1),
          "softmax descriptor") ||
      !ok(b, dnnl_primitive_desc_create(&pd, &desc, NULL, b->s->engine, NULL),
          "softmax primitive descriptor"))
    return false;
  dnnl_memory_t src = memory(b, &md, peer_in_buf(&b->at, 0)), dst = memory(b, &md, peer_out_buf(&b->at));
  if (!src || !dst) {
    dnnl_primitive_desc_destroy(pd);
    return false;
  }
  const dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  return add_step(b, pd, 2, args);
}

static bool build_node(dnn_build *b) {
  switch (b->at.n->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D: return conv(b);
    case Q8_OP_FULLY_CONNECTED: return fully_connected(b);
    case Q8_OP_ADD: return add(b);
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D: return pool(b);
    case Q8_OP_MEAN: return mean(b);
    case Q8_OP_CONCATENATION: return concatenation(b);
    case Q8_OP_SOFTMAX: return softmax(b);
    case Q8_OP_PAD: return add_fallback(b); /* no pad primitive in oneDNN 2.6 */
    case Q8_OP_RESHAPE:
    case Q8_OP_SQUEEZE: return true;
    default: return false;
  }
}

/* oneDNN's Debian build threads with OpenMP: the thread count is OpenMP's, set through the
   runtime already loaded with libdnnl (no link-time dependency on it here). */
static int set_openmp_threads(int threads) {
  void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  int (*get)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "omp_get_max_threads");
  if (set) set(threads < 1 ? 1 : threads);
  return get ? get() : -1;
}

bool peer_onednn_init(const q8_graph *g, const void *input, int threads, peer_runner *r) {
  snprintf(r->name, sizeof r->name, "onednn");
  r->invoke = dnn_invoke, r->output = dnn_output, r->free = dnn_state_free;
  const int omp_threads = set_openmp_threads(threads);
  dnn_state *s = calloc(1, sizeof *s);
  r->state = s;
  if (!s) return false;
  s->n_tensors = g->n_tensors;
  s->max_mems = 8 * g->n_nodes + 8;
  s->buf = calloc((size_t)g->n_tensors, sizeof *s->buf);
  s->owned = calloc((size_t)g->n_tensors, sizeof *s->owned);
  s->steps = calloc((size_t)g->n_nodes + 1, sizeof *s->steps);
  s->mems = calloc((size_t)s->max_mems, sizeof *s->mems);
  if (!s->buf || !s->owned || !s->steps || !s->mems || !peer_make_buffers(g, s->buf, s->owned) ||
      dnnl_engine_create(&s->engine, dnnl_cpu, 0) != dnnl_success ||
      dnnl_stream_create(&s->stream, s->engine, dnnl_stream_default_flags) != dnnl_success) {
    peer_note(r->note, sizeof r->note, "setup failed (memory or engine)");
    return false;
  }
  dnn_build b = {.s = s, .at = {g, NULL, s->buf}, .why = r->note, .why_size = sizeof r->note};
  for (int32_t i = 0; i < g->n_nodes; i++) {
    b.at.n = &g->nodes[i];
    if (!build_node(&b)) {
      if (!r->note[0])
        peer_note(r->note, sizeof r->note, "node %d %s: not expressed with oneDNN primitives",
                  (int)i, q8_op_name(b.at.n->kind));
      return false;
    }
  }
  memcpy(s->buf[g->inputs[0]], input, peer_tensor_bytes(&g->tensors[g->inputs[0]]));
  s->output = s->buf[g->outputs[0]];
  r->output_bytes = peer_tensor_bytes(&g->tensors[g->outputs[0]]); /* dst dims checked by oneDNN */
  const dnnl_version_t *v = dnnl_version();
  peer_note(r->note, sizeof r->note, "oneDNN %d.%d.%d, OpenMP threads %d, %d primitives:",
            v->major, v->minor, v->patch, omp_threads, (int)s->n_steps);
  for (int32_t i = 0; i < DNN_MAX_IMPLS && b.impl_names[i][0]; i++)
    peer_note(r->note, sizeof r->note, " %s x%d", b.impl_names[i], (int)b.impl_counts[i]);
  for (int32_t k = 0; k < Q8_OP_COUNT; k++)
    if (b.fallbacks[k])
      peer_note(r->note, sizeof r->note, "; %d %s in plain C", (int)b.fallbacks[k],
                q8_op_name((q8_op_kind)k));
  if (b.approximations)
    peer_note(r->note, sizeof r->note, "; %d ops approximated (uint8 weights / pooling rescale)",
              (int)b.approximations);
  return true;
}
