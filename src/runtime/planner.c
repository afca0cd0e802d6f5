/* Memory planner: places activation tensors in one arena, sharing bytes between tensors
   whose lifetimes do not overlap (greedy by size, largest first, lowest fitting offset). */
#include <stdint.h>
#include <stdlib.h>

#include "runtime/runtime.h"

enum { ARENA_ALIGN = 64 };

typedef struct placed {
  size_t offset;
  size_t size;
  q8_lifetime life;
} placed;

/* Saturating: a sum that would wrap becomes SIZE_MAX, which no allocation can satisfy, so
   an absurd plan fails instead of handing two live tensors the same bytes. */
static size_t add_sat(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

static size_t align_up(size_t n) {
  return n > SIZE_MAX - (ARENA_ALIGN - 1) ? SIZE_MAX : (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
}

static bool lifetimes_overlap(q8_lifetime a, q8_lifetime b) {
  return a.first <= b.last && b.first <= a.last;
}

static int compare_placed_offset(const void *a, const void *b) {
  const placed *x = a, *y = b;
  return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Lowest offset at which size bytes fit between the already placed tensors that are alive
   at the same time (placed is sorted by offset). */
static size_t lowest_fit(const placed *done, int32_t n_done, size_t size, q8_lifetime life) {
  size_t candidate = 0;
  for (int32_t i = 0; i < n_done; i++) {
    if (!lifetimes_overlap(done[i].life, life)) continue;
    if (done[i].offset >= add_sat(candidate, size)) break;
    size_t end = align_up(add_sat(done[i].offset, done[i].size));
    if (end > candidate) candidate = end;
  }
  return candidate;
}

size_t q8_plan_arena(int32_t n_tensors, const q8_lifetime *lifetimes, const size_t *sizes,
                     size_t *offsets) {
  placed *done = malloc(sizeof(placed) * (size_t)(n_tensors > 0 ? n_tensors : 1));
  bool *is_done = calloc((size_t)(n_tensors > 0 ? n_tensors : 1), sizeof(bool));
  if (done == NULL || is_done == NULL) {
    free(done);
    free(is_done);
    return SIZE_MAX;
  }
  int32_t n_done = 0;
  size_t arena = 0;
  for (int32_t t = 0; t < n_tensors; t++) offsets[t] = SIZE_MAX;
  for (;;) {
    /* Next: the largest unplaced tensor (ties: lowest index, for a deterministic plan). */
    int32_t best = -1;
    for (int32_t t = 0; t < n_tensors; t++) {
      if (is_done[t] || lifetimes[t].first > lifetimes[t].last) continue;
      if (best < 0 || sizes[t] > sizes[best]) best = t;
    }
    if (best < 0) break;
    size_t offset = lowest_fit(done, n_done, sizes[best], lifetimes[best]);
    offsets[best] = offset;
    is_done[best] = true;
    done[n_done++] = (placed){offset, sizes[best], lifetimes[best]};
    qsort(done, (size_t)n_done, sizeof(placed), compare_placed_offset);
    size_t end = align_up(add_sat(offset, sizes[best]));
    if (end > arena) arena = end;
    if (arena == SIZE_MAX) break; /* too large to exist: the caller reports it */
  }
  free(done);
  free(is_done);
  return arena;
}

