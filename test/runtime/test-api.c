/* The C API: statuses and messages for misuse, caller-owned arenas, loading from memory. */
#include <stdlib.h>
#include <string.h>

#include "q8/q8.h"
#include "util/test-util.h"

static const char *model_file = "tflite/hello_world_int8.tflite";

static void test_load_errors(void) {
  q8_model *m = (q8_model *)1;
  q8_error err;
  q8_status s = q8_model_load_file("/nonexistent/model.tflite", &m, &err);
  T_CHECK(s == Q8_ERROR_IO && m == NULL, "missing file: status %s", q8_status_name(s));
  T_CHECK(strstr(err.message, "/nonexistent/model.tflite") != NULL, "message names the path: %s",
          err.message);
  const uint8_t garbage[64] = {1, 2, 3};
  s = q8_model_load_memory(garbage, sizeof garbage, 1, &m, &err);
  T_CHECK(s == Q8_ERROR_MALFORMED && m == NULL, "garbage: status %s", q8_status_name(s));
  s = q8_model_load_memory(NULL, 10, 0, &m, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT, "NULL data: status %s", q8_status_name(s));
  s = q8_model_load_file(".", &m, NULL); /* NULL error is allowed */
  T_CHECK(s == Q8_ERROR_IO, "directory: status %s", q8_status_name(s));
}

static void test_misuse(q8_interp *it) {
  q8_status s = q8_interp_invoke(it);
  T_CHECK(s == Q8_ERROR_STATE, "invoke before input: %s", q8_status_name(s));
  T_CHECK(strstr(q8_interp_last_error(it), "has not been set") != NULL, "message: %s",
          q8_interp_last_error(it));
  int8_t two[2] = {0, 0};
  s = q8_interp_set_input(it, 0, two, 2);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT, "wrong size: %s", q8_status_name(s));
  T_CHECK(strstr(q8_interp_last_error(it), "takes 1 bytes of int8; got 2") != NULL, "message: %s",
          q8_interp_last_error(it));
  s = q8_interp_set_input(it, 1, two, 1);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT, "bad index: %s", q8_status_name(s));
  T_CHECK(strstr(q8_interp_last_error(it), "out of range") != NULL, "message: %s",
          q8_interp_last_error(it));
  q8_tensor_info info;
  T_CHECK(q8_interp_output_info(it, -1, &info) == Q8_ERROR_INVALID_ARGUMENT, "negative index");
  T_CHECK(q8_interp_get_output(it, 0, two, 2) == Q8_ERROR_INVALID_ARGUMENT, "output size");
}

/* Runs one int8 input and returns the int8 output. */
static int8_t run_one(q8_interp *it, int8_t x) {
  int8_t y = 0;
  T_CHECK(q8_interp_set_input(it, 0, &x, 1) == Q8_OK, "set: %s", q8_interp_last_error(it));
  T_CHECK(q8_interp_invoke(it) == Q8_OK, "invoke: %s", q8_interp_last_error(it));
  T_CHECK(q8_interp_get_output(it, 0, &y, 1) == Q8_OK, "get: %s", q8_interp_last_error(it));
  return y;
}

static void test_caller_arena(const q8_model *m, q8_interp *own) {
  size_t need = q8_interp_arena_size(own);
  T_CHECK(need > 0 && need <= q8_interp_unshared_size(own) + 4096, "arena %zu", need);
  void *arena = aligned_alloc(64, need + 64);
  q8_interp_options opt = {.arena = arena, .arena_size = need};
  q8_interp *it = NULL;
  q8_error err;
  q8_status s = q8_interp_init(m, &opt, &it, &err);
  T_CHECK(s == Q8_OK, "caller arena: %s", s == Q8_OK ? "" : err.message);
  for (int x = -128; s == Q8_OK && x <= 127; x += 5)
    T_CHECK(run_one(it, (int8_t)x) == run_one(own, (int8_t)x), "caller arena differs at %d", x);
  q8_interp_free(it);
  opt.arena_size = need - 1;
  s = q8_interp_init(m, &opt, &it, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT && strstr(err.message, "needs") != NULL,
          "small arena: %s", err.message);
  opt = (q8_interp_options){.arena = (char *)arena + 1, .arena_size = need};
  s = q8_interp_init(m, &opt, &it, &err);
  T_CHECK(s == Q8_ERROR_INVALID_ARGUMENT, "misaligned arena: %s", q8_status_name(s));
  free(arena);
}

static void test_float_io(q8_interp *it) {
#ifndef Q8_INTEGER_ONLY
  q8_tensor_info in, out;
  q8_interp_input_info(it, 0, &in);
  q8_interp_output_info(it, 0, &out);
  float x = 0.77f;
  T_CHECK(q8_interp_set_input_float(it, 0, &x, 1) == Q8_OK, "%s", q8_interp_last_error(it));
  T_CHECK(q8_interp_invoke(it) == Q8_OK, "%s", q8_interp_last_error(it));
  float y;
  int8_t raw;
  T_CHECK(q8_interp_get_output_float(it, 0, &y, 1) == Q8_OK, "%s", q8_interp_last_error(it));
  q8_interp_get_output(it, 0, &raw, 1);
  T_CHECK(y == (float)((double)out.quant.scale * (raw - out.quant.zero_point)),
          "dequantized %f from raw %d", (double)y, raw);
  /* round(0.77 / 0.02448) - 128 = -97 (see the shared README: the upstream test used -96). */
  int8_t q = (int8_t)(long)(0.77 / (double)in.quant.scale + 0.5) + (int8_t)in.quant.zero_point;
  T_CHECK(run_one(it, q) == raw, "float input quantized differently from %d", q);
  T_CHECK(q8_interp_set_input_float(it, 0, &x, 2) == Q8_ERROR_INVALID_ARGUMENT, "count");
#else
  float x = 0.5f;
  T_CHECK(q8_interp_set_input_float(it, 0, &x, 1) == Q8_ERROR_UNSUPPORTED, "integer-only");
#endif
}

static void test_memory_copy(const void *bytes, size_t size, q8_interp *ref) {
  void *copy = malloc(size);
  memcpy(copy, bytes, size);
  q8_model *m = NULL;
  q8_error err;
  q8_status s = q8_model_load_memory(copy, size, 1, &m, &err);
  memset(copy, 0xAB, size); /* the model must not depend on the caller's bytes */
  free(copy);
  T_CHECK(s == Q8_OK, "load_memory: %s", s == Q8_OK ? "" : err.message);
  q8_interp *it = NULL;
  if (s == Q8_OK && q8_interp_init(m, NULL, &it, &err) == Q8_OK)
    for (int x = -128; x <= 127; x += 3)
      T_CHECK(run_one(it, (int8_t)x) == run_one(ref, (int8_t)x), "copy differs at %d", x);
  q8_interp_free(it);
  q8_model_free(m);
}

int main(void) {
  test_load_errors();
  char path[1024];
  if (t_testdata_path(model_file, path, sizeof path) == NULL) {
    t_finish();
    return t_skip("runtime/test-api (model part)", "../shared/testdata is absent");
  }
  q8_model *m = NULL;
  q8_interp *it = NULL;
  q8_error err;
  q8_status s = q8_model_load_file(path, &m, &err);
  T_CHECK(s == Q8_OK, "load: %s", s == Q8_OK ? "" : err.message);
  if (s == Q8_OK) s = q8_interp_init(m, NULL, &it, &err);
  T_CHECK(s == Q8_OK, "init: %s", s == Q8_OK ? "" : err.message);
  if (s == Q8_OK) {
    T_CHECK(q8_interp_input_count(it) == 1 && q8_interp_output_count(it) == 1, "io counts");
    q8_tensor_info info;
    q8_interp_input_info(it, 0, &info);
    T_CHECK(info.type == Q8_TYPE_INT8 && info.rank == 2 && info.dims[1] == 1 && info.bytes == 1,
            "input info");
    test_misuse(it);
    test_caller_arena(m, it);
    test_float_io(it);
    size_t size;
    void *bytes = t_read_file(path, &size);
    if (bytes != NULL) test_memory_copy(bytes, size, it);
    free(bytes);
  }
  q8_interp_free(it);
  q8_model_free(m);
  return t_finish();
}
