/* The interpreter's public calls after prepare: inspect, set inputs, invoke, read outputs. */
#include <string.h>

#include "core/threadpool.h"
#include "runtime/runtime.h"
#include "runtime/internal-io.h"

const char *q8_interp_last_error(const q8_interp *interp) {
  return interp != NULL ? interp->last_error.message : "interpreter is NULL";
}

size_t q8_interp_arena_size(const q8_interp *interp) {
  return interp != NULL ? interp->arena_size : 0;
}

q8_isa q8_interp_isa(const q8_interp *interp) {
  return interp != NULL ? interp->isa : Q8_ISA_AUTO;
}

int32_t q8_interp_threads(const q8_interp *interp) {
  return interp != NULL ? q8_threadpool_size(interp->threads) : 0;
}

size_t q8_interp_unshared_size(const q8_interp *interp) {
  return interp != NULL ? interp->unshared_size : 0;
}

size_t q8_interp_persistent_size(const q8_interp *interp) {
  return interp != NULL ? interp->pool.total : 0;
}

int32_t q8_interp_input_count(const q8_interp *interp) {
  return interp != NULL ? interp->model->graph->n_inputs : 0;
}

int32_t q8_interp_output_count(const q8_interp *interp) {
  return interp != NULL ? interp->model->graph->n_outputs : 0;
}

static void fill_info(const q8_tensor *t, q8_tensor_info *info) {
  memset(info, 0, sizeof *info);
  info->name = t->name;
  info->type = t->type;
  info->rank = t->rank;
  memcpy(info->dims, t->dims, sizeof(int32_t) * (size_t)t->rank);
  info->bytes = q8_tensor_elements(t) * q8_type_size(t->type);
  if (t->quant.count > 0) {
    info->quant.scale = t->quant.scale[0];
    info->quant.zero_point = t->quant.zero_point[0];
  }
}

int32_t q8_interp_io_tensor(q8_interp *interp, bool output, int32_t index) {
  int32_t t = q8_interp_io_tensor_index(interp, output, index);
  if (t < 0) {
    const q8_graph *g = interp->model->graph;
    int32_t count = output ? g->n_outputs : g->n_inputs;
    q8_fail(&interp->last_error, Q8_ERROR_INVALID_ARGUMENT,
            "%s index %d is out of range: the model has %d %s", output ? "output" : "input",
            (int)index, (int)count, output ? "outputs" : "inputs");
  }
  return t;
}

int32_t q8_interp_io_tensor_index(const q8_interp *interp, bool output, int32_t index) {
  const q8_graph *g = interp->model->graph;
  int32_t count = output ? g->n_outputs : g->n_inputs;
  if (index < 0 || index >= count) return -1;
  return output ? g->outputs[index] : g->inputs[index];
}

static q8_status io_info(const q8_interp *interp, bool output, int32_t index,
                         q8_tensor_info *info) {
  if (interp == NULL || info == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  /* The info calls take a const interpreter, so they report a bad index by status only. */
  int32_t t = q8_interp_io_tensor_index(interp, output, index);
  if (t < 0) return Q8_ERROR_INVALID_ARGUMENT;
  fill_info(&interp->tensors[t], info);
  return Q8_OK;
}

q8_status q8_interp_input_info(const q8_interp *interp, int32_t index, q8_tensor_info *info) {
  return io_info(interp, false, index, info);
}

q8_status q8_interp_output_info(const q8_interp *interp, int32_t index, q8_tensor_info *info) {
  return io_info(interp, true, index, info);
}

size_t q8_interp_tensor_bytes(const q8_interp *interp, int32_t t) {
  return q8_tensor_elements(&interp->tensors[t]) * q8_type_size(interp->tensors[t].type);
}

q8_status q8_interp_set_input(q8_interp *interp, int32_t index, const void *data, size_t size) {
  if (interp == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  int32_t t = q8_interp_io_tensor(interp, false, index);
  if (t < 0) return Q8_ERROR_INVALID_ARGUMENT;
  size_t want = q8_interp_tensor_bytes(interp, t);
  if (data == NULL || size != want)
    return q8_fail(&interp->last_error, Q8_ERROR_INVALID_ARGUMENT,
                   "input %d '%s' takes %zu bytes of %s; got %zu%s", (int)index,
                   interp->tensors[t].name, want, q8_type_name(interp->tensors[t].type), size,
                   data == NULL ? " (NULL data)" : "");
  memcpy(interp->tensor_data[t], data, size);
  interp->input_set[index] = true;
  return Q8_OK;
}

q8_status q8_interp_invoke(q8_interp *interp) {
  if (interp == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  const q8_graph *g = interp->model->graph;
  for (int32_t i = 0; i < g->n_inputs; i++)
    if (!interp->input_set[i])
      return q8_fail(&interp->last_error, Q8_ERROR_STATE,
                     "input %d '%s' has not been set before invoke", (int)i,
                     interp->tensors[g->inputs[i]].name);
  q8_invoke_nodes(interp);
  return Q8_OK;
}

q8_status q8_interp_output_data(q8_interp *interp, int32_t index, const void **data) {
  if (interp == NULL || data == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  int32_t t = q8_interp_io_tensor(interp, true, index);
  if (t < 0) return Q8_ERROR_INVALID_ARGUMENT;
  *data = interp->tensor_data[t];
  return Q8_OK;
}

static bool in_list(int32_t t, const int32_t *list, int32_t n) {
  for (int32_t i = 0; i < n; i++)
    if (list[i] == t) return true;
  return false;
}

const void *q8_interp_tensor_after_invoke(const q8_interp *interp, int32_t t) {
  if (interp == NULL || t < 0 || t >= interp->n_tensors) return NULL;
  const q8_graph *g = interp->model->graph;
  const q8_node *last = g->n_nodes > 0 ? &g->nodes[g->n_nodes - 1] : NULL;
  const bool intact = interp->tensors[t].data != NULL || in_list(t, g->inputs, g->n_inputs) ||
                      in_list(t, g->outputs, g->n_outputs) ||
                      (last != NULL && (in_list(t, last->inputs, last->n_inputs) ||
                                        in_list(t, last->outputs, last->n_outputs)));
  return intact ? interp->tensor_data[t] : NULL;
}

q8_status q8_interp_get_output(q8_interp *interp, int32_t index, void *data, size_t size) {
  if (interp == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  int32_t t = q8_interp_io_tensor(interp, true, index);
  if (t < 0) return Q8_ERROR_INVALID_ARGUMENT;
  size_t have = q8_interp_tensor_bytes(interp, t);
  if (data == NULL || size != have)
    return q8_fail(&interp->last_error, Q8_ERROR_INVALID_ARGUMENT,
                   "output %d '%s' has %zu bytes of %s; the buffer has %zu", (int)index,
                   interp->tensors[t].name, have, q8_type_name(interp->tensors[t].type), size);
  memcpy(data, interp->tensor_data[t], size);
  return Q8_OK;
}

#ifdef Q8_INTEGER_ONLY
q8_status q8_interp_set_input_float(q8_interp *interp, int32_t index, const float *data,
                                    size_t count) {
  (void)index, (void)data, (void)count;
  if (interp == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  return q8_fail(&interp->last_error, Q8_ERROR_UNSUPPORTED,
                 "float input needs floating point; this is the integer-only build");
}

q8_status q8_interp_get_output_float(q8_interp *interp, int32_t index, float *data,
                                     size_t count) {
  (void)index, (void)data, (void)count;
  if (interp == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  return q8_fail(&interp->last_error, Q8_ERROR_UNSUPPORTED,
                 "float output needs floating point; this is the integer-only build");
}
#endif
