/* CPU feature detection and the choice of a kernel path. */
#include "core/cpu.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#define Q8_CPU_X86_64 1
#include <cpuid.h>
#elif defined(__aarch64__)
#define Q8_CPU_AARCH64 1
#include <sys/auxv.h>
#endif

static const char *const isa_names[Q8_ISA_COUNT] = {
    [Q8_ISA_AUTO] = "auto",   [Q8_ISA_REF] = "ref",   [Q8_ISA_SCALAR] = "scalar",
    [Q8_ISA_AVX2] = "avx2",   [Q8_ISA_AVX512VNNI] = "avx512vnni",
    [Q8_ISA_NEON] = "neon",   [Q8_ISA_NEONDOT] = "neondot"};

const char *q8_isa_name(q8_isa isa) {
  return (unsigned)isa < Q8_ISA_COUNT ? isa_names[isa] : "unknown";
}

q8_status q8_isa_from_name(const char *name, q8_isa *isa) {
  if (name == NULL || isa == NULL) return Q8_ERROR_INVALID_ARGUMENT;
  for (int i = 0; i < Q8_ISA_COUNT; i++)
    if (strcmp(name, isa_names[i]) == 0) {
      *isa = (q8_isa)i;
      return Q8_OK;
    }
  return Q8_ERROR_INVALID_ARGUMENT;
}

#if Q8_CPU_X86_64
/* XCR0 through XGETBV: which register states the OS saves (AVX needs bits 1-2, AVX-512 5-7). */
static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

static q8_cpu_features detect_x86(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const bool osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
  if (!osxsave || !avx || __get_cpuid_max(0, NULL) < 7) return 0;
  const uint64_t xcr0 = xgetbv0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6, zmm_state = (xcr0 & 0xe6) == 0xe6;
  __cpuid_count(7, 0, a, b, c, d);
  q8_cpu_features f = 0;
  const bool avx2 = (b >> 5) & 1;
  if (ymm_state && avx2 && fma) f |= Q8_CPU_AVX2;
  /* The AVX-512 kernels use F, BW, DQ and VL together. */
  const bool avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
  if (zmm_state && avx512 && (f & Q8_CPU_AVX2)) f |= Q8_CPU_AVX512;
  if ((f & Q8_CPU_AVX512) && ((c >> 11) & 1)) f |= Q8_CPU_AVX512VNNI;
  return f;
}
#endif

#if Q8_CPU_AARCH64
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
static q8_cpu_features detect_aarch64(void) {
  const unsigned long caps = getauxval(AT_HWCAP);
  q8_cpu_features f = Q8_CPU_NEON; /* Advanced SIMD is mandatory in AArch64 */
  if (caps & HWCAP_ASIMDDP) f |= Q8_CPU_NEONDOT;
  return f;
}
#endif

q8_cpu_features q8_cpu_detect(void) {
#if Q8_CPU_X86_64
  return detect_x86();
#elif Q8_CPU_AARCH64
  return detect_aarch64();
#else
  return 0;
#endif
}

bool q8_isa_compiled(q8_isa isa) {
  switch (isa) {
  case Q8_ISA_REF:
  case Q8_ISA_SCALAR: return true;
  case Q8_ISA_AVX2:
  case Q8_ISA_AVX512VNNI:
#if Q8_CPU_X86_64 && Q8_HAVE_X86_KERNELS
    return true;
#else
    return false;
#endif
  case Q8_ISA_NEON:
  case Q8_ISA_NEONDOT:
#if Q8_CPU_AARCH64 && Q8_HAVE_ARM_KERNELS
    return true;
#else
    return false;
#endif
  default: return false;
  }
}

/* The features each path needs. */
static q8_cpu_features required_features(q8_isa isa) {
  switch (isa) {
  case Q8_ISA_AVX2: return Q8_CPU_AVX2;
  case Q8_ISA_AVX512VNNI: return Q8_CPU_AVX2 | Q8_CPU_AVX512 | Q8_CPU_AVX512VNNI;
  case Q8_ISA_NEON: return Q8_CPU_NEON;
  case Q8_ISA_NEONDOT: return Q8_CPU_NEON | Q8_CPU_NEONDOT;
  default: return 0;
  }
}

bool q8_isa_runs_on(q8_isa isa, q8_cpu_features features) {
  const q8_cpu_features need = required_features(isa);
  return (features & need) == need;
}

q8_isa q8_isa_best(q8_cpu_features features) {
  /* Fastest first. */
  static const q8_isa order[] = {Q8_ISA_AVX512VNNI, Q8_ISA_AVX2, Q8_ISA_NEONDOT, Q8_ISA_NEON};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    if (q8_isa_compiled(order[i]) && q8_isa_runs_on(order[i], features)) return order[i];
  return Q8_ISA_SCALAR;
}

void q8_cpu_features_format(q8_cpu_features features, char *buf, int32_t size) {
  static const struct {
    q8_cpu_features bit;
    const char *name;
  } names[] = {{Q8_CPU_AVX2, "avx2"},
               {Q8_CPU_AVX512, "avx512"},
               {Q8_CPU_AVX512VNNI, "avx512vnni"},
               {Q8_CPU_NEON, "neon"},
               {Q8_CPU_NEONDOT, "neondot"}};
  int n = snprintf(buf, (size_t)size, "%s", features == 0 ? "none" : "");
  for (size_t i = 0; i < sizeof names / sizeof names[0] && n < size; i++)
    if (features & names[i].bit)
      n += snprintf(buf + n, (size_t)(size - n), "%s%s", n > 0 ? " " : "", names[i].name);
}

q8_status q8_isa_resolve(q8_isa requested, const char *env_value, q8_cpu_features features,
                         q8_isa *chosen, q8_error *error) {
  q8_isa isa = requested;
  const char *source = "requested path";
  if (isa == Q8_ISA_AUTO && env_value != NULL && env_value[0] != '\0') {
    source = "Q8_ISA";
    if (q8_isa_from_name(env_value, &isa) != Q8_OK)
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                     "Q8_ISA='%s' is not a kernel path (expected auto, ref, scalar, avx2, "
                     "avx512vnni, neon or neondot)", env_value);
  }
  if ((unsigned)isa >= Q8_ISA_COUNT)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "kernel path %d is not a q8_isa", (int)isa);
  if (isa == Q8_ISA_AUTO) {
    *chosen = q8_isa_best(features);
    return Q8_OK;
  }
  char have[96];
  q8_cpu_features_format(features, have, sizeof have);
  if (!q8_isa_compiled(isa))
    return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                   "%s '%s': this build has no %s kernels (they are built for another "
                   "architecture)", source, q8_isa_name(isa), q8_isa_name(isa));
  if (!q8_isa_runs_on(isa, features))
    return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                   "%s '%s': the CPU lacks the instructions it needs (CPU features: %s)",
                   source, q8_isa_name(isa), have);
  *chosen = isa;
  return Q8_OK;
}
