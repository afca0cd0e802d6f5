/* bench-peers helpers: quantization arithmetic shared by the peers, and plain C stand-ins for
   the few operators a peer lacks (so that the whole network runs; the note says which). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

size_t peer_tensor_bytes(const q8_tensor *t) {
  return q8_tensor_elements(t) * q8_type_size(t->type);
}

static void type_range(q8_type type, int32_t *lo, int32_t *hi) {
  *lo = type == Q8_TYPE_UINT8 ? 0 : -128;
  *hi = type == Q8_TYPE_UINT8 ? 255 : 127;
}

float peer_scale(const q8_tensor *t, int32_t c) {
  if (t->quant.count == 0) return 1.0f;
  return t->quant.count > 1 ? t->quant.scale[c] : t->quant.scale[0];
}

int32_t peer_zero_point(const q8_tensor *t) {
  return t->quant.count == 0 ? 0 : t->quant.zero_point[0];
}

static int32_t quantize_clamped(double real, float scale, int32_t zp, int32_t lo, int32_t hi) {
  const double q = round(real / scale) + zp;
  return q < lo ? lo : q > hi ? hi : (int32_t)q;
}

void peer_act_bounds_q(const q8_tensor *t, q8_activation act, int32_t *lo, int32_t *hi) {
  type_range(t->type, lo, hi);
  const float s = peer_scale(t, 0);
  const int32_t zp = peer_zero_point(t);
  int32_t a = *lo, b = *hi;
  if (act == Q8_ACT_RELU || act == Q8_ACT_RELU6) a = quantize_clamped(0.0, s, zp, *lo, *hi);
  if (act == Q8_ACT_RELU6) b = quantize_clamped(6.0, s, zp, *lo, *hi);
  if (act == Q8_ACT_RELU_N1_TO_1) {
    a = quantize_clamped(-1.0, s, zp, *lo, *hi);
    b = quantize_clamped(1.0, s, zp, *lo, *hi);
  }
  *lo = a, *hi = b;
}

void peer_act_bounds_f(q8_activation act, float *lo, float *hi) {
  *lo = -INFINITY, *hi = INFINITY;
  if (act == Q8_ACT_RELU || act == Q8_ACT_RELU6) *lo = 0.0f;
  if (act == Q8_ACT_RELU6) *hi = 6.0f;
  if (act == Q8_ACT_RELU_N1_TO_1) *lo = -1.0f, *hi = 1.0f;
}

void peer_padding(q8_padding p, int32_t in, int32_t k, int32_t stride, int32_t dilation,
                  int32_t out, int32_t *before, int32_t *after) {
  *before = *after = 0;
  if (p != Q8_PADDING_SAME) return;
  int32_t total = (out - 1) * stride + (k - 1) * dilation + 1 - in;
  if (total < 0) total = 0;
  *before = total / 2;
  *after = total - total / 2;
}

bool peer_window_fits(int32_t in, int32_t before, int32_t after, int32_t k, int32_t stride,
                      int32_t dilation, int32_t out) {
  const int32_t span = in + before + after - ((k - 1) * dilation + 1);
  return span >= 0 && span / stride + 1 == out;
}

double peer_value(const q8_tensor *t, const void *data, size_t i) {
  switch (t->type) {
    case Q8_TYPE_FLOAT32: return ((const float *)data)[i];
    case Q8_TYPE_INT8: return peer_scale(t, 0) * (((const int8_t *)data)[i] - peer_zero_point(t));
    case Q8_TYPE_UINT8: return peer_scale(t, 0) * (((const uint8_t *)data)[i] - peer_zero_point(t));
    default: return ((const int32_t *)data)[i];
  }
}

void peer_note(char *note, size_t size, const char *fmt, ...) {
  const size_t used = strlen(note);
  if (used + 1 >= size) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(note + used, size - used, fmt, ap);
  va_end(ap);
}

static void store(const q8_tensor *t, void *data, size_t i, double real) {
  int32_t lo, hi;
  if (t->type == Q8_TYPE_FLOAT32) {
    ((float *)data)[i] = (float)real;
    return;
  }
  type_range(t->type, &lo, &hi);
  const int32_t q = quantize_clamped(real, peer_scale(t, 0), peer_zero_point(t), lo, hi);
  if (t->type == Q8_TYPE_INT8) ((int8_t *)data)[i] = (int8_t)q;
  else ((uint8_t *)data)[i] = (uint8_t)q;
}

static void softmax(const peer_fallback *f) {
  const q8_tensor *in = &f->g->tensors[f->node->inputs[0]];
  const q8_tensor *out = &f->g->tensors[f->node->outputs[0]];
  const size_t n = (size_t)in->dims[in->rank - 1], rows = q8_tensor_elements(in) / n;
  const double beta = f->node->opt.softmax.beta;
  for (size_t r = 0; r < rows; r++) {
    double max = -INFINITY, sum = 0.0;
    for (size_t i = 0; i < n; i++) max = fmax(max, peer_value(in, f->in, r * n + i));
    for (size_t i = 0; i < n; i++) sum += exp(beta * (peer_value(in, f->in, r * n + i) - max));
    for (size_t i = 0; i < n; i++)
      store(out, f->out, r * n + i, exp(beta * (peer_value(in, f->in, r * n + i) - max)) / sum);
  }
}

static void pad(const peer_fallback *f) {
  const q8_tensor *in = &f->g->tensors[f->node->inputs[0]];
  const q8_tensor *out = &f->g->tensors[f->node->outputs[0]];
  const q8_tensor *pads = &f->g->tensors[f->node->inputs[1]];
  int32_t p[8] = {0};
  memcpy(p, pads->data, pads->data_size < sizeof p ? pads->data_size : sizeof p);
  const size_t es = q8_type_size(in->type);
  const int32_t h = in->dims[1], w = in->dims[2], oh = out->dims[1], ow = out->dims[2];
  const size_t row = (size_t)in->dims[3] * es, orow = (size_t)out->dims[3] * es;
  const uint8_t zero = (uint8_t)peer_zero_point(out);
  memset(f->out, in->type == Q8_TYPE_FLOAT32 ? 0 : zero, peer_tensor_bytes(out));
  for (int32_t y = 0; y < h; y++)
    for (int32_t x = 0; x < w; x++)
      memcpy((uint8_t *)f->out + ((size_t)(y + p[2]) * (size_t)ow + (size_t)(x + p[4])) * orow,
             (const uint8_t *)f->in + ((size_t)y * (size_t)w + (size_t)x) * row, row);
  (void)oh;
}

/* TFLite's quantized average: integer sum over the window's pixels inside the input, rounded
   half away from zero, clamped. */
static void average_pool(const peer_fallback *f) {
  const q8_tensor *in = &f->g->tensors[f->node->inputs[0]];
  const q8_tensor *out = &f->g->tensors[f->node->outputs[0]];
  const q8_node *n = f->node;
  const int32_t h = in->dims[1], w = in->dims[2], c = in->dims[3];
  const int32_t oh = out->dims[1], ow = out->dims[2];
  int32_t pt, pb, pl, pr, lo, hi;
  peer_padding(n->opt.pool.padding, h, n->opt.pool.filter_h, n->opt.pool.stride_h, 1, oh, &pt, &pb);
  peer_padding(n->opt.pool.padding, w, n->opt.pool.filter_w, n->opt.pool.stride_w, 1, ow, &pl, &pr);
  peer_act_bounds_q(out, n->opt.pool.activation, &lo, &hi);
  const bool is_signed = in->type == Q8_TYPE_INT8;
  int32_t sums[4096];
  for (int32_t oy = 0; oy < oh; oy++)
    for (int32_t ox = 0; ox < ow; ox++)
      for (int32_t c0 = 0; c0 < c; c0 += 4096) {
        const int32_t cn = c - c0 < 4096 ? c - c0 : 4096;
        memset(sums, 0, sizeof(int32_t) * (size_t)cn);
        int32_t count = 0;
        for (int32_t ky = 0; ky < n->opt.pool.filter_h; ky++) {
          const int32_t y = oy * n->opt.pool.stride_h - pt + ky;
          if (y < 0 || y >= h) continue;
          for (int32_t kx = 0; kx < n->opt.pool.filter_w; kx++) {
            const int32_t x = ox * n->opt.pool.stride_w - pl + kx;
            if (x < 0 || x >= w) continue;
            const size_t at = ((size_t)y * (size_t)w + (size_t)x) * (size_t)c + (size_t)c0;
            count++;
            if (is_signed)
              for (int32_t i = 0; i < cn; i++) sums[i] += ((const int8_t *)f->in)[at + (size_t)i];
            else
              for (int32_t i = 0; i < cn; i++) sums[i] += ((const uint8_t *)f->in)[at + (size_t)i];
          }
        }
        const size_t at = ((size_t)oy * (size_t)ow + (size_t)ox) * (size_t)c + (size_t)c0;
        for (int32_t i = 0; i < cn; i++) {
          int32_t v = sums[i] > 0 ? (sums[i] + count / 2) / count : (sums[i] - count / 2) / count;
          v = v < lo ? lo : v > hi ? hi : v;
          if (is_signed) ((int8_t *)f->out)[at + (size_t)i] = (int8_t)v;
          else ((uint8_t *)f->out)[at + (size_t)i] = (uint8_t)v;
        }
      }
}

bool peer_fallback_supports(const q8_graph *g, const q8_node *node) {
  const q8_tensor *in = &g->tensors[node->inputs[0]];
  switch (node->kind) {
    case Q8_OP_SOFTMAX: return true;
    case Q8_OP_PAD: return in->rank == 4;
    case Q8_OP_AVERAGE_POOL_2D: return in->type != Q8_TYPE_FLOAT32 && in->rank == 4;
    default: return false;
  }
}

void peer_fallback_run(const peer_fallback *f) {
  switch (f->node->kind) {
    case Q8_OP_SOFTMAX: softmax(f); break;
    case Q8_OP_PAD: pad(f); break;
    case Q8_OP_AVERAGE_POOL_2D: average_pool(f); break;
    default: break;
  }
}

bool peer_make_buffers(const q8_graph *g, void **buf, bool *owned) {
  for (int32_t t = 0; t < g->n_tensors; t++) {
    const size_t bytes = peer_tensor_bytes(&g->tensors[t]);
    buf[t] = aligned_alloc(64, (bytes + 64 + 63) / 64 * 64);
    if (!buf[t]) return false;
    owned[t] = true;
    memset(buf[t], 0, bytes + 64);
    if (g->tensors[t].data) memcpy(buf[t], g->tensors[t].data, g->tensors[t].data_size);
  }
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const q8_node *n = &g->nodes[i];
    if (n->kind != Q8_OP_RESHAPE && n->kind != Q8_OP_SQUEEZE) continue;
    free(buf[n->outputs[0]]);
    buf[n->outputs[0]] = buf[n->inputs[0]];
    owned[n->outputs[0]] = false;
  }
  return true;
}

void peer_free_buffers(int32_t n_tensors, void **buf, bool *owned) {
  for (int32_t t = 0; buf && owned && t < n_tensors; t++)
    if (owned[t]) free(buf[t]);
  free(buf);
  free(owned);
}

bool peer_is_spatial_mean(const peer_cursor *c) {
  const q8_tensor *in = peer_in(c, 0), *axes = peer_in(c, 1);
  int32_t a[2] = {0, 0};
  if (in->rank != 4 || axes->data_size != sizeof a || !axes->data) return false;
  memcpy(a, axes->data, sizeof a);
  return (a[0] == 1 && a[1] == 2) || (a[0] == 2 && a[1] == 1);
}
