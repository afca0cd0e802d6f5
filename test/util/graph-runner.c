/* Test helper: a q8 graph run with every operator output readable (see graph-runner.h). */
#include "graph-runner.h"

#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "tflite/writer.h"

static bool listed(const t_runner *r, int32_t t) {
  for (int32_t i = 0; i < r->n_outputs; i++)
    if (r->outputs[i] == t) return true;
  return false;
}

bool t_runner_init(t_runner *r, q8_graph *g) {
  memset(r, 0, sizeof *r);
  for (int32_t i = 0; i < g->n_outputs && r->n_outputs < T_RUNNER_MAX_OUTPUTS; i++)
    r->outputs[r->n_outputs++] = g->outputs[i];
  for (int32_t n = 0; n < g->n_nodes && r->n_outputs < T_RUNNER_MAX_OUTPUTS; n++)
    if (!listed(r, g->nodes[n].outputs[0])) r->outputs[r->n_outputs++] = g->nodes[n].outputs[0];
  int32_t *outputs = q8_pool_dup(&g->pool, r->outputs, sizeof(int32_t) * (size_t)r->n_outputs);
  if (outputs == NULL) return false;
  g->outputs = outputs;
  g->n_outputs = r->n_outputs;
  q8_error err;
  size_t size = 0;
  if (q8_tflite_write(g, &r->bytes, &size, &err) != Q8_OK ||
      q8_model_load_memory(r->bytes, size, 0, &r->model, &err) != Q8_OK ||
      q8_interp_init(r->model, NULL, &r->interp, &err) != Q8_OK) {
    T_CHECK(0, "the graph does not run: %s", err.message);
    t_runner_free(r);
    return false;
  }
  return true;
}

void t_runner_free(t_runner *r) {
  q8_interp_free(r->interp);
  q8_model_free(r->model);
  free(r->bytes);
  memset(r, 0, sizeof *r);
}

const void *t_runner_tensor(t_runner *r, int32_t t) {
  for (int32_t i = 0; i < r->n_outputs; i++) {
    const void *data = NULL;
    if (r->outputs[i] == t && q8_interp_output_data(r->interp, i, &data) == Q8_OK) return data;
  }
  return NULL;
}
