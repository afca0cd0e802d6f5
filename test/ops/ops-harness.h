/* Test harness for operator prepare/run without a runtime: a stand-in prepare context (the
   library's own lives in src/runtime/prepare.c, which these tests do not link in), tensors
   with per-tensor quantization, and a call that prepares and runs one node. Include in one
   test program only (it defines the q8_prepare_* functions). */
#ifndef Q8_TEST_OPS_HARNESS_H
#define Q8_TEST_OPS_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/test-util.h"

#define H_MAX_ALLOCS 64

struct q8_prepare_ctx {
  char message[512];
  void *allocs[H_MAX_ALLOCS];
  int n_allocs;
  q8_isa isa;                  /* 0 (AUTO) stands for Q8_ISA_REF */
  struct q8_threadpool *pool;  /* NULL: one thread */
};

q8_isa q8_prepare_isa(const q8_prepare_ctx *ctx) {
  return ctx->isa == Q8_ISA_AUTO ? Q8_ISA_REF : ctx->isa;
}

struct q8_threadpool *q8_prepare_threadpool(const q8_prepare_ctx *ctx) { return ctx->pool; }

void *q8_prepare_alloc(q8_prepare_ctx *ctx, size_t size) {
  if (ctx->n_allocs == H_MAX_ALLOCS) return NULL;
  void *p = calloc(1, size > 0 ? size : 1);
  if (p != NULL) ctx->allocs[ctx->n_allocs++] = p;
  return p;
}

q8_status q8_prepare_fail(q8_prepare_ctx *ctx, q8_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
  va_end(ap);
  return status;
}

/* As the runtime's: the file's shape must equal the computed one. */
q8_status q8_prepare_set_shape(q8_prepare_ctx *ctx, q8_tensor *tensor, int32_t rank,
                               const int32_t *dims) {
  bool same = rank == tensor->rank;
  for (int32_t i = 0; same && i < rank; i++) same = dims[i] == tensor->dims[i];
  if (!same) {
    char *m = ctx->message;
    int n = snprintf(m, sizeof ctx->message, "output shape differs: tensor '%s' computed [",
                     tensor->name);
    for (int32_t i = 0; i < rank && n < 400; i++) n += snprintf(m + n, 16, i ? ",%d" : "%d", (int)dims[i]);
    snprintf(m + n, 16, "]");
    return Q8_ERROR_INVALID_MODEL;
  }
  return Q8_OK;
}

static inline void h_ctx_free(q8_prepare_ctx *ctx) {
  for (int i = 0; i < ctx->n_allocs; i++) free(ctx->allocs[i]);
  ctx->n_allocs = 0;
}

/* A tensor with its quantization stored beside it (so that copies stay valid only while
   the h_tensor lives: keep them in arrays for the whole case). */
typedef struct h_tensor {
  q8_tensor t;
  float scale;
  int32_t zero_point;
} h_tensor;

static inline void h_set(h_tensor *h, const char *name, q8_type type, int32_t rank,
                         const int32_t *dims, float scale, int32_t zp) {
  memset(h, 0, sizeof *h);
  h->t.name = name;
  h->t.type = type;
  h->t.rank = rank;
  for (int32_t i = 0; i < rank; i++) h->t.dims[i] = dims[i];
  h->scale = scale;
  h->zero_point = zp;
  h->t.quant.count = scale > 0 ? 1 : 0;
  h->t.quant.scale = &h->scale;
  h->t.quant.zero_point = &h->zero_point;
}

/* Copies the tensors into a graph-like array (quant pointers keep pointing at hs). */
static inline void h_tensors(const h_tensor *hs, int n, q8_tensor *out) {
  for (int i = 0; i < n; i++) out[i] = hs[i].t;
}

/* A node reading tensors 0..n_inputs-1 and writing tensor n_inputs. */
typedef struct h_node {
  q8_node node;
  int32_t inputs[Q8_MAX_NODE_INPUTS];
  int32_t outputs[1];
} h_node;

static inline void h_node_init(h_node *h, q8_op_kind kind, int32_t n_inputs) {
  memset(h, 0, sizeof *h);
  h->node.kind = kind;
  h->node.n_inputs = n_inputs;
  h->node.n_outputs = 1;
  for (int32_t i = 0; i < n_inputs; i++) h->inputs[i] = i;
  h->outputs[0] = n_inputs;
  h->node.inputs = h->inputs;
  h->node.outputs = h->outputs;
}

/* Prepares the node; on success runs it once. ctx must be h_ctx_free'd by the caller. */
static inline q8_status h_prepare_run(q8_op_prepare_fn prepare, q8_prepare_ctx *ctx,
                                      h_node *hn, q8_tensor *tensors,
                                      const void *const *inputs, void *output) {
  memset(ctx, 0, sizeof *ctx);
  q8_op_plan plan = {0};
  q8_status s = prepare(ctx, &hn->node, tensors, &plan);
  if (s != Q8_OK) return s;
  void *scratch = plan.scratch_bytes > 0 ? calloc(1, plan.scratch_bytes) : NULL;
  void *outputs[1] = {output};
  plan.run(plan.params, inputs, outputs, scratch);
  free(scratch);
  return Q8_OK;
}

static inline void h_fill_random(t_rng *rng, void *data, size_t n) {
  for (size_t i = 0; i < n; i++) ((uint8_t *)data)[i] = (uint8_t)t_rng_next(rng);
}

static inline int32_t h_load(const void *p, size_t i, bool is_signed) {
  return is_signed ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

#endif
