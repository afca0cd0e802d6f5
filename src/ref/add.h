/* Reference quantized ADD (TFLite reference_ops::Add uint8 / reference_integer_ops::Add int8,
   identical math), with NumPy broadcasting over up to 6 dimensions. Integer only. */
#ifndef Q8_REF_ADD_H
#define Q8_REF_ADD_H

#include <stddef.h>
#include <stdint.h>

#define Q8_REF_ADD_MAX_RANK 6

/* TFLite ArithmeticParams for the 8-bit add (filled by TFLM add_common.cc's rule):
   offsets are -zero_point of the inputs and +zero_point of the output; shifts are <= 0
   (MultiplyByQuantizedMultiplierSmallerThanOneExp exponents). */
typedef struct q8_ref_add_params {
  int32_t input1_offset, input2_offset, output_offset;
  int32_t left_shift; /* 20 for 8-bit */
  int32_t input1_multiplier, input1_shift;
  int32_t input2_multiplier, input2_shift;
  int32_t output_multiplier, output_shift;
  int32_t act_min, act_max;
} q8_ref_add_params;

/* Iteration space of a broadcast add: the output's dims right-aligned into 6 (leading 1s),
   and each input's element strides on those dims (0 where the input is broadcast). */
typedef struct q8_ref_broadcast {
  int32_t dims[Q8_REF_ADD_MAX_RANK];
  int64_t strides1[Q8_REF_ADD_MAX_RANK];
  int64_t strides2[Q8_REF_ADD_MAX_RANK];
} q8_ref_broadcast;

/* Builds the broadcast description for inputs of shapes dims1/dims2 (rank <= 6). Returns 0,
   or -1 when a dimension pair is neither equal nor 1 on one side. out_dims/out_rank receive
   the output shape. */
int q8_ref_broadcast_init(int32_t rank1, const int32_t *dims1, int32_t rank2,
                          const int32_t *dims2, q8_ref_broadcast *bc, int32_t *out_rank,
                          int32_t *out_dims);

/* One output element from two input values (already loaded as int32). */
int32_t q8_ref_add_one(const q8_ref_add_params *p, int32_t x, int32_t y);

void q8_ref_add_qs8(const q8_ref_add_params *p, const q8_ref_broadcast *bc, const int8_t *in1,
                    const int8_t *in2, int8_t *out);
void q8_ref_add_qu8(const q8_ref_add_params *p, const q8_ref_broadcast *bc, const uint8_t *in1,
                    const uint8_t *in2, uint8_t *out);

#endif
