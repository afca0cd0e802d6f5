/* The converter: walks a trained float graph (train/graph.h) and emits q8's integer inference
   graph (core/graph.h) for the TFLite writer, in TFLite's int8 scheme or the paper's uint8 one;
   and post-training quantization (calibrating activation ranges on images, then exporting).
   It is the only code that knows both worlds. Rules, with the reasons: doc/convert.md.

   Life of an export:
     q8t_ranges_init                 a table of ranges, one slot per training tensor
     q8t_calibrate (PTQ)             min/max of every exported activation over N images
       or q8t_ranges_set (QAT)       the fake-quantization nodes' learned ranges
     q8t_export_file                 fold, quantize, check that q8's runtime prepares it, write
   or q8t_ptq_export for the whole post-training flow.

   The ranges table is the hand-over point between training and export: a range is keyed by
   the training tensor whose values the exported activation holds (q8t_export_plan lists
   them), whoever measured it; weight grids come from the one function q8t_weight_grids,
   called by fake quantization and by the export alike, or are handed over explicitly
   (q8t_ranges_set_weight_grids). */
#ifndef Q8_TRAIN_CONVERT_H
#define Q8_TRAIN_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"
#include "quant/range.h"
#include "train/graph.h"
#include "train/trainer.h"

/* ---- what the exported graph will be ---- */

/* One operator of the exported graph and the training nodes it stands for. */
typedef struct q8t_export_op {
  q8_op_kind kind;          /* CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MEAN,
                               MAX_POOL_2D, AVERAGE_POOL_2D or SOFTMAX */
  int32_t node;             /* the training node (for SOFTMAX: the softmax cross-entropy) */
  int32_t batch_norm;       /* batch-norm node folded into the weights, or -1 */
  int32_t activation_node;  /* ReLU / ReLU6 node fused into the operator, or -1 */
  q8_activation activation; /* fused activation (the node's own, the BN's or the ReLU node's) */
  int32_t inputs[2];        /* training tensors read (activations; ADD reads two), else -1 */
  int32_t output;           /* training tensor whose values the exported output holds */
  /* Where the output's quantization comes from: its own range (CONV_2D, DEPTHWISE_CONV_2D,
     FULLY_CONNECTED, ADD), input 0's parameters (MEAN and the pools: TFLite requires equal
     input and output parameters), or fixed (SOFTMAX: 1/256). */
  bool output_has_range;
} q8t_export_op;

typedef struct q8t_export_plan {
  int32_t n_ops;
  q8t_export_op *ops;  /* in execution order */
  int32_t input;       /* the image input (fixed quantization: [0, 1] in 8 bits) */
  /* Training tensors whose ranges the export needs, in execution order: every exported
     activation with output_has_range. This is where quantization-aware training puts its
     activation fake quantization, and what calibration measures. */
  int32_t n_ranged;
  int32_t *ranged;
  /* The exported graph's outputs, as indices into ops: the SOFTMAX, or the operators whose
     output no exported operator reads. */
  int32_t n_outputs;
  int32_t outputs[4];
} q8t_export_plan;

/* Decides the exported operators: each convolution, depthwise convolution or fully connected
   node absorbs the batch norm that alone reads its output (folded) and a ReLU / ReLU6 node
   that alone reads the result (fused); ADD absorbs a following ReLU node the same way; global
   average pooling becomes MEAN; the loss becomes SOFTMAX on the logits. Refused
   (Q8_ERROR_UNSUPPORTED, naming the node): a batch norm that does not directly follow a
   convolution whose output nothing else reads, an activation that cannot be fused, a
   convolution with a fused activation followed by a batch norm, a graph with no or several
   image inputs. */
q8_status q8t_export_plan_init(const q8t_graph *graph, q8t_export_plan *plan, q8_error *error);
void q8t_export_plan_free(q8t_export_plan *plan);

/* ---- ranges: filled by calibration now, by quantization-aware training later ---- */

/* Weight grids handed over for one weight tensor: per output channel (count = channels) or per
   tensor (count 1), as q8t_weight_grids would make them for the export's scheme. */
typedef struct q8t_grid_set {
  int32_t count; /* 0: none handed over, the export derives them from the folded weights */
  q8_quant_grid *grids;
} q8t_grid_set;

typedef struct q8t_ranges {
  int32_t n_tensors;
  q8_range_tracker *activation;  /* per training tensor; initialized == false: no range */
  q8t_grid_set *weights;     /* per training tensor (weight tensors only) */
} q8t_ranges;

/* A table for graph's tensors, every slot empty. */
q8_status q8t_ranges_init(const q8t_graph *graph, q8t_ranges *ranges, q8_error *error);
void q8t_ranges_free(q8t_ranges *ranges);

/* Sets tensor's activation range (QAT: the fake-quantization node's min/max). Refused: a
   tensor out of range, a non-finite or reversed range. The export widens it to contain 0. */
q8_status q8t_ranges_set(q8t_ranges *ranges, int32_t tensor, float min, float max,
                         q8_error *error);

/* Hands over the grids of a weight tensor (copied). The export quantizes the folded weights on
   them instead of deriving grids; count and kind must match the scheme (checked at export). */
q8_status q8t_ranges_set_weight_grids(q8t_ranges *ranges, int32_t tensor,
                                      const q8_quant_grid *grids, int32_t count,
                                      q8_error *error);

/* Post-training calibration: runs the graph forward in inference mode (batch norm's moving
   statistics) over images [0, count) of data, in batches of the graph's capacity, and widens
   the range of every tensor of the export plan to the union of the batches' min/max
   (q8_range_tracker_update_minmax). Labels, when the graph has a loss, are fed as data's
   labels or 0 when data has none. Leaves the graph's batch at the last batch's size. */
q8_status q8t_calibrate(q8t_graph *graph, const q8t_images *data, int64_t count,
                        q8t_ranges *ranges, q8_error *error);

/* ---- folding and weight grids (shared with quantization-aware training) ---- */

/* Folds batch_norm (a node index, or -1 for none) into the weights and bias of node (conv,
   depthwise conv or fully connected), with the moving statistics, exactly as batch norm's
   inference forward computes its per-channel affine map:
     k_c = gamma_c * (float)(1 / sqrt((double)moving_variance_c + epsilon))
     w'  = w * k_c                              (every weight of output channel c)
     b'_c = bias_c * k_c + (beta_c - moving_mean_c * k_c)      (bias_c = 0 without one)
   weights has as many floats as the node's weights, bias one per output channel. */
q8_status q8t_fold_batch_norm(const q8t_graph *graph, int32_t node, int32_t batch_norm,
                              float *weights, float *bias, q8_error *error);

typedef enum q8t_scheme {
  Q8T_SCHEME_INT8, /* TFLite: int8 activations, symmetric int8 weights (conv and depthwise per
                      output channel, fully connected per tensor), int32 biases */
  Q8T_SCHEME_UINT8 /* the paper: uint8 per tensor everywhere, weights narrow range [1, 255] */
} q8t_scheme;

/* "int8", "uint8". */
const char *q8t_scheme_name(q8t_scheme scheme);

/* The container type of a scheme's activations and weights: int8 or uint8. */
q8_type q8t_scheme_type(q8t_scheme scheme);

/* The exported image input's parameters: [0, 1] in 8 bits, scale 1/255, zero point -128 (int8)
   or 0 (uint8). Not learned. */
q8_quant_params q8t_export_input_params(q8_type type);

/* Output channels of a weighted layer's weights (TFLite's layouts: depthwise [1, KH, KW, C]
   the last axis, conv [O, KH, KW, I] and fully connected [O, I] the first). */
int32_t q8t_weight_channels(q8t_op op, const int32_t *dims);

/* The grids of a weight tensor (rank and dims: conv [O,KH,KW,I], depthwise [1,KH,KW,C],
   fully connected [O,I]) of a node of kind op in a scheme at bits: int8 conv per output channel
   (axis 0) and depthwise per channel (axis 3), symmetric; int8 fully connected one symmetric
   grid; uint8 one asymmetric narrow-range grid over [min(w), max(w)]. grids has room for the
   output channels; *count says how many were made (1 or channels). */
q8_status q8t_weight_grids(q8t_op op, int32_t rank, const int32_t *dims, const float *weights,
                           q8t_scheme scheme, int bits, q8_quant_grid *grids, int32_t *count,
                           q8_error *error);

/* ---- the export ---- */

typedef struct q8t_export_options {
  q8t_scheme scheme;
  int weight_bits;     /* 2..8 (0: 8). Weights on the narrower grid, in 8-bit containers */
  int activation_bits; /* 2..8 (0: 8). Only reported: activations are exported at 8 bits over
                          their ranges, so below 8 the file approximates the trained model */
} q8t_export_options;

typedef struct q8t_export_report {
  int32_t operators;
  int32_t weight_tensors;
  int32_t min_scale_channels;     /* weight channels (or tensors) that got the minimum scale */
  int32_t bias_adjusted_channels; /* weight scales raised so the bias fits (q8_quant_bias_safe_weight_scale) */
  int32_t handed_over_grids;      /* weight tensors quantized on grids from q8t_ranges */
  bool approximated;              /* activation_bits < 8: activations requantized at 8 bits */
  size_t bytes;                   /* the file's size (q8t_export_file) */
  char notes[512];                /* the above in words, "" when there is nothing to say */
} q8t_export_report;

/* Builds the integer graph: batch 1, tensors named after the training tensors
   ("conv1/bn", "conv1/weights", "conv1/bias", "gap/axes", "fc", "probabilities"). Every
   ranged activation must have a range in ranges. On success *out is the caller's (free with
   q8_graph_free); report (may be NULL) says what the export changed or approximated. */
q8_status q8t_export(const q8t_graph *graph, const q8t_ranges *ranges,
                     const q8t_export_options *options, q8_graph **out,
                     q8t_export_report *report, q8_error *error);

/* Encodes an exported graph and checks that q8's runtime loads and prepares it
   (q8_model_load_memory, q8_interp_init). *data (malloc'd, may be NULL to discard) holds the
   file's bytes. */
q8_status q8t_export_check(const q8_graph *graph, uint8_t **data, size_t *size, q8_error *error);

/* q8t_export, q8t_export_check, then writes the checked bytes atomically to path. */
q8_status q8t_export_file(const q8t_graph *graph, const q8t_ranges *ranges,
                          const q8t_export_options *options, const char *path,
                          q8t_export_report *report, q8_error *error);

/* Post-training quantization, the baseline of the paper: calibrates on the first count images
   of data (training images) and writes the export to path. The graph is not trained. */
q8_status q8t_ptq_export(q8t_graph *graph, const q8t_images *data, int64_t count,
                         const q8t_export_options *options, const char *path,
                         q8t_export_report *report, q8_error *error);

#endif
