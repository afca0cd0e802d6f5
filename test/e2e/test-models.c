/* The real models in ../shared/testdata/tflite give the results their upstream tests assert. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "q8/q8.h"
#include "util/test-util.h"

typedef struct loaded {
  q8_model *model;
  q8_interp *interp;
} loaded;

static int load(const char *file, loaded *m) {
  char path[1024];
  t_testdata_path(file, path, sizeof path);
  q8_error err;
  memset(m, 0, sizeof *m);
  q8_status s = q8_model_load_file(path, &m->model, &err);
  T_CHECK(s == Q8_OK, "load %s: %s", file, s == Q8_OK ? "" : err.message);
  if (s != Q8_OK) return 0;
  s = q8_interp_init(m->model, NULL, &m->interp, &err);
  T_CHECK(s == Q8_OK, "prepare %s: %s", file, s == Q8_OK ? "" : err.message);
  if (s == Q8_OK)
    printf("%s: arena %zu bytes (unshared %zu), persistent %zu bytes\n", file,
           q8_interp_arena_size(m->interp), q8_interp_unshared_size(m->interp),
           q8_interp_persistent_size(m->interp));
  return s == Q8_OK;
}

static void unload(loaded *m) {
  q8_interp_free(m->interp);
  q8_model_free(m->model);
}

/* Runs input bytes [offset, offset + size) of file through input 0; returns the output. */
static const void *run_bytes(loaded *m, const uint8_t *data, size_t size) {
  q8_status s = q8_interp_set_input(m->interp, 0, data, size);
  T_CHECK(s == Q8_OK, "set input: %s", q8_interp_last_error(m->interp));
  if (s != Q8_OK) return NULL;
  s = q8_interp_invoke(m->interp);
  T_CHECK(s == Q8_OK, "invoke: %s", q8_interp_last_error(m->interp));
  const void *out = NULL;
  if (s == Q8_OK) q8_interp_output_data(m->interp, 0, &out);
  return out;
}

static uint8_t *read_testdata(const char *file, size_t *size) {
  char path[1024];
  t_testdata_path(file, path, sizeof path);
  uint8_t *data = t_read_file(path, size);
  T_CHECK(data != NULL, "cannot read %s", file);
  return data;
}

static void test_network_tester_dwconv(void) {
  loaded m;
  if (!load("tflite/network_tester_dwconv_int8.tflite", &m)) {
    unload(&m);
    return;
  }
  size_t in_size, want_size;
  uint8_t *in = read_testdata("tflite/network_tester_dwconv_input.int8.bin", &in_size);
  uint8_t *want = read_testdata("tflite/network_tester_dwconv_expected_output.int8.bin", &want_size);
  const uint8_t *out = in != NULL && want != NULL ? run_bytes(&m, in, in_size) : NULL;
  if (out != NULL) {
    int diff = 0;
    for (size_t i = 0; i < want_size; i++) diff += out[i] != want[i];
    T_CHECK(diff == 0, "network_tester dwconv: %d of %zu bytes differ", diff, want_size);
  }
  free(in);
  free(want);
  unload(&m);
}

static void test_person_detect(void) {
  loaded m;
  if (!load("tflite/person_detect.tflite", &m)) {
    unload(&m);
    return;
  }
  const char *files[2] = {"tflite/person_input.int8.bin", "tflite/no_person_input.int8.bin"};
  for (int k = 0; k < 2; k++) {
    size_t size;
    uint8_t *in = read_testdata(files[k], &size);
    const int8_t *out = in != NULL ? run_bytes(&m, in, size) : NULL;
    if (out != NULL) {
      printf("person_detect %s: [notperson %d, person %d]\n", files[k], out[0], out[1]);
      if (k == 0) T_CHECK(out[1] > out[0], "person image: person %d <= notperson %d", out[1], out[0]);
      else T_CHECK(out[0] > out[1], "no-person image: notperson %d <= person %d", out[0], out[1]);
    }
    free(in);
  }
  unload(&m);
}

static void test_hello_world(void) {
  loaded m;
  if (!load("tflite/hello_world_int8.tflite", &m)) {
    unload(&m);
    return;
  }
  size_t size;
  uint8_t *in = read_testdata("tflite/hello_world_inputs.int8.bin", &size);
  const double xs[4] = {0.77, 1.57, 2.3, 3.14};
  q8_tensor_info info;
  q8_interp_output_info(m.interp, 0, &info);
  for (size_t i = 0; in != NULL && i < 4 && i < size; i++) {
    const int8_t *out = run_bytes(&m, in + i, 1);
    if (out == NULL) continue;
    double y = (out[0] - info.quant.zero_point) * (double)info.quant.scale;
    printf("hello_world x=%.2f: y=%.4f sin=%.4f\n", xs[i], y, sin(xs[i]));
    T_CHECK(fabs(y - sin(xs[i])) <= 0.05, "hello_world x=%.2f: y=%f, sin=%f", xs[i], y, sin(xs[i]));
  }
  free(in);
  unload(&m);
}

static int argmax_s8(const int8_t *v, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (v[i] > v[best]) best = i;
  return best;
}

static void test_micro_speech(void) {
  loaded m;
  if (!load("tflite/micro_speech_quantized.tflite", &m)) {
    unload(&m);
    return;
  }
  const char *files[2] = {"tflite/micro_speech_yes_features.int8.bin",
                          "tflite/micro_speech_no_features.int8.bin"};
  const int want[2] = {2, 3};
  for (int k = 0; k < 2; k++) {
    size_t size;
    uint8_t *in = read_testdata(files[k], &size);
    const int8_t *out = in != NULL ? run_bytes(&m, in, size) : NULL;
    if (out != NULL) {
      printf("micro_speech %s: [%d %d %d %d]\n", files[k], out[0], out[1], out[2], out[3]);
      T_CHECK(argmax_s8(out, 4) == want[k], "micro_speech %s: argmax %d, want %d", files[k],
              argmax_s8(out, 4), want[k]);
    }
    free(in);
  }
  unload(&m);
}

static void test_mobilenet_uint8(void) {
  loaded m;
  if (!load("tflite/mobilenet_v1_0.5_160_quant.tflite", &m)) {
    unload(&m);
    return;
  }
  size_t size;
  uint8_t *in = read_testdata("tflite/cat_160x160_nearest_rgb.uint8.bin", &size);
  const uint8_t *out = in != NULL ? run_bytes(&m, in, size) : NULL;
  if (out != NULL) {
    int best = 0;
    for (int i = 1; i < 1001; i++)
      if (out[i] > out[best]) best = i;
    printf("mobilenet_v1_0.5_160 cat: top-1 %d score %d/256\n", best, out[best]);
    T_CHECK(best == 286, "top-1 is %d, want 286 (Egyptian cat)", best);
    T_CHECK(out[best] / 256.0 > 0.67, "top-1 score %d/256 <= 0.67", out[best]);
  }
  free(in);
  unload(&m);
}

int main(void) {
  char buf[1024];
  if (t_testdata_path("tflite", buf, sizeof buf) == NULL)
    return t_skip("e2e/test-models", "../shared/testdata is absent");
  test_network_tester_dwconv();
  test_person_detect();
  test_hello_world();
  test_micro_speech();
  test_mobilenet_uint8();
  return t_finish();
}
