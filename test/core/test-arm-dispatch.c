/* Which path AArch64 picks from the hwcaps of the CPU qemu-user emulates: QEMU_CPU (which
   qemu-aarch64 reads, and passes on to the program's environment) names it. cortex-a53 has
   no dot product: the neon path and its kernel (SMULL/SMLAL/SADALP) must be chosen; max has
   it: neondot and its SDOT kernel. scripts/test.sh runs the aarch64 tests under both.
   Skipped off AArch64 and when QEMU_CPU is unset or another CPU (real hardware). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "ops/quant-gemm.h"
#include "util/test-util.h"

int main(void) {
#if defined(__aarch64__)
  const char *cpu = getenv("QEMU_CPU");
  q8_isa want;
  q8_qs8_gemm_ukernel_fn want_kernel;
  if (cpu != NULL && strcmp(cpu, "cortex-a53") == 0) {
    want = Q8_ISA_NEON;
    want_kernel = q8_qs8_qc8w_gemm_minmax_ukernel_4x8c4__neon;
  } else if (cpu != NULL && strcmp(cpu, "max") == 0) {
    want = Q8_ISA_NEONDOT;
    want_kernel = q8_qs8_qc8w_gemm_minmax_ukernel_8x8c4__neondot;
  } else {
    return t_skip("core/test-arm-dispatch", "QEMU_CPU is neither cortex-a53 nor max");
  }
  const q8_cpu_features features = q8_cpu_detect();
  char have[96];
  q8_cpu_features_format(features, have, sizeof have);
  printf("QEMU_CPU=%s: CPU features %s\n", cpu, have);
  T_CHECK(q8_isa_best(features) == want, "best path %s, want %s",
          q8_isa_name(q8_isa_best(features)), q8_isa_name(want));
  q8_isa chosen = Q8_ISA_AUTO;
  q8_error err;
  T_CHECK(q8_isa_resolve(Q8_ISA_AUTO, NULL, features, &chosen, &err) == Q8_OK &&
              chosen == want,
          "auto resolves to %s, want %s", q8_isa_name(chosen), q8_isa_name(want));
  T_CHECK(q8_quant_gemm_kernel_for(chosen).fn == want_kernel, "GEMM kernel of %s",
          q8_isa_name(chosen));
  /* Forcing neondot where the CPU lacks it is an error, never a crash (SIGILL). */
  const q8_status forced = q8_isa_resolve(Q8_ISA_NEONDOT, NULL, features, &chosen, &err);
  T_CHECK((forced == Q8_OK) == (want == Q8_ISA_NEONDOT), "forcing neondot: %s",
          forced == Q8_OK ? "accepted" : err.message);
  return t_finish();
#else
  return t_skip("core/test-arm-dispatch", "not an AArch64 build");
#endif
}
