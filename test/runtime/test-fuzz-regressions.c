/* Inputs the fuzzer (fuzz/) found crashing or misbehaving, kept in test/data/fuzz: each must
   now fail cleanly, with the expected status and a message naming the problem, in every
   build (native, ASan, integer-only, aarch64). */
#include <stdlib.h>
#include <string.h>

#include "q8/q8.h"
#include "util/test-util.h"

typedef struct regression {
  const char *file;     /* under test/data/fuzz */
  q8_status status;     /* of the first call that fails (load, init, invoke, outputs) or OK */
  const char *message;  /* a part of its message */
  const char *bug;      /* what went wrong before the fix */
} regression;

static const regression cases[] = {
    {"conv-dilation-overflows-int32.tflite", Q8_ERROR_INVALID_MODEL,
     "dilation 2x2147483647 (extent 5x4294967295) does not fit",
     "CONV_2D with dilation_w INT32_MAX and SAME padding: signed overflow of ky * dilation in "
     "the reference kernel"},
    {"output-float-int32-zero-point-overflow.tflite", Q8_OK, "",
     "an int32 graph output with zero point INT32_MIN: q - zero_point overflowed int32 in "
     "q8_interp_get_output_float"},
    {"dwconv-stride-overflows-int32.tflite", Q8_OK, "",
     "DEPTHWISE_CONV_2D with stride_w INT32_MAX on a kernel path (not ref): the indirection's "
     "ceiling division overflowed int32 (num + stride - 1)"},
};

/* Reads every output, as bytes and (not in the integer-only build) as floats. */
static q8_status read_outputs(q8_interp *it) {
  q8_status s = Q8_OK;
  for (int32_t i = 0; i < q8_interp_output_count(it) && s == Q8_OK; i++) {
    q8_tensor_info info;
    q8_interp_output_info(it, i, &info);
    uint8_t *bytes = malloc(info.bytes + 1);
    s = q8_interp_get_output(it, i, bytes, info.bytes);
    free(bytes);
#ifndef Q8_INTEGER_ONLY
    size_t count = info.bytes / q8_type_size(info.type);
    float *floats = malloc(sizeof(float) * (count + 1));
    if (s == Q8_OK) s = q8_interp_get_output_float(it, i, floats, count);
    free(floats);
#endif
  }
  return s;
}

/* Loads, prepares and runs (zero inputs) the model and reads its outputs; returns the first
   failing status and copies its message. */
static q8_status run_model(const uint8_t *data, size_t size, char *message, size_t message_size) {
  q8_model *model = NULL;
  q8_interp *it = NULL;
  q8_error err;
  err.message[0] = '\0';
  q8_status s = q8_model_load_memory(data, size, 1, &model, &err);
  if (s == Q8_OK) s = q8_interp_init(model, NULL, &it, &err);
  if (s != Q8_OK) {
    snprintf(message, message_size, "%s", err.message);
    q8_model_free(model);
    return s;
  }
  for (int32_t i = 0; i < q8_interp_input_count(it) && s == Q8_OK; i++) {
    q8_tensor_info info;
    q8_interp_input_info(it, i, &info);
    void *zeros = calloc(info.bytes + 1, 1);
    s = q8_interp_set_input(it, i, zeros, info.bytes);
    free(zeros);
  }
  if (s == Q8_OK) s = q8_interp_invoke(it);
  if (s == Q8_OK) s = read_outputs(it);
  snprintf(message, message_size, "%s", q8_interp_last_error(it));
  q8_interp_free(it);
  q8_model_free(model);
  return s;
}

int main(void) {
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const regression *c = &cases[i];
    char path[1024];
    snprintf(path, sizeof path, "%s/test/data/fuzz/%s", Q8_SOURCE_DIR, c->file);
    size_t size = 0;
    uint8_t *data = t_read_file(path, &size);
    T_CHECK(data != NULL, "%s: cannot read", path);
    if (data == NULL) continue;
    char message[512] = "";
    q8_status s = run_model(data, size, message, sizeof message);
    T_CHECK(s == c->status && strstr(message, c->message) != NULL,
            "%s (%s): expected %s with '%s', got %s: %s", c->file, c->bug,
            q8_status_name(c->status), c->message, q8_status_name(s), message);
    free(data);
  }
  return t_finish();
}
