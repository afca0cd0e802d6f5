/* Reference quantized ADD: TFLite's AddFunc (integer_ops/add.h, reference/add.h) over a
   broadcast iteration space. */
#include "ref/add.h"

#include <stdbool.h>

#include "ref/ref-common.h"

int q8_ref_broadcast_init(int32_t rank1, const int32_t *dims1, int32_t rank2,
                          const int32_t *dims2, q8_ref_broadcast *bc, int32_t *out_rank,
                          int32_t *out_dims) {
  const int32_t R = Q8_REF_ADD_MAX_RANK;
  if (rank1 > R || rank2 > R || rank1 < 0 || rank2 < 0) return -1;
  int32_t d1[Q8_REF_ADD_MAX_RANK], d2[Q8_REF_ADD_MAX_RANK];
  for (int32_t i = 0; i < R; i++) {
    d1[i] = i < R - rank1 ? 1 : dims1[i - (R - rank1)];
    d2[i] = i < R - rank2 ? 1 : dims2[i - (R - rank2)];
  }
  int64_t s1 = 1, s2 = 1;
  for (int32_t i = R - 1; i >= 0; i--) {
    if (d1[i] != d2[i] && d1[i] != 1 && d2[i] != 1) return -1;
    bc->dims[i] = d1[i] == 1 ? d2[i] : d1[i];
    bc->strides1[i] = d1[i] == 1 ? 0 : s1;
    bc->strides2[i] = d2[i] == 1 ? 0 : s2;
    s1 *= d1[i];
    s2 *= d2[i];
  }
  *out_rank = rank1 > rank2 ? rank1 : rank2;
  for (int32_t i = 0; i < *out_rank; i++) out_dims[i] = bc->dims[R - *out_rank + i];
  return 0;
}

int32_t q8_ref_add_one(const q8_ref_add_params *p, int32_t x, int32_t y) {
  /* (q + offset) fits in 9 bits, so the shift by 20 stays within int32. */
  const int32_t shifted1 = (x + p->input1_offset) * (1 << p->left_shift);
  const int32_t shifted2 = (y + p->input2_offset) * (1 << p->left_shift);
  const int32_t scaled1 = q8_multiply_by_quantized_multiplier_smaller_than_one_exp(
      shifted1, p->input1_multiplier, p->input1_shift);
  const int32_t scaled2 = q8_multiply_by_quantized_multiplier_smaller_than_one_exp(
      shifted2, p->input2_multiplier, p->input2_shift);
  const int32_t raw = q8_multiply_by_quantized_multiplier_smaller_than_one_exp(
                          scaled1 + scaled2, p->output_multiplier, p->output_shift) +
                      p->output_offset;
  return raw < p->act_min ? p->act_min : raw > p->act_max ? p->act_max : raw;
}

/* Walks the 6-D output in row-major order; the innermost dimension is a plain loop. */
static void add_broadcast(const q8_ref_add_params *p, const q8_ref_broadcast *bc,
                          const void *in1, const void *in2, void *out, bool is_signed) {
  const int32_t *d = bc->dims;
  size_t o = 0;
  for (int32_t a = 0; a < d[0]; a++)
    for (int32_t b = 0; b < d[1]; b++)
      for (int32_t c = 0; c < d[2]; c++)
        for (int32_t e = 0; e < d[3]; e++)
          for (int32_t f = 0; f < d[4]; f++) {
            const int64_t base1 = a * bc->strides1[0] + b * bc->strides1[1] +
                                  c * bc->strides1[2] + e * bc->strides1[3] +
                                  f * bc->strides1[4];
            const int64_t base2 = a * bc->strides2[0] + b * bc->strides2[1] +
                                  c * bc->strides2[2] + e * bc->strides2[3] +
                                  f * bc->strides2[4];
            for (int32_t g = 0; g < d[5]; g++) {
              const int32_t x = q8_ref_load(in1, (size_t)(base1 + g * bc->strides1[5]), is_signed);
              const int32_t y = q8_ref_load(in2, (size_t)(base2 + g * bc->strides2[5]), is_signed);
              q8_ref_store(out, o++, q8_ref_add_one(p, x, y), is_signed);
            }
          }
}

void q8_ref_add_qs8(const q8_ref_add_params *p, const q8_ref_broadcast *bc, const int8_t *in1,
                    const int8_t *in2, int8_t *out) {
  add_broadcast(p, bc, in1, in2, out, true);
}

void q8_ref_add_qu8(const q8_ref_add_params *p, const q8_ref_broadcast *bc, const uint8_t *in1,
                    const uint8_t *in2, uint8_t *out) {
  add_broadcast(p, bc, in1, in2, out, false);
}
