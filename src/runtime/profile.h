/* Per-node timing of an invoke, for benchmarks (q8 bench). Internal: node indices, operator
   kinds and work counts are not public API (see runtime/stats.h), so the profile lives beside
   them. The plain invoke (q8_invoke_nodes) is untouched and pays nothing for it. */
#ifndef Q8_RUNTIME_PROFILE_H
#define Q8_RUNTIME_PROFILE_H

#include <stdint.h>

#include "q8/q8.h"

/* Runs every node once, as q8_interp_invoke does, and stores in node_ns[i] the nanoseconds of
   CLOCK_MONOTONIC that node i took (wall time of the calling thread, so with several threads
   it includes waiting for the others). node_ns has one entry per node. Call it only after a
   successful q8_interp_invoke: it does not check that the inputs are set. Each node costs two
   more clock reads (tens of nanoseconds), so time latency with plain invokes. Integer
   arithmetic only. */
void q8_invoke_nodes_profiled(const q8_interp *interp, int64_t *node_ns);

/* Number of nodes the interpreter runs (the length of node_ns). */
int32_t q8_interp_node_count(const q8_interp *interp);

#endif
