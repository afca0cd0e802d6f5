/* State shared by the TFLite reader's files (model/tensors and operators/options). */
#ifndef Q8_TFLITE_READER_INTERNAL_H
#define Q8_TFLITE_READER_INTERNAL_H

#include "core/graph.h"
#include "tflite/flatbuffer.h"

/* One OperatorCode entry, decoded; refusals (custom, unsupported) wait until an operator
   uses it, since converters list opcodes that no operator uses. */
typedef struct q8_tfl_opcode {
  size_t pos;               /* of the OperatorCode table, for messages */
  int32_t builtin_code;     /* max(builtin_code, deprecated_builtin_code) */
  int32_t version;
  q8_fb_string custom_code; /* bytes NULL when absent */
} q8_tfl_opcode;

typedef struct q8_tfl_reader {
  q8_fb fb;
  q8_graph *graph;
  q8_fb_vector buffers; /* Model.buffers (tables) */
  uint32_t n_opcodes;
  q8_tfl_opcode *opcodes; /* in graph->pool */
} q8_tfl_reader;

/* Decodes SubGraph.operators (tensors must be decoded already) into graph->nodes. */
q8_status q8_tfl_read_operators(q8_tfl_reader *r, const q8_fb_vector *operators);

#endif
