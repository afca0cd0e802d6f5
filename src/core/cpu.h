/* CPU features and the instruction-set paths q8's kernels come in (DESIGN.md, Kernels): the
   path is chosen once, at interpreter init, from the features (or a forced choice). */
#ifndef Q8_CORE_CPU_H
#define Q8_CORE_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "q8/q8.h"

/* Feature bits (public as Q8_CPU_* in q8.h so that tests can inject a feature set). */
typedef uint32_t q8_cpu_features;

/* The features of the CPU this runs on: cpuid and XGETBV on x86-64 (AVX state enabled by the
   OS), hwcaps on AArch64; 0 elsewhere. Computed on every call (cheap; no global state). */
q8_cpu_features q8_cpu_detect(void);

/* Whether this build has kernels for isa (x86 variants on x86-64 builds, ARM ones on AArch64;
   ref and scalar everywhere). */
bool q8_isa_compiled(q8_isa isa);

/* Whether a CPU with these features runs isa's kernels. */
bool q8_isa_runs_on(q8_isa isa, q8_cpu_features features);

/* The fastest path this build has for these features. */
q8_isa q8_isa_best(q8_cpu_features features);

/* Resolves a requested path: Q8_ISA_AUTO takes env_value (the Q8_ISA environment variable,
   may be NULL or empty) and else the best path. A name that is not a path, or a path the
   build lacks or the CPU cannot run, is INVALID_ARGUMENT or UNSUPPORTED naming it and the
   CPU's features. */
q8_status q8_isa_resolve(q8_isa requested, const char *env_value, q8_cpu_features features,
                         q8_isa *chosen, q8_error *error);

/* "avx2 avx512 avx512vnni" style list of the feature names in features ("none" for 0). */
void q8_cpu_features_format(q8_cpu_features features, char *buf, int32_t size);

#endif
