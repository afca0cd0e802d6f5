/* xoshiro256** (Blackman and Vigna) seeded with splitmix64, plus the draws training needs. */
#include "train/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void q8t_rng_seed(q8t_rng *rng, uint64_t seed, uint64_t stream) {
  uint64_t x = seed;
  /* Mixing the stream number through splitmix first keeps (seed, stream) pairs apart even
     when seed ^ stream would collide. */
  uint64_t s = stream;
  x ^= splitmix64(&s);
  for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
  /* xoshiro's state must not be all zero; splitmix64 of anything never gives four zeros,
     but a restored state could, so keep the guard. */
  if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0) rng->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t q8t_rng_next(q8t_rng *rng) {
  uint64_t *s = rng->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint64_t q8t_rng_below(q8t_rng *rng, uint64_t n) {
  if (n <= 1) return 0;
  /* Reject the top sliver that would make some residues more likely. */
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = q8t_rng_next(rng);
  while (x >= limit);
  return x % n;
}

double q8t_rng_unit(q8t_rng *rng) { return (double)(q8t_rng_next(rng) >> 11) * 0x1.0p-53; }

double q8t_rng_normal(q8t_rng *rng) {
  /* 1 - unit is in (0, 1], so the logarithm is finite. */
  const double u1 = 1.0 - q8t_rng_unit(rng);
  const double u2 = q8t_rng_unit(rng);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

void q8t_rng_shuffle(q8t_rng *rng, int32_t *order, size_t n) {
  for (size_t i = n; i > 1; i--) {
    const size_t j = (size_t)q8t_rng_below(rng, i);
    const int32_t t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
}
