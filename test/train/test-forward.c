/* Every layer's forward against plain double-precision loops written from TensorFlow's
   definitions, on random shapes: convolution, depthwise convolution and max / average pooling
   with SAME and VALID padding (out = ceil(in / s) or ceil((in - k + 1) / s), total padding
   max((out - 1) * s + k - in, 0), floor(total / 2) before), strides 1 to 3 over odd and even
   sizes; the pads each node records must equal q8_conv_out_size's. Also fully connected,
   batch norm (training: batch statistics and PyTorch's moving averages; inference: moving
   statistics), global average pooling and softmax cross-entropy. Both matrix-product
   backends, 1 and 2 threads, each compilation of the layers (scalar, avx2 where the CPU has
   it). Tolerance: 1e-5 of the sum of |terms| + 1e-6 per element. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "train/build.h"
#include "train/graph.h"
#include "util/test-util.h"

/* The compilation of the layers under test (each available one in turn). */
static q8t_isa isa = Q8T_ISA_SCALAR;

static q8t_graph *new_graph(int32_t batch, int32_t threads, q8t_gemm_backend gemm) {
  q8t_graph *g;
  q8_error err;
  const q8t_graph_options o = {.batch = batch, .threads = threads, .gemm = gemm, .isa = isa};
  if (q8t_graph_init(&o, &g, &err) != Q8_OK) {
    printf("graph init: %s\n", err.message);
    exit(1);
  }
  return g;
}

static void randomize(q8t_graph *g, t_rng *rng) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    if (t->type != Q8_TYPE_FLOAT32 || t->role == Q8T_ROLE_ACTIVATION || t->role == Q8T_ROLE_SAVED) {
      continue;
    }
    const bool positive = strstr(t->name, "variance") != NULL;
    for (size_t j = 0; j < q8t_tensor_count(t); j++) {
      const double u = t_rng_unit(rng);
      t->data[j] = (float)(positive ? 0.5 + u : 2 * u - 1);
    }
  }
}

/* TensorFlow's output size and leading pad, written out independently of q8_conv_out_size. */
static int32_t tf_out(q8_padding p, int32_t in, int32_t k, int32_t s, int32_t *before) {
  const int32_t out = p == Q8_PADDING_SAME ? (in + s - 1) / s : (in - k + 1 + s - 1) / s;
  const int32_t total = (out - 1) * s + k - in;
  *before = total > 0 ? total / 2 : 0;
  return out;
}

static void compare(const char *what, const float *got, const double *want, const double *mag,
                    size_t n) {
  for (size_t i = 0; i < n; i++) {
    const double tol = 1e-5 * mag[i] + 1e-6;
    if (!(fabs(got[i] - want[i]) <= tol)) {
      T_CHECK(0, "%s: element %zu is %.8g, expected %.8g", what, i, got[i], want[i]);
      return;
    }
  }
  T_CHECK(1, "ok");
}

typedef enum window_op { CONV, DEPTHWISE, MAX_POOL, AVG_POOL } window_op;

/* One random window layer against the direct loops. */
static void window_case(t_rng *rng, window_op op, int index) {
  const int32_t batch = (int32_t)t_rng_range(rng, 1, 3);
  const int32_t h = (int32_t)t_rng_range(rng, 1, 11), w = (int32_t)t_rng_range(rng, 1, 11);
  const int32_t c = (int32_t)t_rng_range(rng, 1, 5);
  const q8_padding pad = t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID;
  const int32_t kh = (int32_t)t_rng_range(rng, 1, pad == Q8_PADDING_VALID ? (h < 5 ? h : 5) : 5);
  const int32_t kw = (int32_t)t_rng_range(rng, 1, pad == Q8_PADDING_VALID ? (w < 5 ? w : 5) : 5);
  const int32_t sh = (int32_t)t_rng_range(rng, 1, 3), sw = (int32_t)t_rng_range(rng, 1, 3);
  const int32_t mult = op == DEPTHWISE ? (int32_t)t_rng_range(rng, 1, 3) : 1;
  const int32_t filters = op == CONV ? (int32_t)t_rng_range(rng, 1, 6) : c * mult;
  const bool bias = (op == CONV || op == DEPTHWISE) && t_rng_range(rng, 0, 1);
  const q8t_gemm_backend gemm = t_rng_range(rng, 0, 1) ? Q8T_GEMM_AUTO : Q8T_GEMM_PORTABLE;
  q8t_graph *g = new_graph(batch, (int32_t)t_rng_range(rng, 1, 2), gemm);
  const int32_t x = q8t_input(g, "x", h, w, c);
  const q8t_window win = {kh, kw, sh, sw, pad};
  int32_t y = -1;
  switch (op) {
    case CONV:
      y = q8t_conv(g, "layer", x, filters, win, bias, Q8_ACT_NONE);
      break;
    case DEPTHWISE:
      y = q8t_depthwise_conv(g, "layer", x, mult, win, bias, Q8_ACT_NONE);
      break;
    case MAX_POOL:
      y = q8t_max_pool(g, "layer", x, win);
      break;
    case AVG_POOL:
      y = q8t_avg_pool(g, "layer", x, win);
      break;
  }
  char what[160];
  snprintf(what, sizeof what, "case %d: %s %dx%dx%d k%dx%d s%dx%d %s x%d -> %d", index,
           op == CONV        ? "conv"
           : op == DEPTHWISE ? "depthwise"
           : op == MAX_POOL  ? "max pool"
                             : "avg pool",
           (int)h, (int)w, (int)c, (int)kh, (int)kw, (int)sh, (int)sw,
           pad == Q8_PADDING_SAME ? "SAME" : "VALID", (int)batch, (int)filters);
  if (y < 0 || q8t_graph_allocate(g) != Q8_OK) {
    T_CHECK(0, "%s: %s", what, g->error.message);
    q8t_graph_free(g);
    return;
  }
  int32_t top, left, q8_top, q8_left;
  const int32_t oh = tf_out(pad, h, kh, sh, &top), ow = tf_out(pad, w, kw, sw, &left);
  const int32_t q8_oh = q8_conv_out_size(pad, h, kh, sh, 1, &q8_top);
  const int32_t q8_ow = q8_conv_out_size(pad, w, kw, sw, 1, &q8_left);
  const q8t_node *node = &g->nodes[0];
  const q8t_tensor *yt = &g->tensors[y];
  T_CHECK(
      yt->dims[1] == oh && yt->dims[2] == ow && node->attrs.pad_top == top &&
          node->attrs.pad_left == left && q8_oh == oh && q8_ow == ow && q8_top == top &&
          q8_left == left,
      "%s: output %dx%d pads %d,%d; TensorFlow %dx%d pads %d,%d; q8_conv_out_size %dx%d pads %d,%d",
      what, (int)yt->dims[1], (int)yt->dims[2], (int)node->attrs.pad_top, (int)node->attrs.pad_left,
      (int)oh, (int)ow, (int)top, (int)left, (int)q8_oh, (int)q8_ow, (int)q8_top, (int)q8_left);
  randomize(g, rng);
  q8t_graph_forward(g, true);
  const float *xv = g->tensors[x].data;
  const float *wv = op <= DEPTHWISE ? g->tensors[node->inputs[Q8T_IN_WEIGHTS]].data : NULL;
  const float *bv = bias ? g->tensors[node->inputs[Q8T_IN_BIAS]].data : NULL;
  const size_t n_out = (size_t)batch * oh * ow * filters;
  double *want = calloc(n_out, sizeof *want), *mag = calloc(n_out, sizeof *mag);
  for (int32_t n = 0; n < batch; n++) {
    for (int32_t oy = 0; oy < oh; oy++) {
      for (int32_t ox = 0; ox < ow; ox++) {
        for (int32_t o = 0; o < filters; o++) {
          const size_t at = (((size_t)n * oh + oy) * ow + ox) * filters + o;
          double sum = bv ? bv[o] : 0.0, abs_sum = bv ? fabs(bv[o]) : 0.0, best = -INFINITY;
          int32_t count = 0;
          for (int32_t ky = 0; ky < kh; ky++) {
            for (int32_t kx = 0; kx < kw; kx++) {
              const int32_t iy = oy * sh - top + ky, ix = ox * sw - left + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              count++;
              const float *px = xv + (((size_t)n * h + iy) * w + ix) * c;
              if (op == CONV) {
                for (int32_t ic = 0; ic < c; ic++) {
                  const double t = (double)px[ic] * wv[(((size_t)o * kh + ky) * kw + kx) * c + ic];
                  sum += t;
                  abs_sum += fabs(t);
                }
              } else if (op == DEPTHWISE) {
                const double t = (double)px[o / mult] * wv[((size_t)ky * kw + kx) * filters + o];
                sum += t;
                abs_sum += fabs(t);
              } else {
                sum += px[o];
                abs_sum += fabs(px[o]);
                if (px[o] > best) best = px[o];
              }
            }
          }
          want[at] = op == MAX_POOL ? best : op == AVG_POOL ? sum / count : sum;
          mag[at] = op == MAX_POOL ? fabs(best) : op == AVG_POOL ? abs_sum / count : abs_sum;
        }
      }
    }
  }
  compare(what, yt->data, want, mag, n_out);
  free(want);
  free(mag);
  q8t_graph_free(g);
}

static void batch_norm_case(t_rng *rng, bool training) {
  const int32_t batch = 4, h = 3, w = 2, c = 5;
  q8t_graph *g = new_graph(batch, 2, Q8T_GEMM_AUTO);
  const int32_t x = q8t_input(g, "x", h, w, c);
  const int32_t y = q8t_batch_norm(g, "bn", x, Q8_ACT_NONE);
  q8t_graph_allocate(g);
  randomize(g, rng);
  float *moving_mean = g->tensors[q8t_graph_find_tensor(g, "bn/moving_mean")].data;
  float *moving_var = g->tensors[q8t_graph_find_tensor(g, "bn/moving_variance")].data;
  double old_mean[5], old_var[5];
  for (int32_t i = 0; i < c; i++) {
    old_mean[i] = moving_mean[i];
    old_var[i] = moving_var[i];
  }
  q8t_graph_forward(g, training);
  const float *xv = g->tensors[x].data;
  const float *gamma = g->tensors[q8t_graph_find_tensor(g, "bn/gamma")].data;
  const float *beta = g->tensors[q8t_graph_find_tensor(g, "bn/beta")].data;
  const size_t rows = (size_t)batch * h * w;
  double want[4 * 3 * 2 * 5], mag[4 * 3 * 2 * 5];
  for (int32_t i = 0; i < c; i++) {
    double mean = 0, var = 0;
    for (size_t r = 0; r < rows; r++) mean += xv[r * c + i];
    mean /= (double)rows;
    for (size_t r = 0; r < rows; r++) var += (xv[r * c + i] - mean) * (xv[r * c + i] - mean);
    var /= (double)rows;
    const double use_mean = training ? mean : old_mean[i], use_var = training ? var : old_var[i];
    for (size_t r = 0; r < rows; r++) {
      want[r * c + i] = gamma[i] * (xv[r * c + i] - use_mean) / sqrt(use_var + 1e-5) + beta[i];
      mag[r * c + i] =
          fabs(gamma[i]) * (fabs(xv[r * c + i]) + fabs(use_mean)) / sqrt(use_var + 1e-5) +
          fabs(beta[i]);
    }
    const double expect_mean = training ? 0.9 * old_mean[i] + 0.1 * mean : old_mean[i];
    const double expect_var =
        training ? 0.9 * old_var[i] + 0.1 * var * (double)rows / (double)(rows - 1) : old_var[i];
    T_CHECK(fabs(moving_mean[i] - expect_mean) <= 1e-6 && fabs(moving_var[i] - expect_var) <= 1e-6,
            "batch norm (%s) channel %d: moving mean %.7g var %.7g, expected %.7g %.7g",
            training ? "training" : "inference", (int)i, moving_mean[i], moving_var[i], expect_mean,
            expect_var);
  }
  compare(training ? "batch norm, training" : "batch norm, inference", g->tensors[y].data, want,
          mag, rows * c);
  q8t_graph_free(g);
}

/* Global average pooling, fully connected with bias, softmax cross-entropy. */
static void classifier_case(t_rng *rng, q8t_gemm_backend gemm) {
  const int32_t batch = 5, h = 3, w = 4, c = 6, classes = 7;
  q8t_graph *g = new_graph(batch, 2, gemm);
  const int32_t x = q8t_input(g, "x", h, w, c);
  const int32_t pooled = q8t_global_avg_pool(g, "gap", x);
  const int32_t logits = q8t_fully_connected(g, "fc", pooled, classes, true, Q8_ACT_NONE);
  const int32_t loss = q8t_softmax_cross_entropy(g, "loss", logits);
  q8t_graph_allocate(g);
  randomize(g, rng);
  int32_t *labels = g->tensors[g->labels].i32;
  for (int32_t n = 0; n < batch; n++) labels[n] = (int32_t)t_rng_range(rng, 0, classes - 1);
  T_CHECK(q8t_graph_forward(g, true) == Q8_OK, "forward: %s", g->error.message);
  const float *xv = g->tensors[x].data;
  const float *wv = g->tensors[q8t_graph_find_tensor(g, "fc/weights")].data;
  const float *bv = g->tensors[q8t_graph_find_tensor(g, "fc/bias")].data;
  double pool[5 * 6], pool_mag[5 * 6], z[5 * 7], z_mag[5 * 7], total = 0;
  for (int32_t n = 0; n < batch; n++) {
    for (int32_t i = 0; i < c; i++) {
      double s = 0, m = 0;
      for (int32_t p = 0; p < h * w; p++) {
        s += xv[((size_t)n * h * w + p) * c + i];
        m += fabs(xv[((size_t)n * h * w + p) * c + i]);
      }
      pool[n * c + i] = s / (h * w);
      pool_mag[n * c + i] = m / (h * w);
    }
    double max = -INFINITY;
    for (int32_t k = 0; k < classes; k++) {
      double s = bv[k], m = fabs(bv[k]);
      for (int32_t i = 0; i < c; i++) {
        s += wv[k * c + i] * pool[n * c + i];
        m += fabs(wv[k * c + i]) * pool_mag[n * c + i];
      }
      z[n * classes + k] = s;
      z_mag[n * classes + k] = m;
      if (s > max) max = s;
    }
    double e = 0;
    for (int32_t k = 0; k < classes; k++) e += exp(z[n * classes + k] - max);
    total += log(e) + max - z[n * classes + labels[n]];
  }
  compare("global average pool", g->tensors[pooled].data, pool, pool_mag, (size_t)batch * c);
  compare("fully connected", g->tensors[logits].data, z, z_mag, (size_t)batch * classes);
  const double want = total / batch;
  T_CHECK(fabs(g->tensors[loss].data[0] - want) <= 1e-5 * fabs(want) + 1e-6,
          "softmax cross-entropy %.8g, expected %.8g", g->tensors[loss].data[0], want);
  /* A label outside the classes is refused by name, before any node runs. */
  labels[2] = classes;
  T_CHECK(q8t_graph_forward(g, true) == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(g->error.message, "labels[2] = 7") != NULL,
          "label out of range: %s", g->error.message);
  q8t_graph_free(g);
}

int main(void) {
  const uint64_t seed = t_seed(0xf0);
  const q8t_isa isas[] = {Q8T_ISA_SCALAR, Q8T_ISA_AVX2};
  for (int k = 0; k < 2; k++) {
    q8t_graph *probe;
    q8_error err;
    const q8t_graph_options o = {.batch = 1, .threads = 1, .isa = isas[k]};
    if (q8t_graph_init(&o, &probe, &err) != Q8_OK) {
      printf("SKIP layers %s: %s\n", q8t_isa_name(isas[k]), err.message);
      continue;
    }
    q8t_graph_free(probe);
    isa = isas[k];
    printf("layers: %s\n", q8t_isa_name(isa));
    t_rng rng = {seed};
    for (int i = 0; i < 150; i++) window_case(&rng, CONV, i);
    for (int i = 0; i < 100; i++) window_case(&rng, DEPTHWISE, i);
    for (int i = 0; i < 80; i++) window_case(&rng, MAX_POOL, i);
    for (int i = 0; i < 80; i++) window_case(&rng, AVG_POOL, i);
    batch_norm_case(&rng, true);
    batch_norm_case(&rng, false);
    classifier_case(&rng, Q8T_GEMM_AUTO);
    classifier_case(&rng, Q8T_GEMM_PORTABLE);
  }
  return t_finish();
}
