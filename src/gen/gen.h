/* Model generator (library q8_gen): the ImageNet-geometry reference models of
   ../shared/reference-models.md (mobilenet_v1_1.0_224, mobilenet_v2_1.0_224, resnet50_v1,
   inception_v3) with random weights and plausible quantization parameters, as q8 graphs that
   the TFLite writer saves. For latency work: the values mean nothing, the shapes and the
   parameter rules are those of real converted models. Float at generation time (weights are
   drawn and calibrated in float); not part of libq8. Rules and numbers: doc/models.md. */
#ifndef Q8_GEN_GEN_H
#define Q8_GEN_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"
#include "q8/q8.h"

typedef enum q8g_model {
  Q8G_MOBILENET_V1,
  Q8G_MOBILENET_V2,
  Q8G_RESNET50_V1,
  Q8G_INCEPTION_V3,
  Q8G_MODEL_COUNT
} q8g_model;

/* What the tensors hold. */
typedef enum q8g_scheme {
  Q8G_SCHEME_INT8,   /* TFLite's: int8 activations, per-channel symmetric int8 convolution
                        weights, per-tensor symmetric fully connected weights */
  Q8G_SCHEME_UINT8,  /* the paper's: uint8 activations and weights, per tensor, asymmetric */
  Q8G_SCHEME_FLOAT32 /* the same graph in float32, no quantization */
} q8g_scheme;

/* How activation ranges are chosen. */
typedef enum q8g_ranges {
  /* Default. Each layer runs in float on one random input while the graph is built; its
     pre-activation is normalised per channel (mean and spread set, as a folded batch norm
     would), and every activation's range is the min/max it reached. */
  Q8G_RANGES_CALIBRATED,
  /* No float pass: He-scaled weights, zero biases and ranges by rule (ReLU6 [0, 6], ReLU
     [0, 8], linear [-8, 8], logits [-16, 16]). Much faster; the structure and sizes are the
     same, the values are not tuned to stay away from saturation (for structure tests). */
  Q8G_RANGES_FIXED
} q8g_ranges;

/* Limits of the options, checked by q8g_check_options. */
#define Q8G_MIN_WIDTH 0.1
#define Q8G_MAX_WIDTH 2.0
#define Q8G_MAX_RESOLUTION 512

/* Zero-initialise, then set what differs from the defaults. */
typedef struct q8g_options {
  q8g_scheme scheme;  /* default int8 */
  double width;       /* channel multiplier, MobileNets only; 0 means 1.0 */
  int32_t resolution; /* input height and width; 0 means the model's (224, inception 299) */
  uint64_t seed;      /* weights and the calibration input; 0 is a seed like any other */
  q8g_ranges ranges;
} q8g_options;

/* What was built. */
typedef struct q8g_report {
  int32_t operators;
  int32_t op_counts[Q8_OP_COUNT]; /* by q8_op_kind */
  uint64_t macs;       /* multiply-accumulates, counted as src/runtime/stats.c counts them */
  uint64_t parameters; /* weights and biases */
  int32_t resolution;  /* the input's height and width */
  double width;        /* the channel multiplier used */
  double build_seconds, calibrate_seconds; /* calibrate: the float passes (inside build) */
} q8g_report;

/* "mobilenet_v1_1.0_224", ...; "unknown" outside the enum. */
const char *q8g_model_name(q8g_model model);
/* The inverse; INVALID_ARGUMENT with the known names listed otherwise. */
q8_status q8g_model_from_name(const char *name, q8g_model *model, q8_error *error);
/* "int8", "uint8", "float32". */
const char *q8g_scheme_name(q8g_scheme scheme);

/* The model's default and smallest resolutions (224 or 299; 32, inception 75: the input
   that leaves at least one pixel after the last stride or VALID convolution). */
int32_t q8g_default_resolution(q8g_model model);
int32_t q8g_min_resolution(q8g_model model);

/* INVALID_ARGUMENT with a message naming the option and its valid range: an unknown model,
   scheme or ranges value; width outside [Q8G_MIN_WIDTH, Q8G_MAX_WIDTH] or not 1 for a model
   without a width multiplier; resolution outside [q8g_min_resolution, Q8G_MAX_RESOLUTION]. */
q8_status q8g_check_options(q8g_model model, const q8g_options *options, q8_error *error);

/* Builds the model as a q8 graph (input "input" [1, R, R, 3], output "probabilities"
   [1, 1000] from SOFTMAX; the logits feed it). *graph is the caller's (q8_graph_free).
   report may be NULL. Same options and seed, same graph, bit for bit. */
q8_status q8g_build(q8g_model model, const q8g_options *options, q8_graph **graph,
                    q8g_report *report, q8_error *error);

/* q8g_build, then q8_tflite_write_file (atomic). */
q8_status q8g_write_file(q8g_model model, const q8g_options *options, const char *path,
                         q8g_report *report, q8_error *error);

#endif
