/* Softmax cross-entropy, forward and backward: loss = mean over the batch of
   log(sum exp(z)) - z[label] (computed with the row maximum subtracted), probabilities kept
   for backward, d loss / d z = (softmax(z) - onehot(label)) / batch. */
#include <math.h>
#include <string.h>

#include "train/ops.h"

typedef struct ce_ctx {
  q8t_graph *g;
  const q8t_node *node;
  int32_t batch, classes;
} ce_ctx;

static ce_ctx context(q8t_graph *g, const q8t_node *node) {
  const q8t_tensor *z = q8t_input_tensor(g, node, Q8T_CE_LOGITS);
  return (ce_ctx){g, node, z->dims[0], z->dims[1]};
}

/* One double per thread: its rows' summed loss. */
static size_t ce_scratch(const q8t_graph *g, const q8t_node *node) {
  (void)g;
  (void)node;
  return 16;
}

static void ce_forward_task(void *arg, int32_t t, int32_t nt) {
  const ce_ctx *c = arg;
  const float *z = q8t_input_tensor(c->g, c->node, Q8T_CE_LOGITS)->data;
  const int32_t *labels = q8t_input_tensor(c->g, c->node, Q8T_CE_LABELS)->i32;
  float *probs = q8t_state_tensor(c->g, c->node, Q8T_CE_PROBABILITIES)->data;
  double loss = 0.0;
  int64_t n0, n1;
  q8t_split(c->batch, t, nt, &n0, &n1);
  for (int64_t n = n0; n < n1; n++) {
    const float *row = z + (size_t)n * c->classes;
    float *p = probs + (size_t)n * c->classes;
    float max = row[0];
    for (int32_t k = 1; k < c->classes; k++) max = row[k] > max ? row[k] : max;
    double sum = 0.0;
    for (int32_t k = 0; k < c->classes; k++) {
      p[k] = expf(row[k] - max);
      sum += p[k];
    }
    for (int32_t k = 0; k < c->classes; k++) p[k] = (float)(p[k] / sum);
    loss += log(sum) + (double)max - (double)row[labels[n]];
  }
  *(double *)c->g->scratch[t] = loss;
}

static void ce_forward(q8t_graph *g, q8t_node *node) {
  ce_ctx c = context(g, node);
  q8t_parallel(g, ce_forward_task, &c);
  double loss = 0.0;
  for (int32_t t = 0; t < q8t_threads_count(g->threads); t++) loss += *(double *)g->scratch[t];
  q8t_output_tensor(g, node)->data[0] = (float)(loss / c.batch);
}

static void ce_backward_task(void *arg, int32_t t, int32_t nt) {
  const ce_ctx *c = arg;
  const q8t_tensor *zt = q8t_input_tensor(c->g, c->node, Q8T_CE_LOGITS);
  const int32_t *labels = q8t_input_tensor(c->g, c->node, Q8T_CE_LABELS)->i32;
  const float *probs = q8t_state_tensor(c->g, c->node, Q8T_CE_PROBABILITIES)->data;
  const float scale = q8t_output_tensor(c->g, c->node)->grad[0] / (float)c->batch;
  const bool accumulate = c->node->accumulate[Q8T_CE_LOGITS];
  int64_t n0, n1;
  q8t_split(c->batch, t, nt, &n0, &n1);
  for (int64_t n = n0; n < n1; n++) {
    const float *p = probs + (size_t)n * c->classes;
    float *dz = zt->grad + (size_t)n * c->classes;
    for (int32_t k = 0; k < c->classes; k++) {
      const float v = (p[k] - (k == labels[n] ? 1.0f : 0.0f)) * scale;
      dz[k] = accumulate ? dz[k] + v : v;
    }
  }
}

static void ce_backward(q8t_graph *g, q8t_node *node) {
  ce_ctx c = context(g, node);
  if (q8t_input_tensor(g, node, Q8T_CE_LOGITS)->grad != NULL) {
    q8t_parallel(g, ce_backward_task, &c);
  }
}

const q8t_op_impl Q8T_ISA_NAME(q8t_softmax_cross_entropy_impl) = {
    "softmax_cross_entropy", ce_forward, ce_backward, ce_scratch};
