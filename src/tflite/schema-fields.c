/* The operators q8 runs, by TFLite builtin code and by q8 kind (see schema-fields.h). */
#include "tflite/schema-fields.h"

#include <stddef.h>

#include "tflite/schema-names.h"

static const q8_tfl_op_entry supported_ops[] = {
    {Q8_TFL_OP_ADD, Q8_OP_ADD, Q8_TFL_OPTIONS_ADD},
    {Q8_TFL_OP_AVERAGE_POOL_2D, Q8_OP_AVERAGE_POOL_2D, Q8_TFL_OPTIONS_POOL_2D},
    {Q8_TFL_OP_CONCATENATION, Q8_OP_CONCATENATION, Q8_TFL_OPTIONS_CONCATENATION},
    {Q8_TFL_OP_CONV_2D, Q8_OP_CONV_2D, Q8_TFL_OPTIONS_CONV_2D},
    {Q8_TFL_OP_DEPTHWISE_CONV_2D, Q8_OP_DEPTHWISE_CONV_2D, Q8_TFL_OPTIONS_DEPTHWISE_CONV_2D},
    {Q8_TFL_OP_DEQUANTIZE, Q8_OP_DEQUANTIZE, Q8_TFL_OPTIONS_DEQUANTIZE},
    {Q8_TFL_OP_FULLY_CONNECTED, Q8_OP_FULLY_CONNECTED, Q8_TFL_OPTIONS_FULLY_CONNECTED},
    {Q8_TFL_OP_LOGISTIC, Q8_OP_LOGISTIC, Q8_TFL_OPTIONS_NONE},
    {Q8_TFL_OP_MAX_POOL_2D, Q8_OP_MAX_POOL_2D, Q8_TFL_OPTIONS_POOL_2D},
    {Q8_TFL_OP_RESHAPE, Q8_OP_RESHAPE, Q8_TFL_OPTIONS_RESHAPE},
    {Q8_TFL_OP_SOFTMAX, Q8_OP_SOFTMAX, Q8_TFL_OPTIONS_SOFTMAX},
    {Q8_TFL_OP_TANH, Q8_OP_TANH, Q8_TFL_OPTIONS_NONE},
    {Q8_TFL_OP_PAD, Q8_OP_PAD, Q8_TFL_OPTIONS_PAD},
    {Q8_TFL_OP_MEAN, Q8_OP_MEAN, Q8_TFL_OPTIONS_REDUCER},
    {Q8_TFL_OP_SQUEEZE, Q8_OP_SQUEEZE, Q8_TFL_OPTIONS_SQUEEZE},
    {Q8_TFL_OP_QUANTIZE, Q8_OP_QUANTIZE, Q8_TFL_OPTIONS_QUANTIZE},
};

#define N_SUPPORTED (sizeof supported_ops / sizeof supported_ops[0])

const q8_tfl_op_entry *q8_tfl_op_by_code(int32_t code) {
  for (size_t i = 0; i < N_SUPPORTED; i++) {
    if (supported_ops[i].code == code) return &supported_ops[i];
  }
  return NULL;
}

const q8_tfl_op_entry *q8_tfl_op_by_kind(q8_op_kind kind) {
  for (size_t i = 0; i < N_SUPPORTED; i++) {
    if (supported_ops[i].kind == kind) return &supported_ops[i];
  }
  return NULL;
}
