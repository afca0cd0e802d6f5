/* Which kernel paths of this build the CPU runs natively. The kernel tests check every path on
   this CPU and report a path it lacks in their output (its AVX-512 kernels then run only on
   emulated intrinsics); this test turns that into ctest's own "skipped" status, naming the
   paths, so that a machine without them is visible in the summary and never counted as a
   pass. */
#include <stdio.h>

#include "core/cpu.h"
#include "util/test-util.h"

int main(void) {
  const q8_cpu_features features = q8_cpu_detect();
  char have[96], missing[128] = "";
  q8_cpu_features_format(features, have, sizeof have);
  int n_missing = 0, n = 0;
  for (int i = Q8_ISA_REF; i < Q8_ISA_COUNT; i++) {
    const q8_isa isa = (q8_isa)i;
    if (!q8_isa_compiled(isa)) continue;
    if (q8_isa_runs_on(isa, features)) {
      printf("runs natively: %s\n", q8_isa_name(isa));
      continue;
    }
    n += snprintf(missing + n, sizeof missing - (size_t)n, "%s%s", n_missing ? ", " : "",
                  q8_isa_name(isa));
    n_missing++;
  }
  printf("CPU features: %s\n", have);
  if (n_missing > 0) {
    printf("not run natively: %s\n", missing);
    return t_skip("core/test-native-paths",
                  "this CPU cannot run every kernel path of the build (above); the kernel tests "
                  "checked those paths only where they emulate their intrinsics");
  }
  return t_finish();
}
