/* State shared by the TFLite writer's files (model level and operators). */
#ifndef Q8_TFLITE_WRITER_INTERNAL_H
#define Q8_TFLITE_WRITER_INTERNAL_H

#include "core/graph.h"
#include "tflite/fb-builder.h"

typedef struct q8_tfl_writer {
  q8_fbb b;
  const q8_graph *graph;
  q8_error *error;
  uint32_t *buffer_of;        /* tensor -> Buffer index (0: none) */
  int32_t *tensor_of_buffer;  /* Buffer index -> the first tensor holding its bytes */
  uint32_t n_buffers;
  int32_t opcode_of_kind[Q8_OP_COUNT]; /* -1 when unused */
  q8_op_kind kind_of_opcode[Q8_OP_COUNT];
  int32_t version_of_opcode[Q8_OP_COUNT];
  int32_t n_opcodes;
} q8_tfl_writer;

/* The version TFLite's converter gives the operator (tools/versioning/op_version.cc) for
   the features it uses: int8 kernels, dilation, keep_num_dims, a missing bias, ... */
int32_t q8_tfl_operator_version(const q8_graph *g, const q8_node *node);

/* Encodes operator i of the graph: opcode index, tensors and builtin options. */
q8_fbb_ref q8_tfl_encode_operator(q8_tfl_writer *w, int32_t i);

#endif
