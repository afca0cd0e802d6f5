/* TFLite reader: constant data must not share bytes with the flatbuffer's own structure.
   While the reader decodes, an observer records every table, vtable and vector/string it
   checks ("metadata") apart from Buffer.data vectors, and the reader records the data vectors
   that tensors use. After decoding, each data vector is looked up among the metadata spans
   (sorted, binary search: O((m + d) log m)), and data vectors are checked against each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tflite/reader-internal.h"

/* Grows a span list by one; false when out of memory (recorded in the layout). */
static q8_tfl_span *push_span(q8_tfl_layout *l, q8_tfl_span_list *list) {
  if (l->out_of_memory) return NULL;
  if (list->count == list->cap) {
    size_t cap = list->cap ? list->cap * 2 : 256;
    q8_tfl_span *items = realloc(list->items, cap * sizeof *items);
    if (items == NULL) {
      l->out_of_memory = true;
      return NULL;
    }
    list->items = items;
    list->cap = cap;
  }
  return &list->items[list->count++];
}

/* Index of a copy of where in l->wheres: the reader changes `where` once per object, so
   comparing with the last copy keeps one copy per object, not one per span. */
static bool intern_where(q8_tfl_layout *l, const char *where, uint32_t *index) {
  if (l->n_wheres > 0 && strcmp(l->wheres + l->last_where, where) == 0) {
    *index = l->last_where;
    return true;
  }
  size_t n = strlen(where) + 1;
  if (l->wheres_used + n > UINT32_MAX) return false;
  if (l->wheres_used + n > l->wheres_cap) {
    size_t cap = l->wheres_cap ? l->wheres_cap * 2 : 4096;
    while (cap < l->wheres_used + n) cap *= 2;
    char *grown = realloc(l->wheres, cap);
    if (grown == NULL) return false;
    l->wheres = grown;
    l->wheres_cap = cap;
  }
  memcpy(l->wheres + l->wheres_used, where, n);
  l->last_where = (uint32_t)l->wheres_used;
  l->wheres_used += n;
  l->n_wheres++;
  *index = l->last_where;
  return true;
}

static void fill_span(q8_tfl_layout *l, q8_tfl_span *span, size_t pos, size_t size,
                      const char *where, const char *name, q8_fb_span_kind kind) {
  span->pos = pos;
  span->end = pos + size;
  span->kind = (uint8_t)kind;
  span->buffer = 0;
  snprintf(span->name, sizeof span->name, "%s", name != NULL ? name : "");
  if (!intern_where(l, where, &span->where)) {
    l->out_of_memory = true;
    span->where = 0;
  }
}

void q8_tfl_layout_init(q8_tfl_layout *l) {
  memset(l, 0, sizeof *l);
  /* The root offset and the file identifier: no uoffset can point there (offsets go
     forward from at least byte 0), but the rule is stated whole. */
  q8_tfl_span *header = push_span(l, &l->meta);
  if (header != NULL) fill_span(l, header, 0, 8, "file header", "", Q8_FB_SPAN_TABLE);
}

void q8_tfl_layout_free(q8_tfl_layout *l) {
  free(l->meta.items);
  free(l->data.items);
  free(l->wheres);
  memset(l, 0, sizeof *l);
}

void q8_tfl_layout_observe(q8_tfl_layout *l, const char *where, q8_fb_span_kind kind, size_t pos,
                           size_t size, size_t elem_size, const char *name) {
  /* Fields and followed offsets lie inside tables already recorded. */
  if (kind != Q8_FB_SPAN_TABLE && kind != Q8_FB_SPAN_VTABLE && kind != Q8_FB_SPAN_VECTOR) return;
  if (kind == Q8_FB_SPAN_VECTOR && l->reading_data) {
    l->reading_data = false; /* Buffer.data itself: the reader records it as data */
    return;
  }
  if (size == 0) return;
  /* Byte vectors the reader decodes are strings: their NUL belongs to them too. */
  if (kind == Q8_FB_SPAN_VECTOR && elem_size == 1) size++;
  q8_tfl_span *span = push_span(l, &l->meta);
  if (span != NULL) fill_span(l, span, pos, size, where, name, kind);
}

void q8_tfl_layout_add_data(q8_tfl_layout *l, const char *where, size_t pos, size_t size,
                            uint32_t buffer) {
  q8_tfl_span *span = push_span(l, &l->data);
  if (span == NULL) return;
  fill_span(l, span, pos, size, where, "data", Q8_FB_SPAN_VECTOR);
  span->buffer = buffer;
}

static int by_position(const void *a, const void *b) {
  const q8_tfl_span *x = a, *y = b;
  if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return 0;
}

static const char *kind_name(uint8_t kind) {
  switch (kind) {
    case Q8_FB_SPAN_TABLE: return "table";
    case Q8_FB_SPAN_VTABLE: return "vtable";
    case Q8_FB_SPAN_VECTOR: return "vector or string";
    default: return "structure";
  }
}

static q8_status overlap_error(const q8_tfl_layout *l, q8_error *error, const q8_tfl_span *data,
                               const q8_tfl_span *other, const char *what) {
  const char *other_where = l->wheres + other->where;
  return q8_fail(error, Q8_ERROR_MALFORMED,
                 "file offset %zu: %s.data: constant data of Buffer %u at [0x%zx, 0x%zx) "
                 "overlaps %s%s%s, a %s at [0x%zx, 0x%zx): %s",
                 data->pos, l->wheres + data->where, data->buffer, data->pos, data->end,
                 other_where, other->name[0] != '\0' && other_where[0] != '\0' ? "." : "",
                 other->name, kind_name(other->kind), other->pos, other->end, what);
}

/* Metadata spans sorted by start, with max_end[i] = the largest end among spans 0..i, so
   "does anything overlap [a, b)" is one binary search. */
static q8_status check_against_metadata(q8_tfl_layout *l, q8_error *error) {
  const size_t m = l->meta.count;
  const q8_tfl_span *meta = l->meta.items;
  size_t *max_end = malloc((m > 0 ? m : 1) * sizeof *max_end);
  if (max_end == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  qsort(l->meta.items, m, sizeof *meta, by_position);
  for (size_t i = 0; i < m; i++) {
    max_end[i] = i > 0 && max_end[i - 1] > meta[i].end ? max_end[i - 1] : meta[i].end;
  }
  q8_status s = Q8_OK;
  for (size_t d = 0; d < l->data.count && s == Q8_OK; d++) {
    const q8_tfl_span *data = &l->data.items[d];
    size_t lo = 0, hi = m; /* first span starting at or after data->end */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (meta[mid].pos < data->end) lo = mid + 1;
      else hi = mid;
    }
    if (lo == 0 || max_end[lo - 1] <= data->pos) continue;
    size_t j = lo - 1;
    while (meta[j].end <= data->pos) j--; /* exists: max_end[lo - 1] > data->pos */
    s = overlap_error(l, error, data, &meta[j],
                      "constant data must not share bytes with the flatbuffer's tables, "
                      "vtables or vectors");
  }
  free(max_end);
  return s;
}

/* Two buffers may point at the very same vector (a writer sharing identical constants); any
   other overlap puts one vector's length word inside the other's bytes. */
static q8_status check_data_against_data(q8_tfl_layout *l, q8_error *error) {
  const size_t n = l->data.count;
  q8_tfl_span *sorted = malloc((n > 0 ? n : 1) * sizeof *sorted);
  if (sorted == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory");
  if (n > 0) memcpy(sorted, l->data.items, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, by_position);
  q8_status s = Q8_OK;
  size_t widest = 0; /* the span reaching furthest so far */
  for (size_t i = 1; i < n && s == Q8_OK; i++) {
    const q8_tfl_span *prev = &sorted[widest], *cur = &sorted[i];
    if (cur->pos == prev->pos && cur->end == prev->end) continue;
    if (cur->pos < prev->end) {
      s = overlap_error(l, error, cur, prev,
                        "two buffers may share one data vector, but not overlap partly (one "
                        "vector's length word would be the other's data)");
    }
    if (cur->end > prev->end) widest = i;
  }
  free(sorted);
  return s;
}

q8_status q8_tfl_layout_check(q8_tfl_layout *l, q8_error *error) {
  if (l->out_of_memory) {
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "out of memory recording the file's layout");
  }
  q8_status s = check_against_metadata(l, error);
  if (s == Q8_OK) s = check_data_against_data(l, error);
  return s;
}
