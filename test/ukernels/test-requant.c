/* The vector output stages (src/ukernels/requant-avx2.h, requant-avx512.h, through the
   qs32-requant kernels) against src/quant/fixedpoint.h: every shift in [-31, 30] with
   accumulators and multipliers at the edges of int32 and of each rounding step (ties both
   ways), then random values; zero points and clamps at the extremes. Paths this CPU cannot
   run are reported as skipped; the AVX-512 kernel's own source also runs on emulated
   intrinsics on every x86-64 machine. */
#if defined(__x86_64__)
#include "ukernels/dwconv-avx512-emulation.h"
#define q8_qs32_requant_ukernel_x16__avx512vnni emulated_x16__avx512vnni
#include "ukernels/qs32-requant/x16-avx512vnni.c"
#undef q8_qs32_requant_ukernel_x16__avx512vnni
/* The header's declaration of the native kernel went under the emulated name. */
void q8_qs32_requant_ukernel_x16__avx512vnni(size_t n, const int32_t *acc,
                                             const int32_t *multiplier, const int32_t *shift,
                                             int32_t zero_point, int32_t out_min,
                                             int32_t out_max, int32_t *out);
#endif

#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "quant/fixedpoint.h"
#include "ukernels/qs32-requant/qs32-requant.h"
#include "util/test-util.h"

typedef void (*requant_fn)(size_t n, const int32_t *acc, const int32_t *multiplier,
                           const int32_t *shift, int32_t zero_point, int32_t out_min,
                           int32_t out_max, int32_t *out);

#if defined(__x86_64__)
static int32_t expected(int32_t acc, int32_t multiplier, int32_t shift, int32_t zero_point,
                        int32_t out_min, int32_t out_max) {
  const int32_t scaled = q8_multiply_by_quantized_multiplier(acc, multiplier, (int)shift);
  int32_t v = (int32_t)((uint32_t)scaled + (uint32_t)zero_point);
  return v < out_min ? out_min : v > out_max ? out_max : v;
}

enum { N_MAX = 4096 };

typedef struct batch {
  size_t n;
  int32_t acc[N_MAX], multiplier[N_MAX], shift[N_MAX];
} batch;

static void check_batch(requant_fn fn, const char *name, const batch *b, int32_t zero_point,
                        int32_t out_min, int32_t out_max) {
  static int32_t got[N_MAX];
  fn(b->n, b->acc, b->multiplier, b->shift, zero_point, out_min, out_max, got);
  size_t bad = 0;
  for (size_t i = 0; i < b->n; i++) {
    const int32_t want = expected(b->acc[i], b->multiplier[i], b->shift[i], zero_point,
                                  out_min, out_max);
    if (got[i] != want && bad++ < 3)
      printf("  %s: acc %d multiplier %d shift %d zp %d clamp [%d,%d]: got %d want %d\n", name,
             (int)b->acc[i], (int)b->multiplier[i], (int)b->shift[i], (int)zero_point,
             (int)out_min, (int)out_max, (int)got[i], (int)want);
  }
  T_CHECK(bad == 0, "%s: %zu of %zu values differ", name, bad, b->n);
}

/* Accumulators that sit on rounding edges for the given shift: multiples of 2^k and their
   neighbours, and the ends of int32. */
static size_t edge_accumulators(int32_t *out) {
  size_t n = 0;
  out[n++] = INT32_MIN;
  out[n++] = INT32_MIN + 1;
  out[n++] = INT32_MAX;
  out[n++] = INT32_MAX - 1;
  out[n++] = 0;
  for (int k = 0; k < 31; k++)
    for (int d = -1; d <= 1; d++) {
      out[n++] = (int32_t)((INT64_C(1) << k) + d);
      out[n++] = (int32_t)(-(INT64_C(1) << k) + d);
      out[n++] = (int32_t)(3 * (INT64_C(1) << k) / 2 + d); /* a tie after halving */
      out[n++] = (int32_t)(-3 * (INT64_C(1) << k) / 2 + d);
    }
  return n;
}

static void edge_cases(requant_fn fn, const char *name) {
  static const int32_t multipliers[] = {0,          1,         -1,         1 << 30,
                                        (1 << 30) + 1, INT32_MAX, INT32_MIN, INT32_MIN + 1,
                                        -(1 << 30), 1518500250, 1073741825};
  static const int32_t clamps[][3] = {{0, INT32_MIN, INT32_MAX}, {-128, -128, 127},
                                      {127, -128, 127},          {0, 0, 255},
                                      {255, 0, 255},             {INT32_MAX, INT32_MIN, INT32_MAX},
                                      {-5, -20, 30}};
  int32_t accs[400]; /* 377 */
  const size_t n_acc = edge_accumulators(accs);
  static batch b;
  for (size_t ci = 0; ci < sizeof clamps / sizeof clamps[0]; ci++) {
    b.n = 0;
    for (int32_t shift = -31; shift <= 30; shift++)
      for (size_t mi = 0; mi < sizeof multipliers / sizeof multipliers[0]; mi++)
        for (size_t ai = 0; ai < n_acc; ai++) {
          if (b.n == N_MAX) {
            check_batch(fn, name, &b, clamps[ci][0], clamps[ci][1], clamps[ci][2]);
            b.n = 0;
          }
          b.acc[b.n] = accs[ai];
          b.multiplier[b.n] = multipliers[mi];
          b.shift[b.n++] = shift;
        }
    check_batch(fn, name, &b, clamps[ci][0], clamps[ci][1], clamps[ci][2]);
  }
}

static void random_cases(requant_fn fn, const char *name, t_rng *rng) {
  static batch b;
  for (int round = 0; round < 200; round++) {
    b.n = (size_t)t_rng_range(rng, 1, N_MAX); /* remainders of the vector width too */
    for (size_t i = 0; i < b.n; i++) {
      b.acc[i] = (int32_t)(uint32_t)t_rng_next(rng) >> t_rng_range(rng, 0, 31);
      b.multiplier[i] = t_rng_range(rng, 0, 3) ? (int32_t)t_rng_range(rng, 1 << 30, INT32_MAX)
                                                : (int32_t)(uint32_t)t_rng_next(rng);
      b.shift[i] = (int32_t)t_rng_range(rng, -31, 30);
    }
    const int32_t zp = (int32_t)t_rng_range(rng, -128, 255);
    check_batch(fn, name, &b, zp, -128, 255);
  }
}

static void check_path(q8_isa isa, const char *name, requant_fn fn, t_rng *rng) {
  if (!q8_isa_compiled(isa) || !q8_isa_runs_on(isa, q8_cpu_detect())) {
    printf("SKIP: %s (not built for this architecture or not run by this CPU)\n", name);
    return;
  }
  edge_cases(fn, name);
  random_cases(fn, name, rng);
}

#endif

int main(void) {
#if defined(__x86_64__)
  t_rng rng = {t_seed(5)};
  check_path(Q8_ISA_AVX2, "q8_qs32_requant_ukernel_x8__avx2", q8_qs32_requant_ukernel_x8__avx2,
             &rng);
  check_path(Q8_ISA_AVX512VNNI, "q8_qs32_requant_ukernel_x16__avx512vnni",
             q8_qs32_requant_ukernel_x16__avx512vnni, &rng);
  edge_cases(emulated_x16__avx512vnni, "x16__avx512vnni emulated");
  random_cases(emulated_x16__avx512vnni, "x16__avx512vnni emulated", &rng);
  return t_finish();
#else
  return t_skip("ukernels/test-requant", "no vector output stage for this architecture");
#endif
}
