/* SGD with momentum and the cosine schedule (optimizer.h). */
#include "train/optimizer.h"

#include <math.h>

void q8t_sgd_step(q8t_graph *g, const q8t_sgd *sgd, float lr) {
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    if (t->role != Q8T_ROLE_PARAMETER || t->grad == NULL) continue;
    const size_t n = q8t_tensor_count(t);
    const float decay = t->decay ? sgd->weight_decay : 0.0f;
    float *w = t->data, *v = t->momentum;
    const float *grad = t->grad;
    for (size_t j = 0; j < n; j++) {
      const float step = grad[j] + decay * w[j];
      v[j] = sgd->momentum * v[j] + step;
      w[j] -= lr * v[j];
    }
  }
}

float q8t_cosine_lr(float base, int64_t step, int64_t total_steps) {
  if (total_steps <= 0 || step >= total_steps) return 0.0f;
  if (step <= 0) return base;
  const double pi = 3.14159265358979323846;
  return (float)(base * 0.5 * (1.0 + cos(pi * (double)step / (double)total_steps)));
}
