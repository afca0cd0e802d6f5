/* Structure-aware mutation of .tflite files: decode with the reader's observer to learn where
   every field, offset, vector and vtable lies (even when decoding fails partway), then edit
   one of them with a value chosen for its name and size. Byte-level mutators rarely get past
   the flatbuffer checks to the quantization, shape and operator rules; these edits do. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/graph.h"
#include "fuzz/fuzz-target.h"
#include "fuzz/mutate-internal.h"
#include "tflite/reader.h"

#define MAX_SPANS 16384
#define NAME_BYTES 40

typedef q8_fz_rng rng;

uint64_t q8_fz_next(rng *r) { /* splitmix64 */
  uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t q8_fz_below(rng *r, uint64_t n) { return n ? q8_fz_next(r) % n : 0; }

bool q8_fz_chance(rng *r, unsigned percent) { return q8_fz_below(r, 100) < percent; }

typedef struct span {
  q8_fb_span_kind kind;
  size_t pos, size, elem;
  char name[NAME_BYTES];
} span;

/* What one decoding saw: a reservoir sample of spans (all of them for ordinary models) and
   counts that give tensor, buffer and operator-code indices their plausible ranges. */
typedef struct survey {
  span *spans;
  size_t n;
  uint64_t seen;
  rng *r;
  uint32_t n_tensors, n_buffers, n_opcodes;
} survey;

static void observe(void *ctx, q8_fb_span_kind kind, size_t pos, size_t size, size_t elem,
                    const char *name) {
  survey *sv = ctx;
  uint64_t slot = sv->seen < MAX_SPANS ? sv->seen : q8_fz_below(sv->r, sv->seen + 1);
  sv->seen++;
  if (kind == Q8_FB_SPAN_VECTOR && size >= 4) {
    uint32_t length = (uint32_t)((size - 4) / (elem ? elem : 1));
    if (strcmp(name, "tensors") == 0) sv->n_tensors = length;
    if (strcmp(name, "buffers") == 0) sv->n_buffers = length;
    if (strcmp(name, "operator_codes") == 0) sv->n_opcodes = length;
  }
  if (slot >= MAX_SPANS) return;
  span *s = &sv->spans[slot];
  s->kind = kind;
  s->pos = pos;
  s->size = size;
  s->elem = elem;
  size_t n = strlen(name);
  if (n >= NAME_BYTES) n = NAME_BYTES - 1;
  memcpy(s->name, name, n);
  s->name[n] = '\0';
  if (sv->n < MAX_SPANS) sv->n++;
}

static span span_store[2][MAX_SPANS];

/* Decodes data with the observer; which (0 or 1) picks the span store (cross-over needs two). */
static void survey_model(const uint8_t *data, size_t size, rng *r, int which, survey *sv) {
  memset(sv, 0, sizeof *sv);
  sv->spans = span_store[which];
  sv->r = r;
  q8_graph *g = NULL;
  q8_error err;
  (void)q8_tflite_read_observed(data, size, observe, sv, &g, &err);
  q8_graph_free(g);
}

static bool has(const char *name, const char *part) { return strstr(name, part) != NULL; }

/* ---- raw little-endian access (positions come from the decoder, inside the file) ---- */

static uint64_t load(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void store(uint8_t *p, size_t n, uint64_t v) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- interesting values by kind of field ---- */

static uint64_t pick(rng *r, const int64_t *values, size_t n) {
  return (uint64_t)values[q8_fz_below(r, n)];
}
#define PICK(r, arr) pick(r, arr, sizeof(arr) / sizeof(arr[0]))

/* Near the current value, or one of the type's extremes. */
uint64_t q8_fz_generic_value(rng *r, uint64_t cur, size_t size) {
  static const int64_t common[] = {0, 1, -1, 2, 3, 4, 7, 8, 16, 64, 127, 128, 255, 256};
  uint64_t bits = size * 8;
  uint64_t max_u = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
  switch (q8_fz_below(r, 6)) {
    case 0: return (uint64_t)PICK(r, common);
    case 1: return cur + 1;
    case 2: return cur - 1;
    case 3: return max_u >> 1;        /* signed maximum */
    case 4: return (max_u >> 1) + 1;  /* signed minimum */
    default: return cur ^ (1ull << q8_fz_below(r, bits));
  }
}

uint64_t q8_fz_dimension_value(rng *r, uint64_t cur) {
  static const int64_t dims[] = {0, -1, 1, 2, 3, 4, 5, 7, 8, 16, 255, 256, 1000, 46341,
                                 65535, 65536, 1 << 20, 1 << 30, INT32_MAX, INT32_MIN};
  switch (q8_fz_below(r, 5)) {
    case 0: return (uint32_t)cur + 1u;
    case 1: return (uint32_t)cur - 1u;
    case 2: return (uint32_t)cur * 2u;
    default: return (uint32_t)PICK(r, dims);
  }
}

/* Strides, dilations, filter sizes, depth multipliers, axes: small, zero, negative, huge. */
uint64_t q8_fz_option_value(rng *r, uint64_t cur) {
  static const int64_t opts[] = {0, -1, 1, 2, 3, 4, 5, 6, -4, -5, 7, 64, 255, 65536,
                                 1 << 30, INT32_MAX, INT32_MIN};
  if (q8_fz_chance(r, 30)) return (uint32_t)cur + (q8_fz_chance(r, 50) ? 1u : UINT32_MAX);
  return (uint32_t)PICK(r, opts);
}

uint64_t q8_fz_scale_value(rng *r, uint64_t cur) {
  static const uint32_t specials[] = {
      0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7fc00000, 0x7f800000, 0xff800000,
      0x00000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0x0da24260 /* 1e-30 */,
      0x7149f2ca /* 1e30 */, 0x30000000 /* 2^-31 */, 0x4f000000 /* 2^31 */,
      0x3effffff /* just below 0.5 */, 0x3f7fffff /* just below 1 */, 0x2edbe6ff /* 1e-10 */};
  float f = q8_fz_float(cur);
  switch (q8_fz_below(r, 6)) {
    case 0: return q8_fz_float_bits(f * 2.0f);
    case 1: return q8_fz_float_bits(f * 0.5f);
    case 2: return q8_fz_float_bits(nextafterf(f, q8_fz_chance(r, 50) ? INFINITY : 0.0f));
    case 3: return q8_fz_float_bits(f * 65536.0f);
    default: return specials[q8_fz_below(r, sizeof specials / sizeof specials[0])];
  }
}

uint64_t q8_fz_zero_point_value(rng *r, uint64_t cur) {
  static const int64_t zps[] = {-129, -128, -127, -1, 0, 1, 127, 128, 255, 256,
                                INT32_MIN, INT32_MAX, (int64_t)INT32_MAX + 1, INT64_MIN,
                                INT64_MAX};
  if (q8_fz_chance(r, 25)) return cur + (q8_fz_chance(r, 50) ? 1 : (uint64_t)-1);
  return (uint64_t)PICK(r, zps);
}

/* An index into a table of count entries: in range, at the edges, or far out. */
uint64_t q8_fz_index_value(rng *r, uint64_t cur, uint32_t count, bool allow_absent) {
  switch (q8_fz_below(r, 7)) {
    case 0: return count;
    case 1: return count ? count - 1 : 0;
    case 2: return (uint32_t)(allow_absent ? -1 : -2);
    case 3: return (uint32_t)cur + (q8_fz_chance(r, 50) ? 1u : UINT32_MAX);
    case 4: return q8_fz_chance(r, 50) ? (uint64_t)INT32_MAX : (uint32_t)INT32_MIN;
    default: return q8_fz_below(r, count ? count : 1);
  }
}

/* BuiltinOperator codes: the ones q8 runs (so that one operator becomes another) and others. */
static uint64_t opcode_value(rng *r) {
  static const int64_t codes[] = {0, 1, 2, 3, 4, 6, 9, 14, 17, 22, 25, 28, 34, 40, 43, 114};
  if (q8_fz_chance(r, 80)) return (uint64_t)PICK(r, codes);
  static const int64_t others[] = {-1, 5, 32, 127, 128, 200, 1000, INT32_MAX};
  return (uint64_t)PICK(r, others);
}

static uint64_t named_value(rng *r, const char *name, uint64_t cur, size_t size,
                            const survey *sv) {
  if (size == 4 && (has(name, "scale") || has(name, "beta"))) return q8_fz_scale_value(r, cur);
  if (has(name, "zero_point")) return q8_fz_zero_point_value(r, cur);
  if (size == 4 && (has(name, "shape") || has(name, "squeeze_dims")))
    return q8_fz_dimension_value(r, cur);
  if (size == 4 && (has(name, "stride") || has(name, "dilation") || has(name, "filter_") ||
                    has(name, "depth_multiplier") || has(name, "axis") ||
                    has(name, "quantized_dimension")))
    return q8_fz_option_value(r, cur);
  if (strcmp(name, "inputs") == 0 || strcmp(name, "outputs") == 0)
    return q8_fz_index_value(r, cur, sv->n_tensors, true);
  if (strcmp(name, "buffer") == 0) return q8_fz_index_value(r, cur, sv->n_buffers, false);
  if (strcmp(name, "opcode_index") == 0) return q8_fz_index_value(r, cur, sv->n_opcodes, false);
  if (has(name, "builtin_code")) return opcode_value(r);
  if (strcmp(name, "type") == 0) {
    static const int64_t types[] = {0, 1, 2, 3, 4, 7, 9, 10, 16, 17, 18, -1, 127};
    return (uint64_t)PICK(r, types);
  }
  if (has(name, "fused_activation_function"))
    return q8_fz_below(r, 8) - (q8_fz_chance(r, 10) ? 8 : 0);
  if (strcmp(name, "padding") == 0) return q8_fz_below(r, 4);
  if (has(name, "options_type") || has(name, "details_type")) return q8_fz_below(r, 130);
  if (strcmp(name, "version") == 0) {
    static const int64_t versions[] = {0, 1, 2, 3, 4, -1};
    return (uint64_t)PICK(r, versions);
  }
  if (strcmp(name, "offset") == 0 || strcmp(name, "size") == 0) {
    static const int64_t off[] = {0, 1, 2, 16, INT64_MAX, -1};
    return (uint64_t)PICK(r, off);
  }
  if (size == 1 && (has(name, "keep") || has(name, "is_variable"))) return q8_fz_below(r, 3);
  return q8_fz_generic_value(r, cur, size);
}

/* ---- edits of each kind of span ---- */

static void edit_field(rng *r, uint8_t *data, const span *s, const survey *sv) {
  size_t n = s->size;
  if (n != 1 && n != 2 && n != 4 && n != 8) return;
  uint64_t cur = load(data + s->pos, n);
  store(data + s->pos, n, named_value(r, s->name, cur, n, sv));
}

/* A uoffset at pos: off by a little, to the file's end, out of range, or onto another table
   or vector recorded later in the file (sharing, aliasing, type confusion). */
static void edit_offset(rng *r, uint8_t *data, size_t size, const span *s, const survey *sv) {
  uint32_t cur = (uint32_t)load(data + s->pos, 4);
  uint64_t v;
  switch (q8_fz_below(r, 8)) {
    case 0: {
      static const int64_t small[] = {-8, -4, -2, -1, 1, 2, 4, 8};
      v = cur + PICK(r, small);
      break;
    }
    case 1: v = size - s->pos - (q8_fz_chance(r, 50) ? 4 : 0); break;
    case 2: v = size - s->pos + (q8_fz_chance(r, 50) ? 0 : 4); break;
    case 3: {
      static const int64_t odd[] = {0, 1, 4, 0x7fffffff, 0x80000000, 0xffffffff};
      v = PICK(r, odd);
      break;
    }
    default: {
      const span *t = &sv->spans[q8_fz_below(r, sv->n)];
      bool target = t->kind == Q8_FB_SPAN_TABLE || t->kind == Q8_FB_SPAN_VECTOR;
      v = target && t->pos > s->pos ? t->pos - s->pos : cur + 4;
      break;
    }
  }
  store(data + s->pos, 4, v);
}

/* The length word, or one element with a value fitting the vector's name. */
static void edit_vector(rng *r, uint8_t *data, size_t size, const span *s, const survey *sv) {
  size_t elem = s->elem ? s->elem : 1;
  size_t count = (s->size - 4) / elem;
  if (count == 0 || q8_fz_chance(r, 10)) {
    uint32_t cur = (uint32_t)load(data + s->pos, 4);
    uint64_t fits = (size - s->pos - 4) / elem;
    static const int64_t lengths[] = {0, 1, 2, 0x7fffffff, 0xffffffff, 0x40000000};
    uint64_t v;
    switch (q8_fz_below(r, 5)) {
      case 0: v = cur + 1; break;
      case 1: v = cur - 1; break;
      case 2: v = fits + q8_fz_below(r, 2); break;
      case 3: v = (uint64_t)cur * 2; break;
      default: v = PICK(r, lengths); break;
    }
    store(data + s->pos, 4, v);
    return;
  }
  size_t at = s->pos + 4 + q8_fz_below(r, count) * elem;
  if (elem == 1) {
    if (strcmp(s->name, "data") == 0 && q8_fz_chance(r, 50)) {
      /* Constant data: int32 values (biases, shapes, paddings, axes) live in 4-byte words. */
      size_t word = s->pos + 4 + (q8_fz_below(r, count) & ~(size_t)3);
      if (word + 4 <= s->pos + s->size) {
        uint64_t cur = load(data + word, 4);
        store(data + word, 4,
              q8_fz_chance(r, 50) ? q8_fz_option_value(r, cur) : q8_fz_generic_value(r, cur, 4));
        return;
      }
    }
    static const int64_t bytes[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe, '?', 0x20};
    data[at] = q8_fz_chance(r, 50) ? (uint8_t)PICK(r, bytes) : (uint8_t)q8_fz_next(r);
    return;
  }
  if (elem == 4 && (strcmp(s->name, "tensors") == 0 || strcmp(s->name, "operators") == 0 ||
                    strcmp(s->name, "buffers") == 0 || strcmp(s->name, "subgraphs") == 0 ||
                    strcmp(s->name, "operator_codes") == 0) && q8_fz_chance(r, 50)) {
    span as_offset = {Q8_FB_SPAN_OFFSET, at, 4, 4, ""};
    edit_offset(r, data, size, &as_offset, sv);
    return;
  }
  uint64_t cur = load(data + at, elem);
  store(data + at, elem, named_value(r, s->name, cur, elem, sv));
}

/* One u16 of a vtable: its size, the table's size, or a field's offset in the table. */
static void edit_vtable(rng *r, uint8_t *data, const span *s) {
  size_t slots = s->size / 2;
  if (slots == 0) return;
  size_t at = s->pos + 2 * q8_fz_below(r, slots);
  uint16_t cur = (uint16_t)load(data + at, 2);
  uint16_t table_size = (uint16_t)load(data + s->pos + 2, 2);
  static const int64_t deltas[] = {-4, -2, -1, 1, 2, 4};
  uint64_t v;
  switch (q8_fz_below(r, 6)) {
    case 0: v = 0; break;
    case 1: v = cur + PICK(r, deltas); break;
    case 2: v = table_size - (q8_fz_chance(r, 50) ? 0 : 4); break;
    case 3: v = q8_fz_chance(r, 50) ? 0xffff : 4; break;
    case 4: v = load(data + s->pos + 2 * q8_fz_below(r, slots), 2); break; /* another slot's */
    default: v = q8_fz_below(r, 64) & ~1ull; break;
  }
  store(data + at, 2, v);
}

/* A table's soffset: onto another vtable, slightly off, or outside the file. */
static void edit_table(rng *r, uint8_t *data, const span *s, const survey *sv) {
  int32_t cur = (int32_t)load(data + s->pos, 4);
  int64_t v;
  const span *t = &sv->spans[q8_fz_below(r, sv->n)];
  if (t->kind == Q8_FB_SPAN_VTABLE && q8_fz_chance(r, 70)) v = (int64_t)s->pos - (int64_t)t->pos;
  else if (q8_fz_chance(r, 50)) v = (int64_t)cur + (q8_fz_chance(r, 50) ? 2 : -2);
  else v = q8_fz_chance(r, 50) ? INT32_MIN : (int64_t)s->pos + 2;
  store(data + s->pos, 4, (uint64_t)v);
}

/* A field or vector element takes the value of another of the same name (one tensor's
   buffer index becomes another's, one operator's stride another's). */
static bool copy_same_name(rng *r, uint8_t *data, const span *s, const survey *sv) {
  if (s->kind != Q8_FB_SPAN_FIELD || s->name[0] == '\0') return false;
  for (int tries = 0; tries < 32; tries++) {
    const span *t = &sv->spans[q8_fz_below(r, sv->n)];
    if (t != s && t->kind == s->kind && t->size == s->size && strcmp(t->name, s->name) == 0) {
      memmove(data + s->pos, data + t->pos, s->size);
      return true;
    }
  }
  return false;
}

/* Mostly fields and vector elements (the model's meaning), sometimes the layout. */
static const span *choose_span(rng *r, const survey *sv) {
  unsigned roll = (unsigned)q8_fz_below(r, 100);
  q8_fb_span_kind kind = roll < 42   ? Q8_FB_SPAN_FIELD
                         : roll < 84 ? Q8_FB_SPAN_VECTOR
                         : roll < 92 ? Q8_FB_SPAN_OFFSET
                         : roll < 97 ? Q8_FB_SPAN_VTABLE
                                     : Q8_FB_SPAN_TABLE;
  for (int tries = 0; tries < 64; tries++) {
    const span *s = &sv->spans[q8_fz_below(r, sv->n)];
    if (s->kind == kind) return s;
  }
  return &sv->spans[q8_fz_below(r, sv->n)];
}

static void edit_one(rng *r, uint8_t *data, size_t size, const survey *sv) {
  const span *s = choose_span(r, sv);
  if (q8_fz_chance(r, 10) && copy_same_name(r, data, s, sv)) return;
  switch (s->kind) {
    case Q8_FB_SPAN_FIELD: edit_field(r, data, s, sv); break;
    case Q8_FB_SPAN_OFFSET: edit_offset(r, data, size, s, sv); break;
    case Q8_FB_SPAN_VECTOR: edit_vector(r, data, size, s, sv); break;
    case Q8_FB_SPAN_VTABLE: edit_vtable(r, data, s); break;
    case Q8_FB_SPAN_TABLE: edit_table(r, data, s, sv); break;
  }
}

/* Cut at a structure boundary (a span's start or end) or anywhere. */
static size_t truncate_model(rng *r, size_t size, const survey *sv) {
  if (size == 0) return 0;
  if (sv->n > 0 && q8_fz_chance(r, 70)) {
    const span *s = &sv->spans[q8_fz_below(r, sv->n)];
    size_t cut = q8_fz_chance(r, 50) ? s->pos : s->pos + s->size;
    cut += q8_fz_below(r, 3) - 1;
    if (cut < size) return cut;
  }
  return q8_fz_below(r, size);
}

static size_t edits_count(rng *r) {
  size_t n = 1;
  while (n < 6 && q8_fz_chance(r, 35)) n++;
  return n;
}

size_t q8_fuzz_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed,
                      q8_fuzz_byte_mutator bytes) {
  rng r = {seed * 0x100000001b3ull + size};
  unsigned roll = (unsigned)q8_fz_below(&r, 100);
  if (roll < 20 || size < 8) return bytes(data, size, max_size);
  if (roll >= 25 && roll < 55) {
    size_t n = q8_fz_mutate_graph(data, size, max_size, &r);
    if (n > 0) return n;
  }
  survey sv;
  survey_model(data, size, &r, 0, &sv);
  if (sv.n == 0) return bytes(data, size, max_size);
  if (roll < 25) return truncate_model(&r, size, &sv);
  size_t edits = edits_count(&r);
  for (size_t i = 0; i < edits; i++) edit_one(&r, data, size, &sv);
  return size;
}

size_t q8_fuzz_cross_over(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2,
                          uint8_t *out, size_t max_out, unsigned seed) {
  rng r = {seed * 0x9e3779b97f4a7c15ull + size1 + 31 * size2};
  size_t n = size1 < max_out ? size1 : max_out;
  memcpy(out, data1, n);
  if (q8_fz_chance(&r, 30) || n != size1) {
    /* Splice at one position: mixes two mutants of the same model. */
    size_t cut = q8_fz_below(&r, n + 1);
    size_t tail = cut < size2 ? size2 - cut : 0;
    if (tail > max_out - cut) tail = max_out - cut;
    memcpy(out + cut, data2 + cut, tail);
    return cut + tail;
  }
  survey a, b;
  survey_model(data1, size1, &r, 0, &a);
  survey_model(data2, size2, &r, 1, &b);
  if (a.n == 0 || b.n == 0) return n;
  for (int tries = 0; tries < 64; tries++) {
    const span *s = &a.spans[q8_fz_below(&r, a.n)];
    const span *t = &b.spans[q8_fz_below(&r, b.n)];
    if (s->kind != t->kind || strcmp(s->name, t->name) != 0) continue;
    if (s->kind == Q8_FB_SPAN_FIELD && s->size == t->size) {
      memcpy(out + s->pos, data2 + t->pos, s->size);
      return n;
    }
    if (s->kind == Q8_FB_SPAN_VECTOR && s->elem == t->elem && s->size > 4 && t->size > 4) {
      /* Elements only: the length stays, so the file's layout does. */
      size_t m = (s->size < t->size ? s->size : t->size) - 4;
      memcpy(out + s->pos + 4, data2 + t->pos + 4, m);
      return n;
    }
  }
  return n;
}
