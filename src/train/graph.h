/* The training engine's graph: tensors it owns (values, gradients, optimizer state) and nodes
   recorded once by the builders (build.h); forward, backward and the optimizer are passes
   over it. Float only: the integer-only build leaves src/train out.

   Life of a graph:
     q8t_graph_init            options: batch capacity, threads, matrix-product backend
     q8t_input, q8t_conv, ...  record nodes; shapes are inferred (and checked) at once
     q8t_graph_allocate        buffers for every tensor, gradient routing, per-thread scratch
     q8t_graph_init_parameters He initialisation from a seed
     loop: fill the input and labels tensors, q8t_graph_forward(training),
           q8t_graph_backward, q8t_sgd_step (optimizer.h)
   Building may continue after q8t_graph_allocate (a graph transformation adds nodes); allocate
   again before the next pass: tensors that have buffers keep them and their values.

   Extension points (what the rest of quantization-aware training adds):
   - A fake-quantization node: a new q8t_op kind whose state tensors hold its range
     (Q8T_ROLE_STATE: min/max or their moving averages, saved with the checkpoint) and whose
     attributes say bits, narrow range, per-channel axis and the EMA decay; its forward uses
     src/quant's range code, its backward is the straight-through estimator. It sits on an
     activation (after the node that produces the tensor TFLite will have) or on a weight
     tensor (a weight is an ordinary tensor id, so a node can read a fake-quantized copy).
   - A conv + batch-norm "folded" node (TensorFlow's quantize rewriter, Krishnamoorthi 2018
     section 3.2): a new kind whose inputs are x, the conv weights and the BN's gamma and beta,
     whose state is the BN's moving statistics, and whose attributes add the freeze step. The
     rewrite finds "conv -> batch norm" pairs by node kind and tensor ids and rewires the
     consumers of the BN output; the parameters keep their names, so the converter finds
     "conv1/weights" and "conv1/bn/gamma" either way.
   - Each node records what TFLite needs (stride, padding and its leading pads, kernel,
     depth multiplier, fused activation), and every parameter and state tensor has a name
     "<node>/<what>", so the converter walks nodes and looks tensors up by name. */
#ifndef Q8_TRAIN_GRAPH_H
#define Q8_TRAIN_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"
#include "q8/q8.h"
#include "train/gemm.h"
#include "train/threads.h"

#define Q8T_NAME_MAX 64
#define Q8T_MAX_RANK 4
#define Q8T_MAX_INPUTS 6
#define Q8T_MAX_STATE 6

/* What a tensor is for; it decides which buffers it gets and what a checkpoint keeps. */
typedef enum q8t_role {
  Q8T_ROLE_INPUT,      /* filled by the caller before each forward (images, labels) */
  Q8T_ROLE_ACTIVATION, /* written by its producing node on every forward */
  Q8T_ROLE_PARAMETER,  /* trained: value, gradient and momentum */
  Q8T_ROLE_STATE,      /* updated by forward in training, not by gradients (BN moving statistics) */
  Q8T_ROLE_SAVED       /* per-batch values a node keeps from forward for its backward */
} q8t_role;

/* How q8t_graph_init_parameters fills a parameter or state tensor. */
typedef enum q8t_init {
  Q8T_INIT_ZERO,
  Q8T_INIT_ONE,
  /* uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)]: PyTorch's default for convolution and linear
     weights (kaiming_uniform with a = sqrt(5)). Against He-normal weights (standard deviation
     sqrt(2 / fan_in), 2.45 times larger) it gave fm-mobilenet 91.7% instead of 90.9% with the
     reference recipe, and fm-cnn 91.2% instead of 91.0% (doc/training.md). */
  Q8T_INIT_FAN_IN_UNIFORM
} q8t_init;

typedef struct q8t_tensor {
  char name[Q8T_NAME_MAX]; /* unique in the graph: "conv1", "conv1/weights", "conv1/bn/gamma" */
  q8t_role role;
  q8_type type; /* Q8_TYPE_FLOAT32, or Q8_TYPE_INT32 (labels) */
  /* Shape. Activations are NHWC ([N, H, W, C]) or [N, C]; conv weights [O, KH, KW, I],
     depthwise weights [1, KH, KW, C * multiplier], fully connected weights [O, I] (TFLite's
     layouts); per-channel vectors [C]. */
  int32_t rank;
  int32_t dims[Q8T_MAX_RANK];
  bool batched; /* dims[0] is the batch: it follows q8t_graph_set_batch */
  q8t_init init;
  int32_t fan_in;   /* for Q8T_INIT_FAN_IN_UNIFORM */
  bool decay;       /* weight decay applies (conv and fully connected weights) */
  bool grad_wanted; /* an input whose gradient the caller wants (gradient checks,
                       saliency); set before q8t_graph_allocate */
  int32_t producer; /* node writing it, -1 for inputs, parameters and state */
  /* Buffers (64-byte aligned), sized for the batch capacity; NULL before allocation. */
  float *data;     /* float32 values */
  int32_t *i32;    /* int32 values (Q8_TYPE_INT32 only; data is NULL then) */
  float *grad;     /* d loss / d value; NULL where no gradient flows */
  float *momentum; /* SGD velocity, parameters only */
} q8t_tensor;

typedef enum q8t_op {
  /* inputs: x [N,H,W,I], weights [O,KH,KW,I], bias [O] or -1. out [N,OH,OW,O]. */
  Q8T_OP_CONV,
  /* inputs: x [N,H,W,C], weights [1,KH,KW,C*M], bias [C*M] or -1. out [N,OH,OW,C*M]. */
  Q8T_OP_DEPTHWISE_CONV,
  /* inputs: x [N,...] (flattened per image), weights [O,I], bias [O] or -1. out [N,O]. */
  Q8T_OP_FULLY_CONNECTED,
  /* inputs: x [N,...,C], gamma [C], beta [C]. state: moving mean, moving variance (STATE),
     batch mean, batch 1/sqrt(var + eps) (SAVED). Statistics over every axis but the last. */
  Q8T_OP_BATCH_NORM,
  /* inputs: x. out = activation(x) (attrs.activation: RELU or RELU6). */
  Q8T_OP_ACTIVATION,
  /* inputs: a, b (same shape). out = activation(a + b). */
  Q8T_OP_ADD,
  /* inputs: x [N,H,W,C]. out [N,C], the mean over H and W (TFLite MEAN over axes 1, 2). */
  Q8T_OP_GLOBAL_AVG_POOL,
  /* inputs: x [N,H,W,C]. out [N,OH,OW,C]; padding is never a candidate (TFLite). */
  Q8T_OP_MAX_POOL,
  /* inputs: x [N,H,W,C]. out [N,OH,OW,C]; the mean of the in-bounds window only (TFLite). */
  Q8T_OP_AVG_POOL,
  /* inputs: logits [N,K], labels int32 [N] in [0, K). state: probabilities [N,K] (SAVED).
     out [1]: mean over the batch of -log softmax(logits)[label]. */
  Q8T_OP_SOFTMAX_CROSS_ENTROPY,
  /* Quantization-aware training (train/qat.h; rules in doc/training.md):
     inputs: x. out: x fake-quantized (same shape). attrs.qat says the grid: an activation's
     EMA range (state Q8T_FQ_RANGE [3]: min, max, initialized) or another node's range (tied:
     pools), or weights' grids from their current values (no range); state Q8T_FQ_STEP [1]
     counts training forwards (the schedule's clock). */
  Q8T_OP_FAKE_QUANT,
  /* inputs: weights of attrs.qat.layer_op, gamma [O], moving variance [O] (a batch norm's
     state, read only). out: weights * gamma / sqrt(moving_variance + bn_epsilon) per output
     channel, as the export folds them (q8t_fold_batch_norm). */
  Q8T_OP_FOLD_WEIGHTS,
  /* A batch norm folded into the layer before it (TensorFlow's quantize rewriter): batch
     norm's input and state slots (x = the unfolded layer's output, for batch statistics),
     plus Q8T_FOLDED_LAYER_X (the layer's input), Q8T_FOLDED_WEIGHTS (folded, fake-quantized
     weights) and Q8T_FOLDED_BIAS (the layer's bias or -1); state adds Q8T_FOLDED_CORRECTION
     (SAVED) and Q8T_FOLDED_STEP. out: as the batch norm's. With attrs.qat.bn_statistics
     Q8T_BN_STATISTICS_FOLDED it does not read x but writes it (the rescaled folded output). */
  Q8T_OP_CONV_BN_FOLDED,
  Q8T_OP_COUNT
} q8t_op;

/* Input slots, by op, so that code says which input it means. */
enum { Q8T_IN_X = 0, Q8T_IN_WEIGHTS = 1, Q8T_IN_BIAS = 2 };
enum { Q8T_BN_GAMMA = 1, Q8T_BN_BETA = 2 };
enum {
  Q8T_BN_MOVING_MEAN = 0,
  Q8T_BN_MOVING_VAR = 1,
  Q8T_BN_BATCH_MEAN = 2,
  Q8T_BN_BATCH_INV_STD = 3
};
enum { Q8T_ADD_A = 0, Q8T_ADD_B = 1 };
enum { Q8T_CE_LOGITS = 0, Q8T_CE_LABELS = 1 };
enum { Q8T_CE_PROBABILITIES = 0 };
enum { Q8T_FQ_STEP = 0, Q8T_FQ_RANGE = 1 };
enum { Q8T_FOLD_GAMMA = 1, Q8T_FOLD_MOVING_VAR = 2 };
enum { Q8T_FOLDED_LAYER_X = 3, Q8T_FOLDED_WEIGHTS = 4, Q8T_FOLDED_BIAS = 5 };
enum { Q8T_FOLDED_CORRECTION = 4, Q8T_FOLDED_STEP = 5 };

/* What a fake-quantization node's grid comes from. */
typedef enum q8t_fq_kind {
  Q8T_FQ_ACTIVATION, /* asymmetric, over the moving average of batch min/max (its own state) */
  Q8T_FQ_TIED,       /* the grid of another fake-quant node's range (pools and MEAN, whose
                        exported output keeps the input's parameters) */
  Q8T_FQ_WEIGHTS     /* q8t_weight_grids of the current values, every step */
} q8t_fq_kind;

/* Fake quantization and its schedule (train/qat.h). Steps count training forwards. */
typedef struct q8t_qat_attrs {
  q8t_fq_kind fq_kind;
  int32_t bits;        /* 2..8 */
  int32_t layer_op;    /* q8t_op of the layer the weights feed (grid family, channel axis) */
  int32_t scheme;      /* weights: q8t_scheme (train/convert.h) */
  float ema_decay;     /* activation ranges: min -= (1 - decay) * (min - batch_min) */
  int64_t quant_delay; /* fake quant is the identity before this step (ranges still learn) */
  int64_t freeze_step; /* from this step: activation ranges stop moving; a folded batch norm
                          uses (and no longer updates) its moving statistics */
  int32_t mean_count;  /* tied, after a global average pool exported as MEAN: the values
                          averaged, whose integer mean truncates (0: round to nearest) */
  bool float_rounding; /* activation after a weighted layer: round in float only, instead of
                          the exported requantization (train/qat-requant.h) */
  int32_t bn_statistics; /* folded batch norm: q8t_bn_statistics (train/qat.h) */
} q8t_qat_attrs;

/* A node's attributes: everything TFLite's operator options need, and the layer's settings. */
typedef struct q8t_attrs {
  int32_t kernel_h, kernel_w; /* conv, depthwise conv, pools */
  int32_t stride_h, stride_w;
  q8_padding padding;
  int32_t pad_top, pad_left; /* leading padding, as q8_conv_out_size computes it */
  int32_t depth_multiplier;  /* depthwise conv */
  q8_activation activation;  /* fused into the output: NONE, RELU or RELU6 */
  /* A convolution a folded batch norm runs before its freeze (op-conv-bn-folded.c): its
     fake-quantized weights may take Winograd (q8t_conv_uses_winograd), since no integer
     requantization reads its output then. */
  bool winograd_quantized;
  float bn_momentum;         /* moving = (1 - momentum) * moving + momentum * batch */
  float bn_epsilon;
  q8t_qat_attrs qat; /* fake quantization, weight folding, folded batch norm */
} q8t_attrs;

typedef struct q8t_node {
  q8t_op op;
  char name[Q8T_NAME_MAX];
  int32_t n_inputs;
  int32_t inputs[Q8T_MAX_INPUTS]; /* tensor indices; -1 for an absent optional input */
  int32_t output;
  int32_t n_state;
  int32_t state[Q8T_MAX_STATE]; /* tensors of the node's own besides its parameters */
  q8t_attrs attrs;
  /* Set by q8t_graph_allocate. Backward overwrites an input's gradient when it is the first
     node (in backward order) to reach that tensor, and adds to it otherwise: a tensor read by
     several nodes (a residual connection) collects every contribution, and no gradient
     buffer needs clearing before the pass. */
  bool accumulate[Q8T_MAX_INPUTS];
  size_t scratch_floats; /* per thread */
} q8t_node;

/* Which compilation of the layers runs (DESIGN.md's ISA tokens). */
typedef enum q8t_isa {
  Q8T_ISA_AUTO,   /* the best this build and CPU have */
  Q8T_ISA_SCALAR, /* the baseline compilation (vectorized by the compiler for SSE2 or NEON) */
  Q8T_ISA_AVX2    /* x86-64 with AVX2 and FMA (-march=x86-64-v3) */
} q8t_isa;

/* "auto", "scalar", "avx2". */
const char *q8t_isa_name(q8t_isa isa);

struct q8t_op_impl;

typedef struct q8t_graph_options {
  int32_t batch;         /* batch capacity, >= 1 */
  int32_t threads;       /* >= 1: this graph's own thread pool */
  q8t_gemm_backend gemm; /* Q8T_GEMM_AUTO: OpenBLAS when the build has it */
  q8t_isa isa;           /* Q8T_ISA_AUTO; forcing one the CPU lacks fails at init */
  /* true: every convolution through its direct product. false (default): the 3x3, stride-1
     convolutions with trained float weights take Winograd's F(2x2, 3x3) (winograd.h) for
     their forward and input gradient, where the AVX2 layers run the tiles (op-conv.c). */
  bool direct_conv;
} q8t_graph_options;

typedef struct q8t_graph {
  q8t_graph_options options;
  int32_t n_tensors, cap_tensors;
  q8t_tensor *tensors;
  int32_t n_nodes, cap_nodes;
  q8t_node *nodes;  /* in execution order (each reads only earlier outputs) */
  int32_t batch;    /* current batch, <= options.batch */
  bool training;    /* mode of the last forward */
  bool allocated;   /* every tensor has its buffers */
  bool forward_ran; /* a forward ran since the last allocation or batch change */
  q8t_isa isa;      /* resolved: never AUTO */
  const struct q8t_op_impl *const *ops; /* the layers' table for isa, indexed by q8t_op */
  q8t_threads *threads;
  float **scratch; /* per thread, scratch_floats each */
  size_t scratch_floats;
  bool *running;   /* per node: runs in the current forward and backward (ops.h reads_input) */
  /* Tensors the builders remember, -1 when absent. */
  int32_t input, labels, logits, loss;
  /* The first error of a builder: later builder calls return -1 and the status stays. */
  q8_status status;
  q8_error error;
} q8t_graph;

/* Creates an empty graph with its thread pool. */
q8_status q8t_graph_init(const q8t_graph_options *options, q8t_graph **graph, q8_error *error);

/* Releases the graph, its buffers and its threads. NULL is allowed. */
void q8t_graph_free(q8t_graph *graph);

/* Allocates buffers for tensors that have none (gradients where a parameter depends on the
   value), decides gradient accumulation and sizes the per-thread scratch. Returns the
   builders' first error, if any. */
q8_status q8t_graph_allocate(q8t_graph *graph);

/* Fills every parameter and state tensor as its init says; random weights come from a
   stream seeded with seed (the same seed gives the same bits). Momentum is cleared. */
q8_status q8t_graph_init_parameters(q8t_graph *graph, uint64_t seed);

/* Sets the number of images of the next passes: 1 .. batch capacity. */
q8_status q8t_graph_set_batch(q8t_graph *graph, int32_t batch);

/* Runs every node. training: batch norm uses and updates batch statistics; otherwise it
   uses its moving statistics. Inputs (and labels, when there is a loss) must be filled. */
q8_status q8t_graph_forward(q8t_graph *graph, bool training);

/* Sets graph->running: the nodes a forward in this mode, now, runs (a node whose output no
   running node reads is skipped: ops.h, q8t_node_reads_input). q8t_graph_forward calls it; a
   caller that runs nodes one by one (a profiler) calls it before. Needs an allocated graph. */
void q8t_graph_mark_running(q8t_graph *graph, bool training);

/* Runs every node's backward, in reverse order, after a forward. With a loss node, the
   loss gradient is seeded with 1; without one the caller fills the gradient of the graph's
   final outputs (tensors no node reads) first. Parameter gradients are overwritten. */
q8_status q8t_graph_backward(q8t_graph *graph);

/* Index of the tensor or node of that name, -1 when there is none. */
int32_t q8t_graph_find_tensor(const q8t_graph *graph, const char *name);
int32_t q8t_graph_find_node(const q8t_graph *graph, const char *name);

/* Elements of a tensor at the current batch. */
size_t q8t_tensor_count(const q8t_tensor *tensor);

/* Elements per image (the product of dims[1..]) of a batched tensor. */
size_t q8t_tensor_per_image(const q8t_tensor *tensor);

/* Bytes of every buffer the graph holds (values, gradients, momentum, scratch). */
size_t q8t_graph_memory_bytes(const q8t_graph *graph);

/* Short lower-case name of a node kind ("conv", "batch_norm"). */
const char *q8t_op_name(q8t_op op);

#endif
