/* Deep comparison of two q8 graphs (tensors, constant bytes, quantization, nodes, options). */
#ifndef Q8_TEST_GRAPH_COMPARE_H
#define Q8_TEST_GRAPH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/graph.h"

/* True when a and b describe the same model. Operator versions are compared only when
   compare_versions is set (a writer recomputes them). Otherwise why (why_size bytes) says
   where they first differ: "tensor 3 'conv1': dims[2] 16 vs 8". */
bool t_graphs_equal(const q8_graph *a, const q8_graph *b, bool compare_versions, char *why,
                    size_t why_size);

#endif
