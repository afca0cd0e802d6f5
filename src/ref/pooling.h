/* Reference 8-bit AVERAGE_POOL_2D and MAX_POOL_2D on NHWC data (TFLite
   reference_integer_ops::AveragePool/MaxPool for int8, reference_ops for uint8). */
#ifndef Q8_REF_POOLING_H
#define Q8_REF_POOLING_H

#include <stdint.h>

typedef struct q8_ref_pool_params {
  int32_t batches, input_h, input_w, channels;
  int32_t output_h, output_w;
  int32_t filter_h, filter_w;
  int32_t stride_h, stride_w;
  int32_t pad_top, pad_left; /* leading padding; the window is clipped to the input */
  int32_t act_min, act_max;  /* fused activation clamp within the type's range */
} q8_ref_pool_params;

/* Average of the window's cells inside the input (padding cells are not counted), rounded
   half away from zero by integer division: (sum +- count/2) / count. */
void q8_ref_average_pool_qs8(const q8_ref_pool_params *p, const int8_t *in, int8_t *out);
void q8_ref_average_pool_qu8(const q8_ref_pool_params *p, const uint8_t *in, uint8_t *out);

/* Maximum of the window's cells inside the input, then clamped. */
void q8_ref_max_pool_qs8(const q8_ref_pool_params *p, const int8_t *in, int8_t *out);
void q8_ref_max_pool_qu8(const q8_ref_pool_params *p, const uint8_t *in, uint8_t *out);

#endif
