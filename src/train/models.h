/* The reference models of ../shared/reference-models.md (fm-cnn, fm-mobilenet, fm-resnet) as
   training graphs: input 28x28x1 "input", convolutions without bias followed by batch norm
   with the fused ReLU6, global average pooling "gap", fully connected "fc" with bias (the
   logits), softmax cross-entropy "loss". */
#ifndef Q8_TRAIN_MODELS_H
#define Q8_TRAIN_MODELS_H

#include <stdint.h>

#include "train/graph.h"

/* Records the named model in an empty graph; on success *logits is the logits tensor and
   the graph's loss is set. Unknown names are refused with the list of known ones. */
q8_status q8t_model_build(q8t_graph *graph, const char *name, int32_t *logits, q8_error *error);

/* NULL-terminated list of the model names. */
extern const char *const q8t_model_names[];

#endif
