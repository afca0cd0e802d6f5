/* Writes what test-cli.sh needs for `q8 eval`: tiny classifiers (q8's writer) whose ranking is
   known without q8, a test split of IDX files (plain, and gzipped in gz/), and the accuracy and
   confusion matrix the test expects, worked out here from the pixels alone.
   Usage: make-eval-set DIR [SEED] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tflite/writer.h"
#include "util/classifier-models.h"
#include "util/idx-files.h"
#include "util/test-util.h"

enum { N = 300, PIXELS = 784, CLASSES = 10, LIMIT = 50 };

static uint8_t images[N][PIXELS];
static uint8_t labels[N];
static int predicted[N];

static void set_score(int i, int c, int value) { images[i][t_classifier_pixel(c)] = (uint8_t)value; }

/* Every third image has two classes one step apart at the top (the lower index one step
   below), whose SOFTMAX outputs usually quantize to the same value: only ranking by the logits
   gets them right. Every third has an exact tie: the lower index wins. */
static void make_image(t_rng *rng, int i) {
  for (int k = 0; k < PIXELS; k++) images[i][k] = (uint8_t)t_rng_range(rng, 0, 255);
  int a = (int)t_rng_range(rng, 0, CLASSES - 2);
  int b = (int)t_rng_range(rng, a + 1, CLASSES - 1);
  int top = (int)t_rng_range(rng, 2, 255);
  if (i % 3 == 0) return;
  for (int c = 0; c < CLASSES; c++) set_score(i, c, (int)t_rng_range(rng, 0, top - 2));
  set_score(i, b, top);
  set_score(i, a, i % 3 == 1 ? top - 1 : top);
}

static int top_class(int i) {
  int best = 0;
  for (int c = 1; c < CLASSES; c++)
    if (images[i][t_classifier_pixel(c)] > images[i][t_classifier_pixel(best)]) best = c;
  return best;
}

static int write_expected(const char *dir, const char *name, int count) {
  long confusion[CLASSES][CLASSES] = {{0}}, correct = 0;
  for (int i = 0; i < count; i++) {
    confusion[labels[i]][predicted[i]]++;
    correct += labels[i] == predicted[i];
  }
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (f == NULL) return -1;
  fprintf(f, "%ld %d\n", correct, count);
  for (int t = 0; t < CLASSES; t++)
    for (int p = 0; p < CLASSES; p++) fprintf(f, "%ld%c", confusion[t][p], p == CLASSES - 1 ? '\n' : ' ');
  return fclose(f);
}

static int write_split(const char *dir, int gz) {
  uint32_t image_dims[3] = {N, 28, 28}, label_dims[1] = {N};
  size_t sizes[2];
  uint8_t *files[2] = {t_idx_file(0x803, 3, image_dims, &images[0][0], sizeof images, &sizes[0]),
                       t_idx_file(0x801, 1, label_dims, labels, N, &sizes[1])};
  const char *names[2] = {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  int rc = mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
  for (int k = 0; k < 2 && rc == 0; k++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", dir, names[k], gz ? ".gz" : "");
    size_t size = sizes[k];
    uint8_t *wrapped = gz ? t_gzip_stored(files[k], sizes[k], &size) : NULL;
    rc = t_write_bytes(path, gz ? wrapped : files[k], size);
    free(wrapped);
  }
  free(files[0]);
  free(files[1]);
  return rc;
}

static int write_model(const char *dir, const char *name, t_classifier_spec spec) {
  t_classifier m;
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (t_classifier_build(&m, &spec) != 0) return -1;
  q8_error err;
  q8_status s = q8_tflite_write_file(&m.graph, path, &err);
  if (s != Q8_OK) fprintf(stderr, "%s: %s\n", path, err.message);
  t_classifier_free(&m);
  return s == Q8_OK ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: make-eval-set DIR [SEED]\n");
    return 2;
  }
  const char *dir = argv[1];
  t_rng rng = {argc > 2 ? strtoull(argv[2], NULL, 0) : 8};
  printf("make-eval-set: seed %llu\n", (unsigned long long)rng.state);
  for (int i = 0; i < N; i++) {
    make_image(&rng, i);
    predicted[i] = top_class(i);
    /* Mostly right, so that the matrix has a diagonal and off-diagonal counts. */
    labels[i] = (uint8_t)(t_rng_range(&rng, 0, 9) < 7 ? predicted[i] : t_rng_range(&rng, 0, 9));
  }
  char sub[512];
  int rc = mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
  snprintf(sub, sizeof sub, "%s/data", dir);
  rc |= write_split(sub, 0);
  snprintf(sub, sizeof sub, "%s/gz", dir);
  rc |= write_split(sub, 1);
  rc |= write_expected(dir, "expected-all.txt", N);
  rc |= write_expected(dir, "expected-limit.txt", LIMIT);
  const t_classifier_spec int8_softmax = {Q8_TYPE_INT8, PIXELS, true, CLASSES, true, false};
  const t_classifier_spec uint8_plain = {Q8_TYPE_UINT8, PIXELS, false, CLASSES, false, false};
  const t_classifier_spec five = {Q8_TYPE_INT8, PIXELS, true, 5, true, false};
  const t_classifier_spec half_image = {Q8_TYPE_UINT8, PIXELS / 2, false, CLASSES, false, false};
  rc |= write_model(dir, "int8-softmax.tflite", int8_softmax);
  rc |= write_model(dir, "uint8.tflite", uint8_plain);
  rc |= write_model(dir, "five-classes.tflite", five);
  rc |= write_model(dir, "half-image.tflite", half_image);
  if (rc != 0) fprintf(stderr, "make-eval-set: could not write everything into %s\n", dir);
  return rc != 0;
}
