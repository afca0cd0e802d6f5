/* Test helper: runs a q8 graph (one a converter built, say) with every operator's output made a
   graph output, so the runtime's memory planner keeps each one readable after invoke. */
#ifndef Q8_TEST_GRAPH_RUNNER_H
#define Q8_TEST_GRAPH_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/graph.h"
#include "q8/q8.h"

#define T_RUNNER_MAX_OUTPUTS 64

typedef struct t_runner {
  uint8_t *bytes; /* the encoded model */
  q8_model *model;
  q8_interp *interp;
  int32_t n_outputs;
  int32_t outputs[T_RUNNER_MAX_OUTPUTS]; /* graph tensor of each output: the graph's own first */
} t_runner;

/* Adds every operator output to g's outputs (after its own, in g's pool), encodes g
   (q8_tflite_write), loads and prepares it. Returns false, with a check failure recorded that
   gives the runtime's message, when any step fails. */
bool t_runner_init(t_runner *r, q8_graph *g);
void t_runner_free(t_runner *r);

/* The bytes of graph tensor t after the last invoke, NULL when t is not an output. */
const void *t_runner_tensor(t_runner *r, int32_t t);

#endif
