/* What the 8-bit GEMM kernel tests (test-qs8-qc8w-gemm.c, test-qs8-qc8w-gemm-c2.c) share:
   edge values for the output stage and random output parameters. */
#ifndef Q8_TEST_UKERNELS_GEMM_TEST_COMMON_H
#define Q8_TEST_UKERNELS_GEMM_TEST_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "ukernels/qs8-qc8w-gemm/qs8-qc8w-gemm.h"
#include "util/test-util.h"

/* A kernel under test. */
typedef struct variant {
  const char *name;
  q8_qs8_gemm_ukernel_fn fn;
  size_t mr, nr;
  q8_isa native; /* the path whose CPU features it needs (SCALAR: none) */
  bool no_weight_min; /* contract without weights of -128 (the NEON kernel: int16 pairs) */
} variant;

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

/* Runs each variant this CPU can run: the output-stage edges, then random tiles until 5
   fail. A kernel this CPU cannot run is reported (per kernel and counted at the end), never
   counted as passed; the status is that of the kernels that ran. */
static inline int gemm_test_main(const variant *variants, size_t n, uint64_t seed,
                                 void (*edges)(const variant *, t_rng *, uint64_t),
                                 bool (*random_tile)(const variant *, t_rng *, uint64_t)) {
  const int iterations = getenv("Q8_TEST_ITERATIONS") ? 300 : 2000;
  int skipped = 0;
  for (size_t vi = 0; vi < n; vi++) {
    const variant *v = &variants[vi];
    if (!q8_isa_runs_on(v->native, q8_cpu_detect())) {
      printf("SKIP: %s (this CPU cannot run the %s path)\n", v->name, q8_isa_name(v->native));
      skipped++;
      continue;
    }
    t_rng rng = {seed + vi};
    edges(v, &rng, seed);
    int failures = 0;
    for (int i = 0; i < iterations && failures < 5; i++) failures += !random_tile(v, &rng, seed);
    printf("%s: output stage edges and %d random tiles\n", v->name, iterations);
  }
  if (skipped > 0) printf("SKIP: %d kernel(s) not run on this CPU\n", skipped);
  return t_finish();
}

#endif
