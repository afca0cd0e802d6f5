/* Batch normalisation over the last axis, forward and backward. Training: statistics of
   the batch (sums in double, per-thread partials combined in thread order), moving averages
   updated as PyTorch does (unbiased variance); otherwise the moving statistics. Backward
   follows whichever statistics the last forward used, so a frozen batch norm (evaluation
   statistics while training) has the right gradient too. */
#include <math.h>
#include <string.h>

#include "train/ops.h"

typedef struct bn_ctx {
  q8t_graph *g;
  q8t_node *node;
  int64_t rows; /* elements per channel: every axis but the last */
  int32_t c;
} bn_ctx;

/* Per-thread scratch: two partial sums per channel (doubles); thread 0 also holds the
   per-channel coefficients of the elementwise pass after them. */
enum { COEF_SCALE, COEF_SHIFT, COEF_MEAN, COEF_INV_STD, COEF_DBETA, COEF_DGAMMA, COEF_COUNT };

static size_t coef_offset(int32_t c) { return q8t_align_floats((size_t)c * 4); }

/* Sums run in float over blocks of BLOCK_ROWS rows (vectorized across channels, in L1), each
   block's sums then added in double: a block's rounding error stays that of 32 terms, and
   the double sums keep the long sums over the batch exact enough. */
enum { BLOCK_ROWS = 32 };
static size_t block_offset(int32_t c) {
  return coef_offset(c) + q8t_align_floats((size_t)COEF_COUNT * c);
}
static size_t bn_scratch(const q8t_graph *g, const q8t_node *node) {
  const q8t_tensor *x = &g->tensors[node->inputs[Q8T_IN_X]];
  const int32_t c = x->dims[x->rank - 1];
  return block_offset(c) + 2 * (size_t)c;
}

static double *partials(const bn_ctx *b, int32_t t) { return (double *)b->g->scratch[t]; }
static float *coef(const bn_ctx *b, int which) {
  return b->g->scratch[0] + coef_offset(b->c) + (size_t)which * b->c;
}

static bn_ctx context(q8t_graph *g, q8t_node *node) {
  const q8t_tensor *x = q8t_input_tensor(g, node, Q8T_IN_X);
  const int32_t c = x->dims[x->rank - 1];
  return (bn_ctx){g, node, (int64_t)(q8t_tensor_count(x) / (size_t)c), c};
}

/* This thread's float block sums (two arrays of c floats). */
static float *block_sums(const bn_ctx *b, int32_t t) {
  return b->g->scratch[t] + block_offset(b->c);
}

/* Adds the block sums a[0 .. c), a[c .. 2c) into the doubles and clears them. */
static void flush_blocks(float *a, double *sum, int32_t c) {
  for (int32_t i = 0; i < 2 * c; i++) {
    sum[i] += a[i];
    a[i] = 0.0f;
  }
}

/* Sum and sum of squares of each channel's x - shift over this thread's rows, shift being
   the moving mean: near the batch's mean once training has run a little, so that the
   variance's subtraction (E[v^2] - E[v]^2) loses little. */
static void moments_task(void *arg, int32_t t, int32_t nt) {
  const bn_ctx *b = arg;
  const int32_t c = b->c;
  const float *x = q8t_input_tensor(b->g, b->node, Q8T_IN_X)->data;
  const float *shift = q8t_state_tensor(b->g, b->node, Q8T_BN_MOVING_MEAN)->data;
  double *sum = partials(b, t);
  float *block = block_sums(b, t);
  memset(sum, 0, 2 * (size_t)c * sizeof *sum);
  memset(block, 0, 2 * (size_t)c * sizeof *block);
  int64_t r0, r1;
  q8t_split(b->rows, t, nt, &r0, &r1);
  for (int64_t r = r0; r < r1; r++) {
    const float *row = x + (size_t)r * c;
    float *restrict s = block, *restrict q = block + c;
    for (int32_t i = 0; i < c; i++) {
      const float v = row[i] - shift[i];
      s[i] += v;
      q[i] += v * v;
    }
    if ((r - r0) % BLOCK_ROWS == BLOCK_ROWS - 1) flush_blocks(block, sum, c);
  }
  flush_blocks(block, sum, c);
}

/* Batch statistics into the saved tensors, moving averages updated. */
static void batch_statistics(bn_ctx *b) {
  q8t_parallel(b->g, moments_task, b);
  float *mean = q8t_state_tensor(b->g, b->node, Q8T_BN_BATCH_MEAN)->data;
  float *inv_std = q8t_state_tensor(b->g, b->node, Q8T_BN_BATCH_INV_STD)->data;
  float *moving_mean = q8t_state_tensor(b->g, b->node, Q8T_BN_MOVING_MEAN)->data;
  float *moving_var = q8t_state_tensor(b->g, b->node, Q8T_BN_MOVING_VAR)->data;
  const float momentum = b->node->attrs.bn_momentum, eps = b->node->attrs.bn_epsilon;
  const int32_t nt = q8t_threads_count(b->g->threads);
  const double n = (double)b->rows;
  for (int32_t i = 0; i < b->c; i++) {
    double sum = 0.0, sq = 0.0;
    for (int32_t t = 0; t < nt; t++) {
      sum += partials(b, t)[i];
      sq += partials(b, t)[b->c + i];
    }
    const double shifted = sum / n, m = moving_mean[i] + shifted;
    double var = sq / n - shifted * shifted;
    if (var < 0.0) var = 0.0; /* rounding, when the channel is constant */
    mean[i] = (float)m;
    inv_std[i] = (float)(1.0 / sqrt(var + eps));
    const double unbiased = b->rows > 1 ? var * n / (n - 1.0) : var;
    moving_mean[i] = (float)((1.0 - momentum) * moving_mean[i] + momentum * m);
    moving_var[i] = (float)((1.0 - momentum) * moving_var[i] + momentum * unbiased);
  }
}

/* The moving statistics, as the saved ones, when not training. */
static void moving_statistics(bn_ctx *b) {
  float *mean = q8t_state_tensor(b->g, b->node, Q8T_BN_BATCH_MEAN)->data;
  float *inv_std = q8t_state_tensor(b->g, b->node, Q8T_BN_BATCH_INV_STD)->data;
  const float *moving_mean = q8t_state_tensor(b->g, b->node, Q8T_BN_MOVING_MEAN)->data;
  const float *moving_var = q8t_state_tensor(b->g, b->node, Q8T_BN_MOVING_VAR)->data;
  for (int32_t i = 0; i < b->c; i++) {
    mean[i] = moving_mean[i];
    inv_std[i] = (float)(1.0 / sqrt((double)moving_var[i] + b->node->attrs.bn_epsilon));
  }
}

static void normalize_task(void *arg, int32_t t, int32_t nt) {
  const bn_ctx *b = arg;
  const float *x = q8t_input_tensor(b->g, b->node, Q8T_IN_X)->data;
  float *y = q8t_output_tensor(b->g, b->node)->data;
  const float *scale = coef(b, COEF_SCALE), *shift = coef(b, COEF_SHIFT);
  int64_t r0, r1;
  q8t_split(b->rows, t, nt, &r0, &r1);
  for (int64_t r = r0; r < r1; r++) {
    const float *in = x + (size_t)r * b->c;
    float *out = y + (size_t)r * b->c;
    for (int32_t i = 0; i < b->c; i++) out[i] = in[i] * scale[i] + shift[i];
    q8t_activate_span(b->node->attrs.activation, out, (size_t)b->c);
  }
}

static void bn_forward(q8t_graph *g, q8t_node *node) {
  bn_ctx b = context(g, node);
  if (g->training) {
    batch_statistics(&b);
  } else {
    moving_statistics(&b);
  }
  const float *mean = q8t_state_tensor(g, node, Q8T_BN_BATCH_MEAN)->data;
  const float *inv_std = q8t_state_tensor(g, node, Q8T_BN_BATCH_INV_STD)->data;
  const float *gamma = q8t_input_tensor(g, node, Q8T_BN_GAMMA)->data;
  const float *beta = q8t_input_tensor(g, node, Q8T_BN_BETA)->data;
  float *scale = coef(&b, COEF_SCALE), *shift = coef(&b, COEF_SHIFT);
  for (int32_t i = 0; i < b.c; i++) {
    scale[i] = gamma[i] * inv_std[i];
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  q8t_parallel(g, normalize_task, &b);
}

/* Masks dy by the fused activation, then sums dy and dy * xhat per channel. */
static void grad_sums_task(void *arg, int32_t t, int32_t nt) {
  const bn_ctx *b = arg;
  const int32_t c = b->c;
  const float *x = q8t_input_tensor(b->g, b->node, Q8T_IN_X)->data;
  const q8t_tensor *yt = q8t_output_tensor(b->g, b->node);
  const float *mean = coef(b, COEF_MEAN), *inv_std = coef(b, COEF_INV_STD);
  double *sums = partials(b, t);
  float *block = block_sums(b, t);
  memset(sums, 0, 2 * (size_t)c * sizeof *sums);
  memset(block, 0, 2 * (size_t)c * sizeof *block);
  int64_t r0, r1;
  q8t_split(b->rows, t, nt, &r0, &r1);
  for (int64_t r = r0; r < r1; r++) {
    const size_t at = (size_t)r * c;
    float *dy = yt->grad + at;
    q8t_activation_grad_span(b->node->attrs.activation, yt->data + at, dy, (size_t)c);
    float *restrict s = block, *restrict sx = block + c;
    for (int32_t i = 0; i < c; i++) {
      const float xhat = (x[at + i] - mean[i]) * inv_std[i];
      s[i] += dy[i];
      sx[i] += dy[i] * xhat;
    }
    if ((r - r0) % BLOCK_ROWS == BLOCK_ROWS - 1) flush_blocks(block, sums, c);
  }
  flush_blocks(block, sums, c);
}

/* Training: dx = gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat));
   frozen statistics: dx = gamma * inv_std * dy. */
static void input_grad_task(void *arg, int32_t t, int32_t nt) {
  const bn_ctx *b = arg;
  const q8t_tensor *xt = q8t_input_tensor(b->g, b->node, Q8T_IN_X);
  const float *dyall = q8t_output_tensor(b->g, b->node)->grad;
  const float *scale = coef(b, COEF_SCALE), *mean = coef(b, COEF_MEAN);
  const float *inv_std = coef(b, COEF_INV_STD);
  const float *mdb = coef(b, COEF_DBETA), *mdg = coef(b, COEF_DGAMMA);
  const bool accumulate = b->node->accumulate[Q8T_IN_X];
  int64_t r0, r1;
  q8t_split(b->rows, t, nt, &r0, &r1);
  for (int64_t r = r0; r < r1; r++) {
    const size_t at = (size_t)r * b->c;
    const float *x = xt->data + at, *dy = dyall + at;
    float *dx = xt->grad + at;
    for (int32_t i = 0; i < b->c; i++) {
      const float xhat = (x[i] - mean[i]) * inv_std[i];
      const float v = scale[i] * (dy[i] - mdb[i] - xhat * mdg[i]);
      dx[i] = accumulate ? dx[i] + v : v;
    }
  }
}

static void bn_backward(q8t_graph *g, q8t_node *node) {
  bn_ctx b = context(g, node);
  const q8t_tensor *gamma = q8t_input_tensor(g, node, Q8T_BN_GAMMA);
  const q8t_tensor *beta = q8t_input_tensor(g, node, Q8T_BN_BETA);
  /* Coefficients first: the sums read mean and inv_std from them. */
  memcpy(coef(&b, COEF_MEAN), q8t_state_tensor(g, node, Q8T_BN_BATCH_MEAN)->data,
         (size_t)b.c * sizeof(float));
  memcpy(coef(&b, COEF_INV_STD), q8t_state_tensor(g, node, Q8T_BN_BATCH_INV_STD)->data,
         (size_t)b.c * sizeof(float));
  q8t_parallel(g, grad_sums_task, &b);
  const int32_t nt = q8t_threads_count(g->threads);
  float *scale = coef(&b, COEF_SCALE), *mdb = coef(&b, COEF_DBETA), *mdg = coef(&b, COEF_DGAMMA);
  const float *inv_std = coef(&b, COEF_INV_STD);
  for (int32_t i = 0; i < b.c; i++) {
    double dbeta = 0.0, dgamma = 0.0;
    for (int32_t t = 0; t < nt; t++) {
      dbeta += partials(&b, t)[i];
      dgamma += partials(&b, t)[b.c + i];
    }
    if (gamma->grad != NULL) {
      gamma->grad[i] = (float)dgamma + (node->accumulate[Q8T_BN_GAMMA] ? gamma->grad[i] : 0.0f);
    }
    if (beta->grad != NULL) {
      beta->grad[i] = (float)dbeta + (node->accumulate[Q8T_BN_BETA] ? beta->grad[i] : 0.0f);
    }
    scale[i] = gamma->data[i] * inv_std[i];
    /* With batch statistics, the mean and the variance depend on every x of the channel. */
    mdb[i] = g->training ? (float)(dbeta / (double)b.rows) : 0.0f;
    mdg[i] = g->training ? (float)(dgamma / (double)b.rows) : 0.0f;
  }
  if (q8t_input_tensor(g, node, Q8T_IN_X)->grad != NULL) q8t_parallel(g, input_grad_task, &b);
}

void Q8T_ISA_NAME(q8t_batch_norm_statistics)(q8t_graph *g, q8t_node *node) {
  bn_ctx b = context(g, node);
  batch_statistics(&b);
}

const q8t_op_impl Q8T_ISA_NAME(q8t_batch_norm_impl) = {"batch_norm", bn_forward, bn_backward,
                                                       bn_scratch};
