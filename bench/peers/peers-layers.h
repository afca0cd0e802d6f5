/* bench-peers --layers: the layer shapes and their one-operator models. */
#ifndef Q8_BENCH_PEERS_LAYERS_H
#define Q8_BENCH_PEERS_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"

/* A square input h x h x c, SAME padding, ReLU6 (FC: 1 x c -> oc, no activation). */
typedef struct peer_layer_shape {
  const char *name;
  q8_op_kind kind;
  int32_t h, c, oc, k, stride;
} peer_layer_shape;

extern const peer_layer_shape peer_layer_shapes[];
extern const int peer_layer_shape_count;

/* The layer as a .tflite file in memory (malloc'd; free()): int8 with per-channel convolution
   weights (per-tensor for FULLY_CONNECTED, as TFLite writes them), or float32. */
q8_status peer_layer_model(const peer_layer_shape *s, bool is_float, uint8_t **file, size_t *size,
                           q8_error *error);

#endif
