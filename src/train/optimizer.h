/* Stochastic gradient descent with momentum and weight decay (PyTorch's formulation), and the
   cosine learning-rate schedule of the training recipe. */
#ifndef Q8_TRAIN_OPTIMIZER_H
#define Q8_TRAIN_OPTIMIZER_H

#include <stdint.h>

#include "train/graph.h"

typedef struct q8t_sgd {
  float momentum;     /* 0.9 in the recipe */
  float weight_decay; /* 5e-4 in the recipe; applied to tensors marked decay only */
} q8t_sgd;

/* For every parameter: g = grad + weight_decay * w (decay tensors only),
   v = momentum * v + g, w = w - lr * v. Reads the gradients of the last backward. */
void q8t_sgd_step(q8t_graph *graph, const q8t_sgd *sgd, float lr);

/* lr at step (0-based) of total_steps: base * (1 + cos(pi * step / total_steps)) / 2, from
   base at step 0 down to 0 at total_steps (PyTorch's CosineAnnealingLR stepped per batch,
   eta_min 0). Steps past the end give 0. */
float q8t_cosine_lr(float base, int64_t step, int64_t total_steps);

#endif
