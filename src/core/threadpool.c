/* The worker pool: a generation counter announces a run, an atomic counter hands out tasks.
   Workers spin briefly before sleeping, because operators follow each other within
   microseconds and a sleeping thread takes tens of microseconds to wake. */
#include "core/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* Spin iterations before a worker sleeps (each a pause instruction, about 10-40 ns). */
enum { SPIN_BEFORE_SLEEP = 20000 };

typedef struct worker {
  q8_threadpool *pool;
  int32_t index;
  pthread_t thread;
} worker;

struct q8_threadpool {
  int32_t threads;
  worker *workers; /* threads - 1 of them */
  int32_t started; /* workers whose thread exists */
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  /* The current run. */
  q8_task_fn fn;
  void *context;
  int32_t tasks;
  atomic_int next_task;
  atomic_int pending; /* tasks not yet finished */
  atomic_uint generation; /* incremented per run; workers run once per new value */
  atomic_int busy_workers; /* workers still inside the current run */
  atomic_bool stop;
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ volatile("pause");
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

static void run_tasks(q8_threadpool *p, int32_t thread) {
  for (;;) {
    const int32_t t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed);
    if (t >= p->tasks) break;
    p->fn(p->context, t, thread);
    atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
  }
}

/* Waits for a generation other than seen (or stop); returns the new generation. */
static unsigned wait_for_run(q8_threadpool *p, unsigned seen) {
  for (int i = 0; i < SPIN_BEFORE_SLEEP; i++) {
    const unsigned g = atomic_load_explicit(&p->generation, memory_order_acquire);
    if (g != seen || atomic_load_explicit(&p->stop, memory_order_acquire)) return g;
    cpu_relax();
  }
  pthread_mutex_lock(&p->mutex);
  unsigned g;
  while ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen &&
         !atomic_load_explicit(&p->stop, memory_order_acquire))
    pthread_cond_wait(&p->wake, &p->mutex);
  pthread_mutex_unlock(&p->mutex);
  return g;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  q8_threadpool *p = w->pool;
  unsigned seen = 0;
  for (;;) {
    seen = wait_for_run(p, seen);
    if (atomic_load_explicit(&p->stop, memory_order_acquire)) break;
    run_tasks(p, w->index);
    atomic_fetch_sub_explicit(&p->busy_workers, 1, memory_order_release);
  }
  return NULL;
}

q8_status q8_threadpool_create(int32_t threads, q8_threadpool **out, q8_error *error) {
  *out = NULL;
  if (threads < 1 || threads > Q8_MAX_THREADS)
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "threads = %d, expected 1 to %d",
                   (int)threads, (int)Q8_MAX_THREADS);
  q8_threadpool *p = calloc(1, sizeof *p);
  if (p == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  p->threads = threads;
  pthread_mutex_init(&p->mutex, NULL);
  pthread_cond_init(&p->wake, NULL);
  if (threads > 1) {
    p->workers = calloc((size_t)threads - 1, sizeof *p->workers);
    if (p->workers == NULL) {
      q8_threadpool_free(p);
      return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  }
  for (int32_t i = 0; i < threads - 1; i++) {
    p->workers[i] = (worker){.pool = p, .index = i + 1};
    if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]) != 0) {
      q8_threadpool_free(p);
      return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "could not start thread %d of %d",
                     (int)i + 2, (int)threads);
    }
    p->started++;
  }
  *out = p;
  return Q8_OK;
}

void q8_threadpool_free(q8_threadpool *p) {
  if (p == NULL) return;
  pthread_mutex_lock(&p->mutex);
  atomic_store_explicit(&p->stop, true, memory_order_release);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mutex);
  for (int32_t i = 0; i < p->started; i++) pthread_join(p->workers[i].thread, NULL);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->mutex);
  free(p->workers);
  free(p);
}

int32_t q8_threadpool_size(const q8_threadpool *p) { return p != NULL ? p->threads : 1; }

void q8_threadpool_run(q8_threadpool *p, q8_task_fn fn, void *context, int32_t tasks) {
  if (p == NULL || p->threads == 1 || tasks <= 1) {
    for (int32_t t = 0; t < tasks; t++) fn(context, t, 0);
    return;
  }
  p->fn = fn;
  p->context = context;
  p->tasks = tasks;
  atomic_store_explicit(&p->next_task, 0, memory_order_relaxed);
  atomic_store_explicit(&p->pending, tasks, memory_order_relaxed);
  atomic_store_explicit(&p->busy_workers, p->threads - 1, memory_order_relaxed);
  pthread_mutex_lock(&p->mutex);
  atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->mutex);
  run_tasks(p, 0);
  /* Every task done, and every worker out of run_tasks, before the next run may reset the
     counters they read. */
  while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0 ||
         atomic_load_explicit(&p->busy_workers, memory_order_acquire) > 0)
    cpu_relax();
}
