/* libFuzzer target: load a .tflite from memory, prepare it, run it, read its outputs.
   Any crash, leak, UB or hang is a bug; so is a failure without a message, or a success that
   hands back nonsense. Shared by the libFuzzer binary and the replay/truncation driver. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz-target.h"
#include "runtime/runtime.h"
#include "runtime/stats.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define FUZZ_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define FUZZ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#endif
#endif
#ifndef FUZZ_POISON
#define FUZZ_POISON(p, n) ((void)(p), (void)(n))
#define FUZZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The caller-owned arena every interpreter gets: models needing more are refused by
   q8_interp_init (cleanly: that path is fuzzed too), which also caps the fuzzer's memory. */
#define ARENA_BYTES ((size_t)32 << 20)

/* Work (multiply-accumulates plus elements touched) above which invoke is skipped, so that
   libFuzzer's -timeout reports real hangs rather than legitimately big convolutions. */
#define DEFAULT_MAX_WORK ((uint64_t)3 * 1000 * 1000)
/* Models up to this work also run a second time on another arena (see run_on_exact_arena). */
#define SECOND_RUN_MAX_WORK ((uint64_t)1000 * 1000)

#define FUZZ_CHECK(cond, ...)                                                        \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "fuzz-model: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                                  \
      fputc('\n', stderr);                                                           \
      abort();                                                                       \
    }                                                                                \
  } while (0)

static q8_fuzz_progress progress;

q8_fuzz_progress q8_fuzz_progress_so_far(void) { return progress; }

static uint64_t max_work(void) {
  static uint64_t cached;
  if (cached == 0) {
    const char *env = getenv("Q8_FUZZ_MAX_WORK");
    cached = env != NULL ? strtoull(env, NULL, 10) : DEFAULT_MAX_WORK;
    if (cached == 0) cached = 1;
  }
  return cached;
}

static uint8_t *shared_arena(void) {
  static uint8_t *arena;
  if (arena == NULL) {
    arena = aligned_alloc(64, ARENA_BYTES);
    FUZZ_CHECK(arena != NULL, "cannot allocate the %zu-byte arena", ARENA_BYTES);
  }
  return arena;
}

static bool message_set(const q8_error *err) {
  return err->message[0] != '\0' && memchr(err->message, '\0', sizeof err->message) != NULL;
}

/* Forgets the interpreter's last message, so that the next failure must write its own. */
static void clear_error(q8_interp *it) { it->last_error.message[0] = '\0'; }

static uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

static uint64_t mul_sat(uint64_t a, uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* What one invoke costs, roughly: MACs, every element read or written, pooling windows. */
static uint64_t work_of(const q8_interp *it) {
  const q8_graph *g = it->model->graph;
  uint64_t work = q8_interp_macs(it);
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const q8_node *node = &g->nodes[n];
    for (int32_t k = 0; k < node->n_inputs; k++) {
      if (node->inputs[k] < 0) continue;
      work = add_sat(work, q8_tensor_elements(&it->tensors[node->inputs[k]]));
    }
    uint64_t out = 0;
    for (int32_t k = 0; k < node->n_outputs; k++)
      out = add_sat(out, q8_tensor_elements(&it->tensors[node->outputs[k]]));
    work = add_sat(work, out);
    if (node->kind == Q8_OP_AVERAGE_POOL_2D || node->kind == Q8_OP_MAX_POOL_2D) {
      const int32_t fh = node->opt.pool.filter_h, fw = node->opt.pool.filter_w;
      uint64_t window = mul_sat((uint64_t)(fh > 0 ? fh : 1), (uint64_t)(fw > 0 ? fw : 1));
      work = add_sat(work, mul_sat(out, window));
    }
  }
  return work;
}

/* Ordinary and extreme float values (the caller may pass any float). */
static float float_pattern(size_t i) {
  static const uint32_t bits[] = {0x00000000, 0x3f800000, 0xbf800000, 0x3f000000,
                                  0x42c80000, 0xc2c80000, 0x7f7fffff, 0xff7fffff,
                                  0x7f800000, 0xff800000, 0x7fc00000, 0x00000001,
                                  0x80000000, 0x4f000000, 0xcf000000, 0x3e99999a};
  float f;
  memcpy(&f, &bits[i % 16], sizeof f);
  return f;
}

/* A deterministic input: bytes covering the whole range for integer tensors, the float
   pattern for float32 ones. */
static void fill_input(uint8_t *buf, size_t bytes, q8_type type) {
  if (type == Q8_TYPE_FLOAT32) {
    for (size_t i = 0; i + 4 <= bytes; i += 4) {
      float f = float_pattern(i / 4);
      memcpy(buf + i, &f, 4);
    }
    return;
  }
  for (size_t i = 0; i < bytes; i++) buf[i] = (uint8_t)(i * 97u + 13u + (i >> 8));
}

#ifndef Q8_INTEGER_ONLY
/* The float convenience input: accepted, or refused with a message (int32 inputs). */
static void set_input_float(q8_interp *it, int32_t i, const q8_tensor_info *info) {
  size_t count = info->bytes / q8_type_size(info->type);
  float *f = malloc(sizeof(float) * (count + 1));
  FUZZ_CHECK(f != NULL, "out of memory");
  for (size_t k = 0; k < count; k++) f[k] = float_pattern(k);
  clear_error(it);
  q8_status s = q8_interp_set_input_float(it, i, f, count);
  FUZZ_CHECK(s == Q8_OK || (s == Q8_ERROR_UNSUPPORTED && q8_interp_last_error(it)[0] != '\0'),
             "set_input_float(%d): %s: %s", (int)i, q8_status_name(s), q8_interp_last_error(it));
  free(f);
}
#endif

static void check_info(const q8_tensor_info *info, const char *what, int32_t i) {
  FUZZ_CHECK(info->name != NULL, "%s %d has a NULL name", what, (int)i);
  FUZZ_CHECK(info->rank >= 0 && info->rank <= Q8_MAX_RANK, "%s %d rank %d", what, (int)i,
             (int)info->rank);
  FUZZ_CHECK((unsigned)info->type <= Q8_TYPE_INT8, "%s %d type %d", what, (int)i, (int)info->type);
  size_t elements = 1;
  for (int32_t d = 0; d < info->rank; d++) {
    FUZZ_CHECK(info->dims[d] > 0, "%s %d dimension %d is %d", what, (int)i, (int)d,
               (int)info->dims[d]);
    elements *= (size_t)info->dims[d];
  }
  FUZZ_CHECK(info->bytes == elements * q8_type_size(info->type),
             "%s %d: %zu bytes for %zu elements", what, (int)i, info->bytes, elements);
}

/* Sets every input, invokes, and returns the outputs back to back in a malloc'd buffer
   (*size bytes). The arena must already hold the caller's garbage pattern. */
static uint8_t *run_once(q8_interp *it, size_t *size) {
  int32_t n_in = q8_interp_input_count(it), n_out = q8_interp_output_count(it);
  for (int32_t i = 0; i < n_in; i++) {
    q8_tensor_info info;
    FUZZ_CHECK(q8_interp_input_info(it, i, &info) == Q8_OK, "input_info(%d) failed", (int)i);
    check_info(&info, "input", i);
    uint8_t *buf = malloc(info.bytes + 1);
    FUZZ_CHECK(buf != NULL, "out of memory for input %d", (int)i);
    fill_input(buf, info.bytes, info.type);
#ifndef Q8_INTEGER_ONLY
    set_input_float(it, i, &info);
#endif
    /* A wrong size is refused with a message, and the right one accepted. */
    clear_error(it);
    FUZZ_CHECK(q8_interp_set_input(it, i, buf, info.bytes + 1) == Q8_ERROR_INVALID_ARGUMENT &&
                   q8_interp_last_error(it)[0] != '\0',
               "set_input(%d) with a wrong size was not refused with a message", (int)i);
    q8_status s = q8_interp_set_input(it, i, buf, info.bytes);
    FUZZ_CHECK(s == Q8_OK, "set_input(%d) failed: %s", (int)i, q8_interp_last_error(it));
    free(buf);
  }
  q8_status s = q8_interp_invoke(it);
  FUZZ_CHECK(s == Q8_OK, "invoke failed after every input was set: %s (%s)",
             q8_status_name(s), q8_interp_last_error(it));
  size_t total = 0;
  for (int32_t i = 0; i < n_out; i++) {
    q8_tensor_info info;
    FUZZ_CHECK(q8_interp_output_info(it, i, &info) == Q8_OK, "output_info(%d) failed", (int)i);
    check_info(&info, "output", i);
    total += info.bytes;
  }
  uint8_t *out = malloc(total + 1);
  FUZZ_CHECK(out != NULL, "out of memory for %zu output bytes", total);
  size_t at = 0;
  for (int32_t i = 0; i < n_out; i++) {
    q8_tensor_info info;
    q8_interp_output_info(it, i, &info);
    const void *data = NULL;
    FUZZ_CHECK(q8_interp_output_data(it, i, &data) == Q8_OK && data != NULL,
               "output_data(%d) gave no pointer", (int)i);
    const uint8_t *p = data, *arena = it->arena;
    FUZZ_CHECK(p >= arena && (size_t)(p - arena) + info.bytes <= q8_interp_arena_size(it),
               "output %d lies outside the arena", (int)i);
    s = q8_interp_get_output(it, i, out + at, info.bytes);
    FUZZ_CHECK(s == Q8_OK, "get_output(%d) failed: %s", (int)i, q8_interp_last_error(it));
#ifndef Q8_INTEGER_ONLY
    size_t count = info.bytes / q8_type_size(info.type);
    float *f = malloc(sizeof(float) * (count + 1));
    FUZZ_CHECK(f != NULL, "out of memory");
    clear_error(it);
    s = q8_interp_get_output_float(it, i, f, count);
    FUZZ_CHECK(s == Q8_OK || (s == Q8_ERROR_UNSUPPORTED && q8_interp_last_error(it)[0] != '\0'),
               "get_output_float(%d): %s", (int)i, q8_interp_last_error(it));
    free(f);
#endif
    at += info.bytes;
  }
  *size = total;
  return out;
}

static void check_constructor_failure(q8_status s, const q8_error *err, const void *object,
                                      const char *call) {
  static int verbose = -1;
  if (verbose < 0) verbose = getenv("Q8_FUZZ_VERBOSE") != NULL;
  if (verbose) fprintf(stderr, "%s: %s: %s\n", call, q8_status_name(s), err->message);
  FUZZ_CHECK(object == NULL, "%s failed (%s) but returned an object", call, q8_status_name(s));
  FUZZ_CHECK(message_set(err), "%s failed with %s and an empty message", call,
             q8_status_name(s));
  FUZZ_CHECK(s == Q8_ERROR_MALFORMED || s == Q8_ERROR_UNSUPPORTED ||
                 s == Q8_ERROR_INVALID_MODEL || s == Q8_ERROR_OUT_OF_MEMORY ||
                 s == Q8_ERROR_INVALID_ARGUMENT,
             "%s failed with unexpected status %d (%s): %s", call, (int)s, q8_status_name(s),
             err->message);
}

/* Second interpreter on an arena of exactly the planned size filled with another pattern:
   outputs must not depend on what the arena held before (no read of unwritten memory), and
   ASan catches any access past the planned size. */
static void run_on_exact_arena(const q8_model *model, size_t arena_size, const uint8_t *expected,
                               size_t expected_size) {
  void *arena = NULL;
  FUZZ_CHECK(posix_memalign(&arena, 64, arena_size > 0 ? arena_size : 1) == 0, "out of memory");
  q8_interp_options options = {.arena = arena, .arena_size = arena_size};
  q8_interp *it = NULL;
  q8_error err;
  err.message[0] = '\0';
  q8_status s = q8_interp_init(model, &options, &it, &err);
  FUZZ_CHECK(s == Q8_OK, "second init with an arena of exactly %zu bytes failed: %s", arena_size,
             err.message);
  memset(arena, 0xa5, arena_size);
  size_t size = 0;
  uint8_t *out = run_once(it, &size);
  FUZZ_CHECK(size == expected_size && memcmp(out, expected, size) == 0,
             "outputs depend on the arena's previous contents (uninitialised read)");
  free(out);
  q8_interp_free(it);
  free(arena);
}

static void prepare_and_run(const q8_model *model) {
  uint8_t *arena = shared_arena();
  q8_interp_options options = {.arena = arena, .arena_size = ARENA_BYTES};
  q8_interp *it = NULL;
  q8_error err;
  err.message[0] = '\0';
  q8_status s = q8_interp_init(model, &options, &it, &err);
  if (s != Q8_OK) {
    check_constructor_failure(s, &err, it, "q8_interp_init");
    return;
  }
  FUZZ_CHECK(it != NULL, "q8_interp_init succeeded without an interpreter");
  progress.prepared++;
  size_t arena_size = q8_interp_arena_size(it);
  FUZZ_CHECK(arena_size <= ARENA_BYTES, "arena of %zu bytes accepted in %zu", arena_size,
             ARENA_BYTES);
  FUZZ_CHECK(q8_interp_last_error(it)[0] == '\0', "fresh interpreter has an error: %s",
             q8_interp_last_error(it));
  uint64_t work = work_of(it);
  if (work <= max_work()) {
    progress.invoked++;
    memset(arena, 0, arena_size);
    FUZZ_POISON(arena + arena_size, ARENA_BYTES - arena_size);
    size_t size = 0;
    uint8_t *out = run_once(it, &size);
    FUZZ_UNPOISON(arena + arena_size, ARENA_BYTES - arena_size);
    if (work <= SECOND_RUN_MAX_WORK) run_on_exact_arena(model, arena_size, out, size);
    free(out);
  }
  q8_interp_free(it);
}

int q8_fuzz_one_model(const uint8_t *data, size_t size) {
  progress.runs++;
  q8_model *model = NULL;
  q8_error err;
  err.message[0] = '\0';
  /* Not copied: libFuzzer's buffer has exactly size bytes, so ASan sees any overread. */
  q8_status s = q8_model_load_memory(data != NULL ? data : (const uint8_t *)"", size, 0, &model,
                                     &err);
  if (s != Q8_OK) {
    check_constructor_failure(s, &err, model, "q8_model_load_memory");
    FUZZ_CHECK(s != Q8_ERROR_INVALID_ARGUMENT, "load refused valid arguments: %s", err.message);
    return 0;
  }
  FUZZ_CHECK(model != NULL, "q8_model_load_memory succeeded without a model");
  progress.loaded++;
  prepare_and_run(model);
  q8_model_free(model);
  return 0;
}
