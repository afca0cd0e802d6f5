/* A small pool of worker threads for the training engine: the caller plus n - 1 workers run
   one function together, each on its own static share of the work, so results do not
   depend on timing (only on the thread count). One pool per graph: the thread count is a
   setting of the trainer that owns it, never a global. */
#ifndef Q8_TRAIN_THREADS_H
#define Q8_TRAIN_THREADS_H

#include <stdint.h>

#include "q8/q8.h"

typedef struct q8t_threads q8t_threads;

/* Work run on every thread of a pool: thread is 0 (the caller) .. n_threads - 1. */
typedef void (*q8t_task_fn)(void *ctx, int32_t thread, int32_t n_threads);

/* Starts n_threads - 1 workers (n_threads in [1, 256]). */
q8_status q8t_threads_init(int32_t n_threads, q8t_threads **threads, q8_error *error);

/* Stops and joins the workers. NULL is allowed. */
void q8t_threads_free(q8t_threads *threads);

int32_t q8t_threads_count(const q8t_threads *threads);

/* Runs fn(ctx, t, n) on every thread t and returns when all have returned. Not reentrant:
   fn must not call q8t_threads_run on the same pool. */
void q8t_threads_run(q8t_threads *threads, q8t_task_fn fn, void *ctx);

/* The share [*begin, *end) of thread t among n of the items [0, count): contiguous, sizes
   differing by at most one, earlier threads taking the larger shares. */
static inline void q8t_split(int64_t count, int32_t t, int32_t n, int64_t *begin, int64_t *end) {
  const int64_t base = count / n, extra = count % n;
  *begin = t * base + (t < extra ? t : extra);
  *end = *begin + base + (t < extra ? 1 : 0);
}

#endif
