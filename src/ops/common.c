/* Shape rules shared by convolution and pooling operators. */
#include "ops/op.h"

int32_t q8_conv_out_size(q8_padding padding, int32_t in, int32_t filter, int32_t stride,
                         int32_t dilation, int32_t *pad_before) {
  *pad_before = 0;
  if (in <= 0 || filter <= 0 || stride <= 0 || dilation <= 0) return 0;
  const int64_t effective = (int64_t)(filter - 1) * dilation + 1;
  /* Kernels index rows as oy * stride - pad + ky * dilation in int32, which stays below
     in + effective: refuse a (dilated) filter that would take that past INT32_MAX. */
  if ((int64_t)in + effective > INT32_MAX) return 0;
  int64_t out;
  if (padding == Q8_PADDING_SAME) {
    out = ((int64_t)in + stride - 1) / stride;
  } else {
    const int64_t span = (int64_t)in - effective + 1;
    if (span <= 0) return 0;
    out = (span + stride - 1) / stride;
  }
  const int64_t total = (out - 1) * stride + effective - in;
  *pad_before = total > 0 ? (int32_t)(total / 2) : 0;
  return (int32_t)out;
}
