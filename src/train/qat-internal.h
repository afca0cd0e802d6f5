/* What the quantization-aware training layers share (op-fake-quant.c, op-conv-bn-folded.c):
   the schedule's clock and the record of an error found during a pass. Static inline: the
   layers are compiled once per ISA (ops.h). */
#ifndef Q8_TRAIN_QAT_INTERNAL_H
#define Q8_TRAIN_QAT_INTERNAL_H

#include <stdint.h>

#include "core/error.h"
#include "train/graph.h"
#include "train/qat.h"

/* The clock is a float state tensor [1] counting training forwards: exact up to
   Q8T_QAT_MAX_STEPS (2^24), where it stops (q8t_qat_prepare refuses schedules that far). */

/* Training forwards done before the current one (in a forward), or before the last one
   (in a backward after a training forward): the step the schedule decides on. */
static inline int64_t q8t_qat_step(const q8t_graph *g, const q8t_node *node, int slot,
                                   bool in_backward) {
  const int64_t done = (int64_t)g->tensors[node->state[slot]].data[0];
  return in_backward && g->training && done > 0 && done < Q8T_QAT_MAX_STEPS ? done - 1 : done;
}

/* Whether a folded batch norm normalises with batch statistics in a pass in this mode (in a
   backward: the last forward's): training, before its freeze step. */
static inline bool q8t_qat_batch_statistics(const q8t_graph *g, const q8t_node *node, bool training,
                                            bool in_backward) {
  return training &&
         q8t_qat_step(g, node, Q8T_FOLDED_STEP, in_backward) < node->attrs.qat.freeze_step;
}

/* The fake-quant node that produces tensor (weights read through fake quantization, a
   quantized activation), or NULL. */
static inline const q8t_node *q8t_qat_fake_quant_of(const q8t_graph *g, int32_t tensor) {
  const int32_t p = g->tensors[tensor].producer;
  return p >= 0 && g->nodes[p].op == Q8T_OP_FAKE_QUANT ? &g->nodes[p] : NULL;
}

/* Counts a training forward. */
static inline void q8t_qat_advance(q8t_graph *g, const q8t_node *node, int slot) {
  float *done = g->tensors[node->state[slot]].data;
  if (g->training && done[0] < (float)Q8T_QAT_MAX_STEPS) done[0] += 1.0f;
}

/* A pass cannot return an error (ops.h): the first one found (a NaN or infinite value that
   would poison a range) becomes the graph's, so the next forward or backward fails with it. */
static inline void q8t_qat_record_error(q8t_graph *g, const q8t_node *node, q8_status status,
                                        const q8_error *error) {
  if (g->status != Q8_OK) return;
  g->status = status;
  g->error = *error;
  q8_error_prefix(&g->error, "%s", node->name);
}

#endif
