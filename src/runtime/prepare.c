/* Preparing an interpreter: check the data flow (data-flow.c), prepare each operator, plan the
   arena. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/threadpool.h"
#include "runtime/runtime.h"

struct q8_prepare_ctx {
  q8_interp *interp;
  int32_t node_index;
  q8_op_kind kind;
  q8_error *error;
};

q8_isa q8_prepare_isa(const q8_prepare_ctx *ctx) { return ctx->interp->isa; }

q8_threadpool *q8_prepare_threadpool(const q8_prepare_ctx *ctx) { return ctx->interp->threads; }

void *q8_prepare_alloc(q8_prepare_ctx *ctx, size_t size) {
  return q8_pool_alloc(&ctx->interp->pool, size);
}

q8_status q8_prepare_fail(q8_prepare_ctx *ctx, q8_status status, const char *fmt, ...) {
  char detail[sizeof ctx->error->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  return q8_fail(ctx->error, status, "operator %d (%s): %s", (int)ctx->node_index,
                 q8_op_name(ctx->kind), detail);
}

static void format_shape(char *buf, size_t n, int32_t rank, const int32_t *dims) {
  size_t used = (size_t)snprintf(buf, n, "[");
  for (int32_t i = 0; i < rank && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, i ? ",%d" : "%d", (int)dims[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
}

q8_status q8_prepare_set_shape(q8_prepare_ctx *ctx, q8_tensor *tensor, int32_t rank,
                               const int32_t *dims) {
  bool same = rank == tensor->rank;
  for (int32_t i = 0; same && i < rank; i++) same = dims[i] == tensor->dims[i];
  if (!same) {
    char want[128], found[128];
    format_shape(want, sizeof want, rank, dims);
    format_shape(found, sizeof found, tensor->rank, tensor->dims);
    return q8_prepare_fail(ctx, Q8_ERROR_INVALID_MODEL,
                           "output tensor '%s' has shape %s in the file, but the operator "
                           "computes %s",
                           tensor->name, found, want);
  }
  return Q8_OK;
}

/* int32/float32 constants read in place must be 4-byte aligned: copy those that are not. */
static q8_status align_constants(q8_interp *it, q8_error *error) {
  for (int32_t t = 0; t < it->n_tensors; t++) {
    q8_tensor *tensor = &it->tensors[t];
    if (tensor->data == NULL || q8_type_size(tensor->type) < 4) continue;
    if ((uintptr_t)tensor->data % 4 == 0) continue;
    void *copy = q8_pool_dup(&it->pool, tensor->data, tensor->data_size);
    if (copy == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
    tensor->data = copy;
  }
  return Q8_OK;
}

static q8_status prepare_nodes(q8_interp *it, q8_error *error) {
  const q8_graph *g = it->model->graph;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const q8_node *node = &g->nodes[n];
    q8_prepare_ctx ctx = {it, n, node->kind, error};
    q8_status s = q8_op_prepare_table[node->kind](&ctx, node, it->tensors, &it->plans[n]);
    if (s != Q8_OK) return s;
    if (it->plans[n].run == NULL)
      return q8_prepare_fail(&ctx, Q8_ERROR_STATE, "prepare left no run function");
  }
  return Q8_OK;
}

/* Sizes of activation tensors after prepare; an overflowing product is an error. */
static q8_status activation_sizes(const q8_interp *it, const q8_lifetime *life, size_t *sizes,
                                  q8_error *error) {
  for (int32_t t = 0; t < it->n_tensors; t++) {
    sizes[t] = 0;
    if (life[t].first > life[t].last) continue;
    const q8_tensor *tensor = &it->tensors[t];
    size_t elements = q8_tensor_elements(tensor);
    bool has_zero_dim = false;
    for (int32_t d = 0; d < tensor->rank; d++) has_zero_dim |= tensor->dims[d] == 0;
    if (elements == 0 && !has_zero_dim)
      return q8_fail(error, Q8_ERROR_INVALID_MODEL,
                     "tensor %d '%s': shape has a negative dimension or too many elements",
                     (int)t, tensor->name);
    sizes[t] = elements * q8_type_size(tensor->type);
  }
  return Q8_OK;
}

static q8_status assign_offsets(q8_interp *it, const q8_lifetime *life, const size_t *sizes,
                                size_t *offsets, const q8_interp_options *options,
                                q8_error *error);

static q8_status place_tensors(q8_interp *it, const q8_lifetime *life,
                               const q8_interp_options *options, q8_error *error) {
  const int32_t nt = it->n_tensors;
  size_t *sizes = malloc(sizeof(size_t) * (size_t)(nt > 0 ? nt : 1));
  size_t *offsets = malloc(sizeof(size_t) * (size_t)(nt > 0 ? nt : 1));
  q8_status s = sizes == NULL || offsets == NULL
                    ? q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory")
                    : activation_sizes(it, life, sizes, error);
  if (s == Q8_OK) s = assign_offsets(it, life, sizes, offsets, options, error);
  free(sizes);
  free(offsets);
  return s;
}

static q8_status assign_offsets(q8_interp *it, const q8_lifetime *life, const size_t *sizes,
                                size_t *offsets, const q8_interp_options *options,
                                q8_error *error) {
  const int32_t nt = it->n_tensors;
  size_t activations = q8_plan_arena(nt, life, sizes, offsets);
  if (activations == SIZE_MAX)
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "the activations do not fit in memory");
  size_t scratch = 0;
  for (int32_t n = 0; n < it->model->graph->n_nodes; n++)
    if (it->plans[n].scratch_bytes > scratch) scratch = it->plans[n].scratch_bytes;
  if (scratch > SIZE_MAX - 63 - activations)
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "activations and scratch do not fit in memory");
  scratch = (scratch + 63) / 64 * 64;
  it->unshared_size = 0;
  for (int32_t t = 0; t < nt; t++) { /* a report only: saturate rather than wrap */
    size_t slot = (sizes[t] + 63) / 64 * 64;
    it->unshared_size = it->unshared_size > SIZE_MAX - slot ? SIZE_MAX : it->unshared_size + slot;
  }
  it->arena_size = activations + scratch;
  if (options != NULL && options->arena != NULL) {
    if (options->arena_size < it->arena_size)
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                     "the caller's arena has %zu bytes; this model needs %zu",
                     options->arena_size, it->arena_size);
    if ((uintptr_t)options->arena % 64 != 0)
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "the caller's arena is not 64-byte aligned");
    it->arena = options->arena;
  } else {
    it->arena = aligned_alloc(64, it->arena_size > 0 ? it->arena_size : 64);
    if (it->arena == NULL)
      return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory for a %zu-byte arena",
                     it->arena_size);
    it->owns_arena = true;
  }
  it->scratch = scratch > 0 ? it->arena + activations : NULL;
  for (int32_t t = 0; t < nt; t++) {
    if (it->tensors[t].data != NULL) it->tensor_data[t] = (void *)it->tensors[t].data;
    else if (offsets[t] != SIZE_MAX) it->tensor_data[t] = it->arena + offsets[t];
  }
  return Q8_OK;
}

static q8_status build_node_pointers(q8_interp *it, q8_error *error) {
  const q8_graph *g = it->model->graph;
  size_t n_in = 0, n_out = 0;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    n_in += (size_t)g->nodes[n].n_inputs;
    n_out += (size_t)g->nodes[n].n_outputs;
  }
  it->node_inputs = q8_pool_alloc(&it->pool, sizeof(void *) * n_in);
  it->node_outputs = q8_pool_alloc(&it->pool, sizeof(void *) * n_out);
  it->node_input_start = q8_pool_alloc(&it->pool, sizeof(int32_t) * (size_t)g->n_nodes);
  it->node_output_start = q8_pool_alloc(&it->pool, sizeof(int32_t) * (size_t)g->n_nodes);
  if (it->node_inputs == NULL || it->node_outputs == NULL || it->node_input_start == NULL ||
      it->node_output_start == NULL)
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  int32_t in = 0, out = 0;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const q8_node *node = &g->nodes[n];
    it->node_input_start[n] = in;
    it->node_output_start[n] = out;
    for (int32_t k = 0; k < node->n_inputs; k++)
      it->node_inputs[in++] = node->inputs[k] >= 0 ? it->tensor_data[node->inputs[k]] : NULL;
    for (int32_t k = 0; k < node->n_outputs; k++)
      it->node_outputs[out++] = it->tensor_data[node->outputs[k]];
  }
  return Q8_OK;
}

/* The kernel path (options, then Q8_ISA, then the CPU) and the thread pool. */
static q8_status choose_kernels(q8_interp *it, const q8_interp_options *options,
                                q8_error *error) {
  const q8_interp_options none = {0};
  if (options == NULL) options = &none;
  const q8_cpu_features features = (options->cpu_features & Q8_CPU_INJECTED)
                                       ? (options->cpu_features & ~Q8_CPU_INJECTED)
                                       : q8_cpu_detect();
  q8_status s = q8_isa_resolve(options->isa, getenv("Q8_ISA"), features, &it->isa, error);
  if (s != Q8_OK) return s;
  if (options->threads < 0 || options->threads > Q8_MAX_THREADS)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "threads = %d, expected 0 (one) to %d",
                   (int)options->threads, (int)Q8_MAX_THREADS);
  return q8_threadpool_create(options->threads > 0 ? options->threads : 1, &it->threads, error);
}

static q8_status setup(q8_interp *it, const q8_interp_options *options, q8_error *error) {
  const q8_graph *g = it->model->graph;
  it->n_tensors = g->n_tensors;
  it->tensors = q8_pool_dup(&it->pool, g->tensors, sizeof(q8_tensor) * (size_t)g->n_tensors);
  it->tensor_data = q8_pool_alloc(&it->pool, sizeof(void *) * (size_t)g->n_tensors);
  it->plans = q8_pool_alloc(&it->pool, sizeof(q8_op_plan) * (size_t)g->n_nodes);
  it->input_set = q8_pool_alloc(&it->pool, sizeof(bool) * (size_t)g->n_inputs);
  q8_lifetime *life = malloc(sizeof(q8_lifetime) * (size_t)(g->n_tensors > 0 ? g->n_tensors : 1));
  if (it->tensors == NULL || it->tensor_data == NULL || it->plans == NULL ||
      it->input_set == NULL || life == NULL) {
    free(life);
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  q8_status s = choose_kernels(it, options, error);
  if (s == Q8_OK) s = q8_check_data_flow(g, life, error);
  if (s == Q8_OK) s = align_constants(it, error);
  if (s == Q8_OK) s = prepare_nodes(it, error);
  if (s == Q8_OK) s = place_tensors(it, life, options, error);
  if (s == Q8_OK) s = build_node_pointers(it, error);
  free(life);
  return s;
}

q8_status q8_interp_init(const q8_model *model, const q8_interp_options *options,
                         q8_interp **out, q8_error *error) {
  if (out == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "interpreter pointer is NULL");
  *out = NULL;
  if (model == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "model is NULL");
  q8_interp *it = calloc(1, sizeof *it);
  if (it == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  it->model = model;
  q8_status s = setup(it, options, error);
  if (s != Q8_OK) {
    q8_interp_free(it);
    return s;
  }
  *out = it;
  return Q8_OK;
}

void q8_interp_free(q8_interp *interp) {
  if (interp == NULL) return;
  if (interp->owns_arena) free(interp->arena);
  q8_threadpool_free(interp->threads);
  q8_pool_release(&interp->pool);
  free(interp);
}
