/* Builders: each records one node (and its parameter and state tensors) in a training graph
   and returns the index of its output tensor, shapes inferred and checked on the spot. After
   the first error every builder returns -1 and the graph keeps the message (graph->error,
   also returned by q8t_graph_allocate), so a model is written as straight-line code. Names:
   the node's name is its output tensor's name; parameters are "<node>/weights",
   "<node>/bias", "<node>/gamma", "<node>/beta"; state "<node>/moving_mean", ... */
#ifndef Q8_TRAIN_BUILD_H
#define Q8_TRAIN_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "train/graph.h"

/* The image input [N, height, width, channels], filled by the caller. */
int32_t q8t_input(q8t_graph *g, const char *name, int32_t height, int32_t width, int32_t channels);

/* Window geometry shared by convolutions and pools. stride 0 means 1. */
typedef struct q8t_window {
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  q8_padding padding;
} q8t_window;

/* Convolution, dilation 1; weights [filters, kh, kw, in] He-initialised (fan-in kh*kw*in),
   bias [filters] zero when asked for. */
int32_t q8t_conv(q8t_graph *g, const char *name, int32_t x, int32_t filters, q8t_window window,
                 bool bias, q8_activation activation);

/* Depthwise convolution: output channel c * multiplier + m filters input channel c; weights
   [1, kh, kw, channels * multiplier] He-initialised (fan-in kh*kw). */
int32_t q8t_depthwise_conv(q8t_graph *g, const char *name, int32_t x, int32_t multiplier,
                           q8t_window window, bool bias, q8_activation activation);

/* Fully connected on the flattened image: weights [units, in] He-initialised, bias [units]. */
int32_t q8t_fully_connected(q8t_graph *g, const char *name, int32_t x, int32_t units, bool bias,
                            q8_activation activation);

/* Batch normalisation over the last axis with PyTorch's defaults: momentum 0.1 (moving =
   0.9 * moving + 0.1 * batch, the variance unbiased), epsilon 1e-5; gamma 1, beta 0. */
int32_t q8t_batch_norm(q8t_graph *g, const char *name, int32_t x, q8_activation activation);

/* Sets the momentum and epsilon of a batch-norm node (by its output tensor). */
q8_status q8t_batch_norm_settings(q8t_graph *g, int32_t output, float momentum, float epsilon);

/* ReLU or ReLU6 as a node of its own. */
int32_t q8t_activation(q8t_graph *g, const char *name, int32_t x, q8_activation activation);

/* a + b, same shapes, then the activation. */
int32_t q8t_add(q8t_graph *g, const char *name, int32_t a, int32_t b, q8_activation activation);

/* [N, H, W, C] -> [N, C], the mean over H and W. */
int32_t q8t_global_avg_pool(q8t_graph *g, const char *name, int32_t x);

int32_t q8t_max_pool(q8t_graph *g, const char *name, int32_t x, q8t_window window);
int32_t q8t_avg_pool(q8t_graph *g, const char *name, int32_t x, q8t_window window);

/* Softmax cross-entropy of logits [N, K] against an int32 labels input [N] named "labels",
   which it creates; returns the loss tensor [1]. The graph remembers logits, labels, loss. */
int32_t q8t_softmax_cross_entropy(q8t_graph *g, const char *name, int32_t logits);

#endif
