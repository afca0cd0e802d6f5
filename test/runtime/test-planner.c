/* The arena planner never gives overlapping bytes to tensors alive at the same time, and
   shares memory when lifetimes allow. */
#include <stdlib.h>

#include "runtime/runtime.h"
#include "util/test-util.h"

static int overlaps(size_t a, size_t an, size_t b, size_t bn) { return a < b + bn && b < a + an; }

static void check_plan(t_rng *rng, int32_t n, int32_t n_nodes) {
  q8_lifetime life[64];
  size_t sizes[64], offsets[64];
  size_t total = 0;
  for (int32_t t = 0; t < n; t++) {
    int32_t a = (int32_t)t_rng_range(rng, -1, n_nodes);
    int32_t b = (int32_t)t_rng_range(rng, a, n_nodes);
    /* Some tensors have no lifetime (constants): first > last. */
    life[t] = t_rng_range(rng, 0, 9) == 0 ? (q8_lifetime){1, 0} : (q8_lifetime){a, b};
    sizes[t] = (size_t)t_rng_range(rng, 0, 5000);
    if (life[t].first <= life[t].last) total += (sizes[t] + 63) / 64 * 64;
  }
  size_t arena = q8_plan_arena(n, life, sizes, offsets);
  T_CHECK(arena <= total, "arena %zu exceeds the unshared total %zu", arena, total);
  for (int32_t i = 0; i < n; i++) {
    int alive = life[i].first <= life[i].last;
    T_CHECK(alive == (offsets[i] != SIZE_MAX), "tensor %d: placed %d, alive %d", (int)i,
            offsets[i] != SIZE_MAX, alive);
    if (!alive) continue;
    T_CHECK(offsets[i] % 64 == 0, "tensor %d offset %zu not 64-aligned", (int)i, offsets[i]);
    T_CHECK(offsets[i] + sizes[i] <= arena, "tensor %d ends past the arena", (int)i);
    for (int32_t j = i + 1; j < n; j++) {
      if (life[j].first > life[j].last) continue;
      int together = life[i].first <= life[j].last && life[j].first <= life[i].last;
      if (together && sizes[i] > 0 && sizes[j] > 0)
        T_CHECK(!overlaps(offsets[i], sizes[i], offsets[j], sizes[j]),
                "tensors %d [%d,%d] and %d [%d,%d] share bytes", (int)i, (int)life[i].first,
                (int)life[i].last, (int)j, (int)life[j].first, (int)life[j].last);
    }
  }
}

/* A chain a -> b -> c -> d: a and c can share, b and d can share. */
static void check_chain_shares(void) {
  q8_lifetime life[4] = {{-1, 0}, {0, 1}, {1, 2}, {2, 3}};
  size_t sizes[4] = {1000, 1000, 1000, 1000}, offsets[4];
  size_t arena = q8_plan_arena(4, life, sizes, offsets);
  T_CHECK(arena == 2 * 1024, "a chain of four 1000-byte tensors needs two slots, got %zu", arena);
}

/* Sizes whose sum passes SIZE_MAX must fail, never wrap into shared offsets. */
static void check_overflow_refused(void) {
  q8_lifetime life[3] = {{0, 2}, {0, 2}, {0, 2}};
  size_t sizes[3] = {SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1, 64}, offsets[3];
  size_t arena = q8_plan_arena(3, life, sizes, offsets);
  T_CHECK(arena == SIZE_MAX, "overflowing plan returned arena %zu", arena);
}

int main(void) {
  t_rng rng = {t_seed(20261127)};
  check_chain_shares();
  check_overflow_refused();
  for (int k = 0; k < 2000; k++)
    check_plan(&rng, (int32_t)t_rng_range(&rng, 0, 64), (int32_t)t_rng_range(&rng, 1, 30));
  return t_finish();
}
