/* Reference PAD of 8-bit data with a constant byte (TFLite reference_ops::Pad/PadImageStyle
   with the output zero point as the pad value). Type agnostic, integer only. */
#ifndef Q8_REF_PAD_H
#define Q8_REF_PAD_H

#include <stdint.h>

#define Q8_REF_PAD_MAX_RANK 6

typedef struct q8_ref_pad_params {
  int32_t rank; /* 1..Q8_REF_PAD_MAX_RANK */
  int32_t input_dims[Q8_REF_PAD_MAX_RANK];
  int32_t before[Q8_REF_PAD_MAX_RANK]; /* >= 0 */
  int32_t after[Q8_REF_PAD_MAX_RANK];  /* >= 0 */
  uint8_t value; /* the byte written into padding (the zero point's bit pattern) */
} q8_ref_pad_params;

/* out has dims input_dims + before + after (row-major). */
void q8_ref_pad_x8(const q8_ref_pad_params *p, const void *in, void *out);

#endif
