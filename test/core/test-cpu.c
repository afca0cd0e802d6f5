/* Kernel-path choice: names, the features each path needs, the best path for a feature set,
   Q8_ISA and forced paths refused with a message naming the path and the CPU's features, and
   the interpreter's options (path, threads, injected features). */
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "util/test-util.h"

static void check_names(void) {
  for (int i = 0; i < Q8_ISA_COUNT; i++) {
    q8_isa back;
    T_CHECK(q8_isa_from_name(q8_isa_name((q8_isa)i), &back) == Q8_OK && back == (q8_isa)i,
            "isa %d ('%s') does not round-trip", i, q8_isa_name((q8_isa)i));
  }
  q8_isa isa;
  T_CHECK(q8_isa_from_name("avx512", &isa) == Q8_ERROR_INVALID_ARGUMENT, "'avx512' accepted");
  T_CHECK(strcmp(q8_isa_name(Q8_ISA_COUNT), "unknown") == 0, "name of an out-of-range isa");
}

static void check_choice(void) {
  const bool x86 = q8_isa_compiled(Q8_ISA_AVX2), arm = q8_isa_compiled(Q8_ISA_NEON);
  T_CHECK(!(x86 && arm), "a build with both x86 and ARM kernels");
  T_CHECK(q8_isa_best(0) == Q8_ISA_SCALAR, "no features: %s", q8_isa_name(q8_isa_best(0)));
  const q8_cpu_features zen4 = Q8_CPU_AVX2 | Q8_CPU_AVX512 | Q8_CPU_AVX512VNNI;
  T_CHECK(q8_isa_best(zen4) == (x86 ? Q8_ISA_AVX512VNNI : Q8_ISA_SCALAR), "zen4: %s",
          q8_isa_name(q8_isa_best(zen4)));
  T_CHECK(q8_isa_best(Q8_CPU_AVX2) == (x86 ? Q8_ISA_AVX2 : Q8_ISA_SCALAR), "avx2 only: %s",
          q8_isa_name(q8_isa_best(Q8_CPU_AVX2)));
  /* AVX-512 without VNNI (Skylake-X) takes the AVX2 path. */
  T_CHECK(q8_isa_best(Q8_CPU_AVX2 | Q8_CPU_AVX512) == (x86 ? Q8_ISA_AVX2 : Q8_ISA_SCALAR),
          "avx512 without vnni: %s", q8_isa_name(q8_isa_best(Q8_CPU_AVX2 | Q8_CPU_AVX512)));
  T_CHECK(q8_isa_best(Q8_CPU_NEON) == (arm ? Q8_ISA_NEON : Q8_ISA_SCALAR), "neon");
  T_CHECK(q8_isa_best(Q8_CPU_NEON | Q8_CPU_NEONDOT) == (arm ? Q8_ISA_NEONDOT : Q8_ISA_SCALAR),
          "neondot");
  T_CHECK(!q8_isa_runs_on(Q8_ISA_AVX512VNNI, Q8_CPU_AVX2 | Q8_CPU_AVX512), "vnni needs vnni");

  q8_isa chosen;
  q8_error err;
  T_CHECK(q8_isa_resolve(Q8_ISA_AUTO, "ref", zen4, &chosen, &err) == Q8_OK &&
              chosen == Q8_ISA_REF, "Q8_ISA=ref not taken");
  T_CHECK(q8_isa_resolve(Q8_ISA_SCALAR, "ref", zen4, &chosen, &err) == Q8_OK &&
              chosen == Q8_ISA_SCALAR, "an explicit path loses to Q8_ISA");
  T_CHECK(q8_isa_resolve(Q8_ISA_AUTO, "", 0, &chosen, &err) == Q8_OK && chosen == Q8_ISA_SCALAR,
          "empty Q8_ISA");
  T_CHECK(q8_isa_resolve(Q8_ISA_AUTO, "fast", zen4, &chosen, &err) ==
                  Q8_ERROR_INVALID_ARGUMENT && strstr(err.message, "Q8_ISA='fast'") != NULL,
          "Q8_ISA=fast: %s", err.message);
  T_CHECK(q8_isa_resolve(Q8_ISA_AVX512VNNI, NULL, Q8_CPU_AVX2, &chosen, &err) ==
                  Q8_ERROR_UNSUPPORTED && strstr(err.message, "avx512vnni") != NULL,
          "vnni on an avx2 CPU: %s", err.message);
  if (x86)
    T_CHECK(strstr(err.message, "CPU features: avx2") != NULL, "features not named: %s",
            err.message);
  T_CHECK(q8_isa_resolve(x86 ? Q8_ISA_NEON : Q8_ISA_AVX2, NULL, ~0u, &chosen, &err) ==
                  Q8_ERROR_UNSUPPORTED && strstr(err.message, "this build has no") != NULL,
          "another architecture's path: %s", err.message);
  T_CHECK(q8_isa_resolve((q8_isa)99, NULL, 0, &chosen, &err) == Q8_ERROR_INVALID_ARGUMENT,
          "isa 99 accepted");
}

/* The smallest model in the shared test data, through the interpreter's options. */
static void check_interp_options(void) {
  t_model_path *models = NULL;
  const int n = t_shared_models(Q8_TESTDATA_DIR, &models);
  T_CHECK(n > 0, "no shared models under %s", Q8_TESTDATA_DIR);
  if (n <= 0) return;
  q8_model *model = NULL;
  q8_error err;
  T_CHECK(q8_model_load_file(models[0].path, &model, &err) == Q8_OK, "%s", err.message);
  if (model == NULL) return;
  q8_interp *it = NULL;
  q8_interp_options o = {.isa = Q8_ISA_SCALAR, .threads = 3};
  T_CHECK(q8_interp_init(model, &o, &it, &err) == Q8_OK && q8_interp_isa(it) == Q8_ISA_SCALAR &&
              q8_interp_threads(it) == 3, "scalar, 3 threads: %s", err.message);
  q8_interp_free(it);
  o = (q8_interp_options){.cpu_features = Q8_CPU_INJECTED};
  const char *env = getenv("Q8_ISA");
  if (env == NULL || env[0] == '\0') {
    T_CHECK(q8_interp_init(model, &o, &it, &err) == Q8_OK && q8_interp_isa(it) == Q8_ISA_SCALAR &&
                q8_interp_threads(it) == 1, "a CPU without features: %s", err.message);
    q8_interp_free(it);
    o.isa = Q8_ISA_AVX2;
    T_CHECK(q8_interp_init(model, &o, &it, &err) == Q8_ERROR_UNSUPPORTED && it == NULL &&
                strstr(err.message, "avx2") != NULL, "avx2 without the feature: %s",
            err.message);
  }
  o = (q8_interp_options){.threads = -1};
  T_CHECK(q8_interp_init(model, &o, &it, &err) == Q8_ERROR_INVALID_ARGUMENT &&
              strstr(err.message, "threads = -1") != NULL, "threads -1: %s", err.message);
  o.threads = 65;
  T_CHECK(q8_interp_init(model, &o, &it, &err) == Q8_ERROR_INVALID_ARGUMENT, "threads 65");
  q8_model_free(model);
  free(models);
}

int main(void) {
  check_names();
  check_choice();
  check_interp_options();
  char buf[96];
  q8_cpu_features_format(q8_cpu_detect(), buf, sizeof buf);
  printf("this CPU: %s; best path %s\n", buf, q8_isa_name(q8_isa_best(q8_cpu_detect())));
  return t_finish();
}
