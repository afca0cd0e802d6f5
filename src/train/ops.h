/* The interface between the graph's passes and the layer implementations (op-*.c): one
   table entry per node kind, plus helpers the layers share. Adding a layer: doc/training.md.

   On x86-64 the op-*.c files are compiled twice: for the baseline (table q8t_op_table, ISA
   "scalar": plain C that the compiler vectorizes for SSE2 or NEON) and with AVX2 and FMA
   (-march=x86-64-v3, Q8T_COMPILING_AVX2 defined, table q8t_op_table_avx2). Q8T_ISA_NAME
   gives each compilation's exports their own names; the helpers below are static inline so
   that each compilation has its own copy. A graph picks its table once, at init
   (q8t_op_table_for). */
#ifndef Q8_TRAIN_OPS_H
#define Q8_TRAIN_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "train/graph.h"

typedef struct q8t_op_impl {
  const char *name;
  /* Computes node->output from the inputs; in training mode it may update state tensors
     and keep values for backward in SAVED tensors. Cannot fail: the builder checked shapes. */
  void (*forward)(q8t_graph *g, q8t_node *node);
  /* Reads the output's gradient (it may overwrite it: no other node reads it afterwards)
     and writes or, where node->accumulate[i], adds the gradient of every input that has a
     grad buffer. Parameter gradients are the batch's full gradient (the loss is a mean). */
  void (*backward)(q8t_graph *g, q8t_node *node);
  /* Scratch floats per thread at the current batch capacity; NULL: none. */
  size_t (*scratch_floats)(const q8t_graph *g, const q8t_node *node);
} q8t_op_impl;

/* Whether node reads input slot in a forward in this mode (every node reads every input but
   the folded batch norm, which reads its unfolded layer's output only for batch statistics,
   and never when it takes them from the folded layer: Q8T_BN_STATISTICS_FOLDED).
   graph.c skips a node whose output no running node reads, in that forward and the backward
   after it. */
bool q8t_node_reads_input(const q8t_graph *g, const q8t_node *node, int slot, bool training);

#if defined(Q8T_COMPILING_AVX2)
#define Q8T_ISA_NAME(name) name##_avx2
#else
#define Q8T_ISA_NAME(name) name
#endif

#define Q8T_DECLARE_IMPLS(suffix)                                                                 \
  extern const q8t_op_impl q8t_conv_impl##suffix, q8t_depthwise_conv_impl##suffix,                \
      q8t_fully_connected_impl##suffix, q8t_batch_norm_impl##suffix, q8t_activation_impl##suffix, \
      q8t_add_impl##suffix, q8t_global_avg_pool_impl##suffix, q8t_max_pool_impl##suffix,          \
      q8t_avg_pool_impl##suffix, q8t_softmax_cross_entropy_impl##suffix,                        \
      q8t_fake_quant_impl##suffix, q8t_fold_weights_impl##suffix,                                 \
      q8t_conv_bn_folded_impl##suffix;                                                            \
  void q8t_batch_norm_statistics##suffix(q8t_graph *g, q8t_node *node)
Q8T_DECLARE_IMPLS();
Q8T_DECLARE_IMPLS(_avx2);
/* q8t_batch_norm_statistics (op-batch-norm.c): for a node with batch norm's input and state
   slots, the batch's mean and 1/sqrt(var + eps) of input X into its saved slots and the moving
   averages updated, exactly as a training batch norm does (the folded batch norm uses it). */

/* Indexed by q8t_op: the baseline table, and the AVX2 one (NULL entries where the build has
   no AVX2 variant). */
extern const q8t_op_impl *const q8t_op_table[Q8T_OP_COUNT];

/* The table for isa (Q8T_ISA_AUTO: AVX2 when the build has it and the CPU runs it). Fails,
   naming the ISA, when the build or the CPU lacks it. */
q8_status q8t_op_table_for(q8t_isa isa, const q8t_op_impl *const **table, q8t_isa *resolved,
                           q8_error *error);

static inline q8t_tensor *q8t_input_tensor(q8t_graph *g, const q8t_node *node, int slot) {
  return node->inputs[slot] < 0 ? NULL : &g->tensors[node->inputs[slot]];
}
static inline q8t_tensor *q8t_output_tensor(q8t_graph *g, const q8t_node *node) {
  return &g->tensors[node->output];
}
static inline q8t_tensor *q8t_state_tensor(q8t_graph *g, const q8t_node *node, int slot) {
  return &g->tensors[node->state[slot]];
}

/* Shapes and window of a convolution-like node: input [batch, h, w, c], output
   [batch, oh, ow, o]. */
typedef struct q8t_window_geom {
  int32_t batch, h, w, c;
  int32_t oh, ow, o;
  int32_t kh, kw, sh, sw, pad_top, pad_left;
  int32_t multiplier; /* depthwise convolution */
} q8t_window_geom;

static inline q8t_window_geom q8t_window_geometry(const q8t_graph *g, const q8t_node *node) {
  const int32_t *x = g->tensors[node->inputs[Q8T_IN_X]].dims;
  const int32_t *y = g->tensors[node->output].dims;
  const q8t_attrs *a = &node->attrs;
  return (q8t_window_geom){x[0], x[1], x[2], x[3], y[1], y[2], y[3], a->kernel_h, a->kernel_w,
                           a->stride_h, a->stride_w, a->pad_top, a->pad_left,
                           a->depth_multiplier};
}

/* The fused activation and its derivative, taken at the activation's output y (ReLU passes
   where y > 0, ReLU6 where 0 < y < 6, as PyTorch's relu and hardtanh do). */
static inline float q8t_activate(q8_activation act, float v) {
  if (act == Q8_ACT_RELU) return v > 0.0f ? v : 0.0f;
  if (act == Q8_ACT_RELU6) return v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
  return v;
}
static inline float q8t_activation_grad(q8_activation act, float y, float dy) {
  if (act == Q8_ACT_RELU) return y > 0.0f ? dy : 0.0f;
  if (act == Q8_ACT_RELU6) return y > 0.0f && y < 6.0f ? dy : 0.0f;
  return dy;
}

/* Applies act to p[0..n) in place. */
static inline void q8t_activate_span(q8_activation act, float *p, size_t n) {
  if (act == Q8_ACT_RELU) {
    for (size_t i = 0; i < n; i++) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
  } else if (act == Q8_ACT_RELU6) {
    for (size_t i = 0; i < n; i++) p[i] = p[i] > 0.0f ? (p[i] < 6.0f ? p[i] : 6.0f) : 0.0f;
  }
}

/* Replaces dy[i] by the gradient before the activation, given its outputs y. */
static inline void q8t_activation_grad_span(q8_activation act, const float *y, float *dy,
                                            size_t n) {
  if (act == Q8_ACT_RELU) {
    for (size_t i = 0; i < n; i++) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
  } else if (act == Q8_ACT_RELU6) {
    for (size_t i = 0; i < n; i++) dy[i] = y[i] > 0.0f && y[i] < 6.0f ? dy[i] : 0.0f;
  }
}

/* Copies row (width floats) into each of rows rows of out; row NULL: zeros. */
static inline void q8t_broadcast_rows(float *out, size_t rows, size_t width, const float *row) {
  for (size_t i = 0; i < rows; i++) {
    if (row != NULL) {
      memcpy(out + i * width, row, width * sizeof *out);
    } else {
      memset(out + i * width, 0, width * sizeof *out);
    }
  }
}

/* Writes (accumulate false) or adds (true) src to dst. */
static inline void q8t_store_grad(float *dst, const float *src, size_t n, bool accumulate) {
  if (accumulate) {
    for (size_t i = 0; i < n; i++) dst[i] += src[i];
  } else {
    memcpy(dst, src, n * sizeof *dst);
  }
}

/* Per-thread floats a layer needs for q8t_sgemm's workspace with the graph's backend. */
size_t q8t_gemm_workspace_floats(const q8t_graph *g);

/* Runs fn on every thread of the graph's pool. */
static inline void q8t_parallel(q8t_graph *g, q8t_task_fn fn, void *ctx) {
  q8t_threads_run(g->threads, fn, ctx);
}

/* After each thread t left a partial sum of count floats at scratch[t] + offset (zeros when
   it had no work), sets grad = (accumulate ? grad : 0) + partial_0 + partial_1 + ..., in
   thread order (so the bits depend on the thread count only), split across the threads. */
void q8t_reduce_partials(q8t_graph *g, float *grad, size_t count, size_t offset, bool accumulate);

/* Floats rounded up to a multiple of 16 (64 bytes), so that scratch areas stay aligned. */
static inline size_t q8t_align_floats(size_t n) { return (n + 15) & ~(size_t)15; }

#endif
