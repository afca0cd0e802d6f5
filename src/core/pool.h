/* A memory pool: many small allocations with one lifetime, freed together. */
#ifndef Q8_CORE_POOL_H
#define Q8_CORE_POOL_H

#include <stddef.h>

typedef struct q8_pool_block q8_pool_block;

typedef struct q8_pool {
  q8_pool_block *head;
  size_t total; /* bytes handed out, for memory reports */
} q8_pool;

/* Zeroed memory aligned to 64 bytes, valid until q8_pool_release; NULL when out of memory
   or when size overflows. size 0 returns a valid unique pointer. */
void *q8_pool_alloc(q8_pool *pool, size_t size);
/* Copies size bytes into pool memory (aligned to 64 bytes). */
void *q8_pool_dup(q8_pool *pool, const void *data, size_t size);
void q8_pool_release(q8_pool *pool);

#endif
