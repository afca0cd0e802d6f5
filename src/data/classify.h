/* A Fashion-MNIST classifier (.tflite) run by the integer runtime over a data set: which input
   it is fed and which tensor is ranked, then top-1 accuracy and the confusion matrix. Shared
   by `q8 eval` and the training API's evaluation of the models it writes (train/session.c). */
#ifndef Q8_DATA_CLASSIFY_H
#define Q8_DATA_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/idx.h"
#include "q8/q8.h"

/* What the model is fed and where its class scores are read. */
typedef struct q8_classifier {
  q8_tensor_info input;
  uint8_t pixel_to_input[256]; /* pixel value -> input byte (an int8 as its bits) */
  int32_t scores;              /* tensor ranked after each invoke */
  bool scores_signed;
  bool by_logits; /* scores are the input of the final SOFTMAX */
} q8_classifier;

typedef struct q8_classifier_result {
  size_t images;
  size_t correct;
  size_t confusion[Q8_DATASET_CLASSES][Q8_DATASET_CLASSES]; /* [true class][predicted class] */
  double seconds;
} q8_classifier_result;

/* Checks that the prepared model (path names it in messages) takes one 28x28 (or 784) 8-bit
   quantized image and scores 10 classes, and fills c: the scores are the input of a final
   SOFTMAX (its quantized output collapses nearby classes onto one value), else output 0.
   Q8_ERROR_UNSUPPORTED with a message naming the tensor and what is wrong otherwise. */
q8_status q8_classifier_init(const char *path, const q8_interp *interp, q8_classifier *c,
                             q8_error *error);

/* Runs every image of ds (pixels p as p/255 quantized with the input's parameters), ranking
   classes with ties to the lowest index. result is overwritten. */
q8_status q8_classifier_run(q8_interp *interp, const q8_classifier *c, const q8_dataset *ds,
                            q8_classifier_result *result, q8_error *error);

/* Loads path, prepares it with options (NULL: defaults) and returns its top-1 accuracy on ds
   (0 for an empty ds). */
q8_status q8_classifier_accuracy_file(const char *path, const q8_interp_options *options,
                                      const q8_dataset *ds, double *accuracy, q8_error *error);

#endif
