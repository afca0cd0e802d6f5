/* The table of layer implementations and the helpers they share (fused activations,
   gradient stores, the deterministic reduction of per-thread partial sums). */
#include "train/ops.h"

#include <string.h>

#include "core/error.h"
#include "train/qat-internal.h"

#define Q8T_TABLE(suffix)                                                                     \
  {                                                                                           \
    [Q8T_OP_CONV] = &q8t_conv_impl##suffix,                                                   \
    [Q8T_OP_DEPTHWISE_CONV] = &q8t_depthwise_conv_impl##suffix,                               \
    [Q8T_OP_FULLY_CONNECTED] = &q8t_fully_connected_impl##suffix,                             \
    [Q8T_OP_BATCH_NORM] = &q8t_batch_norm_impl##suffix,                                       \
    [Q8T_OP_ACTIVATION] = &q8t_activation_impl##suffix, [Q8T_OP_ADD] = &q8t_add_impl##suffix, \
    [Q8T_OP_GLOBAL_AVG_POOL] = &q8t_global_avg_pool_impl##suffix,                             \
    [Q8T_OP_MAX_POOL] = &q8t_max_pool_impl##suffix,                                           \
    [Q8T_OP_AVG_POOL] = &q8t_avg_pool_impl##suffix,                                           \
    [Q8T_OP_SOFTMAX_CROSS_ENTROPY] = &q8t_softmax_cross_entropy_impl##suffix,                 \
    [Q8T_OP_FAKE_QUANT] = &q8t_fake_quant_impl##suffix,                                       \
    [Q8T_OP_FOLD_WEIGHTS] = &q8t_fold_weights_impl##suffix,                                   \
    [Q8T_OP_CONV_BN_FOLDED] = &q8t_conv_bn_folded_impl##suffix                                \
  }

const q8t_op_impl *const q8t_op_table[Q8T_OP_COUNT] = Q8T_TABLE();

#if defined(Q8_TRAIN_HAVE_AVX2)
static const q8t_op_impl *const q8t_op_table_avx2[Q8T_OP_COUNT] = Q8T_TABLE(_avx2);

static bool cpu_runs_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

const char *q8t_isa_name(q8t_isa isa) {
  switch (isa) {
    case Q8T_ISA_AUTO:
      return "auto";
    case Q8T_ISA_SCALAR:
      return "scalar";
    case Q8T_ISA_AVX2:
      return "avx2";
  }
  return "unknown";
}

q8_status q8t_op_table_for(q8t_isa isa, const q8t_op_impl *const **table, q8t_isa *resolved,
                           q8_error *error) {
  *table = q8t_op_table;
  *resolved = Q8T_ISA_SCALAR;
  if (isa == Q8T_ISA_SCALAR) return Q8_OK;
#if defined(Q8_TRAIN_HAVE_AVX2)
  if (cpu_runs_avx2()) {
    *table = q8t_op_table_avx2;
    *resolved = Q8T_ISA_AVX2;
    return Q8_OK;
  }
  if (isa == Q8T_ISA_AVX2) {
    return q8_fail(error, Q8_ERROR_UNSUPPORTED, "ISA avx2: this CPU lacks AVX2 or FMA");
  }
#else
  if (isa == Q8T_ISA_AVX2) {
    return q8_fail(error, Q8_ERROR_UNSUPPORTED, "ISA avx2: this build has no AVX2 variant");
  }
#endif
  if (isa != Q8T_ISA_AUTO) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "ISA %d: expected auto, scalar or avx2",
                   (int)isa);
  }
  return Q8_OK;
}

bool q8t_node_reads_input(const q8t_graph *g, const q8t_node *node, int slot, bool training) {
  if (node->op == Q8T_OP_CONV_BN_FOLDED && slot == Q8T_IN_X) {
    /* Statistics from the folded layer: x (the unfolded layer's output) is written, not read. */
    return node->attrs.qat.bn_statistics == Q8T_BN_STATISTICS_UNFOLDED &&
           q8t_qat_batch_statistics(g, node, training, false);
  }
  return true;
}

size_t q8t_gemm_workspace_floats(const q8t_graph *g) {
  const bool portable = !q8t_gemm_have_blas() || g->options.gemm == Q8T_GEMM_PORTABLE;
  return portable ? Q8T_GEMM_WORKSPACE_FLOATS : 0;
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

void q8t_reduce_partials(q8t_graph *g, float *grad, size_t count, size_t offset, bool accumulate) {
  reduce_ctx c = {g, grad, count, offset, accumulate};
  q8t_parallel(g, reduce_task, &c);
}
