/* Internal structures of the runtime: a loaded model and a prepared interpreter. */
#ifndef Q8_RUNTIME_RUNTIME_H
#define Q8_RUNTIME_RUNTIME_H

#include <stdbool.h>

#include "core/error.h"
#include "core/graph.h"
#include "core/pool.h"
#include "ops/op.h"

struct q8_model {
  q8_graph *graph;
  const uint8_t *bytes; /* the file's bytes (mapped or owned) */
  size_t size;
  void *mapping;        /* non-NULL when bytes are an mmap of a file */
  void *owned_copy;     /* non-NULL when load_memory copied the bytes */
};

/* Lifetime of an activation tensor, in node indices: written by node first (-1 for graph
   inputs), last read by node last (n_nodes for graph outputs, which stay readable). */
typedef struct q8_lifetime {
  int32_t first;
  int32_t last;
} q8_lifetime;

/* Checks that every activation is written by one operator that runs before its readers, that
   no operator reads its own output, that constants and graph inputs are never written and
   graph outputs always are (INVALID_MODEL naming the operator and tensor; a reader running
   before its writer is named as a cycle or as operators out of order), and fills life[t]
   for every tensor ({INT32_MAX, -1}: not an activation in use). */
q8_status q8_check_data_flow(const q8_graph *g, q8_lifetime *life, q8_error *error);

struct q8_interp {
  const q8_model *model;
  int32_t n_tensors;
  q8_tensor *tensors;    /* the interpreter's copy, with shapes set by prepare */
  void **tensor_data;    /* per tensor: constant data (aligned) or its place in the arena */
  q8_op_plan *plans;     /* per node */
  const void **node_inputs; /* per node, plans' input pointer arrays, back to back */
  void **node_outputs;
  int32_t *node_input_start;  /* index of each node's first entry in node_inputs */
  int32_t *node_output_start;
  uint8_t *arena;
  size_t arena_size;     /* planned bytes for activations plus scratch */
  size_t unshared_size;  /* activations' total without sharing, for reports */
  bool owns_arena;
  void *scratch;
  bool *input_set;       /* per graph input: set since load */
  q8_isa isa;            /* the kernel path (never AUTO) */
  struct q8_threadpool *threads; /* never NULL once prepared */
  q8_pool pool;          /* everything above plus operator parameters */
  q8_error last_error;
};

/* Plans the arena: offsets[t] for each tensor with a lifetime (first <= last), or SIZE_MAX
   for others; sizes[t] bytes. Tensors whose lifetimes overlap never share bytes; offsets
   are aligned to 64. Returns the arena size in bytes, or SIZE_MAX when out of memory or when
   the sizes add up past SIZE_MAX. */
size_t q8_plan_arena(int32_t n_tensors, const q8_lifetime *lifetimes, const size_t *sizes,
                     size_t *offsets);

/* Runs every node once (integer arithmetic only). */
void q8_invoke_nodes(const q8_interp *interp);

/* Bytes of tensor t as the last invoke left them, or NULL when t is out of range, has no data,
   or the memory planner may have handed its bytes to a tensor written after it. Intact are
   constants, graph inputs and outputs (alive for the whole invoke), and every input and
   output of the last operator: the planner shares bytes only between tensors whose lifetimes
   do not overlap, and no tensor is written after the last operator (scratch memory lies
   outside the activations). So the logits that feed a final SOFTMAX can be read after invoke
   (q8 eval ranks by them); those of a SOFTMAX followed by another operator cannot. */
const void *q8_interp_tensor_after_invoke(const q8_interp *interp, int32_t t);

#endif
