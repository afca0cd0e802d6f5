/* Work counts of a prepared model, for reports (q8 info, benchmarks). */
#include "runtime/runtime.h"
#include "runtime/stats.h"

uint64_t q8_interp_node_macs(const q8_interp *it, int32_t n) {
  const q8_node *node = &it->model->graph->nodes[n];
  if (node->n_inputs < 2 || node->n_outputs < 1 || node->inputs[1] < 0) return 0;
  const q8_tensor *filter = &it->tensors[node->inputs[1]];
  const uint64_t out = q8_tensor_elements(&it->tensors[node->outputs[0]]);
  switch (node->kind) {
    case Q8_OP_CONV_2D:
      if (filter->rank != 4) return 0;
      return out * (uint64_t)filter->dims[1] * (uint64_t)filter->dims[2] * (uint64_t)filter->dims[3];
    case Q8_OP_DEPTHWISE_CONV_2D:
      if (filter->rank != 4) return 0;
      return out * (uint64_t)filter->dims[1] * (uint64_t)filter->dims[2];
    case Q8_OP_FULLY_CONNECTED:
      if (filter->rank != 2) return 0;
      return out * (uint64_t)filter->dims[1];
    default:
      return 0;
  }
}

uint64_t q8_interp_macs(const q8_interp *it) {
  uint64_t total = 0;
  for (int32_t n = 0; n < it->model->graph->n_nodes; n++) total += q8_interp_node_macs(it, n);
  return total;
}
