/* The TFLite schema as the reader and the writer both need it: field indices of the tables
   q8 uses, and the operators q8 runs with their options table. */
#ifndef Q8_TFLITE_SCHEMA_FIELDS_H
#define Q8_TFLITE_SCHEMA_FIELDS_H

#include <stdint.h>

#include "core/graph.h"

/* Field indices in schema.fbs order (a union takes two: its type, then its value). */
enum { MODEL_VERSION = 0, MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_DESCRIPTION = 3,
       MODEL_BUFFERS = 4 };
enum { OPCODE_DEPRECATED_BUILTIN_CODE = 0, OPCODE_CUSTOM_CODE = 1, OPCODE_VERSION = 2,
       OPCODE_BUILTIN_CODE = 3 };
enum { SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3,
       SUBGRAPH_NAME = 4 };
enum { TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3,
       TENSOR_QUANTIZATION = 4, TENSOR_IS_VARIABLE = 5, TENSOR_SPARSITY = 6,
       TENSOR_EXTERNAL_BUFFER = 10 };
enum { QUANT_MIN = 0, QUANT_MAX = 1, QUANT_SCALE = 2, QUANT_ZERO_POINT = 3, QUANT_DETAILS_TYPE = 4,
       QUANT_QUANTIZED_DIMENSION = 6 };
enum { BUFFER_DATA = 0, BUFFER_OFFSET = 1, BUFFER_SIZE = 2 };
enum { OPERATOR_OPCODE_INDEX = 0, OPERATOR_INPUTS = 1, OPERATOR_OUTPUTS = 2,
       OPERATOR_OPTIONS_TYPE = 3, OPERATOR_OPTIONS = 4 };
enum { CONV_PADDING = 0, CONV_STRIDE_W = 1, CONV_STRIDE_H = 2, CONV_ACTIVATION = 3,
       CONV_DILATION_W = 4, CONV_DILATION_H = 5, CONV_QUANTIZED_BIAS_TYPE = 6 };
enum { DW_PADDING = 0, DW_STRIDE_W = 1, DW_STRIDE_H = 2, DW_DEPTH_MULTIPLIER = 3,
       DW_ACTIVATION = 4, DW_DILATION_W = 5, DW_DILATION_H = 6 };
enum { POOL_PADDING = 0, POOL_STRIDE_W = 1, POOL_STRIDE_H = 2, POOL_FILTER_W = 3,
       POOL_FILTER_H = 4, POOL_ACTIVATION = 5 };
enum { FC_ACTIVATION = 0, FC_WEIGHTS_FORMAT = 1, FC_KEEP_NUM_DIMS = 2,
       FC_ASYMMETRIC_QUANTIZE_INPUTS = 3, FC_QUANTIZED_BIAS_TYPE = 4 };
enum { SOFTMAX_BETA = 0 };
enum { CONCAT_AXIS = 0, CONCAT_ACTIVATION = 1 };
enum { ADD_ACTIVATION = 0 };
enum { RESHAPE_NEW_SHAPE = 0 };
enum { REDUCER_KEEP_DIMS = 0 };
enum { SQUEEZE_DIMS = 0 };

/* The schema version q8 reads and writes (Model.version). */
#define Q8_TFL_SCHEMA_VERSION 3

/* A builtin operator q8 runs, with the options table each one carries. */
typedef struct q8_tfl_op_entry {
  int32_t code; /* BuiltinOperator */
  q8_op_kind kind;
  uint8_t options; /* BuiltinOptions union type; Q8_TFL_OPTIONS_NONE when it has none */
} q8_tfl_op_entry;

/* The entry of a builtin code, or of a q8 kind; NULL when q8 does not run it. */
const q8_tfl_op_entry *q8_tfl_op_by_code(int32_t code);
const q8_tfl_op_entry *q8_tfl_op_by_kind(q8_op_kind kind);

#endif
