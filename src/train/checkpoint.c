/* Training checkpoints (checkpoint.h): encoding into one buffer written atomically, reading
   with a bounds-checked cursor whose errors name the file and offset, and restoring into a
   graph after every tensor has been checked. */
#include "train/checkpoint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/file.h"

enum { MAGIC_BYTES = 8, FIXED_HEADER = 24, CRC_BYTES = 4, MAX_STRING = 65535 };

const char *q8t_phase_name(q8t_phase phase) { return phase == Q8T_PHASE_QAT ? "qat" : "float"; }

/* ---- CRC-32 ---- */

/* CRC of each 4-bit value for the reflected polynomial 0xEDB88320: two lookups per byte keep
   the table small enough to write out, and checkpoints are a few megabytes at most. */
static const uint32_t crc_nibble[16] = {0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
                                        0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
                                        0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
                                        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};

uint32_t q8t_crc32(uint32_t crc, const void *data, size_t size) {
  const uint8_t *p = data;
  crc = ~crc;
  for (size_t i = 0; i < size; i++) {
    crc ^= p[i];
    crc = (crc >> 4) ^ crc_nibble[crc & 15];
    crc = (crc >> 4) ^ crc_nibble[crc & 15];
  }
  return ~crc;
}

/* ---- options ---- */

q8_status q8t_checkpoint_add_option(q8t_checkpoint_info *info, q8_error *error, const char *key,
                                    const char *fmt, ...) {
  if (info->n_options >= Q8T_CHECKPOINT_MAX_OPTIONS) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "checkpoint options: more than %d",
                   Q8T_CHECKPOINT_MAX_OPTIONS);
  }
  if (strlen(key) == 0 || strlen(key) >= Q8T_CHECKPOINT_KEY_MAX) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "checkpoint option key '%s': 1 to %d bytes",
                   key, Q8T_CHECKPOINT_KEY_MAX - 1);
  }
  for (int32_t i = 0; i < info->n_options; i++) {
    if (strcmp(info->options[i].key, key) == 0) {
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT, "checkpoint option '%s' given twice", key);
    }
  }
  q8t_checkpoint_option *o = &info->options[info->n_options];
  va_list ap;
  va_start(ap, fmt);
  const int n = vsnprintf(o->value, sizeof o->value, fmt, ap);
  va_end(ap);
  if (n < 0 || n >= (int)sizeof o->value) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "checkpoint option '%s': the value has more than %d bytes", key,
                   Q8T_CHECKPOINT_VALUE_MAX - 1);
  }
  snprintf(o->key, sizeof o->key, "%s", key);
  info->n_options++;
  return Q8_OK;
}

/* ---- writing ---- */

typedef struct out_buffer {
  uint8_t *bytes;
  size_t size, cap;
  bool failed; /* out of memory: later puts do nothing */
} out_buffer;

static uint8_t *reserve(out_buffer *b, size_t n) {
  if (b->failed) return NULL;
  if (b->size + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->size + n) cap *= 2;
    uint8_t *grown = realloc(b->bytes, cap);
    if (grown == NULL) {
      b->failed = true;
      return NULL;
    }
    b->bytes = grown;
    b->cap = cap;
  }
  uint8_t *at = b->bytes + b->size;
  b->size += n;
  return at;
}

static void put_le(out_buffer *b, uint64_t v, int bytes) {
  uint8_t *p = reserve(b, (size_t)bytes);
  if (p == NULL) return;
  for (int i = 0; i < bytes; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u32(out_buffer *b, uint32_t v) { put_le(b, v, 4); }
static void put_u64(out_buffer *b, uint64_t v) { put_le(b, v, 8); }

static void put_f64(out_buffer *b, double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  put_u64(b, bits);
}

static void put_bytes(out_buffer *b, const void *data, size_t n) {
  uint8_t *p = reserve(b, n);
  if (p != NULL && n > 0) memcpy(p, data, n);
}

static void put_str(out_buffer *b, const char *s) {
  const size_t n = strlen(s);
  put_le(b, n, 2);
  put_bytes(b, s, n);
}

/* 4-byte values (float32 bits or int32) in little-endian order. */
static void put_words(out_buffer *b, const void *words, size_t count) {
  uint8_t *p = reserve(b, count * 4);
  if (p == NULL) return;
  const uint8_t *src = words;
  for (size_t i = 0; i < count; i++) {
    uint32_t v;
    memcpy(&v, src + 4 * i, 4);
    for (int k = 0; k < 4; k++) p[4 * i + (size_t)k] = (uint8_t)(v >> (8 * k));
  }
}

static bool is_saved(const q8t_tensor *t) {
  return t->role == Q8T_ROLE_PARAMETER || t->role == Q8T_ROLE_STATE;
}

static const void *values_of(const q8t_tensor *t) {
  return t->type == Q8_TYPE_INT32 ? (const void *)t->i32 : (const void *)t->data;
}

static q8_status check_saveable(const q8t_graph *g, q8_error *error) {
  if (!g->allocated) return q8_fail(error, Q8_ERROR_STATE, "checkpoint: allocate the graph first");
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8t_tensor *t = &g->tensors[i];
    if (!is_saved(t)) continue;
    if (t->batched || (t->type != Q8_TYPE_FLOAT32 && t->type != Q8_TYPE_INT32) ||
        values_of(t) == NULL) {
      return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                     "checkpoint: tensor %d '%s' (%s%s) cannot be saved: a parameter or state "
                     "tensor must be float32 or int32, unbatched and allocated",
                     (int)i, t->name, q8_type_name(t->type), t->batched ? ", batched" : "");
    }
  }
  return Q8_OK;
}

static void put_info(out_buffer *b, const q8t_checkpoint_info *info) {
  put_str(b, info->model);
  put_u32(b, (uint32_t)info->phase);
  put_u32(b, (uint32_t)info->epoch);
  put_u64(b, (uint64_t)info->step);
  put_f64(b, info->progress.loss_sum);
  put_u64(b, (uint64_t)info->progress.correct);
  put_u64(b, (uint64_t)info->progress.images);
  put_f64(b, info->progress.seconds);
  put_u32(b, (uint32_t)info->n_options);
  for (int32_t i = 0; i < info->n_options; i++) {
    put_str(b, info->options[i].key);
    put_str(b, info->options[i].value);
  }
  put_u32(b, (uint32_t)info->n_rngs);
  for (int32_t i = 0; i < info->n_rngs; i++) {
    put_str(b, info->rngs[i].name);
    for (int k = 0; k < 4; k++) put_u64(b, info->rngs[i].rng.s[k]);
  }
  put_u64(b, info->log_size);
  put_bytes(b, info->log, info->log_size);
}

static void put_tensors(out_buffer *b, const q8t_graph *g) {
  uint32_t count = 0;
  for (int32_t i = 0; i < g->n_tensors; i++) count += is_saved(&g->tensors[i]);
  put_u32(b, count);
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8t_tensor *t = &g->tensors[i];
    if (!is_saved(t)) continue;
    const size_t n = q8t_tensor_count(t);
    const bool momentum = t->momentum != NULL;
    put_str(b, t->name);
    put_u32(b, (uint32_t)t->role);
    put_u32(b, (uint32_t)t->type);
    put_u32(b, (uint32_t)t->rank);
    for (int32_t d = 0; d < t->rank; d++) put_u32(b, (uint32_t)t->dims[d]);
    put_u32(b, momentum ? 2 : 1);
    put_u64(b, (uint64_t)n * 4);
    put_words(b, values_of(t), n);
    if (momentum) put_words(b, t->momentum, n);
  }
}

static q8_status check_info(const q8t_checkpoint_info *info, q8_error *error) {
  if (strlen(info->model) == 0 || info->n_options < 0 ||
      info->n_options > Q8T_CHECKPOINT_MAX_OPTIONS || info->n_rngs < 0 ||
      info->n_rngs > Q8T_CHECKPOINT_MAX_RNGS || (info->log == NULL && info->log_size > 0) ||
      info->epoch < 0 || info->step < 0 ||
      (info->phase != Q8T_PHASE_FLOAT && info->phase != Q8T_PHASE_QAT)) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "checkpoint: bad info (model '%s', phase %d, epoch %d, step %lld, %d options, "
                   "%d generators)",
                   info->model, (int)info->phase, (int)info->epoch, (long long)info->step,
                   (int)info->n_options, (int)info->n_rngs);
  }
  return Q8_OK;
}

q8_status q8t_checkpoint_write(const char *path, const q8t_graph *g,
                               const q8t_checkpoint_info *info, q8_error *error) {
  q8_status st = check_saveable(g, error);
  if (st == Q8_OK) st = check_info(info, error);
  if (st != Q8_OK) return st;
  out_buffer b = {0};
  put_bytes(&b, Q8T_CHECKPOINT_MAGIC, MAGIC_BYTES);
  put_u32(&b, Q8T_CHECKPOINT_VERSION);
  put_u32(&b, 0);
  put_u64(&b, 0); /* the file's size, filled in below */
  put_info(&b, info);
  put_tensors(&b, g);
  put_u32(&b, 0); /* room for the CRC */
  if (b.failed) {
    free(b.bytes);
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "checkpoint %s: out of memory", path);
  }
  for (int k = 0; k < 8; k++) b.bytes[16 + k] = (uint8_t)((uint64_t)b.size >> (8 * k));
  const uint32_t crc = q8t_crc32(0, b.bytes, b.size - CRC_BYTES);
  for (int k = 0; k < 4; k++) b.bytes[b.size - CRC_BYTES + (size_t)k] = (uint8_t)(crc >> (8 * k));
  const void *parts[1] = {b.bytes};
  const size_t sizes[1] = {b.size};
  st = q8_file_write_atomic(path, parts, sizes, 1, error);
  free(b.bytes);
  return st;
}

/* ---- reading ---- */

typedef struct saved_tensor {
  char name[Q8T_NAME_MAX];
  q8t_role role;
  q8_type type;
  int32_t rank;
  int32_t dims[Q8T_MAX_RANK];
  uint32_t buffers;
  size_t count;  /* elements per buffer */
  size_t data;   /* offset of the first buffer */
  size_t record; /* offset of the record (for messages) */
} saved_tensor;

struct q8t_checkpoint {
  char *path;
  uint8_t *bytes;
  size_t size;
  q8t_checkpoint_info info;
  int32_t n_tensors;
  saved_tensor *tensors;
};

/* A bounds-checked reader over the file's bytes; the first failure is kept in error. */
typedef struct cursor {
  const uint8_t *bytes;
  size_t end; /* where the CRC begins */
  size_t pos;
  const char *path;
  q8_error *error;
  bool failed;
  q8_status status; /* of the first failure */
} cursor;

static bool need(cursor *c, size_t n, const char *what) {
  if (c->failed) return false;
  if (n > c->end - c->pos) {
    q8_fail(c->error, Q8_ERROR_MALFORMED,
            "checkpoint %s: offset %zu: %s needs %zu bytes, %zu remain before the CRC", c->path,
            c->pos, what, n, c->end - c->pos);
    c->failed = true;
    c->status = Q8_ERROR_MALFORMED;
    return false;
  }
  return true;
}

static uint64_t get_le(cursor *c, int bytes, const char *what) {
  if (!need(c, (size_t)bytes, what)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)c->bytes[c->pos + (size_t)i] << (8 * i);
  c->pos += (size_t)bytes;
  return v;
}

static uint32_t get_u32(cursor *c, const char *what) { return (uint32_t)get_le(c, 4, what); }
static uint64_t get_u64(cursor *c, const char *what) { return get_le(c, 8, what); }

static double get_f64(cursor *c, const char *what) {
  const uint64_t bits = get_u64(c, what);
  double v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

static bool fail_at(cursor *c, size_t offset, const char *fmt, ...) Q8_PRINTF(3, 4);

static bool fail_at(cursor *c, size_t offset, const char *fmt, ...) {
  if (c->failed) return false;
  char what[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  q8_fail(c->error, Q8_ERROR_MALFORMED, "checkpoint %s: offset %zu: %s", c->path, offset, what);
  c->failed = true;
  c->status = Q8_ERROR_MALFORMED;
  return false;
}

/* A string into out (room bytes with the NUL); longer ones are refused. */
static bool get_str(cursor *c, char *out, size_t room, const char *what) {
  const size_t at = c->pos;
  const size_t n = (size_t)get_le(c, 2, what);
  if (!need(c, n, what)) return false;
  if (n >= room) return fail_at(c, at, "%s has %zu bytes, at most %zu", what, n, room - 1);
  memcpy(out, c->bytes + c->pos, n);
  out[n] = 0;
  if (strlen(out) != n) return fail_at(c, at, "%s contains a NUL byte", what);
  c->pos += n;
  return true;
}

static bool get_info(cursor *c, q8t_checkpoint_info *info) {
  get_str(c, info->model, sizeof info->model, "the model name");
  const size_t phase_at = c->pos;
  const uint32_t phase = get_u32(c, "the phase");
  if (!c->failed && phase > Q8T_PHASE_QAT)
    return fail_at(c, phase_at, "phase %u, expected 0 (float) or 1 (qat)", phase);
  info->phase = (q8t_phase)phase;
  const size_t epoch_at = c->pos;
  const uint32_t epoch = get_u32(c, "the epoch");
  const uint64_t step = get_u64(c, "the step");
  if (!c->failed && (epoch > INT32_MAX || step > INT64_MAX)) {
    return fail_at(c, epoch_at, "epoch %u, step %llu out of range", epoch,
                   (unsigned long long)step);
  }
  info->epoch = (int32_t)epoch;
  info->step = (int64_t)step;
  info->progress.loss_sum = get_f64(c, "the epoch's loss sum");
  info->progress.correct = (int64_t)get_u64(c, "the epoch's correct count");
  info->progress.images = (int64_t)get_u64(c, "the epoch's image count");
  info->progress.seconds = get_f64(c, "the epoch's seconds");
  const size_t options_at = c->pos;
  const uint32_t n_options = get_u32(c, "the option count");
  if (!c->failed && n_options > Q8T_CHECKPOINT_MAX_OPTIONS) {
    return fail_at(c, options_at, "%u options, at most %d", n_options, Q8T_CHECKPOINT_MAX_OPTIONS);
  }
  info->n_options = (int32_t)n_options;
  for (uint32_t i = 0; i < n_options && !c->failed; i++) {
    get_str(c, info->options[i].key, sizeof info->options[i].key, "an option key");
    get_str(c, info->options[i].value, sizeof info->options[i].value, "an option value");
  }
  const size_t rngs_at = c->pos;
  const uint32_t n_rngs = get_u32(c, "the generator count");
  if (!c->failed && n_rngs > Q8T_CHECKPOINT_MAX_RNGS) {
    return fail_at(c, rngs_at, "%u generators, at most %d", n_rngs, Q8T_CHECKPOINT_MAX_RNGS);
  }
  info->n_rngs = (int32_t)n_rngs;
  for (uint32_t i = 0; i < n_rngs && !c->failed; i++) {
    get_str(c, info->rngs[i].name, sizeof info->rngs[i].name, "a generator name");
    for (int k = 0; k < 4; k++) info->rngs[i].rng.s[k] = get_u64(c, "a generator state");
  }
  const uint64_t log_size = get_u64(c, "the log size");
  if (!need(c, log_size, "the log")) return false;
  info->log = (const char *)c->bytes + c->pos;
  info->log_size = (size_t)log_size;
  c->pos += (size_t)log_size;
  return !c->failed;
}

static bool get_tensor(cursor *c, saved_tensor *t) {
  t->record = c->pos;
  if (!get_str(c, t->name, sizeof t->name, "a tensor name")) return false;
  const size_t role_at = c->pos;
  const uint32_t role = get_u32(c, "the tensor's role");
  const uint32_t type = get_u32(c, "the tensor's type");
  const uint32_t rank = get_u32(c, "the tensor's rank");
  if (c->failed) return false;
  if (role != Q8T_ROLE_PARAMETER && role != Q8T_ROLE_STATE) {
    return fail_at(c, role_at, "tensor '%s': role %u, expected parameter (%d) or state (%d)",
                   t->name, role, Q8T_ROLE_PARAMETER, Q8T_ROLE_STATE);
  }
  if (type != Q8_TYPE_FLOAT32 && type != Q8_TYPE_INT32) {
    return fail_at(c, role_at + 4, "tensor '%s': type %u, expected float32 or int32", t->name,
                   type);
  }
  if (rank > Q8T_MAX_RANK) {
    return fail_at(c, role_at + 8, "tensor '%s': rank %u, at most %d", t->name, rank, Q8T_MAX_RANK);
  }
  t->role = (q8t_role)role;
  t->type = (q8_type)type;
  t->rank = (int32_t)rank;
  uint64_t count = 1;
  for (uint32_t d = 0; d < rank; d++) {
    const size_t at = c->pos;
    const uint32_t dim = get_u32(c, "a dimension");
    if (!c->failed && (dim < 1 || dim > INT32_MAX)) {
      return fail_at(c, at, "tensor '%s': dimension %u is %u", t->name, d, dim);
    }
    t->dims[d] = (int32_t)dim;
    count *= dim; /* at most 4 factors below 2^31: fits, then compared with the file */
  }
  const size_t buffers_at = c->pos;
  t->buffers = get_u32(c, "the buffer count");
  const uint64_t bytes = get_u64(c, "the buffer size");
  if (c->failed) return false;
  if (t->buffers < 1 || t->buffers > 2) {
    return fail_at(c, buffers_at,
                   "tensor '%s': %u buffers, expected 1 (values) or 2 (values, "
                   "momentum)",
                   t->name, t->buffers);
  }
  if (count > UINT64_MAX / 4 || bytes != count * 4) {
    return fail_at(c, buffers_at + 4, "tensor '%s': %llu bytes per buffer, its shape needs %llu",
                   t->name, (unsigned long long)bytes, (unsigned long long)(count * 4));
  }
  if (bytes > (c->end - c->pos) / t->buffers) {
    return fail_at(c, c->pos,
                   "tensor '%s': %u buffers of %llu bytes, %zu bytes remain before "
                   "the CRC",
                   t->name, t->buffers, (unsigned long long)bytes, c->end - c->pos);
  }
  t->count = (size_t)count;
  t->data = c->pos;
  c->pos += (size_t)bytes * t->buffers;
  return true;
}

static bool get_tensors(cursor *c, q8t_checkpoint *ck) {
  const size_t at = c->pos;
  const uint32_t n = get_u32(c, "the tensor count");
  if (c->failed) return false;
  /* Each record takes at least 22 bytes: a count the file cannot hold is refused before the
     table is allocated. */
  if (n > (c->end - c->pos) / 22) {
    return fail_at(c, at, "%u tensors do not fit in the %zu bytes that remain", n, c->end - c->pos);
  }
  ck->tensors = calloc(n ? n : 1, sizeof *ck->tensors);
  if (ck->tensors == NULL) {
    q8_fail(c->error, Q8_ERROR_OUT_OF_MEMORY, "checkpoint %s: %u tensors", c->path, n);
    c->failed = true;
    c->status = Q8_ERROR_OUT_OF_MEMORY;
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (!get_tensor(c, &ck->tensors[i])) return false;
    ck->n_tensors++;
    for (uint32_t j = 0; j < i; j++) {
      if (strcmp(ck->tensors[j].name, ck->tensors[i].name) == 0) {
        return fail_at(c, ck->tensors[i].record, "tensor '%s' appears twice", ck->tensors[i].name);
      }
    }
  }
  if (c->pos != c->end) {
    return fail_at(c, c->pos, "%zu bytes after the last tensor, before the CRC", c->end - c->pos);
  }
  return true;
}

/* Reads the whole file. */
static q8_status slurp(const char *path, uint8_t **bytes, size_t *size, q8_error *error) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return q8_fail(error, Q8_ERROR_IO, "checkpoint %s: cannot open: %s", path, strerror(errno));
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (buf == NULL) break;
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *grown = realloc(buf, cap * 2);
    if (grown == NULL) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = grown;
    cap *= 2;
  }
  const bool read_error = ferror(f) != 0;
  fclose(f);
  if (buf == NULL) return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "checkpoint %s: reading", path);
  if (read_error) {
    free(buf);
    return q8_fail(error, Q8_ERROR_IO, "checkpoint %s: read error", path);
  }
  *bytes = buf;
  *size = n;
  return Q8_OK;
}

static void printable(const uint8_t *bytes, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", bytes[i]);
}

/* Magic, version, recorded size, CRC: the checks that decide whether the bytes are a whole,
   intact checkpoint of a version this code reads. */
static q8_status check_envelope(const char *path, const uint8_t *b, size_t size, q8_error *error) {
  if (size < MAGIC_BYTES || memcmp(b, Q8T_CHECKPOINT_MAGIC, MAGIC_BYTES) != 0) {
    char found[2 * MAGIC_BYTES + 1] = "", expected[2 * MAGIC_BYTES + 1];
    printable(b, size < MAGIC_BYTES ? size : MAGIC_BYTES, found);
    printable((const uint8_t *)Q8T_CHECKPOINT_MAGIC, MAGIC_BYTES, expected);
    return q8_fail(error, Q8_ERROR_MALFORMED,
                   "checkpoint %s: not a q8 checkpoint: offset 0: magic %s%s, expected %s "
                   "(\"\\x89Q8CKPT\\n\")",
                   path, size == 0 ? "(empty file)" : found, size < MAGIC_BYTES ? " (short)" : "",
                   expected);
  }
  if (size < FIXED_HEADER) {
    return q8_fail(error, Q8_ERROR_MALFORMED,
                   "checkpoint %s is truncated: %zu bytes, the header alone needs %d", path, size,
                   FIXED_HEADER);
  }
  uint32_t version = 0;
  for (int k = 0; k < 4; k++) version |= (uint32_t)b[8 + k] << (8 * k);
  if (version != Q8T_CHECKPOINT_VERSION) {
    return q8_fail(error, Q8_ERROR_UNSUPPORTED,
                   "checkpoint %s: offset 8: version %u, this q8 reads version %d", path, version,
                   Q8T_CHECKPOINT_VERSION);
  }
  uint64_t recorded = 0;
  for (int k = 0; k < 8; k++) recorded |= (uint64_t)b[16 + k] << (8 * k);
  if (recorded > size) {
    return q8_fail(
        error, Q8_ERROR_MALFORMED,
        "checkpoint %s is truncated: its header (offset 16) records %llu bytes, the file "
        "has %zu",
        path, (unsigned long long)recorded, size);
  }
  if (recorded < size || recorded < FIXED_HEADER + CRC_BYTES) {
    return q8_fail(error, Q8_ERROR_MALFORMED,
                   "checkpoint %s: its header (offset 16) records %llu bytes, the file has %zu "
                   "(bytes appended, or a corrupt header)",
                   path, (unsigned long long)recorded, size);
  }
  uint32_t stored = 0;
  for (int k = 0; k < 4; k++) stored |= (uint32_t)b[size - CRC_BYTES + (size_t)k] << (8 * k);
  const uint32_t computed = q8t_crc32(0, b, size - CRC_BYTES);
  if (stored != computed) {
    return q8_fail(
        error, Q8_ERROR_MALFORMED,
        "checkpoint %s is corrupt: CRC-32 mismatch: offset %zu stores 0x%08x, bytes 0 to "
        "%zu give 0x%08x",
        path, size - CRC_BYTES, stored, size - CRC_BYTES - 1, computed);
  }
  return Q8_OK;
}

q8_status q8t_checkpoint_read(const char *path, q8t_checkpoint **out, q8_error *error) {
  *out = NULL;
  q8t_checkpoint *ck = calloc(1, sizeof *ck);
  if (ck == NULL || (ck->path = malloc(strlen(path) + 1)) == NULL) {
    free(ck);
    return q8_fail(error, Q8_ERROR_OUT_OF_MEMORY, "checkpoint %s", path);
  }
  strcpy(ck->path, path);
  q8_status st = slurp(path, &ck->bytes, &ck->size, error);
  if (st == Q8_OK) st = check_envelope(path, ck->bytes, ck->size, error);
  if (st == Q8_OK) {
    cursor c = {ck->bytes, ck->size - CRC_BYTES, FIXED_HEADER, path, error, false, Q8_OK};
    if (!get_info(&c, &ck->info) || !get_tensors(&c, ck)) st = c.status;
  }
  if (st != Q8_OK) {
    q8t_checkpoint_free(ck);
    return st;
  }
  *out = ck;
  return Q8_OK;
}

void q8t_checkpoint_free(q8t_checkpoint *ck) {
  if (ck == NULL) return;
  free(ck->path);
  free(ck->bytes);
  free(ck->tensors);
  free(ck);
}

const q8t_checkpoint_info *q8t_checkpoint_get_info(const q8t_checkpoint *ck) { return &ck->info; }

/* ---- checking and restoring ---- */

static const q8t_checkpoint_option *find_option(const q8t_checkpoint_option *options, int32_t n,
                                                const char *key) {
  for (int32_t i = 0; i < n; i++) {
    if (strcmp(options[i].key, key) == 0) return &options[i];
  }
  return NULL;
}

q8_status q8t_checkpoint_check(const q8t_checkpoint *ck, const char *model,
                               const q8t_checkpoint_option *options, int32_t n_options,
                               q8_error *error) {
  const q8t_checkpoint_info *info = &ck->info;
  if (strcmp(info->model, model) != 0) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "checkpoint %s was written for model '%s', this run trains '%s'", ck->path,
                   info->model, model);
  }
  for (int32_t i = 0; i < n_options; i++) {
    const q8t_checkpoint_option *saved =
        find_option(info->options, info->n_options, options[i].key);
    if (saved == NULL) {
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                     "checkpoint %s does not record option '%s' (this run: %s): written by "
                     "another version",
                     ck->path, options[i].key, options[i].value);
    }
    if (strcmp(saved->value, options[i].value) != 0) {
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                     "checkpoint %s: option '%s' is %s there, %s in this run (resume with the "
                     "options the checkpoint was written with)",
                     ck->path, options[i].key, saved->value, options[i].value);
    }
  }
  for (int32_t i = 0; i < info->n_options; i++) {
    if (find_option(options, n_options, info->options[i].key) == NULL) {
      return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                     "checkpoint %s records option '%s' = %s, which this run does not have "
                     "(written by another version)",
                     ck->path, info->options[i].key, info->options[i].value);
    }
  }
  return Q8_OK;
}

static const char *role_name(q8t_role role) {
  return role == Q8T_ROLE_PARAMETER ? "parameter" : role == Q8T_ROLE_STATE ? "state" : "other";
}

static void format_dims(char *out, size_t room, int32_t rank, const int32_t *dims) {
  size_t n = (size_t)snprintf(out, room, "[");
  for (int32_t d = 0; d < rank && n < room; d++) {
    n += (size_t)snprintf(out + n, room - n, d ? ",%d" : "%d", (int)dims[d]);
  }
  if (n < room) snprintf(out + n, room - n, "]");
}

static const saved_tensor *find_saved(const q8t_checkpoint *ck, const char *name) {
  for (int32_t i = 0; i < ck->n_tensors; i++) {
    if (strcmp(ck->tensors[i].name, name) == 0) return &ck->tensors[i];
  }
  return NULL;
}

/* One graph tensor against its saved record. */
static q8_status match_tensor(const q8t_checkpoint *ck, const q8t_tensor *t, const saved_tensor *s,
                              q8_error *error) {
  if (s == NULL) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "checkpoint %s has no tensor '%s' (a %s of this run's graph): written for "
                   "model '%s' in phase %s, a different graph",
                   ck->path, t->name, role_name(t->role), ck->info.model,
                   q8t_phase_name(ck->info.phase));
  }
  char want[64], found[64];
  format_dims(want, sizeof want, t->rank, t->dims);
  format_dims(found, sizeof found, s->rank, s->dims);
  const bool momentum = t->momentum != NULL;
  if (s->role != t->role || s->type != t->type || strcmp(want, found) != 0 ||
      s->buffers != (momentum ? 2u : 1u)) {
    return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                   "checkpoint %s: tensor '%s' (offset %zu) is a %s %s %s%s there, this graph "
                   "has a %s %s %s%s",
                   ck->path, t->name, s->record, role_name(s->role), q8_type_name(s->type), found,
                   s->buffers == 2 ? " with momentum" : "", role_name(t->role),
                   q8_type_name(t->type), want, momentum ? " with momentum" : "");
  }
  return Q8_OK;
}

static void copy_words(void *dst, const uint8_t *src, size_t count) {
  uint8_t *out = dst;
  for (size_t i = 0; i < count; i++) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v |= (uint32_t)src[4 * i + (size_t)k] << (8 * k);
    memcpy(out + 4 * i, &v, 4);
  }
}

q8_status q8t_checkpoint_restore(const q8t_checkpoint *ck, q8t_graph *g, q8_error *error) {
  q8_status st = check_saveable(g, error);
  if (st != Q8_OK) return st;
  int32_t matched = 0;
  for (int32_t i = 0; i < g->n_tensors; i++) {
    const q8t_tensor *t = &g->tensors[i];
    if (!is_saved(t)) continue;
    st = match_tensor(ck, t, find_saved(ck, t->name), error);
    if (st != Q8_OK) return st;
    matched++;
  }
  if (matched != ck->n_tensors) {
    for (int32_t i = 0; i < ck->n_tensors; i++) {
      const int32_t k = q8t_graph_find_tensor(g, ck->tensors[i].name);
      if (k < 0 || !is_saved(&g->tensors[k])) {
        return q8_fail(error, Q8_ERROR_INVALID_ARGUMENT,
                       "checkpoint %s: tensor '%s' (offset %zu, a %s) is not a parameter or "
                       "state of this run's graph: written for model '%s' in phase %s, a "
                       "different graph",
                       ck->path, ck->tensors[i].name, ck->tensors[i].record,
                       role_name(ck->tensors[i].role), ck->info.model,
                       q8t_phase_name(ck->info.phase));
      }
    }
  }
  for (int32_t i = 0; i < g->n_tensors; i++) {
    q8t_tensor *t = &g->tensors[i];
    if (!is_saved(t)) continue;
    const saved_tensor *s = find_saved(ck, t->name);
    copy_words(t->type == Q8_TYPE_INT32 ? (void *)t->i32 : (void *)t->data, ck->bytes + s->data,
               s->count);
    if (t->momentum != NULL) copy_words(t->momentum, ck->bytes + s->data + 4 * s->count, s->count);
  }
  return Q8_OK;
}
