/* Fixed-point transcendentals (exp, logistic, tanh, reciprocal) on raw int32 values,
   bit-exact with gemmlowp fixedpoint/fixedpoint.h (scalar int32 path) and TFLite's
   GetReciprocal. Integer arithmetic only: this file compiles with floating point forbidden.

   gemmlowp writes these as templates over the number of integer bits; here that number is
   a run-time argument. Its plain int32 additions and negations are done modulo 2^32 (via
   uint32_t), which is what gemmlowp's code computes on every two's-complement machine
   inside its domain, and stays defined outside it. */
#include "quant/fixedpoint.h"

/* Q0 constants, gemmlowp's raw values (comments give the real number they stand for). */
#define Q8_EXP_MINUS_ONE_EIGHTH INT32_C(1895147668) /* exp(-1/8) */
#define Q8_ONE_THIRD INT32_C(715827883)             /* 1/3 */
#define Q8_ONE_HALF_Q0 (INT32_C(1) << 30)           /* 1/2 */
/* Q2 constants of the Newton-Raphson division (gemmlowp's 48/17 and -32/17). */
#define Q8_48_OVER_17_Q2 INT32_C(1515870810)
#define Q8_NEG_32_OVER_17_Q2 INT32_C(-1010580540)
#define Q8_ONE_Q2 (INT32_C(1) << 29)

static inline int32_t wrap_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t wrap_sub(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a - (uint32_t)b);
}

static inline int32_t wrap_neg(int32_t a) { return (int32_t)(UINT32_C(0) - (uint32_t)a); }

int32_t q8_saturating_rounding_multiply_by_pot(int32_t x, int exponent) {
  if (exponent == 0) return x;
  if (exponent < 0) return q8_rounding_divide_by_pot(x, -exponent);
  /* gemmlowp saturates against +-(2^(31 - exponent) - 1), so -2^(31 - exponent) also maps
     to INT32_MIN (which is exact anyway). */
  const int32_t threshold = (int32_t)((UINT32_C(1) << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((int64_t)x * ((int64_t)1 << exponent));
}

/* gemmlowp RoundingHalfSum for int32: (a + b) / 2 rounded half away from zero. */
static int32_t rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  const int64_t sign = sum >= 0 ? 1 : -1;
  return (int32_t)((sum + sign) / 2);
}

int32_t q8_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  /* Taylor expansion around -1/8: x = a + 1/8 (1/8 in Q0 is 2^28). */
  const int32_t x = wrap_add(a, INT32_C(1) << 28);
  const int32_t x2 = q8_sat_rounding_doubling_high_mul(x, x);
  const int32_t x3 = q8_sat_rounding_doubling_high_mul(x2, x);
  const int32_t x4 = q8_sat_rounding_doubling_high_mul(x2, x2);
  const int32_t x4_over_4 = q8_rounding_divide_by_pot(x4, 2);
  /* x^4/24 + x^3/6 + x^2/2 = ((x^4/4 + x^3) / 3 + x^2) / 2 */
  const int32_t inner = wrap_add(
      q8_sat_rounding_doubling_high_mul(wrap_add(x4_over_4, x3), Q8_ONE_THIRD), x2);
  const int32_t poly = q8_rounding_divide_by_pot(inner, 1);
  return wrap_add(Q8_EXP_MINUS_ONE_EIGHTH,
                  q8_sat_rounding_doubling_high_mul(Q8_EXP_MINUS_ONE_EIGHTH, wrap_add(x, poly)));
}

/* exp(-2^k) in Q0 for k = -2 .. 4: the barrel shifter's factors (gemmlowp's constants). */
static const int32_t exp_of_minus_pot[7] = {
    INT32_C(1672461947), /* exp(-1/4) */
    INT32_C(1302514674), /* exp(-1/2) */
    INT32_C(790015084),  /* exp(-1) */
    INT32_C(290630308),  /* exp(-2) */
    INT32_C(39332535),   /* exp(-4) */
    INT32_C(720401),     /* exp(-8) */
    INT32_C(242),        /* exp(-16) */
};

int32_t q8_exp_on_negative_values(int32_t a, int integer_bits) {
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = INT32_C(1) << (fractional_bits - 2);
  const int32_t mask = one_quarter - 1;
  /* a = (a mod 1/4 - 1/4) - remainder, remainder a non-negative multiple of 1/4. */
  const int32_t a_mod_quarter_minus_one_quarter = wrap_sub(a & mask, one_quarter);
  int32_t result = q8_exp_on_interval_between_negative_one_quarter_and_0_excl(
      q8_rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
  const int32_t remainder = wrap_sub(a_mod_quarter_minus_one_quarter, a);

  /* Multiply by exp(-2^k) for each bit 2^k set in the remainder, k = -2 .. 4 (only the
     bits the format has: k < integer_bits). */
  for (int k = -2; k <= 4; k++) {
    if (integer_bits <= k) break;
    const int32_t bit = INT32_C(1) << (fractional_bits + k);
    if (remainder & bit)
      result = q8_sat_rounding_doubling_high_mul(result, exp_of_minus_pot[k + 2]);
  }

  /* Below -32, exp underflows Q0 entirely; gemmlowp tests that only when the format can
     hold -32 (integer_bits > 5). */
  if (integer_bits > 5) {
    const int32_t clamp = -(INT32_C(1) << (36 - integer_bits)); /* -32 */
    if (a < clamp) result = 0;
  }
  if (a == 0) result = INT32_MAX; /* exp(0) = 1, saturated in Q0 */
  return result;
}

/* Newton-Raphson iteration for 1 / (1 + a) shared by the two functions below: returns
   x ~ 1 / half_denominator in Q2, where half_denominator = (1 + a) / 2 in Q0. */
static int32_t newton_reciprocal_of_half_denominator_q2(int32_t half_denominator) {
  int32_t x = wrap_add(Q8_48_OVER_17_Q2,
                       q8_sat_rounding_doubling_high_mul(half_denominator, Q8_NEG_32_OVER_17_Q2));
  for (int i = 0; i < 3; i++) {
    const int32_t half_denominator_times_x = q8_sat_rounding_doubling_high_mul(half_denominator, x);
    const int32_t one_minus = wrap_sub(Q8_ONE_Q2, half_denominator_times_x);
    /* x * one_minus is Q4; Rescale<2> back to Q2. */
    x = wrap_add(x, q8_rescale(q8_sat_rounding_doubling_high_mul(x, one_minus), 4, 2));
  }
  return x;
}

int32_t q8_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = rounding_half_sum(a, INT32_MAX);
  const int32_t x = newton_reciprocal_of_half_denominator_q2(half_denominator);
  /* 1 / (1 + a) = x / 2: ExactMulByPot<-1> makes x a Q1 value, Rescale<0> takes it to Q0. */
  return q8_rescale(x, 1, 0);
}

int32_t q8_one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t half_denominator = rounding_half_sum(a, INT32_MAX);
  const int32_t x = newton_reciprocal_of_half_denominator_q2(half_denominator);
  /* (1 - a) / (1 + a) = 2 / (1 + a) - 1 = x - 1, from Q2 to Q0. */
  return q8_rescale(wrap_sub(x, Q8_ONE_Q2), 2, 0);
}

int32_t q8_tanh(int32_t a, int integer_bits) {
  if (a == 0) return 0;
  const int32_t negative_abs = a < 0 ? a : wrap_neg(a);
  /* tanh(-n) = (1 - exp(-2n)) / (1 + exp(-2n)); doubling is ExactMulByPot<1>: the same raw
     value read with one more integer bit. */
  const int32_t t = q8_one_minus_x_over_one_plus_x_for_x_in_0_1(
      q8_exp_on_negative_values(negative_abs, integer_bits + 1));
  return a < 0 ? wrap_neg(t) : t;
}

int32_t q8_logistic(int32_t a, int integer_bits) {
  if (a == 0) return Q8_ONE_HALF_Q0;
  const int32_t abs_a = a > 0 ? a : wrap_neg(a);
  /* logistic(|a|) = 1 / (1 + exp(-|a|)); logistic(-|a|) = 1 - logistic(|a|). */
  const int32_t if_positive = q8_one_over_one_plus_x_for_x_in_0_1(
      q8_exp_on_negative_values(wrap_neg(abs_a), integer_bits));
  return a > 0 ? if_positive : wrap_sub(INT32_MAX, if_positive);
}

int32_t q8_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit) {
  /* Leading zeros of x as uint32 (32 for 0, where TFLite's shift would be undefined). */
  int headroom_plus_one = 0;
  uint32_t probe = (uint32_t)x;
  while (headroom_plus_one < 32 && !(probe & UINT32_C(0x80000000))) {
    probe <<= 1;
    headroom_plus_one++;
  }
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  /* x normalised into [1, 2) as an unsigned Q1.31, minus one: a Q0 value in [0, 1). */
  const uint32_t normalised = (uint32_t)((uint64_t)(uint32_t)x << headroom_plus_one);
  const int32_t shifted_sum_minus_one = (int32_t)(normalised - (UINT32_C(1) << 31));
  return q8_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}
