/* The thread pool: every task runs exactly once, on a valid thread index, for any pool size
   and task count; runs follow each other without losing or repeating tasks; bad sizes are
   refused with a message. */
#include <stdatomic.h>
#include <string.h>

#include "core/threadpool.h"
#include "util/test-util.h"

enum { MAX_TASKS = 1000 };

typedef struct counts {
  atomic_int runs[MAX_TASKS];
  atomic_int bad_thread;
  int32_t threads;
} counts;

static void count_task(void *context, int32_t task, int32_t thread) {
  counts *c = context;
  atomic_fetch_add(&c->runs[task], 1);
  if (thread < 0 || thread >= c->threads) atomic_fetch_add(&c->bad_thread, 1);
}

static void check_pool(int32_t threads) {
  q8_threadpool *pool = NULL;
  q8_error err;
  T_CHECK(q8_threadpool_create(threads, &pool, &err) == Q8_OK && pool != NULL,
          "create %d threads: %s", (int)threads, err.message);
  if (pool == NULL) return;
  T_CHECK(q8_threadpool_size(pool) == threads, "size %d, expected %d",
          (int)q8_threadpool_size(pool), (int)threads);
  static counts c;
  const int32_t task_counts[] = {0, 1, 2, 3, 7, 64, 999, MAX_TASKS};
  for (int round = 0; round < 200; round++) {
    const int32_t tasks = task_counts[round % 8];
    memset(&c, 0, sizeof c);
    c.threads = threads;
    q8_threadpool_run(pool, count_task, &c, tasks);
    int wrong = 0;
    for (int32_t t = 0; t < MAX_TASKS; t++) wrong += atomic_load(&c.runs[t]) != (t < tasks);
    T_CHECK(wrong == 0 && atomic_load(&c.bad_thread) == 0,
            "%d threads, round %d, %d tasks: %d tasks ran a wrong number of times, %d on a "
            "thread index out of range", (int)threads, round, (int)tasks, wrong,
            atomic_load(&c.bad_thread));
  }
  q8_threadpool_free(pool);
}

int main(void) {
  const int32_t sizes[] = {1, 2, 3, 8};
  for (int i = 0; i < 4; i++) check_pool(sizes[i]);

  /* A NULL pool runs inline. */
  static counts c;
  c.threads = 1;
  q8_threadpool_run(NULL, count_task, &c, 5);
  T_CHECK(atomic_load(&c.runs[4]) == 1 && q8_threadpool_size(NULL) == 1, "NULL pool");

  q8_threadpool *pool = NULL;
  q8_error err;
  T_CHECK(q8_threadpool_create(0, &pool, &err) == Q8_ERROR_INVALID_ARGUMENT && pool == NULL &&
              strstr(err.message, "threads = 0") != NULL,
          "0 threads: %s", err.message);
  T_CHECK(q8_threadpool_create(Q8_MAX_THREADS + 1, &pool, &err) == Q8_ERROR_INVALID_ARGUMENT,
          "too many threads accepted");
  return t_finish();
}
