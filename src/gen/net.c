/* The generator's builders: shapes, He-initialised weights, and (when calibrating) each
   layer's float pass on the calibration input, the per-channel normalisation that stands in
   for a trained, folded batch norm, and the observed ranges. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen/net.h"

/* Ranges by rule when not calibrating (q8g_ranges). */
static const float relu_rule_max = 8.0f, linear_rule_abs = 8.0f, logits_rule_abs = 16.0f;

void q8g_net_init(q8g_net *net, bool calibrate, uint64_t seed, q8_error *error) {
  memset(net, 0, sizeof *net);
  net->calibrate = calibrate;
  net->rng.state = seed ^ 0x9e3779b97f4a7c15ull;
  net->error = error;
}

void q8g_net_free(q8g_net *net) {
  for (int32_t t = 0; t < net->n_tensors; t++) free(net->tensors[t].values);
  for (int32_t l = 0; l < net->n_layers; l++) {
    free(net->layers[l].weights);
    free(net->layers[l].bias);
  }
  free(net->tensors);
  free(net->layers);
  memset(net, 0, sizeof *net);
}

int32_t q8g_net_fail(q8g_net *net, q8_status status, const char *fmt, ...) {
  if (net->status != Q8_OK) return -1;
  net->status = status;
  if (net->error != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(net->error->message, sizeof net->error->message, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int32_t out_of_memory(q8g_net *net) {
  return q8g_net_fail(net, Q8_ERROR_OUT_OF_MEMORY, "out of memory building the model");
}

/* splitmix64: every output is a full-period function of the counter. */
static uint64_t rng_next(q8g_rng *rng) {
  uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double q8g_rng_unit(q8g_rng *rng) { return (double)(rng_next(rng) >> 11) * 0x1.0p-53; }

/* Marsaglia's polar method: two normals per accepted pair, no trigonometry; the second is
   kept for the next call (the stream stays deterministic: it is part of the state). */
double q8g_rng_normal(q8g_rng *rng) {
  if (rng->has_spare) {
    rng->has_spare = false;
    return rng->spare;
  }
  double u, v, s;
  do {
    u = 2.0 * q8g_rng_unit(rng) - 1.0;
    v = 2.0 * q8g_rng_unit(rng) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = sqrt(-2.0 * log(s) / s);
  rng->spare = v * f;
  rng->has_spare = true;
  return u * f;
}

int32_t q8g_group_of(q8g_net *net, int32_t t) {
  while (net->tensors[t].group != t) {
    net->tensors[t].group = net->tensors[net->tensors[t].group].group; /* path halving */
    t = net->tensors[t].group;
  }
  return t;
}

static void join_groups(q8g_net *net, int32_t a, int32_t b) {
  net->tensors[q8g_group_of(net, b)].group = q8g_group_of(net, a);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- tensors and layers ---- */

static size_t elements(const q8g_tensor *t) {
  size_t n = 1;
  for (int32_t d = 0; d < t->rank; d++) n *= (size_t)t->dims[d];
  return n;
}

static bool grow(void **array, int32_t *cap, int32_t needed, size_t item) {
  if (needed <= *cap) return true;
  const int32_t cap2 = *cap < 64 ? 64 : 2 * *cap;
  void *p = realloc(*array, (size_t)cap2 * item);
  if (p == NULL) return false;
  *array = p;
  *cap = cap2;
  return true;
}

/* A new activation of the given shape, with a values buffer when calibrating; -1 on failure. */
static int32_t new_tensor(q8g_net *net, const char *name, int32_t rank, const int32_t *dims) {
  if (!grow((void **)&net->tensors, &net->cap_tensors, net->n_tensors + 1, sizeof *net->tensors))
    return out_of_memory(net);
  const int32_t index = net->n_tensors;
  q8g_tensor *t = &net->tensors[index];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", name);
  t->rank = rank;
  memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
  t->group = index;
  net->n_tensors++;
  if (net->calibrate) {
    t->values = malloc(elements(t) * sizeof *t->values);
    if (t->values == NULL) return out_of_memory(net);
  }
  return index;
}

static q8g_layer *new_layer(q8g_net *net, q8_op_kind kind, const char *name, int32_t n_inputs,
                            const int32_t *inputs) {
  if (!grow((void **)&net->layers, &net->cap_layers, net->n_layers + 1, sizeof *net->layers)) {
    out_of_memory(net);
    return NULL;
  }
  q8g_layer *l = &net->layers[net->n_layers++];
  memset(l, 0, sizeof *l);
  l->kind = kind;
  snprintf(l->name, sizeof l->name, "%s", name);
  l->n_inputs = n_inputs;
  memcpy(l->inputs, inputs, (size_t)n_inputs * sizeof *inputs);
  l->output = -1;
  return l;
}

/* Refuses a builder call on a failed net or a bad tensor index. */
static bool usable(q8g_net *net, int32_t x, int32_t rank) {
  if (net->status != Q8_OK) return false;
  if (x < 0 || x >= net->n_tensors || net->tensors[x].rank != rank) {
    q8g_net_fail(net, Q8_ERROR_INVALID_ARGUMENT, "builder input %d: not a rank-%d tensor",
                 (int)x, (int)rank);
    return false;
  }
  return true;
}

static void observe_range(q8g_tensor *t) {
  const size_t n = elements(t);
  float lo = t->values[0], hi = t->values[0];
  for (size_t i = 1; i < n; i++) { /* comparisons, not fminf: values are finite, and faster */
    lo = t->values[i] < lo ? t->values[i] : lo;
    hi = t->values[i] > hi ? t->values[i] : hi;
  }
  t->min = lo;
  t->max = hi;
}

static void apply_activation(float *v, size_t n, q8_activation act) {
  if (act == Q8_ACT_NONE) return;
  const float hi = act == Q8_ACT_RELU6 ? 6.0f : INFINITY;
  for (size_t i = 0; i < n; i++) v[i] = v[i] < 0.0f ? 0.0f : v[i] > hi ? hi : v[i];
}

static void rule_range(q8g_tensor *t, q8_activation act) {
  t->min = act == Q8_ACT_NONE ? -linear_rule_abs : 0.0f;
  t->max = act == Q8_ACT_RELU6 ? 6.0f : act == Q8_ACT_RELU ? relu_rule_max : linear_rule_abs;
}

int32_t q8g_input(q8g_net *net, int32_t size, int32_t channels) {
  if (net->status != Q8_OK) return -1;
  const int32_t dims[4] = {1, size, size, channels};
  const int32_t x = new_tensor(net, "input", 4, dims);
  if (x < 0) return -1;
  q8g_tensor *t = &net->tensors[x];
  t->min = -1.0f;
  t->max = 127.0f / 128.0f;
  for (size_t i = 0; t->values != NULL && i < elements(t); i++)
    t->values[i] = (float)((int32_t)(q8g_rng_unit(&net->rng) * 256.0) - 128) / 128.0f;
  return x;
}

/* ---- weighted layers ---- */

static int32_t out_size(q8_padding padding, int32_t in, int32_t kernel, int32_t stride) {
  return padding == Q8_PADDING_SAME ? (in + stride - 1) / stride : (in - kernel) / stride + 1;
}

/* Weights drawn from N(0, 2 / fan_in) (He et al. 2015); zero biases. */
static bool init_weights(q8g_net *net, q8g_layer *l, int32_t rank, const int32_t *dims,
                         int32_t fan_in, int32_t channels) {
  l->weight_rank = rank;
  memcpy(l->weight_dims, dims, (size_t)rank * sizeof *dims);
  l->weight_count = 1;
  for (int32_t d = 0; d < rank; d++) l->weight_count *= (size_t)dims[d];
  l->weights = malloc(l->weight_count * sizeof *l->weights);
  l->bias = calloc((size_t)channels, sizeof *l->bias);
  if (l->weights == NULL || l->bias == NULL) {
    out_of_memory(net);
    return false;
  }
  const double sd = sqrt(2.0 / fan_in);
  for (size_t i = 0; i < l->weight_count; i++)
    l->weights[i] = (float)(sd * q8g_rng_normal(&net->rng));
  return true;
}

/* Mean and standard deviation of all n values. */
static void moments(const float *z, size_t n, double *mean, double *sd) {
  double sum = 0, sq = 0;
  for (size_t i = 0; i < n; i++) {
    sum += z[i];
    sq += (double)z[i] * z[i];
  }
  *mean = sum / (double)n;
  const double var = sq / (double)n - *mean * *mean;
  *sd = var > 1e-12 ? sqrt(var) : 0.0;
}

/* Weight element i belongs to channel c: conv [O, ...] and FC [O, I] hold a channel's weights
   together; depthwise [1, KH, KW, C] interleaves them. */
static void scale_channel(q8g_layer *l, int32_t channels, int32_t c, float k) {
  if (l->kind == Q8_OP_DEPTHWISE_CONV_2D) {
    for (size_t i = (size_t)c; i < l->weight_count; i += (size_t)channels) l->weights[i] *= k;
  } else {
    const size_t per = l->weight_count / (size_t)channels;
    for (size_t i = 0; i < per; i++) l->weights[(size_t)c * per + i] *= k;
  }
}

/* The pre-activation z (no bias yet) becomes k_c * (z - mean) + offset_c, and the weights and
   bias that compute it replace the drawn ones, as a batch norm folded into a trained layer
   would: the layer's values are centred and scaled to spread nm->gain (one mean and spread
   for the whole tensor), then each channel gets a scale factor (gamma) and an offset (beta)
   of its own. Why per tensor: one image's positions per channel are a small, correlated
   sample, and normalising each channel on them amplified differences between positions,
   quantization noise included, by about 15% per layer (a chaotic random network: 80% error
   at MobileNet v1's last layer); one factor per layer keeps He's scale, and the error stays
   near 3% from the first layer to the last. */
static void normalize(q8g_net *net, q8g_layer *l, const q8g_norm *nm, float *z, size_t positions,
                      int32_t channels) {
  double mean, sd;
  moments(z, positions * (size_t)channels, &mean, &sd);
  for (int32_t c = 0; c < channels; c++) {
    const double gamma = l->kind == Q8_OP_FULLY_CONNECTED ? 1.0 : 0.75 + 0.5 * q8g_rng_unit(&net->rng);
    const double beta = nm->offset_lo + (nm->offset_hi - nm->offset_lo) * q8g_rng_unit(&net->rng);
    const float k = sd > 0 ? (float)(nm->gain * gamma / sd) : 1.0f;
    scale_channel(l, channels, c, k);
    l->bias[c] = (float)(beta - k * mean);
    for (size_t p = 0; p < positions; p++) {
      float *v = &z[p * (size_t)channels + (size_t)c];
      *v = *v * k + l->bias[c];
    }
  }
}

/* The end of every weighted layer: when calibrating, its output holds the pre-activation
   without bias; it is normalised, activated and observed. Otherwise ranges by rule. */
static int32_t finish_weighted(q8g_net *net, q8g_layer *l, const q8g_norm *norm, double t0) {
  q8g_tensor *y = &net->tensors[l->output];
  const int32_t channels = y->dims[y->rank - 1];
  if (!net->calibrate) {
    rule_range(y, l->activation);
    if (l->kind == Q8_OP_FULLY_CONNECTED) y->min = -logits_rule_abs, y->max = logits_rule_abs;
    return l->output;
  }
  const size_t n = elements(y);
  normalize(net, l, norm, y->values, n / (size_t)channels, channels);
  apply_activation(y->values, n, l->activation);
  observe_range(y);
  net->calibrate_seconds += now_seconds() - t0;
  return l->output;
}

/* Output shape of a window over x, refused when a VALID window does not fit. */
static bool window_output(q8g_net *net, const char *name, int32_t x, int32_t kh, int32_t kw,
                          int32_t stride, q8_padding padding, int32_t *oh, int32_t *ow) {
  const q8g_tensor *in = &net->tensors[x];
  *oh = out_size(padding, in->dims[1], kh, stride);
  *ow = out_size(padding, in->dims[2], kw, stride);
  if (kh < 1 || kw < 1 || kh * kw > Q8G_MAX_TAPS) {
    q8g_net_fail(net, Q8_ERROR_INVALID_ARGUMENT, "%s: a %dx%d window (at most %d taps)", name,
                 (int)kh, (int)kw, Q8G_MAX_TAPS);
    return false;
  }
  if (*oh >= 1 && *ow >= 1 && stride >= 1) return true;
  q8g_net_fail(net, Q8_ERROR_INVALID_ARGUMENT,
               "%s: input %dx%d is too small for a %dx%d window with stride %d (VALID)", name,
               (int)in->dims[1], (int)in->dims[2], (int)kh, (int)kw, (int)stride);
  return false;
}

/* A weighted or pooling layer with its output tensor; NULL on failure. */
static q8g_layer *windowed_layer(q8g_net *net, q8_op_kind kind, const char *name, int32_t x,
                                 int32_t kh, int32_t kw, int32_t stride, q8_padding padding,
                                 int32_t channels) {
  int32_t oh, ow;
  if (!window_output(net, name, x, kh, kw, stride, padding, &oh, &ow)) return NULL;
  const int32_t dims[4] = {1, oh, ow, channels};
  const int32_t y = new_tensor(net, name, 4, dims);
  q8g_layer *l = y < 0 ? NULL : new_layer(net, kind, name, 1, &x);
  if (l == NULL) return NULL;
  l->output = y;
  l->kernel_h = kh;
  l->kernel_w = kw;
  l->stride = stride;
  l->padding = padding;
  return l;
}

/* OHWI -> HWIO, so that the float pass runs along output channels. */
static float *weights_hwio(const q8g_layer *l) {
  const int32_t o = l->weight_dims[0], taps = l->weight_dims[1] * l->weight_dims[2];
  const int32_t c = l->weight_dims[3];
  float *t = malloc(l->weight_count * sizeof *t);
  if (t == NULL) return NULL;
  for (int32_t oc = 0; oc < o; oc++)
    for (int32_t k = 0; k < taps; k++)
      for (int32_t ic = 0; ic < c; ic++)
        t[((size_t)k * c + ic) * o + oc] = l->weights[((size_t)oc * taps + k) * c + ic];
  return t;
}

int32_t q8g_conv(q8g_net *net, const char *name, int32_t x, const q8g_conv_spec *s) {
  if (!usable(net, x, 4)) return -1;
  const int32_t c = net->tensors[x].dims[3];
  q8g_layer *l = windowed_layer(net, Q8_OP_CONV_2D, name, x, s->kernel_h, s->kernel_w,
                                s->stride, s->padding, s->channels);
  if (l == NULL) return -1;
  l->activation = s->activation;
  const int32_t wdims[4] = {s->channels, s->kernel_h, s->kernel_w, c};
  const int32_t fan_in = s->kernel_h * s->kernel_w * c;
  if (!init_weights(net, l, 4, wdims, fan_in, s->channels)) return -1;
  const q8g_tensor *y = &net->tensors[l->output];
  l->macs = (uint64_t)elements(y) * (uint64_t)fan_in;
  const double t0 = now_seconds();
  if (net->calibrate) {
    float *hwio = weights_hwio(l);
    if (hwio == NULL) return out_of_memory(net);
    q8g_forward_conv(l, &net->tensors[x], hwio, y, y->values);
    free(hwio);
  }
  return finish_weighted(net, l, &s->norm, t0);
}

int32_t q8g_depthwise(q8g_net *net, const char *name, int32_t x, const q8g_conv_spec *s) {
  if (!usable(net, x, 4)) return -1;
  const int32_t c = net->tensors[x].dims[3];
  q8g_layer *l = windowed_layer(net, Q8_OP_DEPTHWISE_CONV_2D, name, x, s->kernel_h, s->kernel_w,
                                s->stride, s->padding, c);
  if (l == NULL) return -1;
  l->activation = s->activation;
  const int32_t wdims[4] = {1, s->kernel_h, s->kernel_w, c};
  if (!init_weights(net, l, 4, wdims, s->kernel_h * s->kernel_w, c)) return -1;
  const q8g_tensor *y = &net->tensors[l->output];
  l->macs = (uint64_t)elements(y) * (uint64_t)(s->kernel_h * s->kernel_w);
  const double t0 = now_seconds();
  if (net->calibrate) q8g_forward_depthwise(l, &net->tensors[x], y, y->values);
  return finish_weighted(net, l, &s->norm, t0);
}

int32_t q8g_fully_connected(q8g_net *net, const char *name, int32_t x, int32_t classes,
                            float gain) {
  if (!usable(net, x, 2)) return -1;
  const int32_t c = net->tensors[x].dims[1];
  const int32_t dims[2] = {1, classes};
  const int32_t y = new_tensor(net, name, 2, dims);
  q8g_layer *l = y < 0 ? NULL : new_layer(net, Q8_OP_FULLY_CONNECTED, name, 1, &x);
  if (l == NULL) return -1;
  l->output = y;
  const int32_t wdims[2] = {classes, c};
  if (!init_weights(net, l, 2, wdims, c, classes)) return -1;
  l->macs = (uint64_t)classes * (uint64_t)c;
  const double t0 = now_seconds();
  if (net->calibrate) q8g_forward_fully_connected(l, &net->tensors[x], net->tensors[y].values);
  const q8g_norm norm = {gain, 0.0f, 0.0f};
  return finish_weighted(net, l, &norm, t0);
}

/* ---- layers without weights ---- */

/* An output of x's shape (or dims) in x's parameter group. */
static int32_t same_quant_output(q8g_net *net, const char *name, int32_t x, int32_t rank,
                                 const int32_t *dims) {
  const int32_t y = new_tensor(net, name, rank, dims);
  if (y < 0) return -1;
  join_groups(net, x, y);
  net->tensors[y].min = net->tensors[x].min;
  net->tensors[y].max = net->tensors[x].max;
  return y;
}

int32_t q8g_add(q8g_net *net, const char *name, int32_t a, int32_t b, q8_activation act) {
  if (!usable(net, a, 4) || !usable(net, b, 4)) return -1;
  if (memcmp(net->tensors[a].dims, net->tensors[b].dims, sizeof net->tensors[a].dims) != 0)
    return q8g_net_fail(net, Q8_ERROR_INVALID_ARGUMENT, "%s: the two inputs differ in shape",
                        name);
  const int32_t inputs[2] = {a, b};
  int32_t dims[4];
  memcpy(dims, net->tensors[a].dims, sizeof dims); /* new_tensor may move the tensors */
  const int32_t y = new_tensor(net, name, 4, dims);
  q8g_layer *l = y < 0 ? NULL : new_layer(net, Q8_OP_ADD, name, 2, inputs);
  if (l == NULL) return -1;
  l->output = y;
  l->activation = act;
  q8g_tensor *t = &net->tensors[y];
  if (!net->calibrate) {
    rule_range(t, act);
    return y;
  }
  const size_t n = elements(t);
  for (size_t i = 0; i < n; i++) t->values[i] = net->tensors[a].values[i] + net->tensors[b].values[i];
  apply_activation(t->values, n, act);
  observe_range(t);
  return y;
}

int32_t q8g_concat(q8g_net *net, const char *name, const int32_t *inputs, int32_t n) {
  if (n < 1 || n > Q8G_MAX_INPUTS)
    return q8g_net_fail(net, Q8_ERROR_INVALID_ARGUMENT, "%s: %d inputs (1 to %d)", name, (int)n,
                        Q8G_MAX_INPUTS);
  int32_t dims[4] = {0};
  for (int32_t k = 0; k < n; k++) {
    if (!usable(net, inputs[k], 4)) return -1;
    const q8g_tensor *in = &net->tensors[inputs[k]];
    if (k > 0 && (in->dims[1] != dims[1] || in->dims[2] != dims[2]))
      return q8g_net_fail(net, Q8_ERROR_INVALID_ARGUMENT, "%s: input %d is %dx%d, not %dx%d",
                          name, (int)k, (int)in->dims[1], (int)in->dims[2], (int)dims[1],
                          (int)dims[2]);
    memcpy(dims, in->dims, 3 * sizeof *dims);
    dims[3] += in->dims[3];
  }
  const int32_t y = new_tensor(net, name, 4, dims);
  q8g_layer *l = y < 0 ? NULL : new_layer(net, Q8_OP_CONCATENATION, name, n, inputs);
  if (l == NULL) return -1;
  l->output = y;
  q8g_tensor *t = &net->tensors[y];
  t->min = INFINITY;
  t->max = -INFINITY;
  const size_t positions = (size_t)dims[1] * (size_t)dims[2];
  int32_t at = 0;
  for (int32_t k = 0; k < n; k++) {
    const q8g_tensor *in = &net->tensors[inputs[k]];
    join_groups(net, y, inputs[k]);
    t->min = fminf(t->min, in->min);
    t->max = fmaxf(t->max, in->max);
    for (size_t p = 0; t->values != NULL && p < positions; p++)
      memcpy(&t->values[p * (size_t)dims[3] + (size_t)at], &in->values[p * (size_t)in->dims[3]],
             (size_t)in->dims[3] * sizeof *t->values);
    at += in->dims[3];
  }
  return y;
}

int32_t q8g_pool(q8g_net *net, const char *name, q8_op_kind kind, int32_t x, int32_t kernel,
                 int32_t stride, q8_padding padding) {
  if (!usable(net, x, 4)) return -1;
  q8g_layer *l = windowed_layer(net, kind, name, x, kernel, kernel, stride, padding,
                                net->tensors[x].dims[3]);
  if (l == NULL) return -1;
  join_groups(net, x, l->output);
  q8g_tensor *y = &net->tensors[l->output];
  y->min = net->tensors[x].min;
  y->max = net->tensors[x].max;
  if (net->calibrate) q8g_forward_pool(l, &net->tensors[x], y, y->values);
  return l->output;
}

int32_t q8g_mean(q8g_net *net, const char *name, int32_t x) {
  if (!usable(net, x, 4)) return -1;
  const int32_t dims[2] = {1, net->tensors[x].dims[3]};
  const int32_t y = same_quant_output(net, name, x, 2, dims);
  q8g_layer *l = y < 0 ? NULL : new_layer(net, Q8_OP_MEAN, name, 1, &x);
  if (l == NULL) return -1;
  l->output = y;
  if (net->calibrate) q8g_forward_mean(&net->tensors[x], net->tensors[y].values);
  return y;
}

int32_t q8g_pad(q8g_net *net, const char *name, int32_t x, int32_t before, int32_t after) {
  if (!usable(net, x, 4)) return -1;
  const q8g_tensor *in = &net->tensors[x];
  const int32_t dims[4] = {1, in->dims[1] + before + after, in->dims[2] + before + after,
                           in->dims[3]};
  const int32_t y = same_quant_output(net, name, x, 4, dims);
  q8g_layer *l = y < 0 ? NULL : new_layer(net, Q8_OP_PAD, name, 1, &x);
  if (l == NULL) return -1;
  l->output = y;
  l->pads[0] = l->pads[2] = before;
  l->pads[1] = l->pads[3] = after;
  if (net->calibrate) q8g_forward_pad(l, &net->tensors[x], &net->tensors[y], net->tensors[y].values);
  return y;
}

int32_t q8g_flatten(q8g_net *net, const char *name, int32_t x) {
  if (!usable(net, x, 4)) return -1;
  const int32_t dims[2] = {1, (int32_t)elements(&net->tensors[x])};
  const int32_t y = same_quant_output(net, name, x, 2, dims);
  q8g_layer *l = y < 0 ? NULL : new_layer(net, Q8_OP_RESHAPE, name, 1, &x);
  if (l == NULL) return -1;
  l->output = y;
  if (net->calibrate)
    memcpy(net->tensors[y].values, net->tensors[x].values, (size_t)dims[1] * sizeof(float));
  return y;
}

int32_t q8g_softmax(q8g_net *net, const char *name, int32_t x) {
  if (!usable(net, x, 2)) return -1;
  const int32_t dims[2] = {1, net->tensors[x].dims[1]};
  const int32_t y = new_tensor(net, name, 2, dims);
  q8g_layer *l = y < 0 ? NULL : new_layer(net, Q8_OP_SOFTMAX, name, 1, &x);
  if (l == NULL) return -1;
  l->output = y;
  /* Probabilities are not observed: their parameters are fixed (emit.c). */
  net->tensors[y].min = 0.0f;
  net->tensors[y].max = 1.0f;
  return y;
}
