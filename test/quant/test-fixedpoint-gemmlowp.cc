// Oracle test: every function of src/quant/fixedpoint.{h,c} against gemmlowp's own
// fixedpoint/fixedpoint.h (Debian libgemmlowp-dev), bit for bit, on edge cases and millions
// of seeded random inputs. TFLite's compositions (MultiplyByQuantizedMultiplier, its
// GreaterThanOne/SmallerThanOneExp variants, GetReciprocal) are written here from their
// definitions in terms of gemmlowp calls. Q8_TEST_ITERATIONS scales the random part.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshift-negative-value"
#include <gemmlowp/fixedpoint/fixedpoint.h>
#pragma GCC diagnostic pop

extern "C" {
#include "quant/fixedpoint.h"
}
#include "util/test-util.h"

namespace {

using gemmlowp::FixedPoint;

t_rng rng;
long long comparisons;

// ---- Oracles: gemmlowp templates instantiated for every run-time parameter value. ----

using UnaryFn = int32_t (*)(int32_t);

constexpr int kMaxExpBits = 29;       // exp_on_negative_values / logistic: 0..29
constexpr int kMaxTanhBits = 28;      // tanh doubles its input: 0..28
constexpr int kPotOffset = 31;        // multiply_by_pot exponents -31..31

template <int kBits>
int32_t oracle_exp(int32_t a) {
  return gemmlowp::exp_on_negative_values(FixedPoint<int32_t, kBits>::FromRaw(a)).raw();
}
template <int kBits>
int32_t oracle_logistic(int32_t a) {
  return gemmlowp::logistic(FixedPoint<int32_t, kBits>::FromRaw(a)).raw();
}
template <int kBits>
int32_t oracle_tanh(int32_t a) {
  return gemmlowp::tanh(FixedPoint<int32_t, kBits>::FromRaw(a)).raw();
}
template <int kIndex>
int32_t oracle_multiply_by_pot(int32_t x) {
  return gemmlowp::SaturatingRoundingMultiplyByPOT<kIndex - kPotOffset>(x);
}

template <std::size_t... I>
std::array<UnaryFn, sizeof...(I)> exp_table(std::index_sequence<I...>) {
  return {{&oracle_exp<static_cast<int>(I)>...}};
}
template <std::size_t... I>
std::array<UnaryFn, sizeof...(I)> logistic_table(std::index_sequence<I...>) {
  return {{&oracle_logistic<static_cast<int>(I)>...}};
}
template <std::size_t... I>
std::array<UnaryFn, sizeof...(I)> tanh_table(std::index_sequence<I...>) {
  return {{&oracle_tanh<static_cast<int>(I)>...}};
}
template <std::size_t... I>
std::array<UnaryFn, sizeof...(I)> pot_table(std::index_sequence<I...>) {
  return {{&oracle_multiply_by_pot<static_cast<int>(I)>...}};
}

const auto kOracleExp = exp_table(std::make_index_sequence<kMaxExpBits + 1>());
const auto kOracleLogistic = logistic_table(std::make_index_sequence<kMaxExpBits + 1>());
const auto kOracleTanh = tanh_table(std::make_index_sequence<kMaxTanhBits + 1>());
const auto kOraclePot = pot_table(std::make_index_sequence<2 * kPotOffset + 1>());

// TFLite's int32 x * (1 << left_shift): two's-complement wrap, written without the
// undefined signed overflow so the oracle stays defined under UBSan.
int32_t tflite_left_shift(int32_t x, int left_shift) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) * (UINT32_C(1) << left_shift));
}

// kernels/internal/common.cc MultiplyByQuantizedMultiplier (TFLITE_SINGLE_ROUNDING off).
int32_t oracle_mbqm(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return gemmlowp::RoundingDivideByPOT(
      gemmlowp::SaturatingRoundingDoublingHighMul(tflite_left_shift(x, left_shift), multiplier),
      right_shift);
}

// kernels/internal/common.h MultiplyByQuantizedMultiplierGreaterThanOne (double rounding).
int32_t oracle_mbqm_greater_than_one(int32_t x, int32_t multiplier, int left_shift) {
  return gemmlowp::SaturatingRoundingDoublingHighMul(tflite_left_shift(x, left_shift),
                                                     multiplier);
}

// kernels/internal/common.h MultiplyByQuantizedMultiplierSmallerThanOneExp.
int32_t oracle_mbqm_smaller_than_one_exp(int32_t x, int32_t multiplier, int left_shift) {
  return gemmlowp::RoundingDivideByPOT(gemmlowp::SaturatingRoundingDoublingHighMul(x, multiplier),
                                       -left_shift);
}

// kernels/internal/common.h GetReciprocal, in terms of gemmlowp (x > 0).
int32_t oracle_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit) {
  const int headroom_plus_one = __builtin_clz(static_cast<uint32_t>(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const int32_t shifted_sum_minus_one = static_cast<int32_t>(
      (static_cast<uint32_t>(x) << headroom_plus_one) - (static_cast<uint32_t>(1) << 31));
  return gemmlowp::one_over_one_plus_x_for_x_in_0_1(
             FixedPoint<int32_t, 0>::FromRaw(shifted_sum_minus_one))
      .raw();
}

// ---- Input generators. ----

// Uniform over all of int32.
int32_t any_int32() { return static_cast<int32_t>(static_cast<uint32_t>(t_rng_next(&rng))); }

// Magnitude of random bit length (small values as likely as large ones), random sign.
int32_t log_uniform_int32() {
  const uint64_t r = t_rng_next(&rng);
  const int bits = static_cast<int>(r % 32);  // 0..31 significant bits
  int64_t v = static_cast<int64_t>((r >> 8) & ((UINT64_C(1) << bits) - 1));
  if (bits > 0) v |= INT64_C(1) << (bits - 1);
  if ((r >> 63) != 0) v = -v;
  if ((r & 0xff) == 0x5a) return INT32_MIN;
  return static_cast<int32_t>(v);
}

int32_t mixed_int32() { return (t_rng_next(&rng) & 1) ? any_int32() : log_uniform_int32(); }

int32_t non_positive_int32() {
  const int32_t v = mixed_int32();
  if (v == INT32_MIN) return v;
  return v > 0 ? -v : v;
}

int32_t non_negative_int32() {
  const int32_t v = mixed_int32();
  if (v == INT32_MIN) return INT32_MAX;
  return v < 0 ? -v : v;
}

std::vector<int32_t> edge_values() {
  std::vector<int32_t> v = {INT32_MIN, INT32_MIN + 1, INT32_MIN + 2, -3, -2, -1, 0, 1, 2, 3,
                            INT32_MAX - 2, INT32_MAX - 1, INT32_MAX};
  for (int e = 0; e <= 30; e++) {
    const int32_t p = INT32_C(1) << e;
    for (int32_t d = -1; d <= 1; d++) {
      v.push_back(p + d);
      v.push_back(-p + d);
    }
  }
  return v;
}

long long iterations() {
  const char *env = std::getenv("Q8_TEST_ITERATIONS");
  const long long n = env != nullptr ? std::atoll(env) : 4000000;
  return n > 0 ? n : 1;
}

// Counts mismatches of one (function, parameter) group and prints the first few.
struct Group {
  const char *name;
  int param;
  long long mismatches = 0;
  Group(const char *n, int p) : name(n), param(p) {}
  void compare(int32_t input_a, int32_t input_b, int32_t got, int32_t want) {
    comparisons++;
    if (got == want) return;
    if (mismatches++ < 5)
      std::fprintf(stderr, "%s(param %d): inputs %d, %d: q8 %d, gemmlowp %d\n", name, param,
                   static_cast<int>(input_a), static_cast<int>(input_b), static_cast<int>(got),
                   static_cast<int>(want));
  }
  ~Group() {
    T_CHECK(mismatches == 0, "%s(param %d): %lld mismatches", name, param, mismatches);
  }
};

// ---- Tests. ----

void test_srdhm(long long n) {
  Group g("SaturatingRoundingDoublingHighMul", 0);
  const std::vector<int32_t> edges = edge_values();
  for (int32_t a : edges)
    for (int32_t b : edges)
      g.compare(a, b, q8_sat_rounding_doubling_high_mul(a, b),
                gemmlowp::SaturatingRoundingDoublingHighMul(a, b));
  for (long long i = 0; i < n; i++) {
    const int32_t a = mixed_int32(), b = mixed_int32();
    g.compare(a, b, q8_sat_rounding_doubling_high_mul(a, b),
              gemmlowp::SaturatingRoundingDoublingHighMul(a, b));
  }
  // Exact ties: a * b == (2k + 1) * 2^30, e.g. a = 2k + 1, b = 2^30, both signs.
  for (int32_t k = -1000; k <= 1000; k++) {
    const int32_t a = 2 * k + 1;
    for (int32_t b : {INT32_C(1) << 30, -(INT32_C(1) << 30)})
      g.compare(a, b, q8_sat_rounding_doubling_high_mul(a, b),
                gemmlowp::SaturatingRoundingDoublingHighMul(a, b));
  }
}

void test_rounding_divide_by_pot(long long n) {
  const std::vector<int32_t> edges = edge_values();
  for (int e = 0; e <= 31; e++) {
    Group g("RoundingDivideByPOT", e);
    for (int32_t x : edges) g.compare(x, e, q8_rounding_divide_by_pot(x, e), gemmlowp::RoundingDivideByPOT(x, e));
    // Exact ties (k + 1/2) * 2^e and their neighbours, both signs.
    if (e > 0) {
      for (int64_t k = -300; k <= 300; k++) {
        const int64_t tie = k * (INT64_C(1) << e) + (INT64_C(1) << (e - 1));
        for (int64_t d = -1; d <= 1; d++) {
          const int64_t x64 = tie + d;
          if (x64 < INT32_MIN || x64 > INT32_MAX) continue;
          const int32_t x = static_cast<int32_t>(x64);
          g.compare(x, e, q8_rounding_divide_by_pot(x, e), gemmlowp::RoundingDivideByPOT(x, e));
        }
      }
    }
    for (long long i = 0; i < n / 32; i++) {
      const int32_t x = mixed_int32();
      g.compare(x, e, q8_rounding_divide_by_pot(x, e), gemmlowp::RoundingDivideByPOT(x, e));
    }
  }
}

void test_multiply_by_pot(long long n) {
  const std::vector<int32_t> edges = edge_values();
  for (int e = -31; e <= 31; e++) {
    Group g("SaturatingRoundingMultiplyByPOT", e);
    const UnaryFn oracle = kOraclePot[static_cast<std::size_t>(e + kPotOffset)];
    for (int32_t x : edges) g.compare(x, e, q8_saturating_rounding_multiply_by_pot(x, e), oracle(x));
    for (long long i = 0; i < n / 63; i++) {
      const int32_t x = mixed_int32();
      g.compare(x, e, q8_saturating_rounding_multiply_by_pot(x, e), oracle(x));
    }
  }
}

int32_t random_multiplier() {
  switch (t_rng_next(&rng) % 4) {
    case 0: return static_cast<int32_t>(t_rng_range(&rng, INT64_C(1) << 30, INT32_MAX));  // normal Q31
    case 1: return static_cast<int32_t>(t_rng_range(&rng, 0, INT32_MAX));
    case 2: return any_int32();  // negative too: the formula is defined for any multiplier
    default: {
      static const int32_t special[] = {0, 1, INT32_C(1) << 30, (INT32_C(1) << 30) + 1, INT32_MAX,
                                        INT32_MAX - 1, INT32_MIN, -1};
      return special[t_rng_next(&rng) % 8];
    }
  }
}

void test_mbqm(long long n) {
  const std::vector<int32_t> edges = edge_values();
  const int32_t multipliers[] = {0, 1, INT32_C(1) << 30, 1518500250, INT32_MAX};
  for (int shift = -31; shift <= 30; shift++) {
    Group g("MultiplyByQuantizedMultiplier", shift);
    for (int32_t x : edges)
      for (int32_t m : multipliers)
        g.compare(x, m, q8_multiply_by_quantized_multiplier(x, m, shift), oracle_mbqm(x, m, shift));
    for (long long i = 0; i < n / 62; i++) {
      const int32_t x = mixed_int32(), m = random_multiplier();
      g.compare(x, m, q8_multiply_by_quantized_multiplier(x, m, shift), oracle_mbqm(x, m, shift));
    }
  }
  for (int left_shift = 0; left_shift <= 31; left_shift++) {
    Group g("MultiplyByQuantizedMultiplierGreaterThanOne", left_shift);
    for (long long i = 0; i < n / 64; i++) {
      const int32_t x = mixed_int32(), m = random_multiplier();
      g.compare(x, m, q8_multiply_by_quantized_multiplier_greater_than_one(x, m, left_shift),
                oracle_mbqm_greater_than_one(x, m, left_shift));
    }
  }
  for (int left_shift = -31; left_shift <= 0; left_shift++) {
    Group g("MultiplyByQuantizedMultiplierSmallerThanOneExp", left_shift);
    for (long long i = 0; i < n / 64; i++) {
      const int32_t x = mixed_int32(), m = random_multiplier();
      g.compare(x, m, q8_multiply_by_quantized_multiplier_smaller_than_one_exp(x, m, left_shift),
                oracle_mbqm_smaller_than_one_exp(x, m, left_shift));
    }
  }
}

void test_exp_on_interval(long long n) {
  Group g("exp_on_interval_between_negative_one_quarter_and_0_excl", 0);
  using F0 = FixedPoint<int32_t, 0>;
  auto check = [&](int32_t a) {
    g.compare(a, 0, q8_exp_on_interval_between_negative_one_quarter_and_0_excl(a),
              gemmlowp::exp_on_interval_between_negative_one_quarter_and_0_excl(F0::FromRaw(a)).raw());
  };
  const int32_t lo = -(INT32_C(1) << 29);  // -1/4
  for (int32_t a = lo; a < lo + 1000; a++) check(a);
  for (int32_t a = -1000; a <= 0; a++) check(a);
  for (long long i = 0; i < n; i++) check(static_cast<int32_t>(t_rng_range(&rng, lo, 0)));
}

void test_exp_on_negative_values(long long n) {
  const std::vector<int32_t> edges = edge_values();
  for (int bits = 0; bits <= kMaxExpBits; bits++) {
    Group g("exp_on_negative_values", bits);
    const UnaryFn oracle = kOracleExp[static_cast<std::size_t>(bits)];
    for (int32_t a : edges)
      if (a <= 0) g.compare(a, bits, q8_exp_on_negative_values(a, bits), oracle(a));
    // Around every multiple of 1/4 the barrel shifter switches factors.
    const int frac = 31 - bits;
    for (int64_t q = 0; q <= 200; q++) {
      const int64_t center = -q * (INT64_C(1) << (frac - 2));
      for (int64_t d = -2; d <= 2; d++) {
        const int64_t a64 = center + d;
        if (a64 > 0 || a64 < INT32_MIN) continue;
        const int32_t a = static_cast<int32_t>(a64);
        g.compare(a, bits, q8_exp_on_negative_values(a, bits), oracle(a));
      }
    }
    for (long long i = 0; i < n / (kMaxExpBits + 1); i++) {
      const int32_t a = non_positive_int32();
      g.compare(a, bits, q8_exp_on_negative_values(a, bits), oracle(a));
    }
  }
}

void test_one_over_one_plus_x(long long n) {
  using F0 = FixedPoint<int32_t, 0>;
  Group g1("one_over_one_plus_x_for_x_in_0_1", 0);
  Group g2("one_minus_x_over_one_plus_x_for_x_in_0_1", 0);
  auto check = [&](int32_t a) {
    g1.compare(a, 0, q8_one_over_one_plus_x_for_x_in_0_1(a),
               gemmlowp::one_over_one_plus_x_for_x_in_0_1(F0::FromRaw(a)).raw());
    g2.compare(a, 0, q8_one_minus_x_over_one_plus_x_for_x_in_0_1(a),
               gemmlowp::one_minus_x_over_one_plus_x_for_x_in_0_1(F0::FromRaw(a)).raw());
  };
  for (int32_t a : edge_values())
    if (a >= 0) check(a);
  for (long long i = 0; i < n; i++) check(non_negative_int32());
}

void test_logistic_tanh(long long n) {
  const std::vector<int32_t> edges = edge_values();
  // gemmlowp negates its input (-a), undefined for INT32_MIN: that one value is outside
  // the domain (operators never produce it).
  for (int bits = 0; bits <= kMaxExpBits; bits++) {
    Group g("logistic", bits);
    const UnaryFn oracle = kOracleLogistic[static_cast<std::size_t>(bits)];
    for (int32_t a : edges)
      if (a != INT32_MIN) g.compare(a, bits, q8_logistic(a, bits), oracle(a));
    for (long long i = 0; i < n / (kMaxExpBits + 1); i++) {
      int32_t a = mixed_int32();
      if (a == INT32_MIN) a = INT32_MIN + 1;
      g.compare(a, bits, q8_logistic(a, bits), oracle(a));
    }
  }
  for (int bits = 0; bits <= kMaxTanhBits; bits++) {
    Group g("tanh", bits);
    const UnaryFn oracle = kOracleTanh[static_cast<std::size_t>(bits)];
    for (int32_t a : edges)
      if (a != INT32_MIN) g.compare(a, bits, q8_tanh(a, bits), oracle(a));
    for (long long i = 0; i < n / (kMaxTanhBits + 1); i++) {
      int32_t a = mixed_int32();
      if (a == INT32_MIN) a = INT32_MIN + 1;
      g.compare(a, bits, q8_tanh(a, bits), oracle(a));
    }
  }
  // The operators' own input format (Q4, |a| < 15 * 2^27): dense random coverage.
  Group gl("logistic Q4 operator range", 4), gt("tanh Q4 operator range", 4);
  const int64_t radius = INT64_C(15) << 27;
  for (long long i = 0; i < n / 2; i++) {
    const int32_t a = static_cast<int32_t>(t_rng_range(&rng, -radius, radius));
    gl.compare(a, 4, q8_logistic(a, 4), kOracleLogistic[4](a));
    gt.compare(a, 4, q8_tanh(a, 4), kOracleTanh[4](a));
  }
}

void test_get_reciprocal(long long n) {
  const std::vector<int32_t> edges = edge_values();
  for (int digits = 0; digits <= 31; digits++) {
    Group g("GetReciprocal", digits);
    Group gb("GetReciprocal num_bits_over_unit", digits);
    auto check = [&](int32_t x) {
      int bits_q8 = -999, bits_oracle = -998;
      const int32_t got = q8_get_reciprocal(x, digits, &bits_q8);
      const int32_t want = oracle_get_reciprocal(x, digits, &bits_oracle);
      g.compare(x, digits, got, want);
      gb.compare(x, digits, bits_q8, bits_oracle);
    };
    for (int32_t x : edges)
      if (x > 0) check(x);
    for (long long i = 0; i < n / 32; i++) {
      int32_t x = non_negative_int32();
      if (x == 0) x = 1;
      check(x);
    }
  }
}

}  // namespace

int main() {
  rng.state = t_seed(UINT64_C(0x71f0c0de));
  const long long n = iterations();
  std::printf("iterations per function: %lld (set Q8_TEST_ITERATIONS to change)\n", n);
  test_srdhm(n);
  test_rounding_divide_by_pot(n);
  test_multiply_by_pot(n);
  test_mbqm(n);
  test_exp_on_interval(n);
  test_exp_on_negative_values(n);
  test_one_over_one_plus_x(n);
  test_logistic_tanh(n);
  test_get_reciprocal(n);
  std::printf("%lld comparisons against gemmlowp\n", comparisons);
  return t_finish();
}
