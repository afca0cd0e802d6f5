/* Reference constant PAD: walks output rows (all dims but the last); a row whose outer
   coordinates fall in padding is filled, other rows are before-fill, copy, after-fill. */
#include "ref/pad.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

void q8_ref_pad_x8(const q8_ref_pad_params *p, const void *in, void *out) {
  const int32_t r = p->rank;
  int32_t out_dims[Q8_REF_PAD_MAX_RANK] = {0}, idx[Q8_REF_PAD_MAX_RANK] = {0};
  size_t rows = 1;
  for (int32_t d = 0; d < r; d++) {
    out_dims[d] = p->before[d] + p->input_dims[d] + p->after[d];
    if (d < r - 1) rows *= (size_t)out_dims[d];
  }
  const size_t in_row = (size_t)p->input_dims[r - 1];
  const size_t out_row = (size_t)out_dims[r - 1];
  const uint8_t *src = in;
  uint8_t *dst = out;
  for (size_t row = 0; row < rows; row++) {
    bool inside = true;
    size_t in_offset = 0; /* index of the input row, valid when inside */
    for (int32_t d = 0; d < r - 1; d++) {
      const int32_t i = idx[d] - p->before[d];
      inside = inside && i >= 0 && i < p->input_dims[d];
      in_offset = in_offset * (size_t)p->input_dims[d] + (size_t)(i >= 0 ? i : 0);
    }
    if (inside) {
      memset(dst, p->value, (size_t)p->before[r - 1]);
      if (in_row > 0) memcpy(dst + p->before[r - 1], src + in_offset * in_row, in_row);
      memset(dst + p->before[r - 1] + in_row, p->value, (size_t)p->after[r - 1]);
    } else {
      memset(dst, p->value, out_row);
    }
    dst += out_row;
    for (int32_t d = r - 2; d >= 0; d--) { /* next row index, odometer style */
      if (++idx[d] < out_dims[d]) break;
      idx[d] = 0;
    }
  }
}
