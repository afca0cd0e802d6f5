/* TFLite flatbuffer reader: decodes a .tflite file into q8's graph, checking every byte it reads. */
#ifndef Q8_TFLITE_READER_H
#define Q8_TFLITE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "core/graph.h"
#include "tflite/flatbuffer.h"
#include "q8/q8.h"

/* Decodes Model -> its single SubGraph into a new graph (malloc'd; every array and string in
   it lives in graph->pool; release with q8_graph_free).
   data/size: the whole .tflite file (file identifier "TFL3", schema version 3). It must stay
   valid and unchanged as long as the graph: constant tensors point into it (zero copy,
   possibly unaligned).
   Returns Q8_OK, or with *graph NULL and error->message saying what and where ("file offset
   N: Tensor 5 ('conv1/weights').shape: ..."):
     Q8_ERROR_INVALID_ARGUMENT  data or graph is NULL;
     Q8_ERROR_MALFORMED         the bytes break the flatbuffer or TFLite structure (this
                                includes constant data sharing bytes with the tables,
                                vtables or vectors, or partly with other constant data);
     Q8_ERROR_UNSUPPORTED       a valid model using what q8 does not run (operator, type,
                                several subgraphs, sparse/variable tensors, hybrid ops, ...);
     Q8_ERROR_INVALID_MODEL     quantization that cannot be right (scale <= 0 or not finite,
                                zero point outside the type's range);
     Q8_ERROR_OUT_OF_MEMORY. */
q8_status q8_tflite_read(const uint8_t *data, size_t size, q8_graph **graph, q8_error *error);

/* q8_tflite_read, telling observe (when not NULL) every byte range it checks, in the order it
   checks them (see q8_fb_observer); used by the fuzzer's structure-aware mutator. The reader
   observes the same ranges itself (to find constant data overlapping the tables) and passes
   each one on. */
q8_status q8_tflite_read_observed(const uint8_t *data, size_t size, q8_fb_observer observe,
                                  void *observe_ctx, q8_graph **graph, q8_error *error);

#endif
