/* TFLite flatbuffer writer: encodes q8's graph as a standard .tflite file. */
#ifndef Q8_TFLITE_WRITER_H
#define Q8_TFLITE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"
#include "q8/q8.h"

/* Encodes graph (one subgraph, schema version 3, identifier "TFL3") the way TFLite's
   converter does: one OperatorCode per operator kind used, with deprecated_builtin_code =
   min(code, 127), builtin_code = code and the version the operator's parameters need;
   buffer 0 empty; one buffer per constant tensor, its data aligned to 16 bytes; 1-D
   per-channel tensors (biases) with quantized_dimension 0.
   On success *data is a malloc'd file of *size bytes (free() it). Errors:
     Q8_ERROR_INVALID_ARGUMENT  NULL pointers, or a graph the format cannot express
                                (tensor index out of range, rank above Q8_MAX_RANK,
                                constant data whose size disagrees with the shape);
     Q8_ERROR_OUT_OF_MEMORY. */
q8_status q8_tflite_write(const q8_graph *graph, uint8_t **data, size_t *size, q8_error *error);

/* q8_tflite_write, then writes the file atomically: a temporary file beside path, fsync,
   rename over path (a crash leaves either the old file or the new one, never half of one).
   Q8_ERROR_IO names the path and the system's reason. */
q8_status q8_tflite_write_file(const q8_graph *graph, const char *path, q8_error *error);

#endif
