/* Deep comparison of two q8 graphs (see graph-compare.h). */
#include "util/graph-compare.h"

#include <stdio.h>
#include <string.h>

static bool differ(char *why, size_t size, const char *fmt, const char *what, long long x,
                   long long y) {
  snprintf(why, size, fmt, what, x, y);
  return false;
}

#define SAME(x, y, what)                                                             \
  do {                                                                               \
    if ((long long)(x) != (long long)(y))                                            \
      return differ(why, why_size, "%s: %lld vs %lld", what, (long long)(x), (long long)(y)); \
  } while (0)

static bool quant_equal(const q8_quant *a, const q8_quant *b, char *why, size_t why_size) {
  SAME(a->count, b->count, "quantization count");
  if (a->count > 1) SAME(a->axis, b->axis, "quantization axis");
  for (int32_t c = 0; c < a->count; c++) {
    SAME(a->zero_point[c], b->zero_point[c], "zero point");
    if (memcmp(&a->scale[c], &b->scale[c], sizeof(float)) != 0) {
      snprintf(why, why_size, "scale[%d]: %.9g vs %.9g", (int)c, (double)a->scale[c],
               (double)b->scale[c]);
      return false;
    }
  }
  return true;
}

static bool tensor_equal(const q8_tensor *a, const q8_tensor *b, char *why, size_t why_size) {
  if (strcmp(a->name, b->name) != 0) {
    snprintf(why, why_size, "name '%s' vs '%s'", a->name, b->name);
    return false;
  }
  SAME(a->type, b->type, "type");
  SAME(a->rank, b->rank, "rank");
  for (int32_t d = 0; d < a->rank; d++) SAME(a->dims[d], b->dims[d], "a dimension");
  SAME(a->data != NULL, b->data != NULL, "constant");
  SAME(a->data_size, b->data_size, "data size");
  if (a->data != NULL && memcmp(a->data, b->data, a->data_size) != 0) {
    snprintf(why, why_size, "constant bytes differ");
    return false;
  }
  return quant_equal(&a->quant, &b->quant, why, why_size);
}

static bool list_equal(const int32_t *a, int32_t na, const int32_t *b, int32_t nb,
                       const char *what, char *why, size_t why_size) {
  SAME(na, nb, what);
  for (int32_t k = 0; k < na; k++) SAME(a[k], b[k], what);
  return true;
}

/* The options that matter for each kind (the union's other bytes are undefined). */
static bool options_equal(const q8_node *a, const q8_node *b, char *why, size_t why_size) {
  switch (a->kind) {
    case Q8_OP_CONV_2D:
    case Q8_OP_DEPTHWISE_CONV_2D:
      SAME(a->opt.conv.padding, b->opt.conv.padding, "padding");
      SAME(a->opt.conv.stride_h, b->opt.conv.stride_h, "stride_h");
      SAME(a->opt.conv.stride_w, b->opt.conv.stride_w, "stride_w");
      SAME(a->opt.conv.dilation_h, b->opt.conv.dilation_h, "dilation_h");
      SAME(a->opt.conv.dilation_w, b->opt.conv.dilation_w, "dilation_w");
      SAME(a->opt.conv.depth_multiplier, b->opt.conv.depth_multiplier, "depth_multiplier");
      SAME(a->opt.conv.activation, b->opt.conv.activation, "activation");
      return true;
    case Q8_OP_AVERAGE_POOL_2D:
    case Q8_OP_MAX_POOL_2D:
      SAME(a->opt.pool.padding, b->opt.pool.padding, "padding");
      SAME(a->opt.pool.stride_h, b->opt.pool.stride_h, "stride_h");
      SAME(a->opt.pool.stride_w, b->opt.pool.stride_w, "stride_w");
      SAME(a->opt.pool.filter_h, b->opt.pool.filter_h, "filter_h");
      SAME(a->opt.pool.filter_w, b->opt.pool.filter_w, "filter_w");
      SAME(a->opt.pool.activation, b->opt.pool.activation, "activation");
      return true;
    case Q8_OP_FULLY_CONNECTED:
      SAME(a->opt.fully_connected.activation, b->opt.fully_connected.activation, "activation");
      SAME(a->opt.fully_connected.keep_num_dims, b->opt.fully_connected.keep_num_dims,
           "keep_num_dims");
      return true;
    case Q8_OP_ADD: SAME(a->opt.add.activation, b->opt.add.activation, "activation"); return true;
    case Q8_OP_CONCATENATION:
      SAME(a->opt.concatenation.axis, b->opt.concatenation.axis, "axis");
      SAME(a->opt.concatenation.activation, b->opt.concatenation.activation, "activation");
      return true;
    case Q8_OP_RESHAPE:
      SAME(a->opt.reshape.has_new_shape, b->opt.reshape.has_new_shape, "has_new_shape");
      return list_equal(a->opt.reshape.new_shape, a->opt.reshape.rank, b->opt.reshape.new_shape,
                        b->opt.reshape.rank, "new_shape", why, why_size);
    case Q8_OP_MEAN: SAME(a->opt.reduce.keep_dims, b->opt.reduce.keep_dims, "keep_dims"); return true;
    case Q8_OP_SOFTMAX:
      if (memcmp(&a->opt.softmax.beta, &b->opt.softmax.beta, sizeof(float)) != 0) {
        snprintf(why, why_size, "beta %g vs %g", (double)a->opt.softmax.beta,
                 (double)b->opt.softmax.beta);
        return false;
      }
      return true;
    case Q8_OP_SQUEEZE:
      return list_equal(a->opt.squeeze.dims, a->opt.squeeze.n_dims, b->opt.squeeze.dims,
                        b->opt.squeeze.n_dims, "squeeze_dims", why, why_size);
    case Q8_OP_DEQUANTIZE:
    case Q8_OP_LOGISTIC:
    case Q8_OP_PAD:
    case Q8_OP_QUANTIZE:
    case Q8_OP_TANH:
    case Q8_OP_COUNT: break;
  }
  return true;
}

static bool node_equal(const q8_node *a, const q8_node *b, bool versions, char *why,
                       size_t why_size) {
  SAME(a->kind, b->kind, "kind");
  if (versions) SAME(a->version, b->version, "version");
  return list_equal(a->inputs, a->n_inputs, b->inputs, b->n_inputs, "inputs", why, why_size) &&
         list_equal(a->outputs, a->n_outputs, b->outputs, b->n_outputs, "outputs", why,
                    why_size) &&
         options_equal(a, b, why, why_size);
}

static void prefix(char *why, size_t why_size, const char *fmt, int index, const char *name) {
  char rest[512];
  snprintf(rest, sizeof rest, "%s", why);
  char head[256];
  snprintf(head, sizeof head, fmt, index, name);
  snprintf(why, why_size, "%s: %s", head, rest);
}

bool t_graphs_equal(const q8_graph *a, const q8_graph *b, bool compare_versions, char *why,
                    size_t why_size) {
  SAME(a->n_tensors, b->n_tensors, "tensor count");
  SAME(a->n_nodes, b->n_nodes, "operator count");
  if (!list_equal(a->inputs, a->n_inputs, b->inputs, b->n_inputs, "graph inputs", why, why_size) ||
      !list_equal(a->outputs, a->n_outputs, b->outputs, b->n_outputs, "graph outputs", why,
                  why_size))
    return false;
  for (int32_t i = 0; i < a->n_tensors; i++) {
    if (!tensor_equal(&a->tensors[i], &b->tensors[i], why, why_size)) {
      prefix(why, why_size, "tensor %d '%s'", (int)i, a->tensors[i].name);
      return false;
    }
  }
  for (int32_t n = 0; n < a->n_nodes; n++) {
    if (!node_equal(&a->nodes[n], &b->nodes[n], compare_versions, why, why_size)) {
      prefix(why, why_size, "operator %d (%s)", (int)n, q8_op_name(a->nodes[n].kind));
      return false;
    }
  }
  return true;
}
