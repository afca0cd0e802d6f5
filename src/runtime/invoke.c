/* The inference loop: runs each prepared node in order. Integer arithmetic only. */
#include "runtime/runtime.h"

void q8_invoke_nodes(const q8_interp *interp) {
  const q8_graph *g = interp->model->graph;
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const q8_op_plan *plan = &interp->plans[i];
    plan->run(plan->params, interp->node_inputs + interp->node_input_start[i],
              interp->node_outputs + interp->node_output_start[i], interp->scratch);
  }
}
