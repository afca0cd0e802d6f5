/* Test helper: tiny classifiers as q8 graphs whose ranking is known without running q8:
   FULLY_CONNECTED pixels -> classes where class c scores (input scale 1/255, weight 127 at one
   pixel, weight scale 1/127, output scale 1/255) exactly the value of pixel t_classifier_pixel(c);
   optionally a SOFTMAX after it, and a RESHAPE after that. */
#ifndef Q8_TEST_CLASSIFIER_MODELS_H
#define Q8_TEST_CLASSIFIER_MODELS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/graph.h"

typedef struct t_classifier_spec {
  q8_type type;           /* Q8_TYPE_UINT8 (zero points 0, weights 128 + w) or Q8_TYPE_INT8 */
  int32_t pixels;         /* the input's size */
  bool image_input;       /* input [1,28,28,1] (pixels must be 784) instead of [1,pixels] */
  int32_t classes;
  bool softmax;           /* SOFTMAX after the FULLY_CONNECTED */
  bool reshape_after;     /* and a RESHAPE after the SOFTMAX, so that it is not the last */
} t_classifier_spec;

typedef struct t_classifier {
  q8_tensor tensors[6];   /* input, weights, bias, scores, then softmax, reshaped */
  q8_node nodes[3];
  int32_t lists[3][2][3]; /* per node: inputs, outputs */
  int32_t graph_input, graph_output;
  uint8_t *weights;       /* classes x pixels */
  int32_t *bias;
  float scales[6];
  int32_t zero_points[6];
  q8_graph graph;
} t_classifier;

/* The pixel whose value is class c's score: spread over the image. */
int32_t t_classifier_pixel(int32_t c);

/* Fills m (its graph points into m). Returns 0, or -1 when out of memory. */
int t_classifier_build(t_classifier *m, const t_classifier_spec *spec);
void t_classifier_free(t_classifier *m);

#endif
