/* The generator's float passes (calibration only): plain loops over NHWC tensors at batch 1,
   with TensorFlow's SAME/VALID windows. Inner loops run along channels, so the compiler
   vectorizes them; zero inputs (half of a ReLU's output) are skipped. */
#include <string.h>

#include "gen/net.h"

int32_t q8g_pad_before(q8_padding padding, int32_t in, int32_t out, int32_t kernel,
                       int32_t stride) {
  if (padding == Q8_PADDING_VALID) return 0;
  const int32_t total = (out - 1) * stride + kernel - in;
  return total > 0 ? total / 2 : 0;
}

/* acc[0..n) += v * w[0..n) */
static void axpy(float *restrict acc, float v, const float *restrict w, int32_t n) {
  for (int32_t i = 0; i < n; i++) acc[i] += v * w[i];
}

/* The taps of a window that fall inside the input, for output cell (oy, ox): the index
   ky * KW + kx of each and the offset of its input pixel (windows have at most Q8G_MAX_TAPS
   taps: net.c refuses larger ones). */
typedef struct window {
  int32_t count;
  int32_t tap[Q8G_MAX_TAPS];
  size_t offset[Q8G_MAX_TAPS];
} window;

static void window_at(const q8g_layer *l, const q8g_tensor *x, int32_t top, int32_t left,
                      int32_t oy, int32_t ox, window *w) {
  w->count = 0;
  for (int32_t ky = 0; ky < l->kernel_h; ky++) {
    const int32_t iy = oy * l->stride - top + ky;
    for (int32_t kx = 0; kx < l->kernel_w && iy >= 0 && iy < x->dims[1]; kx++) {
      const int32_t ix = ox * l->stride - left + kx;
      if (ix < 0 || ix >= x->dims[2]) continue;
      w->tap[w->count] = ky * l->kernel_w + kx;
      w->offset[w->count++] = ((size_t)iy * (size_t)x->dims[2] + (size_t)ix) * (size_t)x->dims[3];
    }
  }
}

/* Calls cell(l, x, weights, window, out + offset of the cell) for every output cell. */
typedef void cell_fn(const q8g_layer *l, const q8g_tensor *x, const float *weights,
                     const window *w, float *out, int32_t channels);

static void for_each_cell(const q8g_layer *l, const q8g_tensor *x, const float *weights,
                          const q8g_tensor *y, float *out, cell_fn *cell) {
  const int32_t oh = y->dims[1], ow = y->dims[2], c = y->dims[3];
  const int32_t top = q8g_pad_before(l->padding, x->dims[1], oh, l->kernel_h, l->stride);
  const int32_t left = q8g_pad_before(l->padding, x->dims[2], ow, l->kernel_w, l->stride);
  window w;
  for (int32_t oy = 0; oy < oh; oy++) {
    for (int32_t ox = 0; ox < ow; ox++) {
      window_at(l, x, top, left, oy, ox, &w);
      cell(l, x, weights, &w, out + ((size_t)oy * ow + ox) * c, c);
    }
  }
}

/* Weights HWIO: each input value scales a row of output-channel weights. */
static void conv_cell(const q8g_layer *l, const q8g_tensor *x, const float *weights,
                      const window *w, float *acc, int32_t oc) {
  (void)l;
  const int32_t ic = x->dims[3];
  memset(acc, 0, (size_t)oc * sizeof *acc);
  for (int32_t t = 0; t < w->count; t++) {
    const float *in = x->values + w->offset[t];
    const float *row = weights + (size_t)w->tap[t] * ic * oc;
    for (int32_t c = 0; c < ic; c++)
      if (in[c] != 0.0f) axpy(acc, in[c], row + (size_t)c * oc, oc);
  }
}

/* Weights [1, KH, KW, C]: one filter per channel. */
static void depthwise_cell(const q8g_layer *l, const q8g_tensor *x, const float *weights,
                           const window *w, float *acc, int32_t c) {
  (void)l;
  memset(acc, 0, (size_t)c * sizeof *acc);
  for (int32_t t = 0; t < w->count; t++) {
    const float *restrict in = x->values + w->offset[t];
    const float *restrict f = weights + (size_t)w->tap[t] * c;
    for (int32_t k = 0; k < c; k++) acc[k] += in[k] * f[k];
  }
}

/* Average pooling divides by the cells inside the input (TFLite's and TensorFlow's SAME). */
static void pool_cell(const q8g_layer *l, const q8g_tensor *x, const float *weights,
                      const window *w, float *acc, int32_t c) {
  (void)weights;
  const bool is_max = l->kind == Q8_OP_MAX_POOL_2D;
  memcpy(acc, x->values + w->offset[0], (size_t)c * sizeof *acc);
  for (int32_t t = 1; t < w->count; t++) {
    const float *in = x->values + w->offset[t];
    for (int32_t k = 0; k < c; k++)
      acc[k] = is_max ? (in[k] > acc[k] ? in[k] : acc[k]) : acc[k] + in[k];
  }
  for (int32_t k = 0; !is_max && k < c; k++) acc[k] /= (float)w->count;
}

void q8g_forward_conv(const q8g_layer *l, const q8g_tensor *x, const float *weights_hwio,
                      const q8g_tensor *y, float *out) {
  for_each_cell(l, x, weights_hwio, y, out, conv_cell);
}

void q8g_forward_depthwise(const q8g_layer *l, const q8g_tensor *x, const q8g_tensor *y,
                           float *out) {
  for_each_cell(l, x, l->weights, y, out, depthwise_cell);
}

void q8g_forward_pool(const q8g_layer *l, const q8g_tensor *x, const q8g_tensor *y, float *out) {
  for_each_cell(l, x, NULL, y, out, pool_cell);
}

/* Weights [O, I]. */
void q8g_forward_fully_connected(const q8g_layer *l, const q8g_tensor *x, float *out) {
  const int32_t o = l->weight_dims[0], n = l->weight_dims[1];
  for (int32_t j = 0; j < o; j++) {
    double sum = 0;
    for (int32_t i = 0; i < n; i++) sum += (double)l->weights[(size_t)j * n + i] * x->values[i];
    out[j] = (float)sum;
  }
}

void q8g_forward_mean(const q8g_tensor *x, float *out) {
  const size_t positions = (size_t)x->dims[1] * (size_t)x->dims[2];
  const int32_t c = x->dims[3];
  for (int32_t k = 0; k < c; k++) {
    double sum = 0;
    for (size_t p = 0; p < positions; p++) sum += x->values[p * (size_t)c + (size_t)k];
    out[k] = (float)(sum / (double)positions);
  }
}

void q8g_forward_pad(const q8g_layer *l, const q8g_tensor *x, const q8g_tensor *y, float *out) {
  const int32_t ih = x->dims[1], iw = x->dims[2], c = x->dims[3];
  const int32_t ow = y->dims[2];
  memset(out, 0, (size_t)y->dims[1] * (size_t)ow * (size_t)c * sizeof *out);
  for (int32_t iy = 0; iy < ih; iy++)
    memcpy(out + ((size_t)(iy + l->pads[0]) * ow + (size_t)l->pads[2]) * c,
           x->values + (size_t)iy * iw * c, (size_t)iw * c * sizeof *out);
}
