/* The training engine's seeded random numbers: xoshiro256** seeded through splitmix64. */
#ifndef Q8_TRAIN_RNG_H
#define Q8_TRAIN_RNG_H

#include <stddef.h>
#include <stdint.h>

/* One stream. The whole state is these four words, so a checkpoint can save and restore it. */
typedef struct q8t_rng {
  uint64_t s[4];
} q8t_rng;

/* Seeds a stream: the four state words are four splitmix64 outputs of seed, so seeds that
   differ in one bit give unrelated streams. stream selects an independent stream for the
   same seed (initialisation, shuffling, ...): seed and stream are mixed before seeding. */
void q8t_rng_seed(q8t_rng *rng, uint64_t seed, uint64_t stream);

uint64_t q8t_rng_next(q8t_rng *rng);

/* Uniform in [0, n) without modulo bias (n >= 1). */
uint64_t q8t_rng_below(q8t_rng *rng, uint64_t n);

/* Uniform double in [0, 1), 53 random bits. */
double q8t_rng_unit(q8t_rng *rng);

/* Standard normal (Box-Muller; one value per call, the second is discarded so that the
   stream position does not depend on a cached value). */
double q8t_rng_normal(q8t_rng *rng);

/* Fisher-Yates shuffle of order[0..n). */
void q8t_rng_shuffle(q8t_rng *rng, int32_t *order, size_t n);

#endif
