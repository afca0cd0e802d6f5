/* Hand-made .tflite models for tests: a plain description (model_spec) built into a file with
   the flatbuffer builder, and the positions of its parts so that tests can break them. */
#ifndef Q8_TEST_TFLITE_SPEC_H
#define Q8_TEST_TFLITE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tflite/fb-builder.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SPEC_MAX_TENSORS 12
#define SPEC_MAX_BUFFERS 12
#define SPEC_MAX_OPS 4
#define SPEC_MAX_OPCODES 4

typedef struct spec_tensor {
  const char *name;
  int8_t type; /* TensorType: 0 FLOAT32, 2 INT32, 3 UINT8, 9 INT8 */
  int rank;
  int32_t dims[8];
  uint32_t buffer;
  int n_quant; /* scales; -1: no quantization table */
  float scale[8];
  int64_t zero_point[8];
  int n_zero_points; /* -1: as many as scales */
  int32_t qdim;
  uint8_t details_type;
  bool is_variable, sparse;
  uint32_t external_buffer; /* Tensor.external_buffer; 0: not written */
} spec_tensor;

typedef struct spec_option {
  int field;
  char kind; /* 'b' byte, 'i' int32, 'f' float32, 'v' int32 vector */
  int32_t i;
  float f;
  int n;
  int32_t v[8];
} spec_option;

typedef struct spec_op {
  uint32_t opcode_index;
  int n_inputs, n_outputs;
  int32_t inputs[8], outputs[4];
  uint8_t options_type;
  bool options_table; /* write the table (type may still be NONE) */
  int n_options;
  spec_option options[8];
} spec_op;

typedef struct spec_opcode {
  int8_t deprecated;
  int32_t builtin;
  const char *custom;
  int32_t version;
} spec_opcode;

typedef struct spec_buffer {
  uint32_t n; /* bytes of data; 0 = no data vector */
  uint64_t offset; /* Buffer.offset (with Buffer.size 16) when not 0 */
  const void *bytes; /* the n bytes; NULL: a pattern (byte k of buffer i is k * 7 + i) */
} spec_buffer;

typedef struct model_spec {
  char identifier[5];
  uint32_t version;
  int n_subgraphs;
  int n_opcodes;
  spec_opcode opcodes[SPEC_MAX_OPCODES];
  int n_buffers;
  spec_buffer buffers[SPEC_MAX_BUFFERS];
  int n_tensors;
  spec_tensor tensors[SPEC_MAX_TENSORS];
  int n_ops;
  spec_op ops[SPEC_MAX_OPS];
  int n_inputs, n_outputs;
  int32_t inputs[4], outputs[4];
  /* Place the buffers (tables and data) before the subgraph in the file instead of at its
     end, so that a Buffer.data offset (uoffsets point forward only) can reach the tables. */
  bool buffers_first;
} model_spec;

/* A built file (malloc'd data) and where its parts landed (file offsets). */
typedef struct built_model {
  uint8_t *data;
  size_t size;
  size_t shape_pos[SPEC_MAX_TENSORS];  /* each tensor's shape vector */
  size_t name_pos[SPEC_MAX_TENSORS];   /* each tensor's name string */
  size_t tensors_pos;                  /* SubGraph.tensors vector */
  size_t op_inputs_pos;                /* operator 0's inputs vector */
  size_t buffer_pos[SPEC_MAX_BUFFERS]; /* each Buffer table */
  size_t data_pos[SPEC_MAX_BUFFERS];   /* each Buffer.data vector (0 when absent) */
} built_model;

/* Builds the file; data is NULL when the builder failed. */
built_model build_model(const model_spec *s);

/* Little-endian u32 at p. */
void spec_put_u32(uint8_t *p, uint32_t v);
uint32_t spec_get_u32(const uint8_t *p);

/* Position of field `field` of the table at table_pos in a built file; 0 when absent. */
size_t spec_field_pos(const uint8_t *data, size_t table_pos, int field);

/* Points the uoffset stored at `at` to `target` (which must lie after it). */
void spec_point_offset(uint8_t *data, size_t at, size_t target);

#ifdef __cplusplus
}
#endif
#endif
