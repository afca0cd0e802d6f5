/* A memory pool: each allocation is its own aligned block, linked for one release. */
#include "core/pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct q8_pool_block {
  q8_pool_block *next;
};

enum { POOL_ALIGN = 64 };

void *q8_pool_alloc(q8_pool *pool, size_t size) {
  if (size > SIZE_MAX - 2 * POOL_ALIGN) return NULL;
  size_t rounded = (size + POOL_ALIGN - 1) / POOL_ALIGN * POOL_ALIGN;
  /* The header occupies its own aligned slot so that the payload stays aligned. */
  q8_pool_block *block = aligned_alloc(POOL_ALIGN, rounded + POOL_ALIGN);
  if (block == NULL) return NULL;
  block->next = pool->head;
  pool->head = block;
  pool->total += rounded;
  void *payload = (char *)block + POOL_ALIGN;
  memset(payload, 0, rounded);
  return payload;
}

void *q8_pool_dup(q8_pool *pool, const void *data, size_t size) {
  void *p = q8_pool_alloc(pool, size);
  if (p != NULL && size > 0) memcpy(p, data, size);
  return p;
}

void q8_pool_release(q8_pool *pool) {
  q8_pool_block *b = pool->head;
  while (b != NULL) {
    q8_pool_block *next = b->next;
    free(b);
    b = next;
  }
  pool->head = NULL;
  pool->total = 0;
}
