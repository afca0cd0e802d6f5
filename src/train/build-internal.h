/* The builders' building blocks (build.c), for graph transformations written elsewhere
   (qat.c): a tensor or a node recorded with the builders' checks (unique names, positive
   dimensions, the graph's first error kept), appended at the end of the graph. */
#ifndef Q8_TRAIN_BUILD_INTERNAL_H
#define Q8_TRAIN_BUILD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "train/graph.h"

/* A new tensor "<node>" (what == NULL) or "<node>/<what>"; dims[0] follows the batch when
   batched. Returns its index, or -1 (the graph keeps the error). */
int32_t q8t_build_tensor(q8t_graph *g, const char *node, const char *what, q8t_role role,
                         int32_t rank, const int32_t *dims, bool batched);

/* A new node named name at the end of the node list, with a new activation tensor of that
   name as its output; no inputs yet. NULL on error (kept by the graph). The pointer is valid
   until the next node is added. */
q8t_node *q8t_build_node(q8t_graph *g, q8t_op op, const char *name, int32_t rank,
                         const int32_t *out_dims, bool batched);

#endif
