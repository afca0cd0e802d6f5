/* The generator's float network under construction: layers recorded in execution order with
   their float weights, and, when calibrating, each activation's values for one random input
   (the layer runs as soon as it is added). Builders return the output tensor's index, or -1
   once anything failed: the first error sticks in net->status, so model code chains calls and
   checks once at the end. emit.c turns a finished net into a q8 graph. */
#ifndef Q8_GEN_NET_H
#define Q8_GEN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"
#include "gen/gen.h"
#include "q8/q8.h"

#define Q8G_NAME_MAX 64
#define Q8G_MAX_INPUTS 8
#define Q8G_MAX_TAPS 64 /* kernel_h * kernel_w of a window */

typedef struct q8g_tensor {
  char name[Q8G_NAME_MAX];
  int32_t rank;
  int32_t dims[4]; /* NHWC, or [1, C] after MEAN / RESHAPE */
  float *values;   /* the calibration input's activation; NULL when not calibrating */
  float min, max;  /* range: observed when calibrating, else by rule */
  int32_t group;   /* tensors that must share quantization parameters: union-find parent */
} q8g_tensor;

typedef struct q8g_layer {
  q8_op_kind kind;
  char name[Q8G_NAME_MAX];
  int32_t n_inputs;
  int32_t inputs[Q8G_MAX_INPUTS];
  int32_t output;
  q8_padding padding;
  int32_t kernel_h, kernel_w, stride;
  q8_activation activation;
  /* CONV_2D [O, KH, KW, I], DEPTHWISE_CONV_2D [1, KH, KW, C], FULLY_CONNECTED [O, I]. */
  int32_t weight_rank;
  int32_t weight_dims[4];
  size_t weight_count;
  float *weights;
  float *bias; /* channels = the output's last dimension */
  int32_t pads[4]; /* PAD: top, bottom, left, right */
  uint64_t macs;
} q8g_layer;

typedef struct q8g_rng {
  uint64_t state;
  double spare; /* the polar method's second normal, when has_spare */
  bool has_spare;
} q8g_rng;

typedef struct q8g_net {
  int32_t n_tensors, cap_tensors;
  q8g_tensor *tensors;
  int32_t n_layers, cap_layers;
  q8g_layer *layers;
  bool calibrate;
  q8g_rng rng;
  double calibrate_seconds;
  q8_status status;
  q8_error *error;
} q8g_net;

void q8g_net_init(q8g_net *net, bool calibrate, uint64_t seed, q8_error *error);
void q8g_net_free(q8g_net *net);
/* Records the first failure (later ones keep it) and returns -1, for builders. */
int32_t q8g_net_fail(q8g_net *net, q8_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Uniform in [0, 1) and standard normal (Marsaglia's polar method). */
double q8g_rng_unit(q8g_rng *rng);
double q8g_rng_normal(q8g_rng *rng);

/* The root of t's parameter group; tensors in one group get one scale and zero point. */
int32_t q8g_group_of(q8g_net *net, int32_t t);

/* ---- builders (net.c) ---- */

/* The image [1, size, size, channels], range [-1, 127/128]: scale 1/128, zero point 0 (int8)
   or 128 (uint8), every code a pixel value. Calibration input: random codes. */
int32_t q8g_input(q8g_net *net, int32_t size, int32_t channels);

/* How a weighted layer is normalised when calibrating: per output channel, the
   pre-activation's mean becomes an offset drawn from [offset_lo, offset_hi] and its standard
   deviation gain times a factor drawn from [0.75, 1.25] (a folded batch norm's beta and
   gamma). Ignored with fixed ranges. */
typedef struct q8g_norm {
  float gain;
  float offset_lo, offset_hi;
} q8g_norm;

typedef struct q8g_conv_spec {
  int32_t kernel_h, kernel_w;
  int32_t stride;
  q8_padding padding;
  int32_t channels; /* output channels; ignored by depthwise (multiplier 1) */
  q8_activation activation;
  q8g_norm norm;
} q8g_conv_spec;

int32_t q8g_conv(q8g_net *net, const char *name, int32_t x, const q8g_conv_spec *spec);
int32_t q8g_depthwise(q8g_net *net, const char *name, int32_t x, const q8g_conv_spec *spec);
/* The logits: [1, C] -> [1, classes], no activation, standard deviation `gain` over classes. */
int32_t q8g_fully_connected(q8g_net *net, const char *name, int32_t x, int32_t classes,
                            float gain);
/* ADD of two equal shapes; its inputs and output keep their own parameters. */
int32_t q8g_add(q8g_net *net, const char *name, int32_t a, int32_t b, q8_activation act);
/* Along channels; inputs and output share parameters (a concatenation then copies bytes). */
int32_t q8g_concat(q8g_net *net, const char *name, const int32_t *inputs, int32_t n);
/* AVERAGE_POOL_2D or MAX_POOL_2D, output parameters equal to the input's. */
int32_t q8g_pool(q8g_net *net, const char *name, q8_op_kind kind, int32_t x, int32_t kernel,
                 int32_t stride, q8_padding padding);
/* MEAN over height and width, keep_dims false: [1, H, W, C] -> [1, C], same parameters. */
int32_t q8g_mean(q8g_net *net, const char *name, int32_t x);
/* Zero padding of height and width (the zero point in integer models), same parameters. */
int32_t q8g_pad(q8g_net *net, const char *name, int32_t x, int32_t before, int32_t after);
/* [1, H, W, C] -> [1, H * W * C], same parameters. */
int32_t q8g_flatten(q8g_net *net, const char *name, int32_t x);
/* SOFTMAX, beta 1; the output's parameters are fixed (1/256). */
int32_t q8g_softmax(q8g_net *net, const char *name, int32_t x);

/* ---- float passes (net-forward.c): y is the output, sized by the caller ---- */

void q8g_forward_conv(const q8g_layer *l, const q8g_tensor *x, const float *weights_hwio,
                      const q8g_tensor *y, float *out);
void q8g_forward_depthwise(const q8g_layer *l, const q8g_tensor *x, const q8g_tensor *y,
                           float *out);
void q8g_forward_fully_connected(const q8g_layer *l, const q8g_tensor *x, float *out);
void q8g_forward_pool(const q8g_layer *l, const q8g_tensor *x, const q8g_tensor *y, float *out);
void q8g_forward_mean(const q8g_tensor *x, float *out);
void q8g_forward_pad(const q8g_layer *l, const q8g_tensor *x, const q8g_tensor *y, float *out);
/* Leading padding of a SAME or VALID window along one axis (TensorFlow's rule). */
int32_t q8g_pad_before(q8_padding padding, int32_t in, int32_t out, int32_t kernel,
                       int32_t stride);

/* ---- the architectures (models.c) ---- */

/* Records the model's layers; failures stick in net->status. width and resolution as
   q8g_check_options accepts them. */
void q8g_build_net(q8g_net *net, q8g_model model, double width, int32_t resolution);

/* ---- the q8 graph (emit.c) ---- */

/* Quantization parameters (or none for float32) from the ranges of each tensor's group;
   weights quantized per scheme; biases int32 with scale input * weight. */
q8_status q8g_emit(q8g_net *net, q8g_scheme scheme, q8_graph **graph, q8_error *error);

#endif
