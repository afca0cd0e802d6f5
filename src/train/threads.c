/* The worker pool: a generation counter wakes the workers (a short spin first, because
   training dispatches hundreds of small jobs per step and a sleeping thread takes tens of
   microseconds to wake), a countdown tells the caller when all are done. */
#include "train/threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/error.h"

/* Iterations of the busy wait before a thread sleeps: some tens of microseconds. */
enum { SPIN_ITERATIONS = 1 << 15 };

typedef struct worker {
  q8t_threads *pool;
  int32_t index;
  pthread_t thread;
} worker;

struct q8t_threads {
  int32_t n_threads;
  worker *workers; /* n_threads - 1 */
  int32_t n_started;
  pthread_mutex_t mutex;
  pthread_cond_t wake; /* generation changed or stop */
  pthread_cond_t done; /* remaining reached 0 */
  atomic_uint generation;
  atomic_int remaining;
  atomic_bool stop;
  q8t_task_fn fn;
  void *ctx;
};

static void finish_share(q8t_threads *pool) {
  if (atomic_fetch_sub(&pool->remaining, 1) == 1) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_signal(&pool->done);
    pthread_mutex_unlock(&pool->mutex);
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  q8t_threads *pool = w->pool;
  unsigned seen = 0;
  for (;;) {
    for (int i = 0; i < SPIN_ITERATIONS && atomic_load(&pool->generation) == seen; i++) {
      if (atomic_load_explicit(&pool->stop, memory_order_relaxed)) break;
    }
    if (atomic_load(&pool->generation) == seen) {
      pthread_mutex_lock(&pool->mutex);
      while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop)) {
        pthread_cond_wait(&pool->wake, &pool->mutex);
      }
      pthread_mutex_unlock(&pool->mutex);
    }
    if (atomic_load(&pool->stop)) return NULL;
    seen = atomic_load(&pool->generation);
    pool->fn(pool->ctx, w->index, pool->n_threads);
    finish_share(pool);
  }
}

q8_status q8t_threads_init(int32_t n_threads, q8t_threads **threads, q8_error *error) {
  *threads = NULL;
  if (n_threads < 1 || n_threads > 256) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "thread count %d: expected 1 to 256",
                   (int)n_threads);
  }
  q8t_threads *pool = calloc(1, sizeof *pool);
  if (pool == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "thread pool");
  pool->n_threads = n_threads;
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->done, NULL);
  atomic_init(&pool->generation, 0);
  atomic_init(&pool->remaining, 0);
  atomic_init(&pool->stop, false);
  if (n_threads > 1) {
    pool->workers = calloc((size_t)n_threads - 1, sizeof *pool->workers);
    if (pool->workers == NULL) {
      q8t_threads_free(pool);
      return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "thread pool of %d", (int)n_threads);
    }
  }
  for (int32_t i = 0; i < n_threads - 1; i++) {
    worker *w = &pool->workers[i];
    w->pool = pool;
    w->index = i + 1;
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
      q8t_threads_free(pool);
      return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "cannot start worker thread %d of %d",
                     (int)i + 1, (int)n_threads);
    }
    pool->n_started++;
  }
  *threads = pool;
  return Q8_OK;
}

void q8t_threads_free(q8t_threads *pool) {
  if (pool == NULL) return;
  pthread_mutex_lock(&pool->mutex);
  atomic_store(&pool->stop, true);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (int32_t i = 0; i < pool->n_started; i++) pthread_join(pool->workers[i].thread, NULL);
  pthread_cond_destroy(&pool->done);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  free(pool->workers);
  free(pool);
}

int32_t q8t_threads_count(const q8t_threads *pool) { return pool->n_threads; }

void q8t_threads_run(q8t_threads *pool, q8t_task_fn fn, void *ctx) {
  if (pool->n_threads == 1) {
    fn(ctx, 0, 1);
    return;
  }
  pool->fn = fn;
  pool->ctx = ctx;
  atomic_store(&pool->remaining, pool->n_threads - 1);
  pthread_mutex_lock(&pool->mutex);
  atomic_fetch_add(&pool->generation, 1);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  fn(ctx, 0, pool->n_threads);
  for (int i = 0; i < SPIN_ITERATIONS && atomic_load(&pool->remaining) != 0; i++) {
  }
  if (atomic_load(&pool->remaining) != 0) {
    pthread_mutex_lock(&pool->mutex);
    while (atomic_load(&pool->remaining) != 0) pthread_cond_wait(&pool->done, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
  }
}
