/* The training graph's lifecycle and passes: allocation (buffers, gradient routing, scratch),
   parameter initialisation, forward and backward over the recorded nodes. */
#include "train/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "train/ops.h"
#include "train/rng.h"

/* Stream of q8t_rng used for parameter initialisation (the trainer shuffles with another). */
enum { INIT_STREAM = 1 };

const char *q8t_op_name(q8t_op op) {
  return op >= 0 && op < Q8T_OP_COUNT ? q8t_op_table[op]->name : "unknown";
}

q8_status q8t_graph_init(const q8t_graph_options *options, q8t_graph **graph, q8_error *error) {
  *graph = NULL;
  if (options == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "no graph options");
  if (options->batch < 1) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "batch capacity %d: expected >= 1",
                   (int)options->batch);
  }
  q8t_graph *g = calloc(1, sizeof *g);
  if (g == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "training graph");
  g->options = *options;
  g->batch = options->batch;
  g->input = g->labels = g->logits = g->loss = -1;
  q8_status st = q8t_op_table_for(options->isa, &g->ops, &g->isa, error);
  if (st == Q8_OK) st = q8t_threads_init(options->threads, &g->threads, error);
  if (st != Q8_OK) {
    free(g);
    return st;
  }
  *graph = g;
  return Q8_OK;
}

static void free_scratch(q8t_graph *g) {
  if (g->scratch == NULL) return;
  for (int32_t t = 0; t < q8t_threads_count(g->threads); t++) free(g->scratch[t]);
  free(g->scratch);
  g->scratch = NULL;
  g->scratch_floats = 0;
}

void q8t_graph_free(q8t_graph *g) {
  if (g == NULL) return;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    free(t->data);
    free(t->i32);
    free(t->grad);
    free(t->momentum);
  }
  free_scratch(g);
  q8t_threads_free(g->threads);
  free(g->tensors);
  free(g->nodes);
  free(g->running);
  free(g);
}

size_t q8t_tensor_per_image(const q8t_tensor *t) {
  size_t n = 1;
  for (int32_t d = t->batched ? 1 : 0; d < t->rank; d++) n *= (size_t)t->dims[d];
  return n;
}

size_t q8t_tensor_count(const q8t_tensor *t) {
  return q8t_tensor_per_image(t) * (t->batched ? (size_t)t->dims[0] : 1);
}

/* Elements to allocate: batched tensors at the batch capacity. */
static size_t capacity_of(const q8t_graph *g, const q8t_tensor *t) {
  return q8t_tensor_per_image(t) * (t->batched ? (size_t)g->options.batch : 1);
}

/* 64-byte aligned and zeroed, so that no pass ever reads uninitialised memory. */
static void *alloc_zeroed(size_t elements, size_t element_size) {
  size_t bytes = elements * element_size;
  bytes = (bytes + 63) & ~(size_t)63;
  if (bytes == 0) bytes = 64;
  void *p = aligned_alloc(64, bytes);
  if (p != NULL) memset(p, 0, bytes);
  return p;
}

/* Which tensors carry a gradient: parameters (and inputs marked grad_wanted), and every node
   output computed from them. Labels, state and saved values never do. */
static void mark_gradients(const q8t_graph *g, bool *needs) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    needs[i] = g->tensors[i].role == Q8T_ROLE_PARAMETER || g->tensors[i].grad_wanted;
  }
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const q8t_node *node = &g->nodes[n];
    for (int32_t i = 0; i < node->n_inputs; i++) {
      if (node->inputs[i] >= 0 && needs[node->inputs[i]]) needs[node->output] = true;
    }
  }
}

/* A node's backward overwrites an input gradient when it is the first, in backward order, to
   reach that tensor; later ones add. */
static void route_gradients(q8t_graph *g, const bool *needs, bool *reached) {
  memset(reached, 0, (size_t)g->n_tensors * sizeof *reached);
  for (int32_t n = g->n_nodes - 1; n >= 0; n--) {
    q8t_node *node = &g->nodes[n];
    for (int32_t i = 0; i < node->n_inputs; i++) {
      const int32_t t = node->inputs[i];
      node->accumulate[i] = false;
      if (t < 0 || !needs[t]) continue;
      node->accumulate[i] = reached[t];
      reached[t] = true;
    }
  }
}

static q8_status allocate_tensor(q8t_graph *g, q8t_tensor *t, bool needs_grad) {
  const size_t n = capacity_of(g, t);
  if (t->type == Q8_TYPE_INT32) {
    if (t->i32 == NULL) t->i32 = alloc_zeroed(n, sizeof *t->i32);
    if (t->i32 == NULL) goto oom;
  } else if (t->data == NULL) {
    t->data = alloc_zeroed(n, sizeof *t->data);
    if (t->data == NULL) goto oom;
  }
  if (needs_grad && t->grad == NULL) {
    t->grad = alloc_zeroed(n, sizeof *t->grad);
    if (t->grad == NULL) goto oom;
  }
  if (t->role == Q8T_ROLE_PARAMETER && t->momentum == NULL) {
    t->momentum = alloc_zeroed(n, sizeof *t->momentum);
    if (t->momentum == NULL) goto oom;
  }
  return Q8_OK;
oom:
  return q8_fail(&g->error, Q8_ERROR_OUT_OF_MEMORY, "tensor %s: %zu elements", t->name, n);
}

static q8_status allocate_scratch(q8t_graph *g) {
  size_t floats = 0;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    q8t_node *node = &g->nodes[n];
    const q8t_op_impl *impl = g->ops[node->op];
    node->scratch_floats = impl->scratch_floats ? impl->scratch_floats(g, node) : 0;
    if (node->scratch_floats > floats) floats = node->scratch_floats;
  }
  if (g->scratch != NULL && floats <= g->scratch_floats) return Q8_OK;
  free_scratch(g);
  const int32_t nt = q8t_threads_count(g->threads);
  g->scratch = calloc((size_t)nt, sizeof *g->scratch);
  if (g->scratch == NULL) goto oom;
  for (int32_t t = 0; t < nt; t++) {
    g->scratch[t] = alloc_zeroed(floats, sizeof(float));
    if (g->scratch[t] == NULL) goto oom;
  }
  g->scratch_floats = floats;
  return Q8_OK;
oom:
  free_scratch(g);
  return q8_fail(&g->error, Q8_ERROR_OUT_OF_MEMORY, "scratch: %zu floats per thread", floats);
}

q8_status q8t_graph_allocate(q8t_graph *g) {
  if (g->status != Q8_OK) return g->status;
  if (g->n_nodes == 0) return q8_fail(&g->error, Q8_ERROR_STATE, "the graph has no nodes");
  /* Shapes at the full capacity while sizing, the caller's batch restored afterwards. */
  const int32_t batch = g->batch;
  q8_status st = q8t_graph_set_batch(g, g->options.batch);
  if (st != Q8_OK) return st;
  bool *needs = calloc((size_t)g->n_tensors * 2, sizeof *needs);
  if (needs == NULL) return q8_fail(&g->error, Q8_ERROR_OUT_OF_MEMORY, "gradient routing");
  mark_gradients(g, needs);
  route_gradients(g, needs, needs + g->n_tensors);
  for (int32_t i = 0; i < g->n_tensors && st == Q8_OK; i++) {
    st = allocate_tensor(g, &g->tensors[i], needs[i]);
  }
  free(needs);
  if (st == Q8_OK) st = allocate_scratch(g);
  if (st != Q8_OK) return st;
  bool *running = realloc(g->running, (size_t)g->n_nodes * sizeof *running);
  if (running == NULL) return q8_fail(&g->error, Q8_ERROR_OUT_OF_MEMORY, "%d nodes", (int)g->n_nodes);
  g->running = running;
  g->allocated = true;
  return q8t_graph_set_batch(g, batch);
}

q8_status q8t_graph_init_parameters(q8t_graph *g, uint64_t seed) {
  if (!g->allocated) {
    return q8_fail(&g->error, Q8_ERROR_STATE, "initialise parameters after q8t_graph_allocate");
  }
  q8t_rng rng;
  q8t_rng_seed(&rng, seed, INIT_STREAM);
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    if (t->role != Q8T_ROLE_PARAMETER && t->role != Q8T_ROLE_STATE) continue;
    const size_t n = q8t_tensor_count(t);
    const double bound = t->fan_in > 0 ? 1.0 / sqrt((double)t->fan_in) : 0.0;
    for (size_t j = 0; j < n; j++) {
      switch (t->init) {
        case Q8T_INIT_ZERO:
          t->data[j] = 0.0f;
          break;
        case Q8T_INIT_ONE:
          t->data[j] = 1.0f;
          break;
        case Q8T_INIT_FAN_IN_UNIFORM:
          t->data[j] = (float)(bound * (2.0 * q8t_rng_unit(&rng) - 1.0));
          break;
      }
    }
    if (t->momentum != NULL) memset(t->momentum, 0, n * sizeof *t->momentum);
  }
  return Q8_OK;
}

q8_status q8t_graph_set_batch(q8t_graph *g, int32_t batch) {
  if (batch < 1 || batch > g->options.batch) {
    return q8_fail(&g->error, Q8_ERROR_INVALID_ARGUMENT, "batch %d: expected 1 to %d", (int)batch,
                   (int)g->options.batch);
  }
  for (int32_t i = 0; i < g->n_tensors; i++) {
    if (g->tensors[i].batched) g->tensors[i].dims[0] = batch;
  }
  g->batch = batch;
  g->forward_ran = false;
  return Q8_OK;
}

static q8_status check_runnable(q8t_graph *g) {
  if (g->status != Q8_OK) return g->status;
  if (!g->allocated) {
    return q8_fail(&g->error, Q8_ERROR_STATE, "the graph changed: call q8t_graph_allocate");
  }
  return Q8_OK;
}

/* Labels index the logits: one outside [0, classes) would read past a row. */
static q8_status check_labels(q8t_graph *g) {
  if (g->labels < 0 || g->logits < 0) return Q8_OK;
  const int32_t *labels = g->tensors[g->labels].i32;
  const int32_t classes = g->tensors[g->logits].dims[1];
  for (int32_t i = 0; i < g->batch; i++) {
    if (labels[i] < 0 || labels[i] >= classes) {
      return q8_fail(&g->error, Q8_ERROR_INVALID_ARGUMENT, "labels[%d] = %d: expected 0 to %d",
                     (int)i, (int)labels[i], (int)classes - 1);
    }
  }
  return Q8_OK;
}

/* Whether node n runs in a forward in this mode: a running later node reads its output, or
   none reads it at all (the graph's results). Later nodes are decided first. */
static bool output_wanted(const q8t_graph *g, int32_t n, bool training) {
  const int32_t out = g->nodes[n].output;
  bool read = false;
  for (int32_t m = n + 1; m < g->n_nodes; m++) {
    const q8t_node *reader = &g->nodes[m];
    for (int32_t i = 0; i < reader->n_inputs; i++) {
      if (reader->inputs[i] != out) continue;
      read = true;
      if (g->running[m] && q8t_node_reads_input(g, reader, i, training)) return true;
    }
  }
  return !read;
}

void q8t_graph_mark_running(q8t_graph *g, bool training) {
  for (int32_t n = g->n_nodes - 1; n >= 0; n--) g->running[n] = output_wanted(g, n, training);
}

q8_status q8t_graph_forward(q8t_graph *g, bool training) {
  q8_status st = check_runnable(g);
  if (st == Q8_OK) st = check_labels(g);
  if (st != Q8_OK) return st;
  q8t_gemm_single_threaded();
  q8t_graph_mark_running(g, training);
  g->training = training;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    q8t_node *node = &g->nodes[n];
    if (g->running[n]) g->ops[node->op]->forward(g, node);
  }
  g->forward_ran = true;
  return Q8_OK;
}

/* A node skipped in this pass contributes nothing: where it would have been the first to
   write an input's gradient (route_gradients), the gradient starts at zero instead. */
static void clear_first_gradients(q8t_graph *g, const q8t_node *node) {
  for (int32_t i = 0; i < node->n_inputs; i++) {
    const int32_t t = node->inputs[i];
    if (t < 0 || node->accumulate[i] || g->tensors[t].grad == NULL) continue;
    memset(g->tensors[t].grad, 0, q8t_tensor_count(&g->tensors[t]) * sizeof(float));
  }
}

q8_status q8t_graph_backward(q8t_graph *g) {
  q8_status st = check_runnable(g);
  if (st != Q8_OK) return st;
  if (!g->forward_ran) {
    return q8_fail(&g->error, Q8_ERROR_STATE, "backward needs a forward at the current batch");
  }
  q8t_gemm_single_threaded();
  if (g->loss >= 0) g->tensors[g->loss].grad[0] = 1.0f;
  for (int32_t n = g->n_nodes - 1; n >= 0; n--) {
    q8t_node *node = &g->nodes[n];
    if (g->tensors[node->output].grad == NULL) continue; /* nothing trained upstream */
    if (g->running[n]) {
      g->ops[node->op]->backward(g, node);
    } else {
      clear_first_gradients(g, node);
    }
  }
  return Q8_OK;
}

int32_t q8t_graph_find_tensor(const q8t_graph *g, const char *name) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    if (strcmp(g->tensors[i].name, name) == 0) return i;
  }
  return -1;
}

int32_t q8t_graph_find_node(const q8t_graph *g, const char *name) {
  for (int32_t i = 0; i < g->n_nodes; i++) {
    if (strcmp(g->nodes[i].name, name) == 0) return i;
  }
  return -1;
}

size_t q8t_graph_memory_bytes(const q8t_graph *g) {
  size_t bytes = 0;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8t_tensor *t = &g->tensors[i];
    const size_t n = capacity_of(g, t) * sizeof(float);
    bytes += (t->data || t->i32 ? n : 0) + (t->grad ? n : 0) + (t->momentum ? n : 0);
  }
  if (g->scratch != NULL) {
    bytes += (size_t)q8t_threads_count(g->threads) * g->scratch_floats * sizeof(float);
  }
  return bytes;
}
