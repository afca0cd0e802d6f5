/* Work counts of a prepared model, for reports (q8 info, benchmarks). */
#ifndef Q8_RUNTIME_STATS_H
#define Q8_RUNTIME_STATS_H

#include <stdint.h>

#include "q8/q8.h"

/* Multiply-accumulates of node n (convolutions and fully connected layers; 0 for others). */
uint64_t q8_interp_node_macs(const q8_interp *interp, int32_t n);
/* Sum over all nodes. */
uint64_t q8_interp_macs(const q8_interp *interp);

#endif
