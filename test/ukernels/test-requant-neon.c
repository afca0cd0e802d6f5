/* The NEON output stage (src/ukernels/requant-neon.h) against quant/fixedpoint.h on AArch64:
   the rounding shift (SRSHL with the negative-tie fixup) on every x in windows around 0 and
   both ends of int32 and on every tie (k * 2^e +- 2^(e-1), and one either side) for every
   exponent 0..31; SQRDMULH against SaturatingRoundingDoublingHighMul on edge pairs, exact
   ties of the product (odd multiples of 2^30) and random pairs; the whole stage (left shift,
   multiply, right shift) on edge and random values for every shift -31..30. Without the
   fixup, ties of negative values round up (-2.5 -> -2, not -3) and this test fails.
   Skipped on other architectures (the kernels are built on AArch64 only). */
#include <stdbool.h>
#include <stdio.h>

#include "util/test-util.h"

#if defined(__aarch64__)
#include "quant/fixedpoint.h"
#include "ukernels/requant-neon.h"

static int failures;
static long checks;

static void check_rdbp(int32_t x, int exponent) {
  checks++;
  const int32_t want = q8_rounding_divide_by_pot(x, exponent);
  const int32_t got =
      vgetq_lane_s32(q8_neon_rounding_divide_by_pot(vdupq_n_s32(x), vdupq_n_s32(-exponent)), 0);
  if (got != want && failures++ < 5)
    T_CHECK(false, "rounding shift of %d by %d: got %d, want %d", (int)x, exponent, (int)got,
            (int)want);
}

static void check_srdhm(int32_t a, int32_t b) {
  checks++;
  const int32_t want = q8_sat_rounding_doubling_high_mul(a, b);
  const int32_t got = vgetq_lane_s32(vqrdmulhq_s32(vdupq_n_s32(a), vdupq_n_s32(b)), 0);
  if (got != want && failures++ < 5)
    T_CHECK(false, "SQRDMULH of %d and %d: got %d, want %d", (int)a, (int)b, (int)got,
            (int)want);
}

static void check_stage(int32_t x, int32_t multiplier, int shift) {
  checks++;
  const int32_t want = q8_multiply_by_quantized_multiplier(x, multiplier, shift);
  const int32x4_t s = vdupq_n_s32(shift), zero = vdupq_n_s32(0);
  const int32_t got = vgetq_lane_s32(
      q8_neon_requant(vdupq_n_s32(x), vdupq_n_s32(multiplier), vmaxq_s32(s, zero),
                      vminq_s32(s, zero)),
      0);
  if (got != want && failures++ < 5)
    T_CHECK(false, "output stage of %d (multiplier %d shift %d): got %d, want %d", (int)x,
            (int)multiplier, shift, (int)got, (int)want);
}

static const int32_t edges[] = {INT32_MIN, INT32_MIN + 1, INT32_MIN + 2, -(1 << 30) - 1,
                                -(1 << 30), -(1 << 30) + 1, -65536, -32769, -32768, -3, -2,
                                -1, 0, 1, 2, 3, 32767, 32768, 65536, (1 << 30) - 1, 1 << 30,
                                (1 << 30) + 1, INT32_MAX - 2, INT32_MAX - 1, INT32_MAX};
enum { N_EDGES = sizeof edges / sizeof edges[0] };

static void rounding_shift(t_rng *rng) {
  for (int e = 0; e <= 31; e++) {
    for (int32_t x = -70000; x <= 70000; x++) check_rdbp(x, e);
    for (int32_t d = 0; d < 70000; d++) {
      check_rdbp(INT32_MIN + d, e);
      check_rdbp(INT32_MAX - d, e);
    }
    if (e == 0) continue;
    /* Ties and their neighbours at random multiples of 2^e, both signs. */
    const int64_t half = INT64_C(1) << (e - 1);
    for (int i = 0; i < 20000; i++) {
      const int64_t k = (int64_t)(int32_t)(uint32_t)t_rng_next(rng) >> e;
      for (int64_t d = -1; d <= 1; d++) {
        const int64_t lo = k * 2 * half - half + d, hi = k * 2 * half + half + d;
        if (lo >= INT32_MIN && lo <= INT32_MAX) check_rdbp((int32_t)lo, e);
        if (hi >= INT32_MIN && hi <= INT32_MAX) check_rdbp((int32_t)hi, e);
      }
    }
  }
}

static void doubling_high_mul(t_rng *rng) {
  for (int i = 0; i < N_EDGES; i++)
    for (int j = 0; j < N_EDGES; j++) check_srdhm(edges[i], edges[j]);
  /* a * b = odd * 2^30: exactly half way between two results. */
  for (int i = 0; i < 200000; i++) {
    const int p = (int)t_rng_range(rng, 0, 30);
    const int64_t range = INT64_C(1) << (30 - p);
    const int32_t odd = (int32_t)(t_rng_range(rng, -range, range) | 1);
    check_srdhm((int32_t)(INT64_C(1) << p) * (t_rng_range(rng, 0, 1) ? 1 : -1), odd);
  }
  for (int i = 0; i < 1000000; i++)
    check_srdhm((int32_t)(uint32_t)t_rng_next(rng), (int32_t)(uint32_t)t_rng_next(rng));
}

static void whole_stage(t_rng *rng) {
  for (int shift = -31; shift <= 30; shift++) {
    for (int i = 0; i < N_EDGES; i++)
      for (int j = 0; j < N_EDGES; j++) check_stage(edges[i], edges[j], shift);
    for (int i = 0; i < 20000; i++) {
      const int32_t x = (int32_t)(uint32_t)t_rng_next(rng) >> t_rng_range(rng, 0, 31);
      const int32_t m = t_rng_range(rng, 0, 3) ? (int32_t)t_rng_range(rng, 1 << 30, INT32_MAX)
                                               : (int32_t)(uint32_t)t_rng_next(rng);
      check_stage(x, m, shift);
    }
  }
}

int main(void) {
  t_rng rng = {t_seed(0x5EED)};
  rounding_shift(&rng);
  doubling_high_mul(&rng);
  whole_stage(&rng);
  printf("%ld values compared with quant/fixedpoint.h\n", checks);
  T_CHECK(failures == 0, "%d differences from quant/fixedpoint.h", failures);
  return t_finish();
}
#else
int main(void) { return t_skip("ukernels/test-requant-neon", "not an AArch64 build"); }
#endif
