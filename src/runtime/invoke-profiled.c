/* The inference loop with a clock read around each node, for benchmarks. A twin of
   q8_invoke_nodes (invoke.c) rather than a flag in it, so plain invokes stay exactly as they
   were. Integer arithmetic only: timespecs are integers. */
#include <time.h>

#include "runtime/profile.h"
#include "runtime/runtime.h"

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}

void q8_invoke_nodes_profiled(const q8_interp *interp, int64_t *node_ns) {
  const q8_graph *g = interp->model->graph;
  int64_t before = monotonic_ns();
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const q8_op_plan *plan = &interp->plans[i];
    plan->run(plan->params, interp->node_inputs + interp->node_input_start[i],
              interp->node_outputs + interp->node_output_start[i], interp->scratch);
    const int64_t after = monotonic_ns();
    node_ns[i] = after - before;
    before = after;
  }
}

int32_t q8_interp_node_count(const q8_interp *interp) {
  return interp->model->graph->n_nodes;
}
