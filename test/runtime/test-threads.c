/* Interpreters of one shared model run on different threads independently: every thread
   gets the same bytes as a single-threaded run. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "q8/q8.h"
#include "util/test-util.h"

enum { THREADS = 4, ROUNDS = 6 };

typedef struct job {
  const q8_model *model;
  const uint8_t *inputs[2];
  size_t input_size;
  const int8_t *expected[2];
  int mismatches;
  int errors;
} job;

static void *worker(void *arg) {
  job *j = arg;
  q8_interp *it = NULL;
  q8_error err;
  if (q8_interp_init(j->model, NULL, &it, &err) != Q8_OK) {
    j->errors++;
    return NULL;
  }
  for (int r = 0; r < ROUNDS; r++) {
    int k = r % 2;
    int8_t out[2];
    if (q8_interp_set_input(it, 0, j->inputs[k], j->input_size) != Q8_OK ||
        q8_interp_invoke(it) != Q8_OK || q8_interp_get_output(it, 0, out, 2) != Q8_OK) {
      j->errors++;
      continue;
    }
    j->mismatches += memcmp(out, j->expected[k], 2) != 0;
  }
  q8_interp_free(it);
  return NULL;
}

int main(void) {
  char path[1024], p1[1024], p2[1024];
  if (t_testdata_path("tflite/person_detect.tflite", path, sizeof path) == NULL)
    return t_skip("runtime/test-threads", "../shared/testdata is absent");
  t_testdata_path("tflite/person_input.int8.bin", p1, sizeof p1);
  t_testdata_path("tflite/no_person_input.int8.bin", p2, sizeof p2);
  q8_model *m = NULL;
  q8_error err;
  size_t n1 = 0, n2 = 0;
  uint8_t *in1 = t_read_file(p1, &n1), *in2 = t_read_file(p2, &n2);
  q8_status s = q8_model_load_file(path, &m, &err);
  T_CHECK(s == Q8_OK && in1 != NULL && in2 != NULL && n1 == n2, "load: %s",
          s == Q8_OK ? "" : err.message);
  if (s != Q8_OK || in1 == NULL || in2 == NULL) return t_finish();
  /* Single-threaded reference. */
  int8_t expected[2][2];
  q8_interp *it = NULL;
  s = q8_interp_init(m, NULL, &it, &err);
  T_CHECK(s == Q8_OK, "init: %s", s == Q8_OK ? "" : err.message);
  for (int k = 0; s == Q8_OK && k < 2; k++) {
    q8_interp_set_input(it, 0, k ? in2 : in1, n1);
    q8_interp_invoke(it);
    q8_interp_get_output(it, 0, expected[k], 2);
  }
  q8_interp_free(it);
  T_CHECK(memcmp(expected[0], expected[1], 2) != 0, "the two images give different outputs");
  job jobs[THREADS];
  pthread_t threads[THREADS];
  for (int t = 0; t < THREADS; t++) {
    jobs[t] = (job){m, {in1, in2}, n1, {expected[0], expected[1]}, 0, 0};
    pthread_create(&threads[t], NULL, worker, &jobs[t]);
  }
  for (int t = 0; t < THREADS; t++) {
    pthread_join(threads[t], NULL);
    T_CHECK(jobs[t].errors == 0 && jobs[t].mismatches == 0, "thread %d: %d errors, %d mismatches",
            t, jobs[t].errors, jobs[t].mismatches);
  }
  q8_model_free(m);
  free(in1);
  free(in2);
  return t_finish();
}
