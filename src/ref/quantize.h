/* Reference 8-bit requantization (QUANTIZE between int8/uint8 tensors): TFLite
   reference_ops::Requantize. Integer only; the float32 -> 8-bit path is in
   src/ops/quantize-float.c. */
#ifndef Q8_REF_QUANTIZE_H
#define Q8_REF_QUANTIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct q8_ref_requantize_params {
  bool input_signed, output_signed; /* int8 (true) or uint8 on each side */
  int32_t input_zero_point, output_zero_point;
  int32_t multiplier, shift; /* QuantizeMultiplier(in_scale / out_scale) */
} q8_ref_requantize_params;

/* out = clamp(zp_out + MultiplyByQuantizedMultiplier(q - zp_in, multiplier, shift)) to the
   output type's range. (TFLite's XOR-0x80 fast path for equal scales and zero points 128
   apart gives the same bytes, since the multiply by 1.0 is exact.) */
void q8_ref_requantize_x8(const q8_ref_requantize_params *p, size_t n, const void *in, void *out);

#endif
