/* What the 8-bit GEMM kernel tests (test-qs8-qc8w-gemm.c, test-qs8-qc8w-gemm-c2.c) share:
   edge values for the output stage and random output parameters. */
#ifndef Q8_TEST_UKERNELS_GEMM_TEST_COMMON_H
#define Q8_TEST_UKERNELS_GEMM_TEST_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"
#include "util/test-util.h"

/* Accumulators and multipliers at the int32 edges and around the rounding points. */
static const int32_t gemm_test_edge_accs[] = {
    INT32_MIN, INT32_MIN + 1, INT32_MIN + 2, -(1 << 30) - 1, -(1 << 30), -(1 << 30) + 1, -65537,
    -65536, -32768, -257, -256, -255, -129, -128, -127, -3, -2, -1, 0, 1, 2, 3, 127, 128, 129,
    255, 256, 257, 32767, 32768, 65535, 65536, (1 << 30) - 1, 1 << 30, (1 << 30) + 1,
    INT32_MAX - 2, INT32_MAX - 1, INT32_MAX};
static const int32_t gemm_test_edge_mults[] = {INT32_MIN, INT32_MIN + 1, -(1 << 30), -1, 0, 1, 2,
                                               (1 << 30) - 1, 1 << 30, (1 << 30) + 1, 1518500250,
                                               INT32_MAX - 1, INT32_MAX};
enum {
  GEMM_TEST_N_ACCS = sizeof gemm_test_edge_accs / sizeof gemm_test_edge_accs[0],
  GEMM_TEST_N_MULTS = sizeof gemm_test_edge_mults / sizeof gemm_test_edge_mults[0],
};

static inline int32_t gemm_test_edge_or_random_i32(t_rng *rng) {
  static const int32_t edges[] = {INT32_MIN, INT32_MIN + 1, -(1 << 30), -1, 0, 1, 1 << 30,
                                  INT32_MAX - 1, INT32_MAX};
  if (t_rng_range(rng, 0, 3) == 0) return edges[t_rng_range(rng, 0, 8)];
  return (int32_t)(uint32_t)t_rng_next(rng);
}

/* Output zero point (often at the type's ends) and clamp (often narrowed) for the type. */
static inline void gemm_test_output_params(t_rng *rng, bool is_signed, q8_qs8_gemm_params *p) {
  const int32_t qmin = is_signed ? -128 : 0, qmax = is_signed ? 127 : 255;
  p->output_zero_point = t_rng_range(rng, 0, 4) == 0 ? (t_rng_range(rng, 0, 1) ? qmin : qmax)
                                                     : (int32_t)t_rng_range(rng, qmin, qmax);
  p->output_min = qmin;
  p->output_max = qmax;
  if (t_rng_range(rng, 0, 2) == 0) {
    p->output_min = (int32_t)t_rng_range(rng, qmin, qmax);
    p->output_max = (int32_t)t_rng_range(rng, p->output_min, qmax);
  }
}

#endif
