/* Loading a model: map or copy the file, decode it, refuse what this build cannot run. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "tflite/reader.h"

const char *q8_version_string(void) { return "0.1.0"; }

/* Every operator must have a prepare function in this build, and the integer-only build
   refuses any operator that reads or writes float32 (QUANTIZE from float, DEQUANTIZE). */
static q8_status check_operators_available(const q8_graph *g, q8_error *error) {
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const q8_node *node = &g->nodes[i];
    bool uses_float = false;
    for (int32_t k = 0; k < node->n_inputs; k++)
      uses_float |= node->inputs[k] >= 0 && g->tensors[node->inputs[k]].type == Q8_TYPE_FLOAT32;
    for (int32_t k = 0; k < node->n_outputs; k++)
      uses_float |= g->tensors[node->outputs[k]].type == Q8_TYPE_FLOAT32;
#ifdef Q8_INTEGER_ONLY
    const bool refuse_float = true;
#else
    const bool refuse_float = false;
#endif
    if ((unsigned)node->kind >= Q8_OP_COUNT || q8_op_prepare_table[node->kind] == NULL ||
        (uses_float && refuse_float)) {
      return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                     "operator %d (%s) reads or writes float32, which needs floating point; "
                     "this is the integer-only build of q8",
                     (int)i, q8_op_name(node->kind));
    }
  }
  return Q8_OK;
}

static q8_status finish_load(q8_model *model, q8_model **out, q8_error *error) {
  q8_status s = q8_tflite_read(model->bytes, model->size, &model->graph, error);
  if (s == Q8_OK) s = check_operators_available(model->graph, error);
  if (s != Q8_OK) {
    q8_model_free(model);
    return s;
  }
  *out = model;
  return Q8_OK;
}

q8_status q8_model_load_memory(const void *data, size_t size, int copy, q8_model **out,
                               q8_error *error) {
  if (out == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "model pointer is NULL");
  *out = NULL;
  if (data == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "model data is NULL");
  q8_model *model = calloc(1, sizeof *model);
  if (model == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  if (copy) {
    /* 16-byte alignment keeps the flatbuffer's own alignment of int32 data. */
    model->owned_copy = aligned_alloc(16, (size + 15) / 16 * 16 + 16);
    if (model->owned_copy == NULL) {
      free(model);
      return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory copying %zu bytes", size);
    }
    memcpy(model->owned_copy, data, size);
    model->bytes = model->owned_copy;
  } else {
    model->bytes = data;
  }
  model->size = size;
  return finish_load(model, out, error);
}

q8_status q8_model_load_file(const char *path, q8_model **out, q8_error *error) {
  if (out == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "model pointer is NULL");
  *out = NULL;
  if (path == NULL) return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "model path is NULL");
  int fd = open(path, O_RDONLY);
  if (fd < 0) return q8_fail(error, Q8_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return q8_fail(error, Q8_ERROR_IO, "%s: not a regular file", path);
  }
  if (st.st_size == 0) {
    close(fd);
    return q8_fail(error, Q8_ERROR_MALFORMED, "%s: empty file (0 bytes), not a .tflite model",
                   path);
  }
  void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED)
    return q8_fail(error, Q8_ERROR_IO, "%s: cannot map: %s", path, strerror(errno));
  q8_model *model = calloc(1, sizeof *model);
  if (model == NULL) {
    munmap(map, (size_t)st.st_size);
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  model->mapping = map;
  model->bytes = map;
  model->size = (size_t)st.st_size;
  q8_status s = finish_load(model, out, error);
  if (s != Q8_OK) q8_error_prefix(error, "%s", path);
  return s;
}

void q8_model_free(q8_model *model) {
  if (model == NULL) return;
  q8_graph_free(model->graph);
  if (model->mapping != NULL) munmap(model->mapping, model->size);
  free(model->owned_copy);
  free(model);
}
