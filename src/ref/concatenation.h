/* Reference CONCATENATION of same-typed tensors along one axis (TFLite
   reference_ops::Concatenation), with q8's integer rescale for 8-bit inputs whose scale or
   zero point differ from the output's. Integer only. */
#ifndef Q8_REF_CONCATENATION_H
#define Q8_REF_CONCATENATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define Q8_REF_CONCAT_MAX_INPUTS 16

/* How one input reaches the output: a byte copy, or (8-bit only)
   out = clamp(zp_out + MultiplyByQuantizedMultiplier(q - zp_in, multiplier, shift)). */
typedef struct q8_ref_concat_input {
  size_t axis_bytes; /* bytes of one outer slice: dims[axis] * inner elements * element size */
  bool rescale;
  int32_t zero_point, multiplier, shift;
} q8_ref_concat_input;

typedef struct q8_ref_concat_params {
  int32_t n_inputs;
  size_t outer; /* product of the dims before the axis */
  bool is_signed; /* 8-bit element type when rescaling: int8 or uint8 */
  int32_t output_zero_point;
  q8_ref_concat_input inputs[Q8_REF_CONCAT_MAX_INPUTS];
} q8_ref_concat_params;

void q8_ref_concatenation(const q8_ref_concat_params *p, const void *const *inputs, void *out);

#endif
