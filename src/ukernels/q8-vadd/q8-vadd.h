/* 8-bit elementwise ADD kernels (int8 and uint8: one rescaling for both), bit-exact with
   src/ref/add.c's q8_ref_add_one: each input (x + offset) << left_shift, scaled by its
   multiplier and rounding right shift (MultiplyByQuantizedMultiplierSmallerThanOneExp), the
   sum scaled the same way by the output's, + output offset, clamped. */
#ifndef Q8_UKERNELS_Q8_VADD_H
#define Q8_UKERNELS_Q8_VADD_H

#include <stddef.h>
#include <stdint.h>

typedef struct q8_vadd_params {
  int32_t a_offset, b_offset, output_offset; /* -zero points of the inputs, +the output's */
  int32_t left_shift;                        /* 20 */
  int32_t a_multiplier, a_shift;             /* shifts <= 0, as TFLite's SmallerThanOneExp */
  int32_t b_multiplier, b_shift;
  int32_t output_multiplier, output_shift;
  int32_t output_min, output_max;
} q8_vadd_params;

/* out[i] = a[i * a_inc] + b[i * b_inc] for i < n; a_inc and b_inc are 1, or 0 for an input
   broadcast along the run. Reads and writes nothing past the n elements. */
typedef void (*q8_vadd_ukernel_fn)(size_t n, const void *a, size_t a_inc, const void *b,
                                   size_t b_inc, void *out, const q8_vadd_params *params);

void q8_qs8_vadd_minmax_ukernel__scalar(size_t n, const void *a, size_t a_inc, const void *b,
                                        size_t b_inc, void *out, const q8_vadd_params *params);
void q8_qu8_vadd_minmax_ukernel__scalar(size_t n, const void *a, size_t a_inc, const void *b,
                                        size_t b_inc, void *out, const q8_vadd_params *params);
/* AVX2, 8 elements per step; also the avx512vnni path's (every such CPU has AVX2). */
void q8_qs8_vadd_minmax_ukernel_x8__avx2(size_t n, const void *a, size_t a_inc, const void *b,
                                         size_t b_inc, void *out,
                                         const q8_vadd_params *params);
void q8_qu8_vadd_minmax_ukernel_x8__avx2(size_t n, const void *a, size_t a_inc, const void *b,
                                         size_t b_inc, void *out,
                                         const q8_vadd_params *params);

#endif
