/* A pool of worker threads that splits one operator's work into tasks (pthreads). One pool
   belongs to one interpreter; its run call is not reentrant and not for concurrent callers. */
#ifndef Q8_CORE_THREADPOOL_H
#define Q8_CORE_THREADPOOL_H

#include <stdint.h>

#include "core/error.h"

typedef struct q8_threadpool q8_threadpool;

enum { Q8_MAX_THREADS = 64 };

/* Task task of tasks, run by thread thread (0 is the caller) in [0, q8_threadpool_size).
   Tasks of one run must write disjoint memory: which thread runs which task varies. */
typedef void (*q8_task_fn)(void *context, int32_t task, int32_t thread);

/* threads in [1, Q8_MAX_THREADS]: the caller plus threads - 1 workers. With 1, no thread is
   started and *pool is still a valid pool. */
q8_status q8_threadpool_create(int32_t threads, q8_threadpool **pool, q8_error *error);
void q8_threadpool_free(q8_threadpool *pool);

/* Threads of the pool (1 for a NULL pool). */
int32_t q8_threadpool_size(const q8_threadpool *pool);

/* Runs fn(context, t, thread) for every t in [0, tasks) and returns when all are done. The
   caller works too; tasks are claimed in increasing order. A NULL pool, one thread or a
   single task run inline, in order, on thread 0. */
void q8_threadpool_run(q8_threadpool *pool, q8_task_fn fn, void *context, int32_t tasks);

#endif
