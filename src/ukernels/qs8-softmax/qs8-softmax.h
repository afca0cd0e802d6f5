/* 8-bit SOFTMAX rows through tables (int8 qs8, uint8 qu8): TFLite's fixed-point softmax
   depends on an element only through k = max(row) - x in [0, 255], so prepare tabulates
   exp(-k * beta * scale) in Q0 and its Q12 rescale once (src/ref/softmax.c's arithmetic;
   0 for differences below diff_min, which then give the type's minimum as the reference
   does). A kernel does, per row: the maximum, the Q12 sum of table terms (wrapping modulo
   2^32), TFLite's reciprocal and per element the rounding division. Bit-exact with
   src/ref/softmax.c. */
#ifndef Q8_UKERNELS_QS8_SOFTMAX_H
#define Q8_UKERNELS_QS8_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

typedef struct q8_softmax_table {
  int32_t exp[256];      /* Q0: exp of -k, k = max - x */
  int32_t sum_term[256]; /* exp[k] rescaled to Q12 (the accumulation format) */
} q8_softmax_table;

/* rows rows of depth elements (row-major, in and out alike). */
typedef void (*q8_softmax_ukernel_fn)(size_t rows, size_t depth, const void *input,
                                      void *output, const q8_softmax_table *table);

void q8_qs8_softmax_ukernel_x1__scalar(size_t rows, size_t depth, const void *input,
                                       void *output, const q8_softmax_table *table);
void q8_qu8_softmax_ukernel_x1__scalar(size_t rows, size_t depth, const void *input,
                                       void *output, const q8_softmax_table *table);

#endif
