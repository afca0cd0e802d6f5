/* The output stage as a stand-alone kernel over arrays: TFLite's per-channel requantization
   (MultiplyByQuantizedMultiplier, double rounding), zero point and clamp. It exposes the
   vector output stages (src/ukernels/requant-avx2.h, requant-avx512.h) to tests against src/quant. */
#ifndef Q8_UKERNELS_QS32_REQUANT_H
#define Q8_UKERNELS_QS32_REQUANT_H

#include <stddef.h>
#include <stdint.h>

/* out[i] = clamp(MultiplyByQuantizedMultiplier(acc[i], multiplier[i], shift[i]) +
   zero_point, out_min, out_max), shift[i] in [-31, 30]. */
void q8_qs32_requant_ukernel_x8__avx2(size_t n, const int32_t *acc, const int32_t *multiplier,
                                      const int32_t *shift, int32_t zero_point, int32_t out_min,
                                      int32_t out_max, int32_t *out);
void q8_qs32_requant_ukernel_x16__avx512vnni(size_t n, const int32_t *acc,
                                             const int32_t *multiplier, const int32_t *shift,
                                             int32_t zero_point, int32_t out_min,
                                             int32_t out_max, int32_t *out);

#endif
