/* Every single-operator golden vector in ../shared/testdata/ops (outputs of the TFLite
   reference kernels) must be reproduced byte for byte. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "q8/q8.h"
#include "util/test-util.h"

static int cases_run, cases_skipped;

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_inputs(q8_interp *it, const char *dir, const char *name) {
  for (int32_t i = 0; i < q8_interp_input_count(it); i++) {
    char path[1400];
    snprintf(path, sizeof path, "%s/input%d.bin", dir, (int)i);
    size_t size = 0;
    void *data = t_read_file(path, &size);
    T_CHECK(data != NULL, "%s: cannot read %s", name, path);
    if (data == NULL) continue;
    q8_status s = q8_interp_set_input(it, i, data, size);
    T_CHECK(s == Q8_OK, "%s: set input %d: %s", name, (int)i, q8_interp_last_error(it));
    free(data);
  }
}

static void check_output(q8_interp *it, const char *dir, const char *name) {
  char path[1400];
  snprintf(path, sizeof path, "%s/expected.bin", dir);
  size_t size = 0;
  uint8_t *expected = t_read_file(path, &size);
  const void *out = NULL;
  q8_tensor_info info;
  if (expected == NULL || q8_interp_output_info(it, 0, &info) != Q8_OK ||
      q8_interp_output_data(it, 0, &out) != Q8_OK) {
    T_CHECK(0, "%s: cannot read expected output or the model's output", name);
    free(expected);
    return;
  }
  T_CHECK(info.bytes == size, "%s: output has %zu bytes, expected.bin %zu", name, info.bytes,
          size);
  size_t n = info.bytes < size ? info.bytes : size;
  size_t mismatches = 0, first = 0;
  for (size_t i = 0; i < n; i++)
    if (((const uint8_t *)out)[i] != expected[i] && mismatches++ == 0) first = i;
  T_CHECK(mismatches == 0, "%s: %zu of %zu bytes differ; first at byte %zu: got 0x%02x, want 0x%02x",
          name, mismatches, n, first, ((const uint8_t *)out)[first], expected[first]);
  printf("%-36s %s\n", name, mismatches == 0 && info.bytes == size ? "ok" : "MISMATCH");
  free(expected);
}

static void run_case(const char *root, const char *name) {
  char dir[1200], path[1300];
  snprintf(dir, sizeof dir, "%s/%s", root, name);
  snprintf(path, sizeof path, "%s/model.tflite", dir);
  q8_model *model = NULL;
  q8_error err;
  q8_status s = q8_model_load_file(path, &model, &err);
#ifdef Q8_INTEGER_ONLY
  if (s == Q8_ERROR_UNSUPPORTED && strstr(err.message, "integer-only") != NULL) {
    printf("%-36s skipped: needs float (%s)\n", name, err.message);
    cases_skipped++;
    return;
  }
#endif
  T_CHECK(s == Q8_OK, "%s: load: %s", name, s == Q8_OK ? "" : err.message);
  if (s != Q8_OK) return;
  q8_interp *it = NULL;
  s = q8_interp_init(model, NULL, &it, &err);
  T_CHECK(s == Q8_OK, "%s: prepare: %s", name, s == Q8_OK ? "" : err.message);
  if (s == Q8_OK) {
    set_inputs(it, dir, name);
    s = q8_interp_invoke(it);
    T_CHECK(s == Q8_OK, "%s: invoke: %s", name, q8_interp_last_error(it));
    if (s == Q8_OK) check_output(it, dir, name);
    cases_run++;
  }
  q8_interp_free(it);
  q8_model_free(model);
}

int main(void) {
  char root[1024];
  if (t_testdata_path("ops", root, sizeof root) == NULL)
    return t_skip("e2e/test-ops-testdata", "../shared/testdata is absent");
  DIR *d = opendir(root);
  if (d == NULL) return t_skip("e2e/test-ops-testdata", "../shared/testdata/ops is absent");
  char *names[512];
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL && n < 512;) {
    if (e->d_name[0] == '.' || strstr(e->d_name, ".md") != NULL) continue;
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], compare_names);
  for (int i = 0; i < n; i++) {
    run_case(root, names[i]);
    free(names[i]);
  }
  printf("%d cases run, %d skipped\n", cases_run, cases_skipped);
  T_CHECK(cases_run + cases_skipped == n, "every case must run or be skipped for a stated reason");
  return t_finish();
}
