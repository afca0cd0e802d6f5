/* The float32 inference path, operator by operator: CONV_2D, DEPTHWISE_CONV_2D,
   FULLY_CONNECTED, ADD, AVERAGE/MAX_POOL_2D, MEAN, PAD and SOFTMAX on random shapes (padding,
   stride, dilation, awkward channel counts, with and without bias, every fused activation)
   against double-precision loops, on every kernel path this CPU runs. Tolerance: an output
   may differ from the double result by 1e-5 of the sum of the magnitudes of its terms (plus
   1e-30). For a fixed path, 1, 2 and 3 threads give bit-identical outputs. */
#include <math.h>

#include "core/cpu.h"
#include "core/threadpool.h"
#include "ops/float-ops.h"
#include "ops/ops-harness.h"

#define TOLERANCE 1e-5

static const q8_isa isas[] = {Q8_ISA_REF,        Q8_ISA_SCALAR, Q8_ISA_AVX2,
                             Q8_ISA_AVX512VNNI, Q8_ISA_NEON,   Q8_ISA_NEONDOT};
static q8_threadpool *pools[3]; /* 1, 2 and 3 threads */

static float *random_floats(t_rng *rng, size_t n) {
  float *x = malloc((n > 0 ? n : 1) * sizeof *x);
  for (size_t i = 0; i < n; i++) x[i] = (float)(2.0 * t_rng_unit(rng) - 1.0);
  return x;
}

static double clamp_act(double v, q8_activation act) {
  const q8_f32_minmax_params m = q8_f32_activation_minmax(act);
  return v < m.min ? m.min : v > m.max ? m.max : v;
}

static q8_activation random_activation(t_rng *rng) {
  static const q8_activation acts[] = {Q8_ACT_NONE, Q8_ACT_RELU, Q8_ACT_RELU6,
                                       Q8_ACT_RELU_N1_TO_1};
  return acts[t_rng_range(rng, 0, 3)];
}

static h_tensor float_tensor(const char *name, int32_t rank, const int32_t *dims,
                             const float *data, size_t n) {
  h_tensor h;
  h_set(&h, name, Q8_TYPE_FLOAT32, rank, dims, 0.0f, 0);
  h.t.data = data;
  h.t.data_size = data != NULL ? n * sizeof(float) : 0;
  return h;
}

/* Prepares on (isa, pool) and runs once; the status and message stay in ctx. */
static q8_status prepare_run(q8_op_prepare_fn prepare, q8_prepare_ctx *ctx, q8_isa isa,
                             q8_threadpool *pool, h_node *hn, q8_tensor *tensors,
                             const void *const *inputs, void *output) {
  memset(ctx, 0, sizeof *ctx);
  ctx->isa = isa;
  ctx->pool = pool;
  q8_op_plan plan = {0};
  q8_status s = prepare(ctx, &hn->node, tensors, &plan);
  if (s != Q8_OK) return s;
  void *scratch = plan.scratch_bytes > 0 ? malloc(plan.scratch_bytes) : NULL;
  void *outputs[1] = {output};
  plan.run(plan.params, inputs, outputs, scratch);
  free(scratch);
  return Q8_OK;
}

/* Compares out with want within TOLERANCE * mag. */
static int compare(const char *what, const float *out, const double *want, const double *mag,
                   size_t n, const char *isa) {
  for (size_t i = 0; i < n; i++) {
    const double err = fabs((double)out[i] - want[i]);
    if (!(err <= TOLERANCE * mag[i] + 1e-30)) {
      T_CHECK(false, "%s on %s: output %zu is %.9g, expected %.9g (|terms| %.3g)", what, isa, i,
              (double)out[i], want[i], mag[i]);
      return 0;
    }
  }
  return 1;
}

/* Runs the node on every path this CPU runs and 1..3 threads; checks against want/mag and
   that the thread count changes no bit. */
static void check_all_paths(const char *what, q8_op_prepare_fn prepare, h_node *hn,
                            q8_tensor *tensors, const void *const *inputs, size_t n_out,
                            const double *want, const double *mag) {
  float *out = malloc(n_out * sizeof *out), *first = malloc(n_out * sizeof *first);
  const q8_cpu_features cpu = q8_cpu_detect();
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
    if (!q8_isa_runs_on(isas[i], cpu)) continue;
    for (int t = 0; t < 3; t++) {
      q8_prepare_ctx ctx;
      memset(out, 0xFF, n_out * sizeof *out);
      q8_status s = prepare_run(prepare, &ctx, isas[i], pools[t], hn, tensors, inputs, out);
      const char *name = q8_isa_name(isas[i]);
      T_CHECK(s == Q8_OK, "%s on %s: %s", what, name, ctx.message);
      h_ctx_free(&ctx);
      if (s != Q8_OK) break;
      if (t == 0) {
        compare(what, out, want, mag, n_out, name);
        memcpy(first, out, n_out * sizeof *out);
      } else {
        T_CHECK(memcmp(first, out, n_out * sizeof *out) == 0,
                "%s on %s: %d threads differ from 1", what, name, t + 1);
      }
    }
  }
  free(out);
  free(first);
}

/* ---- CONV_2D, DEPTHWISE_CONV_2D ---- */

typedef struct conv_case {
  int32_t batch, in_h, in_w, in_c, out_c, kh, kw, sh, sw, dh, dw, multiplier;
  q8_padding padding;
  q8_activation act;
  bool bias, depthwise;
} conv_case;

static void conv_oracle(const conv_case *c, int32_t out_h, int32_t out_w, int32_t pt,
                        int32_t pl, const float *in, const float *w, const float *b,
                        double *want, double *mag) {
  size_t o = 0;
  for (int32_t n = 0; n < c->batch; n++)
    for (int32_t oy = 0; oy < out_h; oy++)
      for (int32_t ox = 0; ox < out_w; ox++)
        for (int32_t oc = 0; oc < c->out_c; oc++, o++) {
          double acc = b != NULL ? b[oc] : 0.0, m = b != NULL ? fabs(b[oc]) : 0.0;
          for (int32_t ky = 0; ky < c->kh; ky++)
            for (int32_t kx = 0; kx < c->kw; kx++) {
              const int32_t iy = oy * c->sh - pt + ky * c->dh, ix = ox * c->sw - pl + kx * c->dw;
              if (iy < 0 || iy >= c->in_h || ix < 0 || ix >= c->in_w) continue;
              const float *px = in + (((size_t)n * c->in_h + iy) * c->in_w + ix) * c->in_c;
              if (c->depthwise) {
                const double p = (double)px[oc / c->multiplier] *
                                 w[((size_t)ky * c->kw + kx) * c->out_c + oc];
                acc += p;
                m += fabs(p);
              } else {
                for (int32_t ic = 0; ic < c->in_c; ic++) {
                  const double p = (double)px[ic] *
                                   w[(((size_t)oc * c->kh + ky) * c->kw + kx) * c->in_c + ic];
                  acc += p;
                  m += fabs(p);
                }
              }
            }
          want[o] = clamp_act(acc, c->act);
          mag[o] = m;
        }
}

static void run_conv_case(t_rng *rng, const conv_case *c) {
  int32_t pt, pl;
  const int32_t out_h = q8_conv_out_size(c->padding, c->in_h, c->kh, c->sh, c->dh, &pt);
  const int32_t out_w = q8_conv_out_size(c->padding, c->in_w, c->kw, c->sw, c->dw, &pl);
  if (out_h <= 0 || out_w <= 0) return;
  const int32_t in_dims[4] = {c->batch, c->in_h, c->in_w, c->in_c};
  const int32_t w_dims[4] = {c->depthwise ? 1 : c->out_c, c->kh, c->kw,
                             c->depthwise ? c->out_c : c->in_c};
  const int32_t out_dims[4] = {c->batch, out_h, out_w, c->out_c};
  const size_t n_in = (size_t)c->batch * c->in_h * c->in_w * c->in_c;
  const size_t n_w = (size_t)w_dims[0] * c->kh * c->kw * w_dims[3];
  const size_t n_out = (size_t)c->batch * out_h * out_w * c->out_c;
  float *in = random_floats(rng, n_in), *w = random_floats(rng, n_w);
  float *b = c->bias ? random_floats(rng, (size_t)c->out_c) : NULL;
  double *want = malloc(n_out * sizeof *want), *mag = malloc(n_out * sizeof *mag);
  conv_oracle(c, out_h, out_w, pt, pl, in, w, b, want, mag);
  h_tensor hs[4] = {float_tensor("x", 4, in_dims, NULL, 0),
                    float_tensor("w", 4, w_dims, w, n_w),
                    float_tensor("b", 1, &c->out_c, b, (size_t)c->out_c),
                    float_tensor("y", 4, out_dims, NULL, 0)};
  q8_tensor tensors[4];
  h_tensors(hs, 4, tensors);
  h_node hn;
  h_node_init(&hn, c->depthwise ? Q8_OP_DEPTHWISE_CONV_2D : Q8_OP_CONV_2D, 3);
  if (!c->bias) hn.inputs[2] = -1;
  hn.node.opt.conv = (__typeof__(hn.node.opt.conv)){c->padding, c->sh, c->sw, c->dh, c->dw,
                                                   c->depthwise ? c->multiplier : 0, c->act};
  char what[256];
  snprintf(what, sizeof what,
           "%s n%d %dx%dx%d -> %d k%dx%d s%dx%d d%dx%d m%d %s act %d bias %d",
           c->depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D", (int)c->batch, (int)c->in_h,
           (int)c->in_w, (int)c->in_c, (int)c->out_c, (int)c->kh, (int)c->kw, (int)c->sh,
           (int)c->sw, (int)c->dh, (int)c->dw, (int)c->multiplier,
           c->padding == Q8_PADDING_SAME ? "SAME" : "VALID", (int)c->act, (int)c->bias);
  const void *inputs[3] = {in, w, b};
  check_all_paths(what,
                  c->depthwise ? q8_prepare_depthwise_conv_2d_float : q8_prepare_conv_2d_float,
                  &hn, tensors, inputs, n_out, want, mag);
  free(in);
  free(w);
  free(b);
  free(want);
  free(mag);
}

static conv_case random_conv(t_rng *rng, bool depthwise) {
  conv_case c = {0};
  c.depthwise = depthwise;
  c.batch = (int32_t)t_rng_range(rng, 1, 2);
  c.in_h = (int32_t)t_rng_range(rng, 1, 11);
  c.in_w = (int32_t)t_rng_range(rng, 1, 11);
  c.in_c = (int32_t)t_rng_range(rng, 1, depthwise ? 70 : 40);
  c.multiplier = depthwise && t_rng_range(rng, 0, 3) == 0 ? (int32_t)t_rng_range(rng, 2, 3) : 1;
  c.out_c = depthwise ? c.in_c * c.multiplier : (int32_t)t_rng_range(rng, 1, 70);
  const bool pointwise = !depthwise && t_rng_range(rng, 0, 2) == 0;
  c.kh = pointwise ? 1 : (int32_t)t_rng_range(rng, 1, 4);
  c.kw = pointwise ? 1 : (int32_t)t_rng_range(rng, 1, 4);
  c.sh = pointwise ? 1 : (int32_t)t_rng_range(rng, 1, 3);
  c.sw = pointwise ? 1 : (int32_t)t_rng_range(rng, 1, 3);
  c.dh = pointwise ? 1 : (int32_t)t_rng_range(rng, 1, 2);
  c.dw = pointwise ? 1 : (int32_t)t_rng_range(rng, 1, 2);
  c.padding = t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID;
  c.act = random_activation(rng);
  c.bias = t_rng_range(rng, 0, 3) != 0;
  return c;
}

static void test_conv(t_rng *rng) {
  for (int i = 0; i < 60; i++) {
    const conv_case c = random_conv(rng, false);
    run_conv_case(rng, &c);
  }
  /* Long K (accumulation over 3x3x200) and a wide N. */
  const conv_case big = {1, 9, 7, 200, 100, 3, 3, 1, 1, 1, 1, 1, Q8_PADDING_SAME, Q8_ACT_NONE,
                         true, false};
  run_conv_case(rng, &big);
}

static void test_depthwise(t_rng *rng) {
  for (int i = 0; i < 60; i++) {
    const conv_case c = random_conv(rng, true);
    run_conv_case(rng, &c);
  }
}

/* ---- FULLY_CONNECTED ---- */

static void test_fully_connected(t_rng *rng) {
  for (int i = 0; i < 40; i++) {
    const int32_t batch = (int32_t)t_rng_range(rng, 1, 19), depth = (int32_t)t_rng_range(rng, 1, 300);
    const int32_t units = (int32_t)t_rng_range(rng, 1, 100);
    const bool has_bias = t_rng_range(rng, 0, 3) != 0;
    const q8_activation act = random_activation(rng);
    float *in = random_floats(rng, (size_t)batch * depth);
    float *w = random_floats(rng, (size_t)units * depth);
    float *b = has_bias ? random_floats(rng, (size_t)units) : NULL;
    const size_t n_out = (size_t)batch * units;
    double *want = malloc(n_out * sizeof *want), *mag = malloc(n_out * sizeof *mag);
    for (int32_t r = 0; r < batch; r++)
      for (int32_t u = 0; u < units; u++) {
        double acc = b ? b[u] : 0.0, m = b ? fabs(b[u]) : 0.0;
        for (int32_t k = 0; k < depth; k++) {
          const double p = (double)in[(size_t)r * depth + k] * w[(size_t)u * depth + k];
          acc += p;
          m += fabs(p);
        }
        want[(size_t)r * units + u] = clamp_act(acc, act);
        mag[(size_t)r * units + u] = m;
      }
    const int32_t in_dims[2] = {batch, depth}, w_dims[2] = {units, depth};
    const int32_t out_dims[2] = {batch, units};
    h_tensor hs[4] = {float_tensor("x", 2, in_dims, NULL, 0),
                      float_tensor("w", 2, w_dims, w, (size_t)units * depth),
                      float_tensor("b", 1, &units, b, (size_t)units),
                      float_tensor("y", 2, out_dims, NULL, 0)};
    q8_tensor tensors[4];
    h_tensors(hs, 4, tensors);
    h_node hn;
    h_node_init(&hn, Q8_OP_FULLY_CONNECTED, 3);
    if (!has_bias) hn.inputs[2] = -1;
    hn.node.opt.fully_connected.activation = act;
    char what[128];
    snprintf(what, sizeof what, "FULLY_CONNECTED %dx%d -> %d act %d bias %d", (int)batch,
             (int)depth, (int)units, (int)act, (int)has_bias);
    const void *inputs[3] = {in, w, b};
    check_all_paths(what, q8_prepare_fully_connected_float, &hn, tensors, inputs, n_out, want,
                    mag);
    free(in);
    free(w);
    free(b);
    free(want);
    free(mag);
  }
}

/* ---- ADD ---- */

static void test_add(t_rng *rng) {
  for (int i = 0; i < 30; i++) {
    int32_t dims[4], d1[4], d2[4];
    for (int d = 0; d < 4; d++) {
      dims[d] = (int32_t)t_rng_range(rng, 1, 6);
      const int64_t which = t_rng_range(rng, 0, 3); /* 0: broadcast input 0, 1: input 1 */
      d1[d] = which == 0 ? 1 : dims[d];
      d2[d] = which == 1 ? 1 : dims[d];
    }
    const q8_activation act = random_activation(rng);
    size_t n1 = 1, n2 = 1, n = 1;
    for (int d = 0; d < 4; d++) n1 *= (size_t)d1[d], n2 *= (size_t)d2[d], n *= (size_t)dims[d];
    float *x = random_floats(rng, n1), *y = random_floats(rng, n2);
    double *want = malloc(n * sizeof *want), *mag = malloc(n * sizeof *mag);
    size_t o = 0;
    for (int32_t a = 0; a < dims[0]; a++)
      for (int32_t b = 0; b < dims[1]; b++)
        for (int32_t c = 0; c < dims[2]; c++)
          for (int32_t e = 0; e < dims[3]; e++, o++) {
#define AT(dd, a, b, c, e)                                                                    \
  (((((size_t)((dd)[0] > 1 ? a : 0) * (dd)[1] + ((dd)[1] > 1 ? b : 0)) * (dd)[2] +            \
     ((dd)[2] > 1 ? c : 0)) * (dd)[3]) + ((dd)[3] > 1 ? e : 0))
            const double u = x[AT(d1, a, b, c, e)], v = y[AT(d2, a, b, c, e)];
#undef AT
            want[o] = clamp_act(u + v, act);
            mag[o] = fabs(u) + fabs(v);
          }
    h_tensor hs[3] = {float_tensor("x", 4, d1, NULL, 0), float_tensor("y", 4, d2, NULL, 0),
                      float_tensor("z", 4, dims, NULL, 0)};
    q8_tensor tensors[3];
    h_tensors(hs, 3, tensors);
    h_node hn;
    h_node_init(&hn, Q8_OP_ADD, 2);
    hn.node.opt.add.activation = act;
    const void *inputs[2] = {x, y};
    check_all_paths("ADD", q8_prepare_add_float, &hn, tensors, inputs, n, want, mag);
    free(x);
    free(y);
    free(want);
    free(mag);
  }
}

/* ---- AVERAGE_POOL_2D, MAX_POOL_2D ---- */

static void test_pool(t_rng *rng) {
  for (int i = 0; i < 40; i++) {
    const bool average = i % 2 == 0;
    const int32_t n = (int32_t)t_rng_range(rng, 1, 2), h = (int32_t)t_rng_range(rng, 1, 10);
    const int32_t w = (int32_t)t_rng_range(rng, 1, 10), ch = (int32_t)t_rng_range(rng, 1, 20);
    const int32_t fh = (int32_t)t_rng_range(rng, 1, 4), fw = (int32_t)t_rng_range(rng, 1, 4);
    const int32_t sh = (int32_t)t_rng_range(rng, 1, 3), sw = (int32_t)t_rng_range(rng, 1, 3);
    const q8_padding pad = t_rng_range(rng, 0, 1) ? Q8_PADDING_SAME : Q8_PADDING_VALID;
    const q8_activation act = random_activation(rng);
    int32_t pt, pl;
    const int32_t oh = q8_conv_out_size(pad, h, fh, sh, 1, &pt);
    const int32_t ow = q8_conv_out_size(pad, w, fw, sw, 1, &pl);
    if (oh <= 0 || ow <= 0) continue;
    const int32_t in_dims[4] = {n, h, w, ch}, out_dims[4] = {n, oh, ow, ch};
    float *x = random_floats(rng, (size_t)n * h * w * ch);
    const size_t n_out = (size_t)n * oh * ow * ch;
    double *want = malloc(n_out * sizeof *want), *mag = malloc(n_out * sizeof *mag);
    size_t o = 0;
    for (int32_t b = 0; b < n; b++)
      for (int32_t oy = 0; oy < oh; oy++)
        for (int32_t ox = 0; ox < ow; ox++)
          for (int32_t c = 0; c < ch; c++, o++) {
            double acc = average ? 0.0 : -INFINITY, m = 0.0;
            int count = 0;
            for (int32_t y = oy * sh - pt; y < oy * sh - pt + fh; y++)
              for (int32_t xx = ox * sw - pl; xx < ox * sw - pl + fw; xx++) {
                if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                const double v = x[(((size_t)b * h + y) * w + xx) * ch + c];
                acc = average ? acc + v : (v > acc ? v : acc);
                m += fabs(v);
                count++;
              }
            want[o] = clamp_act(average ? acc / count : acc, act);
            mag[o] = average ? m / count : 0.0; /* the maximum is exact */
          }
    h_tensor hs[2] = {float_tensor("x", 4, in_dims, NULL, 0),
                      float_tensor("y", 4, out_dims, NULL, 0)};
    q8_tensor tensors[2];
    h_tensors(hs, 2, tensors);
    h_node hn;
    h_node_init(&hn, average ? Q8_OP_AVERAGE_POOL_2D : Q8_OP_MAX_POOL_2D, 1);
    hn.node.opt.pool = (__typeof__(hn.node.opt.pool)){pad, sh, sw, fh, fw, act};
    const void *inputs[1] = {x};
    check_all_paths(average ? "AVERAGE_POOL_2D" : "MAX_POOL_2D",
                    average ? q8_prepare_average_pool_2d_float : q8_prepare_max_pool_2d_float,
                    &hn, tensors, inputs, n_out, want, mag);
    free(x);
    free(want);
    free(mag);
  }
}

/* ---- MEAN, PAD, SOFTMAX ---- */

static void test_mean(t_rng *rng) {
  for (int i = 0; i < 10; i++) {
    const int32_t n = (int32_t)t_rng_range(rng, 1, 2), h = (int32_t)t_rng_range(rng, 1, 9);
    const int32_t w = (int32_t)t_rng_range(rng, 1, 9), ch = (int32_t)t_rng_range(rng, 1, 40);
    const bool keep = i % 2 == 0;
    float *x = random_floats(rng, (size_t)n * h * w * ch);
    double *want = malloc((size_t)n * ch * sizeof *want), *mag = malloc((size_t)n * ch * sizeof *mag);
    for (int32_t b = 0; b < n; b++)
      for (int32_t c = 0; c < ch; c++) {
        double s = 0.0, m = 0.0;
        for (int32_t k = 0; k < h * w; k++) {
          s += x[((size_t)b * h * w + k) * ch + c];
          m += fabs(x[((size_t)b * h * w + k) * ch + c]);
        }
        want[b * ch + c] = s / (h * w);
        mag[b * ch + c] = m / (h * w);
      }
    const int32_t in_dims[4] = {n, h, w, ch}, keep_dims[4] = {n, 1, 1, ch}, drop[2] = {n, ch};
    const int32_t axes[2] = {1, -2}, axes_dims[1] = {2};
    h_tensor hs[3] = {float_tensor("x", 4, in_dims, NULL, 0),
                      float_tensor("axes", 1, axes_dims, NULL, 0),
                      keep ? float_tensor("y", 4, keep_dims, NULL, 0)
                           : float_tensor("y", 2, drop, NULL, 0)};
    hs[1].t.type = Q8_TYPE_INT32;
    hs[1].t.data = axes;
    hs[1].t.data_size = sizeof axes;
    q8_tensor tensors[3];
    h_tensors(hs, 3, tensors);
    h_node hn;
    h_node_init(&hn, Q8_OP_MEAN, 2);
    hn.node.opt.reduce.keep_dims = keep;
    const void *inputs[2] = {x, axes};
    check_all_paths("MEAN", q8_prepare_mean_float, &hn, tensors, inputs, (size_t)n * ch, want,
                    mag);
    free(x);
    free(want);
    free(mag);
  }
}

static void test_pad(t_rng *rng) {
  for (int i = 0; i < 20; i++) {
    int32_t dims[4], pads[8], out_dims[4];
    size_t n_in = 1, n_out = 1;
    for (int d = 0; d < 4; d++) {
      dims[d] = (int32_t)t_rng_range(rng, 1, 5);
      pads[2 * d] = (int32_t)t_rng_range(rng, 0, 2);
      pads[2 * d + 1] = (int32_t)t_rng_range(rng, 0, 2);
      out_dims[d] = dims[d] + pads[2 * d] + pads[2 * d + 1];
      n_in *= (size_t)dims[d];
      n_out *= (size_t)out_dims[d];
    }
    const bool has_value = i % 2 == 1;
    const float value = has_value ? -3.5f : 0.0f;
    float *x = random_floats(rng, n_in);
    double *want = malloc(n_out * sizeof *want), *mag = calloc(n_out, sizeof *mag);
    size_t o = 0;
    for (int32_t a = 0; a < out_dims[0]; a++)
      for (int32_t b = 0; b < out_dims[1]; b++)
        for (int32_t c = 0; c < out_dims[2]; c++)
          for (int32_t e = 0; e < out_dims[3]; e++, o++) {
            const int32_t ia = a - pads[0], ib = b - pads[2], ic = c - pads[4], ie = e - pads[6];
            const bool inside = ia >= 0 && ia < dims[0] && ib >= 0 && ib < dims[1] &&
                                ic >= 0 && ic < dims[2] && ie >= 0 && ie < dims[3];
            want[o] = inside ? x[(((size_t)ia * dims[1] + ib) * dims[2] + ic) * dims[3] + ie]
                             : value;
          }
    const int32_t pad_dims[2] = {4, 2};
    h_tensor hs[4] = {float_tensor("x", 4, dims, NULL, 0),
                      float_tensor("paddings", 2, pad_dims, NULL, 0),
                      float_tensor("value", 0, NULL, &value, 1),
                      float_tensor("y", 4, out_dims, NULL, 0)};
    hs[1].t.type = Q8_TYPE_INT32;
    hs[1].t.data = pads;
    hs[1].t.data_size = sizeof pads;
    q8_tensor tensors[4];
    h_tensors(hs, 4, tensors);
    h_node hn;
    h_node_init(&hn, Q8_OP_PAD, 3);
    if (!has_value) hn.inputs[2] = -1;
    const void *inputs[3] = {x, pads, &value};
    check_all_paths("PAD", q8_prepare_pad_float, &hn, tensors, inputs, n_out, want, mag);
    free(x);
    free(want);
    free(mag);
  }
}

static void test_softmax(t_rng *rng) {
  for (int i = 0; i < 10; i++) {
    const int32_t rows = (int32_t)t_rng_range(rng, 1, 4), depth = (int32_t)t_rng_range(rng, 1, 1001);
    const float beta = (float)(0.5 + 2.0 * t_rng_unit(rng));
    float *x = random_floats(rng, (size_t)rows * depth);
    for (size_t k = 0; k < (size_t)rows * depth; k++) x[k] *= 10.0f;
    double *want = malloc((size_t)rows * depth * sizeof *want);
    double *mag = malloc((size_t)rows * depth * sizeof *mag);
    for (int32_t r = 0; r < rows; r++) {
      const float *xr = x + (size_t)r * depth;
      double max = xr[0], sum = 0.0;
      /* Not fmax: aarch64 GCC 12.2's vectorizer crashes on that reduction. */
      for (int32_t k = 1; k < depth; k++) max = xr[k] > max ? xr[k] : max;
      for (int32_t k = 0; k < depth; k++) sum += exp((double)beta * (xr[k] - max));
      for (int32_t k = 0; k < depth; k++) {
        want[(size_t)r * depth + k] = exp((double)beta * (xr[k] - max)) / sum;
        /* expf's error (a few ulp) relative to each term and to the sum. */
        mag[(size_t)r * depth + k] = 10.0 * want[(size_t)r * depth + k];
      }
    }
    const int32_t dims[2] = {rows, depth};
    h_tensor hs[2] = {float_tensor("x", 2, dims, NULL, 0), float_tensor("y", 2, dims, NULL, 0)};
    q8_tensor tensors[2];
    h_tensors(hs, 2, tensors);
    h_node hn;
    h_node_init(&hn, Q8_OP_SOFTMAX, 1);
    hn.node.opt.softmax.beta = beta;
    const void *inputs[1] = {x};
    check_all_paths("SOFTMAX", q8_prepare_softmax_float, &hn, tensors, inputs,
                    (size_t)rows * depth, want, mag);
    free(x);
    free(want);
    free(mag);
  }
}

/* A float operator refuses an 8-bit operand by name. */
static void test_refusals(void) {
  const int32_t in_dims[4] = {1, 4, 4, 3}, w_dims[4] = {2, 1, 1, 3}, out_dims[4] = {1, 4, 4, 2};
  int8_t w[6] = {0};
  h_tensor hs[4] = {float_tensor("x", 4, in_dims, NULL, 0), float_tensor("w", 4, w_dims, NULL, 0),
                    float_tensor("b", 1, &w_dims[0], NULL, 0),
                    float_tensor("y", 4, out_dims, NULL, 0)};
  h_set(&hs[1], "w8", Q8_TYPE_INT8, 4, w_dims, 0.5f, 0);
  hs[1].t.data = w;
  hs[1].t.data_size = sizeof w;
  q8_tensor tensors[4];
  h_tensors(hs, 4, tensors);
  h_node hn;
  h_node_init(&hn, Q8_OP_CONV_2D, 3);
  hn.inputs[2] = -1;
  hn.node.opt.conv.stride_h = hn.node.opt.conv.stride_w = 1;
  hn.node.opt.conv.dilation_h = hn.node.opt.conv.dilation_w = 1;
  q8_prepare_ctx ctx;
  q8_op_plan plan = {0};
  memset(&ctx, 0, sizeof ctx);
  const q8_status s = q8_prepare_conv_2d_float(&ctx, &hn.node, tensors, &plan);
  T_CHECK(s == Q8_ERROR_UNSUPPORTED && strstr(ctx.message, "w8") != NULL &&
              strstr(ctx.message, "int8") != NULL,
          "int8 filter of a float CONV_2D: status %d, '%s'", (int)s, ctx.message);
  h_ctx_free(&ctx);
}

int main(void) {
  t_rng rng = {t_seed(5)};
  for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++)
    if (!q8_isa_runs_on(isas[i], q8_cpu_detect()))
      printf("path %s: not on this CPU, skipped\n", q8_isa_name(isas[i]));
  for (int t = 0; t < 3; t++) {
    q8_error err = {{0}};
    if (q8_threadpool_create(t + 1, &pools[t], &err) != Q8_OK) {
      fprintf(stderr, "thread pool: %s\n", err.message);
      return 1;
    }
  }
  test_conv(&rng);
  test_depthwise(&rng);
  test_fully_connected(&rng);
  test_add(&rng);
  test_pool(&rng);
  test_mean(&rng);
  test_pad(&rng);
  test_softmax(&rng);
  test_refusals();
  for (int t = 0; t < 3; t++) q8_threadpool_free(pools[t]);
  return t_finish();
}
