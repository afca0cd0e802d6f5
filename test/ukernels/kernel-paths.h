/* What the kernel-path tests share: which paths this build and CPU run (the others printed
   as skipped) and thread pools of 1, 2 and 3 threads. */
#ifndef Q8_TEST_UKERNELS_KERNEL_PATHS_H
#define Q8_TEST_UKERNELS_KERNEL_PATHS_H

#include <stdbool.h>
#include <stdio.h>

#include "core/cpu.h"
#include "core/threadpool.h"
#include "util/test-util.h"

typedef struct t_kernel_paths {
  bool avx2, avx512;
  q8_threadpool *pools[3]; /* 1, 2, 3 threads */
} t_kernel_paths;

static inline bool t_path_runs(q8_isa isa, const char *name) {
  const bool runs = q8_isa_compiled(isa) && q8_isa_runs_on(isa, q8_cpu_detect());
  if (!runs)
    printf("SKIP: %s path (not built for this architecture or not run by this CPU)\n", name);
  return runs;
}

static inline void t_kernel_paths_init(t_kernel_paths *paths) {
  paths->avx2 = t_path_runs(Q8_ISA_AVX2, "avx2");
  paths->avx512 = t_path_runs(Q8_ISA_AVX512VNNI, "avx512vnni");
  for (int t = 0; t < 3; t++) {
    q8_error error;
    T_CHECK(q8_threadpool_create(t + 1, &paths->pools[t], &error) == Q8_OK,
            "thread pool of %d", t + 1);
  }
}

static inline void t_kernel_paths_free(t_kernel_paths *paths) {
  for (int t = 0; t < 3; t++) q8_threadpool_free(paths->pools[t]);
}

#endif
