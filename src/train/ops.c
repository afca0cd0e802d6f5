/* The table of layer implementations and the helpers they share (fused activations,
   gradient stores, the deterministic reduction of per-thread partial sums). */
#include "train/ops.h"

#include <string.h>

const q8t_op_impl *const q8t_op_table[Q8T_OP_COUNT] = {
    [Q8T_OP_CONV] = &q8t_conv_impl,
    [Q8T_OP_DEPTHWISE_CONV] = &q8t_depthwise_conv_impl,
    [Q8T_OP_FULLY_CONNECTED] = &q8t_fully_connected_impl,
    [Q8T_OP_BATCH_NORM] = &q8t_batch_norm_impl,
    [Q8T_OP_ACTIVATION] = &q8t_activation_impl,
    [Q8T_OP_ADD] = &q8t_add_impl,
    [Q8T_OP_GLOBAL_AVG_POOL] = &q8t_global_avg_pool_impl,
    [Q8T_OP_MAX_POOL] = &q8t_max_pool_impl,
    [Q8T_OP_AVG_POOL] = &q8t_avg_pool_impl,
    [Q8T_OP_SOFTMAX_CROSS_ENTROPY] = &q8t_softmax_cross_entropy_impl,
};

void q8t_activate_span(q8_activation act, float *p, size_t n) {
  if (act == Q8_ACT_RELU) {
    for (size_t i = 0; i < n; i++) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
  } else if (act == Q8_ACT_RELU6) {
    for (size_t i = 0; i < n; i++) p[i] = p[i] > 0.0f ? (p[i] < 6.0f ? p[i] : 6.0f) : 0.0f;
  }
}

void q8t_activation_grad_span(q8_activation act, const float *y, float *dy, size_t n) {
  if (act == Q8_ACT_RELU) {
    for (size_t i = 0; i < n; i++) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
  } else if (act == Q8_ACT_RELU6) {
    for (size_t i = 0; i < n; i++) dy[i] = y[i] > 0.0f && y[i] < 6.0f ? dy[i] : 0.0f;
  }
}

void q8t_broadcast_rows(float *out, size_t rows, size_t width, const float *row) {
  for (size_t i = 0; i < rows; i++) {
    if (row != NULL) {
      memcpy(out + i * width, row, width * sizeof *out);
    } else {
      memset(out + i * width, 0, width * sizeof *out);
    }
  }
}

size_t q8t_gemm_workspace_floats(const q8t_graph *g) {
  const bool portable = !q8t_gemm_have_blas() || g->options.gemm == Q8T_GEMM_PORTABLE;
  return portable ? Q8T_GEMM_WORKSPACE_FLOATS : 0;
}

void q8t_store_grad(float *dst, const float *src, size_t n, bool accumulate) {
  if (accumulate) {
    for (size_t i = 0; i < n; i++) dst[i] += src[i];
  } else {
    memcpy(dst, src, n * sizeof *dst);
  }
}

typedef struct reduce_ctx {
  q8t_graph *g;
  float *grad;
  size_t count, offset;
  bool accumulate;
} reduce_ctx;

static void reduce_task(void *arg, int32_t t, int32_t nt) {
  const reduce_ctx *c = arg;
  int64_t begin, end;
  q8t_split((int64_t)c->count, t, nt, &begin, &end);
  if (begin >= end) return;
  float *out = c->grad + begin;
  const size_t n = (size_t)(end - begin);
  if (!c->accumulate) memset(out, 0, n * sizeof *out);
  const int32_t parts = q8t_threads_count(c->g->threads);
  for (int32_t p = 0; p < parts; p++) {
    const float *partial = c->g->scratch[p] + c->offset + begin;
    for (size_t i = 0; i < n; i++) out[i] += partial[i];
  }
}

void q8t_reduce_partials(q8t_graph *g, float *grad, size_t count, size_t offset,
                         bool accumulate) {
  reduce_ctx c = {g, grad, count, offset, accumulate};
  q8t_parallel(g, reduce_task, &c);
}
