/* Quantization-aware training (the paper's section 3, TensorFlow's quantize rewriter): the
   graph transformation that turns a float training graph (models.c, or any graph the
   converter can export) into its fake-quantized form, the schedule's clock, calibration of
   activation ranges, and the hand-over of learned ranges and weight grids to the converter.
   Rules and reasons: doc/training.md, "Quantization-aware training".

     q8t_qat_prepare        conv / depthwise / fully connected + batch norm -> folded nodes;
                            fake quantization on every weight and on exactly the activations
                            the exported graph has
     (q8t_qat_calibrate)    optional: activation ranges from N images instead of the first batch
     train as usual         ranges learn, quantization starts after the delay, batch norms and
                            ranges freeze at their steps (steps count training forwards)
     q8t_qat_ranges         learned ranges and weight grids into the converter's table
     q8t_export_file        (convert.h) with q8t_qat_export_options */
#ifndef Q8_TRAIN_QAT_H
#define Q8_TRAIN_QAT_H

#include <stdbool.h>
#include <stdint.h>

#include "train/convert.h"
#include "train/graph.h"
#include "train/trainer.h"

/* Steps count training forwards since q8t_qat_prepare (or q8t_qat_set_step). -1 means never;
   otherwise 0 .. Q8T_QAT_MAX_STEPS - 1. */
#define Q8T_QAT_NEVER (-1)
#define Q8T_QAT_MAX_STEPS 16777216 /* 2^24: the clocks are float state tensors */

/* Where a folded batch norm takes its batch statistics from before its freeze step. */
typedef enum q8t_bn_statistics {
  /* TensorFlow's quantize rewriter (the default): from the unfolded float layer's output
     z = layer(x, w), a second run of the layer, forward and backward. */
  Q8T_BN_STATISTICS_UNFOLDED = 0,
  /* PyTorch's ConvBn2d (torch.nn.intrinsic.qat, 1.13): from the folded, fake-quantized layer's
     output rescaled, z' = layer(x, w_q) / (gamma / sigma_mv) + b, so the layer runs once;
     gradients flow through the statistics into it. */
  Q8T_BN_STATISTICS_FOLDED = 1
} q8t_bn_statistics;

/* "unfolded", "folded"; "unknown" otherwise. */
const char *q8t_bn_statistics_name(q8t_bn_statistics statistics);

typedef struct q8t_qat_options {
  q8t_scheme scheme;         /* int8 (TFLite) or uint8 (the paper): the weights' grids */
  int weight_bits;           /* 2..8; 0 means 8 */
  int activation_bits;       /* 2..8; 0 means 8 */
  float ema_decay;           /* [0, 1]: activation ranges' moving average (0.999 by default) */
  int64_t quant_delay;       /* fake quantization starts at this step (-1: never: a float model
                                with ranges learned and batch norm folded) */
  int64_t bn_freeze_step;    /* folded batch norms use their moving statistics from this step */
  int64_t range_freeze_step; /* activation ranges stop moving at this step */
  /* false (default): the fake quantization of a weighted layer's output computes the exported
     operator's integer requantization (int32 bias, TFLite's double rounding) wherever the
     layer is in its exported form: after its batch norm's freeze, and in inference
     (train/qat-requant.h); true: it rounds the float output to the nearest step, as TensorFlow
     does. */
  bool float_rounding;
  /* Q8T_BN_STATISTICS_UNFOLDED (default) or Q8T_BN_STATISTICS_FOLDED; nothing changes from the
     batch-norm freeze on, nor in inference (op-conv-bn-folded.c). */
  q8t_bn_statistics bn_statistics;
} q8t_qat_options;

/* int8, 8 and 8 bits, decay 0.999, no delay, batch norm and ranges never frozen, batch
   statistics from the unfolded layer. */
q8t_qat_options q8t_qat_defaults(void);

/* Rewrites graph in place (its parameters, statistics and values are kept):
   - every batch norm that the export folds (q8t_export_plan_init: a convolution, depthwise
     convolution or fully connected layer whose output only it reads) becomes a
     conv_bn_folded node in the batch norm's place, with a fold_weights node and a fake-quant
     node on the folded weights before it; the layer's own node stays, for the statistics (with
     Q8T_BN_STATISTICS_FOLDED it never runs: its output tensor holds z' in training);
   - every other weighted layer reads its weights through a fake-quant node;
   - every exported activation with a range of its own (after a layer with its folded batch
     norm and fused activation, after an ADD with its activation) gets a fake-quant node
     learning an EMA range, and every pool or MEAN output one tied to its input's range; the
     readers of each such tensor (and the graph's logits) move to the fake-quant output. The
     image input is not quantized here: the export fixes it at [0, 1] in 8 bits.
   New nodes are named after the tensor they quantize: "conv1/bn/fq", "conv1/folded_weights",
   "conv1/folded_weights/fq", "fc/weights/fq"; their state "<node>/range", "<node>/step".
   The graph is allocated again when it was allocated. Refused: a graph the converter could not
   export (its message), one already prepared, options out of range. */
q8_status q8t_qat_prepare(q8t_graph *graph, const q8t_qat_options *options, q8_error *error);

/* Whether graph holds quantization-aware training nodes. */
bool q8t_qat_prepared(const q8t_graph *graph);

/* Sets every clock of the graph to step (resuming from a checkpoint of the float phase, tests). */
q8_status q8t_qat_set_step(q8t_graph *graph, int64_t step, q8_error *error);

/* The step the clocks show (the training forwards done), -1 when the graph has none. */
int64_t q8t_qat_step_count(const q8t_graph *graph);

/* Starts the activation ranges from a calibration pass: inference-mode forwards over images
   [0, count) of data, each fake-quant node's range set to the union of its input's batch
   ranges (widened to contain 0), as post-training quantization calibrates. Ranges are cleared
   first, so earlier ranges do not quantize the pass. Leaves the graph's batch at the last
   batch's size. */
q8_status q8t_qat_calibrate(q8t_graph *graph, const q8t_images *data, int64_t count,
                            q8_error *error);

/* Fills ranges (q8t_ranges_init for graph) with every learned activation range, keyed by the
   fake-quant output the export names its activation after, and the weight grids of every
   weighted layer as fake quantization computes them now from the current (folded) weights.
   Refused (Q8_ERROR_STATE, naming the tensor) when an exported activation has no range yet. */
q8_status q8t_qat_ranges(const q8t_graph *graph, q8t_ranges *ranges, q8_error *error);

/* The export options matching the graph's fake quantization: scheme and bit widths (int8 at
   8 bits for a graph without fake quantization). */
q8t_export_options q8t_qat_export_options(const q8t_graph *graph);

#endif
