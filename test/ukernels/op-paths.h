/* What the operator-level kernel-path tests share: run one prepared case on every path this
   build and CPU run (scalar; avx2, avx512vnni; neon, neondot) with 1, 2 and 3 threads and
   compare its output byte for byte with the reference path's, printing the seed and the
   case on a difference. */
#ifndef Q8_TEST_UKERNELS_OP_PATHS_H
#define Q8_TEST_UKERNELS_OP_PATHS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ukernels/kernel-paths.h"

/* Prepares and runs case on isa with pool, writing the output into out. */
typedef q8_status (*t_run_path_fn)(const void *test_case, q8_isa isa, q8_threadpool *pool,
                                   uint8_t *out);
typedef void (*t_print_case_fn)(const void *test_case, int index, const char *path,
                                int threads);

typedef struct t_op_case {
  const void *test_case;
  int index;
  size_t output_bytes;
  t_run_path_fn run;
  t_print_case_fn print;
  uint64_t seed;
  /* The op's avx512vnni path runs AVX2 or scalar kernels only: an AVX2 CPU can run it too
     (the plan for that path is then tested where the CPU lacks AVX-512). */
  bool avx512_path_without_avx512;
} t_op_case;

static inline void t_check_op_path(const t_op_case *c, const uint8_t *want, q8_isa isa,
                                   const char *path, q8_threadpool *pool) {
  const size_t n = c->output_bytes;
  uint8_t *got = malloc(n > 0 ? n : 1);
  memset(got, 0x5A, n);
  const q8_status s = c->run(c->test_case, isa, pool, got);
  size_t bad = 0;
  for (size_t i = 0; s == Q8_OK && i < n; i++)
    if (got[i] != want[i] && bad++ < 3) {
      if (bad == 1) c->print(c->test_case, c->index, path, (int)q8_threadpool_size(pool));
      printf("  output %zu: got %d, want %d\n", i, (int)got[i], (int)want[i]);
    }
  T_CHECK(s == Q8_OK && bad == 0,
          "seed %llu case %d path %s threads %d: status %d, %zu of %zu outputs differ",
          (unsigned long long)c->seed, c->index, path, (int)q8_threadpool_size(pool), (int)s,
          bad, n);
  free(got);
}

/* The reference output first (a case the reference refuses is skipped: returns false), then
   every path and thread count against it. */
static inline bool t_check_op_paths(const t_kernel_paths *paths, const t_op_case *c) {
  uint8_t *want = malloc(c->output_bytes > 0 ? c->output_bytes : 1);
  const bool prepared = c->run(c->test_case, Q8_ISA_REF, NULL, want) == Q8_OK;
  for (int t = 0; prepared && t < 3; t++) {
    t_check_op_path(c, want, Q8_ISA_SCALAR, "scalar", paths->pools[t]);
    if (paths->avx2) t_check_op_path(c, want, Q8_ISA_AVX2, "avx2", paths->pools[t]);
    if (paths->avx512)
      t_check_op_path(c, want, Q8_ISA_AVX512VNNI, "avx512vnni", paths->pools[t]);
    else if (paths->avx2 && c->avx512_path_without_avx512)
      t_check_op_path(c, want, Q8_ISA_AVX512VNNI, "avx512vnni (no AVX-512 code)",
                      paths->pools[t]);
    /* The ARM paths (built and run on AArch64 only; elsewhere not paths of this build). */
    if (q8_isa_compiled(Q8_ISA_NEON) && q8_isa_runs_on(Q8_ISA_NEON, q8_cpu_detect()))
      t_check_op_path(c, want, Q8_ISA_NEON, "neon", paths->pools[t]);
    if (q8_isa_compiled(Q8_ISA_NEONDOT) && q8_isa_runs_on(Q8_ISA_NEONDOT, q8_cpu_detect()))
      t_check_op_path(c, want, Q8_ISA_NEONDOT, "neondot", paths->pools[t]);
  }
  free(want);
  return prepared;
}

/* Zero points at either end of the 8-bit range or anywhere between. */
static inline int32_t t_random_zero_point(t_rng *rng, int32_t qmin) {
  switch (t_rng_range(rng, 0, 3)) {
    case 0: return qmin;
    case 1: return qmin + 255;
    default: return (int32_t)t_rng_range(rng, qmin, qmin + 255);
  }
}

/* n random bytes; extremes 1 or 2 fills with the type's minimum or maximum instead. */
static inline void t_fill_input(t_rng *rng, uint8_t *data, size_t n, bool is_signed,
                                int extremes) {
  for (size_t i = 0; i < n; i++) {
    uint8_t v = (uint8_t)t_rng_next(rng);
    if (extremes) v = is_signed ? (extremes == 1 ? 0x80 : 0x7F) : (extremes == 1 ? 0 : 255);
    data[i] = v;
  }
}

typedef void (*t_random_case_fn)(const t_kernel_paths *paths, t_rng *rng, int index);

/* A test program's main: cases random cases from the seed (Q8_TEST_SEED replays one). */
static inline int t_op_paths_main(uint64_t *seed, t_random_case_fn random_case, int cases) {
  *seed = t_seed(20261127);
  t_rng rng = {*seed};
  t_kernel_paths paths;
  t_kernel_paths_init(&paths);
  for (int i = 0; i < cases; i++) random_case(&paths, &rng, i);
  t_kernel_paths_free(&paths);
  printf("%d cases\n", cases);
  return t_finish();
}

#endif
