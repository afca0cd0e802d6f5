/* q8's in-memory model graph: tensors and operator nodes, independent of the file format. */
#ifndef Q8_CORE_GRAPH_H
#define Q8_CORE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"
#include "q8/q8.h"

/* Quantization of a tensor: real = scale[c] * (q - zero_point[c]).
   count 0: not quantized; 1: per tensor; >1: per channel along axis. */
typedef struct q8_quant {
  int32_t count;
  const float *scale;
  const int32_t *zero_point; /* converted from the file's int64 with a range check */
  int32_t axis;              /* quantized_dimension; meaningful only when count > 1 */
} q8_quant;

typedef struct q8_tensor {
  const char *name; /* NUL-terminated, never NULL ("" when the file has none) */
  q8_type type;
  int32_t rank;
  int32_t dims[Q8_MAX_RANK];
  q8_quant quant;
  /* Constant tensors (weights, biases, shapes, axes): the bytes in the model, possibly
     unaligned (the runtime copies int32/float32 data to aligned memory before prepare).
     NULL for activations. */
  const void *data;
  size_t data_size;
} q8_tensor;

typedef enum q8_op_kind {
  Q8_OP_ADD,
  Q8_OP_AVERAGE_POOL_2D,
  Q8_OP_CONCATENATION,
  Q8_OP_CONV_2D,
  Q8_OP_DEPTHWISE_CONV_2D,
  Q8_OP_DEQUANTIZE,
  Q8_OP_FULLY_CONNECTED,
  Q8_OP_LOGISTIC,
  Q8_OP_MAX_POOL_2D,
  Q8_OP_MEAN,
  Q8_OP_PAD,
  Q8_OP_QUANTIZE,
  Q8_OP_RESHAPE,
  Q8_OP_SOFTMAX,
  Q8_OP_SQUEEZE,
  Q8_OP_TANH,
  Q8_OP_COUNT
} q8_op_kind;

/* Upper-case TFLite name of an operator kind ("CONV_2D"). */
const char *q8_op_name(q8_op_kind kind);

typedef enum q8_padding { Q8_PADDING_SAME, Q8_PADDING_VALID } q8_padding;

typedef enum q8_activation {
  Q8_ACT_NONE,
  Q8_ACT_RELU,
  Q8_ACT_RELU_N1_TO_1,
  Q8_ACT_RELU6
} q8_activation;

const char *q8_activation_name(q8_activation act);

#define Q8_MAX_NODE_INPUTS 16

typedef struct q8_node {
  q8_op_kind kind;
  int32_t version; /* the operator code's version, informational */
  int32_t n_inputs;
  int32_t n_outputs;
  const int32_t *inputs;  /* tensor indices; -1 marks an absent optional input (bias) */
  const int32_t *outputs;
  union {
    struct { /* CONV_2D and DEPTHWISE_CONV_2D */
      q8_padding padding;
      int32_t stride_h, stride_w;
      int32_t dilation_h, dilation_w;
      int32_t depth_multiplier; /* DEPTHWISE_CONV_2D only (0 when the file omits it) */
      q8_activation activation;
    } conv;
    struct { /* AVERAGE_POOL_2D and MAX_POOL_2D */
      q8_padding padding;
      int32_t stride_h, stride_w;
      int32_t filter_h, filter_w;
      q8_activation activation;
    } pool;
    struct {
      q8_activation activation;
      bool keep_num_dims;
    } fully_connected;
    struct {
      q8_activation activation;
    } add;
    struct {
      int32_t axis; /* may be negative, as in the file */
      q8_activation activation;
    } concatenation;
    struct {
      bool has_new_shape; /* ReshapeOptions.new_shape present */
      int32_t rank;
      int32_t new_shape[Q8_MAX_RANK];
    } reshape;
    struct {
      bool keep_dims;
    } reduce;
    struct {
      float beta;
    } softmax;
    struct {
      int32_t n_dims;
      int32_t dims[Q8_MAX_RANK];
    } squeeze;
  } opt;
} q8_node;

typedef struct q8_graph {
  int32_t n_tensors;
  q8_tensor *tensors;
  int32_t n_nodes;
  q8_node *nodes; /* in execution order */
  int32_t n_inputs;
  const int32_t *inputs;
  int32_t n_outputs;
  const int32_t *outputs;
  q8_pool pool; /* owner of every array and string above; released by q8_graph_free */
} q8_graph;

void q8_graph_free(q8_graph *graph);

/* Number of elements of a tensor; 0 when a dimension is negative or the product overflows
   SIZE_MAX / 8 (callers treat 0 with rank > 0 and no zero dimension as an error). */
size_t q8_tensor_elements(const q8_tensor *t);

#endif
