/* Names of TFLite schema enums (operators, tensor types, option tables) for error messages. */
#ifndef Q8_TFLITE_SCHEMA_NAMES_H
#define Q8_TFLITE_SCHEMA_NAMES_H

#include <stdint.h>

/* BuiltinOperator values q8 maps to its own kinds (schema.fbs enum BuiltinOperator). */
enum {
  Q8_TFL_OP_ADD = 0,
  Q8_TFL_OP_AVERAGE_POOL_2D = 1,
  Q8_TFL_OP_CONCATENATION = 2,
  Q8_TFL_OP_CONV_2D = 3,
  Q8_TFL_OP_DEPTHWISE_CONV_2D = 4,
  Q8_TFL_OP_DEQUANTIZE = 6,
  Q8_TFL_OP_FULLY_CONNECTED = 9,
  Q8_TFL_OP_LOGISTIC = 14,
  Q8_TFL_OP_MAX_POOL_2D = 17,
  Q8_TFL_OP_RESHAPE = 22,
  Q8_TFL_OP_SOFTMAX = 25,
  Q8_TFL_OP_TANH = 28,
  Q8_TFL_OP_CUSTOM = 32,
  Q8_TFL_OP_PAD = 34,
  Q8_TFL_OP_MEAN = 40,
  Q8_TFL_OP_SQUEEZE = 43,
  Q8_TFL_OP_QUANTIZE = 114
};

/* TensorType values (schema.fbs enum TensorType). */
enum {
  Q8_TFL_TYPE_FLOAT32 = 0,
  Q8_TFL_TYPE_INT32 = 2,
  Q8_TFL_TYPE_UINT8 = 3,
  Q8_TFL_TYPE_INT8 = 9
};

/* BuiltinOptions union type values (position in schema.fbs union BuiltinOptions, NONE = 0). */
enum {
  Q8_TFL_OPTIONS_NONE = 0,
  Q8_TFL_OPTIONS_CONV_2D = 1,
  Q8_TFL_OPTIONS_DEPTHWISE_CONV_2D = 2,
  Q8_TFL_OPTIONS_POOL_2D = 5,
  Q8_TFL_OPTIONS_FULLY_CONNECTED = 8,
  Q8_TFL_OPTIONS_SOFTMAX = 9,
  Q8_TFL_OPTIONS_CONCATENATION = 10,
  Q8_TFL_OPTIONS_ADD = 11,
  Q8_TFL_OPTIONS_RESHAPE = 17,
  Q8_TFL_OPTIONS_PAD = 22,
  Q8_TFL_OPTIONS_REDUCER = 27,
  Q8_TFL_OPTIONS_SQUEEZE = 30,
  Q8_TFL_OPTIONS_DEQUANTIZE = 38,
  Q8_TFL_OPTIONS_QUANTIZE = 89,
  Q8_TFL_OPTIONS_LAST = 126 /* RightShiftOptions: the union is frozen (schema comment) */
};

/* Schema name of a value ("LSTM", "INT16", "Pool2DOptions"); NULL when out of the schema's range. */
const char *q8_tfl_builtin_operator_name(int64_t code);
const char *q8_tfl_tensor_type_name(int64_t type);
const char *q8_tfl_builtin_options_name(int64_t type);

#endif
